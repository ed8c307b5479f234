#!/bin/sh
# Benchmark: the jump host (vnf-broker-ssh) side by side with OpenSSH's sshd
# as the jump host.  Run by tools/bench (which exports top_builddir and
# top_srcdir); root only.
#
# Same client (OpenSSH ssh), same cipher for both (BENCH_CIPHER), same
# target: lab A's 198.18.5.10 (see tests/integration/ssh-lab.sh), reached
# by the broker through its network namespace, and by sshd (in the root
# namespace, 127.0.0.1:42203) through a second veth into lab A.  Both
# paths cross one veth to the same servers.
#
#   throughput up / down   one ssh -W tunnel carrying BENCH_MB MiB of raw
#                          TCP to a discard server / from a source server
#   latency                `ssh -J JUMP root@vnf-a true`, mean of
#                          BENCH_ROUNDS runs (connect to first byte and
#                          back: two key exchanges, the inner login)
#   memory per tunnel      BENCH_TUNNELS idle ssh -W tunnels (each its own
#                          connection, as ssh -J makes them): the jump
#                          host's memory growth (PSS) divided by their number
#   CPU per GiB            the jump host's user+system CPU during the
#                          throughput runs, per GiB moved
#
# Bounded: BENCH_MB (default 512), BENCH_ROUNDS (10), BENCH_TUNNELS (1000);
# every wait has a limit.
. "$top_srcdir/tests/integration/lib/common.sh"
. "$top_srcdir/tests/integration/ssh-lab.sh"
: "${BENCH_MB:=512}"
: "${BENCH_ROUNDS:=10}"
: "${BENCH_TUNNELS:=1000}"
: "${BENCH_CIPHER:=aes128-gcm@openssh.com}"
LAB_PORT=42202
SSHD_PORT=42203
LAB_MAX_STARTUPS=$((BENCH_TUNNELS + 50))
LAB_PORTS_A="22, 7000, 7001, 7002, 7004, 7005"
lab_need

tmp=$(mktemp -d /tmp/vbs-bench.XXXXXX)
TPIDS=
cleanup() {
	for p in $TPIDS; do kill "$p" 2>/dev/null; done
	lab_cleanup
	ip link del vbs-bo 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
# A signal ends the run; the EXIT trap cleans up (a bare TERM trap
# would clean up and then carry on).
trap 'exit 130' INT TERM

lab_up || { echo "ssh-bench: lab did not come up"; tail -20 "$tmp/broker.log"; exit 1; }

# The OpenSSH jump host: root namespace, a veth into lab A.
ip link add vbs-bo type veth peer name vbs-bi netns vbs-la
ip addr add 198.18.6.1/24 dev vbs-bo
ip link set vbs-bo up
ip -n vbs-la addr add 198.18.6.10/24 dev vbs-bi
ip -n vbs-la link set vbs-bi up
cat "$tmp/ops.pub" >"$tmp/jump_authorized_keys"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey-jump"
cat >"$tmp/sshd-jump.conf" <<EOC
ListenAddress 127.0.0.1:$SSHD_PORT
HostKey $tmp/hostkey-jump
PidFile none
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
AuthorizedKeysFile $tmp/jump_authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding local
PermitTTY no
MaxStartups $((BENCH_TUNNELS + 50))
MaxSessions 10
LogLevel ERROR
EOC
/usr/sbin/sshd -D -e -f "$tmp/sshd-jump.conf" >"$tmp/sshd-jump.log" 2>&1 &
SSHD_PID=$!
TPIDS="$TPIDS $SSHD_PID"

# Discard (7004) and source (7005) servers in lab A, on every address.
cat >"$tmp/sinks.py" <<'EOP'
import os, socket, sys, threading
def serve(port, fn):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=fn, args=(c,), daemon=True).start()
def discard(c):
    while c.recv(1 << 20):
        pass
    c.close()
def source(c):
    n = int(c.recv(64).split()[0])
    buf = bytes(1 << 20)
    while n > 0:
        c.sendall(buf[:min(n, len(buf))]); n -= len(buf)
    c.close()
threading.Thread(target=serve, args=(7004, discard), daemon=True).start()
threading.Thread(target=serve, args=(7005, source), daemon=True).start()
print("listening", flush=True)
threading.Event().wait(900)
EOP
ip netns exec vbs-la "$PYTHON3" "$tmp/sinks.py" >"$tmp/sinks.out" 2>&1 &
TPIDS="$TPIDS $!"
wait_for 20 grep -q listening "$tmp/sinks.out"

ROLE_PID=$(sed -n 's/.*role ssh started, pid \([0-9]*\).*/\1/p' "$tmp/broker.log" | tail -1)
[ -n "$ROLE_PID" ] || { echo "ssh-bench: no role process"; exit 1; }

cat >>"$tmp/ssh_config" <<EOC
Host osshd-jump
  HostName 127.0.0.1
  Port $SSHD_PORT
  User root
  IdentityFile $tmp/ops
Host lab-a-direct
  HostName 198.18.6.10
  User root
  IdentityFile $tmp/lab
EOC
sed -i "s/^Host \*\$/Host *\n  Ciphers $BENCH_CIPHER/" "$tmp/ssh_config"
S="ssh -F $tmp/ssh_config"
# Target names as each jump host knows them.
T_BROKER=vnf-a
T_SSHD=198.18.6.10

now_ns() { date +%s%N; }
cpu_ticks() {	# utime+stime (+ reaped children's) of pid $1, in ticks
	awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat"
}
pss_kb() {	# PSS of a process and its descendants, kB
	pids="$1 $(pgrep -P "$1" | tr '\n' ' ')"
	for c in $(pgrep -P "$1"); do pids="$pids $(pgrep -P "$c" | tr '\n' ' ')"; done
	total=0
	for p in $pids; do
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
		total=$((total + ${v:-0}))
	done
	echo "$total"
}
HZ=$(getconf CLK_TCK)
BYTES=$((BENCH_MB * 1048576))

# up JUMP TARGET: seconds for BENCH_MB up one tunnel.
run_up() {
	t0=$(now_ns)
	head -c "$BYTES" /dev/zero | $S -W "$2:7004" "$1" >/dev/null 2>>"$tmp/err"
	t1=$(now_ns)
	echo $(( (t1 - t0) / 1000000 ))
}
run_down() {
	t0=$(now_ns)
	echo "$BYTES" | $S -W "$2:7005" "$1" 2>>"$tmp/err" | cat >/dev/null
	t1=$(now_ns)
	echo $(( (t1 - t0) / 1000000 ))
}
mbps() { awk -v b="$BYTES" -v ms="$1" 'BEGIN { printf "%.0f", b / 1048576 / (ms / 1000) }'; }

measure() {	# measure NAME JUMP TARGET PID
	name=$1 jump=$2 target=$3 pid=$4
	$S -W "$target:7004" "$jump" </dev/null >/dev/null 2>&1	# warm up
	c0=$(cpu_ticks "$pid")
	up=$(run_up "$jump" "$target")
	down=$(run_down "$jump" "$target")
	c1=$(cpu_ticks "$pid")
	cpu=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v b=$((BYTES * 2)) \
	    'BEGIN { printf "%.2f", t / hz / (b / 1073741824) }')
	t0=$(now_ns)
	i=0
	while [ "$i" -lt "$BENCH_ROUNDS" ]; do
		$S -J "$jump" "root@$( [ "$jump" = osshd-jump ] && echo lab-a-direct || echo vnf-a)" true 2>>"$tmp/err"
		i=$((i + 1))
	done
	t1=$(now_ns)
	lat=$(( (t1 - t0) / 1000000 / BENCH_ROUNDS ))
	m0=$(pss_kb "$pid")
	# Idle tunnels read a FIFO we hold open: closing it ends them all.
	rm -f "$tmp/idle"
	mkfifo "$tmp/idle"
	exec 9<>"$tmp/idle"
	cpids=
	i=0
	while [ "$i" -lt "$BENCH_TUNNELS" ]; do
		$S -W "$target:7004" "$jump" <"$tmp/idle" >/dev/null 2>>"$tmp/err" &
		cpids="$cpids $!"
		i=$((i + 1))
		[ $((i % 50)) -eq 0 ] && sleep 1
	done
	TPIDS="$TPIDS $cpids"
	wait_for 300 sh -c "[ \$(ss -tnH state established '( dport = :$( [ "$jump" = osshd-jump ] && echo $SSHD_PORT || echo $LAB_PORT) )' | wc -l) -ge $BENCH_TUNNELS ]"
	sleep 2
	open=$(ss -tnH state established "( dport = :$( [ "$jump" = osshd-jump ] && echo $SSHD_PORT || echo $LAB_PORT) )" | wc -l)
	m1=$(pss_kb "$pid")
	per=$(( (m1 - m0) / (open > 0 ? open : 1) ))
	total_mb=$(( m1 / 1024 ))
	exec 9>&-
	sleep 1
	for p in $cpids; do kill "$p" 2>/dev/null; done
	for p in $cpids; do wait "$p" 2>/dev/null; done
	echo "$name $(mbps "$up") $(mbps "$down") $lat $per $open $total_mb $cpu"
}

echo "== ssh jump host: vnf-broker-ssh vs OpenSSH sshd ($(sshd -V 2>&1 | head -1 || true))"
echo "   cipher $BENCH_CIPHER, $BENCH_MB MiB each way, $BENCH_ROUNDS logins, $BENCH_TUNNELS idle tunnels"
r1=$(measure vnf-broker jump-ops "$T_BROKER" "$ROLE_PID")
r2=$(measure openssh osshd-jump "$T_SSHD" "$SSHD_PID")
printf '%-22s %14s %14s\n' "" "vnf-broker" "OpenSSH sshd"
set -- $r1; b_up=$2 b_down=$3 b_lat=$4 b_mem=$5 b_open=$6 b_tot=$7 b_cpu=$8
set -- $r2; o_up=$2 o_down=$3 o_lat=$4 o_mem=$5 o_open=$6 o_tot=$7 o_cpu=$8
printf '%-22s %10s MiB/s %8s MiB/s\n' "throughput up" "$b_up" "$o_up"
printf '%-22s %10s MiB/s %8s MiB/s\n' "throughput down" "$b_down" "$o_down"
printf '%-22s %11s ms %11s ms\n' "ssh -J ... true" "$b_lat" "$o_lat"
printf '%-22s %11s kB %11s kB\n' "memory per idle tunnel" "$b_mem" "$o_mem"
printf '%-22s %14s %14s\n' "  (tunnels open)" "$b_open" "$o_open"
printf '%-22s %11s MB %11s MB\n' "  (jump host total)" "$b_tot" "$o_tot"
printf '%-22s %12s s %12s s\n' "CPU per GiB moved" "$b_cpu" "$o_cpu"
if [ -s "$tmp/err" ]; then
	echo "   client messages (first 5):"
	sort "$tmp/err" | uniq -c | sort -rn | head -5
fi
