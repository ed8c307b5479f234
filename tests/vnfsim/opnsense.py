"""An OPNsense appliance's REST API (test fixture, not product).

What it models, after the OPNsense API documentation
(docs.opnsense.org/development/api): API key and secret as HTTP Basic
auth (a wrong pair answers 401 {"status":401,"message":"Authentication
Failed"}); the MVC controllers' conventions: add/set/del answer HTTP 200
with {"result":"saved"|"deleted"|"failed"|"not found"} and validation
errors as {"result":"failed","validations":{"rule.field":"text"}},
getRule of an unknown uuid answers [] and a search answers {"rows":[...],
"rowCount","total","current"}; a JSON body that does not parse answers
400 {"status":400,"message":"Invalid JSON syntax"}.  Controllers:

  firewall/filter      addRule searchRule getRule setRule delRule apply
  firewall/d_nat       add_rule search_rule get_rule set_rule del_rule apply
  routes/routes        addroute searchroute getroute setroute delroute
                       reconfigure
  core/system/status   the system status (health)
  core/firmware/status the firmware status

Commands are accepted in camelCase and snake_case, as OPNsense routes
both.  Changes are staged until apply (reconfigure for routes): the
state file shows the configuration and what was applied.

Settings (--set): key, secret, version, interfaces (comma-separated,
default lan,wan,opt1), gateways (comma-separated gateway names).
The state is written as JSON to opnsense-state.json beside --port-file
after every change, for the test to read.
"""
import copy
import ipaddress
import json
import os
import re
import sys
import uuid as uuidlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vnfsim  # noqa: E402
from vnfsim import HTTPError  # noqa: E402

UUID = r"(?P<uuid>[^/]*)"
BAD_JSON = (400, {"status": 400, "message": "Invalid JSON syntax"})

FILTER_ACTIONS = {"pass": "Pass", "block": "Block", "reject": "Reject"}
PROTOCOLS = ["any", "TCP", "UDP", "TCP/UDP", "ICMP", "ESP", "AH", "GRE",
             "IPV6-ICMP"]


def cmd(*names):
    """A regex alternative of command spellings (camelCase, snake_case)."""
    return "(?:%s)" % "|".join(names)


class OPNsense(vnfsim.Sim):
    """OPNsense REST API simulator."""

    SERVER = "OPNsense"
    F = "/api/firewall/filter/"
    D = "/api/firewall/d_nat/"
    R = "/api/routes/routes/"
    ROUTES = [
        ("POST", "^" + F + cmd("addRule", "add_rule") + "$", "f_add"),
        ("*", "^" + F + cmd("searchRule", "search_rule") + "$", "f_search"),
        ("GET", "^" + F + cmd("getRule", "get_rule") + "(?:/" + UUID + ")?$",
         "f_get"),
        ("*", "^" + F + cmd("setRule", "set_rule") + "/" + UUID + "$",
         "f_set"),
        ("*", "^" + F + cmd("delRule", "del_rule") + "/" + UUID + "$",
         "f_del"),
        ("POST", "^" + F + "apply(?:/(?P<rev>[^/]*))?$", "f_apply"),
        ("POST", "^" + D + cmd("addRule", "add_rule") + "$", "d_add"),
        ("*", "^" + D + cmd("searchRule", "search_rule") + "$", "d_search"),
        ("GET", "^" + D + cmd("getRule", "get_rule") + "(?:/" + UUID + ")?$",
         "d_get"),
        ("*", "^" + D + cmd("setRule", "set_rule") + "/" + UUID + "$",
         "d_set"),
        ("*", "^" + D + cmd("delRule", "del_rule") + "/" + UUID + "$",
         "d_del"),
        ("POST", "^" + D + "apply$", "d_apply"),
        ("POST", "^" + R + cmd("addroute", "add_route") + "$", "r_add"),
        ("*", "^" + R + cmd("searchroute", "search_route") + "$",
         "r_search"),
        ("GET", "^" + R + cmd("getroute", "get_route") + "(?:/" + UUID +
         ")?$", "r_get"),
        ("*", "^" + R + cmd("setroute", "set_route") + "/" + UUID + "$",
         "r_set"),
        ("*", "^" + R + cmd("delroute", "del_route") + "/" + UUID + "$",
         "r_del"),
        ("POST", "^" + R + "reconfigure$", "r_reconfigure"),
        ("GET", "^/api/core/system/status$", "system_status"),
        ("GET", "^/api/core/firmware/status$", "firmware_status"),
    ]

    def configure(self, s):
        self.key = s.get("key", "opn-key")
        self.secret = s.get("secret", "opn-secret")
        self.version = s.get("version", "25.7")
        self.interfaces = s.get("interfaces", "lan,wan,opt1").split(",")
        self.gateways = s.get("gateways", "WAN_GW,LAN_GW").split(",")
        self.filter = {}          # uuid -> rule (configuration)
        self.dnat = {}
        self.routes = {}
        self.applied = {"filter": {}, "dnat": {}, "routes": {}}
        self.applies = {"filter": 0, "dnat": 0, "routes": 0}
        self.state_file = None
        argv = sys.argv
        if "--port-file" in argv:
            pf = argv[argv.index("--port-file") + 1]
            self.state_file = os.path.join(os.path.dirname(pf),
                                           "opnsense-state.json")
        self.save()

    # --- plumbing ---------------------------------------------------------
    def dump(self):
        return {"filter": self.filter, "dnat": self.dnat,
                "routes": self.routes, "applied": self.applied,
                "applies": self.applies}

    def save(self):
        if self.state_file is None:
            return
        with open(self.state_file + ".tmp", "w") as f:
            json.dump(self.dump(), f, indent=1)
        os.replace(self.state_file + ".tmp", self.state_file)

    def auth(self, req):
        cred = req.basic_auth()
        if cred != (self.key, self.secret):
            raise HTTPError(401, {"status": 401,
                                  "message": "Authentication Failed"})

    def not_found(self, req):
        self.auth(req)
        return 404, {"errorMessage": "Endpoint not found",
                     "errorTitle": "An error occurred"}

    def method_not_allowed(self, req):
        self.auth(req)
        return 200, {"result": "failed"}

    def body(self, req, root):
        """The posted object under ROOT ("rule", "route")."""
        ctype = req.headers.get("content-type", "")
        if "json" in ctype:
            doc = req.json(BAD_JSON)
        else:
            doc = {}
        if not isinstance(doc, dict) or not isinstance(doc.get(root), dict):
            return None
        return doc[root]

    @staticmethod
    def search(rows, req, view):
        phrase = req.query.get("searchPhrase", "")
        out = [dict(view(v), uuid=k) for k, v in rows.items()
               if not phrase or phrase in json.dumps(v)]
        return 200, {"rows": out, "rowCount": len(out), "total": len(out),
                     "current": 1}

    def add(self, req, table, root, defaults, check):
        self.auth(req)
        obj = self.body(req, root)
        if obj is None:
            return 200, {"result": "failed"}
        new = dict(defaults)
        new.update({k: str(v) for k, v in obj.items() if k in defaults})
        errs = check(new, root)
        if errs:
            return 200, {"result": "failed", "validations": errs}
        u = str(uuidlib.uuid4())
        table[u] = new
        self.save()
        return 200, {"result": "saved", "uuid": u}

    def set(self, req, table, root, check):
        self.auth(req)
        if req.method != "POST":
            return 200, {"result": "failed"}
        u = req.match.group("uuid")
        obj = self.body(req, root)
        if u not in table or obj is None:
            return 200, {"result": "failed"}
        new = dict(table[u])
        new.update({k: str(v) for k, v in obj.items() if k in new})
        errs = check(new, root)
        if errs:
            return 200, {"result": "failed", "validations": errs}
        table[u] = new
        self.save()
        return 200, {"result": "saved"}

    def delete(self, req, table):
        self.auth(req)
        if req.method != "POST":
            return 200, {"result": "failed"}
        u = req.match.group("uuid")
        if u not in table:
            return 200, {"result": "not found"}
        del table[u]
        self.save()
        return 200, {"result": "deleted"}

    def get(self, req, table, root, options):
        self.auth(req)
        u = req.match.group("uuid")
        if u not in table:
            return 200, []
        rec = dict(table[u])
        for field, opts in options.items():
            cur = rec.get(field, "")
            rec[field] = {k: {"value": v, "selected": 1 if k == cur else 0}
                          for k, v in opts.items()}
        return 200, {root: rec}

    # --- validation ---------------------------------------------------------
    def net_ok(self, v):
        if v in ("any", "") or v in self.interfaces or \
                re.fullmatch(r"[a-z]+ip", v):
            return True
        try:
            ipaddress.ip_network(v, strict=False)
            return True
        except ValueError:
            return False

    @staticmethod
    def family(v):
        try:
            return ipaddress.ip_network(v, strict=False).version
        except ValueError:
            return None

    @staticmethod
    def port_ok(v):
        if v == "":
            return True
        m = re.fullmatch(r"(\d{1,5})(?:[-:](\d{1,5}))?", v)
        return bool(m) and all(1 <= int(p) <= 65535
                               for p in m.groups() if p)

    def check_filter(self, r, root):
        e = {}
        if r["action"] not in FILTER_ACTIONS:
            e[root + ".action"] = "option not in list"
        if r["direction"] not in ("in", "out"):
            e[root + ".direction"] = "option not in list"
        if r["ipprotocol"] not in ("inet", "inet6", "inet46"):
            e[root + ".ipprotocol"] = "option not in list"
        if r["protocol"] not in PROTOCOLS:
            e[root + ".protocol"] = "option not in list"
        for i in filter(None, r["interface"].split(",")):
            if i not in self.interfaces:
                e[root + ".interface"] = "option not in list"
        fam = {"inet": 4, "inet6": 6}.get(r["ipprotocol"])
        for side, label in (("source", "Source"),
                            ("destination", "Destination")):
            net = r[side + "_net"]
            if not self.net_ok(net):
                e[root + "." + side + "_net"] = (
                    "%s is not a valid %s IP address or alias." %
                    (net, side))
            elif fam and self.family(net) not in (None, fam):
                e[root + "." + side + "_net"] = (
                    "%s address type should match the selected IP "
                    "protocol." % label)
            port = r[side + "_port"]
            if not self.port_ok(port):
                e[root + "." + side + "_port"] = (
                    "%s is not a valid port or alias." % port)
            elif port and r["protocol"] not in ("TCP", "UDP", "TCP/UDP"):
                e[root + "." + side + "_port"] = (
                    "Ports are only valid for tcp or udp type rules.")
        if len(r["description"]) > 255:
            e[root + ".description"] = "Text too long (max 255)."
        return e

    def check_dnat(self, r, root):
        e = {}
        if r["interface"] not in self.interfaces:
            e[root + ".interface"] = "option not in list"
        if r["protocol"] not in ("TCP", "UDP", "TCP/UDP"):
            e[root + ".protocol"] = "option not in list"
        if not self.net_ok(r["destination_net"]):
            e[root + ".destination_net"] = (
                "%s is not a valid destination IP address or alias." %
                r["destination_net"])
        if not r["destination_port"] or \
                not self.port_ok(r["destination_port"]):
            e[root + ".destination_port"] = (
                "Please specify a valid port or port range.")
        try:
            ipaddress.ip_address(r["target"])
        except ValueError:
            e[root + ".target"] = "A valid redirect target IP address " \
                "must be specified."
        if not r["local_port"] or not self.port_ok(r["local_port"]):
            e[root + ".local_port"] = "Please specify a valid redirect " \
                "target port."
        return e

    def check_route(self, r, root):
        e = {}
        try:
            ipaddress.ip_network(r["network"], strict=False)
            if "/" not in r["network"]:
                raise ValueError
        except ValueError:
            e[root + ".network"] = "Please specify a valid network " \
                "segment or IP address."
        if r["gateway"] not in self.gateways:
            e[root + ".gateway"] = "option not in list"
        if r["disabled"] not in ("0", "1"):
            e[root + ".disabled"] = "Invalid boolean value."
        return e

    # --- firewall/filter ---------------------------------------------------
    FILTER_DEFAULTS = {
        "enabled": "1", "sequence": "1", "action": "pass", "quick": "1",
        "interface": "", "direction": "in", "ipprotocol": "inet",
        "protocol": "any", "source_net": "any", "source_port": "",
        "destination_net": "any", "destination_port": "", "gateway": "",
        "log": "0", "description": ""}

    def f_view(self, r):
        v = dict(r)
        v["action"] = FILTER_ACTIONS.get(r["action"], r["action"])
        return v

    def f_add(self, req):
        return self.add(req, self.filter, "rule", self.FILTER_DEFAULTS,
                        self.check_filter)

    def f_search(self, req):
        self.auth(req)
        return self.search(self.filter, req, self.f_view)

    def f_get(self, req):
        return self.get(req, self.filter, "rule", {
            "action": FILTER_ACTIONS,
            "direction": {"in": "In", "out": "Out"},
            "interface": {i: i.upper() for i in self.interfaces}})

    def f_set(self, req):
        return self.set(req, self.filter, "rule", self.check_filter)

    def f_del(self, req):
        return self.delete(req, self.filter)

    def f_apply(self, req):
        self.auth(req)
        self.applied["filter"] = copy.deepcopy(self.filter)
        self.applies["filter"] += 1
        self.save()
        return 200, {"status": "OK\n\n"}

    # --- firewall/d_nat ----------------------------------------------------
    DNAT_DEFAULTS = {
        "enabled": "1", "sequence": "1", "interface": "wan",
        "ipprotocol": "inet", "protocol": "TCP", "source_net": "any",
        "destination_net": "any", "destination_port": "", "target": "",
        "local_port": "", "log": "0", "description": ""}

    def d_add(self, req):
        return self.add(req, self.dnat, "rule", self.DNAT_DEFAULTS,
                        self.check_dnat)

    def d_search(self, req):
        self.auth(req)
        return self.search(self.dnat, req, dict)

    def d_get(self, req):
        return self.get(req, self.dnat, "rule", {
            "interface": {i: i.upper() for i in self.interfaces}})

    def d_set(self, req):
        return self.set(req, self.dnat, "rule", self.check_dnat)

    def d_del(self, req):
        return self.delete(req, self.dnat)

    def d_apply(self, req):
        self.auth(req)
        self.applied["dnat"] = copy.deepcopy(self.dnat)
        self.applies["dnat"] += 1
        self.save()
        return 200, {"status": "OK\n\n"}

    # --- routes/routes -------------------------------------------------------
    ROUTE_DEFAULTS = {"disabled": "0", "network": "", "gateway": "",
                      "descr": ""}

    def r_add(self, req):
        return self.add(req, self.routes, "route", self.ROUTE_DEFAULTS,
                        self.check_route)

    def r_search(self, req):
        self.auth(req)
        return self.search(self.routes, req, dict)

    def r_get(self, req):
        return self.get(req, self.routes, "route", {
            "gateway": {g: g for g in self.gateways}})

    def r_set(self, req):
        return self.set(req, self.routes, "route", self.check_route)

    def r_del(self, req):
        return self.delete(req, self.routes)

    def r_reconfigure(self, req):
        self.auth(req)
        self.applied["routes"] = copy.deepcopy(self.routes)
        self.applies["routes"] += 1
        self.save()
        return 200, {"status": "ok"}

    # --- core --------------------------------------------------------------
    def system_status(self, req):
        self.auth(req)
        return 200, {"metadata": {"system": {"status": 2,
                                             "message": "No pending messages",
                                             "title": "System"}},
                     "System": {"status": 2, "message":
                                "No pending messages", "title": "System"}}

    def firmware_status(self, req):
        self.auth(req)
        return 200, {"product": {"product_name": "OPNsense",
                                 "product_version": self.version},
                     "status": "none",
                     "status_msg": "There are no updates available on "
                     "the selected mirror."}


if __name__ == "__main__":
    sys.exit(vnfsim.main(OPNsense))
