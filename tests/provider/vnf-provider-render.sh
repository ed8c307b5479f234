#!/bin/sh
# vnf-provider render and jsonpath: what would be sent, secrets masked;
# JSONPath queries on files and standard input.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
VP=$top_builddir/provider/vnf-provider
FX=$top_srcdir/tests/provider/fixtures
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "not ok - $1"; }
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else nok "$name"; fi
}

CS='{"vnf_mgmt_ip":"10.1.1.109","vnf_api_key":"TOPSECRET1","user_api_key":"uk","user_secret_key":"TOPSECRET2"}'
"$VP" render "$FX/opnsense-firewall.yaml" FIREWALL_RULES create \
    --data '{"action":"block","dest_ip":"20.1.1.3","dest_port":"22"}' \
    --cs-data "$CS" >"$TMP/out" 2>&1
rc=$?
check "render opnsense create: exit 0 (got $rc)" test "$rc" -eq 0
check "method and url" grep -qx \
    "POST https://10.1.1.109/api/firewall/filter/saveRule" "$TMP/out"
check "Authorization masked" grep -qx "Authorization: \*\*\*\*\*\*\*\*" "$TMP/out"
check "no secret printed" sh -c "! grep -q TOPSECRET '$TMP/out'"
check "value in the body" grep -q '"action": "block"' "$TMP/out"
check "default in the body" grep -q '"interface": "wan"' "$TMP/out"
check "callback command" grep -q '"command": "xxxxx"' "$TMP/out"

"$VP" render --show-secrets "$FX/opnsense-firewall.yaml" FIREWALL_RULES \
    create --cs-data "$CS" >"$TMP/out" 2>&1
check "--show-secrets shows them" grep -q "Authorization: TOPSECRET1" "$TMP/out"

# The JSON form, and a body that must still be valid JSON after escaping.
"$VP" render --json "$FX/opnsense-firewall.yaml" FIREWALL_RULES create \
    --data '{"description":"a \"quoted\"\nline"}' --cs-data "$CS" \
    >"$TMP/json" 2>&1
rc=$?
check "--json: exit 0 (got $rc)" test "$rc" -eq 0
if command -v "${PYTHON3:-python3}" >/dev/null 2>&1; then
	check "--json: body is JSON with the value intact" \
	    "${PYTHON3:-python3}" -c '
import json, sys
r = json.load(open(sys.argv[1]))
b = json.loads(r["body"])
assert b["rule"]["description"] == "a \"quoted\"\nline", b
assert r["headers"]["Authorization"] == "********"
' "$TMP/json"
fi

# Invalid data: every bad field, exit 2, nothing rendered.
"$VP" render "$FX/opnsense-firewall.yaml" FIREWALL_RULES create \
    --data '{"action":"drop","colour":"red"}' --cs-data "$CS" >"$TMP/out" 2>&1
rc=$?
check "bad data: exit 2 (got $rc)" test "$rc" -eq 2
check "bad data: action named" grep -q "action" "$TMP/out"
check "bad data: colour named" grep -q "colour" "$TMP/out"
check "bad data: nothing rendered" sh -c "! grep -q '^POST' '$TMP/out'"

# CLI lines: the conditional, the connection, the secret-free output.
CCS='{"mgmt_ip":"192.0.2.10","user":"admin","pass":"PW"}'
"$VP" render "$FX/cisco-iosxe.yaml" Interfaces configure --cs-data "$CCS" \
    --data '{"interface_name":"Gi2","ip_address":"10.0.0.1 255.255.255.0","description":"LAN","admin_status":"up"}' \
    >"$TMP/out" 2>&1
rc=$?
check "render cisco configure: exit 0 (got $rc)" test "$rc" -eq 0
check "command with get_data[0]" grep -qx "interface Gi2" "$TMP/out"
check "if eq .admin_status up: no shutdown" grep -qx "no shutdown" "$TMP/out"
check "the else branch is not sent" sh -c "! grep -qx shutdown '$TMP/out'"
check "no template line left" sh -c "! grep -q '{{' '$TMP/out'"
"$VP" render "$FX/cisco-iosxe.yaml" Interfaces configure --cs-data "$CCS" \
    --data '{"interface_name":"Gi2\nreload","admin_status":"up"}' \
    >"$TMP/out" 2>&1
rc=$?
check "newline into a CLI line refused: exit 2 (got $rc)" test "$rc" -eq 2
check "refusal names the field" grep -q "interface_name" "$TMP/out"

"$VP" render "$FX/routeros-bootstrap.yaml" Network configure_interfaces \
    --cs-data '{"mgmt_ip":"192.0.2.1"}' \
    --data '[{"name":"eth2","ip":"192.168.1.1/24"},{"name":"eth3","type":"dhcp"}]' \
    >"$TMP/out" 2>&1
check "a loop over list data" grep -qx \
    "/ip dhcp-client add interface=eth3" "$TMP/out"

"$VP" render "$FX/cisco-iosxe.yaml" Interface configure >"$TMP/out" 2>&1
rc=$?
check "unknown service: exit 2 (got $rc)" test "$rc" -eq 2
check "unknown service: suggestion" grep -q 'did you mean "Interfaces"' "$TMP/out"

# jsonpath
printf '{"result":{"uuid":"u-1","rows":[{"id":1,"on":true},{"id":2,"on":false}]}}' \
    >"$TMP/doc.json"
"$VP" jsonpath --compact '$.result.uuid' "$TMP/doc.json" >"$TMP/out"
check "jsonpath on a file" grep -qx '\["u-1"\]' "$TMP/out"
"$VP" jsonpath --compact '$.result.rows[?@.on == true].id' <"$TMP/doc.json" \
    >"$TMP/out"
check "jsonpath filter on stdin" grep -qx '\[1\]' "$TMP/out"
"$VP" jsonpath --compact '$.nothing' "$TMP/doc.json" >"$TMP/out"
check "jsonpath selecting nothing" grep -qx '\[\]' "$TMP/out"
"$VP" jsonpath --compact --paths '$..id' "$TMP/doc.json" >"$TMP/out"
check "jsonpath --paths" grep -qF "\$['result']['rows'][0]['id']" "$TMP/out"
"$VP" jsonpath '$.a[' "$TMP/doc.json" >"$TMP/out" 2>&1
rc=$?
check "invalid expression: exit 2 (got $rc)" test "$rc" -eq 2
check "invalid expression: message" grep -q "invalid expression" "$TMP/out"
printf '{"a":' | "$VP" jsonpath '$.a' >"$TMP/out" 2>&1
rc=$?
check "invalid JSON: exit 2 (got $rc)" test "$rc" -eq 2
"$VP" jsonpath --help >"$TMP/out"
check "jsonpath --help" grep -q "usage: vnf-provider jsonpath" "$TMP/out"
"$VP" render --help >"$TMP/out"
check "render --help" grep -q "usage: vnf-provider render" "$TMP/out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
