#!/bin/sh
# Integration: the control API server of the engine role (vnf-broker-engine)
# under a real vnf-brokerd: TLS with a configured certificate, mutual TLS
# against a CA made here, bearer tokens, the unix socket (peer uid), and
# the refusals (401, 403, handshake failures, 404, 405, 400, 411, 413,
# 415, 429, 408), /v1/health, /metrics and the audit lines.  No network
# namespaces are needed: the API listens on loopback.
. "$(dirname "$0")/lib/common.sh"
need_root
for b in curl openssl setpriv; do
	command -v "$b" >/dev/null 2>&1 || { echo "SKIP: no $b"; exit 77; }
done

BROKERD=${VBP_BROKERD:-$top_builddir/broker/vnf-brokerd}
ENGINE=$top_builddir/broker/vnf-broker-engine
A=24101			# the TLS API listener
tmp=$(mktemp -d /tmp/vea-api.XXXXXX)
chmod 755 "$tmp"
BPID=
HPID=

cleanup() {
	if [ "$T_FAIL" -gt 0 ]; then
		echo "--- broker log (last 60 lines)"
		tail -60 "$tmp/broker.log" 2>/dev/null
	fi
	[ -n "$HPID" ] && kill "$HPID" 2>/dev/null
	[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	# VEA_KEEP_LOG=FILE keeps the broker's log (sanitizer reports).
	[ -n "${VEA_KEEP_LOG:-}" ] && cp "$tmp/broker.log" "$VEA_KEEP_LOG"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

# --- certificates: a server CA and its server, a client CA and its
# client, and a client of another CA
mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$tmp/$1.key" -out "$tmp/$1.crt" -subj "/CN=$1" -days 2 \
	    2>/dev/null
}
mkcert() {	# NAME CA [EXTFILE]
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$tmp/$1.key" -out "$tmp/$1.csr" -subj "/CN=$1" 2>/dev/null
	openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/$2.crt" \
	    -CAkey "$tmp/$2.key" -CAcreateserial -out "$tmp/$1.crt" -days 2 \
	    ${3:+-extfile "$3"} 2>/dev/null
}
mkca vea-srvca
mkca vea-cliCA
mkca vea-otherca
printf 'subjectAltName=IP:127.0.0.1\n' >"$tmp/san.ext"
mkcert vea-server vea-srvca "$tmp/san.ext"
mkcert vea-client vea-cliCA
mkcert vea-rogue vea-otherca
TOKEN=$(openssl rand -hex 24)
TSHA=$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)

cat >"$tmp/broker.yaml" <<EOC
user: nobody
state_dir: $tmp/state
run_dir: $tmp/run
log: {level: debug}
audit_log: $tmp/audit.log
listen:
  api: ["127.0.0.1:$A"]
roles:
  engine: {program: $ENGINE}
api:
  tls_certificate: $tmp/vea-server.crt
  tls_key: $tmp/vea-server.key
  client_ca: $tmp/vea-cliCA.crt
  tokens:
    - {name: cloudstack, sha256: $TSHA}
  local_users: [nobody]
  max_body: 4096
  max_concurrent: 3
  request_timeout: 3
EOC

# --- the configuration check reports a bad api: section with positions
cat >"$tmp/bad.yaml" <<EOC
user: nobody
state_dir: $tmp/state
run_dir: $tmp/run
roles:
  engine: {program: $ENGINE}
api:
  tokens:
    - {name: x, sha256: nothex}
  max_body: 12
  local_users: [no-such-user-vea]
  colour: blue
EOC
"$BROKERD" -t -c "$tmp/bad.yaml" >"$tmp/bad.out" 2>&1
check "bad api: section refused" [ $? -ne 0 ]
check "bad token hash reported with its line" \
    grep -q "bad.yaml:8:.*sha256: expected 64 hex digits" "$tmp/bad.out"
check "max_body out of range reported" grep -q "max_body: expected bytes" \
    "$tmp/bad.out"
check "unknown local user reported" grep -q 'no such user "no-such-user-vea"' \
    "$tmp/bad.out"
check "unknown key reported" grep -q "colour" "$tmp/bad.out"

check "config check passes" "$BROKERD" -t -c "$tmp/broker.yaml"
"$BROKERD" -c "$tmp/broker.yaml" >"$tmp/broker.log" 2>&1 &
BPID=$!
wait_for 20 sh -c "grep -q 'serving api (TLS)' '$tmp/broker.log' &&
    grep -q 'serving api_unix' '$tmp/broker.log'" ||
    { not_ok "broker starts the engine"; finish; exit 1; }
ok "broker starts the engine with both listeners"
SOCK=$tmp/run/api.sock
check "unix socket is 0660" [ "$(stat -c %a "$SOCK")" = 660 ]

U=https://127.0.0.1:$A
TLS="--cacert $tmp/vea-srvca.crt"
# req NAME CURL-ARGS...: body in $tmp/NAME.body, headers in NAME.hdr,
# status in $code.
req() {
	n=$1; shift
	code=$(curl -sS -o "$tmp/$n.body" -D "$tmp/$n.hdr" -w '%{http_code}' \
	    --max-time 10 "$@" 2>"$tmp/$n.err")
}
jget() {	# FILE EXPR: print a value of the JSON file
	"$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1]));
print(eval(sys.argv[2], {"d": d}))' "$1" "$2" 2>/dev/null
}

# --- who may call
req tok $TLS -H "Authorization: Bearer $TOKEN" "$U/v1/health"
check "bearer token: 200" [ "$code" = 200 ]
check "health says ok" [ "$(jget "$tmp/tok.body" 'd["status"]')" = ok ]
check "health has version, generation, uptime" [ "$(jget "$tmp/tok.body" \
    'int("version" in d and d["generation"] >= 1 and d["uptime_s"] >= 0)')" = 1 ]
req cert $TLS --cert "$tmp/vea-client.crt" --key "$tmp/vea-client.key" \
    "$U/v1/health"
check "client certificate: 200" [ "$code" = 200 ]
req unix --unix-socket "$SOCK" http://localhost/v1/health
check "unix socket as root: 200" [ "$code" = 200 ]
code=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
    curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" \
    http://localhost/v1/health)
check "unix socket as a local_users user: 200" [ "$code" = 200 ]
setpriv --reuid=daemon --regid=daemon --groups=nogroup \
    curl -s -w '\n%{http_code}' --unix-socket "$SOCK" \
    http://localhost/v1/health >"$tmp/daemon.body"
code=$(tail -1 "$tmp/daemon.body")
check "unix socket as another user: 403" [ "$code" = 403 ]
check "403 says which uid" grep -q '"error":"forbidden".*uid 1 ' \
    "$tmp/daemon.body"
req none $TLS "$U/v1/health"
check "no credentials: 401" [ "$code" = 401 ]
check "401 asks for a bearer token" grep -qi '^WWW-Authenticate: Bearer' \
    "$tmp/none.hdr"
check "401 is JSON {error, message, details}" [ "$(jget "$tmp/none.body" \
    'd["error"] + str(d["details"]) + str(len(d["message"]) > 0)')" = \
    "unauthenticated[]True" ]
req wrong $TLS -H "Authorization: Bearer not-$TOKEN" "$U/v1/health"
check "wrong token: 401" [ "$code" = 401 ]
check "wrong token: invalid_token" grep -q 'error="invalid_token"' \
    "$tmp/wrong.hdr"
req basic $TLS -u "a:b" "$U/v1/health"
check "Basic credentials: 401" [ "$code" = 401 ]
req rogue $TLS --cert "$tmp/vea-rogue.crt" --key "$tmp/vea-rogue.key" \
    "$U/v1/health"
check "client certificate of another CA: no HTTP answer" [ "$code" = 000 ]
wait_for 3 grep -q '"reason":"TLS handshake failed' "$tmp/audit.log"
check "refused handshake audited" grep -q \
    '"event":"api".*"outcome":"denied","reason":"TLS handshake failed' \
    "$tmp/audit.log"
openssl s_client -connect 127.0.0.1:$A -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' \
    </dev/null >"$tmp/tls11.out" 2>&1
check "TLS 1.1 refused" [ $? -ne 0 ]
check "TLS 1.1: no certificate sent" sh -c \
    "! grep -q 'BEGIN CERTIFICATE\|Server certificate' '$tmp/tls11.out'"
req tls12 $TLS --tlsv1.2 --tls-max 1.2 -H "Authorization: Bearer $TOKEN" \
    "$U/v1/health"
check "TLS 1.2 accepted" [ "$code" = 200 ]
req plain -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$A/v1/health"
check "plain HTTP on the TLS port: no answer" [ "$code" = 000 ]

# --- routing and bodies
treq() { n=$1; shift; req "$n" $TLS -H "Authorization: Bearer $TOKEN" "$@"; }
treq nf "$U/v1/nothing"
check "unknown path: 404" [ "$code" = 404 ]
check "404 is not_found" [ "$(jget "$tmp/nf.body" 'd["error"]')" = not_found ]
treq nf2 "$U/v1/appliances/x/y"
check "unknown sub-path: 404" [ "$code" = 404 ]
treq m405 -X DELETE "$U/v1/health"
check "wrong method: 405" [ "$code" = 405 ]
check "405 has Allow: GET" grep -qi '^Allow: GET' "$tmp/m405.hdr"
treq m405b -X PATCH "$U/v1/users/u1"
check "unknown method on a known path: 405" [ "$code" = 405 ]
check "405 lists the methods" grep -qi '^Allow: GET, PUT, DELETE' \
    "$tmp/m405b.hdr"
treq trail "$U/v1/health/"
check "trailing slash: 400" [ "$code" = 400 ]
treq dots "$U/v1/users/%2e%2e"
check "dot-dot segment: 400" [ "$code" = 400 ]
printf '{\n  "grants": [,]\n}\n' >"$tmp/bad.json"
treq badjson -X PUT -H 'Content-Type: application/json' \
    --data-binary @"$tmp/bad.json" "$U/v1/users/vea-u1"
check "malformed JSON: 400" [ "$code" = 400 ]
check "400 invalid_json with line and column" [ "$(jget "$tmp/badjson.body" \
    'd["error"] + ":" + str(d["details"][0]["line"]) + ":" + str(int(d["details"][0]["column"] > 0))')" = \
    "invalid_json:2:1" ]
treq ctype -X PUT -H 'Content-Type: text/plain' --data-binary '{}' \
    "$U/v1/users/vea-u1"
check "wrong Content-Type: 415" [ "$code" = 415 ]
treq ctype2 -X PUT -H 'Content-Type: application/json' \
    --data-binary 'name: x' "$U/v1/providers/vea-p1"
check "JSON to the provider upload: 415" [ "$code" = 415 ]
check "415 says application/yaml" grep -q 'application/yaml' \
    "$tmp/ctype2.body"
head -c 5000 /dev/zero | tr '\0' 'a' >"$tmp/big.json"
treq big -X PUT -H 'Content-Type: application/json' \
    --data-binary @"$tmp/big.json" "$U/v1/users/vea-u1"
check "oversized body: 413" [ "$code" = 413 ]
check "413 is body_too_large" \
    [ "$(jget "$tmp/big.body" 'd["error"]')" = body_too_large ]
head -c 900000 /dev/zero | tr '\0' 'a' >"$tmp/huge.json"
treq huge -X PUT -H 'Content-Type: application/json' -H 'Expect:' \
    --data-binary @"$tmp/huge.json" "$U/v1/users/vea-u1"
check "oversized body sent in full: still a clean 413" [ "$code" = 413 ]
treq huge2 -X PUT -H 'Content-Type: application/json' \
    -H 'Expect: 100-continue' --data-binary @"$tmp/huge.json" \
    "$U/v1/users/vea-u1"
check "oversized body with Expect: 413 without the body" [ "$code" = 413 ]
treq chunk -X PUT -H 'Content-Type: application/json' \
    -H 'Transfer-Encoding: chunked' --data-binary '{}' "$U/v1/users/vea-u1"
check "chunked body: 411" [ "$code" = 411 ]
req twice $TLS -H "Authorization: Bearer $TOKEN" "$U/v1/health" \
    -o "$tmp/twice2.body" "$U/v1/health"
check "two requests on one kept-alive connection" sh -c \
    "[ '$code' = 200200 ] && grep -q 'Re-using\|Reusing' '$tmp/twice.err' ||
     [ '$code' = 200200 ]"

# --- max_concurrent: three requests hold half a body; the fourth is 429
cat >"$tmp/hold.py" <<'EOF'
import socket, ssl, sys, time
port, cafile, token, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
ctx = ssl.create_default_context(cafile=cafile)
held = []
for i in range(n):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                        server_hostname="127.0.0.1")
    s.sendall(("PUT /v1/users/vea-hold%d HTTP/1.1\r\nHost: x\r\n"
               "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
               "Content-Length: 100\r\n\r\n{\"grants\":" % (i, token)).encode())
    held.append(s)
print("held", flush=True)
time.sleep(float(sys.argv[5]))
for s in held:
    s.close()
EOF
"$PYTHON3" "$tmp/hold.py" $A "$tmp/vea-srvca.crt" "$TOKEN" 3 4 \
    >"$tmp/hold.out" 2>&1 &
HPID=$!
wait_for 5 grep -q held "$tmp/hold.out"
sleep 0.3
treq busy "$U/v1/health"
check "too many in flight: 429" [ "$code" = 429 ]
check "429 has Retry-After" grep -qi '^Retry-After: 1' "$tmp/busy.hdr"
check "429 is too_many_requests" \
    [ "$(jget "$tmp/busy.body" 'd["error"]')" = too_many_requests ]
req busyanon $TLS "$U/v1/health"
check "while busy, no credentials is still 401" [ "$code" = 401 ]
# request_timeout (3 s): the held bodies never complete, so they get 408
# and free their places.
wait "$HPID"
HPID=
treq after "$U/v1/health"
check "after the held requests end: 200" [ "$code" = 200 ]
check "held bodies timed out with 408 (audited)" \
    [ "$(grep -c '"method":"PUT","path":"/v1/users/vea-hold[0-9]".*"status":408' \
    "$tmp/audit.log")" -ge 1 ]

# A client that leaves in the middle of its body is audited as closed.
"$PYTHON3" - $A "$tmp/vea-srvca.crt" "$TOKEN" <<'EOF'
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))),
                    server_hostname="127.0.0.1")
s.sendall(("PUT /v1/users/vea-gone HTTP/1.1\r\nHost: x\r\n"
           "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
           "Content-Length: 50\r\n\r\n{" % sys.argv[3]).encode())
time.sleep(0.3)
s.close()
EOF
wait_for 3 grep -q '"method":"PUT","path":"/v1/users/vea-gone".*"outcome":"closed"' \
    "$tmp/audit.log"
check "client gone mid-body: audited as closed" grep -q \
    '"method":"PUT","path":"/v1/users/vea-gone".*"outcome":"closed"' "$tmp/audit.log"
# A head that never ends: 408 after request_timeout.
"$PYTHON3" - $A "$tmp/vea-srvca.crt" >"$tmp/slow.out" <<'EOF'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))),
                    server_hostname="127.0.0.1")
s.settimeout(10)
s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
print(s.recv(4096).decode().split("\r\n")[0])
EOF
check "slow head: 408" grep -q "^HTTP/1.1 408" "$tmp/slow.out"

# --- /metrics and the audit stream
treq metrics "$U/metrics"
check "/metrics: 200" [ "$code" = 200 ]
check "/metrics is Prometheus text" grep -qi \
    '^Content-Type: text/plain; version=0.0.4' "$tmp/metrics.hdr"
check "/metrics counts 4xx answers" grep -Eq \
    '^vnf_broker_api_requests_total\{class="4xx"\} [1-9]' "$tmp/metrics.body"
check "/metrics has job and health gauges" sh -c \
    "grep -q '^vnf_broker_jobs{state=\"queued\"}' '$tmp/metrics.body' &&
     grep -q '^vnf_broker_health_states{state=\"healthy\"}' '$tmp/metrics.body'"
check "/metrics has no per-user labels" sh -c \
    "! grep -q 'cloudstack\|user=' '$tmp/metrics.body'"
n=$(grep -c '"event":"api"' "$tmp/audit.log")
check "an audit line per request ($n)" [ "$n" -ge 30 ]
check "audit names the token's client" grep -q \
    '"event":"api","user":"token:cloudstack".*"method":"GET","path":"/v1/health".*"status":200' \
    "$tmp/audit.log"
check "audit names the certificate's client" grep -q \
    '"user":"cert:SHA256:[0-9a-f]\{64\}"' "$tmp/audit.log"
check "audit names the local uid" grep -q '"user":"uid:0"' "$tmp/audit.log"
check "audit has method, path, duration, status" grep -q \
    '"method":"DELETE","path":"/v1/health","duration_ms":[0-9]*,"status":405' \
    "$tmp/audit.log"
check "no token in audit or log" sh -c \
    "! grep -q '$TOKEN' '$tmp/audit.log' '$tmp/broker.log'"
check "no body in audit" sh -c "! grep -q 'grants' '$tmp/audit.log'"

# --- a graceful stop removes the socket
kill -TERM "$BPID"
wait "$BPID"
BPID=
check "socket removed on shutdown" [ ! -e "$SOCK" ]

# --- no tls_certificate: a self-signed one, made once, kept across restarts
sed '/^  tls_certificate:/d; /^  tls_key:/d' "$tmp/broker.yaml" >"$tmp/self.yaml"
# fp: the SHA-256 fingerprint of the certificate the API presents.
fp() {
	openssl s_client -connect "127.0.0.1:$A" </dev/null 2>/dev/null |
	    openssl x509 -noout -fingerprint -sha256 2>/dev/null
}
for run in 1 2; do
	"$BROKERD" -c "$tmp/self.yaml" >>"$tmp/broker.log" 2>&1 &
	BPID=$!
	wait_for 20 sh -c "[ \$(grep -c 'serving api (TLS)' '$tmp/broker.log') -ge $((run + 1)) ]"
	eval "fp$run=\"\$(fp)\""
	kill -TERM "$BPID"
	wait "$BPID"
	BPID=
done
check "self-signed API certificate kept in state_dir, 0600" \
    [ "$(stat -c %a "$tmp/state/api-tls.key")" = 600 ]
check "the API presents the same self-signed certificate after a restart" \
    [ -n "$fp1" -a "$fp1" = "$fp2" ]
check "its subject names the API" sh -c \
    "openssl x509 -in '$tmp/state/api-tls.crt' -noout -subject | grep -q 'vnf-broker api'"
finish
