"""The shared part of the vendor simulators in tests/vnfsim/.

A simulator is a test fixture standing in for a vendor appliance that
cannot run here.  Each vendor module subclasses Sim, declares its routes
and holds its state; this module gives it an HTTPS server (TLS 1.2+ on
the certificate the test made), request parsing with limits, a JSON log
of every request for the test to check, and the command line every
simulator shares:

    python3 SIM.py --listen ADDR [--port N] --port-file FILE
                   [--cert PEM --key PEM] [--log FILE] [--state FILE]
                   [--set KEY=VALUE ...]

--port 0 (the default) lets the kernel choose; the port is written to
--port-file once the server listens, so a test waits for that file.
--set passes vendor settings (credentials, version) to the simulator's
configure().  SIGTERM ends it cleanly.

Routes are (METHOD, regex over the path without the query) -> method
name; the method gets a Request and returns (status, body[, headers]),
body a dict/list (sent as JSON), str or bytes.  Raising HTTPError
answers with its status and body.  Handlers run one at a time (a lock),
as the appliances' configuration daemons do.
"""
import argparse
import base64
import json
import os
import re
import signal
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1 << 20          # a larger request body is refused with 413
MAX_HEADERS = 100


class HTTPError(Exception):
    """Answer with STATUS and BODY (dict, list, str) and HEADERS."""

    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


class Request:
    def __init__(self, method, path, query, headers, body, match):
        self.method = method
        self.path = path
        self.query = query            # name -> last value
        self.headers = headers        # lower-cased name -> value
        self.body = body              # bytes
        self.match = match            # the route's re.Match

    def json(self, bad):
        """The body parsed as JSON; raises HTTPError(*bad) when it is not.

        BAD is (status, body): what the vendor answers malformed input."""
        try:
            return json.loads(self.body.decode("utf-8") or "null")
        except (ValueError, UnicodeDecodeError):
            raise HTTPError(*bad)

    def form(self):
        """The body as application/x-www-form-urlencoded: name -> value."""
        pairs = urllib.parse.parse_qsl(self.body.decode("utf-8", "replace"),
                                       keep_blank_values=True)
        return dict(pairs)

    def basic_auth(self):
        """(user, password) from Authorization: Basic, or None."""
        h = self.headers.get("authorization", "")
        if not h.lower().startswith("basic "):
            return None
        try:
            raw = base64.b64decode(h[6:].strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        if ":" not in raw:
            return None
        return tuple(raw.split(":", 1))

    def bearer(self):
        h = self.headers.get("authorization", "")
        if h.lower().startswith("bearer "):
            return h[7:].strip()
        return None


class Sim:
    """A vendor simulator: subclass it, set ROUTES, write handlers."""

    ROUTES = []                 # [(METHOD, r"^/path/(?P<id>[^/]+)$", "name")]
    SERVER = "vnfsim"

    def __init__(self, settings):
        self.settings = settings
        self.lock = threading.Lock()
        self._routes = [(m, re.compile(p), n) for m, p, n in self.ROUTES]
        self.configure(settings)

    def configure(self, settings):
        """Vendor settings from --set KEY=VALUE."""

    def not_found(self, req):
        return 404, {"error": "not found", "path": req.path}

    def method_not_allowed(self, req):
        return 405, {"error": "method not allowed"}

    def route(self, req_method, path):
        allowed = False
        for m, rx, name in self._routes:
            mt = rx.match(path)
            if mt is None:
                continue
            if m == req_method or m == "*":
                return getattr(self, name), mt
            allowed = True
        return None, allowed

    def dump(self):
        """The state as JSON-able data, for --state (tests read it)."""
        return {}


def _make_handler(sim, log):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = sim.SERVER
        sys_version = ""

        def log_message(self, fmt, *args):
            pass

        def _answer(self, status, body, headers=None):
            if isinstance(body, (dict, list)):
                data = json.dumps(body).encode()
                ctype = "application/json"
            elif isinstance(body, bytes):
                data = body
                ctype = "application/octet-stream"
            else:
                data = str(body).encode()
                ctype = "text/plain; charset=utf-8"
            hdrs = {"Content-Type": ctype}
            hdrs.update(headers or {})
            self.send_response(status)
            for k, v in hdrs.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            # Head and body in one write, as an appliance's web server
            # sends them: two small writes would wait on the client's
            # delayed ACK (Nagle), 40 ms a request on a kept connection.
            self._headers_buffer.append(b"\r\n")
            if self.command != "HEAD":
                self._headers_buffer.append(data)
            self.flush_headers()
            return data

        def _handle(self):
            start = time.time()
            u = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(u.query,
                                                keep_blank_values=True))
            headers = {k.lower(): v for k, v in self.headers.items()}
            body = b""
            entry = {"method": self.command, "path": u.path,
                     "query": query, "headers": headers,
                     # the client's port: one per TCP connection
                     "peer": self.client_address[1]}
            try:
                if len(self.headers) > MAX_HEADERS:
                    raise HTTPError(431, {"error": "too many headers"})
                n = int(self.headers.get("Content-Length") or 0)
                if n < 0 or n > MAX_BODY:
                    raise HTTPError(413, {"error": "body too large"})
                if self.headers.get("Transfer-Encoding"):
                    raise HTTPError(411, {"error": "length required"})
                body = self.rfile.read(n) if n else b""
                fn, mt = sim.route(self.command, u.path)
                req = Request(self.command, u.path, query, headers, body,
                              mt if fn else None)
                with sim.lock:
                    if fn is None:
                        out = (sim.method_not_allowed(req) if mt
                               else sim.not_found(req))
                    else:
                        out = fn(req)
                status, rbody = out[0], out[1]
                rheaders = out[2] if len(out) > 2 else None
            except HTTPError as e:
                status, rbody, rheaders = e.status, e.body, e.headers
            except Exception as e:  # a simulator bug: say so, loudly
                status, rbody, rheaders = 500, {"error": "simulator: %r" %
                                                (e,)}, None
                print("vnfsim: %s %s: %r" % (self.command, u.path, e),
                      file=sys.stderr)
            entry["body"] = body.decode("utf-8", "replace")
            sent = self._answer(status, rbody, rheaders)
            entry["status"] = status
            entry["response"] = sent.decode("utf-8", "replace")[:4096]
            entry["ms"] = round((time.time() - start) * 1000, 3)
            if log is not None:
                with log["lock"]:
                    log["f"].write(json.dumps(entry) + "\n")
                    log["f"].flush()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    return Handler


def main(sim_class, argv=None):
    ap = argparse.ArgumentParser(description=sim_class.__doc__)
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--log")
    ap.add_argument("--state", help="write the state here on exit")
    ap.add_argument("--set", action="append", default=[],
                    metavar="KEY=VALUE")
    a = ap.parse_args(argv)
    settings = {}
    for kv in a.set:
        if "=" not in kv:
            ap.error("--set %s: expected KEY=VALUE" % kv)
        k, v = kv.split("=", 1)
        settings[k] = v
    sim = sim_class(settings)
    log = None
    if a.log:
        log = {"f": open(a.log, "a"), "lock": threading.Lock()}
    srv = ThreadingHTTPServer((a.listen, a.port), _make_handler(sim, log))
    srv.daemon_threads = True
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(a.cert, a.key)
        # The handshake runs in the request's thread, on its first
        # read, so a client that stalls it holds up no one else.
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()
    srv.server_close()
    if a.state:
        with open(a.state, "w") as f:
            json.dump(sim.dump(), f, indent=1)
    return 0
