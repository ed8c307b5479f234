#!/bin/sh
# Integration: SIGHUP applies broker.yaml as a whole, without dropping
# live sessions (real vnf-brokerd, proxy and ssh roles, curl, OpenSSH).
#
# One guest network (vbr-na, a veth into the lab namespace vbr-la) where
# 198.18.60.10 serves HTTP on 8080 (with a slow download) and a TCP echo
# on 7000.  Across reloads:
#   (a) a download, a held CONNECT tunnel and an ssh -W stream opened
#       before SIGHUP finish intact although the reload adds a proxy
#       port, removes one, changes the proxy's args and adds an ssh port;
#       the new ports accept and the kept one never refused a connection;
#   (b) the removed port stops accepting;
#   (c) a listener on a port another process holds refuses the whole
#       reload (logged with address and reason), as does an unknown user:
#       nothing of it applies, every old listener still works;
#   (d) each replaced instance serves its sessions on (past the 10 s a
#       shutdown would give them: drain_timeout), exits once they end,
#       without a restart; its successor has a new pid;
#   (e) the proxy role disabled (stopped, not restarted) and enabled again.
# Ports 24600-24699 only; namespaces and links vbr-*.
. "$(dirname "$0")/lib/common.sh"
need_root
for b in curl openssl ssh ssh-keygen "$PYTHON3"; do
	command -v "$b" >/dev/null 2>&1 || { echo "SKIP: no $b"; exit 77; }
done

BROKERD=${VBR_BROKERD:-$top_builddir/broker/vnf-brokerd}
PROXY=$top_builddir/broker/vnf-broker-proxy
SSHROLE=$top_builddir/broker/vnf-broker-ssh
P1=24601	# proxy, kept through every reload
P2=24602	# proxy, removed by the first reload
P3=24603	# proxy, added by the first reload
S1=24611	# ssh, kept
S2=24612	# ssh, added by the first reload
TAKEN=24621	# held by another process for (c)
P5=24622	# listed before it in (c): bound, then rolled back
tmp=$(mktemp -d /tmp/vbr-reload.XXXXXX)
chmod 755 "$tmp"
BPID=
SPIDS=

cleanup() {
	if [ "$T_FAIL" -gt 0 ]; then
		echo "--- broker log (last 100 lines)"
		tail -100 "$tmp/broker.log" 2>/dev/null
	fi
	[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	for p in $SPIDS; do kill "$p" 2>/dev/null; done
	# VBR_KEEP_LOG=FILE keeps the broker's log (sanitizer reports).
	[ -n "${VBR_KEEP_LOG:-}" ] && cp "$tmp/broker.log" "$VBR_KEEP_LOG"
	ip netns del vbr-la 2>/dev/null
	ip netns del vbr-na 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

has() { printf '%s' "$1" | grep -q -- "$2"; }
logged() { grep -q -- "$1" "$tmp/broker.log"; }
# The pid of the latest instance of role $1 the parent started.
role_pid() {
	sed -n "s/.* role $1 started, pid \([0-9]*\) .*/\1/p" \
	    "$tmp/broker.log" | tail -1
}
alive() { kill -0 "$1" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }
# get PORT PATH: a GET of lab A's PATH through the proxy on PORT.
get() {
	curl -sS --max-time 5 -x "http://127.0.0.1:$1" -U ops:secret \
	    "http://vnf-a.vnf.test:8080$2" 2>&1
}
# refuses PORT: nothing accepts on 127.0.0.1:PORT (curl exit 7).
refuses() {
	curl -s --max-time 3 -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null
	[ $? -eq 7 ]
}
# A SIGHUP and its outcome: wait for the Nth "SIGHUP" verdict line.
hups=0
hup() {
	hups=$((hups + 1))
	kill -HUP "$BPID"
	wait_for 10 sh -c "[ \$(grep -c 'SIGHUP: .*\(reloaded\|is kept\)' \
	    '$tmp/broker.log') -ge $hups ]"
}

# --- the lab: HTTP with a slow download, and an echo with a banner
cat >"$tmp/lab.py" <<'EOF'
import http.server, socket, socketserver, sys, threading, time
addr, label = sys.argv[1:3]
CHUNK = b"0123456789abcdef" * 4096		# 64 KiB

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_GET(self):
        if self.path.startswith("/slow"):
            # 48 chunks over about 2.4 s
            self.send_response(200)
            self.send_header("Content-Length", str(48 * len(CHUNK)))
            self.send_header("Connection", "close")
            self.end_headers()
            for i in range(48):
                self.wfile.write(CHUNK)
                self.wfile.flush()
                time.sleep(0.05)
            return
        b = ("%s GET %s\n" % (label, self.path)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b)

class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

def echo1(c):
    c.sendall(label.encode() + b"\n")
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.sendall(b"bye\n")
    c.close()

def echo():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 7000))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=echo1, args=(c,), daemon=True).start()

threading.Thread(target=S((addr, 8080), H).serve_forever,
    daemon=True).start()
threading.Thread(target=echo, daemon=True).start()
print("listening", flush=True)
threading.Event().wait(900)
EOF

# tunnel.py PORT GOFILE: CONNECT vnf-a:7000, print the banner, wait for
# GOFILE, send "ping", half-close, print what comes back until EOF.
cat >"$tmp/tunnel.py" <<'EOF'
import base64, os, socket, sys, time
port, go = int(sys.argv[1]), sys.argv[2]
auth = base64.b64encode(b"ops:secret").decode()
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.sendall(("CONNECT vnf-a:7000 HTTP/1.1\r\nHost: vnf-a:7000\r\n"
           "Proxy-Authorization: Basic %s\r\n\r\n" % auth).encode())
buf = b""
while b"\r\n\r\n" not in buf or not buf.endswith(b"\n") or buf.count(b"\n") < 3:
    d = s.recv(4096)
    if not d:
        break
    buf += d
print("head", buf.split(b"\r\n")[0].decode(), flush=True)
print("banner", buf.split(b"\r\n\r\n", 1)[1].decode().strip(), flush=True)
while not os.path.exists(go):
    time.sleep(0.05)
s.sendall(b"ping\n")
time.sleep(0.2)
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    out += d
print("after", out.decode().replace("\n", "|"), flush=True)
EOF

# probe.py PORT STOPFILE: a GET through the proxy every 50 ms until
# STOPFILE exists; counts answers, refused connections, other failures.
cat >"$tmp/probe.py" <<'EOF'
import base64, os, socket, sys, time
port, stop = int(sys.argv[1]), sys.argv[2]
auth = base64.b64encode(b"ops:secret").decode()
ok = refused = other = 0
while not os.path.exists(stop):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(("GET http://vnf-a.vnf.test:8080/probe HTTP/1.1\r\n"
                   "Host: vnf-a.vnf.test:8080\r\nProxy-Authorization: "
                   "Basic %s\r\nConnection: close\r\n\r\n" % auth).encode())
        buf = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            buf += d
        s.close()
        if b"lab-A GET /probe" in buf:
            ok += 1
        else:
            other += 1
    except ConnectionRefusedError:
        refused += 1
    except OSError:
        other += 1
    time.sleep(0.05)
print("ok %d refused %d other %d" % (ok, refused, other), flush=True)
EOF

# --- keys, the lab namespace, the broker
ssh-keygen -q -t ed25519 -N '' -C ops@vbr -f "$tmp/ops"
HASH=$(openssl passwd -6 secret)
cat >"$tmp/ssh_config" <<EOC
Host *
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  BatchMode yes
  IdentitiesOnly yes
  ConnectTimeout 10
  LogLevel ERROR
  User ops
  IdentityFile $tmp/ops
  HostName 127.0.0.1
EOC
S="ssh -F $tmp/ssh_config"

ip netns add vbr-la
ip -n vbr-la link set lo up

# conf PROXYLISTEN SSHLISTEN [EXTRA TOP-LEVEL YAML] [PROXY ROLE YAML]
conf() {
	proxyrole=${4:-}
	[ -n "$proxyrole" ] || proxyrole="{program: $PROXY}"
	cat >"$tmp/broker.yaml" <<EOC
user: ${CONF_USER:-nobody}
state_dir: ${CONF_STATE:-$tmp/state}
run_dir: $tmp/run
log: {level: info}
restart_backoff_max: 2
drain_timeout: ${CONF_DRAIN:-20}
audit_log: $tmp/audit.log
dns_suffix: ${CONF_SUFFIX:-vnf.test}
listen:
$1
$2
roles:
  proxy: $proxyrole
  ssh: {program: $SSHROLE}
proxy:
  idle_timeout: 60
  shutdown_grace: 30
appliances:
  - {name: vnf-a, network: vbr-na, address: 198.18.60.10, ports: [8080, 7000]}
users:
  - name: ops
    proxy_password_hash: "$HASH"
    ssh_authorized_keys: ["$(cat "$tmp/ops.pub")"]
    grants: [{appliances: [vnf-a]}]
networks:
  - name: vbr-na
    veth: {peer: vbr-pa, peer_netns: vbr-la}
    addresses: [198.18.60.2/24]
$3
EOC
}
conf "  proxy: [\"127.0.0.1:$P1\", \"127.0.0.1:$P2\"]" \
    "  ssh: [\"127.0.0.1:$S1\"]"
check "config check passes" "$BROKERD" -t -c "$tmp/broker.yaml"
"$BROKERD" -c "$tmp/broker.yaml" >"$tmp/broker.log" 2>&1 &
BPID=$!
if ! wait_for 20 logged "jump host ready" ||
    ! wait_for 20 logged "ready: 1 appliance"; then
	not_ok "broker starts with the proxy and ssh roles"
	finish
	exit 1
fi
wait_for 5 ip -n vbr-la link show vbr-pa >/dev/null 2>&1
ip -n vbr-la addr add 198.18.60.10/24 dev vbr-pa
ip -n vbr-la link set vbr-pa up
ip netns exec vbr-la "$PYTHON3" "$tmp/lab.py" 198.18.60.10 lab-A \
    >"$tmp/lab.out" 2>&1 &
SPIDS="$SPIDS $!"
wait_for 20 grep -q listening "$tmp/lab.out"

check "proxy on $P1 reaches the lab" has "$(get $P1 /one)" "^lab-A GET /one"
check "proxy on $P2 reaches the lab" has "$(get $P2 /two)" "^lab-A GET /two"
out=$($S -p $S1 -W vnf-a:7000 jump </dev/null 2>&1)
check "ssh -W through the jump host on $S1 reaches the lab" \
    has "$out" "^lab-A"
PROXY_OLD=$(role_pid proxy)
SSH_OLD=$(role_pid ssh)
check "both roles run (proxy pid $PROXY_OLD, ssh pid $SSH_OLD)" \
    sh -c "kill -0 $PROXY_OLD && kill -0 $SSH_OLD"

# --- (a) sessions opened before the reload
curl -sS --max-time 30 -x "http://127.0.0.1:$P1" -U ops:secret \
    -o "$tmp/slow.bin" "http://vnf-a.vnf.test:8080/slow" \
    >"$tmp/slow.err" 2>&1 &
CURL=$!
SPIDS="$SPIDS $CURL"
"$PYTHON3" "$tmp/tunnel.py" $P1 "$tmp/go" >"$tmp/tunnel.out" 2>&1 &
TUN=$!
SPIDS="$SPIDS $TUN"
{ while [ ! -e "$tmp/go" ]; do sleep 0.05; done; echo ping; } |
    $S -p $S1 -W vnf-a:7000 jump >"$tmp/sshw.out" 2>&1 &
SSHW=$!
SPIDS="$SPIDS $SSHW"
"$PYTHON3" "$tmp/probe.py" $P1 "$tmp/probe-stop" >"$tmp/probe.out" 2>&1 &
PROBE=$!
SPIDS="$SPIDS $PROBE"
wait_for 10 grep -q "^banner" "$tmp/tunnel.out"
wait_for 10 grep -q "^lab-A" "$tmp/sshw.out"
check "a CONNECT tunnel is open through $P1" \
    grep -q "^banner lab-A" "$tmp/tunnel.out"
check "an ssh -W stream is open through $S1" grep -q "^lab-A" "$tmp/sshw.out"
sleep 0.5

# The reload: proxy gets $P3, loses $P2, new args; ssh gets $S2.
conf "  proxy: [\"127.0.0.1:$P1\", \"127.0.0.1:$P3\"]" \
    "  ssh: [\"127.0.0.1:$S1\", \"127.0.0.1:$S2\"]" "" \
    "{program: $PROXY, args: [--reloaded]}"
hup
check "SIGHUP: reloaded" logged "SIGHUP: .*broker.yaml reloaded"
check "... listener proxy 127.0.0.1:$P3 added (logged)" \
    logged "SIGHUP: listener proxy 127.0.0.1:$P3 added"
check "... listener proxy 127.0.0.1:$P2 removed (logged)" \
    logged "SIGHUP: listener proxy 127.0.0.1:$P2 removed"
check "... listener ssh 127.0.0.1:$S2 added (logged)" \
    logged "SIGHUP: listener ssh 127.0.0.1:$S2 added"
check "... role proxy replaced: args and listeners changed, old pid drains" \
    logged "SIGHUP: role proxy replaced (args changed, listeners changed); old pid $PROXY_OLD serves what it has open"
check "... role ssh replaced: listeners changed" \
    logged "SIGHUP: role ssh replaced (listeners changed); old pid $SSH_OLD serves what it has open"
wait_for 10 sh -c "[ \$(grep -c 'role proxy started' '$tmp/broker.log') -ge 2 ]"
wait_for 10 sh -c "[ \$(grep -c 'role ssh started' '$tmp/broker.log') -ge 2 ]"
PROXY_NEW=$(role_pid proxy)
SSH_NEW=$(role_pid ssh)
check "(d) a new proxy instance with a new pid ($PROXY_NEW)" \
    sh -c "[ -n '$PROXY_NEW' ] && [ '$PROXY_NEW' != '$PROXY_OLD' ] && kill -0 $PROXY_NEW"
check "(d) a new ssh instance with a new pid ($SSH_NEW)" \
    sh -c "[ -n '$SSH_NEW' ] && [ '$SSH_NEW' != '$SSH_OLD' ] && kill -0 $SSH_NEW"
check "(d) the old instances still run while their sessions are open" \
    sh -c "kill -0 $PROXY_OLD && kill -0 $SSH_OLD"
check "(a) the new proxy port $P3 accepts" has "$(get $P3 /three)" "^lab-A GET /three"
check "(a) the kept proxy port $P1 serves (the new instance)" \
    has "$(get $P1 /kept)" "^lab-A GET /kept"
out=$($S -p $S2 -W vnf-a:7000 jump </dev/null 2>&1)
check "(a) the new ssh port $S2 accepts" has "$out" "^lab-A"
out=$($S -p $S1 -W vnf-a:7000 jump </dev/null 2>&1)
check "(a) the kept ssh port $S1 serves" has "$out" "^lab-A"
check "(b) the removed proxy port $P2 no longer accepts" wait_for 5 refuses $P2
check "(d) the old instances still run while their sessions are open" \
    sh -c "kill -0 $PROXY_OLD && kill -0 $SSH_OLD"

# Longer than a shutdown's grace (10 s): a replaced instance serves on.
sleep 11
check "(d) after 11 s, the old instances still serve their sessions" \
    sh -c "kill -0 $PROXY_OLD && kill -0 $SSH_OLD"

# The sessions end now, on the old instances.
touch "$tmp/go"
wait "$TUN"
wait "$SSHW"
wait "$CURL"
check "(a) the CONNECT tunnel opened before SIGHUP survived it" \
    grep -q "^after ping|bye|" "$tmp/tunnel.out" ||
    cat "$tmp/tunnel.out"
check "(a) the ssh -W stream opened before SIGHUP survived it" \
    sh -c "grep -q '^ping' '$tmp/sshw.out' && grep -q '^bye' '$tmp/sshw.out'" ||
    cat "$tmp/sshw.out"
"$PYTHON3" -c 'import sys; sys.stdout.buffer.write(b"0123456789abcdef" * 4096 * 48)' \
    >"$tmp/slow.want"
check "(a) the download started before SIGHUP arrived whole (3 MiB)" \
    cmp -s "$tmp/slow.want" "$tmp/slow.bin" || cat "$tmp/slow.err"
touch "$tmp/probe-stop"
wait "$PROBE"
probe=$(cat "$tmp/probe.out")
check "(a) port $P1 never refused a connection during the reload ($probe)" \
    has "$probe" "refused 0 "
check "(a) ... and answered before and after it" \
    sh -c "n=\$(echo '$probe' | sed 's/^ok \([0-9]*\).*/\1/'); [ \"\$n\" -ge 4 ]"
check "(d) the old proxy instance exits once its tunnel ended" \
    wait_for 15 gone "$PROXY_OLD"
check "(d) the old ssh instance exits once its stream ended" \
    wait_for 15 gone "$SSH_OLD"
check "(d) ... reaped as drained, not as a crash" \
    sh -c "grep -q 'role proxy (old pid $PROXY_OLD) drained' '$tmp/broker.log' &&
    grep -q 'role ssh (old pid $SSH_OLD) drained' '$tmp/broker.log'"
check "(d) ... and no restart was scheduled" sh -c "! grep -q 'restarts in' '$tmp/broker.log'"
check "(d) the new instances run on" sh -c "kill -0 $PROXY_NEW && kill -0 $SSH_NEW"

# --- (c) a port another process holds: the whole reload is refused
"$PYTHON3" -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
print("held", flush=True)
time.sleep(120)' $TAKEN >"$tmp/taken.out" 2>&1 &
TAKER=$!
SPIDS="$SPIDS $TAKER"
wait_for 5 grep -q held "$tmp/taken.out"
CONF_SUFFIX=other.test conf \
    "  proxy: [\"127.0.0.1:$P1\", \"127.0.0.1:$P3\", \"127.0.0.1:$P5\", \"127.0.0.1:$TAKEN\"]" \
    "  ssh: [\"127.0.0.1:$S1\"]" "" "{program: $PROXY, args: [--again]}"
hup
check "(c) a listener on a taken port refuses the reload, with address and reason" \
    logged "SIGHUP: listen.proxy 127.0.0.1:$TAKEN: bind: Address already in use; the running configuration is kept"
check "(c) the port bound before it was closed again ($P5)" refuses $P5
check "(c) the proxy role was not replaced" \
    sh -c "[ '$(role_pid proxy)' = '$PROXY_NEW' ] && kill -0 $PROXY_NEW"
check "(c) the ssh role was not replaced and kept $S2" \
    sh -c "[ '$(role_pid ssh)' = '$SSH_NEW' ] && ! grep -q 'listener ssh 127.0.0.1:$S2 removed' '$tmp/broker.log'"
check "(c) old listener $P1 works, with the old dns_suffix" \
    has "$(get $P1 /c1)" "^lab-A GET /c1"
check "(c) old listener $P3 works" has "$(get $P3 /c3)" "^lab-A GET /c3"
out=$($S -p $S2 -W vnf-a:7000 jump </dev/null 2>&1)
check "(c) old listener $S2 works" has "$out" "^lab-A"
kill "$TAKER" 2>/dev/null

CONF_USER=vbr-nosuchuser conf "  proxy: [\"127.0.0.1:$P1\", \"127.0.0.1:$P3\"]" \
    "  ssh: [\"127.0.0.1:$S1\", \"127.0.0.1:$S2\"]" "" \
    "{program: $PROXY, args: [--reloaded]}"
hup
check "(c) an unknown user refuses the reload" \
    logged "SIGHUP: user \"vbr-nosuchuser\" does not exist; the running configuration is kept"
check "(c) ... and nothing was replaced" \
    sh -c "[ '$(role_pid proxy)' = '$PROXY_NEW' ] && [ '$(role_pid ssh)' = '$SSH_NEW' ]"

# --- (e) the proxy role disabled, then enabled again
CONF_STATE=$tmp/state2 conf "" "  ssh: [\"127.0.0.1:$S1\", \"127.0.0.1:$S2\"]" "" \
    "{program: $PROXY, args: [--reloaded], enabled: false}"
hup
check "(e) disabling: the proxy role is stopped" \
    logged "SIGHUP: role proxy stopped (disabled); old pid $PROXY_NEW serves what it has open"
check "(e) ... its instance exits" wait_for 15 gone "$PROXY_NEW"
check "(e) ... its port $P1 is closed" wait_for 5 refuses $P1
check "(e) ... state_dir's change is reported as needing a restart" \
    logged "SIGHUP: state_dir changed ($tmp/state to $tmp/state2): needs a restart"
check "(e) ... and not acted on" test ! -e "$tmp/state2"
check "(e) the ssh role was left alone" \
    sh -c "[ '$(role_pid ssh)' = '$SSH_NEW' ] && kill -0 $SSH_NEW"
sleep 3
check "(e) the disabled role is not restarted" \
    sh -c "[ \$(grep -c 'role proxy started' '$tmp/broker.log') -eq 2 ] && ! grep -q 'restarts in' '$tmp/broker.log'"
conf "  proxy: [\"127.0.0.1:$P1\"]" "  ssh: [\"127.0.0.1:$S1\", \"127.0.0.1:$S2\"]"
hup
check "(e) enabling: the proxy role starts" logged "SIGHUP: role proxy started (enabled)"
wait_for 10 sh -c "[ \$(grep -c 'role proxy started, pid' '$tmp/broker.log') -ge 3 ]"
PROXY_3=$(role_pid proxy)
check "(e) ... with a new pid ($PROXY_3)" \
    sh -c "[ '$PROXY_3' != '$PROXY_NEW' ] && kill -0 $PROXY_3"
check "(e) ... serving $P1 again" wait_for 5 sh -c "curl -s --max-time 3 -x http://127.0.0.1:$P1 -U ops:secret http://vnf-a.vnf.test:8080/e | grep -q '^lab-A GET /e'"

# --- (b) an ssh port removed while the old instance still serves a stream
rm -f "$tmp/go3"
{ while [ ! -e "$tmp/go3" ]; do sleep 0.05; done; echo ping; } |
    $S -p $S1 -W vnf-a:7000 jump >"$tmp/sshw3.out" 2>&1 &
SSHW3=$!
SPIDS="$SPIDS $SSHW3"
wait_for 10 grep -q "^lab-A" "$tmp/sshw3.out"
SSH_B=$(role_pid ssh)
conf "  proxy: [\"127.0.0.1:$P1\"]" "  ssh: [\"127.0.0.1:$S1\"]"
hup
check "(b) ssh $S2 removed: the ssh role is replaced" \
    logged "SIGHUP: listener ssh 127.0.0.1:$S2 removed"
check "(b) ... port $S2 refuses at once, though its old instance still serves" \
    sh -c "i=0; while [ \$i -lt 50 ]; do
        ssh -F '$tmp/ssh_config' -o ConnectTimeout=2 -p $S2 -W vnf-a:7000 \
            jump </dev/null 2>&1 | grep -q 'Connection refused' && exit 0
        sleep 0.1; i=\$((i + 1)); done; exit 1"
check "(b) ... and the old instance does serve the stream still" alive "$SSH_B"
touch "$tmp/go3"
wait "$SSHW3"
check "(b) ... which ends intact" \
    sh -c "grep -q '^ping' '$tmp/sshw3.out' && grep -q '^bye' '$tmp/sshw3.out'"

# --- (f) an instance that ignores SIGTERM is killed after the drain bound
# A stand-in engine role that never stops by itself.
cat >"$tmp/stuck.sh" <<'EOF'
#!/bin/sh
trap '' TERM
while :; do sleep 1; done
EOF
chmod 755 "$tmp/stuck.sh"
CONF_DRAIN=2	# so that the stuck instance's deadline comes in 17 s
conf "  proxy: [\"127.0.0.1:$P1\"]" "  ssh: [\"127.0.0.1:$S1\", \"127.0.0.1:$S2\"]" \
    "" "{program: $PROXY}"
sed -i "s|^  ssh: {program: $SSHROLE}|&\n  engine: {program: $tmp/stuck.sh}|" \
    "$tmp/broker.yaml"
hup
check "(f) a role enabled with its program" logged "SIGHUP: role engine started (enabled)"
wait_for 10 sh -c "grep -q 'role engine started, pid' '$tmp/broker.log'"
STUCK=$(role_pid engine)
sed -i "s|  engine: {program: $tmp/stuck.sh}|  engine: {program: $tmp/stuck.sh, args: [x]}|" \
    "$tmp/broker.yaml"
hup
check "(f) replaced; the old instance ignores SIGTERM" \
    sh -c "grep -q 'role engine replaced (args changed); old pid $STUCK serves what it has open' '$tmp/broker.log' && sleep 2 && kill -0 $STUCK"
check "(f) ... and is killed 15 s after its drain_timeout (2 s)" \
    wait_for 30 logged "role engine (old pid $STUCK) still runs 17 s after it was replaced; killing it"
check "(f) ... reaped" wait_for 5 gone "$STUCK"
STUCK2=$(role_pid engine)
check "(f) the proxy role served on meanwhile" \
    has "$(get $P1 /f)" "^lab-A GET /f"

# --- SIGTERM ends every instance, a draining one too
CONF_DRAIN=
rm -f "$tmp/go"
"$PYTHON3" "$tmp/tunnel.py" $P1 "$tmp/go" >"$tmp/tunnel2.out" 2>&1 &
TUN=$!
SPIDS="$SPIDS $TUN"
wait_for 10 grep -q "^banner" "$tmp/tunnel2.out"
conf "  proxy: [\"127.0.0.1:$P1\"]" "  ssh: [\"127.0.0.1:$S1\", \"127.0.0.1:$S2\"]" \
    "" "{program: $PROXY, args: [--third]}"
hup
wait_for 10 sh -c "[ \$(grep -c 'role proxy started, pid' '$tmp/broker.log') -ge 4 ]"
PROXY_4=$(role_pid proxy)
check "a replaced instance drains a tunnel (old pid $PROXY_3, new $PROXY_4)" \
    sh -c "kill -0 $PROXY_3 && kill -0 $PROXY_4 && [ $PROXY_3 != $PROXY_4 ]"
kill -TERM "$BPID"
wait "$BPID"
rc=$?
BPID=
check "SIGTERM: vnf-brokerd exits 0" [ "$rc" -eq 0 ]
check "... and no role instance is left, the draining ones included" \
    sh -c "! kill -0 $PROXY_3 2>/dev/null && ! kill -0 $PROXY_4 2>/dev/null && ! kill -0 $SSH_NEW 2>/dev/null && ! kill -0 $STUCK2 2>/dev/null"
touch "$tmp/go"
wait "$TUN"
check "no sanitizer or fatal report in the log" \
    sh -c "! grep -q 'ERROR: AddressSanitizer\|runtime error:\|fatal:' '$tmp/broker.log'"
finish
