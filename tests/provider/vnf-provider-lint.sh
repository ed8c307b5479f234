#!/bin/sh
# vnf-provider lint: the shipped fixtures are clean, and every mistake
# seeded in fixtures/broken.yaml is reported at its line:column.
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
check() {	# check NAME COMMAND...: the command must succeed
	name=$1
	shift
	if "$@"; then ok "$name"; else nok "$name"; fi
}

# The shipped examples load clean: exit 0 even under --strict, no problem.
for f in opnsense-firewall cisco-iosxe routeros-bootstrap; do
	"$VP" lint --strict "$FX/$f.yaml" >"$TMP/out" 2>&1
	rc=$?
	check "$f: lint --strict exits 0 (got $rc)" test "$rc" -eq 0
	check "$f: no diagnostics" sh -c "! grep -q ': error:\|: warning:' '$TMP/out'"
done
"$VP" lint "$FX/opnsense-firewall.yaml" >"$TMP/out"
check "lint lists the get_cs_data keys" grep -q \
    "get_cs_data keys: user_api_key user_secret_key vnf_api_key vnf_mgmt_ip" \
    "$TMP/out"

# The broken copy: exit 2, and each seeded mistake at its place.
(cd "$FX" && "$VP" lint broken.yaml) >"$TMP/broken" 2>&1
rc=$?
check "broken.yaml: exit 2 (got $rc)" test "$rc" -eq 2
while IFS='|' read -r where text; do
	[ -n "$where" ] || continue
	if grep -F "broken.yaml:$where" "$TMP/broken" | grep -qF "$text"; then
		ok "broken.yaml:$where $text"
	else
		nok "broken.yaml:$where $text"
	fi
done <<'LIST'
5:1: warning: |did you mean "description"
8:10: error: general_info.debug|expected true or false, found "maybe"
11:11: error: connections.primary.type|unknown connection type "sssh"
13:11: error: connections.primary.port|from 1 to 65535, found "70000"
14:5: warning: connections.primary|did you mean "verify_ssl"
21:30: error: healthchecks.api.url|template syntax
22:22: error: healthchecks.api.expected_status|from 100 to 599, found "999"
24:5: error: healthchecks.nothing|missing what to check
26:17: error: bootstrap.network_init|found "cloud_drive"
28:16: error: bootstrap.initial_actions[0].service|did you mean "Firewall"
31:15: error: bootstrap.initial_actions[1].action|has no operation "remove"
38:26: error: services.Firewall.create.get_data[1]|"prot" is not a field
40:19: error: services.Firewall.create.connection|did you mean "restconf"
42:29: error: services.Firewall.create.body|get_data.acton: no such field
46:26: error: services.Firewall.create.response.transform.id|invalid JSONPath
47:30: error: services.Firewall.create.response.success_pattern|invalid regular expression
49:15: error: services.Firewall.list.method|found "FETCH"
52:7: error: services.Firewall.update|missing required key "url"
54:17: error: services.Firewall.update.response.format|found "yaml"
56:17: error: services.Firewall.update.callback.action|did you mean "cloudstack-api"
60:9: error: services.Firewall.delete|commands are sent over ssh
64:17: error: services.Firewall.show.commands|expected a sequence
67:26: error: services.Firewall.show.response.expected_status|for HTTP operations
72:11: error: services.Firewall.reboot.commands[1]|found a map
LIST
check "broken.yaml: summary line" grep -q "^23 errors, 2 warnings$" "$TMP/broken"

# --json: an array of {file, line, column, severity, path, message}.
(cd "$FX" && "$VP" lint --json broken.yaml) >"$TMP/json"
rc=$?
check "--json: exit 2 (got $rc)" test "$rc" -eq 2
if command -v "${PYTHON3:-python3}" >/dev/null 2>&1; then
	check "--json: 25 entries, the first at 5:1" "${PYTHON3:-python3}" -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert len(a) == 25, len(a)
assert set(a[0]) == {"file", "line", "column", "severity", "path", "message"}
assert (a[0]["line"], a[0]["column"], a[0]["severity"]) == (5, 1, "warning")
assert sum(1 for d in a if d["severity"] == "error") == 23
' "$TMP/json"
fi

# Warnings only: 0, or 1 under --strict.
cat >"$TMP/warn.yaml" <<'YAML'
name: w
services:
  S:
    op: {url: "https://h/", metod: GET}
YAML
"$VP" lint "$TMP/warn.yaml" >/dev/null
rc=$?
check "warnings only: exit 0 (got $rc)" test "$rc" -eq 0
"$VP" lint --strict "$TMP/warn.yaml" >"$TMP/out"
rc=$?
check "warnings only, --strict: exit 1 (got $rc)" test "$rc" -eq 1
check "warning names the key and a fix" grep -q \
    "warn.yaml:4:29: warning: services.S.op: unknown key \"metod\", ignored; did you mean \"method\"?" \
    "$TMP/out"

# Several files in one run; a missing one is an error, not a crash.
"$VP" lint "$FX/cisco-iosxe.yaml" "$TMP/missing.yaml" >"$TMP/out" 2>&1
rc=$?
check "missing file: exit 2 (got $rc)" test "$rc" -eq 2
check "missing file: named" grep -q "missing.yaml" "$TMP/out"

# Hostile YAML is refused cleanly.
printf 'a: &x [1]\nb: *x\n' >"$TMP/alias.yaml"
"$VP" lint "$TMP/alias.yaml" >"$TMP/out" 2>&1
rc=$?
check "aliases refused: exit 2 (got $rc)" test "$rc" -eq 2

# Usage.
"$VP" lint --help >"$TMP/out"
check "lint --help" grep -q "usage: vnf-provider lint" "$TMP/out"
"$VP" lint >/dev/null 2>&1
rc=$?
check "lint without a file: exit 64 (got $rc)" test "$rc" -eq 64
"$VP" lnit x >"$TMP/out" 2>&1
check "unknown command suggests one" grep -q 'did you mean "lint"' "$TMP/out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
