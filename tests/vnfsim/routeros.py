"""A MikroTik RouterOS 7 REST API simulator (test fixture, not product).

RouterOS 7 serves its console menus over HTTPS under /rest, with HTTP
Basic authentication (a RouterOS user and its password):

    GET    /rest/MENU          the items, a JSON array of objects
    GET    /rest/MENU/*ID      one item
    PUT    /rest/MENU          add an item; answers the new item
    PATCH  /rest/MENU/*ID      change properties; answers the item
    DELETE /rest/MENU/*ID      remove it; 204, no body
    POST   /rest/MENU/COMMAND  a console command (set, remove, print...)

Items carry their internal id as ".id" ("*1", "*1A": hexadecimal after
the star) and every property as a string.  GET takes property filters
as query parameters (?chain=forward).  Errors are
{"error": CODE, "message": TEXT[, "detail": WHY]}: 401 Unauthorized for
missing or wrong credentials, 404 Not Found for an unknown id or menu,
400 Bad Request with the console's reason in "detail" ("unknown
parameter X", "input does not match any value of X", "missing =X=",
"invalid value for argument X", "failure: ...").  A path whose * is
percent-encoded (%2A1) is read as *1: the server decodes the path.

Menus simulated: /ip/firewall/filter, /ip/firewall/nat, /ip/route,
/user (with /user/set), /system/resource, /system/identity,
/interface (ether1, ether2, bridge1: in-interface must name one).

Settings (--set): user=admin, password=PASSWORD (required),
version=7.16.2.  --state writes {"tables": ..., "users": ...}.
"""
import ipaddress
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vnfsim  # noqa: E402
from vnfsim import HTTPError  # noqa: E402

INTERFACES = ["ether1", "ether2", "bridge1"]


def bad(detail):
    raise HTTPError(400, {"detail": detail, "error": 400,
                          "message": "Bad Request"})


def _enum(*vals):
    def ok(name, v):
        if v not in vals:
            bad("input does not match any value of %s" % name)
    return ok


def _addr(name, v):
    try:
        ipaddress.IPv4Network(v, strict=False)
    except ValueError:
        if re.fullmatch(r"[0-9.]+-[0-9.]+", v) is None:
            bad("invalid value for argument %s" % name)


def _ip(name, v):
    try:
        ipaddress.IPv4Address(v)
    except ValueError:
        bad("invalid value for argument %s" % name)


def _ports(name, v):
    for part in v.split(","):
        m = re.fullmatch(r"([0-9]{1,5})(?:-([0-9]{1,5}))?", part)
        if m is None or any(g is not None and int(g) > 65535
                            for g in m.groups()):
            bad("invalid value for argument %s" % name)


def _gateway(name, v):
    """An address, an interface, or ADDRESS%INTERFACE."""
    addr, _, itf = v.partition("%")
    if itf and itf not in INTERFACES:
        bad("input does not match any value of interface")
    if addr in INTERFACES and not itf:
        return
    _ip(name, addr)


def _iface(name, v):
    if v not in INTERFACES:
        bad("input does not match any value of interface")


def _text(name, v):
    pass


def _int(lo, hi):
    def ok(name, v):
        if re.fullmatch(r"[0-9]+", v) is None or not lo <= int(v) <= hi:
            bad("value of %s out of range (%d..%d)" % (name, lo, hi))
    return ok


def _bool(name, v):
    if v not in ("true", "false", "yes", "no"):
        bad("input does not match any value of %s" % name)


PROTOCOLS = ("tcp", "udp", "icmp", "gre", "ospf", "udp-lite", "sctp",
             "dccp", "ipsec-esp", "ipsec-ah", "icmpv6")

FILTER = {
    "chain": _text, "action": _enum("accept", "drop", "reject", "jump",
                                    "log", "passthrough", "return",
                                    "tarpit", "fasttrack-connection",
                                    "add-src-to-address-list",
                                    "add-dst-to-address-list"),
    "protocol": _enum(*PROTOCOLS), "src-address": _addr,
    "dst-address": _addr, "src-port": _ports, "dst-port": _ports,
    "in-interface": _iface, "out-interface": _iface, "comment": _text,
    "disabled": _bool, "log": _bool, "reject-with": _text,
}
NAT = dict(FILTER)
NAT.update({"action": _enum("dst-nat", "src-nat", "masquerade", "redirect",
                            "netmap", "accept", "return", "jump",
                            "passthrough"),
            "to-addresses": _addr, "to-ports": _ports})
ROUTE = {"dst-address": _addr, "gateway": _gateway, "distance": _int(1, 255),
         "comment": _text, "disabled": _bool, "routing-table": _text}

TABLES = {
    "ip/firewall/filter": FILTER,
    "ip/firewall/nat": NAT,
    "ip/route": ROUTE,
}


def check_ports(item):
    """The console refuses ports on protocols without them."""
    for p in ("src-port", "dst-port", "to-ports"):
        if p in item and item.get("protocol") not in ("tcp", "udp",
                                                      "udp-lite", "sctp",
                                                      "dccp"):
            bad("failure: %s can be used only with protocol tcp, udp, "
                "udp-lite, sctp or dccp" % p)


class RouterOS(vnfsim.Sim):
    """RouterOS 7 REST API simulator."""

    SERVER = "RouterOS"
    ROUTES = [
        ("GET", r"^/rest/(?P<menu>ip/firewall/filter|ip/firewall/nat|ip/route)$", "print"),
        ("PUT", r"^/rest/(?P<menu>ip/firewall/filter|ip/firewall/nat|ip/route)$", "add"),
        ("GET", r"^/rest/(?P<menu>ip/firewall/filter|ip/firewall/nat|ip/route)/(?P<id>[^/]+)$", "get"),
        ("PATCH", r"^/rest/(?P<menu>ip/firewall/filter|ip/firewall/nat|ip/route)/(?P<id>[^/]+)$", "patch"),
        ("DELETE", r"^/rest/(?P<menu>ip/firewall/filter|ip/firewall/nat|ip/route)/(?P<id>[^/]+)$", "remove"),
        ("GET", r"^/rest/user$", "users"),
        ("POST", r"^/rest/user/set$", "user_set"),
        ("PATCH", r"^/rest/user/(?P<id>[^/]+)$", "user_patch"),
        ("GET", r"^/rest/system/resource$", "resource"),
        ("GET", r"^/rest/system/identity$", "identity"),
        ("GET", r"^/rest/interface$", "interfaces"),
    ]

    def configure(self, settings):
        if "password" not in settings:
            raise SystemExit("routeros.py: --set password=... is required")
        self.version = settings.get("version", "7.16.2")
        self.users = [{".id": "*1", "name": settings.get("user", "admin"),
                       "group": "full", "disabled": "false",
                       "password": settings["password"]}]
        self.tables = {t: [] for t in TABLES}
        # RouterOS's own items: connected routes are dynamic
        self.tables["ip/route"].append({
            ".id": "*80000001", "dst-address": "198.18.0.0/24",
            "gateway": "ether1", "distance": "0", "dynamic": "true",
            "static": "false", "connect": "true", "active": "true",
            "disabled": "false", "routing-table": "main"})
        self.next_id = 1

    def dump(self):
        return {"tables": self.tables, "users": self.users}

    # Every request is authenticated first, as RouterOS's www does.
    def _auth(self, req):
        cred = req.basic_auth()
        for u in self.users:
            if cred and cred[0] == u["name"] and cred[1] == u["password"] \
                    and u["disabled"] == "false":
                return u
        raise HTTPError(401, {"error": 401, "message": "Unauthorized"},
                        {"WWW-Authenticate": 'Basic realm="RouterOS"'})

    def not_found(self, req):
        self._auth(req)
        return 404, {"error": 404, "message": "Not Found"}

    def method_not_allowed(self, req):
        self._auth(req)
        return 400, {"detail": "no such command or directory (%s)" %
                     req.path.rsplit("/", 1)[-1], "error": 400,
                     "message": "Bad Request"}

    def _body(self, req):
        d = req.json((400, {"detail": "JSON parse error", "error": 400,
                            "message": "Bad Request"}))
        if not isinstance(d, dict):
            bad("JSON parse error: expected an object")
        for k, v in d.items():
            if not isinstance(v, str):
                # RouterOS takes numbers and booleans as their text too
                if isinstance(v, bool):
                    d[k] = "true" if v else "false"
                elif isinstance(v, (int, float)):
                    d[k] = str(v)
                else:
                    bad("invalid value for argument %s" % k)
        return d

    def _find(self, menu, rid):
        rid = urllib.parse.unquote(rid)
        for item in self.tables[menu]:
            if item[".id"] == rid:
                return item
        raise HTTPError(404, {"error": 404, "message": "Not Found"})

    def _apply(self, menu, item, props):
        schema = TABLES[menu]
        for k, v in props.items():
            if k == ".id":
                continue
            if k not in schema:
                bad("unknown parameter %s" % k)
            schema[k](k, v)
        new = dict(item)
        new.update({k: v for k, v in props.items() if k != ".id"})
        check_ports(new)
        if menu == "ip/firewall/filter" and "chain" not in new:
            bad("missing =chain=")
        if menu == "ip/firewall/nat":
            if "chain" not in new:
                bad("missing =chain=")
            if new.get("action") == "dst-nat" and "to-addresses" not in new \
                    and "to-ports" not in new:
                bad("failure: dst-nat requires to-addresses or to-ports")
        if menu == "ip/route":
            if "gateway" not in new:
                bad("missing =gateway=")
            new.setdefault("dst-address", "0.0.0.0/0")
        return new

    def _defaults(self, menu):
        d = {"disabled": "false", "dynamic": "false", "invalid": "false"}
        if menu.startswith("ip/firewall"):
            d.update({"action": "accept", "log": "false", "log-prefix": "",
                      "bytes": "0", "packets": "0"})
        else:
            d.update({"distance": "1", "static": "true", "active": "true",
                      "routing-table": "main", "scope": "30",
                      "target-scope": "10"})
        return d

    def print(self, req):
        self._auth(req)
        menu = req.match["menu"]
        items = self.tables[menu]
        for k, v in req.query.items():
            items = [i for i in items if i.get(k) == v]
        return 200, items

    def add(self, req):
        self._auth(req)
        menu = req.match["menu"]
        props = self._body(req)
        item = self._apply(menu, self._defaults(menu), props)
        item = {".id": "*%X" % self.next_id, **item}
        self.next_id += 1
        self.tables[menu].append(item)
        return 200, item

    def get(self, req):
        self._auth(req)
        return 200, self._find(req.match["menu"], req.match["id"])

    def patch(self, req):
        self._auth(req)
        menu = req.match["menu"]
        item = self._find(menu, req.match["id"])
        new = self._apply(menu, item, self._body(req))
        item.clear()
        item.update(new)
        return 200, item

    def remove(self, req):
        self._auth(req)
        menu = req.match["menu"]
        item = self._find(menu, req.match["id"])
        if item.get("dynamic") == "true":
            bad("failure: cannot remove dynamic item")
        self.tables[menu].remove(item)
        return 204, b""

    def _user_view(self, u):
        return {k: v for k, v in u.items() if k != "password"}

    def users(self, req):
        self._auth(req)
        return 200, [self._user_view(u) for u in self.users]

    def _user(self, ref):
        ref = urllib.parse.unquote(ref)
        for u in self.users:
            if ref in (u[".id"], u["name"]):
                return u
        raise HTTPError(400, {"detail": "no such item", "error": 400,
                              "message": "Bad Request"})

    def _user_change(self, u, props):
        for k, v in props.items():
            if k in (".id", "numbers"):
                continue
            if k not in ("password", "group", "comment", "disabled"):
                bad("unknown parameter %s" % k)
            if k == "group" and v not in ("full", "read", "write"):
                bad("input does not match any value of group")
            u[k] = v

    def user_set(self, req):
        self._auth(req)
        props = self._body(req)
        ref = props.get(".id", props.get("numbers"))
        if ref is None:
            bad("missing =numbers=")
        self._user_change(self._user(ref), props)
        return 200, []

    def user_patch(self, req):
        self._auth(req)
        u = self._user(req.match["id"])
        if req.match["id"] != u[".id"] and \
                urllib.parse.unquote(req.match["id"]) != u[".id"]:
            raise HTTPError(404, {"error": 404, "message": "Not Found"})
        self._user_change(u, self._body(req))
        return 200, self._user_view(u)

    def resource(self, req):
        self._auth(req)
        return 200, {"architecture-name": "x86_64", "board-name": "CHR",
                     "cpu": "QEMU", "cpu-count": "1", "cpu-load": "1",
                     "free-memory": "200000000",
                     "total-memory": "268435456", "platform": "MikroTik",
                     "uptime": "1h2m3s",
                     "version": "%s (stable)" % self.version}

    def identity(self, req):
        self._auth(req)
        return 200, {"name": "MikroTik"}

    def interfaces(self, req):
        self._auth(req)
        return 200, [{".id": "*%X" % (i + 1), "name": n, "running": "true",
                      "type": "bridge" if n.startswith("bridge") else
                      "ether"} for i, n in enumerate(INTERFACES)]


if __name__ == "__main__":
    sys.exit(vnfsim.main(RouterOS))
