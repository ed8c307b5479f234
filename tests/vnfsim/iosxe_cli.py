#!/usr/bin/env python3
"""A simulated Cisco IOS-XE command line, run by OpenSSH sshd as the
ForceCommand of the router's login (test fixture, not product).

    iosxe_cli.py --state FILE [--privilege 1|15] [--enable-secret S]
                 [--log FILE]

On a PTY (an interactive shell) it behaves like an IOS-XE vty: raw
terminal, its own echo, CR LF line ends, paging with " --More-- " every
24 lines until "terminal length 0", the modes Router>, Router#,
Router(config)#, Router(config-if)#, Router(config-ext-nacl)# and
Router(config-router)#, and IOS's words for mistakes:
"% Invalid input detected at '^' marker." under a caret line,
"% Incomplete command.", "%Inconsistent address and mask",
"% Duplicate sequence number", "%No matching route to delete",
"Bad mask ... for address ...", "% BGP is already running; AS is N".

Without a PTY, with SSH_ORIGINAL_COMMAND set (ssh router "show version"),
it runs that one command at the login's privilege and exits, as IOS's
SSH server does for an exec request.

--privilege 15 (the default) logs in at Router#, as a local user with
"privilege 15" does; --privilege 1 logs in at Router>, and "enable" then
asks "Password: " for --enable-secret (three tries, then
"% Bad secrets").

The configuration lives in the --state file (iosxe_state.py), read and
written under a lock for every command, so it persists across sessions
and the RESTCONF simulator (iosxe_restconf.py) sees it.  --log appends
one line per command typed (mode and text) for the tests.
"""
import argparse
import os
import re
import sys
import termios
import tty

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iosxe_state as S  # noqa: E402

out = sys.stdout.buffer
fd_in = sys.stdin.fileno()

MODE_SUFFIX = {"exec": ">", "priv": "#", "config": "(config)#",
               "config-if": "(config-if)#",
               "config-ext-nacl": "(config-ext-nacl)#",
               "config-router": "(config-router)#"}
INTF_PREFIX = [("GigabitEthernet", ("gigabitethernet", "gi", "g")),
               ("Loopback", ("loopback", "lo")),
               ("TenGigabitEthernet", ("tengigabitethernet", "te"))]
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


class Invalid(Exception):
    """% Invalid input at word index I (len(words): the line's end)."""

    def __init__(self, i):
        super().__init__(i)
        self.i = i


class Incomplete(Exception):
    pass


class Msg(Exception):
    """Lines the router prints instead of doing the command."""

    def __init__(self, *lines):
        super().__init__(lines[0])
        self.lines = list(lines)


class Quit(Exception):
    pass


def w(s):
    out.write(s.encode() if isinstance(s, str) else s)
    out.flush()


def readc():
    b = os.read(fd_in, 1)
    if not b:
        raise Quit()
    return b


def intf_name(word):
    """Expand an IOS interface abbreviation (Gi2 -> GigabitEthernet2)."""
    m = re.match(r"^([A-Za-z-]+)\s*([0-9][0-9/.]*)$", word)
    if not m:
        return None
    head = m.group(1).lower()
    for full, abbrevs in INTF_PREFIX:
        if head == full.lower() or (head in abbrevs) or \
                (len(head) >= 2 and full.lower().startswith(head)):
            return full + m.group(2)
    return None


def kw(word, full, least=1):
    """True when WORD abbreviates keyword FULL (at least LEAST letters)."""
    return len(word) >= least and full.startswith(word.lower())


class Cli:
    def __init__(self, a):
        self.state = a.state
        self.secret = a.enable_secret
        self.mode = "priv" if a.privilege >= 15 else "exec"
        self.intf = None
        self.acl = None
        self.page = 24
        self.log = a.log
        self.interactive = True
        with S.Store(self.state) as st:
            self.host = st.cfg["hostname"]

    # --- terminal ----------------------------------------------------------

    def prompt(self):
        return self.host + MODE_SUFFIX[self.mode]

    def readline(self, echo=True):
        buf = b""
        cr = False
        while True:
            c = readc()
            if c == b"\n" and cr:
                cr = False
                continue
            cr = c == b"\r"
            if c in (b"\r", b"\n"):
                w("\r\n")
                return buf.decode(errors="replace")
            if c in (b"\x7f", b"\b"):
                if buf:
                    buf = buf[:-1]
                    if echo:
                        w("\b \b")
                continue
            if c == b"\x03":
                w("^C\r\n")
                return ""
            if c == b"\x1a":            # ^Z: end
                w("^Z\r\n")
                return "end"
            buf += c
            if echo:
                w(c)

    def lines_out(self, lines):
        n = 0
        for line in lines:
            if self.interactive and self.page and n == self.page - 1:
                w(" --More-- ")
                c = readc()
                w("\b" * 10 + " " * 10 + "\b" * 10)
                if c in (b"q", b"Q"):
                    return
                if c in (b"\r", b"\n"):
                    n = self.page - 2    # one more line
                else:
                    n = 0
            w(line + "\r\n")
            n += 1

    def invalid(self, line, i):
        toks = [(m.group(0), m.start()) for m in re.finditer(r"\S+", line)]
        col = toks[i][1] if i < len(toks) else len(line.rstrip()) + 1
        if self.interactive:
            w(" " * (len(self.prompt()) + col) + "^\r\n")
        w("% Invalid input detected at '^' marker.\r\n\r\n")

    # --- one line ------------------------------------------------------------

    def run(self, line):
        if self.log:
            with open(self.log, "a") as f:
                f.write("%s\t%s\n" % (self.mode, line))
        words = line.split()
        if not words or words[0].startswith("!"):
            return
        try:
            filt = None
            if "|" in words:
                # The filter's regular expression is the rest of the
                # line as typed, blanks included, as on IOS.
                k = words.index("|")
                head, _, tail = line.partition("|")
                filt = tail.strip().split(None, 1)
                words = words[:k]
                if not words:
                    raise Invalid(0)
            if self.mode == "exec" and len(words) == 1 and \
                    kw(words[0], "enable", 2):
                self.enable()       # not under the lock: it reads input
                return
            with S.Store(self.state) as st:
                lines = self.dispatch(st, words, filt is not None)
            if filt is not None:
                lines = self.pipe(lines, filt, len(words) + 1)
            if lines:
                self.lines_out(lines)
        except Invalid as e:
            self.invalid(line, e.i)
        except Incomplete:
            w("% Incomplete command.\r\n\r\n")
        except Msg as e:
            for m in e.lines:
                w(m + "\r\n")

    def pipe(self, lines, f, base):
        if len(f) < 2:
            raise Incomplete()
        how = f[0].lower()
        try:
            rx = re.compile(f[1].lstrip(" "))
        except re.error:
            raise Invalid(base + 1)
        if kw(how, "include", 1):
            return [x for x in lines if rx.search(x)]
        if kw(how, "exclude", 1):
            return [x for x in lines if not rx.search(x)]
        if kw(how, "begin", 1):
            for i, x in enumerate(lines):
                if rx.search(x):
                    return lines[i:]
            return []
        if kw(how, "count", 1):
            return ["Number of lines which match regexp = %d" %
                    sum(1 for x in lines if rx.search(x))]
        if kw(how, "section", 1):
            res, on = [], False
            for x in lines:
                if not x.startswith(" "):
                    on = bool(rx.search(x))
                if on:
                    res.append(x)
            return res
        raise Invalid(base)

    def dispatch(self, st, words, piped):
        w0 = words[0].lower()
        if self.mode.startswith("config") and w0 == "do":
            if len(words) < 2:
                raise Incomplete()
            saved = self.mode
            self.mode = "priv"
            try:
                return self.exec_cmd(st, words[1:], 1)
            finally:
                self.mode = saved
        if piped and not kw(w0, "show", 2):
            raise Invalid(len(words))
        if self.mode in ("exec", "priv"):
            return self.exec_cmd(st, words, 0)
        if w0 == "end":
            self.mode = "priv"
            return []
        if w0 == "exit":
            self.mode = "priv" if self.mode == "config" else "config"
            return []
        if self.mode == "config":
            return self.config_cmd(st, words)
        if self.mode == "config-if":
            return self.intf_cmd(st, words)
        if self.mode == "config-ext-nacl":
            return self.acl_cmd(st, words)
        if self.mode == "config-router":
            return self.bgp_cmd(st, words)
        raise Invalid(0)

    # --- EXEC --------------------------------------------------------------

    def exec_cmd(self, st, words, off):
        w0 = words[0].lower()
        priv = self.mode == "priv"
        if kw(w0, "enable", 2) and len(words) == 1:
            if not priv:
                self.enable()
            return []
        if kw(w0, "disable", 4) and priv and off == 0:
            self.mode = "exec"
            return []
        if w0 in ("exit", "logout", "quit") and off == 0:
            raise Quit()
        if kw(w0, "terminal", 3):
            if len(words) < 2 or not kw(words[1], "length", 3):
                raise Invalid(off + 1) if len(words) > 1 else Incomplete()
            if len(words) < 3:
                raise Incomplete()
            if not words[2].isdigit() or int(words[2]) > 512:
                raise Invalid(off + 2)
            self.page = int(words[2])
            return []
        if kw(w0, "configure", 4) and priv and off == 0:
            if len(words) < 2:
                raise Incomplete()
            if not kw(words[1], "terminal", 1):
                raise Invalid(1)
            self.mode = "config"
            return ["Enter configuration commands, one per line.  "
                    "End with CNTL/Z."]
        if kw(w0, "write", 2) and priv:
            if len(words) > 1 and not kw(words[1], "memory", 1):
                raise Invalid(off + 1)
            cfg = dict(st.cfg)
            cfg["saved"] = None
            st.cfg["saved"] = cfg
            st.dirty = True
            return ["Building configuration...", "[OK]"]
        if kw(w0, "show", 2):
            return self.show(st, words, off)
        raise Invalid(off)

    def enable(self):
        if not self.secret:
            raise Msg("% No password set")
        for _ in range(3):
            w("Password: ")
            if self.interactive:
                got = self.readline(echo=False)
            else:
                got = ""
            if got == self.secret:
                self.mode = "priv"
                return
        raise Msg("% Bad secrets", "")

    def show(self, st, words, off):
        if len(words) < 2:
            raise Incomplete()
        a = [x.lower() for x in words[1:]]
        c = st.cfg
        priv = self.mode == "priv"
        if kw(a[0], "version", 2):
            return self.show_version(c)
        if kw(a[0], "running-config", 3) and priv:
            if len(a) > 1:
                raise Invalid(off + 2)
            return self.running_config(c)
        if kw(a[0], "ip", 2):
            if len(a) < 2:
                raise Incomplete()
            if kw(a[1], "interface", 3):
                if len(a) < 3:
                    raise Invalid(off + 3)
                if not kw(a[2], "brief", 1):
                    raise Invalid(off + 3)
                return self.show_ip_brief(c)
            if kw(a[1], "route", 2):
                if len(a) == 2 or kw(a[2], "static", 2):
                    return self.show_route(c, static_only=len(a) > 2)
                raise Invalid(off + 3)
            if kw(a[1], "access-lists", 2):
                if len(a) > 3:
                    raise Invalid(off + 4)
                return self.show_acls(c, words[3] if len(a) == 3 else None)
            if kw(a[1], "bgp", 2):
                if len(a) < 3 or not kw(a[2], "summary", 2):
                    raise Invalid(off + 3) if len(a) >= 3 else Incomplete()
                return self.show_bgp(c)
            raise Invalid(off + 2)
        raise Invalid(off + 1)

    def show_version(self, c):
        return [
            "Cisco IOS XE Software, Version %s" % c["version"],
            "Cisco IOS Software [Cupertino], Virtual XE Software "
            "(X86_64_LINUX_IOSD-UNIVERSALK9-M), Version %s, RELEASE "
            "SOFTWARE (fc3)" % c["version"],
            "Technical Support: http://www.cisco.com/techsupport",
            "Copyright (c) 1986-2023 by Cisco Systems, Inc.",
            "",
            "ROM: IOS-XE ROMMON",
            "",
            "%s uptime is 1 hour, 12 minutes" % c["hostname"],
            "Uptime for this control processor is 1 hour, 14 minutes",
            "System returned to ROM by reload",
            "System image file is \"bootflash:packages.conf\"",
            "",
            "cisco C8000V (VXE) processor (revision VXE) with "
            "1987155K/3075K bytes of memory.",
            "Processor board ID 9SIMULATED",
            "%d Gigabit Ethernet interfaces" % sum(
                1 for n in c["interfaces"] if n.startswith("Gigabit")),
            "32768K bytes of non-volatile configuration memory.",
            "",
            "Configuration register is 0x2102",
        ]

    def show_ip_brief(self, c):
        res = ["Interface              IP-Address      OK? Method Status"
               "                Protocol"]
        for n, i in sorted(c["interfaces"].items()):
            status = "administratively down" if i["shutdown"] else "up"
            proto = "down" if i["shutdown"] else "up"
            res.append("%-22s %-15s YES %-6s %-21s %s" % (
                n, i["ip"] or "unassigned", "NVRAM" if i["ip"] else "unset",
                status, proto))
        return res

    def show_route(self, c, static_only):
        res = ["Codes: L - local, C - connected, S - static, R - RIP, "
               "M - mobile, B - BGP",
               "       D - EIGRP, EX - EIGRP external, O - OSPF, "
               "IA - OSPF inter area",
               "       * - candidate default, U - per-user static route",
               "",
               "Gateway of last resort is not set" if not any(
                   r["prefix"] == "0.0.0.0" and r["mask"] == "0.0.0.0"
                   for r in c["routes"]) else
               "Gateway of last resort is %s to network 0.0.0.0" % next(
                   r["gateway"] for r in c["routes"]
                   if r["prefix"] == "0.0.0.0"),
               ""]
        if not static_only:
            for n, i in sorted(c["interfaces"].items()):
                if i["ip"] and not i["shutdown"]:
                    plen = S.mask_len(i["mask"])
                    net = S.int_ip(S.ip_int(i["ip"]) & S.ip_int(i["mask"]))
                    res.append("C        %s/%d is directly connected, %s"
                               % (net, plen, n))
                    res.append("L        %s/32 is directly connected, %s"
                               % (i["ip"], n))
        for r in sorted(c["routes"], key=lambda r: (S.ip_int(r["prefix"]),
                                                      r["mask"])):
            code = "S*" if r["mask"] == "0.0.0.0" else "S "
            dest = "%s/%d" % (r["prefix"], S.mask_len(r["mask"]))
            if r["gateway"]:
                t = "%s       %s [%d/0] via %s" % (code, dest, r["distance"],
                                                   r["gateway"])
                if r["interface"]:
                    t += ", " + r["interface"]
            else:
                t = "%s       %s is directly connected, %s" % (
                    code, dest, r["interface"])
            res.append(t)
        return res

    def show_acls(self, c, name):
        res = []
        for n in sorted(c["acls"]):
            if name is not None and n != name:
                continue
            res.append("Extended IP access list " + n)
            for e in sorted(c["acls"][n], key=lambda e: e["seq"]):
                res.append("    " + S.ace_text(e))
        return res

    def show_bgp(self, c):
        b = c["bgp"]
        if b is None:
            raise Msg("% BGP not active", "")
        rid = b.get("router_id") or next(
            (i["ip"] for _, i in sorted(c["interfaces"].items())
             if i["ip"]), "0.0.0.0")
        res = ["BGP router identifier %s, local AS number %d" % (rid,
                                                                b["asn"]),
               "BGP table version is 1, main routing table version 1",
               ""]
        if b["neighbors"]:
            res.append("Neighbor        V           AS MsgRcvd MsgSent   "
                       "TblVer  InQ OutQ Up/Down  State/PfxRcd")
            for n in sorted(b["neighbors"], key=lambda n: S.ip_int(n["ip"])):
                res.append("%-15s %d %12d %7d %7d %8d %4d %4d %-8s %s" % (
                    n["ip"], 4, n["remote_as"], 0, 0, 1, 0, 0, "never",
                    "Idle"))
        return res

    def running_config(self, c):
        cfg = ["Building configuration...", "",
               "Current configuration : 4096 bytes", "!",
               "! Last configuration change by vnf-broker test", "!",
               "version 17.9", "service timestamps debug datetime msec",
               "service timestamps log datetime msec",
               "platform qfp utilization monitor load 80",
               "!", "hostname " + c["hostname"], "!",
               "boot-start-marker", "boot-end-marker", "!",
               "no aaa new-model", "!", "login on-success log", "!",
               "username admin privilege 15 secret 9 $9$simulated", "!"]
        for n, i in sorted(c["interfaces"].items()):
            cfg.append("interface " + n)
            if i["description"]:
                cfg.append(" description " + i["description"])
            if i["ip"]:
                cfg.append(" ip address %s %s" % (i["ip"], i["mask"]))
            else:
                cfg.append(" no ip address")
            if i.get("acl_in"):
                cfg.append(" ip access-group %s in" % i["acl_in"])
            if i.get("acl_out"):
                cfg.append(" ip access-group %s out" % i["acl_out"])
            if i["shutdown"]:
                cfg.append(" shutdown")
            cfg += [" negotiation auto", "!"]
        b = c["bgp"]
        if b is not None:
            cfg.append("router bgp %d" % b["asn"])
            if b.get("router_id"):
                cfg.append(" bgp router-id " + b["router_id"])
            cfg.append(" bgp log-neighbor-changes")
            for n in b["neighbors"]:
                cfg.append(" neighbor %s remote-as %d" % (n["ip"],
                                                           n["remote_as"]))
                if n.get("description"):
                    cfg.append(" neighbor %s description %s" % (
                        n["ip"], n["description"]))
            for n in b["networks"]:
                cfg.append(" network %s mask %s" % (n["prefix"], n["mask"]))
            cfg.append("!")
        cfg += ["ip forward-protocol nd", "ip http server",
                "ip http authentication local"]
        if c.get("http_secure"):
            cfg.append("ip http secure-server")
        for r in c["routes"]:
            t = "ip route %s %s" % (r["prefix"], r["mask"])
            if r["interface"]:
                t += " " + r["interface"]
            if r["gateway"]:
                t += " " + r["gateway"]
            if r["distance"] != 1:
                t += " %d" % r["distance"]
            if r["name"]:
                t += " name " + r["name"]
            cfg.append(t)
        cfg.append("!")
        for n in sorted(c["acls"]):
            cfg.append("ip access-list extended " + n)
            for e in sorted(c["acls"][n], key=lambda e: e["seq"]):
                cfg.append(" " + S.ace_text(e))
            cfg.append("!")
        if c.get("restconf"):
            cfg += ["restconf", "!"]
        cfg += ["line con 0", " stopbits 1", "line vty 0 4",
                " login local", " transport input ssh", "!", "end"]
        return cfg

    # --- global configuration ------------------------------------------------

    def config_cmd(self, st, words):
        c = st.cfg
        a = [x.lower() for x in words]
        neg = a[0] == "no"
        if neg:
            words, a = words[1:], a[1:]
            if not words:
                raise Incomplete()
        o = 1 if neg else 0
        if kw(a[0], "hostname", 4):
            if neg or len(words) < 2:
                raise Incomplete()
            if not NAME_RE.match(words[1]) or len(words) > 2:
                raise Invalid(o + 1)
            c["hostname"] = self.host = words[1]
            st.dirty = True
            return []
        if kw(a[0], "interface", 3):
            if len(words) < 2:
                raise Incomplete()
            name = intf_name("".join(words[1:]))
            if name is None:
                raise Invalid(o + 1)
            if name not in c["interfaces"]:
                if not name.startswith("Loopback"):
                    raise Invalid(o + 1)
                if neg:
                    raise Invalid(o + 1)
                c["interfaces"][name] = {"ip": None, "mask": None,
                                         "description": None,
                                         "shutdown": False, "acl_in": None,
                                         "acl_out": None}
                st.dirty = True
            if neg:
                if not name.startswith("Loopback"):
                    raise Msg("% Removal of physical interfaces is not "
                              "permitted")
                del c["interfaces"][name]
                st.dirty = True
                return []
            self.intf = name
            self.mode = "config-if"
            return []
        if kw(a[0], "ip", 2):
            if len(a) < 2:
                raise Incomplete()
            if kw(a[1], "route", 3):
                return self.ip_route(st, words, a, neg, o)
            if kw(a[1], "access-list", 3):
                if len(a) < 3:
                    raise Incomplete()
                if not kw(a[2], "extended", 1):
                    raise Invalid(o + 2)
                if len(a) < 4:
                    raise Incomplete()
                if len(a) > 4 or not NAME_RE.match(words[3]) or \
                        words[3][0].isdigit():
                    raise Invalid(o + 3)
                if neg:
                    if c["acls"].pop(words[3], None) is not None:
                        st.dirty = True
                    return []
                if words[3] not in c["acls"]:
                    c["acls"][words[3]] = []
                    st.dirty = True
                self.acl = words[3]
                self.mode = "config-ext-nacl"
                return []
            if kw(a[1], "http", 2):
                if len(a) < 3:
                    raise Incomplete()
                if not kw(a[2], "secure-server", 2):
                    raise Invalid(o + 2)
                c["http_secure"] = not neg
                st.dirty = True
                return []
            raise Invalid(o + 1)
        if a[0] == "restconf":
            if len(a) > 1:
                raise Invalid(o + 1)
            c["restconf"] = not neg
            st.dirty = True
            return []
        if kw(a[0], "router", 3):
            if len(a) < 2:
                raise Incomplete()
            if not kw(a[1], "bgp", 1):
                raise Invalid(o + 1)
            if len(a) < 3:
                raise Incomplete()
            if not words[2].isdigit() or not 1 <= int(words[2]) <= \
                    4294967295 or len(a) > 3:
                raise Invalid(o + 2)
            asn = int(words[2])
            b = c["bgp"]
            if b is not None and b["asn"] != asn:
                raise Msg("%% BGP is already running; AS is %d" % b["asn"],
                          "")
            if neg:
                if b is not None:
                    c["bgp"] = None
                    st.dirty = True
                return []
            if b is None:
                c["bgp"] = {"asn": asn, "router_id": None, "neighbors": [],
                            "networks": []}
                st.dirty = True
            self.mode = "config-router"
            return []
        raise Invalid(o)

    def ip_route(self, st, words, a, neg, o):
        # ip route PREFIX MASK [INTERFACE] [GATEWAY] [DISTANCE] [name NAME]
        c = st.cfg
        i = 2
        if len(words) < 4:
            if len(words) >= 3 and not S.ip_ok(words[2]):
                raise Invalid(o + 2)
            raise Incomplete()
        pfx, mask = words[2], words[3]
        if not S.ip_ok(pfx):
            raise Invalid(o + 2)
        if not S.ip_ok(mask):
            raise Invalid(o + 3)
        i = 4
        intf = gw = name = None
        dist = 1
        if i < len(words) and not S.ip_ok(words[i]):
            intf = intf_name(words[i])
            if intf is None or intf not in c["interfaces"]:
                raise Invalid(o + i)
            i += 1
        if i < len(words) and S.ip_ok(words[i]):
            gw = words[i]
            i += 1
        if gw is None and intf is None:
            if neg and len(words) == 4:
                pass
            else:
                raise Incomplete() if i >= len(words) else Invalid(o + i)
        if i < len(words) and words[i].isdigit():
            dist = int(words[i])
            if not 1 <= dist <= 255:
                raise Invalid(o + i)
            i += 1
        if i < len(words) and kw(a[i], "name", 2):
            if i + 1 >= len(words):
                raise Incomplete()
            name = words[i + 1]
            if not NAME_RE.match(name):
                raise Invalid(o + i + 1)
            i += 2
        if i < len(words):
            raise Invalid(o + i)
        plen = S.mask_len(mask)
        if plen is None or S.ip_int(pfx) & ~S.ip_int(mask) & 0xFFFFFFFF:
            raise Msg("%Inconsistent address and mask")
        if neg:
            keep = [r for r in c["routes"] if not (
                r["prefix"] == pfx and r["mask"] == mask and
                (gw is None or r["gateway"] == gw) and
                (intf is None or r["interface"] == intf))]
            if len(keep) == len(c["routes"]):
                raise Msg("%No matching route to delete")
            c["routes"] = keep
            st.dirty = True
            return []
        for r in c["routes"]:
            if r["prefix"] == pfx and r["mask"] == mask and \
                    r["gateway"] == gw and r["interface"] == intf:
                r["distance"], r["name"] = dist, name
                break
        else:
            c["routes"].append({"prefix": pfx, "mask": mask,
                                "interface": intf, "gateway": gw,
                                "distance": dist, "name": name})
        st.dirty = True
        return []

    # --- interface configuration -------------------------------------------

    def intf_cmd(self, st, words):
        c = st.cfg
        i = c["interfaces"][self.intf]
        a = [x.lower() for x in words]
        neg = a[0] == "no"
        if neg:
            words, a = words[1:], a[1:]
            if not words:
                raise Incomplete()
        o = 1 if neg else 0
        if kw(a[0], "description", 4):
            if neg:
                i["description"] = None
            else:
                if len(words) < 2:
                    raise Incomplete()
                i["description"] = " ".join(words[1:])[:240]
            st.dirty = True
            return []
        if kw(a[0], "shutdown", 4):
            if len(a) > 1:
                raise Invalid(o + 1)
            i["shutdown"] = not neg
            st.dirty = True
            return []
        if kw(a[0], "ip", 2):
            if len(a) < 2:
                raise Incomplete()
            if kw(a[1], "address", 3):
                if neg:
                    i["ip"] = i["mask"] = None
                    st.dirty = True
                    return []
                if len(words) < 4:
                    if len(words) == 3 and not S.ip_ok(words[2]):
                        raise Invalid(2)
                    raise Incomplete()
                if not S.ip_ok(words[2]):
                    raise Invalid(2)
                if not S.ip_ok(words[3]):
                    raise Invalid(3)
                if len(words) > 4:
                    raise Invalid(4)
                addr, mask = words[2], words[3]
                plen = S.mask_len(mask)
                if plen is None:
                    raise Msg("Bad mask 0x%08X for address %s" % (
                        S.ip_int(mask), addr))
                host = S.ip_int(addr) & ~S.ip_int(mask) & 0xFFFFFFFF
                if plen < 31 and host in (0, ~S.ip_int(mask) & 0xFFFFFFFF):
                    raise Msg("Bad mask /%d for address %s" % (plen, addr))
                net = S.ip_int(addr) & S.ip_int(mask)
                for n, x in c["interfaces"].items():
                    if n == self.intf or not x["ip"]:
                        continue
                    m2 = S.ip_int(x["mask"]) & S.ip_int(mask)
                    if S.ip_int(x["ip"]) & m2 == net & m2:
                        raise Msg("%% %s overlaps with %s" % (
                            S.int_ip(net), n))
                i["ip"], i["mask"] = addr, mask
                st.dirty = True
                return []
            if kw(a[1], "access-group", 3):
                if len(a) < 4:
                    raise Incomplete()
                if a[3] not in ("in", "out"):
                    raise Invalid(o + 3)
                k = "acl_" + a[3]
                i[k] = None if neg else words[2]
                st.dirty = True
                return []
            raise Invalid(o + 1)
        raise Invalid(o)

    # --- extended ACL configuration --------------------------------------------

    def acl_cmd(self, st, words):
        entries = st.cfg["acls"].setdefault(self.acl, [])
        a = [x.lower() for x in words]
        if a[0] == "remark":
            return []
        if a[0] == "no":
            if len(a) < 2:
                raise Incomplete()
            if a[1].isdigit():
                if len(a) > 2:
                    raise Invalid(2)
                n = int(a[1])
                keep = [e for e in entries if e["seq"] != n]
                if len(keep) != len(entries):
                    st.cfg["acls"][self.acl] = keep
                    st.dirty = True
                return []
            e = self.parse_ace(words[1:], 1, None)
            keep = [x for x in entries if S.ace_text(dict(x, seq=0)) !=
                    S.ace_text(dict(e, seq=0))]
            st.cfg["acls"][self.acl] = keep
            st.dirty = True
            return []
        seq = None
        off = 0
        if a[0].isdigit():
            seq = int(a[0])
            if not 1 <= seq <= 2147483647:
                raise Invalid(0)
            words, off = words[1:], 1
            if not words:
                raise Incomplete()
        e = self.parse_ace(words, off, seq)
        if seq is None:
            e["seq"] = max([x["seq"] for x in entries] or [0]) + 10
        elif any(x["seq"] == seq for x in entries):
            raise Msg("% Duplicate sequence number", "")
        entries.append(e)
        st.dirty = True
        return []

    def parse_ace(self, words, off, seq):
        a = [x.lower() for x in words]
        if a[0] not in ("permit", "deny"):
            raise Invalid(off)
        if len(a) < 2:
            raise Incomplete()
        proto = a[1]
        if proto not in ("ip", "tcp", "udp", "icmp", "gre", "esp", "ahp",
                         "ospf", "eigrp", "pim", "igmp") and \
                not (proto.isdigit() and int(proto) <= 255):
            raise Invalid(off + 1)
        src, i = S.addr_spec(words, 2)
        if src is None:
            raise Incomplete() if i >= len(words) else Invalid(off + i)
        if i < len(words) and a[i] in ("eq", "gt", "lt", "neq", "range"):
            raise Invalid(off + i)      # source ports: not simulated
        dst, i = S.addr_spec(words, i)
        if dst is None:
            raise Incomplete() if i >= len(words) else Invalid(off + i)
        port = None
        if i < len(words) and a[i] == "eq":
            if proto not in ("tcp", "udp"):
                raise Invalid(off + i)
            if i + 1 >= len(words):
                raise Incomplete()
            port = S.port_num(a[i + 1])
            if port is None or not 0 <= port <= 65535:
                raise Invalid(off + i + 1)
            i += 2
        if i < len(words) and a[i] == "log":
            i += 1
        if i < len(words):
            raise Invalid(off + i)
        return {"seq": seq, "action": a[0], "protocol": proto, "src": src,
                "dst": dst, "dst_eq": port}

    # --- BGP configuration -----------------------------------------------------

    def bgp_cmd(self, st, words):
        b = st.cfg["bgp"]
        a = [x.lower() for x in words]
        neg = a[0] == "no"
        if neg:
            words, a = words[1:], a[1:]
            if not words:
                raise Incomplete()
        o = 1 if neg else 0
        if kw(a[0], "bgp", 3):
            if len(a) >= 2 and a[1] == "log-neighbor-changes":
                return []
            if len(a) < 2 or not kw(a[1], "router-id", 3):
                raise Incomplete() if len(a) < 2 else Invalid(o + 1)
            if neg:
                b["router_id"] = None
            else:
                if len(a) < 3:
                    raise Incomplete()
                if not S.ip_ok(words[2]):
                    raise Invalid(o + 2)
                b["router_id"] = words[2]
            st.dirty = True
            return []
        if kw(a[0], "neighbor", 3):
            if len(a) < 2:
                raise Incomplete()
            if not S.ip_ok(words[1]):
                raise Invalid(o + 1)
            ip = words[1]
            nb = next((n for n in b["neighbors"] if n["ip"] == ip), None)
            if neg and len(a) == 2:
                if nb is None:
                    raise Msg("% Specify remote-as or peer-group commands "
                              "first")
                b["neighbors"].remove(nb)
                st.dirty = True
                return []
            if len(a) < 3:
                raise Incomplete()
            if kw(a[2], "remote-as", 2):
                if neg:
                    if nb is None:
                        raise Msg("% Specify remote-as or peer-group "
                                  "commands first")
                    b["neighbors"].remove(nb)
                    st.dirty = True
                    return []
                if len(a) < 4:
                    raise Incomplete()
                if not a[3].isdigit() or not 1 <= int(a[3]) <= 4294967295 \
                        or len(a) > 4:
                    raise Invalid(o + 3)
                if nb is None:
                    b["neighbors"].append({"ip": ip,
                                           "remote_as": int(a[3]),
                                           "description": None})
                else:
                    nb["remote_as"] = int(a[3])
                st.dirty = True
                return []
            if kw(a[2], "description", 3):
                if nb is None:
                    raise Msg("% Specify remote-as or peer-group commands "
                              "first")
                if neg:
                    nb["description"] = None
                else:
                    if len(a) < 4:
                        raise Incomplete()
                    nb["description"] = " ".join(words[3:])[:80]
                st.dirty = True
                return []
            raise Invalid(o + 2)
        if kw(a[0], "network", 3):
            if len(a) < 2:
                raise Incomplete()
            if not S.ip_ok(words[1]):
                raise Invalid(o + 1)
            pfx = words[1]
            if len(a) == 2:
                first = S.ip_int(pfx) >> 24
                mask = ("255.0.0.0" if first < 128 else "255.255.0.0"
                        if first < 192 else "255.255.255.0")
            else:
                if not kw(a[2], "mask", 1):
                    raise Invalid(o + 2)
                if len(a) < 4:
                    raise Incomplete()
                if not S.ip_ok(words[3]) or len(a) > 4:
                    raise Invalid(o + 3)
                mask = words[3]
            if S.mask_len(mask) is None or \
                    S.ip_int(pfx) & ~S.ip_int(mask) & 0xFFFFFFFF:
                raise Msg("%BGP: Incorrect network or mask configured")
            nets = b["networks"]
            have = [n for n in nets if n["prefix"] == pfx and
                    n["mask"] == mask]
            if neg:
                if not have:
                    raise Msg("% Network not found")
                nets.remove(have[0])
            elif not have:
                nets.append({"prefix": pfx, "mask": mask})
            st.dirty = True
            return []
        raise Invalid(o)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", required=True)
    ap.add_argument("--privilege", type=int, default=15)
    ap.add_argument("--enable-secret")
    ap.add_argument("--log")
    a = ap.parse_args()
    cli = Cli(a)
    command = os.environ.get("SSH_ORIGINAL_COMMAND")
    if command is not None and not os.isatty(fd_in):
        cli.interactive = False
        try:
            cli.run(command)
        except Quit:
            pass
        return 0
    old = None
    if os.isatty(fd_in):
        old = termios.tcgetattr(fd_in)
        tty.setraw(fd_in)
    try:
        w("\r\n")
        while True:
            w(cli.prompt())
            try:
                cli.run(cli.readline())
            except Quit:
                break
    except Quit:
        pass
    finally:
        if old is not None:
            termios.tcsetattr(fd_in, termios.TCSADRAIN, old)
    return 0


if __name__ == "__main__":
    sys.exit(main())
