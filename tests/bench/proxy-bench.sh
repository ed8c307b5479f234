#!/bin/sh
# The proxy role side by side with tinyproxy, squid and direct TCP, same
# target: a lab namespace behind one guest network (198.18.2.0/24).
#
#   top_builddir=... top_srcdir=... tests/bench/proxy-bench.sh
#   env: VBP_BENCH_BYTES (default 1 GiB each way), VBP_BENCH_IDLE (10000
#   idle tunnels), VBP_BENCH_SECS (3 s of requests), VBP_BROKERD,
#   VBP_BENCH_ONLY (a list of: direct vnf-broker tinyproxy squid haproxy)
#
# Figures: throughput down and up through one tunnel (MiB/s), CONNECT
# setup latency (median and p99 of 300, ms), CONNECT + small exchange per
# second (4 clients), memory per idle tunnel (RSS growth / tunnels, KiB),
# CPU seconds per GiB moved (the proxy process, user + system).
#
# The peers run inside the guest network's namespace (they cannot ask a
# parent for sockets), listening on their own loopback; vnf-broker-proxy
# runs as it does in production, its sockets made by vnf-brokerd.  Our
# proxy authenticates (Basic, cached) and writes an audit line per
# tunnel; the peers do neither.  The client is Python, the same for all.
#
# haproxy is a reference, not a peer: HAProxy in TCP mode with splice, a
# fixed backend per port, so no CONNECT, no authentication, no audit.  It
# shows what the best splicing relay gets on this machine, which is the
# ceiling for a proxy's throughput here (two TCP connections instead of
# one, on the same CPUs).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PY=${PYTHON3:-python3}
BYTES=${VBP_BENCH_BYTES:-1073741824}
IDLE=${VBP_BENCH_IDLE:-10000}
SECS=${VBP_BENCH_SECS:-3}
BROKERD=${VBP_BROKERD:-$top_builddir/broker/vnf-brokerd}
PROXY=$top_builddir/broker/vnf-broker-proxy
PV=43130	# vnf-broker-proxy
PT=43131	# tinyproxy
PS=43132	# squid
PH=43133	# haproxy: 43133 -> 9000, 43135 -> 9002, 43136 -> 9003

[ "$(id -u)" -eq 0 ] || { echo "proxy-bench: run as root"; exit 1; }
for b in tinyproxy squid; do
	command -v $b >/dev/null 2>&1 ||
	    [ -x /usr/sbin/$b ] || [ -x /usr/bin/$b ] ||
	    apt-get install -y tinyproxy squid >/dev/null 2>&1
done
[ -x "$BROKERD" ] && [ -x "$PROXY" ] ||
    { echo "proxy-bench: build vnf-brokerd and vnf-broker-proxy first"; exit 1; }

[ -e /run/netns/vbp-bl ] || [ -e /run/netns/vbp-bn ] &&
    { echo "proxy-bench: vbp-bl or vbp-bn exists: another run?"; exit 1; }
tmp=$(mktemp -d /tmp/vbp-bench.XXXXXX)
chmod 777 "$tmp"
BPID= LPID= TPID= SPID= HPID=
cleanup() {
	[ -n "$HPID" ] && kill "$HPID" 2>/dev/null
	[ -n "$TPID" ] && kill "$TPID" 2>/dev/null
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null
	[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	ip netns del vbp-bl 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
# A signal ends the run; the EXIT trap cleans up.
trap 'exit 130' INT TERM HUP PIPE
# Every descriptor the hard limit allows; a tunnel holds two in the
# proxy, so the idle figure takes at most (limit - 256) / 2 tunnels.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ "$IDLE" -gt $(( (NOFILE - 256) / 2 )) ]; then
	echo "proxy-bench: the hard descriptor limit is $NOFILE: $(( (NOFILE - 256) / 2 ))" \
	    "idle tunnels instead of $IDLE"
	IDLE=$(( (NOFILE - 256) / 2 ))
fi

# The lab: 9000 bulk (D n: send n bytes; U n: read n bytes, answer),
# 9002 small (a line in, a line out, close), 9003 idle (hold).
cat >"$tmp/lab.py" <<'EOF'
import selectors, socket, sys, threading
addr = sys.argv[1]
blk = memoryview(bytes(1 << 20))

def listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(4096)
    return s

def bulk1(c):
    f = c.makefile("rb")
    cmd = f.readline().split()
    if cmd and cmd[0] == b"D":
        n = int(cmd[1])
        while n > 0:
            k = min(n, len(blk))
            c.sendall(blk[:k])
            n -= k
    elif cmd and cmd[0] == b"U":
        want = int(cmd[1])
        buf = bytearray(1 << 20)
        n = 0
        while n < want:
            k = f.readinto(buf)
            if not k:
                break
            n += k
        c.sendall(b"%d\n" % n)
    c.close()

def bulk():
    s = listener(9000)
    while True:
        c, _ = s.accept()
        threading.Thread(target=bulk1, args=(c,), daemon=True).start()

def small_idle():
    sel = selectors.DefaultSelector()
    for port in (9002, 9003):
        sel.register(listener(port), selectors.EVENT_READ, port)
    while True:
        for key, _ in sel.select():
            if key.data in (9002, 9003):
                c, _ = key.fileobj.accept()
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, ("c", key.data))
                continue
            c = key.fileobj
            try:
                d = c.recv(4096)
            except OSError:
                d = b""
            if key.data[1] == 9002 and d:
                try:
                    c.send(b"ok\n")
                except OSError:
                    pass
                d = b""
            if not d:
                sel.unregister(c)
                c.close()

threading.Thread(target=bulk, daemon=True).start()
threading.Thread(target=small_idle, daemon=True).start()
print("listening", flush=True)
threading.Event().wait(3600)
EOF

# The client, the same for every proxy.  MODE HOST PORT TARGET ARG
# (PORT 0: direct to TARGET).
cat >"$tmp/pb.py" <<'EOF'
import base64, os, socket, statistics, sys, threading, time
mode, host, port, target, arg = sys.argv[1:6]
port = int(port)
auth = os.environ.get("PB_AUTH")
th, tp = target.rsplit(":", 1)

def tunnel():
    if port == 0:
        ip = th.split(".vbp-")[0]
        return socket.create_connection((ip, int(tp)), timeout=30), b""
    s = socket.create_connection((host, port), timeout=30)
    req = "CONNECT %s HTTP/1.1\r\nHost: %s\r\n" % (target, target)
    if auth:
        req += "Proxy-Authorization: Basic %s\r\n" % \
            base64.b64encode(auth.encode()).decode()
    s.sendall((req + "\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            raise SystemExit("proxy closed: %r" % buf)
        buf += d
    if b" 200 " not in buf.split(b"\r\n")[0]:
        raise SystemExit("refused: %r" % buf.split(b"\r\n")[0])
    return s, buf.split(b"\r\n\r\n", 1)[1]

if mode == "down":
    n = int(arg)
    s, extra = tunnel()
    t0 = time.perf_counter()
    s.sendall(b"D %d\n" % n)
    got = len(extra)
    buf = bytearray(1 << 20)
    while got < n:
        k = s.recv_into(buf)
        if not k:
            break
        got += k
    dt = time.perf_counter() - t0
    print("%.0f" % (got / dt / 2**20) if got == n else "short")
elif mode == "up":
    n = int(arg)
    s, _ = tunnel()
    blk = memoryview(bytes(1 << 20))
    t0 = time.perf_counter()
    s.sendall(b"U %d\n" % n)
    left = n
    while left > 0:
        k = min(left, len(blk))
        s.sendall(blk[:k])
        left -= k
    r = s.makefile().readline().strip()
    dt = time.perf_counter() - t0
    print("%.0f" % (n / dt / 2**20) if r == str(n) else "short(%s)" % r)
elif mode == "latency":
    ts = []
    for i in range(int(arg)):
        t0 = time.perf_counter()
        s, _ = tunnel()
        ts.append((time.perf_counter() - t0) * 1000)
        s.close()
    ts.sort()
    print("%.2f/%.2f" % (statistics.median(ts), ts[int(len(ts) * 0.99) - 1]))
elif mode == "rps":
    end = time.perf_counter() + float(arg)
    count = [0] * 4
    def worker(i):
        while time.perf_counter() < end:
            s, _ = tunnel()
            s.sendall(b"x\n")
            r = b""
            while not r.endswith(b"\n"):
                d = s.recv(64)
                if not d:
                    break
                r += d
            s.close()
            if r == b"ok\n":
                count[i] += 1
    ws = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    [w.start() for w in ws]
    [w.join() for w in ws]
    print("%.0f" % (sum(count) / float(arg)))
elif mode == "idle":
    n = int(arg)
    socks = []
    for i in range(n):
        socks.append(tunnel()[0])
    print("open %d" % len(socks), flush=True)
    sys.stdin.readline()
EOF

rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
TCK=$(getconf CLK_TCK)
# The machine's busy and total jiffies (all CPUs), to tell a pipeline
# limit from a machine whose every core is already busy.
sys_ticks() { awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat; }
NCPU=$(getconf _NPROCESSORS_ONLN)

# --- the broker with one guest network and the lab behind it
ip netns add vbp-bl
ip -n vbp-bl link set lo up
HASH=$(openssl passwd -6 benchpw)
cat >"$tmp/broker.yaml" <<EOC
user: nobody
state_dir: $tmp/state
run_dir: $tmp/run
log: {level: warn}
audit_log: $tmp/audit.log
listen:
  proxy: ["127.0.0.1:$PV"]
roles:
  proxy: {program: $PROXY}
proxy: {idle_timeout: 600}
users:
  - name: bench
    proxy_password_hash: "$HASH"
    grants: [{networks: [vbp-bn], ports: [9000, 9002, 9003]}]
networks:
  - name: vbp-bn
    veth: {peer: vbp-bp, peer_netns: vbp-bl}
    addresses: [198.18.2.2/24]
EOC
"$BROKERD" -c "$tmp/broker.yaml" >"$tmp/broker.log" 2>&1 &
BPID=$!
i=0
while ! ip -n vbp-bl link show vbp-bp >/dev/null 2>&1 && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
ip -n vbp-bl addr add 198.18.2.10/24 dev vbp-bp
ip -n vbp-bl link set vbp-bp up
ip netns exec vbp-bl "$PY" "$tmp/lab.py" 198.18.2.10 >"$tmp/lab.out" 2>&1 &
LPID=$!

cat >"$tmp/tinyproxy.conf" <<EOC
User nobody
Group nogroup
Port $PT
Listen 127.0.0.1
Timeout 600
MaxClients 20000
LogLevel Critical
PidFile "$tmp/tinyproxy.pid"
EOC
ip netns exec vbp-bn tinyproxy -d -c "$tmp/tinyproxy.conf" \
    >"$tmp/tinyproxy.log" 2>&1 &
TPID=$!
mkdir -p "$tmp/squid"
chmod 777 "$tmp/squid"
cat >"$tmp/squid.conf" <<EOC
http_port 127.0.0.1:$PS
http_access allow all
cache deny all
cache_mem 8 MB
access_log none
cache_store_log none
cache_log $tmp/squid/cache.log
pid_filename $tmp/squid/squid.pid
coredump_dir $tmp/squid
max_filedescriptors 65536
shutdown_lifetime 1 seconds
dns_nameservers 127.0.0.1
EOC
ip netns exec vbp-bn squid -N -f "$tmp/squid.conf" >"$tmp/squid.log" 2>&1 &
SPID=$!

HAPROXY=
if command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; then
	HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
	{
		printf 'global\n  maxconn 4000\n  nbthread 1\n'
		printf 'defaults\n  mode tcp\n  option splice-request\n  option splice-response\n'
		printf '  timeout connect 5s\n  timeout client 600s\n  timeout server 600s\n'
		for p in 9000 9002 9003; do
			printf 'listen p%s\n  bind 127.0.0.1:%s\n  server s 198.18.2.10:%s\n' \
			    "$p" $((PH + p - 9000)) "$p"
		done
	} >"$tmp/haproxy.cfg"
	ip netns exec vbp-bn "$HAPROXY" -db -f "$tmp/haproxy.cfg" \
	    >"$tmp/haproxy.log" 2>&1 &
	HPID=$!
fi

i=0
while [ $i -lt 150 ]; do
	grep -q listening "$tmp/lab.out" 2>/dev/null &&
	    grep -q "ready:" "$tmp/broker.log" 2>/dev/null &&
	    ip netns exec vbp-bn ss -ltnH "sport = :$PS" | grep -q . &&
	    ip netns exec vbp-bn ss -ltnH "sport = :$PT" | grep -q . &&
	    { [ -z "$HPID" ] ||
	    ip netns exec vbp-bn ss -ltnH "sport = :$PH" | grep -q .; } && break
	sleep 0.1; i=$((i + 1))
done
ROLE=$(pgrep -P "$BPID" | head -1)

# run NAME MODE ARG: the client for one proxy (in its namespace).
run() {
	name=$1 mode=$2 arg=$3
	case $name in
	vnf-broker) PB_AUTH=bench:benchpw "$PY" "$tmp/pb.py" $mode 127.0.0.1 \
	    $PV "198.18.2.10.vbp-bn:$PORT" "$arg" ;;
	tinyproxy) ip netns exec vbp-bn "$PY" "$tmp/pb.py" $mode 127.0.0.1 $PT \
	    "198.18.2.10:$PORT" "$arg" ;;
	squid) ip netns exec vbp-bn "$PY" "$tmp/pb.py" $mode 127.0.0.1 $PS \
	    "198.18.2.10:$PORT" "$arg" ;;
	direct) ip netns exec vbp-bn "$PY" "$tmp/pb.py" $mode - 0 \
	    "198.18.2.10:$PORT" "$arg" ;;
	haproxy) ip netns exec vbp-bn "$PY" "$tmp/pb.py" $mode - 0 \
	    "127.0.0.1:$((PH + PORT - 9000))" "$arg" ;;
	esac
}
pid_of() {
	case $1 in
	vnf-broker) echo "$ROLE" ;;
	tinyproxy) echo "$TPID" ;;
	squid) echo "$SPID" ;;
	haproxy) echo "$HPID" ;;
	*) echo "" ;;
	esac
}

# idle NAME: KiB of RSS per idle tunnel.
idle() {
	pid=$(pid_of "$1")
	[ -n "$pid" ] || { echo "-"; return; }
	before=$(rss_kib "$pid")
	fifo=$tmp/idle.fifo
	rm -f "$fifo"; mkfifo "$fifo"
	PORT=9003
	run "$1" idle "$IDLE" <"$fifo" >"$tmp/idle.out" 2>&1 &
	cp=$!
	exec 7>"$fifo"
	i=0
	while ! grep -q "^open" "$tmp/idle.out" && kill -0 $cp 2>/dev/null &&
	    [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.5
	after=$(rss_kib "$pid")
	echo >&7
	exec 7>&-
	wait $cp 2>/dev/null
	if grep -q "^open" "$tmp/idle.out"; then
		awk -v a="$after" -v b="$before" -v n="$IDLE" \
		    'BEGIN { printf "%.1f", (a - b) / n }'
	else
		echo "fail"
	fi
}

printf '%-12s %10s %10s %14s %10s %12s %10s %9s\n' proxy "down MiB/s" \
    "up MiB/s" "setup ms p50/99" "CONNECT/s" "KiB/idle tun" "CPU s/GiB" \
    "machine%"
for name in ${VBP_BENCH_ONLY:-direct vnf-broker tinyproxy squid haproxy}; do
	if [ "$name" = haproxy ] && [ -z "$HPID" ]; then
		printf '%-12s %s\n' haproxy "(not installed)"
		continue
	fi
	pid=$(pid_of $name)
	c0=$( [ -n "$pid" ] && cpu_ticks "$pid" || echo 0)
	s0=$(sys_ticks)
	PORT=9000
	down=$(run $name down "$BYTES" 2>&1 | tail -1)
	up=$(run $name up "$BYTES" 2>&1 | tail -1)
	c1=$( [ -n "$pid" ] && cpu_ticks "$pid" || echo 0)
	s1=$(sys_ticks)
	busy=$(echo "$s0 $s1" | awk -v n="$NCPU" \
	    '{ t = $4 - $2; printf "%.0f", (t > 0) ? 100 * n * ($3 - $1) / t : 0 }')
	PORT=9002
	lat=$(run $name latency 300 2>&1 | tail -1)
	rps=$(run $name rps "$SECS" 2>&1 | tail -1)
	# the reference relay is not sized for the idle test (descriptors)
	if [ "$name" = haproxy ]; then mem="-"; else mem=$(idle $name); fi
	if [ -n "$pid" ]; then
		cpu=$(awk -v t=$((c1 - c0)) -v hz="$TCK" -v b="$BYTES" \
		    'BEGIN { printf "%.2f", t / hz / (2 * b / 2^30) }')
	else
		cpu="-"
	fi
	printf '%-12s %10s %10s %14s %10s %12s %10s %9s\n' "$name" "$down" \
	    "$up" "$lat" "$rps" "$mem" "$cpu" "$busy"
done
echo "($((BYTES / 1048576)) MiB each way, $IDLE idle tunnels, $SECS s of" \
    "CONNECT+exchange with 4 clients; vnf-broker with Basic auth and audit;" \
    "machine% = CPU busy during the transfers, $NCPU CPUs = $((NCPU * 100))%;" \
    "haproxy: TCP mode with splice, fixed backends, no CONNECT: the ceiling" \
    "of a splicing relay on this machine, not a peer)"
