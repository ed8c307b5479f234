#!/bin/sh
# Integration: the ssh and proxy roles out of file descriptors.
#
# vnf-brokerd runs with a small descriptor limit (prlimit), and a client
# holds open far more connections to each role's listener than the role
# can take.  accept() then fails with EMFILE while the connection stays
# queued: a role that simply returned to its event loop would be woken at
# once, forever, at 100% CPU.  Each role must pause accepting (about a
# second at a time), keep serving, and accept again once descriptors are
# free: a real `ssh -W` and a real CONNECT get through afterwards.
. "$(dirname "$0")/lib/common.sh"
need_root
for b in curl openssl ssh ssh-keygen prlimit; do
	command -v "$b" >/dev/null 2>&1 || { echo "SKIP: no $b"; exit 77; }
done

BROKERD=$top_builddir/broker/vnf-brokerd
PROXY=$top_builddir/broker/vnf-broker-proxy
SSHR=$top_builddir/broker/vnf-broker-ssh
P=24880		# proxy listener
S=24822		# jump host listener
NOFILE=64
HOLD=120	# connections held open to each listener
tmp=$(mktemp -d /tmp/vbf-emfile.XXXXXX)
chmod 755 "$tmp"
BPID=
SPIDS=

cleanup() {
	if [ "$T_FAIL" -gt 0 ]; then
		echo "--- broker log (last 40 lines)"
		tail -40 "$tmp/broker.log" 2>/dev/null
	fi
	[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	for p in $SPIDS; do kill "$p" 2>/dev/null; done
	for ns in vbf-cn vbf-lc; do ip netns del "$ns" 2>/dev/null; done
	[ -n "$KEEP" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

ssh-keygen -q -t ed25519 -N '' -f "$tmp/id" >/dev/null
KEY=$(cat "$tmp/id.pub")
HASH=$(openssl passwd -6 secret)


# hold.py PORT N STOPFILE: open N connections, say so, hold them until
# STOPFILE exists, then close them all.
cat >"$tmp/hold.py" <<'EOF'
import os, socket, sys, time
port, n, stop = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
held = []
for i in range(n):
    held.append(socket.create_connection(("127.0.0.1", port), timeout=10))
print("held", len(held), flush=True)
deadline = time.time() + 60
while not os.path.exists(stop) and time.time() < deadline:
    time.sleep(0.05)
for s in held:
    s.close()
print("closed", flush=True)
EOF

# connect.py PORT: CONNECT lab:7000 as ops, print the lab's first line.
cat >"$tmp/connect.py" <<'EOF'
import base64, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
auth = base64.b64encode(b"ops:secret").decode()
s.sendall(("CONNECT lab:7000 HTTP/1.1\r\nHost: lab:7000\r\n"
           "Proxy-Authorization: Basic %s\r\n\r\n" % auth).encode())
buf = b""
while not buf.split(b"\r\n\r\n", 1)[-1].endswith(b"\n") or \
        b"\r\n\r\n" not in buf:
    d = s.recv(4096)
    if not d:
        break
    buf += d
print(buf.split(b"\r\n\r\n", 1)[-1].decode().strip())
EOF

# ticks PID: user + system CPU clock ticks of a process so far.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

ip netns add vbf-lc
ip -n vbf-lc link set lo up
cat >"$tmp/broker.yaml" <<EOC
user: nobody
state_dir: $tmp/state
run_dir: $tmp/run
log: {level: info}
audit_log: $tmp/audit.log
listen:
  proxy: ["127.0.0.1:$P"]
  ssh: ["127.0.0.1:$S"]
roles:
  proxy: {program: $PROXY}
  ssh: {program: $SSHR}
ssh:
  max_startups: 1000
  max_startups_per_source: 1000
networks:
  - name: vbf-cn
    veth: {peer: vbf-pc, peer_netns: vbf-lc}
    addresses: [198.19.8.2/24]
appliances:
  - {name: lab, network: vbf-cn, address: 198.19.8.10, ports: [7000]}
users:
  - name: ops
    proxy_password_hash: "$HASH"
    ssh_authorized_keys: ["$KEY"]
    grants: [{appliances: [lab]}]
EOC
prlimit --nofile=$NOFILE:$NOFILE "$BROKERD" -c "$tmp/broker.yaml" \
    >"$tmp/broker.log" 2>&1 &
BPID=$!
wait_for 20 grep -q "jump host ready" "$tmp/broker.log"
check "the broker runs with $NOFILE descriptors" grep -q "jump host ready" \
    "$tmp/broker.log" || { finish; exit 1; }
wait_for 5 ip -n vbf-lc link show vbf-pc >/dev/null 2>&1
ip -n vbf-lc addr add 198.19.8.10/24 dev vbf-pc
ip -n vbf-lc link set vbf-pc up
ip netns exec vbf-lc "$PYTHON3" "$ECHO" 198.19.8.10 lab \
    >"$tmp/lab.out" 2>&1 &
SPIDS="$SPIDS $!"
wait_for 10 grep -q listening "$tmp/lab.out"

# through ROLE: one real client's way in, "ok" when the lab answered.
through() {
	if [ "$1" = ssh ]; then
		echo hi | timeout 20 ssh -p $S -i "$tmp/id" \
		    -o StrictHostKeyChecking=no -o BatchMode=yes \
		    -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 \
		    -W lab:7000 ops@127.0.0.1 2>/dev/null | grep -q '^lab$'
	else
		timeout 20 "$PYTHON3" "$tmp/connect.py" $P 2>/dev/null |
		    grep -q '^lab$'
	fi
}

for role in ssh proxy; do
	port=$S
	[ "$role" = proxy ] && port=$P
	pid=$(broker_role_pid $role)
	check "$role: a client gets through before" through $role
	rm -f "$tmp/stop"
	: >"$tmp/hold.out"
	"$PYTHON3" "$tmp/hold.py" $port $HOLD "$tmp/stop" >"$tmp/hold.out" 2>&1 &
	HPID=$!
	SPIDS="$SPIDS $HPID"
	wait_for 15 grep -q "held $HOLD" "$tmp/hold.out"
	check "$role: $HOLD connections held open (more than $NOFILE)" \
	    grep -q "held $HOLD" "$tmp/hold.out"
	wait_for 10 grep -q "accept.*accepting again in 1 s" "$tmp/broker.log"
	before=$(grep -c "accept.*accepting again in 1 s" "$tmp/broker.log")
	t0=$(ticks "$pid")
	sleep 3
	t1=$(ticks "$pid")
	after=$(grep -c "accept.*accepting again in 1 s" "$tmp/broker.log")
	check "$role: out of descriptors, it pauses accepting (logged)" \
	    test "$before" -ge 1
	check "$role: ... about once a second, not in a loop ($((after - before)) in 3 s)" \
	    test $((after - before)) -le 6
	# 3 s of a spinning loop is about 300 ticks; a pausing role uses few.
	check "$role: ... and does not spin ($((t1 - t0)) CPU ticks in 3 s)" \
	    test $((t1 - t0)) -lt 60
	check "$role: the role is the same process" test -d "/proc/$pid"
	touch "$tmp/stop"
	wait "$HPID" 2>/dev/null
	check "$role: once they close, a client gets through again" \
	    wait_for 15 through $role
done

finish
