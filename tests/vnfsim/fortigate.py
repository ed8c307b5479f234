"""A FortiGate (FortiOS 7.x REST API) simulator, for tests only.

It stands in for a FortiGate-VM's REST API as FortiOS 7.2 documents and
answers it:

- authentication by a REST API administrator's API key, sent as
  "Authorization: Bearer KEY" (or the access_token query parameter);
  a missing or wrong key is HTTP 401 with the httpsd's HTML page;
- the vdom query parameter on every call (an unknown vdom is HTTP 400,
  "invalid vdom"); each vdom has its own configuration;
- the CMDB tables firewall/address, firewall.service/custom,
  firewall/policy, router/static and system/global: GET of a table
  (results: a list) or of one entry by its mkey (results: a list of one,
  or the object itself with --set get_shape=object, as some monitor
  calls do), POST (a new entry; mkey answered), PUT (changes the given
  attributes), DELETE;
- the monitor call system/status.

Answers carry FortiOS's envelope (http_method, revision, mkey, status,
http_status, vdom, path, name, serial, version, build).  Errors are
FortiOS's: 404 for a missing entry; 424 with error -3 and a cli_error
text for a reference to an object that does not exist (an address, a
service, an interface); 500 with error -5 for a duplicate, -23 for an
entry still in use, -651 for an invalid value, -56 for a missing
mandatory attribute; 400 for a body that is not JSON; 405 for a method
the path does not take.

Settings (--set): token (required), vdoms (comma list, default root),
hostname, serial, version, build, get_shape (list or object).
"""
import functools
import ipaddress
import json
import os
import sys
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vnfsim  # noqa: E402
from vnfsim import HTTPError  # noqa: E402

UNAUTHORIZED = """<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>401 Unauthorized</title>
</head><body>
<h1>Unauthorized</h1>
<p>This server could not verify that you
are authorized to access the document
requested.  Either you supplied the wrong
credentials (e.g., bad password), or your
browser doesn't understand how to supply
the credentials required.</p>
</body></html>
"""

INTERFACES = ["any", "port1", "port2", "port3", "port4"]
PREDEFINED_SERVICES = {
    "ALL": {"protocol": "IP", "protocol-number": 0},
    "ALL_TCP": {"protocol": "TCP/UDP/SCTP", "tcp-portrange": "1-65535"},
    "ALL_UDP": {"protocol": "TCP/UDP/SCTP", "udp-portrange": "1-65535"},
    "ALL_ICMP": {"protocol": "ICMP"},
    "HTTP": {"protocol": "TCP/UDP/SCTP", "tcp-portrange": "80"},
    "HTTPS": {"protocol": "TCP/UDP/SCTP", "tcp-portrange": "443"},
    "SSH": {"protocol": "TCP/UDP/SCTP", "tcp-portrange": "22"},
    "DNS": {"protocol": "TCP/UDP/SCTP", "tcp-portrange": "53",
            "udp-portrange": "53"},
}
SCHEDULES = ["always", "none"]

# table -> (path, name, mkey attribute, mkey is an integer)
TABLES = {
    "firewall/address": ("firewall", "address", "name", False),
    "firewall.service/custom": ("firewall.service", "custom", "name", False),
    "firewall/policy": ("firewall", "policy", "policyid", True),
    "router/static": ("router", "static", "seq-num", True),
}


def pretty(out):
    """FortiOS writes its JSON indented by two, no space after ':'."""
    status, body = out[0], out[1]
    headers = dict(out[2]) if len(out) > 2 and out[2] else {}
    if isinstance(body, (dict, list)):
        body = (json.dumps(body, indent=2, separators=(",", ":")) +
                "\n").encode()
        headers["Content-Type"] = "application/json"
    return status, body, headers


def fortios(fn):
    """A handler whose answers, errors included, FortiOS formats."""
    @functools.wraps(fn)
    def wrapper(self, req):
        try:
            return pretty(fn(self, req))
        except HTTPError as e:
            return pretty((e.status, e.body, e.headers))
    return wrapper


def cli_fail(code, text):
    return "%s\nCommand fail. Return code %d" % (text, code)


class FortiGate(vnfsim.Sim):
    """FortiOS 7.x REST API simulator."""

    SERVER = "xxxxxxxx-xxxxx"      # FortiOS hides its server banner
    T = r"(?P<table>firewall/address|firewall\.service/custom|firewall/policy|router/static)"
    ROUTES = [
        ("GET", r"^/api/v2/monitor/system/status/?$", "status"),
        ("GET", r"^/api/v2/cmdb/system/global/?$", "global_get"),
        ("PUT", r"^/api/v2/cmdb/system/global/?$", "global_put"),
        ("GET", r"^/api/v2/cmdb/" + T + r"/?$", "cmdb_list"),
        ("POST", r"^/api/v2/cmdb/" + T + r"/?$", "cmdb_create"),
        ("GET", r"^/api/v2/cmdb/" + T + r"/(?P<mkey>[^/]+)$", "cmdb_get"),
        ("PUT", r"^/api/v2/cmdb/" + T + r"/(?P<mkey>[^/]+)$", "cmdb_update"),
        ("DELETE", r"^/api/v2/cmdb/" + T + r"/(?P<mkey>[^/]+)$",
         "cmdb_delete"),
    ]

    def configure(self, settings):
        self.token = settings.get("token")
        if not self.token:
            raise SystemExit("fortigate.py: --set token=... is required")
        self.serial = settings.get("serial", "FGVMEVSIMULATOR01")
        self.version = settings.get("version", "v7.2.8")
        self.build = int(settings.get("build", "1639"))
        self.get_shape = settings.get("get_shape", "list")
        self.rev = 1
        self.vdoms = {}
        for v in settings.get("vdoms", "root").split(","):
            self.vdoms[v] = {
                "global": {"hostname": settings.get("hostname", "FGVM01"),
                           "admin-sport": 443, "timezone": "00"},
                "firewall/address": [
                    {"name": "all", "type": "ipmask",
                     "subnet": "0.0.0.0 0.0.0.0", "comment": ""},
                    {"name": "none", "type": "ipmask",
                     "subnet": "0.0.0.0 255.255.255.255", "comment": ""},
                ],
                "firewall.service/custom": [
                    dict({"name": n, "comment": ""}, **a)
                    for n, a in PREDEFINED_SERVICES.items()],
                "firewall/policy": [],
                "router/static": [],
            }

    # ---- the envelope ---------------------------------------------------

    def revision(self):
        return uuid.UUID(int=self.rev).hex

    def env(self, req, table=None, status="success", http_status=200,
            **extra):
        """FortiOS's envelope, its members in FortiOS's order.

        EXTRA: revision_changed, old_revision, mkey (writes), size,
        matched_count, next_idx, results (reads), error, cli_error
        (errors)."""
        if table in TABLES:
            path, name = TABLES[table][0], TABLES[table][1]
        elif table:
            path, name = table.split("/", 1)
        else:
            path, name = "", ""
        e = {"http_method": req.method}
        if status == "success":
            for k in ("size", "matched_count", "next_idx"):
                if k in extra:
                    e[k] = extra.pop(k)
            e["revision"] = self.revision()
            for k in ("revision_changed", "old_revision", "mkey"):
                if k in extra:
                    e[k] = extra.pop(k)
            if "results" in extra:
                e["results"] = extra.pop("results")
        else:
            if "mkey" in extra:
                e["mkey"] = extra.pop("mkey")
        tail = {"vdom": req.query.get("vdom", "root"), "path": path,
                "name": name}
        if status == "success":
            e.update(tail)
            e.update({"status": status, "http_status": http_status})
        else:
            e.update({"status": status, "http_status": http_status})
            for k in ("error", "cli_error"):
                if k in extra:
                    e[k] = extra.pop(k)
            e.update(tail)
        e.update(extra)
        e.update({"serial": self.serial, "version": self.version,
                  "build": self.build})
        return e

    def error(self, req, table, http_status, code=None, cli=None, **extra):
        if code is not None:
            extra["error"] = code
        if cli is not None:
            extra["cli_error"] = cli
        raise HTTPError(http_status, self.env(req, table, status="error",
                                              http_status=http_status,
                                              **extra))

    def auth(self, req):
        """The vdom's configuration once the API key is right."""
        key = req.bearer() or req.query.get("access_token")
        if key != self.token:
            raise HTTPError(401, UNAUTHORIZED,
                            {"Content-Type": "text/html; charset=iso-8859-1"})
        vdom = req.query.get("vdom", "root")
        if vdom not in self.vdoms:
            raise HTTPError(400, {"http_method": req.method,
                                  "status": "error", "http_status": 400,
                                  "error": -1,
                                  "cli_error": "invalid vdom: %s" % vdom,
                                  "vdom": vdom, "serial": self.serial,
                                  "version": self.version,
                                  "build": self.build})
        return self.vdoms[vdom]

    def body(self, req, table):
        try:
            obj = req.json((400, None))
        except HTTPError:
            obj = None
        if not isinstance(obj, dict):
            self.error(req, table, 400)
        return obj

    # ---- values -----------------------------------------------------------

    @staticmethod
    def subnet(value):
        """'a.b.c.d m.m.m.m' or 'a.b.c.d/len' -> 'a.b.c.d m.m.m.m'."""
        if not isinstance(value, str):
            raise ValueError(value)
        v = value.strip()
        if "/" in v:
            n = ipaddress.IPv4Interface(v)
        else:
            parts = v.split()
            if len(parts) != 2:
                raise ValueError(value)
            n = ipaddress.IPv4Interface("%s/%s" % tuple(parts))
        return "%s %s" % (n.ip, n.network.netmask)

    @staticmethod
    def names(value):
        """A FortiOS multi-value reference: [{"name": ...}, ...]."""
        if not isinstance(value, list) or not value:
            raise ValueError(value)
        out = []
        for item in value:
            if not isinstance(item, dict) or not isinstance(
                    item.get("name"), str):
                raise ValueError(value)
            out.append(item["name"])
        return out

    def check(self, req, table, vd, obj, new):
        """Validate OBJ for TABLE as FortiOS does; normalize it in place."""
        def invalid(attr, val):
            self.error(req, table, 500, -651,
                       cli_fail(-651, "%s: value parse error before '%s'"
                                % (attr, str(val)[:64])))

        def missing(attr):
            self.error(req, table, 500, -56,
                       cli_fail(-56, "Attribute '%s' MUST be set." % attr))

        def unknown(val):
            self.error(req, table, 424, -3,
                       cli_fail(-3, "entry not found in datasource\n\n"
                                "value parse error before '%s'" % val))

        if table == "firewall/address":
            if "subnet" in obj:
                try:
                    obj["subnet"] = self.subnet(obj["subnet"])
                except ValueError:
                    invalid("subnet", obj["subnet"])
            elif new:
                obj["subnet"] = "0.0.0.0 0.0.0.0"
            if obj.setdefault("type", "ipmask") != "ipmask":
                invalid("type", obj["type"])
            if len(obj.get("comment", "")) > 255:
                invalid("comment", obj["comment"])
        elif table == "firewall.service/custom":
            obj.setdefault("protocol", "TCP/UDP/SCTP")
            for attr in ("tcp-portrange", "udp-portrange"):
                if attr in obj:
                    for r in str(obj[attr]).split():
                        lo, _, hi = r.partition("-")
                        ok = lo.isdigit() and 0 < int(lo) < 65536 and (
                            not hi or (hi.isdigit() and int(lo) <= int(hi)
                                       < 65536))
                        if not ok:
                            invalid(attr, obj[attr])
        elif table == "firewall/policy":
            for attr in ("srcintf", "dstintf", "srcaddr", "dstaddr",
                         "service"):
                if attr not in obj:
                    if new:
                        missing(attr)
                    continue
                try:
                    ns = self.names(obj[attr])
                except ValueError:
                    invalid(attr, obj[attr])
                if attr.endswith("intf"):
                    known = INTERFACES
                elif attr == "service":
                    known = [s["name"] for s in vd["firewall.service/custom"]]
                else:
                    known = [a["name"] for a in vd["firewall/address"]]
                for n in ns:
                    if n not in known:
                        unknown(n)
                obj[attr] = [{"name": n, "q_origin_key": n} for n in ns]
            if obj.setdefault("action", "deny") not in ("accept", "deny",
                                                          "ipsec"):
                invalid("action", obj["action"])
            if obj.setdefault("schedule", "always") not in SCHEDULES:
                unknown(obj["schedule"])
            for attr, default in (("status", "enable"), ("nat", "disable"),
                                  ("logtraffic", "utm"),
                                  ("send-deny-packet", "disable")):
                if obj.setdefault(attr, default) not in ("enable",
                                                         "disable") and \
                        attr != "logtraffic":
                    invalid(attr, obj[attr])
            if len(obj.get("name", "")) > 35:
                invalid("name", obj["name"])
            if len(obj.get("comments", "")) > 1023:
                invalid("comments", obj["comments"])
            obj.setdefault("name", "")
            obj.setdefault("comments", "")
            obj.setdefault("uuid", str(uuid.uuid4()))
        elif table == "router/static":
            if "dst" in obj:
                try:
                    obj["dst"] = self.subnet(obj["dst"])
                except ValueError:
                    invalid("dst", obj["dst"])
            elif new:
                obj["dst"] = "0.0.0.0 0.0.0.0"
            if "gateway" in obj:
                try:
                    ipaddress.IPv4Address(obj["gateway"])
                except ValueError:
                    invalid("gateway", obj["gateway"])
            if new and not obj.get("device"):
                missing("device")
            if "device" in obj and obj["device"] not in INTERFACES[1:]:
                unknown(obj["device"])
            d = obj.setdefault("distance", 10)
            if not isinstance(d, int) or not 1 <= d <= 255:
                invalid("distance", d)
            obj.setdefault("status", "enable")
            obj.setdefault("comment", "")

    # ---- handlers ---------------------------------------------------------

    @fortios
    def status(self, req):
        vd = self.auth(req)
        return 200, dict(self.env(req, "system/status"), results={
            "model_name": "FortiGate", "model_number": "VM64",
            "model": "FGVM64", "hostname": vd["global"]["hostname"],
            "log_disk_status": "available"})

    @fortios
    def global_get(self, req):
        vd = self.auth(req)
        return 200, dict(self.env(req, "system/global"),
                         results=dict(vd["global"]))

    @fortios
    def global_put(self, req):
        vd = self.auth(req)
        obj = self.body(req, "system/global")
        h = obj.get("hostname")
        if h is not None and (not isinstance(h, str) or not 0 < len(h) <= 35):
            self.error(req, "system/global", 500, -651,
                       cli_fail(-651, "value parse error before '%s'"
                                % str(h)[:64]))
        vd["global"].update(obj)
        self.rev += 1
        return 200, self.env(req, "system/global")

    def find(self, vd, table, mkey):
        attr = TABLES[table][2]
        for i, o in enumerate(vd[table]):
            if str(o[attr]) == mkey:
                return i, o
        return None, None

    def one(self, req, vd, table):
        mkey = urllib.parse.unquote(req.match.group("mkey"))
        i, o = self.find(vd, table, mkey)
        if o is None:
            self.error(req, table, 404, mkey=mkey)
        return i, o

    @fortios
    def cmdb_list(self, req):
        vd = self.auth(req)
        table = req.match.group("table")
        rows = [dict(o, q_origin_key=o[TABLES[table][2]])
                for o in vd[table]]
        return 200, self.env(req, table, size=len(rows),
                             matched_count=len(rows),
                             next_idx=len(rows) - 1, results=rows)

    @fortios
    def cmdb_get(self, req):
        vd = self.auth(req)
        table = req.match.group("table")
        _, o = self.one(req, vd, table)
        o = dict(o, q_origin_key=o[TABLES[table][2]])
        res = o if self.get_shape == "object" else [o]
        return 200, self.env(req, table, size=1, matched_count=1,
                             next_idx=0, results=res)

    @fortios
    def cmdb_create(self, req):
        vd = self.auth(req)
        table = req.match.group("table")
        attr, isint = TABLES[table][2], TABLES[table][3]
        obj = self.body(req, table)
        if isint:
            k = obj.get(attr, 0)
            if not isinstance(k, int) or k < 0 or k > 4294967294:
                self.error(req, table, 500, -651,
                           cli_fail(-651, "value parse error before '%s'"
                                    % k))
            if k == 0:
                k = max([o[attr] for o in vd[table]] + [0]) + 1
            obj[attr] = k
        else:
            k = obj.get(attr)
            if not isinstance(k, str) or not k:
                self.error(req, table, 500, -56,
                           cli_fail(-56, "Attribute '%s' MUST be set." % attr))
            if len(k) > 79:
                self.error(req, table, 500, -651,
                           cli_fail(-651, "value parse error before '%s'"
                                    % k[:64]))
        if self.find(vd, table, str(k))[1] is not None:
            self.error(req, table, 500, -5,
                       cli_fail(-5, "A duplicate entry already exists."),
                       mkey=k)
        self.check(req, table, vd, obj, True)
        vd[table].append(obj)
        old = self.revision()
        self.rev += 1
        return 200, self.env(req, table, revision_changed=True,
                             old_revision=old, mkey=k)

    @fortios
    def cmdb_update(self, req):
        vd = self.auth(req)
        table = req.match.group("table")
        attr = TABLES[table][2]
        i, o = self.one(req, vd, table)
        obj = self.body(req, table)
        obj.pop(attr, None)
        new = dict(o)
        new.update(obj)
        self.check(req, table, vd, new, False)
        vd[table][i] = new
        old = self.revision()
        self.rev += 1
        return 200, self.env(req, table, revision_changed=True,
                             old_revision=old, mkey=o[attr])

    def referenced(self, vd, table, name):
        if table == "firewall/address":
            attrs = ("srcaddr", "dstaddr")
        elif table == "firewall.service/custom":
            attrs = ("service",)
        else:
            return False
        return any(r["name"] == name for p in vd["firewall/policy"]
                   for a in attrs for r in p.get(a, []))

    @fortios
    def cmdb_delete(self, req):
        vd = self.auth(req)
        table = req.match.group("table")
        attr = TABLES[table][2]
        i, o = self.one(req, vd, table)
        if self.referenced(vd, table, o[attr]):
            self.error(req, table, 500, -23,
                       cli_fail(-23, "The entry is used by other 1 "
                                "entries"), mkey=o[attr])
        del vd[table][i]
        old = self.revision()
        self.rev += 1
        return 200, self.env(req, table, revision_changed=True,
                             old_revision=old, mkey=o[attr])

    @fortios
    def not_found(self, req):
        # httpsd's answer to a path no API serves (to a known key)
        self.auth(req)
        return 404, {"http_method": req.method, "status": "error",
                     "http_status": 404, "serial": self.serial,
                     "version": self.version, "build": self.build}

    @fortios
    def method_not_allowed(self, req):
        self.auth(req)
        return 405, {"http_method": req.method, "status": "error",
                     "http_status": 405, "serial": self.serial,
                     "version": self.version, "build": self.build}

    def dump(self):
        return self.vdoms


if __name__ == "__main__":
    sys.exit(vnfsim.main(FortiGate))
