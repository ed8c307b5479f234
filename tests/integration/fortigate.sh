#!/bin/sh
# The FortiGate dictionary (provider/dictionaries/fortigate.yaml) against
# the FortiOS REST simulator (tests/vnfsim/fortigate.py) in the vendor
# lab of lib/vnfsim.sh: vnf-provider in one namespace, the simulator
# with TLS on a certificate made for the run in the other, trusted by
# its pinned key.
#
# Every operation goes through the engine (vnf-provider run, health,
# bootstrap); the simulator's request log shows what arrived (method,
# path, vdom, bearer key, body) and its answers carry the state it
# holds.  Vendor errors (a 401, a 424 for an object that does not
# exist, a missing mandatory attribute, a 404, an object still in use,
# a body that is not JSON, an unknown vdom) must each give a failed
# result quoting FortiOS's own words; no output may hold the API key.
#
# Root, python3 and openssl needed; skips (77) otherwise.  Namespaces
# vbvfgtm*/vbvfgtv*, addresses in 198.18.0.0/15 only.
. "$(dirname "$0")/lib/common.sh"

need_root
command -v "$PYTHON3" >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
command -v openssl >/dev/null 2>&1 || { echo "SKIP: no openssl"; exit 77; }
. "$top_srcdir/tests/integration/lib/vnfsim.sh"
[ -x "$VP" ] || { echo "FAIL: $VP not built"; exit 1; }

DICT=$top_srcdir/provider/dictionaries/fortigate.yaml
SIM=$top_srcdir/tests/vnfsim/fortigate.py
KEY="fgt-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export KEY

vs_up fgt "$SIM" --set "token=$KEY" --set vdoms=root,vd2 \
    --set hostname=FGVM-factory || exit 1

# A second simulator, answering GET of one entry with the object itself
# rather than a list of one; started and stopped here, by its PID.
P2=
stop2() {
	if [ -n "$P2" ]; then kill "$P2" 2>/dev/null; wait "$P2" 2>/dev/null; fi
	P2=
}
trap 'stop2; vs_down' EXIT

CS="{\"api_key\":\"$KEY\",\"tls_pin\":\"$VS_PIN\"}"
CS_BAD="{\"api_key\":\"wrong-$KEY\",\"tls_pin\":\"$VS_PIN\"}"
CS_VD2="{\"api_key\":\"$KEY\",\"tls_pin\":\"$VS_PIN\",\"vdom\":\"vd2\"}"
ALL=$VS_DIR/all-output

# v ARGS...: vp, and keep every output for the secrets check at the end.
v() {
	vp "$@"
	cat "$OUT" "$OUT.err" >>"$ALL"
}
# fw SERVICE OPERATION [DATA]: run against the simulator.
fw() {
	if [ $# -gt 2 ]; then
		v run "$DICT" --target "$VS_TARGET" --cs-data "$CS" "$1" "$2" --data "$3"
	else
		v run "$DICT" --target "$VS_TARGET" --cs-data "$CS" "$1" "$2"
	fi
}
# last EXPR: a Python expression over the simulator's last request, r.
last() { slog "(lambda r: $1)(e[-1])"; }
nreq() { slog 'len(e)'; }

check "the shipped dictionary passes lint --strict, no warning" \
    sh -c "out=\$('$VP' lint --strict '$DICT' 2>&1) && ! echo \"\$out\" | grep -q 'warning'"

# --- health ---------------------------------------------------------------
v health "$DICT" --target "$VS_TARGET" --cs-data "$CS"
check "health: healthy, both checks pass" \
    jis '(d["status"], [(c["name"], c["status"]) for c in d["checks"]])' \
    "('healthy', [('https_port', 'pass'), ('system_status', 'pass')])" || show
check "health: GET /api/v2/monitor/system/status?vdom=root with the bearer key" \
    test "$(last '(r["method"], r["path"], r["query"], r["headers"]["authorization"] == "Bearer " + __import__("os").environ["KEY"])')" \
    = "('GET', '/api/v2/monitor/system/status', {'vdom': 'root'}, True)"
v health "$DICT" --target "$VS_TARGET" --cs-data "$CS_BAD"
check "health with a wrong key: degraded (reached, HTTP 401)" \
    jis '(d["status"], d["checks"][1]["reached"], "401" in d["reasons"][0])' \
    "('degraded', True, True)" || show

# --- bootstrap --------------------------------------------------------------
CS_BOOT="{\"api_key\":\"$KEY\",\"tls_pin\":\"$VS_PIN\",\"hostname\":\"fw-cs-0042\"}"
v bootstrap "$DICT" --target "$VS_TARGET" --cs-data "$CS_BOOT" \
    --state "$VS_DIR/boot.json" --deadline 30 --retry 200
check "bootstrap: success, phase done" \
    jis '(d["status"], d["phase"])' "('success', 'done')" || show
check "bootstrap: reachable, System.status, System.set_hostname, ready_test" \
    jis '[s["step"] for s in d["steps"]]' \
    "['reachable', 'action 1: System.status', 'action 2: System.set_hostname', 'ready_test']" || show
check "bootstrap: the key was proven (status read the factory host name)" \
    jis 'd["steps"][1]["result"]["data"]["hostname"]' FGVM-factory
check "bootstrap: state file in the lab directory, 0600" \
    test "$(stat -c %a "$VS_DIR/boot.json")" = 600
fw System status
check "after bootstrap the FortiGate's host name is fw-cs-0042" \
    jis '(d["status"], d["data"]["hostname"], d["data"]["version"])' \
    "('success', 'fw-cs-0042', 'v7.2.8')" || show
check "... set by PUT /api/v2/cmdb/system/global" \
    test "$(slog '[(x["method"], x["path"], x["body"]) for x in e if x["method"] == "PUT"]')" \
    = "[('PUT', '/api/v2/cmdb/system/global', '{\"hostname\": \"fw-cs-0042\"}\n')]"
n=$(nreq)
v bootstrap "$DICT" --target "$VS_TARGET" --cs-data "$CS_BOOT" \
    --state "$VS_DIR/boot.json" --deadline 30
check "bootstrap again: success, nothing done, nothing sent" \
    jis '(d["status"], d["resumed"], len(d["steps"]))' "('success', True, 0)" || show
check "bootstrap again: nothing reached the simulator" \
    test "$(nreq)" -eq "$n"
v bootstrap "$DICT" --target "$VS_TARGET" --cs-data "{\"api_key\":\"x-$KEY\",\"tls_pin\":\"$VS_PIN\",\"hostname\":\"h\"}" \
    --state "$VS_DIR/boot-bad.json" --deadline 10
check "bootstrap with a wrong key: failed at System.status, HTTP 401 quoted" \
    jis '(d["status"], d["phase"], "401 Unauthorized" in d["error"])' \
    "('failed', 'actions', True)" || show

# --- FIREWALL_RULES with its objects ------------------------------------------
fw ADDRESSES create '{"cidr":"198.18.2.0/24","description":"web servers"}'
check "address create: success, id is the object's name" \
    jis '(d["status"], d["data"]["id"])' "('success', 'vnf-198.18.2.0/24')" || show
check "... POST firewall/address?vdom=root, subnet and name from the CIDR" \
    test "$(last '(r["method"], r["path"], r["query"]["vdom"], __import__("json").loads(r["body"]))')" \
    = "('POST', '/api/v2/cmdb/firewall/address', 'root', {'name': 'vnf-198.18.2.0/24', 'type': 'ipmask', 'subnet': '198.18.2.0/24', 'comment': 'web servers'})"
fw ADDRESSES get '{"cidr":"198.18.2.0/24"}'
check "address get (name %2F-encoded in the path): FortiOS's mask form" \
    jis '(d["status"], d["data"]["ids"], d["data"]["addresses"][0]["subnet"])' \
    "('success', ['vnf-198.18.2.0/24'], '198.18.2.0 255.255.255.0')" || show
check "... the path carried vnf-198.18.2.0%2F24" \
    test "$(last 'r["path"]')" = "/api/v2/cmdb/firewall/address/vnf-198.18.2.0%2F24"
fw ADDRESSES create '{"cidr":"198.18.2.0/24"}'
check "address create again: failed, FortiOS's duplicate entry (-5) quoted" \
    jis '(d["status"], "A duplicate entry already exists" in d["error"], "Return code -5" in d["error"])' \
    "('failed', True, True)" || show
fw CUSTOM_SERVICES create '{"protocol":"tcp","port":8081}'
check "service create: vnf-tcp-8081, tcp-portrange 8081" \
    jis 'd["data"]["id"]' vnf-tcp-8081 || show
check "service create: as the simulator saw it" \
    test "$(last '__import__("json").loads(r["body"])["tcp-portrange"]')" = 8081

fw FIREWALL_RULES create '{"action":"reject","protocol":"tcp","port":8081,"destination":"198.18.2.0/24","interface":"port1","out_interface":"port2","description":"web from anywhere"}'
check "rule create: success, data.id is FortiOS's mkey (policyid 1)" \
    jis '(d["status"], d["data"]["id"])' "('success', 1)" || show
check "... POST firewall/policy: the objects by name, reject as deny + send-deny-packet" \
    test "$(last '(lambda b: (r["path"], r["query"]["vdom"], b["srcintf"], b["dstintf"], b["srcaddr"], b["dstaddr"], b["service"], b["action"], b["send-deny-packet"], b["comments"]))(__import__("json").loads(r["body"]))')" \
    = "('/api/v2/cmdb/firewall/policy', 'root', [{'name': 'port1'}], [{'name': 'port2'}], [{'name': 'all'}], [{'name': 'vnf-198.18.2.0/24'}], [{'name': 'vnf-tcp-8081'}], 'deny', 'enable', 'web from anywhere')"
RID=$(jget 'd["data"]["id"]')
fw FIREWALL_RULES list
check "rule list: ids hold the new policy, rules in FortiOS's shape" \
    jis '(d["status"], d["data"]["ids"], d["data"]["rules"][0]["dstaddr"][0]["name"])' \
    "('success', [$RID], 'vnf-198.18.2.0/24')" || show
fw FIREWALL_RULES get "{\"id\":$RID}"
check "rule get: the one policy (results as a list of one)" \
    jis '(d["status"], d["data"]["ids"], d["data"]["rules"][0]["action"], d["data"]["rules"][0]["send-deny-packet"])' \
    "('success', [$RID], 'deny', 'enable')" || show
fw FIREWALL_RULES update "{\"id\":\"$RID\",\"action\":\"accept\",\"protocol\":\"udp\",\"interface\":\"port1\",\"out_interface\":\"port2\"}"
check "rule update: success, PUT firewall/policy/$RID" \
    jis '(d["status"], d["data"]["id"])' "('success', $RID)" || show
check "rule update: as the simulator saw it" \
    test "$(last '(r["method"], r["path"])')" = "('PUT', '/api/v2/cmdb/firewall/policy/$RID')"
fw FIREWALL_RULES get "{\"id\":$RID}"
check "rule get after update: accept, ALL_UDP, dstaddr all" \
    jis '[(r["action"], r["service"][0]["name"], r["dstaddr"][0]["name"]) for r in d["data"]["rules"]]' \
    "[('accept', 'ALL_UDP', 'all')]" || show
fw FIREWALL_RULES update "{\"id\":\"$RID\",\"action\":\"drop\",\"port\":8081,\"destination\":\"198.18.2.0/24\"}"
check "rule update back to tcp/8081 to 198.18.2.0/24: success" \
    jis 'd["status"]' success || show
fw ADDRESSES delete '{"cidr":"198.18.2.0/24"}'
check "address delete while a policy uses it: failed, FortiOS's -23 quoted" \
    jis '(d["status"], "used by other" in d["error"], "Return code -23" in d["error"])' \
    "('failed', True, True)" || show
fw FIREWALL_RULES delete "{\"id\":$RID}"
check "rule delete: success, DELETE firewall/policy/$RID?vdom=root" \
    jis 'd["status"]' success || show
check "rule delete: as the simulator saw it" \
    test "$(last '(r["method"], r["path"], r["query"]["vdom"])')" = "('DELETE', '/api/v2/cmdb/firewall/policy/$RID', 'root')"
fw FIREWALL_RULES get "{\"id\":$RID}"
check "rule get after delete: failed, FortiOS's 404 quoted" \
    jis '(d["status"], d["data"], "\"http_status\":404" in d["error"])' \
    "('failed', None, True)" || show
fw FIREWALL_RULES delete "{\"id\":$RID}"
check "rule delete of a missing policy: failed, 404" \
    jis '(d["status"], "\"http_status\":404" in d["error"])' "('failed', True)" || show
fw ADDRESSES delete '{"cidr":"198.18.2.0/24"}'
check "address delete once unused: success" jis 'd["status"]' success || show
fw CUSTOM_SERVICES delete '{"protocol":"tcp","port":8081}'
check "service delete: success" jis 'd["status"]' success || show
fw ADDRESSES list
check "address list: vnf-198.18.2.0/24 gone, the built-in all kept" \
    jis '("vnf-198.18.2.0/24" in d["data"]["ids"], "all" in d["data"]["ids"])' \
    "(False, True)" || show
fw CUSTOM_SERVICES list
check "service list: vnf-tcp-8081 gone, predefined ALL_TCP kept" \
    jis '("vnf-tcp-8081" in d["data"]["ids"], "ALL_TCP" in d["data"]["ids"])' \
    "(False, True)" || show
fw FIREWALL_RULES list
check "rule list: empty" jis '(d["status"], d["data"]["ids"])' "('success', [])" || show

# --- vendor errors -------------------------------------------------------------
fw FIREWALL_RULES create '{"action":"accept","source":"198.19.9.0/24","port":22}'
check "rule naming an address that does not exist: failed, HTTP 424 -3 in FortiOS's words" \
    jis '(d["status"], d["steps"][1]["http_status"], "entry not found in datasource" in d["error"], "vnf-198.19.9.0/24" in d["error"], "Return code -3" in d["error"])' \
    "('failed', 424, True, True, True)" || show
fw FIREWALL_RULES create '{"interface":"port9"}'
check "rule on an interface the FortiGate lacks: failed, 424 naming port9" \
    jis '(d["status"], "entry not found in datasource" in d["error"], "port9" in d["error"])' \
    "('failed', True, True)" || show
fw STATIC_ROUTES create '{"cidr":"198.19.7.0/24","gateway":"198.18.0.1"}'
check "route without an interface: failed with FortiOS's validation error" \
    jis '(d["status"], d["steps"][1]["http_status"], "Attribute '"'"'device'"'"' MUST be set." in d["error"])' \
    "('failed', 500, True)" || show

v run "$DICT" --target "$VS_TARGET" --cs-data "$CS_BAD" FIREWALL_RULES list
check "wrong API key: failed, HTTP 401 with FortiOS's Unauthorized page" \
    jis '(d["status"], d["steps"][1]["http_status"], "401 Unauthorized" in d["error"], d["data"])' \
    "('failed', 401, True, None)" || show
check "... the simulator saw the wrong key and answered 401" \
    test "$(last '(r["status"], r["headers"]["authorization"] == "Bearer wrong-" + __import__("os").environ["KEY"])')" = "(401, True)"

v run "$DICT" --target "$VS_TARGET" --cs-data \
    "{\"api_key\":\"$KEY\",\"tls_pin\":\"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}" System status
check "a TLS pin that is not the appliance's key: failed before any request" \
    jis '(d["status"], "pinned" in d["error"])' "('failed', True)" || show

v run "$DICT" --target "$VS_TARGET" --cs-data "$CS_VD2" STATIC_ROUTES create \
    --data '{"cidr":"198.19.8.0/24","gateway":"198.18.0.1","interface":"port2"}'
check "vdom vd2 (cs-data vdom): route created there" \
    jis '(d["status"], d["data"]["id"])' "('success', 1)" || show
check "vdom vd2 (cs-data vdom): as the simulator saw it" \
    test "$(last 'r["query"]["vdom"]')" = vd2
v run "$DICT" --target "$VS_TARGET" --cs-data "{\"api_key\":\"$KEY\",\"tls_pin\":\"$VS_PIN\",\"vdom\":\"nosuch\"}" \
    STATIC_ROUTES list
check "an unknown vdom: failed, FortiOS's invalid vdom quoted" \
    jis '(d["status"], "invalid vdom: nosuch" in d["error"])' "('failed', True)" || show

# --- malformed and not found ---------------------------------------------------
n=$(nreq)
fw FIREWALL_RULES create '{"id":"abc","source":"x","interface":"a b;c","description":"q\"uote"}'
check "bad input: failed at validate, every bad field named, nothing sent" \
    jis '(d["status"], d["steps"][0]["step"], len(d["steps"]), all(f in d["error"] for f in ("id:", "source:", "interface:", "description:")))' \
    "('failed', 'validate', 1, True)" || show
check "bad input: nothing reached the simulator" \
    test "$(nreq)" -eq "$n"
fw FIREWALL_RULES get '{}'
check "get without id: refused before sending (get_data.id is not set)" \
    jis '(d["status"], "is not set" in d["error"])' "('failed', True)" || show
check "get without id: nothing reached the simulator" \
    test "$(nreq)" -eq "$n"

# A request body that is not JSON, as a broken client would send it: the
# vendor's 400 must fail the operation.
cat >"$VS_DIR/broken.yaml" <<'EOF'
name: fortigate-broken-body
connections:
  api:
    type: https
    host: "{{mgmt_ip}}"
    pinned_sha256: "{{get_cs_data.tls_pin}}"
    auth: {type: bearer, token: "{{get_cs_data.api_key}}"}
services:
  FIREWALL_RULES:
    create:
      connection: api
      method: POST
      url: /api/v2/cmdb/firewall/policy?vdom=root
      headers: {Content-Type: text/plain}
      body: '{"srcintf": [{"name": "any"}'
      response:
        format: json
        expected_status: [200, 400, 403, 404, 405, 424, 500]
        error_patterns: ['"cli_error": *".*', '"http_status": *[45][0-9][0-9]', '"status": *"error"']
        success_pattern: '"status": *"success"'
EOF
v run "$VS_DIR/broken.yaml" --target "$VS_TARGET" --cs-data "$CS" FIREWALL_RULES create
check "a body that is not JSON: FortiOS's 400, failed, quoted" \
    jis '(d["status"], d["steps"][1]["http_status"], "\"http_status\":400" in d["error"])' \
    "('failed', 400, True)" || show

# --- STATIC_ROUTES ---------------------------------------------------------------
fw STATIC_ROUTES create '{"cidr":"198.19.7.0/24","gateway":"198.18.0.1","interface":"port2","metric":20,"description":"to lab"}'
check "route create: success, data.id is the seq-num" \
    jis '(d["status"], d["data"]["id"])' "('success', 1)" || show
check "... POST router/static: dst, gateway, device, distance" \
    test "$(last '(lambda b: (r["path"], b["dst"], b["gateway"], b["device"], b["distance"], b["comment"]))(__import__("json").loads(r["body"]))')" \
    = "('/api/v2/cmdb/router/static', '198.19.7.0/24', '198.18.0.1', 'port2', 20, 'to lab')"
SID=$(jget 'd["data"]["id"]')
fw STATIC_ROUTES list
check "route list: the route, FortiOS's mask form" \
    jis '(d["data"]["ids"], [r["dst"] for r in d["data"]["routes"]])' \
    "([$SID], ['198.19.7.0 255.255.255.0'])" || show
fw STATIC_ROUTES update "{\"id\":$SID,\"cidr\":\"198.19.7.0/24\",\"gateway\":\"198.18.0.1\",\"interface\":\"port2\",\"metric\":30}"
check "route update: success, PUT router/static/$SID" \
    jis 'd["status"]' success || show
check "route update: as the simulator saw it" \
    test "$(last '(r["method"], r["path"])')" = "('PUT', '/api/v2/cmdb/router/static/$SID')"
fw STATIC_ROUTES get "{\"id\":$SID}"
check "route get: distance 30 now" \
    jis '(d["status"], [r["distance"] for r in d["data"]["routes"]], d["data"]["ids"])' \
    "('success', [30], [$SID])" || show
fw STATIC_ROUTES delete "{\"id\":$SID}"
check "route delete: success" jis 'd["status"]' success || show
fw STATIC_ROUTES get "{\"id\":$SID}"
check "route get after delete: failed, 404" \
    jis '(d["status"], "\"http_status\":404" in d["error"])' "('failed', True)" || show
v run "$DICT" --target "$VS_TARGET" --cs-data "$CS_VD2" STATIC_ROUTES list
check "vd2's route untouched by root's operations" \
    jis '(d["status"], d["data"]["ids"])' "('success', [1])" || show

# --- get answered with one object rather than a list of one --------------------
ip netns exec "$VS_VNF" "$PYTHON3" "$SIM" --listen "$VS_IP" --port 0 \
    --port-file "$VS_DIR/port2" --cert "$VS_CERT" --key "$VS_DIR/key.pem" \
    --set "token=$KEY" --set get_shape=object 2>"$VS_DIR/sim2.err" &
P2=$!
if wait_for 10 test -s "$VS_DIR/port2"; then
	T2=$VS_IP:$(cat "$VS_DIR/port2")
	v run "$DICT" --target "$T2" --cs-data "$CS" FIREWALL_RULES create --data '{"action":"accept"}'
	v run "$DICT" --target "$T2" --cs-data "$CS" FIREWALL_RULES get --data '{"id":1}'
	check "rule get when results is one object: the same data.rules and ids" \
	    jis '(d["status"], d["data"]["ids"], [r["action"] for r in d["data"]["rules"]])' \
	    "('success', [1], ['accept'])" || show
	v run "$DICT" --target "$T2" --cs-data "$CS" STATIC_ROUTES create --data '{"gateway":"198.18.0.1","interface":"port1"}'
	v run "$DICT" --target "$T2" --cs-data "$CS" STATIC_ROUTES get --data '{"id":1}'
	check "route get when results is one object: data.routes and ids" \
	    jis '(d["status"], d["data"]["ids"], [r["dst"] for r in d["data"]["routes"]])' \
	    "('success', [1], ['0.0.0.0 0.0.0.0'])" || show
else
	not_ok "the second simulator did not start: $(cat "$VS_DIR/sim2.err")"
fi
stop2

# --- health with the API down (the simulator this test started, by PID) ----------
kill "$VS_PID" 2>/dev/null
wait "$VS_PID" 2>/dev/null
VS_PID=
v health "$DICT" --target "$VS_TARGET" --cs-data "$CS"
check "health with HTTPS down: unreachable, neither check reached it" \
    jis '(d["status"], [c["reached"] for c in d["checks"]])' \
    "('unreachable', [False, False])" || show

# --- secrets -----------------------------------------------------------------------
check "no output holds the API key (it is masked or absent)" \
    sh -c "! grep -q -F \"\$KEY\" '$ALL'"
check "... while the simulator did receive it (the check is not vacuous)" \
    sh -c "grep -q -F \"\$KEY\" '$VS_DIR/requests.log'"
check "every request named a vdom" \
    test "$(slog 'all("vdom" in x["query"] for x in e)')" = True

finish
