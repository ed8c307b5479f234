"""A VyOS 1.4/1.5 HTTP API simulator (test fixture, not product).

It answers the endpoints of VyOS's HTTP API as vyos-1x's REST router
does: POST /configure, /retrieve, /show and /config-file, each taking
the form fields `data` (a JSON command, or a list of them for
/configure) and `key` (the API key).  Answers are
{"success": true, "data": ..., "error": null} and, on failure,
{"success": false, "error": "...", "data": null} with the status VyOS
uses: 401 for a missing or wrong key ("Valid API key is required"),
400 for malformed JSON or commands, for a set or delete the
configuration refuses and for a commit that fails verification, 422
without a data field.

The configuration is a tree checked against a small reference tree,
the part of VyOS's configuration syntax the vendor dictionary uses:

    firewall ipv4 forward filter {default-action, rule N {...}}
    nat destination rule N {...}
    protocols static route CIDR {description, next-hop IP {distance, interface}}
    protocols bgp {system-as, neighbor IP {remote-as, description}}
    system {host-name, domain-name, time-zone}

A path outside it is refused as VyOS refuses it ("Configuration path:
[...] is not valid"), a bad value with "Invalid value".  A /configure
request is one transaction: its commands are applied to a candidate,
which is verified (the checks VyOS's firewall, nat, static and bgp
scripts make for these nodes) and committed, or discarded whole.
/config-file op save copies the running configuration to the saved
one.  --state writes {"running": ..., "saved": ..., "commits": N}.

Settings (--set): key=API-KEY (required), version=1.4.0,
hostname=vyos.  For tests that interrupt a client in the middle of a
request: hold=ENDPOINT[:OP] and hold_file=FILE make a request to
ENDPOINT (with a command of op OP, when given) wait, once its key is
checked, until FILE exists (at most 120 s), touching FILE.waiting
while it waits.  Without them nothing waits.
"""
import copy
import ipaddress
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vnfsim  # noqa: E402
from vnfsim import HTTPError  # noqa: E402


def _num(lo, hi):
    def ok(v):
        return re.fullmatch(r"[0-9]{1,10}", v) is not None and lo <= int(v) <= hi
    return ok


def _enum(*vals):
    return lambda v: v in vals


def _cidr4(v):
    try:
        ipaddress.IPv4Network(v, strict=False)
        return "/" in v
    except ValueError:
        return False


def _addr4(v):
    """An IPv4 address, prefix or range, as firewall and nat take them."""
    if "-" in v:
        a, _, b = v.partition("-")
        return _ip4(a) and _ip4(b)
    return _ip4(v) or _cidr4(v)


def _ip4(v):
    try:
        ipaddress.IPv4Address(v)
        return True
    except ValueError:
        return False


def _ip(v):
    try:
        ipaddress.ip_address(v)
        return True
    except ValueError:
        return False


def _port(v):
    """A port, a range or a comma list of them (VyOS's port syntax)."""
    for part in v.split(","):
        m = re.fullmatch(r"([0-9]{1,5})(?:-([0-9]{1,5}))?", part)
        if m is None:
            return False
        for g in m.groups():
            if g is not None and not 1 <= int(g) <= 65535:
                return False
    return True


def _text(v):
    return len(v) <= 255 and all(0x20 <= ord(c) != 0x7f for c in v)


def _ifname(v):
    return re.fullmatch(r"[a-zA-Z0-9._-]{1,15}\+?", v) is not None


def _hostname(v):
    return re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,62}", v) is not None


def _protocol(v):
    return (v in ("all", "tcp", "udp", "tcp_udp", "icmp", "gre", "esp",
                  "ah", "sctp", "ospf")
            or _num(0, 255)(v))


def _asn(v):
    return v in ("external", "internal") or _num(1, 4294967294)(v)


def leaf(check):
    return ("leaf", check)


def tag(check, children):
    return ("tag", check, children)


FW_RULE = {
    "action": leaf(_enum("accept", "drop", "reject", "continue", "return",
                         "jump", "queue")),
    "protocol": leaf(_protocol),
    "description": leaf(_text),
    "source": {"address": leaf(_addr4), "port": leaf(_port)},
    "destination": {"address": leaf(_addr4), "port": leaf(_port)},
    "inbound-interface": {"name": leaf(_ifname)},
    "outbound-interface": {"name": leaf(_ifname)},
}
NAT_RULE = {
    "description": leaf(_text),
    "protocol": leaf(_protocol),
    "inbound-interface": {"name": leaf(_ifname)},
    "source": {"address": leaf(_addr4), "port": leaf(_port)},
    "destination": {"address": leaf(_addr4), "port": leaf(_port)},
    "translation": {"address": leaf(_addr4), "port": leaf(_port)},
}
REF = {
    "firewall": {"ipv4": {"forward": {"filter": {
        "default-action": leaf(_enum("accept", "drop")),
        "rule": tag(_num(1, 999999), FW_RULE)}}}},
    "nat": {"destination": {"rule": tag(_num(1, 999999), NAT_RULE)}},
    "protocols": {
        "static": {"route": tag(_cidr4, {
            "description": leaf(_text),
            "next-hop": tag(_ip4, {"distance": leaf(_num(1, 255)),
                                   "interface": leaf(_ifname)})})},
        "bgp": {"system-as": leaf(_num(1, 4294967294)),
                "neighbor": tag(_ip, {"remote-as": leaf(_asn),
                                      "description": leaf(_text)})}},
    "system": {"host-name": leaf(_hostname), "domain-name": leaf(_text),
               "time-zone": leaf(_text)},
}


class ConfigError(Exception):
    """A ConfigSessionError: its text is what the API returns."""


def _walk_ref(path):
    """Check PATH against REF; returns the list of (kind, name) steps.

    Raises ConfigError with VyOS's words for a path or value it
    refuses."""
    node = REF
    steps = []
    i = 0
    shown = " ".join(path)
    while i < len(path):
        name = path[i]
        if isinstance(node, dict):
            if name not in node:
                raise ConfigError("Configuration path: [%s] is not valid\n"
                                  "Set failed\n" % shown)
            node = node[name]
            steps.append(("node", name))
            i += 1
            continue
        if node[0] == "tag":
            if not node[1](name):
                raise ConfigError("Invalid value\nValue validation failed\n"
                                  "Set failed\n")
            steps.append(("tagvalue", name))
            node = node[2]
            i += 1
            continue
        # a leaf: exactly one value follows
        if i != len(path) - 1:
            raise ConfigError("Configuration path: [%s] is not valid\n"
                              "Set failed\n" % shown)
        if not node[1](name):
            raise ConfigError("Invalid value\nValue validation failed\n"
                              "Set failed\n")
        steps.append(("value", name))
        return steps, None
    return steps, node


def _get(tree, path):
    """The subtree (or leaf value) at PATH in TREE, or None."""
    cur = tree
    for p in path:
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return cur


def cfg_set(tree, path):
    steps, rest = _walk_ref(path)
    if isinstance(rest, tuple) and rest[0] == "leaf":
        raise ConfigError("Configuration path: [%s] requires a value\n"
                          "Set failed\n" % " ".join(path))
    names = [n for _, n in steps]
    cur = tree
    if steps and steps[-1][0] == "value":
        for n in names[:-2]:
            cur = cur.setdefault(n, {})
        cur[names[-2]] = names[-1]      # a value replaces the old one
    else:
        for n in names:
            cur = cur.setdefault(n, {})


def cfg_delete(tree, path):
    chain = [tree]
    cur = tree
    for p in path[:-1]:
        if not isinstance(cur, dict) or p not in cur:
            raise ConfigError("Nothing to delete (the specified node does "
                              "not exist)\n\nDelete failed\n")
        cur = cur[p]
        chain.append(cur)
    last = path[-1] if path else None
    if isinstance(cur, dict) and last in cur:
        del cur[last]
    elif (len(path) >= 2 and isinstance(_get(tree, path[:-1]), str) and
          _get(tree, path[:-1]) == last):
        # delete ... LEAF VALUE
        del chain[-2][path[-2]]
        chain.pop()
    else:
        raise ConfigError("Nothing to delete (the specified node does not "
                          "exist)\n\nDelete failed\n")
    # empty nodes above go too, as the configuration backend prunes them
    for k in range(len(chain) - 1, 0, -1):
        if chain[k] == {}:
            parent = chain[k - 1]
            for name, v in list(parent.items()):
                if v is chain[k]:
                    del parent[name]
        else:
            break


def verify(tree):
    """The commit checks of VyOS's conf-mode scripts for these nodes."""
    errs = []
    rules = _get(tree, ["firewall", "ipv4", "forward", "filter", "rule"]) or {}
    for n, r in sorted(rules.items(), key=lambda x: int(x[0])):
        for side in ("source", "destination"):
            if "port" in r.get(side, {}):
                if "protocol" not in r:
                    errs.append(("firewall", "Protocol must be defined if "
                                 "specifying a port or port-group"))
                elif r["protocol"] not in ("tcp", "udp", "tcp_udp"):
                    errs.append(("firewall", "Protocol must be tcp, udp, or "
                                 "tcp_udp when specifying a port or "
                                 "port-group"))
        if "action" not in r:
            errs.append(("firewall", "Firewall rule %s requires an action "
                         "to be defined" % n))
    rules = _get(tree, ["nat", "destination", "rule"]) or {}
    for n, r in sorted(rules.items(), key=lambda x: int(x[0])):
        err = "Destination NAT configuration error in rule %s:" % n
        if "translation" not in r:
            errs.append(("nat", "%s translation requires address and/or "
                         "port" % err))
        for side in ("destination", "translation"):
            if "port" in r.get(side, {}) and \
                    r.get("protocol") not in ("tcp", "udp", "tcp_udp"):
                errs.append(("nat", "%s ports can only be specified when "
                             "protocol is either tcp, udp or tcp_udp!" % err))
                break
    routes = _get(tree, ["protocols", "static", "route"]) or {}
    for cidr, r in routes.items():
        if "next-hop" not in r:
            errs.append(("protocols static", "Static route %s needs a "
                         "next-hop, interface or blackhole" % cidr))
    bgp = _get(tree, ["protocols", "bgp"])
    if bgp:
        if "system-as" not in bgp:
            errs.append(("protocols bgp", "BGP system-as number must be "
                         "defined!"))
        for peer, c in (bgp.get("neighbor") or {}).items():
            if "remote-as" not in c:
                errs.append(("protocols bgp", "Neighbor %s: remote-as must "
                             "be set under neighbor or peer-group!" % peer))
    if errs:
        scope, msg = errs[0]
        raise ConfigError("[ %s ]\n%s\n\n[[%s]] failed\nCommit failed\n" %
                          (scope, msg, scope.split()[0]))


def to_ast(name, node):
    """VyOS's json_ast: the config tree as {name, data, children}."""
    if isinstance(node, str):
        return {"name": name, "data": {"values": [node], "comment": None,
                                       "tag": False, "leaf": True},
                "children": []}
    return {"name": name, "data": {"values": [], "comment": None,
                                   "tag": False, "leaf": False},
            "children": [to_ast(k, v) for k, v in node.items()]}


def ok(data):
    return 200, {"success": True, "data": data, "error": None}


def fail(status, msg):
    raise HTTPError(status, {"success": False, "error": msg, "data": None})


class VyOS(vnfsim.Sim):
    """VyOS HTTP API simulator."""

    SERVER = "nginx"
    ROUTES = [
        ("POST", r"^/configure$", "configure_ep"),   # configure() is Sim's
        ("POST", r"^/retrieve$", "retrieve"),
        ("POST", r"^/show$", "show"),
        ("POST", r"^/config-file$", "config_file"),
        ("GET", r"^/info$", "info"),
    ]

    def configure(self, settings):
        if "key" not in settings:
            raise SystemExit("vyos.py: --set key=API-KEY is required")
        self.version = settings.get("version", "1.4.0")
        self.running = {"system": {"host-name":
                                   settings.get("hostname", "vyos")}}
        self.saved = copy.deepcopy(self.running)
        self.commits = 0

    def not_found(self, req):
        return 404, {"detail": "Not Found"}

    def method_not_allowed(self, req):
        return 405, {"detail": "Method Not Allowed"}

    def dump(self):
        return {"running": self.running, "saved": self.saved,
                "commits": self.commits}

    def _commands(self, req, path_required=True, many=False):
        """The form's data as a list of commands, after VyOS's checks."""
        ctype = req.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" not in ctype:
            fail(422, "Non-empty data field is required")
        form = req.form()
        if "data" not in form:
            fail(422, "Non-empty data field is required")
        try:
            d = json.loads(form["data"])
        except ValueError as e:
            fail(400, "Failed to parse JSON: %s" % e)
        cmds = d if isinstance(d, list) else [d]
        if isinstance(d, list) and not many:
            fail(400, "Malformed command: a list of commands is only "
                 "accepted by /configure")
        for c in cmds:
            if not isinstance(c, dict):
                fail(400, "Malformed command '%s': any command must be "
                     "JSON of dict" % (c,))
            if "op" not in c:
                fail(400, "Malformed command '%s': missing 'op' field" %
                     (c,))
            if path_required:
                if "path" not in c:
                    fail(400, "Malformed command '%s': missing 'path' "
                         "field" % (c,))
                if not isinstance(c["path"], list):
                    fail(400, "Malformed command '%s': 'path' field must "
                         "be a list" % (c,))
                if not all(isinstance(p, str) for p in c["path"]):
                    fail(400, "Malformed command '%s': 'path' field must "
                         "be a list of strings" % (c,))
            if "value" in c and not isinstance(c["value"], str):
                fail(400, "Malformed command '%s': 'value' field must be "
                     "a string" % (c,))
        if form.get("key") != self.settings["key"]:
            fail(401, "Valid API key is required")
        self._hold(req, cmds)
        return cmds

    def _hold(self, req, cmds):
        """Wait for hold_file when the request matches hold (see above)."""
        hold, until = self.settings.get("hold"), self.settings.get("hold_file")
        if not hold or not until:
            return
        path, _, op = hold.partition(":")
        if req.path != path or (op and not any(c.get("op") == op
                                              for c in cmds)):
            return
        with open(until + ".waiting", "w"):
            pass
        end = time.time() + 120
        while not os.path.exists(until) and time.time() < end:
            time.sleep(0.05)
        os.unlink(until + ".waiting")

    def configure_op(self, cmds):
        cand = copy.deepcopy(self.running)
        try:
            for c in cmds:
                path = list(c["path"])
                if not path:
                    fail(400, "Malformed command '%s': 'path' list must be "
                         "non-empty" % (c,))
                if c.get("value"):
                    path.append(c["value"])
                if c["op"] == "set":
                    cfg_set(cand, path)
                elif c["op"] == "delete":
                    cfg_delete(cand, path)
                elif c["op"] == "comment":
                    pass
                else:
                    raise ConfigError("'%s' is not a valid operation" %
                                      c["op"])
            verify(cand)
        except ConfigError as e:
            fail(400, str(e))
        self.running = cand
        self.commits += 1
        return ok(None)

    def configure_ep(self, req):
        return self.configure_op(self._commands(req, many=True))

    def retrieve(self, req):
        c = self._commands(req)[0]
        node = _get(self.running, c["path"])
        op = c["op"]
        if op == "exists":
            return ok(node is not None)
        if op == "returnValue":
            if not isinstance(node, str):
                fail(400, "Path [%s] is not a leaf node or has no value" %
                     " ".join(c["path"]))
            return ok(node)
        if op == "returnValues":
            return ok([node] if isinstance(node, str) else [])
        if op != "showConfig":
            fail(400, "'%s' is not a valid operation" % op)
        if node is None or node == {}:
            fail(400, "Configuration under specified path is empty\n")
        fmt = c.get("configFormat") or "json"
        if fmt == "json":
            return ok(node)
        if fmt == "json_ast":
            name = c["path"][-1] if c["path"] else ""
            if isinstance(node, str):
                return ok(to_ast(name, node))
            return ok({"name": "", "data": to_ast("", node)["data"],
                       "children": to_ast("", node)["children"]})
        fail(400, "'%s' is not a valid config format" % fmt)

    def show(self, req):
        c = self._commands(req)[0]
        if c["op"] != "show":
            fail(400, "'%s' is not a valid operation" % c["op"])
        if c["path"] == ["version"]:
            return ok("Version:          VyOS %s\nRelease train:    "
                      "sagitta\n" % self.version)
        if c["path"] == ["system", "uptime"]:
            return ok("Uptime: 1h 2m\n\nLoad averages:\n1  minute:   0.0%\n")
        fail(400, "Invalid command: show %s" % " ".join(c["path"]))

    def config_file(self, req):
        c = self._commands(req, path_required=False)[0]
        if c["op"] == "save":
            target = c.get("file") or "/config/config.boot"
            self.saved = copy.deepcopy(self.running)
            return ok("Saving configuration to '%s'...\nDone\n" % target)
        if c["op"] in ("load", "merge"):
            fail(400, 'Missing required field "file | string"')
        fail(400, "'%s' is not a valid operation" % c["op"])

    def info(self, req):
        if self.version.startswith("1.4"):
            return 404, {"detail": "Not Found"}
        return ok({"version": self.version,
                   "hostname": self.running["system"].get("host-name"),
                   "banner": "Welcome to VyOS"})


if __name__ == "__main__":
    sys.exit(vnfsim.main(VyOS))
