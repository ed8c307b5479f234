#!/bin/sh
# The OPNsense dictionary (provider/dictionaries/opnsense.yaml) against the
# OPNsense API simulator (tests/vnfsim/opnsense.py) in network namespaces:
# every service's create, list, get, update, delete and apply through
# vnf-provider, checked in the simulator's request log and state; wrong
# credentials, OPNsense's validation errors (HTTP 200), unknown uuids and
# a malformed body each give a failed result in OPNsense's words; health
# and bootstrap; lint --strict; no secret in any output.
#
# Root, python3 and openssl needed; skips (77) otherwise.  Namespaces
# vbvopnm*/vbvopnv*, addresses in 198.18.0.0/15 only.
. "$(dirname "$0")/lib/common.sh"

need_root
command -v "$PYTHON3" >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
command -v openssl >/dev/null 2>&1 || { echo "SKIP: no openssl"; exit 77; }
. "$top_srcdir/tests/integration/lib/vnfsim.sh"

DICT=$top_srcdir/provider/dictionaries/opnsense.yaml
SIM=$top_srcdir/tests/vnfsim/opnsense.py
[ -x "$VP" ] || { echo "FAIL: $VP not built"; exit 1; }

KEY="opnkey$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
SECRET="opnsecret$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export KEY SECRET

vs_up opn "$SIM" --set "key=$KEY" --set "secret=$SECRET" \
    --set version=25.7 || { echo "FAIL: the lab did not come up"; exit 1; }
STATE=$VS_DIR/opnsense-state.json
export STATE

CS="{\"api_key\":\"$KEY\",\"api_secret\":\"$SECRET\",\"tls_pin\":\"$VS_PIN\"}"
CS_BAD="{\"api_key\":\"$KEY\",\"api_secret\":\"wrong-secret\",\"tls_pin\":\"$VS_PIN\"}"
ALL=$VS_DIR/all-output
: >"$ALL"

# run SERVICE OP [DATA]: vnf-provider run with the good credentials.
run() {
	if [ $# -ge 3 ]; then
		vp run "$DICT" --target "$VS_TARGET" --cs-data "$CS" "$1" "$2" --data "$3"
	else
		vp run "$DICT" --target "$VS_TARGET" --cs-data "$CS" "$1" "$2"
	fi
	cat "$OUT" "$OUT.err" >>"$ALL"
}
# st EXPR: a Python expression over the simulator's state s.
st() {
	"$PYTHON3" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
	    "$STATE" "$1" 2>/dev/null
}
sts() { [ "$(st "$1")" = "$2" ]; }
quiet() { "$@" >/dev/null 2>&1; }
# lastreq: the last request the simulator saw, as "METHOD PATH".
lastreq() { slog 'e[-1]["method"] + " " + e[-1]["path"]'; }

check "the dictionary passes lint --strict" quiet "$VP" lint --strict "$DICT"

# --- FIREWALL_RULES ---------------------------------------------------------
run FIREWALL_RULES create \
    '{"action":"accept","protocol":"tcp","source":"198.18.5.0/24","destination":"198.18.6.10/32","port":8443,"description":"web in"}'
check "firewall create: success" jis 'd["status"]' success || show
FW=$(jget 'd["data"]["id"]')
check "firewall create: data.id is the uuid OPNsense gave" \
    sts "list(s['filter'].keys()) == ['$FW']" True
check "firewall create: POST /api/firewall/filter/addRule with Basic auth" \
    sis '(e[-1]["method"], e[-1]["path"], e[-1]["headers"]["authorization"].startswith("Basic "))' \
    "('POST', '/api/firewall/filter/addRule', True)"
check "firewall create: fields mapped to OPNsense's (pass, TCP, nets, port)" \
    sts "[s['filter']['$FW'][k] for k in ('action','protocol','source_net','destination_net','destination_port','interface','description')]" \
    "['pass', 'TCP', '198.18.5.0/24', '198.18.6.10/32', '8443', 'lan', 'web in']"
check "firewall create: staged, not applied yet" sts "s['applied']['filter']" "{}"

run FIREWALL_RULES apply
check "firewall apply: success" jis '(d["status"], d["data"]["status"])' "('success', 'OK\n\n')" || show
check "firewall apply: the rule is now running" \
    sts "list(s['applied']['filter'].keys())" "['$FW']"

run FIREWALL_RULES list
check "firewall list: success, ids has the uuid" \
    jis '(d["status"], d["data"]["ids"])' "('success', ['$FW'])" || show
check "firewall list: rules in OPNsense's search shape" \
    jis '[(r["action"], r["destination_port"]) for r in d["data"]["rules"]]' "[('Pass', '8443')]"

run FIREWALL_RULES get "{\"id\":\"$FW\"}"
check "firewall get: success, the rule with its option maps" \
    jis '(d["status"], d["data"]["rule"]["action"]["pass"]["selected"], d["data"]["rule"]["source_net"])' \
    "('success', 1, '198.18.5.0/24')" || show
check "firewall get: GET /api/firewall/filter/getRule/UUID" \
    test "$(lastreq)" = "GET /api/firewall/filter/getRule/$FW"

run FIREWALL_RULES update \
    "{\"id\":\"$FW\",\"action\":\"drop\",\"protocol\":\"udp\",\"port\":53,\"destination\":\"198.18.6.10/32\"}"
check "firewall update: success" jis 'd["status"]' success || show
check "firewall update: the rule changed (block, UDP, 53)" \
    sts "[s['filter']['$FW'][k] for k in ('action','protocol','destination_port','source_net')]" \
    "['block', 'UDP', '53', 'any']"
check "firewall update: POST setRule/UUID" \
    test "$(lastreq)" = "POST /api/firewall/filter/setRule/$FW"

# OPNsense's validation: an IPv6 source in an IPv4 (inet) rule passes the
# schema (a cidr) and is refused by OPNsense with HTTP 200.
run FIREWALL_RULES create '{"source":"2001:db8::/32","port":22}'
check "vendor validation (HTTP 200 result failed): a failed result" \
    jis '(d["status"], d["steps"][-1]["step"], d["steps"][-1]["http_status"])' "('failed', 'http', 200)" || show
check "vendor validation: the error carries OPNsense's words and field" \
    jis '"rule.source_net" in d["error"] and "Source address type should match the selected IP protocol." in d["error"]' True || show
check "vendor validation: nothing was created" sts "len(s['filter'])" 1

run FIREWALL_RULES create '{"protocol":"icmp","port":22}'
check "vendor validation: a port on an icmp rule refused in OPNsense's words" \
    jis '(d["status"], "Ports are only valid for tcp or udp type rules." in d["error"])' "('failed', True)" || show
run FIREWALL_RULES create '{"interface":"opt9"}'
check "vendor validation: an unknown interface: option not in list" \
    jis '(d["status"], "rule.interface" in d["error"], "option not in list" in d["error"])' "('failed', True, True)" || show

run FIREWALL_RULES create '{"port":"70000","source":"10.0.0.0/33","action":"allow"}'
check "bad input: failed at validate naming each field, nothing sent" \
    jis '(d["status"], d["steps"][0]["step"], "port:" in d["error"], "source:" in d["error"], "action:" in d["error"], len(d["steps"]))' \
    "('failed', 'validate', True, True, True, 1)" || show

NOID=00000000-1111-4222-8333-444444444444
run FIREWALL_RULES get "{\"id\":\"$NOID\"}"
check "firewall get of an unknown uuid ([]): failed, not success" \
    jis '(d["status"], "success pattern" in d["error"], d["raw"])' "('failed', True, '[]')" || show
run FIREWALL_RULES update "{\"id\":\"$NOID\",\"port\":80}"
check "firewall update of an unknown uuid: failed, result failed quoted" \
    jis '(d["status"], "\"result\": \"failed\"" in d["error"])' "('failed', True)" || show
run FIREWALL_RULES delete "{\"id\":\"$NOID\"}"
check "firewall delete of an unknown uuid: failed, OPNsense's not found" \
    jis '(d["status"], "\"result\": \"not found\"" in d["error"])' "('failed', True)" || show
run FIREWALL_RULES delete '{"id":"../../core/system"}'
check "a hostile id: refused at validate, nothing sent" \
    jis '(d["status"], d["steps"][0]["step"], len(d["steps"]))' "('failed', 'validate', 1)" || show

run FIREWALL_RULES delete "{\"id\":\"$FW\"}"
check "firewall delete: success" jis '(d["status"], d["data"]["result"])' "('success', 'deleted')" || show
check "firewall delete: gone from the configuration, still running until apply" \
    sts "(len(s['filter']), len(s['applied']['filter']))" "(0, 1)"
run FIREWALL_RULES apply
check "firewall apply after delete: the running set is empty" \
    sts "(s['applied']['filter'], s['applies']['filter'])" "({}, 2)"
run FIREWALL_RULES list
check "firewall list after delete: no ids" jis 'd["data"]["ids"]' "[]" || show

# --- PORT_FORWARDING ----------------------------------------------------------
run PORT_FORWARDING create \
    '{"protocol":"tcp","public_ip":"198.18.1.1","public_port":9090,"private_ip":"198.18.2.2","private_port":8081,"description":"pf web"}'
check "port forward create: success" jis 'd["status"]' success || show
PF=$(jget 'd["data"]["id"]')
check "port forward create: d_nat fields (target, local_port, TCP, wan)" \
    sts "[s['dnat']['$PF'][k] for k in ('destination_net','destination_port','target','local_port','protocol','interface')]" \
    "['198.18.1.1', '9090', '198.18.2.2', '8081', 'TCP', 'wan']"
check "port forward create: POST /api/firewall/d_nat/add_rule" \
    test "$(lastreq)" = "POST /api/firewall/d_nat/add_rule"
run PORT_FORWARDING list
check "port forward list: the id" jis 'd["data"]["ids"]' "['$PF']" || show
run PORT_FORWARDING get "{\"id\":\"$PF\"}"
check "port forward get: the rule" jis '(d["status"], d["data"]["rule"]["target"])' "('success', '198.18.2.2')" || show
run PORT_FORWARDING update \
    "{\"id\":\"$PF\",\"protocol\":\"udp\",\"public_ip\":\"198.18.1.1\",\"public_port\":5353,\"private_ip\":\"198.18.2.3\",\"private_port\":53}"
check "port forward update: success and changed" \
    sts "[s['dnat']['$PF'][k] for k in ('protocol','destination_port','target','local_port')]" \
    "['UDP', '5353', '198.18.2.3', '53']" || show
run PORT_FORWARDING update "{\"id\":\"$PF\",\"public_ip\":\"198.18.1.1\",\"public_port\":80,\"private_ip\":\"198.18.2.3\",\"private_port\":80,\"interface\":\"opt7\"}"
check "port forward update, unknown interface: OPNsense's validation" \
    jis '(d["status"], "rule.interface" in d["error"])' "('failed', True)" || show
run PORT_FORWARDING apply
check "port forward apply: running" sts "list(s['applied']['dnat'])" "['$PF']" || show
run PORT_FORWARDING delete "{\"id\":\"$PF\"}"
check "port forward delete: success, gone" sts "s['dnat']" "{}" || show
run PORT_FORWARDING delete "{\"id\":\"$PF\"}"
check "port forward delete again: failed, not found" \
    jis '(d["status"], "not found" in d["error"])' "('failed', True)" || show

# --- STATIC_ROUTES --------------------------------------------------------------
run STATIC_ROUTES create '{"cidr":"198.19.7.0/24","gateway":"LAN_GW","description":"to lab"}'
check "route create: success" jis 'd["status"]' success || show
RT=$(jget 'd["data"]["id"]')
check "route create: network and gateway stored" \
    sts "[s['routes']['$RT'][k] for k in ('network','gateway','descr','disabled')]" \
    "['198.19.7.0/24', 'LAN_GW', 'to lab', '0']"
run STATIC_ROUTES create '{"cidr":"198.19.8.0/24","gateway":"NO_SUCH_GW"}'
check "route create, unknown gateway: OPNsense's validation in the error" \
    jis '(d["status"], "route.gateway" in d["error"], "option not in list" in d["error"])' "('failed', True, True)" || show
run STATIC_ROUTES list
check "route list: the id" jis 'd["data"]["ids"]' "['$RT']" || show
run STATIC_ROUTES get "{\"id\":\"$RT\"}"
check "route get: the gateway option selected" \
    jis 'd["data"]["route"]["gateway"]["LAN_GW"]["selected"]' 1 || show
run STATIC_ROUTES update "{\"id\":\"$RT\",\"cidr\":\"198.19.9.0/24\",\"gateway\":\"WAN_GW\"}"
check "route update: changed" \
    sts "[s['routes']['$RT'][k] for k in ('network','gateway')]" "['198.19.9.0/24', 'WAN_GW']" || show
run STATIC_ROUTES apply
check "route apply: POST /api/routes/routes/reconfigure, running" \
    sts "(list(s['applied']['routes']), s['applies']['routes'])" "(['$RT'], 1)" || show
run STATIC_ROUTES delete "{\"id\":\"$RT\"}"
check "route delete: success, gone" sts "s['routes']" "{}" || show

# --- System ------------------------------------------------------------------
run System firmware
check "System firmware: product and version" \
    jis '(d["data"]["product"], d["data"]["version"])' "('OPNsense', '25.7')" || show

# --- faults ------------------------------------------------------------------
vp run "$DICT" --target "$VS_TARGET" --cs-data "$CS_BAD" FIREWALL_RULES list
cat "$OUT" "$OUT.err" >>"$ALL"
check "wrong secret: failed at http, 401 and OPNsense's message" \
    jis '(d["status"], d["steps"][-1]["step"], d["steps"][-1]["http_status"], "Authentication Failed" in d["error"])' \
    "('failed', 'http', 401, True)" || show
check "wrong secret: the simulator saw a 401" sis 'e[-1]["status"]' 401

vp run "$DICT" --target "$VS_TARGET" --cs-data \
    "{\"api_key\":\"$KEY\",\"api_secret\":\"$SECRET\",\"tls_pin\":\"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}" \
    FIREWALL_RULES list
check "wrong TLS pin: failed, the key does not match, nothing sent" \
    jis '(d["status"], "pinned" in d["error"])' "('failed', True)" || show

# A malformed JSON body, as OPNsense answers it (400 Invalid JSON syntax).
# A body without tags must parse when the dictionary loads, so the
# broken body carries one.
cat >"$VS_DIR/bad.yaml" <<'EOF'
name: opnsense-malformed
connections:
  api:
    type: https
    username: "{{get_cs_data.api_key}}"
    password: "{{get_cs_data.api_secret}}"
    auth: basic
    pinned_sha256: "{{get_cs_data.tls_pin}}"
services:
  T:
    broken:
      connection: api
      method: POST
      url: /api/firewall/filter/addRule
      headers: {Content-Type: application/json}
      body: '{"rule": {"action": "{{ get_cs_data.action }}"'
      response: {format: json, expected_status: 200}
EOF
vp run "$VS_DIR/bad.yaml" --target "$VS_TARGET" --cs-data \
    "{\"api_key\":\"$KEY\",\"api_secret\":\"$SECRET\",\"tls_pin\":\"$VS_PIN\",\"action\":\"pass\"}" T broken
cat "$OUT" "$OUT.err" >>"$ALL"
check "malformed body: failed with OPNsense's 400 Invalid JSON syntax" \
    jis '(d["status"], d["steps"][-1]["http_status"], "Invalid JSON syntax" in d["error"])' "('failed', 400, True)" || show

# --- health -------------------------------------------------------------------
vp health "$DICT" --target "$VS_TARGET" --cs-data "$CS"
cat "$OUT" "$OUT.err" >>"$ALL"
check "health: healthy, both checks pass" \
    jis '(d["status"], [c["status"] for c in d["checks"]])' "('healthy', ['pass', 'pass'])" || show
check "health: GET /api/core/system/status was asked" \
    sis '[x["path"] for x in e if x["path"] == "/api/core/system/status"][-1:]' "['/api/core/system/status']"
vp health "$DICT" --target "$VS_TARGET" --cs-data "$CS_BAD"
cat "$OUT" "$OUT.err" >>"$ALL"
check "health with a wrong secret: degraded (the API answers 401)" \
    jis '(d["status"], d["checks"][1]["status"])' "('degraded', 'fail')" || show
vp health "$DICT" --target "$VS_IP:444" --cs-data "$CS"
check "health with nothing listening: unreachable" jis 'd["status"]' unreachable || show

# --- bootstrap -------------------------------------------------------------------
vp bootstrap "$DICT" --target "$VS_TARGET" --cs-data "$CS" \
    --state "$VS_DIR/boot.json" --deadline 30 --retry 200
cat "$OUT" "$OUT.err" >>"$ALL"
check "bootstrap: success, phase done" jis '(d["status"], d["phase"])' "('success', 'done')" || show
check "bootstrap: status then the three applies then ready_test" \
    jis '[s["step"] for s in d["steps"] if s["step"].startswith("action") or s["step"] == "ready_test"]' \
    "['action 1: System.status', 'action 2: FIREWALL_RULES.apply', 'action 3: PORT_FORWARDING.apply', 'action 4: STATIC_ROUTES.apply', 'ready_test']" || show
check "bootstrap: the applies reached OPNsense" \
    sts "(s['applies']['filter'], s['applies']['dnat'], s['applies']['routes'])" "(3, 2, 2)"
check "bootstrap: state file private (0600)" \
    test "$(stat -c %a "$VS_DIR/boot.json")" = 600
vp bootstrap "$DICT" --target "$VS_TARGET" --cs-data "$CS" \
    --state "$VS_DIR/boot.json" --deadline 30
check "bootstrap again: nothing done" \
    jis '(d["status"], len(d["steps"]))' "('success', 0)" || show
vp bootstrap "$DICT" --target "$VS_TARGET" --cs-data "$CS_BAD" \
    --state "$VS_DIR/boot-bad.json" --deadline 5 --retry 200
cat "$OUT" "$OUT.err" >>"$ALL"
check "bootstrap with a wrong secret: failed, OPNsense's 401 quoted" \
    jis '(d["status"], "Authentication Failed" in json.dumps(d))' "('failed', True)" || show

# --- secrets -------------------------------------------------------------------
check "no key or secret in any output" \
    sh -c "! grep -q -e \"\$KEY\" -e \"\$SECRET\" '$ALL'"
check "the credentials did reach the simulator (Basic)" \
    sis "any(x['headers'].get('authorization','') == 'Basic ' + __import__('base64').b64encode(b'$KEY:$SECRET').decode() for x in e)" True

finish
