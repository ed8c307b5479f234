#!/bin/sh
# Callbacks and HTTP auth kinds, end to end: vnf-provider run against a
# local HTTP VNF and management server (provider-callbacks/server.py on
# 127.0.0.1), which checks what arrives the way the real ones would:
#   - a cloudstack-api callback: the server recomputes the signature from
#     the query it received and the secret, as ApiServer.verifyRequest does
#     (the rules of tests/unit/provider/cssign-vectors.c); a wrong secret
#     must fail the callback step;
#   - a plain HTTP callback: method, header and rendered JSON body;
#   - auth type login: one login for several operations (the token kept),
#     a login again once on 401, a clear failure on a second 401, a token
#     sent as a cookie, a refused login;
#   - auth type form: VyOS's key= field added to the form body;
#   - no secret of the run in any output.
# Needs python3; no root, no namespaces.
. "$(dirname "$0")/lib/common.sh"

PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
VP=$top_builddir/provider/vnf-provider
HERE=$top_srcdir/tests/integration/provider-callbacks
DICT=$HERE/callbacks.yaml
[ -x "$VP" ] || { echo "FAIL: $VP not built"; exit 1; }

TMP=$(mktemp -d /tmp/vbc.XXXXXX)
SPID=
cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$PY" "$HERE/server.py" "$TMP/port" "$TMP/log" 2>"$TMP/server.err" &
SPID=$!
wait_for 10 test -s "$TMP/port" || { echo "FAIL: the server did not start"; cat "$TMP/server.err"; exit 1; }
PORT=$(cat "$TMP/port")
echo "# server on 127.0.0.1:$PORT"
OUT=$TMP/out

SECRETS="api-pass-123 vyos-secret-key-42 cs-secret-key-xyz cs-api-key-abc"
cs() {
	"$PY" - "$PORT" "$@" <<'EOP'
import json, sys
d = {"api_user": "api-user", "api_password": "api-pass-123",
     "vyos_key": "vyos-secret-key-42", "cs_api_key": "cs-api-key-abc",
     "cs_secret_key": "cs-secret-key-xyz", "cb_port": sys.argv[1],
     "vyos_request": json.dumps({"op": "showConfig", "path": ["interfaces"]})}
for kv in sys.argv[2:]:
    k, v = kv.split("=", 1)
    d[k] = v
print(json.dumps(d))
EOP
}
CS=$(cs)
# vp ARGS...: vnf-provider run; results (one per line) in $OUT.
vp() {
	"$VP" run "$DICT" --target "127.0.0.1:$PORT" --compact \
	    --callback-url "http://127.0.0.1:$PORT/client/api" "$@" \
	    >"$OUT" 2>"$OUT.err"
	VP_RC=$?
}
# res EXPR: a Python expression over the results r (a list) and d = r[-1].
res() {
	"$PY" -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]; d=r[-1]; print(eval(sys.argv[2]))' \
	    "$OUT" "$1" 2>/dev/null
}
is() { [ "$(res "$1")" = "$2" ]; }
# srv EXPR: over the server's log entries e (a list).
srv() {
	"$PY" -c 'import json,sys,urllib.parse; e=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]; print(eval(sys.argv[2]))' \
	    "$TMP/log" "$1" 2>/dev/null
}
sis() { [ "$(srv "$1")" = "$2" ]; }
show() { echo "# rc=$VP_RC $(head -c 2000 "$OUT") $(head -c 300 "$OUT.err")"; }
nosecret() {
	for s in $SECRETS; do
		if grep -q -- "$s" "$OUT" "$OUT.err"; then
			echo "# secret $s in the output"
			return 1
		fi
	done
}
logins() { srv 'len([x for x in e if x["path"] == "/api/login" and x["status"] == 200])'; }

# --- cloudstack-api callback ----------------------------------------------------
vp --cs-data "$CS" Rules list
check "cloudstack-api callback: the operation succeeds (exit 0)" \
    test "$VP_RC" -eq 0 || show
check "cloudstack-api: steps login, http, transform, callback" \
    is '[(s["step"], s["status"]) for s in d["steps"]]' \
    "[('validate', 'success'), ('login', 'success'), ('http', 'success'), ('transform', 'success'), ('callback', 'success')]" || show
check "cloudstack-api: the server verified the signature" \
    sis '[x["cs"]["ok"] for x in e if x["path"] == "/client/api"]' "[True]"
check "cloudstack-api: command, rule id from the transform, apiKey, response, signatureversion 3, expires" \
    sis '[(p["command"], p["rule_id"], p["apiKey"], p["response"], p["signatureversion"], len(p["expires"])) for p in [x["cs"]["params"] for x in e if x["path"] == "/client/api"]]' \
    "[('updateVnfRules', '7', 'cs-api-key-abc', 'json', '3', 24)]"
check "cloudstack-api: a value with space, ~ * + / = & and non-ASCII arrives intact" \
    sis '[x["cs"]["params"]["note"] for x in e if x["path"] == "/client/api"]' \
    "['a b~c*d+e/f=g&h é']"
check "cloudstack-api: no secret key in the query sent" \
    sis '[("cs-secret-key-xyz" in x["query"], "secret_key" in x["query"]) for x in e if x["path"] == "/client/api"]' \
    "[(False, False)]"
check "cloudstack-api: no secret in the output" nosecret

vp --cs-data "$(cs cs_secret_key=not-the-secret)" Rules list
check "cloudstack-api, wrong secret: the server refuses the signature" \
    sis '[x["cs"]["why"] for x in e if x["path"] == "/client/api"][-1]' "signature mismatch"
check "cloudstack-api, wrong secret: failed at the callback step (exit 3), the work itself done" \
    is '(d["status"], d["steps"][-1]["step"], d["steps"][-1]["status"], d["steps"][2]["status"], d["error"].startswith("callback: HTTP status 401"))' \
    "('failed', 'callback', 'failed', 'success', True)" || show
check "cloudstack-api, wrong secret: exit 3" test "$VP_RC" -eq 3

# --- plain HTTP callback ---------------------------------------------------------
vp --cs-data "$CS" Rules notify
check "http callback: success" is 'd["status"]' success || show
check "http callback: POST with the header and the rendered JSON body" \
    sis '[(x["method"], x["headers"].get("x-origin"), json.loads(x["body"])) for x in e if x["path"] == "/callback"]' \
    "[('POST', 'vnf-broker', {'rule': 7, 'appliance': '127.0.0.1'})]" || show

# --- auth type login --------------------------------------------------------------
n0=$(logins)
vp --cs-data "$CS" --repeat 4 Rules notify
n1=$(logins)
check "login: 4 operations, all success" \
    is '[x["status"] for x in r]' "['success', 'success', 'success', 'success']" || show
check "login: one login for the 4 operations (the token kept)" test $((n1 - n0)) -eq 1
check "login: the token is masked in the result" \
    sh -c "! grep -q 'tok-[0-9]' '$OUT'"

# The token expires on the appliance between two operations of one run
# (the appliance ends it right after answering the first).
n2=$(logins)
"$PY" -c "import urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:$PORT/admin/expire-after-next', data=b'', method='POST'))"
vp --cs-data "$CS" --repeat 2 Rules notify
n3=$(logins)
check "login: 401 on a kept token: login again once, then success" \
    is '([s["step"] for s in d["steps"]], [s["status"] for s in d["steps"]], d["status"])' \
    "(['validate', 'http', 'login', 'http', 'transform', 'callback'], ['success', 'retried', 'success', 'success', 'success', 'success'], 'success')" || show
check "login: ... two logins in all (the first, and the one after 401)" \
    test $((n3 - n2)) -eq 2

n4=$(logins)
vp --cs-data "$CS" Rules refused
n5=$(logins)
check "login: a second 401 fails clearly (exit 3), after exactly one more login" \
    is '(d["status"], "not trying again" in d["error"], [s["step"] for s in d["steps"]])' \
    "('failed', True, ['validate', 'login', 'http', 'login', 'http'])" || show
check "login: ... the appliance asked twice, logged in twice" \
    test "$((n5 - n4)):$(srv 'len([x for x in e if x["path"] == "/api/always401"])')" = "2:2"

vp --cs-data "$CS" Rules session
check "login: the token sent as a cookie (token_cookie)" is 'd["status"]' success || show

vp --cs-data "$(cs api_password=wrong-password)" Rules list
check "login refused: failed at the login step with the status, nothing else sent" \
    is '(d["status"], [s["step"] for s in d["steps"]], d["error"].startswith("login: HTTP status 403"))' \
    "('failed', ['validate', 'login'], True)" || show
check "login: no secret in any output" nosecret

# --- login_auth basic: the credentials as Basic on the login request ------
vp --cs-data "$CS" Jwt list
check "login_auth basic: logged in, then the request with the token" \
    is '([s["step"] for s in d["steps"]], d["status"])' \
    "(['validate', 'login', 'http', 'transform'], 'success')" || show
check "login_auth basic: the login carried Basic and no body" \
    sis '[(x["headers"].get("authorization", "")[:6], x["body"]) for x in e if x["path"] == "/api/jwt"]' \
    "[('Basic ', '')]"
check "login_auth basic: no secret in any output" nosecret
vp --cs-data "$(cs api_password=wrong-pw)" Jwt list
check "login_auth basic: a wrong password fails at login with the appliance's words" \
    is '(d["status"], d["error"].startswith("login: HTTP status 401"), "AUTH_AUTHENTICATION_FAILED" in d["error"])' \
    "('failed', True, True)" || show

# --- then: an apply after a change ---------------------------------------
vp --cs-data "$CS" --data '{"port": 8443}' Chain change
check "then: change, then apply, one result with the change's data" \
    is '(d["status"], [s["step"] for s in d["steps"]], d["data"]["id"])' \
    "('success', ['validate', 'http', 'transform', 'then apply: validate', 'then apply: http', 'then apply: transform'], 'rule-1')" || show
check "then: the appliance saw the change, then the apply" \
    sis '[x["path"] for x in e if x["path"] in ("/api/change", "/api/apply")][-2:]' \
    "['/api/change', '/api/apply']"
vp --cs-data "$CS" --data '{"port": 8443}' Chain change_unapplied
check "then: a follower that fails fails the operation, naming it and quoting the vendor" \
    is '(d["status"], d["error"].startswith("then apply_broken: http: error pattern 1"), "filter reload failed" in d["error"], [s["status"] for s in d["steps"] if s["step"] == "then apply: http"])' \
    "('failed', True, True, ['success'])" || show

# --- a 4xx with the vendor's words; a connection without host -------------
vp --cs-data "$CS" Vendor refuse
check "no host: the request went to the target's address" \
    is 'd["steps"][1]["request"]' "POST http://127.0.0.1:80/api/vendor-error" || show
check "4xx: failed, the error pattern quotes the vendor's detail" \
    is '(d["status"], d["error"].startswith("http: HTTP status 400, expected any 2xx; error pattern 1"), "invalid value for argument dst-port" in d["error"])' \
    "('failed', True, True)" || show

# --- auth type form (VyOS key=) ---------------------------------------------------
vp --cs-data "$CS" Vyos show
check "form: success, the device's answer transformed" \
    is '(d["status"], d["data"]["op"])' "('success', 'showConfig')" || show
check "form: the server got data and key as form fields" \
    sis '[(x["headers"]["content-type"], sorted(urllib.parse.parse_qs(x["body"]))) for x in e if x["path"] == "/retrieve"]' \
    "[('application/x-www-form-urlencoded', ['data', 'key'])]"
check "form: the key is masked in the step request and the output" nosecret
vp --cs-data "$(cs vyos_key=wrong)" Vyos show
check "form: a wrong key is the device's 403, failed at http" \
    is '(d["status"], d["steps"][-1]["step"], d["error"].startswith("http: HTTP status 403"))' \
    "('failed', 'http', True)" || show

finish
