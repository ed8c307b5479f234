#!/bin/sh
# Integration: vnf-brokerctl against a real vnf-brokerd with the engine
# role (tests/integration/lib/engine.sh: a guest network with a VyOS
# simulator behind it).  Each command's table and --json output, over the
# local unix socket and over HTTPS (bearer token, client certificate),
# and the exit codes: 0 ok, 1 refused by the API, 2 usage, 3 broker not
# reachable, 4 the operation ran and failed.  Secrets (the appliance's API
# key, password hashes, the token) never appear in any output.
#
# Root, curl, openssl, python3; skips (77) otherwise.  Namespaces and
# links vec*, TCP ports 24401 and 24499 (nothing listens), 198.18.45.0/24
# and 198.18.46.0/24.
. "$(dirname "$0")/lib/common.sh"
need_root
for b in curl openssl "$PYTHON3"; do
	command -v "$b" >/dev/null 2>&1 || { echo "SKIP: no $b"; exit 77; }
done
. "$(dirname "$0")/lib/engine.sh"
[ -x "$BROKERCTL" ] || { echo "FAIL: $BROKERCTL not built"; exit 1; }

tmp=$(mktemp -d /tmp/vec-ctl.XXXXXX) || exit 1
chmod 755 "$tmp"
FPID=
cleanup() {
	[ -n "$FPID" ] && kill "$FPID" 2>/dev/null && wait "$FPID" 2>/dev/null
	engine_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

engine_start vec 24401 || { not_ok "the broker starts"; finish; exit 1; }

# ctl ARGS...: run vnf-brokerctl on the unix socket; $RC, $tmp/out, $tmp/err.
ctl() {
	"$BROKERCTL" --socket "$SOCK" "$@" >"$tmp/out" 2>"$tmp/err"
	RC=$?
	cat "$tmp/out" "$tmp/err" >>"$tmp/all"
}
has() { grep -q -- "$1" "$tmp/out"; }
err_has() { grep -q -- "$1" "$tmp/err"; }
# j EXPR: a Python expression over the JSON on standard output (d).
j() {
	"$PYTHON3" -c 'import json,sys
d=json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$tmp/out" "$1" 2>/dev/null
}
# checkv DESCRIPTION COMMAND...: check, showing the last output on failure.
checkv() {
	d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; show; fi
}
show() { echo "#   rc $RC"; sed 's/^/#   out: /' "$tmp/out" | head -20; sed 's/^/#   err: /' "$tmp/err" | head -10; }
: >"$tmp/all"

# --- usage (2) and unreachable (3)
ctl
checkv "no command: exit 2" [ "$RC" = 2 ]
ctl frobnicate
checkv "unknown command: exit 2, named" sh -c "[ $RC = 2 ] && grep -q 'unknown command frobnicate' '$tmp/err'"
ctl network frob
checkv "unknown action: exit 2" [ "$RC" = 2 ]
ctl op fw1 FIREWALL_RULES
checkv "op with too few arguments: exit 2" [ "$RC" = 2 ]
ctl op fw1 FIREWALL_RULES create --data '{"id": '
checkv "op --data that is not JSON: exit 2, says where" \
    sh -c "[ $RC = 2 ] && grep -q 'invalid JSON at line 1' '$tmp/err'"
ctl op fw1 FIREWALL_RULES create --wait -3
checkv "op --wait -3: exit 2" [ "$RC" = 2 ]
ctl --help
checkv "--help: exit 0, lists the commands" sh -c "[ $RC = 0 ] && grep -q 'appliance list' '$tmp/out'"
"$BROKERCTL" --socket "$tmp/nosuch.sock" status >"$tmp/out" 2>"$tmp/err"; RC=$?
checkv "a socket that is not there: exit 3" \
    sh -c "[ $RC = 3 ] && grep -q 'cannot reach the broker' '$tmp/err'"
"$BROKERCTL" --url https://127.0.0.1:24499 status >"$tmp/out" 2>"$tmp/err"; RC=$?
checkv "a URL where nothing listens: exit 3" [ "$RC" = 3 ]
"$BROKERCTL" --url ftp://x status >"$tmp/out" 2>"$tmp/err"; RC=$?
checkv "a URL that is not http(s): exit 2" [ "$RC" = 2 ]

# --- status, metrics
ctl status
checkv "status: exit 0, status ok" sh -c "[ $RC = 0 ] && grep -Eq '^status +ok' '$tmp/out'"
ctl --json status
checkv "status --json: the API's JSON" [ "$(j 'd["status"]')" = ok ]
ctl status --json
checkv "--json after the command works too" [ "$(j 'd["status"]')" = ok ]
ctl metrics
checkv "metrics: Prometheus text" sh -c "[ $RC = 0 ] && grep -q '^# TYPE vnf_broker_' '$tmp/out'"

# --- providers
ctl provider put vyos "$DICT"
checkv "provider put: created" sh -c "[ $RC = 0 ] && grep -q 'provider vyos created' '$tmp/out'"
ctl provider put vyos "$DICT"
checkv "provider put again: updated" has 'provider vyos updated'
cat >"$tmp/bad.yaml" <<'EOF'
name: bad
conections: {}
services:
  X:
    create: {method: FROB, url: /x}
EOF
ctl provider put bad "$tmp/bad.yaml"
checkv "provider with errors: exit 1, 422 invalid_provider" \
    sh -c "[ $RC = 1 ] && grep -q '422 invalid_provider' '$tmp/err'"
checkv "provider with errors: each detail on its line with its place" \
    sh -c "[ \$(grep -c '^  line [0-9]*' '$tmp/err') -ge 1 ]"
ctl provider list
checkv "provider list: a table with vyos and its services" \
    sh -c "[ $RC = 0 ] && grep -Eq '^NAME +SERVICES +ORIGIN +DESCRIPTION' '$tmp/out' && grep -Eq '^vyos .*FIREWALL_RULES.* state ' '$tmp/out'"
ctl --json provider list
checkv "provider list --json" [ "$(j '[p["name"] for p in d["providers"]]')" = "['vyos']" ]
# A description in UTF-8, with an escape sequence, longer than a cell.
sed 's/^description:.*/description: "Pare-feu \\u00e9t\\u00e9 \\e[31mrouge\\e[0m \\u2014 \\U0001d518nicode, long enough to be cut at sixty characters"/' \
    "$DICT" >"$tmp/uni.yaml"
ctl provider put uni "$tmp/uni.yaml"
ctl provider list
checkv "provider list: no escape byte from a description reaches the terminal" \
    sh -c "! grep -q \"\$(printf '\\033')\" '$tmp/out'"
checkv "... a UTF-8 description cut by characters, columns aligned" \
    "$PYTHON3" -c 'import sys
lines = open(sys.argv[1], "rb").read().decode("utf-8").splitlines()
col = lines[0].index("DESCRIPTION")
uni = [l for l in lines if l.startswith("uni ")][0]
d = uni[col:]
assert all(l[col - 2:col] == "  " and l[col] != " " for l in lines), lines
assert d.startswith("Pare-feu \u00e9t\u00e9 ?[31mrouge?[0m \u2014 \U0001d518nicode"), d
assert len(d) == 60 and d.endswith("..."), (len(d), d)' "$tmp/out"
ctl provider delete uni
ctl provider get vyos
checkv "provider get: key/value lines" sh -c "grep -Eq '^name +vyos' '$tmp/out' && grep -Eq '^origin +state' '$tmp/out'"
ctl provider get vyos --yaml
checkv "provider get --yaml: the dictionary as uploaded" cmp -s "$tmp/out" "$DICT"
ctl provider get nosuch
checkv "provider get nosuch: exit 1, 404 not_found" \
    sh -c "[ $RC = 1 ] && grep -q '404 not_found' '$tmp/err'"

# --- networks
ctl network list
checkv "network list: the config network, attached" \
    sh -c "grep -Eq '^NAME +STATE +ADDRESSES +ORIGIN' '$tmp/out' && grep -Eq '^$NET +attached +198.18.45.1/24 +config' '$tmp/out'"
printf '{"veth": {"peer": "%s", "peer_netns": "%s"}, "addresses": ["198.18.46.1/24"]}\n' \
    "$PEER2" "$LAB" >"$tmp/n2.json"
ctl network put "$NET2" --file "$tmp/n2.json"
checkv "network put: created" sh -c "[ $RC = 0 ] && grep -q 'network $NET2 created' '$tmp/out'"
checkv "network put: the namespace exists" sh -c "ip netns list | grep -qw '$NET2'"
ctl network get "$NET2"
checkv "network get: attached, state origin" \
    sh -c "grep -Eq '^state +attached' '$tmp/out' && grep -Eq '^origin +state' '$tmp/out'"
ctl network put "$NET" --file "$tmp/n2.json"
checkv "network put over broker.yaml's: exit 1, 409 defined_in_config" \
    sh -c "[ $RC = 1 ] && grep -q '409 defined_in_config' '$tmp/err'"
printf '{"addresses": ["198.18.47.1/24"], "colour": "red"}' >"$tmp/bad.json"
ctl network put vec-bad --file "$tmp/bad.json"
checkv "network put with an unknown field: exit 1, the field named" \
    sh -c "[ $RC = 1 ] && grep -q '400 invalid_field' '$tmp/err' && grep -q colour '$tmp/err'"
printf '{"addresses": [' >"$tmp/bad.json"
ctl network put vec-bad --file "$tmp/bad.json"
checkv "network put --file that is not JSON: exit 2" [ "$RC" = 2 ]
"$PYTHON3" -c 'import json; print(json.dumps({"addresses": ["198.18.47.1/24"], "x": "a" * 300000}))' >"$tmp/big.json"
ctl network put vec-big --file "$tmp/big.json"
checkv "a body over api.max_body: exit 1, 413 with the limit" \
    sh -c "[ $RC = 1 ] && grep -q '413 body_too_large' '$tmp/err' && grep -q '^  max_body: 262144' '$tmp/err'"
ctl network put vec-bad --file "$tmp/nosuch.json"
checkv "network put --file that does not exist: exit 2" [ "$RC" = 2 ]

# --- appliances
printf '{"network": "%s", "address": "198.18.45.11", "ports": [443], "provider": "vyos", "cs_data": {"api_key": "%s", "tls_pin": "%s", "hostname": "edge-1"}}\n' \
    "$NET" "$KEY" "$PIN" >"$tmp/fw1.json"
ctl appliance put fw1 --file "$tmp/fw1.json"
checkv "appliance put: created" sh -c "[ $RC = 0 ] && grep -q 'appliance fw1 created' '$tmp/out'"
ctl appliance list
checkv "appliance list: both, with network, address, ports, provider, origin" \
    sh -c "grep -Eq '^NAME +NETWORK +ADDRESS +PORTS +PROVIDER +ORIGIN' '$tmp/out' && grep -Eq '^fw1 +$NET +198.18.45.11 +443 +vyos +state' '$tmp/out' && grep -Eq '^cfg-fw .* config' '$tmp/out'"
ctl appliance get fw1
checkv "appliance get: the API key masked" grep -q '"api_key":"\*\*\*\*\*\*\*\*"' "$tmp/out"
ctl --json appliance get fw1
checkv "appliance get --json: masked too" [ "$(j 'd["cs_data"]["api_key"]')" = "********" ]

# --- operations and jobs
okop() { ctl op fw1 FIREWALL_RULES list; [ "$RC" = 0 ]; }
wait_for 20 okop
ctl op fw1 FIREWALL_RULES create --data '{"id": 10, "action": "accept", "protocol": "tcp", "port": 443}'
checkv "op create: exit 0, status success, its steps" \
    sh -c "[ $RC = 0 ] && grep -q '^status: success' '$tmp/out' && grep -Eq '^STEP +STATUS +MS +ERROR' '$tmp/out'"
printf '{"id": 20, "action": "drop", "protocol": "icmp"}' >"$tmp/rule.json"
ctl op fw1 FIREWALL_RULES create --data "@$tmp/rule.json"
checkv "op --data @FILE" [ "$RC" = 0 ]
ctl --json op fw1 FIREWALL_RULES list
checkv "op list --json: the runner's result with both rules" \
    [ "$(j '(d["status"], d["data"]["ids"])')" = "('success', ['10', '20'])" ]
ctl op fw1 FIREWALL_RULES create --data '{"id": 30, "protocol": "icmp", "port": 22}'
checkv "an operation the appliance refuses: exit 4, status failed, the error" \
    sh -c "[ $RC = 4 ] && grep -q '^status: failed' '$tmp/out' && grep -q '^error: ' '$tmp/out'"
ctl op fw1 FIREWALL_RULES create --data '{"id": "abc", "action": "maybe"}'
checkv "data failing the schema: exit 1, 422 with each problem" \
    sh -c "[ $RC = 1 ] && grep -q '422 invalid_object' '$tmp/err' && [ \$(grep -c '^  ' '$tmp/err') -ge 2 ]"
ctl op nosuch FIREWALL_RULES list
checkv "op on an unknown appliance: exit 1, 404" \
    sh -c "[ $RC = 1 ] && grep -q '404 not_found' '$tmp/err'"
ctl op fw1 FIREWALL_RULES list --wait 0
checkv "op --wait 0: a job started" sh -c "[ $RC = 0 ] && grep -q '^job .* started' '$tmp/out'"
JOB=$(sed -n 's/^job \([^ ]*\) started.*/\1/p' "$tmp/out")
jobdone() { ctl job "$JOB"; grep -q '^state: done' "$tmp/out"; }
wait_for 20 jobdone
checkv "job ID: done, with the result" \
    sh -c "[ $RC = 0 ] && grep -q '^state: done' '$tmp/out' && grep -q '^status: success' '$tmp/out'"
ctl --json job "$JOB"
checkv "job --json" [ "$(j 'd["id"] == "'"$JOB"'" and d["state"]')" = done ]
ctl job nosuch
checkv "job nosuch: exit 1" [ "$RC" = 1 ]

# --- health and bootstrap
ctl health fw1 --run
checkv "health --run: exit 0, healthy, each check" \
    sh -c "[ $RC = 0 ] && grep -q '^status: healthy' '$tmp/out' && grep -Eq '^CHECK +KIND +STATUS' '$tmp/out'"
ctl health fw1
checkv "health: state healthy, last and history" \
    sh -c "[ $RC = 0 ] && grep -q '^state: healthy' '$tmp/out' && grep -q '^history:' '$tmp/out'"
ctl --json health fw1
checkv "health --json" [ "$(j 'd["state"]')" = healthy ]
ctl bootstrap fw1
checkv "bootstrap before any: state none" sh -c "[ $RC = 0 ] && grep -q '^state: none' '$tmp/out'"
ctl bootstrap fw1 --start
checkv "bootstrap --start: a job" sh -c "[ $RC = 0 ] && grep -q '^job .* started' '$tmp/out'"
BJOB=$(sed -n 's/^job \([^ ]*\) started.*/\1/p' "$tmp/out")
bootdone() { ctl bootstrap fw1; grep -q '^state: done' "$tmp/out"; }
wait_for 30 bootdone
checkv "bootstrap: done, success, its steps" \
    sh -c "[ $RC = 0 ] && grep -q '^status: success' '$tmp/out' && grep -Eq '^STEP +STATUS +ATTEMPTS' '$tmp/out'"
ctl job "$BJOB"
checkv "job of a bootstrap: its kind, its steps" \
    sh -c "[ $RC = 0 ] && grep -q '^state: done' '$tmp/out' && grep -Eq '^reachable +success' '$tmp/out'"

# --- users
HASH2=$(openssl passwd -6 ops-secret)
# YAML, as a broker.yaml users entry is written.
cat >"$tmp/u.yaml" <<EOF
proxy_password_hash: '$HASH2'
grants:
  - appliances: [fw1]
    ports: [443]
EOF
ctl user put ops1 --file "$tmp/u.yaml"
checkv "user put --file YAML: created" sh -c "[ $RC = 0 ] && grep -q 'user ops1 created' '$tmp/out'"
ctl --json user get ops1
checkv "user get --json: the grant as sent (ports a number), hash masked" \
    [ "$(j '(d["grants"], d["proxy_password_hash"])')" = "([{'appliances': ['fw1'], 'ports': [443]}], '********')" ]
printf 'grants: [unclosed\n' >"$tmp/bad.yaml"
ctl user put ops9 --file "$tmp/bad.yaml"
checkv "user put --file neither JSON nor YAML: exit 2, with the place" \
    sh -c "[ $RC = 2 ] && grep -q 'bad.yaml:2:1: neither JSON nor YAML' '$tmp/err'"
ctl user list
checkv "user list: grants counted, credentials named, never shown" \
    sh -c "grep -Eq '^NAME +GRANTS +CREDENTIALS +ORIGIN' '$tmp/out' && grep -Eq '^ops1 +1 +proxy-password +state' '$tmp/out' && grep -Eq '^cfg-user +1 +proxy-password +config' '$tmp/out'"
ctl user get ops1
checkv "user get: the hash masked" grep -Eq '^proxy_password_hash +\*\*\*\*\*\*\*\*' "$tmp/out"
ctl user delete ops1
checkv "user delete: deleted" sh -c "[ $RC = 0 ] && grep -q 'user ops1 deleted' '$tmp/out'"
ctl user delete ops1
checkv "user delete again: exit 1, 404" sh -c "[ $RC = 1 ] && grep -q '404 not_found' '$tmp/err'"

# --- deletes and refusals
ctl provider delete vyos
checkv "provider delete while used: exit 1, 409 in_use" \
    sh -c "[ $RC = 1 ] && grep -q '409 in_use' '$tmp/err'"
ctl appliance delete fw1
checkv "appliance delete" sh -c "[ $RC = 0 ] && grep -q 'appliance fw1 deleted' '$tmp/out'"
ctl network delete "$NET2"
checkv "network delete: the namespace is gone" \
    sh -c "[ $RC = 0 ] && ! ip netns list | grep -qw '$NET2'"

# --- over HTTPS: bearer token, client certificate, none
U=https://127.0.0.1:24401
"$BROKERCTL" --url $U --cacert "$tmp/srv.crt" --token-file "$tmp/token" \
    status >"$tmp/out" 2>"$tmp/err"; RC=$?
checkv "HTTPS with the bearer token: exit 0" sh -c "[ $RC = 0 ] && grep -Eq '^status +ok' '$tmp/out'"
"$BROKERCTL" --url $U --cacert "$tmp/srv.crt" --cert "$tmp/client.crt" \
    --key "$tmp/client.key" appliance list >"$tmp/out" 2>"$tmp/err"; RC=$?
checkv "HTTPS with a client certificate: exit 0" sh -c "[ $RC = 0 ] && grep -q '^cfg-fw ' '$tmp/out'"
"$BROKERCTL" --url $U --cacert "$tmp/srv.crt" status >"$tmp/out" 2>"$tmp/err"; RC=$?
checkv "HTTPS without credentials: exit 1, 401 unauthenticated" \
    sh -c "[ $RC = 1 ] && grep -q '401 unauthenticated' '$tmp/err'"
echo wrong-token >"$tmp/wrong"
"$BROKERCTL" --url $U --cacert "$tmp/srv.crt" --token-file "$tmp/wrong" \
    status >"$tmp/out" 2>"$tmp/err"; RC=$?
checkv "HTTPS with a wrong token: exit 1" [ "$RC" = 1 ]
"$BROKERCTL" --url $U --token-file "$tmp/token" status >"$tmp/out" 2>"$tmp/err"; RC=$?
checkv "HTTPS to a certificate not trusted: exit 3" [ "$RC" = 3 ]
cat "$tmp/out" "$tmp/err" >>"$tmp/all"

# --- audit: from the file broker.yaml names
ctl audit --config "$tmp/broker.yaml"
checkv "audit: a table of the API's requests" \
    sh -c "[ $RC = 0 ] && grep -Eq '^TIME +ROLE +EVENT' '$tmp/out' && grep -q ' engine ' '$tmp/out'"
checkv "audit: an API request shows its method and path" \
    grep -Eq ' engine +api .* GET /v1/' "$tmp/out"
ctl --json audit -f "$tmp/audit.log"
checkv "audit --json -f: the JSON lines as written" \
    "$PYTHON3" -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$tmp/out"
"$BROKERCTL" audit --follow -f "$tmp/audit.log" >"$tmp/follow" 2>&1 &
FPID=$!
sleep 0.5
n0=$(wc -l <"$tmp/follow")
ctl appliance get cfg-fw
wait_for 5 sh -c "[ \$(wc -l <'$tmp/follow') -gt $n0 ]"
checkv "audit --follow: a new request shows up" [ "$(wc -l <"$tmp/follow")" -gt "$n0" ]
kill "$FPID"; wait "$FPID" 2>/dev/null; FPID=
printf 'user: x\n' >"$tmp/noaudit.yaml"
ctl audit --config "$tmp/noaudit.yaml"
checkv "audit with no audit_log configured: exit 2, says so" \
    sh -c "[ $RC = 2 ] && grep -q 'has no audit_log' '$tmp/err'"

# --- secrets in any output
checkv "no output held the API key, a password hash or the token" \
    sh -c "! grep -Fq '$KEY' '$tmp/all' && ! grep -Fq '$HASH2' '$tmp/all' && ! grep -Fq \"\$(cat '$tmp/token')\" '$tmp/all'"
finish
