#!/bin/sh
# The VyOS dictionary (provider/dictionaries/vyos.yaml) against the VyOS
# HTTP API simulator (tests/vnfsim/vyos.py) in network namespaces: every
# service's operations through vnf-provider, checked in the result and
# in what the simulator received and holds; a wrong API key, VyOS's own
# validation and commit errors, malformed input and missing objects,
# each a failed result carrying VyOS's words; health; bootstrap; lint.
#
# Root, python3 and openssl needed; skips (77) otherwise.  Namespaces
# vbvvyo*, addresses in 198.18.0.0/15 only.
. "$(dirname "$0")/lib/common.sh"

need_root
command -v "$PYTHON3" >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
command -v openssl >/dev/null 2>&1 || { echo "SKIP: no openssl"; exit 77; }
. "$top_srcdir/tests/integration/lib/vnfsim.sh"

DICT=$top_srcdir/provider/dictionaries/vyos.yaml
[ -x "$VP" ] || { echo "FAIL: $VP not built"; exit 1; }
KEY="vyos-key-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
export KEY

quiet() { "$@" >/dev/null 2>&1; }
check "vyos.yaml passes lint --strict" quiet "$VP" lint --strict "$DICT"

# The simulator writes its state (running and saved configuration) here
# when it stops.
SIMSTATE=$(mktemp /tmp/vbvvyo-state.XXXXXX) || exit 1
vs_up vyo "$top_srcdir/tests/vnfsim/vyos.py" --set "key=$KEY" \
    --set version=1.4.0 --state "$SIMSTATE" ||
    { rm -f "$SIMSTATE"; echo "FAIL: the lab did not come up"; exit 1; }
trap 'vs_down; rm -f "$SIMSTATE"' EXIT
CS="{\"api_key\":\"$KEY\",\"tls_pin\":\"$VS_PIN\"}"
CS_BAD="{\"api_key\":\"wrong-key-123\",\"tls_pin\":\"$VS_PIN\"}"

# run SERVICE OP [DATA]: one operation; the result in $OUT.
run() {
	if [ $# -ge 3 ]; then
		vp run "$DICT" --target "$VS_TARGET" --cs-data "$CS" "$1" "$2" \
		    --data "$3"
	else
		vp run "$DICT" --target "$VS_TARGET" --cs-data "$CS" "$1" "$2"
	fi
}
# req EXPR: a Python expression over the last request the simulator
# logged: r (the log entry), f (its form fields), j (f["data"] parsed).
req() {
	"$PYTHON3" -c 'import json,sys,urllib.parse
e=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
r=e[-1]; f=dict(urllib.parse.parse_qsl(r["body"]))
j=json.loads(f["data"]) if "data" in f else None
print(eval(sys.argv[2]))' "$VS_DIR/requests.log" "$1" 2>/dev/null
}
nreq() { slog 'len(e)'; }
# cfg EXPR: a Python expression over the simulator's running
# configuration c, read with a showConfig of everything (made directly,
# not through vnf-provider).
cfg() {
	ip netns exec "$VS_MGMT" "$PYTHON3" -c 'import json,ssl,sys,urllib.parse,urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
body = urllib.parse.urlencode({"data": json.dumps({"op": "showConfig", "path": []}), "key": sys.argv[3]}).encode()
c = json.load(urllib.request.urlopen("https://%s/retrieve" % sys.argv[1], body, context=ctx))["data"]
def g(*p):
    x = c
    for k in p:
        if not isinstance(x, dict) or k not in x:
            return None
        x = x[k]
    return x
print(eval(sys.argv[4]))' "$VS_TARGET" "$VS_CERT" "$KEY" "$1" 2>"$VS_DIR/cfg.err"
}

FW='["firewall","ipv4","forward","filter"]'

# --- FIREWALL_RULES ---------------------------------------------------------
run FIREWALL_RULES list
check "firewall list on an empty filter: success, no ids (VyOS's 400 'empty' is no rules)" \
    jis '(d["status"], d["data"]["ids"])' "('success', [])" || show

run FIREWALL_RULES create \
    '{"id":10,"action":"accept","protocol":"tcp","source":"198.18.5.0/24","destination":"198.18.6.10/32","port":443,"interface":"eth1","description":"web \"in\" & out+1"}'
check "firewall create: success" jis 'd["status"]' success || show
check "firewall create: data.id is the rule number given (VyOS answers no data)" \
    jis 'd["data"]["id"]' 10 || show
check "firewall create: one POST /configure, every set in one commit" \
    test "$(req '(r["method"], r["path"], len(j), sorted(set(c["op"] for c in j)))')" = \
    "('POST', '/configure', 7, ['set'])"
check "firewall create: the key travels as the form field key" \
    test "$(req '__import__("os").environ["KEY"] == f["key"]')" = True
check "firewall create: the simulator holds rule 10 as VyOS 1.4 syntax" \
    test "$(cfg 'g("firewall","ipv4","forward","filter","rule","10")')" = \
    "{'action': 'accept', 'protocol': 'tcp', 'source': {'address': '198.18.5.0/24'}, 'destination': {'address': '198.18.6.10/32', 'port': '443'}, 'inbound-interface': {'name': 'eth1'}, 'description': 'web \"in\" & out+1'}"

run FIREWALL_RULES create '{"id":20,"action":"drop","protocol":"icmp"}'
check "firewall create (icmp, defaults): success" jis 'd["status"]' success || show
run FIREWALL_RULES list
check "firewall list: ids are the rule numbers" \
    jis 'd["data"]["ids"]' "['10', '20']" || show
check "firewall list: rules are VyOS's config nodes (json_ast)" \
    jis '[(r["name"], sorted(c["name"] for c in r["children"])) for r in d["data"]["rules"]][1]' \
    "('20', ['action', 'destination', 'protocol', 'source'])" || show
check "firewall list: asked for configFormat json_ast" \
    test "$(req 'j["configFormat"]')" = json_ast

run FIREWALL_RULES get '{"id":10}'
check "firewall get: the rule's configuration" \
    jis '(d["status"], d["data"]["rule"]["destination"])' \
    "('success', {'address': '198.18.6.10/32', 'port': '443'})" || show

run FIREWALL_RULES update '{"id":10,"action":"reject","protocol":"udp","port":53}'
check "firewall update: success" jis 'd["status"]' success || show
check "firewall update: delete then set, one request" \
    test "$(req '[c["op"] for c in j][:2]')" = "['delete', 'set']"
check "firewall update: rule 10 replaced (old fields gone)" \
    test "$(cfg 'g("firewall","ipv4","forward","filter","rule","10")')" = \
    "{'action': 'reject', 'protocol': 'udp', 'source': {'address': '0.0.0.0/0'}, 'destination': {'address': '0.0.0.0/0', 'port': '53'}}"

# VyOS's commit check: a port needs tcp or udp.
n0=$(nreq)
run FIREWALL_RULES create '{"id":30,"protocol":"icmp","port":22}'
check "firewall create icmp+port: failed at http, VyOS's commit error quoted" \
    jis '(d["status"], d["steps"][1]["step"], d["steps"][1]["http_status"], "Protocol must be tcp, udp, or tcp_udp when specifying a port" in d["error"])' \
    "('failed', 'http', 400, True)" || show
check "firewall create icmp+port: nothing committed (rule 30 absent)" \
    test "$(cfg 'g("firewall","ipv4","forward","filter","rule","30")')" = None

run FIREWALL_RULES delete '{"id":20}'
check "firewall delete: success" jis 'd["status"]' success || show
check "firewall delete: op delete of rule 20" \
    test "$(req 'j')" = "{'op': 'delete', 'path': ['firewall', 'ipv4', 'forward', 'filter', 'rule', '20']}"
check "firewall delete: rule 20 gone, rule 10 kept" \
    test "$(cfg 'sorted(g("firewall","ipv4","forward","filter","rule"))')" = "['10']"

run FIREWALL_RULES delete '{"id":20}'
check "firewall delete of a missing rule: failed, VyOS's words" \
    jis '(d["status"], "Nothing to delete" in d["error"], "HTTP status 400" in d["error"])' \
    "('failed', True, True)" || show
run FIREWALL_RULES get '{"id":20}'
check "firewall get of a missing rule: failed, 'Configuration under specified path is empty'" \
    jis '(d["status"], "Configuration under specified path is empty" in d["error"])' \
    "('failed', True)" || show
run FIREWALL_RULES update '{"id":77,"action":"accept"}'
check "firewall update of a missing rule: failed (nothing to delete)" \
    jis '(d["status"], "Nothing to delete" in d["error"])' "('failed', True)" || show

n0=$(nreq)
run FIREWALL_RULES create '{"id":"0","action":"allow","source":"10.0.0.0/33","description":"a\nb"}'
check "firewall create with bad data: failed at validate, each field named" \
    jis '(d["status"], len(d["steps"]), all(k in d["error"] for k in ("id:", "action:", "source:", "description:")))' \
    "('failed', 1, True)" || show
check "firewall create with bad data: nothing sent" test "$(nreq)" = "$n0"

# --- PORT_FORWARDING (nat destination) ---------------------------------------
run PORT_FORWARDING list
check "nat list on an empty config: success, no ids" \
    jis '(d["status"], d["data"]["ids"])' "('success', [])" || show
run PORT_FORWARDING create \
    '{"id":100,"protocol":"tcp","public_ip":"198.18.0.2","public_port":8443,"private_ip":"198.18.6.10","private_port":443,"interface":"eth0","description":"https to web"}'
check "nat create: success" jis 'd["status"]' success || show
check "nat create: the simulator holds destination rule 100" \
    test "$(cfg 'g("nat","destination","rule","100")')" = \
    "{'protocol': 'tcp', 'destination': {'address': '198.18.0.2', 'port': '8443'}, 'translation': {'address': '198.18.6.10', 'port': '443'}, 'inbound-interface': {'name': 'eth0'}, 'description': 'https to web'}"
run PORT_FORWARDING list
check "nat list: ids" jis 'd["data"]["ids"]' "['100']" || show
run PORT_FORWARDING get '{"id":100}'
check "nat get: translation" \
    jis 'd["data"]["rule"]["translation"]' "{'address': '198.18.6.10', 'port': '443'}" || show
run PORT_FORWARDING update \
    '{"id":100,"protocol":"udp","public_ip":"198.18.0.2","public_port":5353,"private_ip":"198.18.6.11","private_port":53}'
check "nat update: success, rule replaced" \
    test "$(cfg 'g("nat","destination","rule","100")')" = \
    "{'protocol': 'udp', 'destination': {'address': '198.18.0.2', 'port': '5353'}, 'translation': {'address': '198.18.6.11', 'port': '53'}}"
run PORT_FORWARDING delete '{"id":100}'
check "nat delete: success, nat gone" \
    test "$(jget 'd["status"]') $(cfg 'g("nat")')" = "success None" || show
run PORT_FORWARDING delete '{"id":100}'
check "nat delete of a missing rule: failed, VyOS's words" \
    jis '(d["status"], "Nothing to delete" in d["error"])' "('failed', True)" || show

# --- STATIC_ROUTES -----------------------------------------------------------
run STATIC_ROUTES create '{"cidr":"198.19.7.0/24","gateway":"198.18.0.1","metric":10,"description":"lab net"}'
check "route create: success" jis 'd["status"]' success || show
check "route create: protocols static route ... next-hop ... distance 10" \
    test "$(cfg 'g("protocols","static","route","198.19.7.0/24")')" = \
    "{'next-hop': {'198.18.0.1': {'distance': '10'}}, 'description': 'lab net'}"
run STATIC_ROUTES list
check "route list: cidrs" jis 'd["data"]["cidrs"]' "['198.19.7.0/24']" || show
run STATIC_ROUTES get '{"cidr":"198.19.7.0/24"}'
check "route get: next-hop" \
    jis 'd["data"]["route"]["next-hop"]' "{'198.18.0.1': {'distance': '10'}}" || show
run STATIC_ROUTES update '{"cidr":"198.19.7.0/24","gateway":"198.18.0.3","metric":20,"interface":"eth0"}'
check "route update: the route replaced" \
    test "$(cfg 'g("protocols","static","route","198.19.7.0/24")')" = \
    "{'next-hop': {'198.18.0.3': {'distance': '20', 'interface': 'eth0'}}}"
run STATIC_ROUTES delete '{"cidr":"198.19.7.0/24"}'
check "route delete: success, gone" \
    test "$(jget 'd["status"]') $(cfg 'g("protocols","static")')" = "success None" || show

# --- BGP ---------------------------------------------------------------------
run BGP create '{"neighbor":"198.18.0.1","remote_as":65001}'
check "bgp neighbour without system-as: failed, VyOS's commit error" \
    jis '(d["status"], "BGP system-as number must be defined!" in d["error"])' \
    "('failed', True)" || show
run BGP create '{"system_as":65000,"neighbor":"198.18.0.1","remote_as":65001,"description":"upstream"}'
check "bgp create with system-as: success" jis 'd["status"]' success || show
check "bgp create: protocols bgp holds both" \
    test "$(cfg 'g("protocols","bgp")')" = \
    "{'neighbor': {'198.18.0.1': {'remote-as': '65001', 'description': 'upstream'}}, 'system-as': '65000'}"
run BGP list
check "bgp list: system-as and neighbour ids" \
    jis '(d["data"]["system_as"], d["data"]["ids"])' "(['65000'], ['198.18.0.1'])" || show
run BGP update '{"neighbor":"198.18.0.1","remote_as":65002}'
check "bgp update: remote-as changed" \
    test "$(cfg 'g("protocols","bgp","neighbor","198.18.0.1")')" = "{'remote-as': '65002'}"
run BGP delete '{"neighbor":"198.18.0.1"}'
check "bgp delete: neighbour gone, system-as kept" \
    test "$(cfg 'g("protocols","bgp")')" = "{'system-as': '65000'}"

# --- System: save ------------------------------------------------------------
run System save
check "save: success, VyOS's message" \
    jis '(d["status"], d["data"]["message"])' \
    "('success', \"Saving configuration to '/config/config.boot'...\\nDone\\n\")" || show
check "save: POST /config-file op save" \
    test "$(req '(r["path"], j)')" = "('/config-file', {'op': 'save'})"
run System version
check "version: /show version text" \
    jis '"VyOS 1.4.0" in d["data"]["version"]' True || show

# --- wrong key, malformed input ----------------------------------------------
vp run "$DICT" --target "$VS_TARGET" --cs-data "$CS_BAD" FIREWALL_RULES list
check "wrong key: failed at http, 401, VyOS's 'Valid API key is required'" \
    jis '(d["status"], d["steps"][1]["http_status"], "Valid API key is required" in d["error"])' \
    "('failed', 401, True)" || show
vp run "$DICT" --target "$VS_TARGET" --cs-data "$CS_BAD" FIREWALL_RULES create --data '{"id":40}'
check "wrong key on create: failed, 401; nothing created" \
    test "$(jget '(d["status"], d["steps"][1]["http_status"])') $(cfg 'g("firewall","ipv4","forward","filter","rule","40")')" = \
    "('failed', 401) None" || show
check "wrong key: the key is not in the output" \
    sh -c "! grep -q wrong-key-123 '$OUT'"

# Malformed commands cannot come from vyos.yaml (its schemas hold every
# value), so a small dictionary sends them, as a broken client would.
cat >"$VS_DIR/faults.yaml" <<'EOY'
name: vyos-faults
connections:
  api:
    type: https
    host: "{{mgmt_ip}}"
    pinned_sha256: "{{get_cs_data.tls_pin}}"
    auth: {type: form, field: key, token: "{{get_cs_data.api_key}}"}
    headers: {Content-Type: application/x-www-form-urlencoded}
services:
  Raw:
    broken_json:
      connection: api
      method: POST
      url: /configure
      body: 'data={"op":"set","path":["system"'
      response: {format: json, error_patterns: ['"success": ?false']}
    no_path:
      connection: api
      method: POST
      url: /configure
      body: 'data={"op":"set"}'
      response: {format: json, error_patterns: ['"success": ?false']}
    bad_node:
      connection: api
      method: POST
      url: /configure
      body: 'data={"op":"set","path":["firewall","ipv4","forward","filter","rule","5","colour","red"]}'
      response: {format: json, error_patterns: ['"success": ?false']}
    bad_value:
      connection: api
      method: POST
      url: /configure
      body: 'data={"op":"set","path":["firewall","ipv4","forward","filter","rule","5","action","allow"]}'
      response: {format: json, error_patterns: ['"success": ?false']}
    success_false_200:
      connection: api
      method: POST
      url: /nowhere
      response: {format: json, expected_status: 404}
EOY
vf() { vp run "$VS_DIR/faults.yaml" --target "$VS_TARGET" --cs-data "$CS" Raw "$1"; }
vf broken_json
check "malformed JSON: failed, 400, VyOS's 'Failed to parse JSON'" \
    jis '(d["status"], d["steps"][1]["http_status"], "Failed to parse JSON" in d["error"])' \
    "('failed', 400, True)" || show
vf no_path
check "a command without path: failed, 'missing 'path' field'" \
    jis '(d["status"], "missing '"'"'path'"'"' field" in d["error"])' "('failed', True)" || show
vf bad_node
check "an unknown node: failed, 'Configuration path: [...] is not valid'" \
    jis '(d["status"], "is not valid" in d["error"] and "colour red" in d["error"])' \
    "('failed', True)" || show
vf bad_value
check "a bad value: failed, 'Invalid value'" \
    jis '(d["status"], "Invalid value" in d["error"])' "('failed', True)" || show
vf success_false_200
check "an unknown endpoint answers FastAPI's 404" \
    jis 'd["raw"]' '{"detail": "Not Found"}' || show

# --- kept connections: operations in one run share one TLS connection ---------
n0=$(nreq)
vp run "$DICT" --target "$VS_TARGET" --cs-data "$CS" --repeat 3 System version
check "kept connection: three operations, all success" \
    jis '[x["status"] for x in r]' "['success', 'success', 'success']" || show
check "kept connection: the three requests came over one TCP connection" \
    test "$(slog "len(set(x['peer'] for x in e[$n0:]))") $(slog "len(e) - $n0")" = "1 3"

# --- health --------------------------------------------------------------------
vp health "$DICT" --target "$VS_TARGET" --cs-data "$CS"
check "health: healthy (exit 0), both checks pass" \
    test "$VP_RC $(jget '(d["status"], [c["status"] for c in d["checks"]])')" = \
    "0 ('healthy', ['pass', 'pass'])" || show
check "health: the API check ran show version with the key" \
    test "$(req '(r["method"], r["path"], r["status"], "key" in f, j)')" = "('POST', '/show', 200, True, {'op': 'show', 'path': ['version']})"
vp health "$DICT" --target "$VS_TARGET" --cs-data "{\"api_key\":\"bad-key-456\",\"tls_pin\":\"$VS_PIN\"}"
check "health with a wrong key: the API check fails with VyOS's words, reached" \
    test "$VP_RC $(jget '[(c["status"], c["reached"], "Valid API key is required" in (c["reason"] or "")) for c in d["checks"] if c["name"] == "api"]')" = \
    "3 [('fail', True, True)]" || show

# --- bootstrap -----------------------------------------------------------------
CS_BOOT="{\"api_key\":\"$KEY\",\"tls_pin\":\"$VS_PIN\",\"hostname\":\"edge-7\"}"
vp bootstrap "$DICT" --target "$VS_TARGET" --cs-data "$CS_BOOT" \
    --state "$VS_DIR/boot.json" --deadline 30 --retry 200
check "bootstrap: success" jis 'd["status"]' success || show
check "bootstrap: steps reachable, 2 actions, ready_test" \
    jis '[s["step"] for s in d["steps"] if s["step"] != "connected"]' \
    "['reachable', 'action 1: System.set_hostname', 'action 2: System.save', 'ready_test']" || show
check "bootstrap: host-name set and saved" \
    test "$(cfg 'g("system","host-name")')" = edge-7
check "bootstrap: the save, then the ready test's show version" \
    test "$(slog '[x["path"] for x in e if x["path"] != "/retrieve"][-3:]')" = "['/configure', '/config-file', '/show']"
check "bootstrap: the ready test is the operation check, passed" \
    test "$(jget '(d["steps"][-1]["result"]["kind"], d["steps"][-1]["status"])')" = \
    "('operation', 'success')"
check "bootstrap: state file is private (0600)" \
    test "$(stat -c %a "$VS_DIR/boot.json")" = 600
vp bootstrap "$DICT" --target "$VS_TARGET" --cs-data "$CS_BOOT" \
    --state "$VS_DIR/boot.json" --deadline 30
check "bootstrap again: nothing done" \
    jis '(d["status"], len(d["steps"]))' "('success', 0)" || show
vp bootstrap "$DICT" --target "$VS_TARGET" --cs-data "{\"api_key\":\"bad-key-456\",\"tls_pin\":\"$VS_PIN\",\"hostname\":\"edge-8\"}" \
    --state "$VS_DIR/boot2.json" --deadline 10 --retry 200
check "bootstrap with a wrong key: failed, VyOS's 401 words" \
    jis '(d["status"], "Valid API key is required" in json.dumps(d))' "('failed', True)" || show

# --- the simulator stopped -------------------------------------------------------
kill "$VS_PID" 2>/dev/null; wait "$VS_PID" 2>/dev/null; VS_PID=
check "save: the saved configuration is the running one (host-name, rule 10)" \
    test "$("$PYTHON3" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["saved"] == s["running"], s["saved"]["system"]["host-name"], list(s["saved"]["firewall"]["ipv4"]["forward"]["filter"]["rule"]))' "$SIMSTATE")" = \
    "True edge-7 ['10']"
vp health "$DICT" --target "$VS_TARGET" --cs-data "$CS"
check "health: unreachable when the API is down (exit 3)" \
    test "$VP_RC $(jget 'd["status"]')" = "3 unreachable" || show

check "no output held the API key" \
    sh -c "! grep -rq '$KEY' '$VS_DIR'/out* "
finish
