#!/bin/sh
# The pfSense dictionary (provider/dictionaries/pfsense.yaml) against the
# pfSense REST API v2 simulator (tests/vnfsim/pfsense.py) in network
# namespaces.  The appliance starts as installed: Basic auth only, the
# initial admin password.  Bootstrap rotates the password and enables API
# keys; System.create_api_key makes the key every service then uses.
# Each service's create, list, get, update, delete and apply is checked in
# the simulator's log and state; wrong credentials, pfSense's 400
# validation errors, missing ids (404) and a malformed body each give a
# failed result in pfSense's words; health; lint --strict; no secret in
# any output.
#
# Root, python3 and openssl needed; skips (77) otherwise.  Namespaces
# vbvpfsm*/vbvpfsv*, addresses in 198.18.0.0/15 only.
. "$(dirname "$0")/lib/common.sh"

need_root
command -v "$PYTHON3" >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
command -v openssl >/dev/null 2>&1 || { echo "SKIP: no openssl"; exit 77; }
. "$top_srcdir/tests/integration/lib/vnfsim.sh"

DICT=$top_srcdir/provider/dictionaries/pfsense.yaml
SIM=$top_srcdir/tests/vnfsim/pfsense.py
[ -x "$VP" ] || { echo "FAIL: $VP not built"; exit 1; }

INIT="pfsense$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
NEW="Rotated-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export INIT NEW

vs_up pfs "$SIM" --set user=admin --set "password=$INIT" \
    --set auth_methods=BasicAuth || { echo "FAIL: the lab did not come up"; exit 1; }
STATE=$VS_DIR/pfsense-state.json
ALL=$VS_DIR/all-output
: >"$ALL"

# p DICT-ARGS...: vp, then keep its output for the secrets check.
p() { vp "$@"; cat "$OUT" "$OUT.err" >>"$ALL"; }
# run SERVICE OP [DATA]: run with $CS.
run() {
	if [ $# -ge 3 ]; then
		p run "$DICT" --target "$VS_TARGET" --cs-data "$CS" "$1" "$2" --data "$3"
	else
		p run "$DICT" --target "$VS_TARGET" --cs-data "$CS" "$1" "$2"
	fi
}
st() {
	"$PYTHON3" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
	    "$STATE" "$1" 2>/dev/null
}
sts() { [ "$(st "$1")" = "$2" ]; }
quiet() { "$@" >/dev/null 2>&1; }
lastreq() { slog 'e[-1]["method"] + " " + e[-1]["path"] + ("?" + "&".join(k + "=" + v for k, v in e[-1]["query"].items()) if e[-1]["query"] else "")'; }

check "the dictionary passes lint --strict" quiet "$VP" lint --strict "$DICT"

CS_BOOT="{\"username\":\"admin\",\"bootstrap_password\":\"$INIT\",\"password\":\"$NEW\",\"tls_pin\":\"$VS_PIN\"}"
CS_NOKEY="{\"api_key\":\"0123456789abcdef0123456789abcdef\",\"tls_pin\":\"$VS_PIN\"}"

# --- before bootstrap: Basic auth only --------------------------------------
p health "$DICT" --target "$VS_TARGET" --cs-data "$CS_NOKEY"
check "health before bootstrap: degraded (port open, API key refused)" \
    jis '(d["status"], [c["status"] for c in d["checks"]])' "('degraded', ['pass', 'fail'])" || show
check "health before bootstrap: the reason says 401" \
    jis '"HTTP status 401" in d["checks"][1]["reason"]' True || show

# --- bootstrap ---------------------------------------------------------------
p bootstrap "$DICT" --target "$VS_TARGET" --cs-data "$CS_BOOT" \
    --state "$VS_DIR/boot.json" --deadline 30 --retry 200
check "bootstrap: success, phase done" jis '(d["status"], d["phase"])' "('success', 'done')" || show
check "bootstrap: change_password, enable_auth_methods, ready_test" \
    jis '[s["step"] for s in d["steps"] if s["step"].startswith("action") or s["step"] == "ready_test"]' \
    "['action 1: System.change_password', 'action 2: System.enable_auth_methods', 'ready_test']" || show
check "bootstrap: the admin password changed on the appliance" \
    sts "s['users'][0]['password'] == '$NEW'" True
check "bootstrap: key and JWT auth enabled" \
    sts "s['auth_methods']" "['BasicAuth', 'KeyAuth', 'JWTAuth']"
check "bootstrap: PATCH /api/v2/user sent with the initial password (Basic)" \
    sis "[x['status'] for x in e if x['path'] == '/api/v2/user' and x['method'] == 'PATCH']" "[200]"
check "bootstrap: the result carries the rotated cs-data value" \
    jis 'd["cs_data"]["bootstrap_password"] == "'"$NEW"'"' True
check "bootstrap: state file private (0600)" \
    test "$(stat -c %a "$VS_DIR/boot.json")" = 600
p bootstrap "$DICT" --target "$VS_TARGET" --cs-data "$CS_BOOT" \
    --state "$VS_DIR/boot.json" --deadline 30
check "bootstrap again: nothing done" \
    jis '(d["status"], len(d["steps"]))' "('success', 0)" || show

# --- credentials ---------------------------------------------------------------
CS_OLD="{\"username\":\"admin\",\"password\":\"$INIT\",\"tls_pin\":\"$VS_PIN\"}"
CS_ADMIN="{\"username\":\"admin\",\"password\":\"$NEW\",\"tls_pin\":\"$VS_PIN\"}"
p run "$DICT" --target "$VS_TARGET" --cs-data "$CS_OLD" System create_api_key
check "old password: failed, 401 with pfSense's AUTH_AUTHENTICATION_FAILED" \
    jis '(d["status"], d["steps"][-1]["http_status"], "AUTH_AUTHENTICATION_FAILED" in d["error"], "Authentication failed." in d["error"])' \
    "('failed', 401, True, True)" || show

vp run "$DICT" --target "$VS_TARGET" --cs-data "$CS_ADMIN" System create_api_key \
    --data '{"key_description":"cloudstack"}'
check "create_api_key: success, POST /api/v2/auth/key" \
    jis '(d["status"], d["steps"][-2]["step"])' "('success', 'http')" || show
KEY=$(jget 'd["data"]["key"]')
export KEY
check "create_api_key: data.key is the key pfSense made" \
    sts "'$KEY' in s['keys'] and len('$KEY') == 48" True
check "create_api_key: no password in its result" \
    sh -c "! grep -q -e \"\$NEW\" -e \"\$INIT\" '$OUT'"
CS="{\"api_key\":\"$KEY\",\"tls_pin\":\"$VS_PIN\"}"
CS_BAD="{\"api_key\":\"${KEY%????}0000\",\"tls_pin\":\"$VS_PIN\"}"

run System version
check "System version over the API key: 2.8.0-RELEASE" \
    jis '(d["status"], d["data"]["version"])' "('success', '2.8.0-RELEASE')" || show
check "the key went in X-API-Key, no Authorization" \
    sis '(e[-1]["headers"].get("x-api-key") == "'"$KEY"'", "authorization" in e[-1]["headers"])' "(True, False)"

# --- FIREWALL_RULES ------------------------------------------------------------
run FIREWALL_RULES create \
    '{"action":"accept","protocol":"tcp","source":"198.18.5.0/24","destination":"198.18.6.10/32","port":8443,"interface":"wan","description":"web in"}'
check "firewall create: success, data.id 0" jis '(d["status"], d["data"]["id"])' "('success', 0)" || show
check "firewall create: POST /api/v2/firewall/rule" test "$(lastreq)" = "POST /api/v2/firewall/rule"
check "firewall create: pfSense's fields (pass, [wan], tcp, nets, port as a string)" \
    sts "[s['rules'][0][k] for k in ('type','interface','protocol','source','destination','destination_port','descr')]" \
    "['pass', ['wan'], 'tcp', '198.18.5.0/24', '198.18.6.10/32', '8443', 'web in']"
check "firewall create: pending until applied" sts "(s['pending'], s['applied']['filter'])" "(['filter'], [])"
run FIREWALL_RULES create '{"action":"reject","protocol":"all","description":"second"}'
check "firewall create (all protocols): protocol null, no port, id 1" \
    sts "(s['rules'][1]['protocol'], s['rules'][1]['destination_port'], s['rules'][1]['type'])" "(None, None, 'reject')" || show
check "firewall create: second id is 1" jis 'd["data"]["id"]' 1

run FIREWALL_RULES apply
check "firewall apply: success, applied, nothing pending" \
    jis '(d["status"], d["data"]["applied"], d["data"]["pending"])' "('success', True, [])" || show
check "firewall apply: both rules running" sts "(len(s['applied']['filter']), s['pending'])" "(2, [])"

run FIREWALL_RULES list
check "firewall list: ids [0, 1]" jis '(d["status"], d["data"]["ids"])' "('success', [0, 1])" || show
check "firewall list: rules in pfSense's shape" \
    jis '[r["descr"] for r in d["data"]["rules"]]' "['web in', 'second']"

run FIREWALL_RULES get '{"id":1}'
check "firewall get: GET /api/v2/firewall/rule?id=1, the rule" \
    jis '(d["status"], d["data"]["rule"]["descr"])' "('success', 'second')" || show
check "firewall get: the query carried the id" test "$(lastreq)" = "GET /api/v2/firewall/rule?id=1"

run FIREWALL_RULES update '{"id":0,"action":"drop","protocol":"udp","port":53,"interface":"lan"}'
check "firewall update: success" jis 'd["status"]' success || show
check "firewall update: PATCH with the id in the body" \
    sis '(e[-1]["method"], json.loads(e[-1]["body"])["id"])' "('PATCH', 0)"
check "firewall update: changed (block, udp, 53, [lan])" \
    sts "[s['rules'][0][k] for k in ('type','protocol','destination_port','interface')]" "['block', 'udp', '53', ['lan']]"

run FIREWALL_RULES create '{"interface":"opt9","port":22}'
check "vendor validation (400): failed, pfSense's response_id and message" \
    jis '(d["status"], d["steps"][-1]["http_status"], "FIELD_INVALID_CHOICE" in d["error"], "Field `interface` must be one of [wan, lan, opt1]" in d["error"])' \
    "('failed', 400, True, True)" || show
run FIREWALL_RULES create '{"source":"2001:db8::/32"}'
check "vendor validation: an IPv6 source in an inet rule, in pfSense's words" \
    jis '(d["status"], "must be an IPv4 value when `ipprotocol` is `inet`" in d["error"])' "('failed', True)" || show
run FIREWALL_RULES create '{"protocol":"icmp","port":22}'
check "vendor validation: a port on an icmp rule" \
    jis '(d["status"], "FIELD_CONDITIONS_NOT_MET" in d["error"])' "('failed', True)" || show
check "vendor validation: nothing was created" sts "len(s['rules'])" 2
run FIREWALL_RULES create '{"port":0,"action":"allow","destination":"any"}'
check "bad input: failed at validate naming each field, nothing sent" \
    jis '(d["status"], d["steps"][0]["step"], "port:" in d["error"], "action:" in d["error"], "destination:" in d["error"], len(d["steps"]))' \
    "('failed', 'validate', True, True, True, 1)" || show

run FIREWALL_RULES get '{"id":99}'
check "get of a missing id: failed, 404 MODEL_OBJECT_NOT_FOUND" \
    jis '(d["status"], d["steps"][-1]["http_status"], "MODEL_OBJECT_NOT_FOUND" in d["error"], "Object with ID `99` does not exist." in d["error"])' \
    "('failed', 404, True, True)" || show
run FIREWALL_RULES update '{"id":99,"port":80}'
check "update of a missing id: failed, 404" \
    jis '(d["status"], d["steps"][-1]["http_status"])' "('failed', 404)" || show
run FIREWALL_RULES delete '{"id":99}'
check "delete of a missing id: failed, 404" \
    jis '(d["status"], d["steps"][-1]["http_status"], "does not exist" in d["error"])' "('failed', 404, True)" || show

run FIREWALL_RULES delete '{"id":0}'
check "firewall delete: success, DELETE ?id=0, the deleted rule returned" \
    jis '(d["status"], d["data"]["rule"]["destination_port"])' "('success', '53')" || show
check "firewall delete: DELETE /api/v2/firewall/rule?id=0" test "$(lastreq)" = "DELETE /api/v2/firewall/rule?id=0"
run FIREWALL_RULES list
check "firewall list after delete: the other rule renumbered to id 0" \
    jis '[(r["id"], r["descr"]) for r in d["data"]["rules"]]' "[(0, 'second')]" || show
check "firewall delete: pending until applied" sts "(s['pending'], len(s['applied']['filter']))" "(['filter'], 2)"
run FIREWALL_RULES apply
check "firewall apply after delete: one rule running" sts "(s['pending'], len(s['applied']['filter']))" "([], 1)"

# --- PORT_FORWARDING -------------------------------------------------------------
run PORT_FORWARDING create \
    '{"protocol":"tcp","public_ip":"198.18.1.1","public_port":9090,"private_ip":"198.18.2.2","private_port":8081,"description":"pf web"}'
check "port forward create: success, id 0" jis '(d["status"], d["data"]["id"])' "('success', 0)" || show
check "port forward create: pfSense's fields" \
    sts "[s['nat'][0][k] for k in ('interface','protocol','destination','destination_port','target','local_port','associated_rule_id')]" \
    "['wan', 'tcp', '198.18.1.1', '9090', '198.18.2.2', '8081', 'pass']"
check "port forward create: POST /api/v2/firewall/nat/port_forward" \
    test "$(lastreq)" = "POST /api/v2/firewall/nat/port_forward"
run PORT_FORWARDING list
check "port forward list: ids" jis 'd["data"]["ids"]' "[0]" || show
run PORT_FORWARDING get '{"id":0}'
check "port forward get: the target" jis 'd["data"]["rule"]["target"]' 198.18.2.2 || show
run PORT_FORWARDING update \
    '{"id":0,"protocol":"udp","public_ip":"198.18.1.1","public_port":5353,"private_ip":"198.18.2.3","private_port":53}'
check "port forward update: changed" \
    sts "[s['nat'][0][k] for k in ('protocol','destination_port','target','local_port')]" "['udp', '5353', '198.18.2.3', '53']" || show
run PORT_FORWARDING create \
    '{"public_ip":"198.18.1.1","public_port":80,"private_ip":"198.18.2.2","private_port":80,"interface":"opt7"}'
check "port forward, unknown interface: pfSense's 400 in the error" \
    jis '(d["status"], "Field `interface` must be one of" in d["error"])' "('failed', True)" || show
run PORT_FORWARDING apply
check "port forward apply: applied" sts "(s['pending'], len(s['applied']['nat']))" "([], 1)" || show
run PORT_FORWARDING delete '{"id":0}'
check "port forward delete: gone" sts "s['nat']" "[]" || show
run PORT_FORWARDING delete '{"id":0}'
check "port forward delete again: 404" jis '(d["status"], d["steps"][-1]["http_status"])' "('failed', 404)" || show

# --- STATIC_ROUTES ----------------------------------------------------------------
run STATIC_ROUTES create '{"cidr":"198.19.7.0/24","gateway":"LAN_GW","description":"to lab"}'
check "route create: success, id 0" jis '(d["status"], d["data"]["id"])' "('success', 0)" || show
check "route create: network, gateway, descr" \
    sts "[s['routes'][0][k] for k in ('network','gateway','descr','disabled')]" "['198.19.7.0/24', 'LAN_GW', 'to lab', False]"
run STATIC_ROUTES create '{"cidr":"198.19.8.0/24","gateway":"NO_SUCH_GW"}'
check "route create, unknown gateway: pfSense's 400" \
    jis '(d["status"], "Field `gateway` must be one of" in d["error"])' "('failed', True)" || show
run STATIC_ROUTES list
check "route list: ids" jis 'd["data"]["ids"]' "[0]" || show
run STATIC_ROUTES get '{"id":0}'
check "route get" jis 'd["data"]["route"]["gateway"]' LAN_GW || show
run STATIC_ROUTES update '{"id":0,"cidr":"198.19.9.0/24","gateway":"WAN_DHCP"}'
check "route update: changed" sts "[s['routes'][0][k] for k in ('network','gateway')]" "['198.19.9.0/24', 'WAN_DHCP']" || show
run STATIC_ROUTES apply
check "route apply: POST /api/v2/routing/apply, applied" \
    sts "('routes' in s['pending'], s['applied']['routes'][0]['network'])" "(False, '198.19.9.0/24')" || show
run STATIC_ROUTES delete '{"id":0}'
check "route delete: gone" sts "s['routes']" "[]" || show

# --- faults --------------------------------------------------------------------------
p run "$DICT" --target "$VS_TARGET" --cs-data "$CS_BAD" FIREWALL_RULES list
check "wrong API key: failed, 401 AUTH_AUTHENTICATION_FAILED" \
    jis '(d["status"], d["steps"][-1]["http_status"], "AUTH_AUTHENTICATION_FAILED" in d["error"])' "('failed', 401, True)" || show

cat >"$VS_DIR/bad.yaml" <<'EOF'
name: pfsense-malformed
connections:
  api:
    type: https
    auth: {type: api_key, header: X-API-Key, token: "{{get_cs_data.api_key}}"}
    pinned_sha256: "{{get_cs_data.tls_pin}}"
services:
  T:
    broken:
      connection: api
      method: POST
      url: /api/v2/firewall/rule
      headers: {Content-Type: application/json}
      body: '{"type": "{{ get_cs_data.action }}", "interface": ["lan"'
      response: {format: json, expected_status: 200}
EOF
p run "$VS_DIR/bad.yaml" --target "$VS_TARGET" \
    --cs-data "{\"api_key\":\"$KEY\",\"tls_pin\":\"$VS_PIN\",\"action\":\"pass\"}" T broken
check "malformed body: failed, pfSense's 400 about the JSON" \
    jis '(d["status"], d["steps"][-1]["http_status"], "REQUEST_BODY_NOT_VALID_JSON" in d["error"])' "('failed', 400, True)" || show

p health "$DICT" --target "$VS_TARGET" --cs-data "$CS"
check "health: healthy, both checks pass" \
    jis '(d["status"], [c["status"] for c in d["checks"]])' "('healthy', ['pass', 'pass'])" || show
vp health "$DICT" --target "$VS_IP:444" --cs-data "$CS"
check "health with nothing listening: unreachable" jis 'd["status"]' unreachable || show

# --- secrets -------------------------------------------------------------------------
# The one member that holds a secret on purpose is bootstrap's cs_data
# (the rotated password, for the management server): checked, then left
# out of the search.
check "bootstrap's cs_data is the only place the new password shows" \
    sh -c "grep -c -e \"\$NEW\" '$ALL' | grep -qx 2"
check "no password or key in any output (cs_data aside)" \
    "$PYTHON3" -c '
import json, os, sys
secrets = [os.environ[k] for k in ("NEW", "INIT", "KEY")]
for line in open(sys.argv[1]):
    try:
        d = json.loads(line)
        if isinstance(d, dict):
            d.pop("cs_data", None)
        line = json.dumps(d)
    except ValueError:
        pass
    if any(x in line for x in secrets):
        sys.exit(1)
' "$ALL"

finish
