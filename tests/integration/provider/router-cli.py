#!/usr/bin/env python3
"""A small router CLI for the SSH executor's tests (run as sshd's
ForceCommand on a PTY).

Like a network device, it puts the terminal in raw mode and echoes what it
reads itself, ends lines with CR LF, colours its banner with ANSI escapes,
pages long output with --More-- until `terminal length 0`, and answers in
IOS words: Router> / Router# / Router(config)# / Router(config-if)#,
"% Invalid input detected at '^' marker.", "% Incomplete command.",
"Proceed with reload? [confirm]".

Test-only commands: `show late` (a prompt-like line, then more output a
moment later), `show hang` (never returns a prompt), `show banner`
(ANSI-coloured lines).
"""
import os
import sys
import termios
import time
import tty

HOST = "Router"
PAGE = 24

out = sys.stdout.buffer
fd_in = sys.stdin.fileno()


def w(s):
    out.write(s.encode() if isinstance(s, str) else s)
    out.flush()


def readc():
    b = os.read(fd_in, 1)
    if not b:
        sys.exit(0)
    return b


class Router:
    def __init__(self):
        self.mode = "exec"          # exec, priv, config, config-if
        self.intf = None
        self.paging = True
        self.intfs = {"GigabitEthernet1": {"ip": "10.0.0.1 255.255.255.0",
                                           "desc": None, "shut": False},
                      "GigabitEthernet2": {"ip": None, "desc": None,
                                           "shut": True}}
        self.pending_cr = False

    def prompt(self):
        suffix = {"exec": ">", "priv": "#", "config": "(config)#",
                  "config-if": "(config-if)#"}[self.mode]
        return HOST + suffix

    def readline(self):
        buf = b""
        while True:
            c = readc()
            if c == b"\n" and self.pending_cr:
                self.pending_cr = False
                continue
            self.pending_cr = c == b"\r"
            if c in (b"\r", b"\n"):
                w("\r\n")
                return buf.decode(errors="replace")
            if c in (b"\x7f", b"\b"):
                if buf:
                    buf = buf[:-1]
                    w("\b \b")
                continue
            if c == b"\x03":
                w("^C\r\n")
                return ""
            buf += c
            w(c)

    def lines_out(self, lines):
        """Print lines, paging with --More-- unless paging is off."""
        n = 0
        for line in lines:
            if self.paging and n == PAGE - 1:
                w(" --More-- ")
                c = readc()
                w("\b" * 10 + " " * 10 + "\b" * 10)
                if c in (b"q", b"Q"):
                    return
                n = 0
            w(line + "\r\n")
            n += 1

    def running_config(self):
        cfg = ["Building configuration...", "",
               "Current configuration : 1024 bytes", "!",
               "version 17.3", "service timestamps debug datetime msec",
               "service timestamps log datetime msec",
               "hostname " + HOST, "!", "boot-start-marker",
               "boot-end-marker", "!", "no aaa new-model", "!"]
        for name, i in self.intfs.items():
            cfg.append("interface " + name)
            if i["desc"]:
                cfg.append(" description " + i["desc"])
            cfg.append(" ip address " + i["ip"] if i["ip"]
                       else " no ip address")
            if i["shut"]:
                cfg.append(" shutdown")
            cfg.append("!")
        for n in range(1, 16):
            cfg.append("ip route 192.0.2.%d 255.255.255.255 Null0" % n)
        cfg += ["!", "line con 0", " stopbits 1", "line vty 0 4",
                " login local", " transport input ssh", "!", "end"]
        return cfg

    def invalid(self, line):
        w(" " * (len(self.prompt()) + len(line.split(" ")[0]) - 1)
          + "^\r\n")
        w("% Invalid input detected at '^' marker.\r\n\r\n")

    def run(self, line):
        words = line.split()
        if not words:
            return True
        cmd = " ".join(words)
        if cmd in ("terminal length 0", "term len 0"):
            self.paging = False
        elif cmd == "enable" and self.mode == "exec":
            self.mode = "priv"
        elif cmd == "disable" and self.mode == "priv":
            self.mode = "exec"
        elif cmd in ("configure terminal", "conf t") and self.mode == "priv":
            w("Enter configuration commands, one per line.  "
              "End with CNTL/Z.\r\n")
            self.mode = "config"
        elif cmd == "end" and self.mode.startswith("config"):
            self.mode = "priv"
        elif cmd == "exit":
            if self.mode == "config-if":
                self.mode = "config"
            elif self.mode == "config":
                self.mode = "priv"
            else:
                return False
        elif words[0] == "interface" and self.mode.startswith("config"):
            if len(words) < 2:
                w("% Incomplete command.\r\n\r\n")
                return True
            self.intfs.setdefault(words[1], {"ip": None, "desc": None,
                                             "shut": True})
            self.intf = words[1]
            self.mode = "config-if"
        elif self.mode == "config-if" and words[0] == "description":
            self.intfs[self.intf]["desc"] = " ".join(words[1:])
        elif self.mode == "config-if" and words[:2] == ["ip", "address"]:
            if len(words) != 4:
                w("% Incomplete command.\r\n\r\n")
                return True
            self.intfs[self.intf]["ip"] = words[2] + " " + words[3]
        elif self.mode == "config-if" and cmd == "shutdown":
            self.intfs[self.intf]["shut"] = True
        elif self.mode == "config-if" and cmd == "no shutdown":
            self.intfs[self.intf]["shut"] = False
        elif cmd in ("show running-config", "show run") and \
                self.mode in ("priv",):
            self.lines_out(self.running_config())
        elif cmd in ("show version", "show ver") and \
                self.mode in ("exec", "priv"):
            self.lines_out(["Cisco IOS XE Software, Version 17.03.04a "
                            "(simulated)", "Router uptime is 1 hour",
                            "Configuration register is 0x2102"])
        elif cmd == "show banner":
            w("\x1b[1mbold line\x1b[0m\r\n\x1b[32mgreen\x1b[0m line\r\n")
        elif cmd == "show late":
            w("early line\r\n" + self.prompt())
            time.sleep(0.02)
            w("\r\nlate line\r\n")
        elif cmd == "show hang":
            w("hanging forever...\r\n")
            while True:
                readc()
        elif cmd == "reload" and self.mode == "priv":
            w("Proceed with reload? [confirm]")
            c = readc()
            if c in (b"y", b"Y", b"\r", b"\n"):
                w("\r\nReload scheduled (simulated).\r\n")
            else:
                w("\r\n% Reload cancelled.\r\n")
        else:
            self.invalid(line)
        return True


def main():
    old = None
    if os.isatty(fd_in):
        old = termios.tcgetattr(fd_in)
        tty.setraw(fd_in)
    try:
        r = Router()
        w("\x1b[1;34m*** Simulated router for vnf-broker tests ***"
          "\x1b[0m\r\n\r\nUnauthorized access is prohibited.\r\n\r\n")
        while True:
            w(r.prompt())
            if not r.run(r.readline()):
                break
    finally:
        if old is not None:
            termios.tcsetattr(fd_in, termios.TCSADRAIN, old)


if __name__ == "__main__":
    main()
