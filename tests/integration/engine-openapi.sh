#!/bin/sh
# Integration: docs/api/openapi.yaml against the running API.
#
# A real vnf-brokerd with the engine role (tests/integration/lib/engine.sh:
# a guest network with a VyOS simulator behind it, objects from
# broker.yaml), then lib/openapi-check.py makes a real request for every
# documented path and method over the API's unix socket, registering a
# provider, a network, an appliance and a user, running operations, a job,
# health checks and a bootstrap, and refusing bad input, and checks that
# every answer's status is documented for its path and method and that its
# body matches the documented schema ($refs resolved).  It also compares
# the engine's routing table (broker/engine-http.c) with the document
# both ways, and probes every documented path with the methods it does not
# document (405) and paths that do not exist (404).
#
# Root, curl, openssl, python3 with yaml and jsonschema; skips (77)
# otherwise.  Namespaces and links vec*, TCP port 24400, 198.18.45.0/24
# and 198.18.46.0/24.
. "$(dirname "$0")/lib/common.sh"
need_root
for b in curl openssl "$PYTHON3"; do
	command -v "$b" >/dev/null 2>&1 || { echo "SKIP: no $b"; exit 77; }
done
"$PYTHON3" -c 'import yaml, jsonschema' 2>/dev/null ||
    { echo "SKIP: python3-yaml or python3-jsonschema missing (tools/deps)"; exit 77; }
. "$(dirname "$0")/lib/engine.sh"

SPEC=$top_srcdir/docs/api/openapi.yaml
CHECK=$top_srcdir/tests/integration/lib/openapi-check.py
tmp=$(mktemp -d /tmp/vec-openapi.XXXXXX) || exit 1
chmod 755 "$tmp"
cleanup() {
	engine_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

engine_start vec 24400 || { not_ok "the broker starts"; finish; exit 1; }
ok "vnf-brokerd with the engine role is up"

# A dictionary with errors: an unknown key and a service without
# operations, each reported with its place.
cat >"$tmp/bad.yaml" <<'EOF'
name: bad
description: broken on purpose
conections:
  api: {type: https, host: "{{mgmt_ip}}"}
services:
  X:
    create: {method: FROB, url: /x}
EOF
printf 'name: [unclosed\n' >"$tmp/broken.yaml"
# Over api.max_body (256 KiB in lib/engine.sh).
"$PYTHON3" -c 'import json; print(json.dumps({"grants": [], "x": "a" * 300000}))' >"$tmp/big.json"

A=/v1/appliances
FW='{"network": "'$NET'", "address": "198.18.45.11", "ports": [443], "provider": "vyos", "cs_data": {"api_key": "'$KEY'", "tls_pin": "'$PIN'", "hostname": "edge-1"}}'
N2='{"veth": {"peer": "'$PEER2'", "peer_netns": "'$LAB'"}, "addresses": ["198.18.46.1/24"], "mtu": 1400}'
HASH2=$(openssl passwd -6 ops-secret)
U1='{"proxy_password_hash": "'$HASH2'", "grants": [{"appliances": ["fw1"], "ports": [443]}, {"networks": ["'$NET'"], "ports": [22]}]}'
RULE='{"data": {"id": 10, "action": "accept", "protocol": "tcp", "port": 443}}'

cat >"$tmp/calls.json" <<EOF
[
 {"method": "GET", "path": "/v1/health", "expect": 200},
 {"method": "GET", "path": "/metrics", "expect": 200},
 {"method": "GET", "path": "/v1/health", "via": "tls", "expect": 401,
  "assert": {"error": "unauthenticated"}},
 {"method": "GET", "path": "/v1/health", "via": "tls-token", "expect": 200},
 {"method": "GET", "path": "/metrics", "via": "tls-token", "expect": 200},
 {"method": "GET", "path": "/v1/appliances", "via": "tls-cert", "expect": 200},
 {"method": "GET", "path": "/v1/appliances", "via": "tls", "expect": 401},

 {"method": "PUT", "path": "/v1/providers/vyos", "body_file": "$DICT",
  "ctype": "application/yaml", "expect": 201},
 {"method": "PUT", "path": "/v1/providers/vyos", "body_file": "$DICT",
  "ctype": "application/yaml", "expect": 200},
 {"method": "PUT", "path": "/v1/providers/bad", "body_file": "$tmp/bad.yaml",
  "ctype": "application/yaml", "expect": 422, "invalid": true},
 {"method": "PUT", "path": "/v1/providers/broken", "body_file": "$tmp/broken.yaml",
  "ctype": "application/yaml", "expect": 422, "invalid": true},
 {"method": "PUT", "path": "/v1/providers/vyos", "json": {"name": "vyos"},
  "expect": 415, "invalid": true},
 {"method": "PUT", "path": "/v1/providers/spare", "body_file": "$DICT",
  "ctype": "application/yaml", "expect": 201},
 {"method": "DELETE", "path": "/v1/providers/spare", "expect": 204},
 {"method": "PUT", "path": "/v1/users/big", "body_file": "$tmp/big.json",
  "expect": 413, "assert": {"error": "body_too_large"}},
 {"method": "GET", "path": "/v1/providers", "expect": 200},
 {"method": "GET", "path": "/v1/providers/vyos", "expect": 200,
  "assert": {"name": "vyos", "origin": "state"}},
 {"method": "GET", "path": "/v1/providers/vyos", "accept": "application/yaml",
  "expect": 200},
 {"method": "GET", "path": "/v1/providers/nosuch", "expect": 404},

 {"method": "GET", "path": "/v1/networks", "expect": 200},
 {"method": "GET", "path": "/v1/networks/$NET", "expect": 200,
  "assert": {"origin": "config", "state": "attached"}},
 {"method": "PUT", "path": "/v1/networks/$NET2", "json": $N2, "expect": 201},
 {"method": "PUT", "path": "/v1/networks/$NET2", "json": $N2, "expect": 200},
 {"method": "GET", "path": "/v1/networks/$NET2", "expect": 200,
  "assert": {"origin": "state", "state": "attached"}},
 {"method": "PUT", "path": "/v1/networks/$NET", "json": $N2,
  "expect": 409, "assert": {"error": "defined_in_config"}},
 {"method": "PUT", "path": "/v1/networks/vec-bad",
  "json": {"addresses": ["198.18.47.1/24"], "colour": "red"},
  "expect": 400, "invalid": true, "assert": {"error": "invalid_field"}},
 {"method": "PUT", "path": "/v1/networks/vec-bad", "body": "{\"addresses\": [",
  "expect": 400, "invalid": true, "assert": {"error": "invalid_json"}},
 {"method": "PUT", "path": "/v1/networks/vec-bad",
  "json": {"veth": {"peer": "vec-nope"}, "addresses": ["198.18.47.1/99"]},
  "expect": 422, "invalid": true},
 {"method": "GET", "path": "/v1/networks/nosuch", "expect": 404},

 {"method": "PUT", "path": "$A/fw1", "json": $FW, "expect": 201},
 {"method": "PUT", "path": "$A/fw1", "json": $FW, "expect": 200,
  "assert": {"cs_data.api_key": "********"}},
 {"method": "GET", "path": "$A", "expect": 200},
 {"method": "GET", "path": "$A/fw1", "expect": 200,
  "assert": {"origin": "state", "cs_data.api_key": "********"}},
 {"method": "GET", "path": "$A/cfg-fw", "expect": 200,
  "assert": {"origin": "config"}},
 {"method": "PUT", "path": "$A/fw2", "json": {"network": "$NET"},
  "expect": [400, 422], "invalid": true},
 {"method": "GET", "path": "$A/nosuch", "expect": 404},

 {"method": "POST", "path": "$A/fw1/operations/FIREWALL_RULES/create",
  "json": $RULE, "until": 200, "assert": {"status": "success"}},
 {"method": "POST", "path": "$A/fw1/operations/FIREWALL_RULES/list",
  "json": {}, "expect": 200},
 {"method": "POST", "path": "$A/fw1/operations/FIREWALL_RULES/create",
  "json": {"data": {"id": 10, "protocol": "icmp", "port": 22}}, "expect": 200,
  "assert": {"status": "failed"}},
 {"method": "POST", "path": "$A/fw1/operations/FIREWALL_RULES/list?wait=0",
  "json": {}, "expect": 202, "save": "job", "poll_job": true},
 {"method": "GET", "path": "/v1/jobs/{job}", "expect": 200,
  "assert": {"state": "done", "result.status": "success"}},
 {"method": "GET", "path": "/v1/jobs/nosuch", "expect": 404},
 {"method": "POST", "path": "$A/fw1/operations/FIREWALL_RULES/create",
  "json": {"data": {"id": "abc", "action": "maybe"}}, "expect": 422},
 {"method": "POST", "path": "$A/fw1/operations/NOPE/list", "json": {},
  "expect": 404},
 {"method": "POST", "path": "$A/fw1/operations/FIREWALL_RULES/list",
  "json": {"colour": 1}, "expect": 400, "invalid": true},
 {"method": "POST", "path": "$A/nosuch/operations/FIREWALL_RULES/list",
  "json": {}, "expect": 404},

 {"method": "GET", "path": "$A/fw1/health", "expect": 200},
 {"method": "POST", "path": "$A/fw1/health", "until": 200},
 {"method": "GET", "path": "$A/fw1/health", "expect": 200},
 {"method": "POST", "path": "$A/fw1/health?wait=0", "expect": 202,
  "save": "hjob", "poll_job": true},
 {"method": "GET", "path": "/v1/jobs/{hjob}", "expect": 200},
 {"method": "GET", "path": "$A/nosuch/health", "expect": 404},

 {"method": "GET", "path": "$A/fw1/bootstrap", "expect": 200,
  "assert": {"state": "none"}},
 {"method": "POST", "path": "$A/fw1/bootstrap", "expect": 202,
  "save": "boot", "poll_job": true},
 {"method": "GET", "path": "/v1/jobs/{boot}", "expect": 200},
 {"method": "GET", "path": "$A/fw1/bootstrap", "expect": 200,
  "assert": {"state": "done"}},

 {"method": "GET", "path": "$A/fw1/hostkeys", "expect": 200},
 {"method": "DELETE", "path": "$A/fw1/hostkeys", "expect": 200},
 {"method": "GET", "path": "$A/nosuch/hostkeys", "expect": 404},
 {"method": "DELETE", "path": "$A/nosuch/hostkeys", "expect": 404},

 {"method": "GET", "path": "/v1/users", "expect": 200},
 {"method": "PUT", "path": "/v1/users/ops1", "json": $U1, "expect": 201},
 {"method": "PUT", "path": "/v1/users/ops1", "json": $U1, "expect": 200},
 {"method": "GET", "path": "/v1/users/ops1", "expect": 200,
  "assert": {"proxy_password_hash": "********", "origin": "state"}},
 {"method": "GET", "path": "/v1/users/cfg-user", "expect": 200,
  "assert": {"origin": "config"}},
 {"method": "PUT", "path": "/v1/users/ops2",
  "json": {"proxy_password_hash": "plain-text"}, "expect": 422},
 {"method": "DELETE", "path": "/v1/users/cfg-user", "expect": 409},
 {"method": "DELETE", "path": "/v1/users/ops1", "expect": 204},
 {"method": "GET", "path": "/v1/users/ops1", "expect": 404},
 {"method": "DELETE", "path": "/v1/users/ops1", "expect": 404},

 {"method": "DELETE", "path": "/v1/providers/vyos", "expect": 409},
 {"method": "DELETE", "path": "/v1/providers/nosuch", "expect": 404},
 {"method": "DELETE", "path": "$A/cfg-fw", "expect": 409},
 {"method": "DELETE", "path": "$A/fw1", "expect": 204},
 {"method": "DELETE", "path": "$A/fw1", "expect": 404},
 {"method": "DELETE", "path": "/v1/networks/$NET2", "expect": 204},
 {"method": "DELETE", "path": "/v1/networks/$NET", "expect": 409},
 {"method": "DELETE", "path": "/v1/networks/nosuch", "expect": 404}
]
EOF
"$PYTHON3" -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/calls.json" ||
    { not_ok "the test's own call list is JSON"; finish; exit 1; }

"$PYTHON3" "$CHECK" --spec "$SPEC" --socket "$SOCK" --calls "$tmp/calls.json" \
    --routes-from "$top_srcdir/broker/engine-http.c" --probe \
    --tls 127.0.0.1:24400 --cacert "$tmp/srv.crt" --cert "$tmp/client.crt" \
    --key "$tmp/client.key" --token-file "$tmp/token" >"$tmp/check.out" 2>&1
rc=$?
cat "$tmp/check.out"
check "the OpenAPI check passes" [ "$rc" -eq 0 ]
check "the check made its calls" [ "$(grep -c '^ok - ' "$tmp/check.out")" -ge 60 ]
# The check can fail: a document that requires a member the server does
# not send, and that lacks a route the server has, is caught, naming the
# path, method, status and schema error.
sed -e 's/required: \[status, version, generation, uptime_s\]/required: [status, version, uptime]/' \
    -e 's|^  /v1/jobs/{id}:|  /v1/jobz/{id}:|' "$SPEC" >"$tmp/wrong.yaml"
printf '[{"method": "GET", "path": "/v1/health"}]' >"$tmp/one.json"
"$PYTHON3" "$CHECK" --spec "$tmp/wrong.yaml" --socket "$SOCK" \
    --calls "$tmp/one.json" --routes-from "$top_srcdir/broker/engine-http.c" \
    >"$tmp/wrong.out" 2>&1
rc=$?
check "a wrong document fails the check" [ "$rc" -ne 0 ]
check "... naming path, method, status and the schema error" \
    grep -q "^not ok - GET /v1/health -> 200 (GET /v1/health): body does not match Health: .*'uptime' is a required property" "$tmp/wrong.out"
check "... and the route it lacks" \
    grep -q "^not ok - routing table: GET /v1/jobs/{} is served but not documented" "$tmp/wrong.out"
check "the network registered through the API is gone again" \
    sh -c "! ip netns list | grep -qw '$NET2'"
check "the API key never reached the audit log or the broker log" \
    sh -c "! grep -q '$KEY' '$tmp/audit.log' '$tmp/broker.log'"
finish
