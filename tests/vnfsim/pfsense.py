"""A pfSense appliance with the REST API package, API v2 (test fixture).

What it models, after the pfSense-pkg-RESTAPI v2 documentation
(pfrest.org): every answer is {"code","status","response_id","message",
"data"}; errors are the same envelope with data [] (400 for validation,
"FIELD_..."; 401 AUTH_AUTHENTICATION_FAILED; 404 MODEL_OBJECT_NOT_FOUND
for a missing id; 405 for a method the endpoint does not take).
Authentication by the methods enabled in the REST API settings
(BasicAuth, KeyAuth with X-API-Key, JWTAuth with a bearer token from
POST /api/v2/auth/jwt, which itself takes BasicAuth only).

Objects are identified as pfSense identifies them: by their index in the
configuration's list, so deleting one renumbers those after it.  Changes
are pending until applied (/api/v2/firewall/apply for filter rules and
NAT, /api/v2/routing/apply for routes), which GET .../apply reports.

  /api/v2/auth/jwt                 POST
  /api/v2/auth/key                 POST (a new API key for the user)
  /api/v2/status/system            GET
  /api/v2/system/version           GET
  /api/v2/system/restapi/settings  GET PATCH (auth_methods)
  /api/v2/user                     GET PATCH (password)
  /api/v2/firewall/rule(s)         singular: GET POST PATCH DELETE; plural GET
  /api/v2/firewall/nat/port_forward(s)
  /api/v2/routing/static_route(s)
  /api/v2/firewall/apply, /api/v2/routing/apply   GET POST

Settings (--set): user, password, auth_methods (comma-separated, default
BasicAuth,KeyAuth,JWTAuth), api_key (a key that exists), interfaces,
gateways, version.  The state is written as JSON to pfsense-state.json
beside --port-file after every change.
"""
import base64
import copy
import ipaddress
import json
import os
import re
import secrets
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vnfsim  # noqa: E402
from vnfsim import HTTPError  # noqa: E402


def answer(code, status, rid, message, data):
    return {"code": code, "status": status, "response_id": rid,
            "message": message, "data": data}


def ok(data):
    return 200, answer(200, "ok", "SUCCESS", "", data)


def bad(rid, message, code=400, status="bad request"):
    return HTTPError(code, answer(code, status, rid, message, []))


AUTH_FAILED = (401, answer(401, "unauthorized", "AUTH_AUTHENTICATION_FAILED",
                           "Authentication failed.", []))
BAD_JSON = bad("REQUEST_BODY_NOT_VALID_JSON",
               "Request body could not be decoded as JSON.")


class PfSense(vnfsim.Sim):
    """pfSense REST API v2 simulator."""

    SERVER = "nginx"
    V = "/api/v2/"
    ROUTES = [
        ("*", "^/api/v2/auth/jwt$", "jwt"),
        ("*", "^/api/v2/auth/key$", "auth_key"),
        ("*", "^/api/v2/status/system$", "status_system"),
        ("*", "^/api/v2/system/version$", "system_version"),
        ("*", "^/api/v2/system/restapi/settings$", "restapi_settings"),
        ("*", "^/api/v2/user$", "user"),
        ("*", "^/api/v2/firewall/rule$", "rule"),
        ("*", "^/api/v2/firewall/rules$", "rules"),
        ("*", "^/api/v2/firewall/nat/port_forward$", "port_forward"),
        ("*", "^/api/v2/firewall/nat/port_forwards$", "port_forwards"),
        ("*", "^/api/v2/routing/static_route$", "static_route"),
        ("*", "^/api/v2/routing/static_routes$", "static_routes"),
        ("*", "^/api/v2/firewall/apply$", "firewall_apply"),
        ("*", "^/api/v2/routing/apply$", "routing_apply"),
    ]

    def configure(self, s):
        self.users = [{"name": s.get("user", "admin"),
                       "password": s.get("password", "pfsense"),
                       "scope": "system", "descr": "System Administrator"}]
        self.auth_methods = s.get("auth_methods",
                                  "BasicAuth,KeyAuth,JWTAuth").split(",")
        self.keys = []                  # [{"key", "username", "descr"}]
        if s.get("api_key"):
            self.keys.append({"key": s["api_key"], "username":
                              self.users[0]["name"], "descr": "preset"})
        self.jwts = set()
        self.version = s.get("version", "2.8.0-RELEASE")
        self.interfaces = s.get("interfaces", "wan,lan,opt1").split(",")
        self.gateways = s.get("gateways", "WAN_DHCP,LAN_GW").split(",")
        self.fw_rules = []
        self.nat_rules = []
        self.st_routes = []
        self.pending = set()            # subsystems not applied
        self.applied = {"filter": [], "nat": [], "routes": []}
        self.tracker = 1700000000
        self.state_file = None
        if "--port-file" in sys.argv:
            pf = sys.argv[sys.argv.index("--port-file") + 1]
            self.state_file = os.path.join(os.path.dirname(pf),
                                           "pfsense-state.json")
        self.save()

    # --- plumbing ---------------------------------------------------------
    def dump(self):
        return {"rules": self.fw_rules, "nat": self.nat_rules, "routes": self.st_routes,
                "pending": sorted(self.pending), "applied": self.applied,
                "users": [{"name": u["name"], "password": u["password"]}
                          for u in self.users],
                "auth_methods": self.auth_methods,
                "keys": [k["key"] for k in self.keys]}

    def save(self):
        if self.state_file is None:
            return
        with open(self.state_file + ".tmp", "w") as f:
            json.dump(self.dump(), f, indent=1)
        os.replace(self.state_file + ".tmp", self.state_file)

    def basic_ok(self, req):
        cred = req.basic_auth()
        return cred is not None and any(
            cred == (u["name"], u["password"]) for u in self.users)

    def auth(self, req):
        if "KeyAuth" in self.auth_methods:
            k = req.headers.get("x-api-key")
            if k and any(k == x["key"] for x in self.keys):
                return
        if "JWTAuth" in self.auth_methods and req.bearer() in self.jwts:
            return
        if "BasicAuth" in self.auth_methods and self.basic_ok(req):
            return
        raise HTTPError(*AUTH_FAILED)

    def not_found(self, req):
        return 404, answer(404, "not found", "ENDPOINT_NOT_FOUND",
                           "Endpoint not found.", [])

    def bad_method(self, req, allowed):
        if req.method not in allowed:
            raise HTTPError(405, answer(
                405, "method not allowed", "ENDPOINT_METHOD_NOT_ALLOWED",
                "Resource at %s does not support the %s method." %
                (req.path, req.method), []))

    def body(self, req):
        try:
            doc = json.loads(req.body.decode("utf-8") or "{}")
        except (ValueError, UnicodeDecodeError):
            raise BAD_JSON
        if not isinstance(doc, dict):
            raise BAD_JSON
        return doc

    def ident(self, req, table, doc=None):
        """The id from the query (GET, DELETE) or the body (PATCH)."""
        raw = (doc or {}).get("id", req.query.get("id"))
        if raw is None or raw == "":
            raise bad("MODEL_REQUIRES_ID", "Field `id` is required.")
        try:
            i = int(raw)
        except (TypeError, ValueError):
            raise bad("FIELD_INVALID_TYPE", "Field `id` must be of type "
                      "`integer`.")
        if i < 0 or i >= len(table):
            raise HTTPError(404, answer(404, "not found",
                                        "MODEL_OBJECT_NOT_FOUND",
                                        "Object with ID `%s` does not exist."
                                        % raw, []))
        return i

    @staticmethod
    def listing(table):
        return [dict(v, id=i) for i, v in enumerate(table)]

    def crud(self, req, table, fields, check, subsystem):
        """The singular endpoint of a model: GET POST PATCH DELETE."""
        self.bad_method(req, ("GET", "POST", "PATCH", "DELETE"))
        self.auth(req)
        if req.method == "GET":
            i = self.ident(req, table)
            return ok(dict(table[i], id=i))
        if req.method == "DELETE":
            i = self.ident(req, table)
            old = table.pop(i)
            self.pending.add(subsystem)
            self.save()
            return ok(dict(old, id=i))
        doc = self.body(req)
        if req.method == "POST":
            new = copy.deepcopy(fields)
            for k, v in doc.items():
                if k in new:
                    new[k] = v
            check(new, doc, creating=True)
            if "tracker" in new:
                self.tracker += 1
                new["tracker"] = self.tracker
            table.append(new)
            self.pending.add(subsystem)
            self.save()
            return ok(dict(new, id=len(table) - 1))
        i = self.ident(req, table, doc)
        new = copy.deepcopy(table[i])
        for k, v in doc.items():
            if k in new and k != "tracker":
                new[k] = v
        check(new, doc, creating=False)
        table[i] = new
        self.pending.add(subsystem)
        self.save()
        return ok(dict(new, id=i))

    def plural(self, req, table):
        self.bad_method(req, ("GET",))
        self.auth(req)
        rows = self.listing(table)
        try:
            off = int(req.query.get("offset", 0))
            lim = int(req.query.get("limit", 0))
        except ValueError:
            raise bad("FIELD_INVALID_TYPE", "Fields `limit` and `offset` "
                      "must be of type `integer`.")
        rows = rows[off:off + lim] if lim else rows[off:]
        return ok(rows)

    # --- validation ---------------------------------------------------------
    @staticmethod
    def required(obj, names, creating):
        for n in names:
            if obj.get(n) in (None, "", []):
                raise bad("FIELD_IS_REQUIRED" if creating else
                          "FIELD_IS_REQUIRED", "Field `%s` is required." % n)

    @staticmethod
    def choice(obj, name, choices):
        if obj.get(name) not in choices:
            raise bad("FIELD_INVALID_CHOICE",
                      "Field `%s` must be one of [%s]" %
                      (name, ", ".join("null" if c is None else str(c)
                                       for c in choices)))

    def addr_ok(self, v, fam):
        if v in ("any", "(self)") or v in self.interfaces or \
                re.fullmatch(r"(%s)(ip|:ip)?" % "|".join(self.interfaces),
                             v or ""):
            return True
        try:
            net = ipaddress.ip_network(str(v).lstrip("!"), strict=False)
        except ValueError:
            return False
        return fam is None or net.version == fam

    @staticmethod
    def port_ok(v):
        if v in (None, ""):
            return True
        m = re.fullmatch(r"(\d{1,5})(?:[-:](\d{1,5}))?", str(v))
        return bool(m) and all(1 <= int(p) <= 65535 for p in m.groups() if p)

    def check_rule(self, r, doc, creating):
        self.required(r, ("type", "interface", "ipprotocol", "source",
                          "destination"), creating)
        self.choice(r, "type", ["pass", "block", "reject"])
        self.choice(r, "ipprotocol", ["inet", "inet6", "inet46"])
        self.choice(r, "protocol", [None, "tcp", "udp", "tcp/udp", "icmp",
                                    "esp", "ah", "gre", "ipv6", "igmp",
                                    "pim", "ospf", "carp", "pfsync"])
        if not isinstance(r["interface"], list):
            raise bad("FIELD_INVALID_TYPE", "Field `interface` must be of "
                      "type `array`.")
        for i in r["interface"]:
            if i not in self.interfaces:
                raise bad("FIELD_INVALID_CHOICE",
                          "Field `interface` must be one of [%s]" %
                          ", ".join(self.interfaces))
        fam = {"inet": 4, "inet6": 6}.get(r["ipprotocol"])
        for side in ("source", "destination"):
            if not self.addr_ok(r[side], None):
                raise bad("FIREWALL_RULE_%s_INVALID" % side.upper(),
                          "Field `%s` must be a valid IP address, subnet, "
                          "alias or interface, received `%s`." %
                          (side, r[side]))
            if not self.addr_ok(r[side], fam):
                raise bad("FIREWALL_RULE_%s_IP_VERSION_MISMATCH" %
                          side.upper(),
                          "Field `%s` must be an IPv%d value when "
                          "`ipprotocol` is `%s`." %
                          (side, fam, r["ipprotocol"]))
            port = r[side + "_port"]
            if not self.port_ok(port):
                raise bad("FIELD_INVALID_VALUE", "Field `%s_port` must be a "
                          "valid port, range or alias." % side)
            if port not in (None, "") and \
                    r["protocol"] not in ("tcp", "udp", "tcp/udp"):
                raise bad("FIELD_CONDITIONS_NOT_MET",
                          "Field `%s_port` is only available when "
                          "`protocol` is one of [tcp, udp, tcp/udp]." % side)
        if len(str(r.get("descr") or "")) > 255:
            raise bad("FIELD_MAX_LENGTH_EXCEEDED", "Field `descr` exceeds "
                      "the maximum length of 255.")

    def check_nat(self, r, doc, creating):
        self.required(r, ("interface", "protocol", "destination",
                          "destination_port", "target", "local_port"),
                      creating)
        self.choice(r, "interface", self.interfaces)
        self.choice(r, "protocol", ["tcp", "udp", "tcp/udp"])
        self.choice(r, "associated_rule_id", ["", "pass", "new"])
        if not self.addr_ok(r["destination"], 4):
            raise bad("FIELD_INVALID_VALUE", "Field `destination` must be a "
                      "valid IP address, subnet, alias or interface.")
        try:
            ipaddress.ip_address(r["target"])
        except ValueError:
            raise bad("FIELD_INVALID_VALUE", "Field `target` must be a valid "
                      "IP address or alias.")
        for f in ("destination_port", "local_port"):
            if not self.port_ok(r[f]):
                raise bad("FIELD_INVALID_VALUE", "Field `%s` must be a valid "
                          "port, range or alias." % f)

    def check_route(self, r, doc, creating):
        self.required(r, ("network", "gateway"), creating)
        try:
            ipaddress.ip_network(r["network"], strict=False)
            if "/" not in str(r["network"]):
                raise ValueError
        except (TypeError, ValueError):
            raise bad("FIELD_INVALID_VALUE", "Field `network` must be a "
                      "valid IPv4 or IPv6 subnet or alias.")
        self.choice(r, "gateway", self.gateways)

    # --- endpoints ----------------------------------------------------------
    def jwt(self, req):
        self.bad_method(req, ("POST",))
        if "BasicAuth" not in self.auth_methods and \
                "JWTAuth" not in self.auth_methods:
            raise HTTPError(*AUTH_FAILED)
        if not self.basic_ok(req):
            raise HTTPError(*AUTH_FAILED)
        head = base64.urlsafe_b64encode(b'{"typ":"JWT","alg":"HS256"}')
        tok = "%s.%s.%s" % (head.decode().rstrip("="),
                            secrets.token_urlsafe(24), secrets.token_urlsafe(32))
        self.jwts.add(tok)
        return ok({"token": tok})

    def auth_key(self, req):
        self.bad_method(req, ("POST",))
        if not self.basic_ok(req):
            raise HTTPError(*AUTH_FAILED)
        doc = self.body(req)
        key = secrets.token_hex(24)
        user = req.basic_auth()[0]
        self.keys.append({"key": key, "username": user,
                          "descr": str(doc.get("descr", ""))})
        self.save()
        return ok({"id": len(self.keys) - 1, "descr": doc.get("descr", ""),
                   "username": user, "hash_algo": "sha256",
                   "length_bytes": 24, "key": key})

    def status_system(self, req):
        self.bad_method(req, ("GET",))
        self.auth(req)
        return ok({"platform": "pfSense", "serial": "", "netgate_id": "",
                   "uptime": "1 Day 02 Hours 03 Minutes 04 Seconds",
                   "bios_vendor": "SeaBIOS", "cpu_model": "QEMU Virtual CPU",
                   "cpu_count": 2, "cpu_usage": 1.5, "mem_usage": 22.4,
                   "disk_usage": 7.1, "temp_c": None})

    def system_version(self, req):
        self.bad_method(req, ("GET",))
        self.auth(req)
        return ok({"version": self.version,
                   "base": self.version.split("-")[0], "patch": "0",
                   "buildtime": "Wed May 28 2025"})

    def restapi_settings(self, req):
        self.bad_method(req, ("GET", "PATCH"))
        self.auth(req)
        if req.method == "PATCH":
            doc = self.body(req)
            am = doc.get("auth_methods", self.auth_methods)
            if not isinstance(am, list) or not am or any(
                    m not in ("BasicAuth", "KeyAuth", "JWTAuth") for m in am):
                raise bad("FIELD_INVALID_CHOICE", "Field `auth_methods` must "
                          "be one of [BasicAuth, KeyAuth, JWTAuth]")
            self.auth_methods = am
            self.save()
        return ok({"enabled": True, "read_only": False,
                   "auth_methods": self.auth_methods})

    def user(self, req):
        self.bad_method(req, ("GET", "PATCH"))
        self.auth(req)
        if req.method == "GET":
            i = self.ident(req, self.users)
            u = self.users[i]
            return ok({"id": i, "name": u["name"], "scope": u["scope"],
                       "descr": u["descr"], "password": "********"})
        doc = self.body(req)
        i = self.ident(req, self.users, doc)
        if "password" in doc:
            pw = doc["password"]
            if not isinstance(pw, str) or not pw:
                raise bad("FIELD_INVALID_TYPE", "Field `password` must be of "
                          "type `string`.")
            self.users[i]["password"] = pw
        self.save()
        u = self.users[i]
        return ok({"id": i, "name": u["name"], "scope": u["scope"],
                   "descr": u["descr"], "password": "********"})

    RULE = {"type": None, "interface": None, "ipprotocol": None,
            "protocol": None, "icmptype": None, "source": None,
            "source_port": None, "destination": None,
            "destination_port": None, "descr": "", "disabled": False,
            "log": False, "statetype": "keep state", "tcp_flags_any": False,
            "gateway": None, "floating": False, "quick": False,
            "direction": None, "tracker": None,
            "associated_rule_id": None}

    def rule(self, req):
        return self.crud(req, self.fw_rules, self.RULE, self.check_rule,
                         "filter")

    def rules(self, req):
        return self.plural(req, self.fw_rules)

    NAT = {"interface": None, "ipprotocol": "inet", "protocol": None,
           "source": "any", "source_port": None, "destination": None,
           "destination_port": None, "target": None, "local_port": None,
           "disabled": False, "nordr": False, "nosync": False, "descr": "",
           "natreflection": None, "associated_rule_id": ""}

    def port_forward(self, req):
        return self.crud(req, self.nat_rules, self.NAT, self.check_nat, "nat")

    def port_forwards(self, req):
        return self.plural(req, self.nat_rules)

    ROUTE = {"network": None, "gateway": None, "descr": "",
             "disabled": False}

    def static_route(self, req):
        return self.crud(req, self.st_routes, self.ROUTE, self.check_route,
                         "routes")

    def static_routes(self, req):
        return self.plural(req, self.st_routes)

    def apply(self, req, subsystems):
        self.bad_method(req, ("GET", "POST"))
        self.auth(req)
        if req.method == "POST":
            for s in subsystems:
                self.pending.discard(s)
                table = {"filter": self.fw_rules, "nat": self.nat_rules,
                         "routes": self.st_routes}[s]
                self.applied[s] = copy.deepcopy(table)
            self.save()
        pend = sorted(self.pending & set(subsystems))
        return ok({"applied": not pend, "pending_subsystems": pend})

    def firewall_apply(self, req):
        return self.apply(req, ("filter", "nat"))

    def routing_apply(self, req):
        return self.apply(req, ("routes",))


if __name__ == "__main__":
    sys.exit(vnfsim.main(PfSense))
