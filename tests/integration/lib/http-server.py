#!/usr/bin/env python3
"""A small HTTP(S) server for tests/unit/provider/test-http.c.

    http-server.py [CERT KEY]

Listens on 127.0.0.1, on a port of the kernel's choosing, and prints that
port on the first line of standard output.  With CERT and KEY it speaks TLS.
It counts the TCP connections it accepts.  Paths:

  /echo            200, JSON {method, path, headers (lower-cased), body}
  /big?n=N         N bytes of 'x' with a Content-Length
  /stream?n=N      N bytes of 'x' with no length (ends at close)
  /redirect?to=U&code=C   C (default 302) with Location: U
  /loop            302 to itself
  /slow?ms=N       waits N ms, then 200
  /status?code=C   C with a short body
  /count           the number of connections accepted so far, this one too
"""
import json
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

CONNECTIONS = 0
LOCK = threading.Lock()


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that stop reading (size limits) are expected

    def get_request(self):
        global CONNECTIONS
        sock, addr = super().get_request()
        with LOCK:
            CONNECTIONS += 1
        return sock, addr


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body, headers=(), length=True):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if u.path == "/echo":
            doc = {"method": self.command, "path": self.path,
                   "headers": {k.lower(): v for k, v in self.headers.items()},
                   "body": body.decode("utf-8", "replace")}
            self.reply(200, json.dumps(doc).encode(),
                       [("Content-Type", "application/json"),
                        ("X-Multi", "a"), ("X-Multi", "b")])
        elif u.path == "/big":
            self.reply(200, b"x" * int(q.get("n", "0")))
        elif u.path == "/stream":
            self.reply(200, b"x" * int(q.get("n", "0")), length=False)
        elif u.path == "/redirect":
            self.reply(int(q.get("code", "302")), b"moved",
                       [("Location", q.get("to", "/echo"))])
        elif u.path == "/loop":
            self.reply(302, b"again", [("Location", "/loop")])
        elif u.path == "/slow":
            time.sleep(int(q.get("ms", "1000")) / 1000)
            self.reply(200, b"late")
        elif u.path == "/status":
            self.reply(int(q.get("code", "200")), b"status")
        elif u.path == "/count":
            with LOCK:
                n = CONNECTIONS
            self.reply(200, str(n).encode())
        else:
            self.reply(404, b"no such path")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    if len(sys.argv) == 3:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[1], sys.argv[2])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
