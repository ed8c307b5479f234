#!/usr/bin/env python3
"""Check docs/api/openapi.yaml against a running engine role.

    openapi-check.py --spec openapi.yaml --socket api.sock --calls calls.json
        [--routes-from broker/engine-http.c] [--probe]

calls.json is a list of requests, made in order over the API's unix socket:
    {"method": "PUT", "path": "/v1/networks/n1", "json": {...}}
    {"method": "PUT", "path": "/v1/providers/p", "body": "yaml text",
     "ctype": "application/yaml", "expect": 422, "invalid": true}
    {"method": "POST", "path": "...", "poll_job": true}
Members: method, path, json (a JSON body) or body (text) with ctype,
accept, expect (a status or a list: the scenario's own assertion), invalid
(the request body is wrong on purpose: not checked against the request
schema), save (NAME: remember the answer's "job" or "id" as {NAME} for
later paths).

Each answer must have a documented status for its path and method; its
body must match that status's schema (OpenAPI 3.0 schemas turned into
JSON Schema: nullable, $refs into components).  Every documented path and
method must have been called at least once.  With --routes-from, every
route of the engine's routing table must be documented and every
documented operation routed.  With --probe, each documented path answers
405 with an Error to the methods it does not document, and unknown paths
answer 404 with an Error.

Prints "ok - ..." / "not ok - ..." lines naming method, path, status and
the schema error, then "N passed, M failed"; exits 1 on any failure.
"""
import argparse
import copy
import http.client
import json
import re
import socket
import ssl
import sys
import time

import jsonschema
import yaml

METHODS = ("get", "put", "post", "delete", "patch")
MAX_ANSWER = 16 * 1024 * 1024

passed = 0
failed = 0


def ok(msg):
    global passed
    passed += 1
    print("ok - " + msg)


def not_ok(msg):
    global failed
    failed += 1
    print("not ok - " + msg)


TLS = {}    # --tls HOST:PORT and its credentials


def request(sock, method, path, body=None, ctype=None, accept=None,
            via=None):
    """One request on its own connection: (status, content-type, bytes).

    Head and body go in one write: a server that refuses a request from
    its head (405, 413, 415) may answer and close before reading the body,
    and its answer is what is checked.
    """
    head = ["%s %s HTTP/1.1" % (method, path), "Host: localhost",
            "Accept: " + (accept or "application/json"),
            "Connection: close"]
    if via is None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(sock)
    else:
        # "tls" (no credentials), "tls-token", "tls-cert".
        ctx = ssl.create_default_context(cafile=TLS["cacert"])
        if via == "tls-cert":
            ctx.load_cert_chain(TLS["cert"], TLS["key"])
        if via == "tls-token":
            with open(TLS["token_file"]) as f:
                head.append("Authorization: Bearer " + f.read().strip())
        host, port = TLS["addr"].rsplit(":", 1)
        raw = socket.create_connection((host, int(port)), timeout=60)
        s = ctx.wrap_socket(raw, server_hostname=host)
    if body is not None:
        head.append("Content-Type: " + (ctype or "application/json"))
        head.append("Content-Length: %d" % len(body))
    data = ("\r\n".join(head) + "\r\n\r\n").encode() + (body or b"")
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass    # the answer may be waiting all the same
    r = http.client.HTTPResponse(s, method=method)
    try:
        r.begin()
        out = r.read(MAX_ANSWER + 1)
    finally:
        s.close()
    if len(out) > MAX_ANSWER:
        raise RuntimeError("answer longer than %d bytes" % MAX_ANSWER)
    return r.status, r.getheader("Content-Type") or "", out


def to_jsonschema(s):
    """OpenAPI 3.0 Schema Object -> JSON Schema (draft 7)."""
    if isinstance(s, list):
        return [to_jsonschema(x) for x in s]
    if not isinstance(s, dict):
        return s
    out = {}
    for k, v in s.items():
        if k in ("properties", "patternProperties"):
            out[k] = {pk: to_jsonschema(pv) for pk, pv in v.items()}
        elif k in ("nullable", "example", "discriminator", "xml",
                   "externalDocs", "deprecated", "readOnly", "writeOnly"):
            continue
        else:
            out[k] = to_jsonschema(v)
    if s.get("nullable"):
        if "type" in out and len(out) == 1 + ("description" in out):
            out["type"] = [out["type"], "null"]
        elif "type" in out and not any(
                k in out for k in ("allOf", "anyOf", "oneOf", "$ref")):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = list(out["enum"]) + [None]
        elif "type" not in out and not any(
                k in out for k in ("allOf", "anyOf", "oneOf", "$ref")):
            pass  # anything, null included
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def walk_refs(node, where, spec, problems):
    """Every $ref points somewhere in the document."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                if not v.startswith("#/"):
                    problems.append("%s: external $ref %s" % (where, v))
                    continue
                cur = spec
                for part in v[2:].split("/"):
                    if not isinstance(cur, dict) or part not in cur:
                        problems.append("%s: $ref %s resolves to nothing"
                                        % (where, v))
                        break
                    cur = cur[part]
            else:
                walk_refs(v, where + "/" + str(k), spec, problems)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk_refs(v, "%s/%d" % (where, i), spec, problems)


def deref(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        cur = spec
        for part in node["$ref"][2:].split("/"):
            cur = cur[part]
        node = cur
    return node


class Spec:
    def __init__(self, path):
        with open(path) as f:
            self.doc = yaml.safe_load(f)
        self.components = to_jsonschema(
            self.doc.get("components", {}).get("schemas", {}))
        self.templates = []
        for p in self.doc.get("paths", {}):
            segs = p.strip("/").split("/")
            self.templates.append((p, segs))

    def lint(self):
        """The document's own shape: the things this check relies on."""
        problems = []
        d = self.doc
        if not str(d.get("openapi", "")).startswith("3.0"):
            problems.append("openapi: expected 3.0.x")
        for k in ("info", "paths", "components"):
            if k not in d:
                problems.append("missing top-level %s" % k)
        walk_refs(d, "#", d, problems)
        for p, item in d.get("paths", {}).items():
            names = set(re.findall(r"\{([^}]+)\}", p))
            declared = set()
            for prm in item.get("parameters", []):
                prm = deref(d, prm)
                if prm.get("in") == "path":
                    declared.add(prm["name"])
            for m in METHODS:
                op = item.get(m)
                if op is None:
                    continue
                dd = set(declared)
                for prm in op.get("parameters", []):
                    prm = deref(d, prm)
                    if prm.get("in") == "path":
                        dd.add(prm["name"])
                if dd != names:
                    problems.append("%s %s: path parameters %s declared %s"
                                    % (m.upper(), p, sorted(names),
                                       sorted(dd)))
                if not op.get("responses"):
                    problems.append("%s %s: no responses" % (m.upper(), p))
                if "operationId" not in op:
                    problems.append("%s %s: no operationId" % (m.upper(), p))
                for st, r in op.get("responses", {}).items():
                    r = deref(d, r)
                    if "description" not in r:
                        problems.append("%s %s %s: no description"
                                        % (m.upper(), p, st))
        for name, s in self.components.items():
            try:
                jsonschema.Draft7Validator.check_schema(s)
            except jsonschema.SchemaError as e:
                problems.append("components/schemas/%s: %s"
                                % (name, e.message))
        return problems

    def match(self, path):
        """The documented template of a concrete path, or None."""
        segs = path.split("?")[0].strip("/").split("/")
        best, score = None, -1
        for p, t in self.templates:
            if len(t) != len(segs):
                continue
            s = 0
            for a, b in zip(t, segs):
                if a.startswith("{") and a.endswith("}"):
                    if b == "":
                        break
                elif a != b:
                    break
                else:
                    s += 1
            else:
                if s > score:
                    best, score = p, s
        return best

    def operation(self, template, method):
        return self.doc["paths"][template].get(method.lower())

    def validate(self, schema, value):
        """None, or the first error as 'at PATH: message'."""
        root = {"allOf": [to_jsonschema(schema)],
                "components": {"schemas": self.components}}
        v = jsonschema.Draft7Validator(root)
        errs = sorted(v.iter_errors(value), key=lambda e: list(e.path))
        if not errs:
            return None
        e = errs[0]
        best = jsonschema.exceptions.best_match(errs) or e
        where = "/".join(str(x) for x in best.absolute_path) or "(top)"
        return "at %s: %s" % (where, best.message[:300])


def schema_name(schema):
    if isinstance(schema, dict) and "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    return "schema"


def check_answer(spec, method, path, status, ctype, data, call):
    """Status documented, body matches.  Returns the parsed body."""
    label = "%s %s -> %d" % (method, path, status)
    template = spec.match(path)
    body = None
    if data:
        try:
            body = json.loads(data)
        except ValueError:
            body = None
    if template is None:
        # 404, or 400 bad_request for a malformed path ("/v1/").
        if status not in (400, 404):
            not_ok("%s: path is not documented, yet it answered %d"
                   % (label, status))
            return body
        err = spec.validate({"$ref": "#/components/schemas/Error"}, body)
        if err:
            not_ok("%s: undocumented path: body is not an Error: %s"
                   % (label, err))
        else:
            ok("%s (undocumented path refused with an Error)" % label)
        return body
    op = spec.operation(template, method)
    if op is None:
        err = spec.validate({"$ref": "#/components/schemas/Error"}, body)
        if status != 405:
            not_ok("%s: %s is not documented for %s, expected 405"
                   % (label, method, template))
        elif err:
            not_ok("%s: 405 body is not an Error: %s" % (label, err))
        else:
            ok("%s (method not documented: 405 Error)" % label)
        return body
    responses = op.get("responses", {})
    resp = responses.get(str(status), responses.get("default"))
    expect = call.get("expect", call.get("until"))
    if expect is not None:
        exp = expect if isinstance(expect, list) else [expect]
        if status not in exp:
            detail = data[:300].decode("utf-8", "replace") if data else ""
            not_ok("%s (%s): expected %s: %s" % (label, template,
                   "/".join(map(str, exp)), detail))
            return body
    if resp is None:
        detail = data[:300].decode("utf-8", "replace") if data else ""
        not_ok("%s (%s %s): status %d is not documented (documented: %s): %s"
               % (label, method, template, status,
                  ", ".join(sorted(responses)), detail))
        return body
    resp = deref(spec.doc, resp)
    content = resp.get("content")
    if not content:
        if data:
            not_ok("%s: documented without a body, yet %d bytes came"
                   % (label, len(data)))
        else:
            ok(label)
        return body
    mt = ctype.split(";")[0].strip().lower()
    if mt not in content:
        not_ok("%s: Content-Type %r is not documented (documented: %s)"
               % (label, ctype, ", ".join(content)))
        return body
    schema = content[mt].get("schema", {})
    if mt == "application/json":
        if body is None and data != b"null":
            not_ok("%s: body is not JSON: %r" % (label, data[:200]))
            return body
        err = spec.validate(schema, body)
        if err:
            not_ok("%s (%s %s): body does not match %s: %s"
                   % (label, method, template, schema_name(schema), err))
            return body
    ok("%s (%s)" % (label, schema_name(schema) if mt == "application/json"
                    else mt))
    return body


def check_request(spec, method, path, call):
    """The scenario's own request bodies are valid per the document."""
    if call.get("invalid") or "json" not in call:
        return
    template = spec.match(path)
    if template is None:
        return
    op = spec.operation(template, method)
    if op is None or "requestBody" not in op:
        return
    schema = op["requestBody"]["content"].get(
        "application/json", {}).get("schema")
    if schema is None:
        return
    err = spec.validate(schema, call["json"])
    if err:
        not_ok("%s %s: the test's own request body does not match %s: %s"
               % (method, path, schema_name(schema), err))


def routes_from(source):
    """The routing table of engine-http.c: {(METHOD, path-with-{})}."""
    with open(source) as f:
        text = f.read()
    rx = re.compile(r'\{\s*ENGINE_(GET|PUT|POST|DELETE)\s*,\s*"([^"]+)"')
    return {(m, p) for m, p in rx.findall(text)}


def norm(template):
    return re.sub(r"\{[^}]*\}", "{}", template)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", required=True)
    ap.add_argument("--socket", required=True)
    ap.add_argument("--calls", required=True)
    ap.add_argument("--routes-from")
    ap.add_argument("--probe", action="store_true")
    ap.add_argument("--tls", help="HOST:PORT of the HTTPS listener")
    ap.add_argument("--cacert")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--token-file")
    a = ap.parse_args()
    TLS.update(addr=a.tls, cacert=a.cacert, cert=a.cert, key=a.key,
               token_file=a.token_file)

    spec = Spec(a.spec)
    problems = spec.lint()
    for p in problems:
        not_ok("document: " + p)
    if not problems:
        ok("document: OpenAPI 3.0 shape, $refs resolve, schemas valid")

    with open(a.calls) as f:
        calls = json.load(f)
    saved = {}
    called = set()
    seen = set()
    for call in calls:
        method = call["method"].upper()
        path = call["path"]
        for k, v in saved.items():
            path = path.replace("{" + k + "}", v)
        body = None
        if "json" in call:
            body = json.dumps(call["json"]).encode()
        elif "body" in call:
            body = call["body"].encode()
        elif "body_file" in call:
            with open(call["body_file"], "rb") as f:
                body = f.read()
        check_request(spec, method, path, call)
        # "until": repeat (at most 20 s) until that status comes, as when
        # a new view has yet to reach the engine's workers.
        deadline = time.time() + 20
        while True:
            try:
                status, ctype, data = request(a.socket, method, path, body,
                                              call.get("ctype"),
                                              call.get("accept"),
                                              call.get("via"))
            except (OSError, http.client.HTTPException, ssl.SSLError,
                    RuntimeError) as e:
                status, err = None, e
            if (status is None or "until" not in call or
                    status == call["until"] or time.time() > deadline):
                break
            time.sleep(0.2)
        if status is None:
            not_ok("%s %s: no answer: %s" % (method, path, err))
            continue
        t = spec.match(path)
        if t is not None:
            called.add((t, method.lower()))
            seen.add((t, method.lower(), str(status)))
        answer = check_answer(spec, method, path, status, ctype, data, call)
        if call.get("save") and isinstance(answer, dict):
            v = answer.get("job", answer.get("id"))
            if isinstance(v, dict):
                v = v.get("id")
            if isinstance(v, str):
                saved[call["save"]] = v
        for k, v in call.get("assert", {}).items():
            got = answer
            for part in k.split("."):
                got = got.get(part) if isinstance(got, dict) else None
            if got != v:
                not_ok("%s %s: %s is %r, expected %r" % (method, path, k,
                                                         got, v))
        if call.get("poll_job"):
            # Wait until the saved job is done (bounded), then move on.
            jid = saved.get(call["save"]) if call.get("save") else None
            deadline = time.time() + float(call.get("poll_job_timeout", 30))
            while jid and time.time() < deadline:
                st, _, d = request(a.socket, "GET", "/v1/jobs/" + jid)
                if st != 200 or json.loads(d).get("state") == "done":
                    break
                time.sleep(0.2)

    for p, item in spec.doc["paths"].items():
        for m in METHODS:
            if m in item and (p, m) not in called:
                not_ok("%s %s: documented but never called by the check"
                       % (m.upper(), p))

    # Which documented answers the calls produced (information only).
    total = 0
    for p, item in spec.doc["paths"].items():
        for m in METHODS:
            if m in item:
                sts = sorted(item[m].get("responses", {}))
                got = [x for x in sts if (p, m, x) in seen]
                total += len(got)
                print("# %s %s: answered %s of documented %s"
                      % (m.upper(), p, ",".join(got) or "-", ",".join(sts)))
    print("# %d documented (path, method, status) answers seen" % total)

    if a.routes_from:
        routes = routes_from(a.routes_from)
        if not routes:
            not_ok("routing table: no routes found in %s" % a.routes_from)
        documented = set()
        for p, item in spec.doc["paths"].items():
            for m in METHODS:
                if m in item:
                    documented.add((m.upper(), norm(p)))
        for r in sorted(routes - documented):
            not_ok("routing table: %s %s is served but not documented" % r)
        for r in sorted(documented - routes):
            not_ok("routing table: %s %s is documented but not routed" % r)
        if routes and routes == documented:
            ok("routing table: %d routes, each documented, each routed"
               % len(routes))

    if a.probe:
        for p, item in spec.doc["paths"].items():
            concrete = re.sub(r"\{[^}]*\}", "probe-x", p)
            for m in METHODS:
                if m in item:
                    continue
                try:
                    st, ct, d = request(a.socket, m.upper(), concrete,
                                        b"{}" if m in ("put", "post",
                                                       "patch") else None)
                except (OSError, http.client.HTTPException) as e:
                    not_ok("%s %s: no answer: %s" % (m.upper(), concrete, e))
                    continue
                check_answer(spec, m.upper(), concrete, st, ct, d, {})
        for junk in ("/", "/v1", "/v1/", "/v2/health", "/v1/nothing",
                     "/v1/networks/a/b", "/v1/appliances/a/operations/s",
                     "/v1/jobs", "/metrics/x", "/v1/health/x"):
            try:
                st, ct, d = request(a.socket, "GET", junk)
            except (OSError, http.client.HTTPException) as e:
                not_ok("GET %s: no answer: %s" % (junk, e))
                continue
            check_answer(spec, "GET", junk, st, ct, d, {})

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
