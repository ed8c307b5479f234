"""The configuration of the simulated Cisco IOS-XE router, shared by its
CLI (iosxe_cli.py, one process per SSH session) and its RESTCONF server
(iosxe_restconf.py): one JSON file, read and written under an exclusive
flock(2) on FILE.lock, replaced atomically (temporary file, rename).

    with Store(path) as st:      # locked; st.cfg is the configuration
        st.cfg["hostname"] = "R1"
        st.dirty = True          # written back on exit

The configuration holds what the CLI's show commands and the RESTCONF
native model both render: hostname, interfaces, static routes, extended
named ACLs, one BGP process, and whether RESTCONF is enabled.
Test fixture, not product.
"""
import copy
import fcntl
import json
import os

PORT_NAMES = {20: "ftp-data", 21: "ftp", 22: "22", 23: "telnet",
              25: "smtp", 53: "domain", 69: "tftp", 80: "www",
              110: "pop3", 179: "bgp", 443: "443"}
NAME_PORTS = {v: k for k, v in PORT_NAMES.items() if not v.isdigit()}

DEFAULT = {
    "hostname": "Router",
    "version": "17.09.04a",
    "restconf": False,
    "http_secure": False,
    "interfaces": {
        "GigabitEthernet1": {"ip": "198.18.0.2", "mask": "255.255.255.0",
                             "description": "MANAGEMENT",
                             "shutdown": False, "acl_in": None,
                             "acl_out": None},
        "GigabitEthernet2": {"ip": None, "mask": None, "description": None,
                             "shutdown": True, "acl_in": None,
                             "acl_out": None},
        "GigabitEthernet3": {"ip": None, "mask": None, "description": None,
                             "shutdown": True, "acl_in": None,
                             "acl_out": None},
    },
    "routes": [],     # {prefix, mask, interface, gateway, distance, name}
    "acls": {},       # name -> [{seq, action, protocol, src, dst, dst_eq}]
    "bgp": None,      # {asn, router_id, neighbors: [...], networks: [...]}
    "saved": None,    # the configuration at the last "write memory"
}


class Store:
    def __init__(self, path):
        self.path = path
        self.cfg = None
        self.dirty = False
        self._lock = None

    def __enter__(self):
        self._lock = open(self.path + ".lock", "a")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        try:
            with open(self.path) as f:
                self.cfg = json.load(f)
        except FileNotFoundError:
            self.cfg = copy.deepcopy(DEFAULT)
            self.dirty = True
        return self

    def __exit__(self, *exc):
        try:
            if self.dirty and exc[0] is None:
                tmp = self.path + ".tmp"
                with open(tmp, "w") as f:
                    json.dump(self.cfg, f, indent=1)
                os.replace(tmp, self.path)
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
        return False


def load(path):
    """A snapshot of the configuration (locked while read)."""
    with Store(path) as st:
        return copy.deepcopy(st.cfg)


# --- addresses ---------------------------------------------------------------

def ip_ok(s):
    p = s.split(".")
    if len(p) != 4:
        return False
    for x in p:
        if not x.isdigit() or len(x) > 3 or int(x) > 255 or \
                (len(x) > 1 and x[0] == "0"):
            return False
    return True


def ip_int(s):
    a, b, c, d = (int(x) for x in s.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def int_ip(n):
    return "%d.%d.%d.%d" % (n >> 24 & 255, n >> 16 & 255, n >> 8 & 255,
                            n & 255)


def mask_len(mask):
    """The prefix length of a contiguous mask, or None."""
    m = ip_int(mask)
    n = bin(m).count("1")
    return n if m == ((0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF) else None


def port_text(p):
    """A port as IOS shows it in an ACL entry (80 is "www")."""
    return PORT_NAMES.get(int(p), str(p))


def port_num(s):
    if s.isdigit():
        return int(s)
    return NAME_PORTS.get(s)


def ace_text(e):
    """An ACL entry as "show ip access-lists" shows it."""
    t = "%d %s %s %s %s" % (e["seq"], e["action"], e["protocol"], e["src"],
                            e["dst"])
    if e.get("dst_eq") is not None:
        t += " eq " + port_text(e["dst_eq"])
    return t


def addr_spec(words, i):
    """Parse an ACL address at words[i]: any | host A | A WILDCARD.

    Returns (text, next index) or (None, index of the bad word)."""
    if i >= len(words):
        return None, i
    w = words[i]
    if w == "any":
        return "any", i + 1
    if w == "host":
        if i + 1 < len(words) and ip_ok(words[i + 1]):
            return "host " + words[i + 1], i + 2
        return None, i + 1
    if ip_ok(w):
        if i + 1 < len(words) and ip_ok(words[i + 1]):
            wc = words[i + 1]
            if wc == "0.0.0.0":
                return "host " + w, i + 2
            if wc == "255.255.255.255":
                return "any", i + 2
            return "%s %s" % (int_ip(ip_int(w) & ~ip_int(wc) & 0xFFFFFFFF),
                              wc), i + 2
        return None, i + 1
    return None, i
