#!/usr/bin/env python3
"""The RESTCONF interface of the simulated Cisco IOS-XE router (test
fixture, not product): read-only, over the configuration the simulated
CLI (iosxe_cli.py) writes, in the shapes of IOS-XE 17's YANG models
encoded as RFC 8040 JSON (application/yang-data+json).

    python3 iosxe_restconf.py --listen ADDR --port-file F --cert C --key K
        --set state=FILE --set user=U --set password=P [--log FILE]

Resources (GET):
    /restconf                                    the API root
    /restconf/data/Cisco-IOS-XE-native:native/version
    /restconf/data/Cisco-IOS-XE-native:native/hostname
    /restconf/data/Cisco-IOS-XE-native:native/interface
    /restconf/data/Cisco-IOS-XE-native:native/interface/TYPE=NAME
    /restconf/data/Cisco-IOS-XE-native:native/ip/route
    /restconf/data/Cisco-IOS-XE-native:native/ip/access-list
    /restconf/data/Cisco-IOS-XE-native:native/ip/access-list/extended=NAME
    .../ip/access-list/extended=NAME/access-list-seq-rule=SEQ
    /restconf/data/Cisco-IOS-XE-native:native/router/bgp
    /restconf/data/Cisco-IOS-XE-interfaces-oper:interfaces

As IOS-XE does: Basic authentication (a wrong or missing one is 401 with
an ietf-restconf:errors "access-denied" body and WWW-Authenticate), 404
"uri keypath not found" for a path or list entry that does not exist,
204 with no body for a container with nothing configured, 400
"malformed-message" for a bad key, 405 for writes (this simulator is
read-only: the dictionary writes over the CLI), and no RESTCONF at all
(404) until "restconf" is configured.
"""
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iosxe_state as S  # noqa: E402
import vnfsim  # noqa: E402

YANG = {"Content-Type": "application/yang-data+json"}
NATIVE = "/restconf/data/Cisco-IOS-XE-native:native"


def errors(etype, tag, message=None, path=None):
    e = {"error-type": etype, "error-tag": tag}
    if path is not None:
        e["error-path"] = path
    if message is not None:
        e["error-message"] = message
    return {"ietf-restconf:errors": {"error": [e]}}


def keypath_404(path):
    return vnfsim.HTTPError(404, errors("application", "invalid-value",
                                        "uri keypath not found"), YANG)


class IosXeRestconf(vnfsim.Sim):
    """Cisco IOS-XE RESTCONF (read-only) over the simulated CLI's state."""

    SERVER = "nginx"
    ROUTES = [
        ("GET", r"^/restconf/?$", "root"),
        ("GET", r"^/restconf/data/Cisco-IOS-XE-native:native/version$",
         "version"),
        ("GET", r"^/restconf/data/Cisco-IOS-XE-native:native/hostname$",
         "hostname"),
        ("GET", r"^/restconf/data/Cisco-IOS-XE-native:native/interface$",
         "interfaces"),
        ("GET", r"^/restconf/data/Cisco-IOS-XE-native:native/interface/"
         r"(?P<type>[A-Za-z-]+)=(?P<name>[^/]+)$", "interface"),
        ("GET", r"^/restconf/data/Cisco-IOS-XE-native:native/ip/route$",
         "routes"),
        ("GET", r"^/restconf/data/Cisco-IOS-XE-native:native/ip/"
         r"access-list$", "acls"),
        ("GET", r"^/restconf/data/Cisco-IOS-XE-native:native/ip/"
         r"access-list/extended=(?P<name>[^/]+)$", "acl"),
        ("GET", r"^/restconf/data/Cisco-IOS-XE-native:native/ip/"
         r"access-list/extended=(?P<name>[^/]+)/access-list-seq-rule="
         r"(?P<seq>[^/]+)$", "ace"),
        ("GET", r"^/restconf/data/Cisco-IOS-XE-native:native/router/bgp$",
         "bgp"),
        ("GET", r"^/restconf/data/Cisco-IOS-XE-interfaces-oper:interfaces$",
         "oper"),
        ("*", r"^/restconf/.*$", "read_only"),
    ]

    def configure(self, settings):
        self.path = settings["state"]
        self.user = settings.get("user", "admin")
        self.password = settings.get("password", "admin")

    # --- what every request goes through -----------------------------------

    def route(self, req_method, path):
        fn, mt = super().route(req_method, path)
        if fn is None:
            return fn, mt
        return (lambda req: self.guard(fn, req)), mt

    def guard(self, fn, req):
        cfg = S.load(self.path)
        if not cfg.get("restconf"):
            # No "restconf" in the configuration: nginx serves nothing.
            return 404, "<html><head><title>404 Not Found</title></head>" \
                "<body><h1>Not Found</h1></body></html>", \
                {"Content-Type": "text/html"}
        if req.basic_auth() != (self.user, self.password):
            raise vnfsim.HTTPError(
                401, errors("protocol", "access-denied", "access denied"),
                dict(YANG, **{"WWW-Authenticate":
                              'Basic realm="restconf"'}))
        acc = req.headers.get("accept", "")
        if acc and "yang-data+json" not in acc and "*/*" not in acc and \
                "application/json" not in acc:
            raise vnfsim.HTTPError(406, errors(
                "protocol", "operation-not-supported",
                "unsupported media type in Accept"), YANG)
        req.cfg = cfg
        out = fn(req)
        if len(out) == 2 and out[0] == 200:
            return out[0], out[1], YANG
        return out

    def not_found(self, req):
        if req.path.startswith("/restconf/"):
            return 404, errors("application", "invalid-value",
                               "uri keypath not found"), YANG
        return 404, "<html><head><title>404 Not Found</title></head>" \
            "<body><h1>Not Found</h1></body></html>", \
            {"Content-Type": "text/html"}

    def read_only(self, req):
        if req.method == "GET":
            raise keypath_404(req.path)
        raise vnfsim.HTTPError(405, errors(
            "protocol", "operation-not-supported",
            "this simulator is read-only; configure through the CLI"),
            YANG)

    # --- resources ---------------------------------------------------------

    def root(self, req):
        return 200, {"ietf-restconf:restconf": {
            "data": {}, "operations": {},
            "yang-library-version": "2016-06-21"}}

    def version(self, req):
        v = req.cfg["version"].split(".")
        return 200, {"Cisco-IOS-XE-native:version":
                     "%d.%d" % (int(v[0]), int(v[1]))}

    def hostname(self, req):
        return 200, {"Cisco-IOS-XE-native:hostname": req.cfg["hostname"]}

    @staticmethod
    def intf_json(num, i):
        j = {"name": num}
        if i["description"]:
            j["description"] = i["description"]
        if i["ip"]:
            j["ip"] = {"address": {"primary": {"address": i["ip"],
                                               "mask": i["mask"]}}}
        else:
            j["ip"] = {"no-address": {"address": False}}
        ag = {}
        for d in ("in", "out"):
            if i.get("acl_" + d):
                ag[d] = {"acl": {"acl-name": i["acl_" + d], d: [None]}}
        if ag:
            j.setdefault("ip", {})["access-group"] = ag
        if i["shutdown"]:
            j["shutdown"] = [None]
        return j

    def split_intf(self, name):
        m = re.match(r"^([A-Za-z-]+)([0-9].*)$", name)
        return (m.group(1), m.group(2)) if m else (None, None)

    def interfaces(self, req):
        res = {}
        for n, i in sorted(req.cfg["interfaces"].items()):
            t, num = self.split_intf(n)
            res.setdefault(t, []).append(self.intf_json(num, i))
        return 200, {"Cisco-IOS-XE-native:interface": res}

    def interface(self, req):
        t = req.match.group("type")
        num = urllib.parse.unquote(req.match.group("name"))
        i = req.cfg["interfaces"].get(t + num)
        if t not in ("GigabitEthernet", "Loopback", "TenGigabitEthernet"):
            raise keypath_404(req.path)
        if i is None:
            raise keypath_404(req.path)
        return 200, {"Cisco-IOS-XE-native:" + t: [self.intf_json(num, i)]}

    def routes(self, req):
        groups = {}
        for r in req.cfg["routes"]:
            k = (r["prefix"], r["mask"])
            fwd = {"fwd": r["interface"] or r["gateway"]}
            if r["interface"] and r["gateway"]:
                fwd["interface-next-hop"] = [{"ip-address": r["gateway"]}]
            if r["distance"] != 1:
                fwd["metric"] = r["distance"]
            if r["name"]:
                fwd["name"] = r["name"]
            groups.setdefault(k, []).append(fwd)
        if not groups:
            return 204, b"", YANG
        return 200, {"Cisco-IOS-XE-native:route": {
            "ip-route-interface-forwarding-list": [
                {"prefix": p, "mask": m, "fwd-list": f}
                for (p, m), f in groups.items()]}}

    @staticmethod
    def addr_json(spec, dst):
        pre = "dst-" if dst else ""
        if spec == "any":
            return {pre + "any": [None]}
        if spec.startswith("host "):
            return {(pre + "host") if dst else "host": spec[5:]}
        a, wc = spec.split()
        if dst:
            return {"dst-address": a, "dst-wildcard": wc}
        return {"ipv4-address": a, "mask": wc}

    def ace_json(self, e):
        rule = {"action": e["action"], "protocol": e["protocol"]}
        rule.update(self.addr_json(e["src"], False))
        rule.update(self.addr_json(e["dst"], True))
        if e.get("dst_eq") is not None:
            t = S.port_text(e["dst_eq"])
            rule["dst-eq"] = int(t) if t.isdigit() else t
        return {"sequence": e["seq"], "ace-rule": rule}

    def acl_json(self, name, entries):
        j = {"name": name}
        if entries:
            j["access-list-seq-rule"] = [
                self.ace_json(e) for e in sorted(entries,
                                                 key=lambda e: e["seq"])]
        return j

    def acls(self, req):
        a = req.cfg["acls"]
        if not a:
            return 204, b"", YANG
        return 200, {"Cisco-IOS-XE-native:access-list": {
            "Cisco-IOS-XE-acl:extended": [self.acl_json(n, a[n])
                                          for n in sorted(a)]}}

    def acl(self, req):
        name = urllib.parse.unquote(req.match.group("name"))
        if name not in req.cfg["acls"]:
            raise keypath_404(req.path)
        return 200, {"Cisco-IOS-XE-acl:extended": [
            self.acl_json(name, req.cfg["acls"][name])]}

    def ace(self, req):
        name = urllib.parse.unquote(req.match.group("name"))
        seq = urllib.parse.unquote(req.match.group("seq"))
        if not seq.isdigit() or not 1 <= int(seq) <= 2147483647:
            raise vnfsim.HTTPError(400, errors(
                "protocol", "malformed-message",
                "invalid value for sequence: %r is not a valid uint32"
                % seq[:40]), YANG)
        if name not in req.cfg["acls"]:
            raise keypath_404(req.path)
        for e in req.cfg["acls"][name]:
            if e["seq"] == int(seq):
                return 200, {"Cisco-IOS-XE-acl:access-list-seq-rule":
                             [self.ace_json(e)]}
        raise keypath_404(req.path)

    def bgp(self, req):
        b = req.cfg["bgp"]
        if b is None:
            return 204, b"", YANG
        j = {"id": b["asn"], "bgp": {"log-neighbor-changes": True}}
        if b.get("router_id"):
            j["bgp"]["router-id"] = {"id": b["router_id"]}
        if b["neighbors"]:
            j["neighbor"] = []
            for n in b["neighbors"]:
                x = {"id": n["ip"], "remote-as": n["remote_as"]}
                if n.get("description"):
                    x["description"] = n["description"]
                j["neighbor"].append(x)
        if b["networks"]:
            j["address-family"] = {"no-vrf": {"ipv4": [{
                "af-name": "unicast",
                "ipv4-unicast": {"network": {"with-mask": [
                    {"number": n["prefix"], "mask": n["mask"]}
                    for n in b["networks"]]}}}]}}
        return 200, {"Cisco-IOS-XE-bgp:bgp": [j]}

    def oper(self, req):
        res = []
        for k, (n, i) in enumerate(sorted(req.cfg["interfaces"].items())):
            x = {"name": n,
                 "interface-type": "iana-iftype-ethernet-csmacd"
                 if not n.startswith("Loopback") else
                 "iana-iftype-sw-loopback",
                 "admin-status": "if-state-down" if i["shutdown"]
                 else "if-state-up",
                 "oper-status": "if-oper-state-no-pass" if i["shutdown"]
                 else "if-oper-state-ready",
                 "description": i["description"] or "",
                 "phys-address": "52:54:00:00:00:%02x" % (k + 1),
                 "speed": "1000000000",
                 "ipv4": i["ip"] or "0.0.0.0",
                 "ipv4-subnet-mask": i["mask"] or "0.0.0.0",
                 "mtu": 1500,
                 "statistics": {"in-octets": "0", "out-octets": "0",
                                "in-errors": 0, "out-errors": 0}}
            res.append(x)
        return 200, {"Cisco-IOS-XE-interfaces-oper:interfaces":
                     {"interface": res}}

    def dump(self):
        return S.load(self.path)


if __name__ == "__main__":
    sys.exit(vnfsim.main(IosXeRestconf))
