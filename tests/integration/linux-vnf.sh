#!/bin/sh
# The Linux VNF (provider/dictionaries/linux-nftables.yaml) against a real
# Debian "appliance" in network namespaces: OpenSSH sshd and nftables in
# the VNF namespace, a client and a server namespace on either side of it,
# and vnf-provider run/health/bootstrap in a management namespace (it uses
# plain sockets, so it runs where the VNF is reachable).
#
# Every rule is proven with real traffic: a TCP listener behind the VNF
# and a client that connects through it.  Faults (unreachable, refused,
# wrong password, a command failing mid-list, error patterns, bad data)
# must each give a failed result naming the step.
#
# Root, nft and sshd needed; skips (77) otherwise.  Namespaces vbl-*,
# addresses in 198.18.0.0/15 only.
. "$(dirname "$0")/lib/common.sh"

need_root
for t in nft /usr/sbin/sshd ssh-keygen useradd userdel chpasswd bash; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: no $t"; exit 77; }
done
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }

HERE=$top_srcdir/tests/integration/linux-vnf
VP=$top_builddir/provider/vnf-provider
DICT=$top_srcdir/provider/dictionaries/linux-nftables.yaml
FAULTS=$HERE/faults.yaml
[ -x "$VP" ] || { echo "FAIL: $VP not built"; exit 1; }

. "$HERE/lab.sh"
trap lab_down EXIT
trap 'exit 1' INT TERM
if ! lab_up; then
	echo "FAIL: the lab did not come up"
	[ -n "$LAB_DIR" ] && cat "$LAB_DIR/sshd.log" 2>/dev/null
	exit 1
fi
OUT=$LAB_DIR/out
NEW_PASS="Rotated-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
export NEW_PASS LAB_PASS
echo "# lab: $NS_VNF at $VNF_IP, login $LAB_USER"

# vp ARGS...: vnf-provider in the management namespace; result in $OUT.
vp() {
	ip netns exec "$NS_MGMT" "$VP" "$@" --known-hosts "$LAB_DIR/known_hosts" \
	    --compact >"$OUT" 2>"$OUT.err"
	VP_RC=$?
}
# jget EXPR: a Python expression over the result d.
jget() {
	"$PY" -c 'import json,os,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
	    "$OUT" "$1" 2>/dev/null
}
# jis EXPR VALUE
jis() { [ "$(jget "$1")" = "$2" ]; }
show() { echo "# rc=$VP_RC $(head -c 1500 "$OUT") $(head -c 300 "$OUT.err")"; }
# through HOST PORT: a client connect from the client namespace works.
through() {
	ip netns exec "$NS_CLI" "$PY" "$HERE/tcp.py" probe "$1" "$2" 2 \
	    >/dev/null 2>&1
}

CS_BOOT="{\"username\":\"$LAB_USER\",\"bootstrap_password\":\"$LAB_PASS\",\"password\":\"$NEW_PASS\"}"
CS="{\"username\":\"$LAB_USER\",\"password\":\"$NEW_PASS\"}"
CS_OLD="{\"username\":\"$LAB_USER\",\"password\":\"$LAB_PASS\"}"

quiet() { "$@" >/dev/null 2>&1; }
check "the shipped dictionary passes lint --strict" \
    quiet "$VP" lint --strict "$DICT"

# --- bootstrap: change the initial password, prepare the tables ------------
vp bootstrap "$DICT" --target "$VNF_IP" --cs-data "$CS_BOOT" \
    --state "$LAB_DIR/boot.json" --deadline 60 --retry 200
check "bootstrap: success (exit 0)" jis 'd["status"]' success || show
check "bootstrap: all phases ran to done" jis 'd["phase"]' done
check "bootstrap: steps reachable, connected, 2 actions, ready_test" \
    jis '[s["step"] for s in d["steps"]]' \
    "['reachable', 'connected', 'action 1: System.change_password', 'action 2: System.prepare', 'ready_test']"
check "bootstrap: the result carries the rotated cs-data value" \
    jis 'd["cs_data"]["bootstrap_password"]' "$NEW_PASS"
check "bootstrap: no password in the steps" \
    jis 'os.environ["NEW_PASS"] in json.dumps(d["steps"]) or os.environ["LAB_PASS"] in json.dumps(d["steps"])' False
check "bootstrap: state file is private (0600)" \
    test "$(stat -c %a "$LAB_DIR/boot.json")" = 600
check "bootstrap: prepare made table inet vnf" \
    quiet ip netns exec "$NS_VNF" nft list table inet vnf
check "bootstrap: forwarding on" test \
    "$(ip netns exec "$NS_VNF" sysctl -n net.ipv4.ip_forward)" = 1

vp run "$DICT" --target "$VNF_IP" --cs-data "$CS" System facts
check "new password logs in (System.facts success)" \
    jis 'd["status"]' success || show
check "facts parsed: nftables version" \
    sh -c "[ -n \"\$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"data\"][\"nftables\"][0][\"version\"])' '$OUT')\" ]"
vp run "$DICT" --target "$VNF_IP" --cs-data "$CS_OLD" System facts
check "old password refused (exit 3)" test "$VP_RC" -eq 3
check "old password: failed at step connect, authentication" \
    jis '(d["status"], d["steps"][1]["step"], d["steps"][1]["status"], "authentication" in d["error"])' \
    "('failed', 'connect', 'failed', True)" || show
check "old password: the command was not run" \
    jis 'd["steps"][2]["status"]' "not run"

vp bootstrap "$DICT" --target "$VNF_IP" --cs-data "$CS_BOOT" \
    --state "$LAB_DIR/boot.json" --deadline 60
check "bootstrap again: success, resumed, nothing done" \
    jis '(d["status"], d["resumed"], len(d["steps"]))' "('success', True, 0)" || show

# Resume from a pending password change (the process died after chpasswd
# ran but before the state was saved): the pending password logs in.
"$PY" - "$LAB_DIR/boot.json" "$LAB_DIR/boot2.json" <<'EOP'
import json, sys
s = json.load(open(sys.argv[1]))
pw = s["password"]
s = {"version": 1, "provider": s["provider"], "phase": "connected",
     "next_action": 0, "pending": {"index": 0, "password": pw}}
json.dump(s, open(sys.argv[2], "w"))
EOP
chmod 600 "$LAB_DIR/boot2.json"
vp bootstrap "$DICT" --target "$VNF_IP" --cs-data "$CS_BOOT" \
    --state "$LAB_DIR/boot2.json" --deadline 60 --retry 200
check "bootstrap resumed after a lost save: the pending change counted, not repeated" \
    jis '(d["status"], [s["step"] for s in d["steps"]])' \
    "('success', ['reachable', 'connected', 'action 2: System.prepare', 'ready_test'])" || show

# --- FIREWALL_RULES, with traffic -------------------------------------------
lab_bg ip netns exec "$NS_SRV" "$PY" "$HERE/tcp.py" serve 198.18.2.2 8081
wait_for 5 through 198.18.2.2 8081
check "traffic: client reaches server:8081 through the VNF" \
    through 198.18.2.2 8081

vp run "$DICT" --target "$VNF_IP" --cs-data "$CS" FIREWALL_RULES create \
    --data '{"id":"t1","action":"drop","protocol":"tcp","port":"8081","destination":"198.18.2.2/32"}'
check "firewall create: success" jis 'd["status"]' success || show
check "firewall create: 3 commands, each success" \
    jis '[s["status"] for s in d["steps"] if s["step"].startswith("command")]' \
    "['success', 'success', 'success']"
check "traffic: port 8081 now blocked" \
    sh -c "! ip netns exec $NS_CLI $PY $HERE/tcp.py probe 198.18.2.2 8081 2 >/dev/null 2>&1"

vp run "$DICT" --target "$VNF_IP" --cs-data "$CS" FIREWALL_RULES list
check "firewall list: success" jis 'd["status"]' success || show
check "firewall list: the rule, parsed from nft -j (comment fw-t1)" \
    jis '"fw-t1" in d["data"]["ids"]' True
check "firewall list: rule object carries its handle and port 8081" \
    jis '[r["handle"] > 0 and "8081" in str(r["expr"]) for r in d["data"]["rules"] if r.get("comment") == "fw-t1"]' "[True]"

vp run "$DICT" --target "$VNF_IP" --cs-data "$CS" FIREWALL_RULES delete \
    --data '{"id":"t1"}'
check "firewall delete: success" jis 'd["status"]' success || show
check "traffic: port 8081 flows again" through 198.18.2.2 8081
vp run "$DICT" --target "$VNF_IP" --cs-data "$CS" FIREWALL_RULES list
check "firewall list: rule gone" jis '"fw-t1" in d["data"]["ids"]' False

vp run "$DICT" --target "$VNF_IP" --cs-data "$CS" FIREWALL_RULES delete \
    --data '{"id":"t1"}'
check "firewall delete of a missing rule: failed at command 1, says why" \
    jis '(d["status"], d["steps"][2]["step"], d["steps"][2]["status"], "no rule fw-t1" in d["error"])' \
    "('failed', 'command 1', 'failed', True)" || show

# --- PORT_FORWARDING (DNAT), with traffic --------------------------------
check "traffic: nothing answers on 198.18.1.1:9090 before" \
    sh -c "! ip netns exec $NS_CLI $PY $HERE/tcp.py probe 198.18.1.1 9090 2 >/dev/null 2>&1"
vp run "$DICT" --target "$VNF_IP" --cs-data "$CS" PORT_FORWARDING create \
    --data '{"id":"p1","public_ip":"198.18.1.1","public_port":9090,"private_ip":"198.18.2.2","private_port":8081}'
check "dnat create: success" jis 'd["status"]' success || show
check "traffic: 198.18.1.1:9090 reaches the server's 8081" \
    through 198.18.1.1 9090
vp run "$DICT" --target "$VNF_IP" --cs-data "$CS" PORT_FORWARDING list
check "dnat list: pf-p1, parsed from nft -j" \
    jis '"pf-p1" in d["data"]["ids"]' True || show
vp run "$DICT" --target "$VNF_IP" --cs-data "$CS" PORT_FORWARDING delete \
    --data '{"id":"p1"}'
check "dnat delete: success" jis 'd["status"]' success || show
check "traffic: 198.18.1.1:9090 closed again" \
    sh -c "! ip netns exec $NS_CLI $PY $HERE/tcp.py probe 198.18.1.1 9090 2 >/dev/null 2>&1"

# --- STATIC_ROUTES --------------------------------------------------------
vp run "$DICT" --target "$VNF_IP" --cs-data "$CS" STATIC_ROUTES create \
    --data '{"cidr":"198.19.7.0/24","gateway":"198.18.2.2"}'
check "route create: success" jis 'd["status"]' success || show
check "ip route shows 198.19.7.0/24 via 198.18.2.2" sh -c \
    "ip -n $NS_VNF route show 198.19.7.0/24 | grep -q 'via 198.18.2.2'"
vp run "$DICT" --target "$VNF_IP" --cs-data "$CS" STATIC_ROUTES list
check "route list: parsed from ip -j" \
    jis '[r["gateway"] for r in d["data"]["routes"] if r["dst"] == "198.19.7.0/24"]' \
    "['198.18.2.2']" || show
vp run "$DICT" --target "$VNF_IP" --cs-data "$CS" STATIC_ROUTES delete \
    --data '{"cidr":"198.19.7.0/24","gateway":"198.18.2.2"}'
check "route delete: gone from ip route" sh -c \
    "[ -z \"\$(ip -n $NS_VNF route show 198.19.7.0/24)\" ]"

# --- kept connections -------------------------------------------------------
# lines EXPR: a Python expression over the results, one per line, as r.
lines() {
	"$PY" -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]; print(eval(sys.argv[2]))' \
	    "$OUT" "$1" 2>/dev/null
}
logins() { grep -c "Accepted password" "$LAB_DIR/sshd.log"; }
n0=$(logins)
vp run "$DICT" --target "$VNF_IP" --cs-data "$CS" --repeat 5 FIREWALL_RULES list
n1=$(logins)
check "reuse: 5 operations over a kept connection, all success" \
    test "$(lines '[x["status"] for x in r]')" = "['success', 'success', 'success', 'success', 'success']" || show
check "reuse: sshd saw one login for the 5 operations" test $((n1 - n0)) -eq 1
check "reuse: operations 2-5 say their connect step reused it" \
    test "$(lines '[x["steps"][1].get("reused", False) for x in r]')" = "[False, True, True, True, True]"
vp run "$FAULTS" --target "$VNF_IP" --cs-data "$CS" --repeat 2 --interval 1000 \
    STEPS drop_session_later
n2=$(logins)
check "reuse: a kept connection the VNF dropped is replaced, not used" \
    test "$(lines '[(x["status"], x["steps"][1].get("reused", False)) for x in r]')" = "[('success', False), ('success', False)]" || show
check "reuse: ... with a new login" test $((n2 - n1)) -eq 2

# --- faults ----------------------------------------------------------------
vp run "$DICT" --target "$VNF_IP" --cs-data "$CS" FIREWALL_RULES create \
    --data '{"id":"bad id;reboot","port":"70000"}'
check "bad data: failed at validate, every bad field named, nothing sent" \
    jis '(d["status"], d["steps"][0]["step"], "id:" in d["error"], "port:" in d["error"], len(d["steps"]))' \
    "('failed', 'validate', True, True, 1)" || show

vp run "$FAULTS" --target "$VNF_IP" --cs-data "$CS" STEPS exit_mid_list
check "command failing mid-list: failed at command 2, command 3 not run" \
    jis '([s["status"] for s in d["steps"]], d["error"].startswith("command 2: exit status 2"))' \
    "(['success', 'success', 'success', 'failed', 'not run'], True)" || show
vp run "$FAULTS" --target "$VNF_IP" --cs-data "$CS" STEPS error_pattern
check "error pattern on exit 0: failed at command 2 quoting the line" \
    jis '([s["status"] for s in d["steps"]], "could not process rule" in d["error"])' \
    "(['success', 'success', 'success', 'failed', 'not run'], True)" || show
vp run "$FAULTS" --target "$VNF_IP" --cs-data "$CS" STEPS no_success
check "success pattern missing: failed" \
    jis '(d["status"], "success pattern" in d["error"])' "('failed', True)" || show
vp run "$FAULTS" --target "$VNF_IP" --cs-data "$CS" STEPS not_json
check "truncated JSON: failed at transform" \
    jis '(d["status"], d["steps"][-1]["step"], "not JSON" in d["error"])' \
    "('failed', 'transform', True)" || show
vp run "$FAULTS" --target "$VNF_IP" --cs-data "$CS" STEPS echo_secret
check "a secret echoed by the device is masked in the result" \
    sh -c "! grep -q '$NEW_PASS' '$OUT' && grep -q 'password is \*\*\*\*\*\*\*\*' '$OUT'" || show

vp run "$DICT" --target "$VNF_IP" --cs-data \
    "{\"username\":\"$LAB_USER\",\"password\":\"wrong-password\"}" System facts
check "wrong credentials: failed at connect, authentication, within the timeout" \
    jis '(d["status"], d["steps"][1]["step"], "authentication" in d["error"], d["elapsed_ms"] < 15000)' \
    "('failed', 'connect', True, True)" || show
vp run "$DICT" --target "$VNF_IP:2222" --cs-data "$CS" System facts
check "connection refused: failed at connect, says refused" \
    jis '(d["status"], d["steps"][1]["step"], "refused" in d["error"])' \
    "('failed', 'connect', True)" || show
vp run "$DICT" --target 198.18.0.99 --timeout 3 --cs-data "$CS" System facts
check "unreachable VNF: failed at connect within the timeout" \
    jis '(d["status"], d["steps"][1]["step"], d["steps"][1]["status"], d["elapsed_ms"] < 8000)' \
    "('failed', 'connect', 'failed', True)" || show

# --- health ----------------------------------------------------------------
vp health "$DICT" --target "$VNF_IP" --cs-data "$CS"
check "health: healthy (exit 0)" test "$VP_RC" -eq 0
check "health: both checks pass" \
    jis '(d["status"], [c["status"] for c in d["checks"]])' \
    "('healthy', ['pass', 'pass'])" || show
ip netns exec "$NS_VNF" nft delete table inet vnf
vp health "$DICT" --target "$VNF_IP" --cs-data "$CS"
check "health: degraded when the table is gone (sshd still answers)" \
    jis '(d["status"], d["checks"][1]["status"], d["checks"][1]["reached"])' \
    "('degraded', 'fail', True)" || show
lab_sshd_stop
vp health "$DICT" --target "$VNF_IP" --cs-data "$CS"
check "health: unreachable when sshd is stopped (exit 3)" \
    jis '(d["status"], len(d["reasons"]))' "('unreachable', 2)" || show
check "health: exit 3" test "$VP_RC" -eq 3

finish
