#!/usr/bin/env python3
"""A local HTTP VNF and management server for provider-callbacks.sh.

    server.py PORTFILE LOGFILE

Listens on 127.0.0.1 (a free port, written to PORTFILE) and answers:

  POST /api/login        JSON {"user", "pass"}: {"data": {"token": ...}}
  GET  /api/rules        needs X-Auth-Token: the current token, else 401
  GET  /api/session      needs Cookie sid=<the current token>, else 401
  GET  /api/always401    401, whatever is sent
  POST /admin/expire     forgets the current token
  POST /retrieve         VyOS style: form fields data and key
  GET  /client/api       CloudStack API: the signature is verified as
                         ApiServer.verifyRequest does (see
                         tests/unit/provider/cssign-vectors.c)
  POST /callback         a plain HTTP callback, recorded

Every request is logged to LOGFILE as one JSON line.
"""
import base64
import hashlib
import hmac
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

USER, PASS = "api-user", "api-pass-123"
VYOS_KEY = "vyos-secret-key-42"
CS_API_KEY, CS_SECRET = "cs-api-key-abc", "cs-secret-key-xyz"

state = {"token": None, "logins": 0, "expire_after": 0}
lock = threading.Lock()
portfile, logfile = sys.argv[1], sys.argv[2]


def log(entry):
    with lock:
        with open(logfile, "a") as f:
            f.write(json.dumps(entry) + "\n")


def java_encode(s):
    """URLEncoder.encode(s, "UTF-8"), then '+' as '%20'."""
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        if c.isascii() and (c.isalnum() or c in ".-*_"):
            out.append(c)
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def cs_verify(query):
    """Recompute the signature from the received query and the secret."""
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True,
                                   strict_parsing=True)
    params = {}
    sig = None
    for k, v in pairs:
        if k.lower() == "signature":
            sig = v
        else:
            params[k] = v
    if sig is None:
        return False, "no signature", params
    if params.get("apiKey") != CS_API_KEY:
        return False, "unknown apiKey", params
    if params.get("signatureversion") != "3" or "expires" not in params:
        return False, "no signatureversion 3 with expires", params
    exp = time.strptime(params["expires"], "%Y-%m-%dT%H:%M:%S%z")
    if time.mktime(exp) < time.time() - 86400:
        return False, "expired", params
    names = sorted(params, key=lambda n: n.encode("utf-16-be"))
    unsigned = "&".join("%s=%s" % (n, java_encode(params[n]))
                        for n in names).lower()
    want = base64.b64encode(hmac.new(CS_SECRET.encode(), unsigned.encode(),
                                     hashlib.sha1).digest()).decode()
    if not hmac.compare_digest(want, sig):
        return False, "signature mismatch", params
    return True, "ok", params


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n).decode("utf-8", "replace") if n else ""

    def handle_any(self, method):
        u = urllib.parse.urlsplit(self.path)
        body = self.body()
        entry = {"method": method, "path": u.path, "query": u.query,
                 "headers": {k.lower(): v for k, v in self.headers.items()},
                 "body": body}
        status, obj = 404, {"error": "no such path"}
        with lock:
            token = state["token"]
        if u.path == "/api/login" and method == "POST":
            try:
                cred = json.loads(body)
            except ValueError:
                cred = {}
            if cred.get("user") == USER and cred.get("pass") == PASS:
                with lock:
                    state["logins"] += 1
                    state["token"] = "tok-%d-%s" % (state["logins"],
                                                    secrets.token_hex(8))
                    token = state["token"]
                status, obj = 200, {"data": {"token": token}}
            else:
                status, obj = 403, {"error": "bad credentials"}
        elif u.path == "/api/jwt" and method == "POST":
            want = "Basic " + base64.b64encode(
                ("%s:%s" % (USER, PASS)).encode()).decode()
            if self.headers.get("Authorization") == want and not body:
                with lock:
                    state["logins"] += 1
                    state["token"] = "tok-%d-%s" % (state["logins"],
                                                    secrets.token_hex(8))
                    token = state["token"]
                status, obj = 200, {"data": {"token": token}}
            else:
                status, obj = 401, {"code": 401, "status": "unauthorized",
                                    "response_id": "AUTH_AUTHENTICATION_FAILED"}
        elif u.path == "/api/rules":
            if token and self.headers.get("X-Auth-Token") == token:
                status, obj = 200, {"rows": [{"id": 7, "port": 22}]}
                with lock:
                    # /admin/expire-after-next: this answer is the
                    # token's last one.
                    if state["expire_after"] > 0:
                        state["expire_after"] -= 1
                        if state["expire_after"] == 0:
                            state["token"] = None
            else:
                status, obj = 401, {"error": "token expired"}
        elif u.path == "/api/session":
            c = self.headers.get("Cookie") or ""
            if token and ("sid=" + token) in [p.strip() for p in c.split(";")]:
                status, obj = 200, {"rows": [{"id": 8}]}
            else:
                status, obj = 401, {"error": "no session"}
        elif u.path == "/api/always401":
            status, obj = 401, {"error": "never"}
        elif u.path == "/api/change" and method == "POST":
            with lock:
                state["changes"] = state.get("changes", 0) + 1
            status, obj = 200, {"id": "rule-%d" % state["changes"]}
        elif u.path == "/api/apply" and method == "POST":
            with lock:
                state["applied"] = state.get("changes", 0)
            status, obj = 200, {"status": "ok"}
        elif u.path == "/api/apply-broken" and method == "POST":
            status, obj = 200, {"result": "failed", "message": "filter reload failed"}
        elif u.path == "/api/vendor-error":
            status, obj = 400, {"error": 400, "message": "Bad Request",
                                "detail": "invalid value for argument dst-port"}
        elif u.path == "/admin/expire-after-next":
            with lock:
                state["expire_after"] = 1
            status, obj = 200, {"expire_after": 1}
        elif u.path == "/admin/expire":
            with lock:
                state["token"] = None
            status, obj = 200, {"expired": True}
        elif u.path == "/retrieve" and method == "POST":
            f = urllib.parse.parse_qs(body)
            if f.get("key") == [VYOS_KEY] and "data" in f:
                status, obj = 200, {"success": True,
                                    "data": json.loads(f["data"][0])}
            else:
                status, obj = 403, {"success": False, "error": "bad key"}
        elif u.path == "/client/api":
            ok, why, params = cs_verify(u.query)
            entry["cs"] = {"ok": ok, "why": why, "params": params}
            if ok:
                status, obj = 200, {"updateresponse": {"success": True}}
            else:
                status, obj = 401, {"errorresponse": {"errortext": why}}
        elif u.path == "/callback" and method == "POST":
            status, obj = 200, {"received": True}
        entry["status"] = status
        log(entry)
        self.reply(status, obj)

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass    # a client gone early (libcurl 7.88's extra connection)


srv = Server(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
