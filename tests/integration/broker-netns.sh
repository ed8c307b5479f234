#!/bin/sh
# Integration: vnf-brokerd's parent, its roles and real network namespaces.
#
# Two guest networks with the same CIDR (198.18.1.0/24), one attached by a
# lab veth and one by the MAC of a NIC, each leading to a lab namespace with
# a TCP server at 198.18.1.10 that answers with its lab's name.  An
# unprivileged role asks the parent for sockets and must reach each lab by
# network name; it must hold no capability; killed, it is restarted; a role
# that breaks the protocol is ended while the others go on; SIGTERM and a
# crash followed by a restart leave no namespace, link or mount behind.
. "$(dirname "$0")/lib/common.sh"
need_root

BROKERD=$top_builddir/broker/vnf-brokerd
ROLE=$top_builddir/tests/roles/test-role
SERVER=$top_srcdir/tests/integration/lib/name-server.py
tmp=$(mktemp -d /tmp/vbt-broker.XXXXXX)
chmod 755 "$tmp"
BPID=
SPIDS=

cleanup() {
	if [ "$T_FAIL" -gt 0 ]; then
		echo "--- broker log (last 150 lines)"
		cat "$tmp/broker.all" "$tmp/broker.log" 2>/dev/null | tail -150
	fi
	[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	for p in $SPIDS; do kill "$p" 2>/dev/null; done
	for ns in vbt-na vbt-nb vbt-nc vbt-la vbt-lb; do
		ip netns del "$ns" 2>/dev/null
	done
	ip link del vbt-nic-b 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
# A signal ends the run; the EXIT trap cleans up (a bare TERM trap
# would clean up and then carry on).
trap 'exit 130' INT TERM

# Lab side: two namespaces; lab B's NIC pair is made here (attached by MAC),
# lab A's veth is made by the broker (attached as a lab veth).
ip netns add vbt-la
ip netns add vbt-lb
ip -n vbt-la link set lo up
ip -n vbt-lb link set lo up
ip link add vbt-nic-b type veth peer name vbt-pb netns vbt-lb
MAC_B=$(cat /sys/class/net/vbt-nic-b/address)
ip -n vbt-lb addr add 198.18.1.10/24 dev vbt-pb
ip -n vbt-lb link set vbt-pb up

mkdir -p "$tmp/engine" "$tmp/ssh"
chmod 777 "$tmp/engine" "$tmp/ssh"
cat >"$tmp/broker.yaml" <<EOC
user: nobody
state_dir: $tmp/state
run_dir: $tmp/run
log: {level: debug}
restart_backoff_max: 2
dns_suffix: vnf.test
listen:
  ssh: ["127.0.0.1:42422"]
appliances:
  - {name: vnf-a, network: vbt-na, address: 198.18.1.10, ports: [7000]}
users:
  - name: ops
    ssh_authorized_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICvWLsP71GqQ3yrUyVPg/tfjNHjDbhaovS3mx5O77fIb ops@test"]
    grants: [{appliances: [vnf-a]}, {networks: [vbt-nb], ports: [7000]}]
roles:
  engine:
    program: $ROLE
    args: [--report, $tmp/engine]
  ssh:
    program: $ROLE
    args: [--report, $tmp/ssh]
networks:
  - name: vbt-na
    veth: {peer: vbt-pa, peer_netns: vbt-la}
    addresses: [198.18.1.2/24]
  - name: vbt-nb
    mac: $MAC_B
    ifname: eth0
    mtu: 1400
    addresses: [198.18.1.2/24]
    gateway: 198.18.1.1
    routes:
      - {to: 198.19.0.0/16, via: 198.18.1.254}
EOC

# Each start begins a fresh log, so "ready:" is this run's.
start_broker() {
	[ -f "$tmp/broker.log" ] && cat "$tmp/broker.log" >>"$tmp/broker.all"
	: >"$tmp/broker.log"
	"$BROKERD" -c "$tmp/broker.yaml" >>"$tmp/broker.log" 2>&1 &
	BPID=$!
	wait_for 20 grep -q "ready:" "$tmp/broker.log"
}

# role_cmd DIR COMMANDS: run commands in a test role, print its results.
role_cmd() {
	dir=$1; shift
	printf '%s\n' "$@" >"$dir/cmd"
	rm -f "$dir/out"
	kill -USR1 "$(cat "$dir/pid")" || return 1
	wait_for 10 test -f "$dir/out" || { echo "(no answer)"; return 1; }
	cat "$dir/out"
}

role_pid() { cat "$1/pid" 2>/dev/null; }
alive() { kill -0 "$1" 2>/dev/null; }
netns_listed() { ip netns list | grep -qw "$1"; }
log_has() { grep -q "$1" "$tmp/broker.log"; }

check "config check passes" "$BROKERD" -t -c "$tmp/broker.yaml"
start_broker
check "broker starts and reports ready" alive "$BPID"
check "ip netns list shows vbt-na" netns_listed vbt-na
check "ip netns list shows vbt-nb" netns_listed vbt-nb
check "the NIC found by MAC moved into vbt-nb as eth0" \
    ip -n vbt-nb link show eth0
check "the NIC is gone from the root namespace" \
    sh -c '! ip link show vbt-nic-b 2>/dev/null'
check "MTU 1400 set" sh -c "ip -n vbt-nb link show eth0 | grep -q 'mtu 1400'"
check "default route via the gateway" \
    sh -c "ip -n vbt-nb route | grep -q 'default via 198.18.1.1'"
check "extra route present" \
    sh -c "ip -n vbt-nb route | grep -q '198.19.0.0/16 via 198.18.1.254'"
check "lo up inside the network" \
    sh -c "ip -n vbt-na link show lo | grep -q 'UP'"

# Lab A's end of the broker's veth arrived in vbt-la: address it, serve.
wait_for 5 ip -n vbt-la link show vbt-pa >/dev/null 2>&1
ip -n vbt-la addr add 198.18.1.10/24 dev vbt-pa
ip -n vbt-la link set vbt-pa up
ip netns exec vbt-la "$PYTHON3" "$SERVER" 198.18.1.10 7000 lab-A \
    --seconds 300 >"$tmp/srv-a.out" 2>&1 &
SPIDS="$SPIDS $!"
ip netns exec vbt-lb "$PYTHON3" "$SERVER" 198.18.1.10 7000 lab-B \
    --seconds 300 >"$tmp/srv-b.out" 2>&1 &
SPIDS="$SPIDS $!"
wait_for 10 test -f "$tmp/engine/pid"
wait_for 10 test -f "$tmp/ssh/pid"
wait_for 20 grep -q listening "$tmp/srv-a.out"
wait_for 20 grep -q listening "$tmp/srv-b.out"

out=$(role_cmd "$tmp/engine" "probe vbt-na 198.18.1.10 7000" \
    "probe vbt-nb 198.18.1.10 7000" "probe vbt-zz 198.18.1.10 7000")
echo "$out"
check "same address in network vbt-na reaches lab A" \
    sh -c "echo '$out' | grep -q 'probe vbt-na ok lab-A'"
check "same address in network vbt-nb reaches lab B" \
    sh -c "echo '$out' | grep -q 'probe vbt-nb ok lab-B'"
check "an unknown network is a clear error, not a crash" \
    sh -c "echo '$out' | grep -q 'probe vbt-zz error network \"vbt-zz\" is not attached'"

# What the parent told each role at start.
check "engine role got its configuration" \
    grep -q '"dns_suffix":"vnf.test"' "$tmp/engine/config.json"
check "configuration names the appliance" \
    grep -q '"name":"vnf-a","network":"vbt-na","address":"198.18.1.10","ports":\[7000\]' \
    "$tmp/engine/config.json"
check "configuration carries the user's grants" \
    grep -q '"grants":\[{"appliances":\["vnf-a"\]},{"networks":\["vbt-nb"\],"ports":\[7000\]}\]' \
    "$tmp/engine/config.json"
check "configuration lists the networks, each attached" \
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
n = {x["name"]: x["state"] for x in d["networks"]}
sys.exit(n != {"vbt-na": "attached", "vbt-nb": "attached"})' \
    "$tmp/engine/config.json"
check "ssh role got the ssh listener" grep -qx ssh "$tmp/ssh/listeners"
check "engine role got only the API's unix socket" \
    test "$(cat "$tmp/engine/listeners")" = api_unix
check "the parent listens on 127.0.0.1:42422" \
    sh -c "ss -ltnH 'sport = :42422' | grep -q 127.0.0.1:42422"

out=$(role_cmd "$tmp/engine" caps)
echo "$out"
for f in CapInh CapPrm CapEff CapBnd CapAmb; do
	check "role holds no capability: $f" \
	    sh -c "echo '$out' | grep -q '\[$f: 0000000000000000\]'"
done
check "role has NoNewPrivs" sh -c "echo '$out' | grep -q '\[NoNewPrivs: 1\]'"
uid=$(id -u nobody)
check "role runs as nobody" \
    sh -c "echo '$out' | grep -q '\[Uid: $uid $uid $uid $uid\]'"

# SIGKILL: the role comes back and works.
old=$(role_pid "$tmp/engine")
kill -KILL "$old"
check "killed role is restarted" \
    wait_for 15 sh -c "[ -f '$tmp/engine/pid' ] && [ \"\$(cat '$tmp/engine/pid')\" != '$old' ]"
sleep 0.2
out=$(role_cmd "$tmp/engine" "probe vbt-nb 198.18.1.10 7000")
check "restarted role works" sh -c "echo '$out' | grep -q 'ok lab-B'"

# Garbage and unpermitted requests from the ssh-slot role: each ends that
# role, the parent lives, and the engine role keeps being served.
for kind in short oversized lenmismatch badtype badsize withfd attach \
    rawsocket badname; do
	old=$(role_pid "$tmp/ssh")
	role_cmd "$tmp/ssh" "garbage $kind" >/dev/null 2>&1
	check "garbage '$kind': role ended" \
	    wait_for 10 sh -c "! kill -0 $old 2>/dev/null"
	check "garbage '$kind': parent still running" alive "$BPID"
	out=$(role_cmd "$tmp/engine" "probe vbt-na 198.18.1.10 7000")
	check "garbage '$kind': other role still served" \
	    sh -c "echo '$out' | grep -q 'ok lab-A'"
	# wait for the restart (backoff 1 s, then 2 s: restart_backoff_max)
	wait_for 15 sh -c "[ \"\$(cat '$tmp/ssh/pid')\" != '$old' ] && kill -0 \$(cat '$tmp/ssh/pid')" ||
	    not_ok "ssh role restarted after '$kind'"
done
check "restarted ssh role gets the same listener again" \
    sh -c "[ \$(grep -cx ssh '$tmp/ssh/listeners') -ge 2 ]"
check "log names the refused unpermitted request" \
    log_has "NET_ATTACH is not permitted for this role; ending it"
check "log names the malformed frame" log_has "malformed message: truncated"

# Detach and attach at run time through the engine role.
out=$(role_cmd "$tmp/engine" "detach vbt-nb" "detach vbt-nb" \
    "attach-veth vbt-nc vbt-pc vbt-lb 198.18.1.3/24" \
    "attach-veth vbt-na vbt-px - 198.18.1.4/24")
echo "$out"
check "detach answered ok" sh -c "echo '$out' | grep -q 'detach vbt-nb ok'"
check "second detach is an error reply" \
    sh -c "echo '$out' | grep -q 'detach vbt-nb error network \"vbt-nb\" is not attached'"
check "detached network gone from ip netns list" \
    sh -c '! ip netns list | grep -qw vbt-nb'
check "detached NIC back in the root namespace under its name" \
    ip link show vbt-nic-b
check "attach at run time answered ok" \
    sh -c "echo '$out' | grep -q 'attach vbt-nc ok'"
check "attached network visible" netns_listed vbt-nc
check "attach of an existing name refused with a reason" \
    sh -c "echo '$out' | grep -q 'attach vbt-na error network \"vbt-na\" is attached already'"
check "refused attach left no link behind" \
    sh -c '! ip link show vbt-px 2>/dev/null'

# Clean shutdown.
kill -TERM "$BPID"
wait "$BPID"
rc=$?
BPID=
check "SIGTERM: exit status 0" [ "$rc" -eq 0 ]
for ns in vbt-na vbt-nb vbt-nc; do
	check "after stop: no namespace $ns" sh -c "! ip netns list | grep -qw $ns"
	check "after stop: no mount of $ns" \
	    sh -c "! grep -q '/run/netns/$ns ' /proc/self/mountinfo"
done
check "after stop: broker veth peers gone" \
    sh -c '! ip -n vbt-la link show vbt-pa 2>/dev/null && ! ip -n vbt-lb link show vbt-pc 2>/dev/null'
check "after stop: MAC NIC back in root namespace" ip link show vbt-nic-b
check "after stop: roles gone" \
    sh -c "! kill -0 \$(cat '$tmp/engine/pid') 2>/dev/null"
check "after stop: pid file removed" test ! -e "$tmp/run/vnf-brokerd.pid"
check "state directory private (0700)" \
    sh -c "[ \$(stat -c %a '$tmp/state') = 700 ]"

# A crash (SIGKILL of the parent) leaves namespaces; the next start removes
# them and attaches afresh.
start_broker
check "restart after clean stop works" netns_listed vbt-na
kill -KILL "$BPID"
wait "$BPID" 2>/dev/null
BPID=
check "roles die with the parent" \
    wait_for 10 sh -c "! kill -0 \$(cat '$tmp/engine/pid') 2>/dev/null"
check "crash left the namespace behind (as expected)" netns_listed vbt-na
start_broker
check "start after crash removes leftovers" \
    log_has "removing namespace vbt-na left by an earlier run"
check "start after crash attaches again" netns_listed vbt-nb
kill -TERM "$BPID"; wait "$BPID"; BPID=
check "nothing left after the second stop" \
    sh -c '! ip netns list | grep -q "vbt-n[abc]"'

# A namespace of the same name that is not ours is never touched.
ip netns add vbt-na
: >"$tmp/broker.log"
"$BROKERD" -c "$tmp/broker.yaml" >>"$tmp/broker.log" 2>&1
rc=$?
check "foreign namespace: broker refuses to start" [ "$rc" -ne 0 ]
check "foreign namespace: message names it" log_has "vbt-na"
check "foreign namespace: message says not owned" log_has "not owned"
check "foreign namespace: left intact" netns_listed vbt-na
check "foreign namespace: other networks rolled back" \
    sh -c '! ip netns list | grep -qw vbt-nb'
ip netns del vbt-na

# An unknown MAC: clear error, nothing half-built.
sed "s/$MAC_B/02:00:5e:00:53:99/" "$tmp/broker.yaml" >"$tmp/bad-mac.yaml"
: >"$tmp/broker.log"
"$BROKERD" -c "$tmp/bad-mac.yaml" >>"$tmp/broker.log" 2>&1
check "unknown MAC: refuses to start" [ $? -ne 0 ]
check "unknown MAC: names network and field" \
    sh -c "grep 'vbt-nb' '$tmp/broker.log' | grep -qi 'mac'"
check "unknown MAC: nothing left" sh -c '! ip netns list | grep -q "vbt-n[ab]"'

# --check-config reports every error with its position, exits 1.
cat >"$tmp/bad.yaml" <<'EOC'
usr: nobody
networks:
  - name: x
    mac: 02:00:5e:00:53:01
    addresses: [198.18.1.2/24]
    gateway: 198.18.9.1
  - name: x
    mac: zz
    addresses: [198.18.1.2/40]
EOC
"$BROKERD" -t -c "$tmp/bad.yaml" >"$tmp/check.out" 2>&1
rc=$?
cat "$tmp/check.out"
check "--check-config exits 1 on errors" [ "$rc" -eq 1 ]
check "--check-config: unknown key with suggestion" \
    grep -q 'bad.yaml:1:1: error: unknown key "usr"; did you mean "user"?' "$tmp/check.out"
check "--check-config: gateway outside its network" \
    grep -q 'bad.yaml:6:14: error: networks\[0\] (x).gateway: 198.18.9.1 is outside' "$tmp/check.out"
check "--check-config: bad mac at its place" \
    grep -q 'bad.yaml:8:10: error: networks\[1\] (x): mac' "$tmp/check.out"
check "--check-config: bad prefix at its place" \
    grep -q 'bad.yaml:9:17: error:' "$tmp/check.out"
check "--check-config: duplicate name" \
    grep -q 'bad.yaml:7:11: error: networks: duplicate network name "x" (first at line 3)' "$tmp/check.out"
check "--check-config: counts the errors" grep -q 'bad.yaml: 5 errors' "$tmp/check.out"

finish
