#!/bin/sh
# The MikroTik RouterOS 7 dictionary (provider/dictionaries/routeros.yaml)
# against the RouterOS REST API simulator (tests/vnfsim/routeros.py) in
# network namespaces: every service's operations through vnf-provider,
# checked in the result and in what the simulator received; wrong
# credentials, RouterOS's own validation errors, malformed input and
# missing items, each a failed result carrying RouterOS's words; health;
# a bootstrap that rotates the admin password; lint.
#
# Root, python3 and openssl needed; skips (77) otherwise.  Namespaces
# vbvros*, addresses in 198.18.0.0/15 only.
. "$(dirname "$0")/lib/common.sh"

need_root
command -v "$PYTHON3" >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
command -v openssl >/dev/null 2>&1 || { echo "SKIP: no openssl"; exit 77; }
. "$top_srcdir/tests/integration/lib/vnfsim.sh"

DICT=$top_srcdir/provider/dictionaries/routeros.yaml
[ -x "$VP" ] || { echo "FAIL: $VP not built"; exit 1; }
rnd() { od -An -N6 -tx1 /dev/urandom | tr -d ' \n'; }
BOOT_PASS="Boot-$(rnd)"
NEW_PASS="Rotated-$(rnd)"
export BOOT_PASS NEW_PASS

quiet() { "$@" >/dev/null 2>&1; }
check "routeros.yaml passes lint --strict" quiet "$VP" lint --strict "$DICT"

vs_up ros "$top_srcdir/tests/vnfsim/routeros.py" --set user=admin \
    --set "password=$BOOT_PASS" ||
    { echo "FAIL: the lab did not come up"; exit 1; }

# req EXPR: a Python expression over the last request the simulator
# logged, r, with its JSON body in b (None when it has none).
req() {
	"$PYTHON3" -c 'import json,sys
e=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
r=e[-1]; b=json.loads(r["body"]) if r["body"] else None
print(eval(sys.argv[2]))' "$VS_DIR/requests.log" "$1" 2>/dev/null
}
nreq() { slog 'len(e)'; }
# ros METHOD PATH: the simulator's answer to a request made directly
# (not through vnf-provider), as Python; for checking its state.
ros() {
	ip netns exec "$VS_MGMT" "$PYTHON3" -c 'import base64,json,ssl,sys,urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
rq = urllib.request.Request("https://%s/rest/%s" % (sys.argv[1], sys.argv[4]))
rq.add_header("Authorization", "Basic " + base64.b64encode(("admin:" + sys.argv[3]).encode()).decode())
try:
    print(json.load(urllib.request.urlopen(rq, context=ctx)))
except urllib.error.HTTPError as x:
    print(x.code, x.read().decode())' "$VS_TARGET" "$VS_CERT" "$PASS" "$1" 2>"$VS_DIR/ros.err"
}

# --- bootstrap: the admin password rotated ----------------------------------
PASS=$BOOT_PASS
CS_BOOT="{\"username\":\"admin\",\"bootstrap_password\":\"$BOOT_PASS\",\"password\":\"$NEW_PASS\",\"tls_pin\":\"$VS_PIN\"}"
vp bootstrap "$DICT" --target "$VS_TARGET" --cs-data "$CS_BOOT" \
    --state "$VS_DIR/boot.json" --deadline 30 --retry 200
check "bootstrap: success" jis 'd["status"]' success || show
check "bootstrap: reachable, change_password, ready_test" \
    jis '[s["step"] for s in d["steps"] if s["step"] != "connected"]' \
    "['reachable', 'action 1: System.change_password', 'ready_test']" || show
check "bootstrap: POST /rest/user/set with .id admin and the new password" \
    test "$(slog '[(x["method"], json.loads(x["body"])[".id"], json.loads(x["body"])["password"] == __import__("os").environ["NEW_PASS"]) for x in e if x["path"] == "/rest/user/set"]')" = \
    "[('POST', 'admin', True)]"
check "bootstrap: the ready test read /rest/system/resource with the new password" \
    test "$(slog '[x["status"] for x in e if x["path"] == "/rest/system/resource"][-1]')" = 200
check "bootstrap: the result hands back the rotated cs-data value" \
    jis 'd["cs_data"]["bootstrap_password"] == __import__("os").environ["NEW_PASS"]' True
check "bootstrap: no password in the steps" \
    jis '__import__("os").environ["NEW_PASS"] in json.dumps(d["steps"]) or __import__("os").environ["BOOT_PASS"] in json.dumps(d["steps"])' False
check "bootstrap: state file is private (0600)" \
    test "$(stat -c %a "$VS_DIR/boot.json")" = 600
vp bootstrap "$DICT" --target "$VS_TARGET" --cs-data "$CS_BOOT" \
    --state "$VS_DIR/boot.json" --deadline 30
check "bootstrap again: nothing done" \
    jis '(d["status"], len(d["steps"]))' "('success', 0)" || show

PASS=$NEW_PASS
CS="{\"username\":\"admin\",\"password\":\"$NEW_PASS\",\"tls_pin\":\"$VS_PIN\"}"
CS_OLD="{\"username\":\"admin\",\"password\":\"$BOOT_PASS\",\"tls_pin\":\"$VS_PIN\"}"
vp run "$DICT" --target "$VS_TARGET" --cs-data "$CS" System resource
check "the new password logs in (System.resource)" \
    jis '(d["status"], d["data"]["version"], d["data"]["board"])' \
    "('success', '7.16.2 (stable)', 'CHR')" || show
vp run "$DICT" --target "$VS_TARGET" --cs-data "$CS_OLD" System resource
check "the old password: failed, 401, RouterOS's Unauthorized" \
    jis '(d["status"], d["steps"][1]["http_status"], "\"message\": \"Unauthorized\"" in d["error"])' \
    "('failed', 401, True)" || show
check "the old password: exit 3" test "$VP_RC" -eq 3

run() {
	if [ $# -ge 3 ]; then
		vp run "$DICT" --target "$VS_TARGET" --cs-data "$CS" "$1" "$2" \
		    --data "$3"
	else
		vp run "$DICT" --target "$VS_TARGET" --cs-data "$CS" "$1" "$2"
	fi
}

# --- FIREWALL_RULES ---------------------------------------------------------------
run FIREWALL_RULES list
check "firewall list, empty: success, no ids" \
    jis '(d["status"], d["data"]["ids"])' "('success', [])" || show
run FIREWALL_RULES create \
    '{"action":"accept","protocol":"tcp","source":"198.18.5.0/24","destination":"198.18.6.10/32","port":443,"interface":"ether2","description":"web \"in\""}'
check "firewall create: success, data.id is RouterOS's .id" \
    jis '(d["status"], d["data"]["id"])' "('success', '*1')" || show
check "firewall create: PUT /rest/ip/firewall/filter, chain forward, the fields as RouterOS names them" \
    test "$(req '(r["method"], r["path"], b)')" = \
    "('PUT', '/rest/ip/firewall/filter', {'chain': 'forward', 'action': 'accept', 'src-address': '198.18.5.0/24', 'dst-address': '198.18.6.10/32', 'protocol': 'tcp', 'dst-port': '443', 'in-interface': 'ether2', 'comment': 'web \"in\"'})"
check "firewall create: Basic auth as admin" \
    test "$(req '__import__("base64").b64decode(r["headers"]["authorization"][6:]).decode().split(":")[0]')" = admin
FW1=$(jget 'd["data"]["id"]')
run FIREWALL_RULES create '{"action":"drop","protocol":"all"}'
check "firewall create, protocol all: no protocol sent" \
    test "$(jget 'd["status"]') $(req '"protocol" in b')" = "success False" || show
FW2=$(jget 'd["data"]["id"]')
run FIREWALL_RULES list
check "firewall list: ids" jis 'd["data"]["ids"]' "['$FW1', '$FW2']" || show
check "firewall list: rules as RouterOS gives them" \
    jis '[(r["chain"], r["action"], r.get("dst-port")) for r in d["data"]["rules"]]' \
    "[('forward', 'accept', '443'), ('forward', 'drop', None)]" || show
run FIREWALL_RULES get "{\"id\":\"$FW1\"}"
check "firewall get: GET .../%2A1 reads the rule" \
    test "$(jget '(d["status"], d["data"]["rule"]["comment"])') $(req 'r["path"]')" = \
    "('success', 'web \"in\"') /rest/ip/firewall/filter/%2A1" || show
run FIREWALL_RULES update "{\"id\":\"$FW1\",\"action\":\"reject\",\"protocol\":\"udp\",\"port\":53}"
check "firewall update: PATCH, success" \
    test "$(jget 'd["status"]') $(req 'r["method"]')" = "success PATCH" || show
check "firewall update: the simulator holds the new values" \
    test "$(ros "ip/firewall/filter/$FW1" | "$PYTHON3" -c 'import ast,sys; r=ast.literal_eval(sys.stdin.read()); print(r["action"], r["protocol"], r["dst-port"])')" = \
    "reject udp 53"
run FIREWALL_RULES delete "{\"id\":\"$FW2\"}"
check "firewall delete: success (204)" \
    test "$(jget '(d["status"], d["steps"][1]["http_status"])') $(req 'r["method"]')" = \
    "('success', 204) DELETE" || show
check "firewall delete: only the other rule is left" \
    test "$(ros ip/firewall/filter | "$PYTHON3" -c 'import ast,sys; print([r[".id"] for r in ast.literal_eval(sys.stdin.read())])')" = "['$FW1']"

run FIREWALL_RULES delete "{\"id\":\"$FW2\"}"
check "firewall delete of a missing id: failed, 404, RouterOS's Not Found" \
    jis '(d["status"], d["steps"][1]["http_status"], "\"message\": \"Not Found\"" in d["error"])' \
    "('failed', 404, True)" || show
run FIREWALL_RULES get '{"id":"*FF"}'
check "firewall get of a missing id: failed, 404" \
    jis '(d["status"], d["steps"][1]["http_status"])' "('failed', 404)" || show
run FIREWALL_RULES update '{"id":"*FF","action":"accept"}'
check "firewall update of a missing id: failed, 404" \
    jis '(d["status"], d["steps"][1]["http_status"])' "('failed', 404)" || show

run FIREWALL_RULES create '{"action":"accept","interface":"ether9"}'
check "firewall create on an unknown interface: failed, 400, RouterOS's detail" \
    jis '(d["status"], d["steps"][1]["http_status"], "input does not match any value of interface" in d["error"])' \
    "('failed', 400, True)" || show
run FIREWALL_RULES create '{"action":"drop","protocol":"icmp","port":22}'
check "firewall create icmp with a port: failed, RouterOS's failure text" \
    jis '(d["status"], "dst-port can be used only with protocol tcp" in d["error"])' \
    "('failed', True)" || show
check "firewall: the refused rules were not added" \
    test "$(ros ip/firewall/filter | "$PYTHON3" -c 'import ast,sys; print(len(ast.literal_eval(sys.stdin.read())))')" = 1

n0=$(nreq)
run FIREWALL_RULES create '{"action":"allow","port":0,"source":"x","id":"1"}'
check "firewall create with bad data: failed at validate, each field named" \
    jis '(d["status"], len(d["steps"]), all(k in d["error"] for k in ("action:", "port:", "source:", "id:")))' \
    "('failed', 1, True)" || show
check "firewall create with bad data: nothing sent" test "$(nreq)" = "$n0"

# --- PORT_FORWARDING ----------------------------------------------------------------
run PORT_FORWARDING create \
    '{"protocol":"tcp","public_ip":"198.18.0.2","public_port":8443,"private_ip":"198.18.6.10","private_port":443,"interface":"ether1","description":"https to web"}'
check "dst-nat create: success, an id" \
    jis '(d["status"], d["data"]["id"].startswith("*"))' "('success', True)" || show
check "dst-nat create: PUT /rest/ip/firewall/nat, dstnat/dst-nat" \
    test "$(req '(r["method"], r["path"], b["chain"], b["action"], b["to-addresses"], b["to-ports"])')" = \
    "('PUT', '/rest/ip/firewall/nat', 'dstnat', 'dst-nat', '198.18.6.10', '443')"
NAT1=$(jget 'd["data"]["id"]')
run PORT_FORWARDING list
check "dst-nat list: ids" jis 'd["data"]["ids"]' "['$NAT1']" || show
run PORT_FORWARDING get "{\"id\":\"$NAT1\"}"
check "dst-nat get" jis 'd["data"]["rule"]["dst-port"]' 8443 || show
run PORT_FORWARDING update "{\"id\":\"$NAT1\",\"protocol\":\"udp\",\"public_ip\":\"198.18.0.2\",\"public_port\":5353,\"private_ip\":\"198.18.6.11\",\"private_port\":53}"
check "dst-nat update: the simulator holds the new values" \
    test "$(jget 'd["status"]') $(ros "ip/firewall/nat/$NAT1" | "$PYTHON3" -c 'import ast,sys; r=ast.literal_eval(sys.stdin.read()); print(r["protocol"], r["dst-port"], r["to-addresses"], r["to-ports"])')" = \
    "success udp 5353 198.18.6.11 53" || show
run PORT_FORWARDING delete "{\"id\":\"$NAT1\"}"
check "dst-nat delete: success, gone" \
    test "$(jget 'd["status"]') $(ros ip/firewall/nat)" = "success []" || show
run PORT_FORWARDING delete "{\"id\":\"$NAT1\"}"
check "dst-nat delete again: failed, 404" \
    jis '(d["status"], d["steps"][1]["http_status"])' "('failed', 404)" || show

# --- STATIC_ROUTES --------------------------------------------------------------------
run STATIC_ROUTES list
check "route list: the connected (dynamic) route is not listed" \
    jis '(d["status"], d["data"]["ids"])' "('success', [])" || show
run STATIC_ROUTES create '{"cidr":"198.19.7.0/24","gateway":"198.18.0.1","metric":10,"interface":"ether1","description":"lab net"}'
check "route create: success, an id" \
    jis '(d["status"], d["data"]["id"].startswith("*"))' "('success', True)" || show
check "route create: PUT /rest/ip/route, gateway IP%interface, distance" \
    test "$(req '(r["path"], b)')" = \
    "('/rest/ip/route', {'dst-address': '198.19.7.0/24', 'gateway': '198.18.0.1%ether1', 'distance': '10', 'comment': 'lab net'})"
RT1=$(jget 'd["data"]["id"]')
run STATIC_ROUTES list
check "route list: the static route" \
    jis '(d["data"]["ids"], d["data"]["routes"][0]["dst-address"])' "(['$RT1'], '198.19.7.0/24')" || show
run STATIC_ROUTES update "{\"id\":\"$RT1\",\"cidr\":\"198.19.7.0/24\",\"gateway\":\"198.18.0.3\",\"metric\":20}"
check "route update: the simulator holds the new gateway and distance" \
    test "$(ros "ip/route/$RT1" | "$PYTHON3" -c 'import ast,sys; r=ast.literal_eval(sys.stdin.read()); print(r["gateway"], r["distance"])')" = \
    "198.18.0.3 20"
run STATIC_ROUTES get "{\"id\":\"$RT1\"}"
check "route get" jis 'd["data"]["route"]["gateway"]' 198.18.0.3 || show
run STATIC_ROUTES delete "{\"id\":\"$RT1\"}"
check "route delete: success, only the connected route is left" \
    test "$(jget 'd["status"]') $(ros ip/route | "$PYTHON3" -c 'import ast,sys; print(len(ast.literal_eval(sys.stdin.read())))')" = "success 1" || show
run STATIC_ROUTES create '{"cidr":"198.19.8.0/24","gateway":"198.18.0.1","interface":"wlan7"}'
check "route on an unknown interface: failed, RouterOS's detail" \
    jis '(d["status"], "input does not match any value of interface" in d["error"])' \
    "('failed', True)" || show

# --- malformed requests ---------------------------------------------------------------
cat >"$VS_DIR/faults.yaml" <<'EOY'
name: routeros-faults
connections:
  rest:
    type: https
    host: "{{mgmt_ip}}"
    username: "{{get_cs_data.username}}"
    password: "{{get_cs_data.password}}"
    pinned_sha256: "{{get_cs_data.tls_pin}}"
    auth: basic
    headers: {Content-Type: application/json}
services:
  Raw:
    broken_json:
      connection: rest
      method: PUT
      url: /rest/ip/firewall/filter
      body: '{"chain": "forward", {{ get_cs_data.username }}'
    unknown_property:
      connection: rest
      method: PUT
      url: /rest/ip/firewall/filter
      body: {chain: forward, colour: red}
    missing_chain:
      connection: rest
      method: PUT
      url: /rest/ip/firewall/filter
      body: {action: drop}
    no_such_menu:
      connection: rest
      method: GET
      url: /rest/ip/nowhere
EOY
vf() { vp run "$VS_DIR/faults.yaml" --target "$VS_TARGET" --cs-data "$CS" Raw "$1"; }
vf broken_json
check "malformed JSON: failed, 400, RouterOS's detail" \
    jis '(d["status"], d["steps"][1]["http_status"], "JSON parse error" in d["error"])' \
    "('failed', 400, True)" || show
vf unknown_property
check "an unknown property: failed, 'unknown parameter colour'" \
    jis '(d["status"], "unknown parameter colour" in d["error"])' "('failed', True)" || show
vf missing_chain
check "a missing property: failed, 'missing =chain='" \
    jis '(d["status"], "missing =chain=" in d["error"])' "('failed', True)" || show
vf no_such_menu
check "an unknown menu: failed, 404 Not Found" \
    jis '(d["status"], d["steps"][1]["http_status"], "Not Found" in d["error"])' \
    "('failed', 404, True)" || show

# --- health ------------------------------------------------------------------------------
vp health "$DICT" --target "$VS_TARGET" --cs-data "$CS"
check "health: healthy (exit 0), both checks pass" \
    test "$VP_RC $(jget '(d["status"], [c["status"] for c in d["checks"]])')" = \
    "0 ('healthy', ['pass', 'pass'])" || show
vp health "$DICT" --target "$VS_TARGET" --cs-data "$CS_OLD"
check "health with the old password: degraded (the API answers 401)" \
    test "$VP_RC $(jget '(d["status"], [c["status"] for c in d["checks"]])')" = \
    "3 ('degraded', ['pass', 'fail'])" || show

check "no output held a password" \
    sh -c "! grep -rqe '$NEW_PASS' -e '$BOOT_PASS' '$VS_DIR'/out*"

kill "$VS_PID" 2>/dev/null; wait "$VS_PID" 2>/dev/null; VS_PID=
vp health "$DICT" --target "$VS_TARGET" --cs-data "$CS"
check "health: unreachable when the API is down (exit 3)" \
    test "$VP_RC $(jget 'd["status"]')" = "3 unreachable" || show
finish
