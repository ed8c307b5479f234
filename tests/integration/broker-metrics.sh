#!/bin/sh
# Integration: /metrics counts what the ssh and proxy roles carry.
#
# A real vnf-brokerd (engine, proxy and ssh roles) with one guest network
# (a veth into a lab namespace where a TCP echo answers).  Real clients:
# CONNECT tunnels through the proxy, refusals (a wrong password, a port
# not granted), an `ssh -W` tunnel through the jump host.  Each figure
# scraped from /metrics is compared with the audit log, which records
# every tunnel with its bytes: they must agree exactly.  A tunnel held
# open shows in the gauges, and leaves them when it ends.  kill -9 of the
# proxy role (with a tunnel open) and of the engine role: totals never go
# back, the dead instance's open tunnel leaves the gauge.
. "$(dirname "$0")/lib/common.sh"
need_root
for b in curl openssl ssh ssh-keygen; do
	command -v "$b" >/dev/null 2>&1 || { echo "SKIP: no $b"; exit 77; }
done

BROKERD=$top_builddir/broker/vnf-brokerd
ENGINE=$top_builddir/broker/vnf-broker-engine
PROXY=$top_builddir/broker/vnf-broker-proxy
SSHR=$top_builddir/broker/vnf-broker-ssh
[ -x "$ENGINE" ] || { echo "SKIP: no engine role built"; exit 77; }
P=24780		# proxy listener
S=24722		# jump host listener
tmp=$(mktemp -d /tmp/vbm-metrics.XXXXXX)
chmod 755 "$tmp"
BPID=
SPIDS=
SSHPID=

cleanup() {
	if [ "$T_FAIL" -gt 0 ]; then
		echo "--- broker log (last 60 lines)"
		tail -60 "$tmp/broker.log" 2>/dev/null
	fi
	[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	for p in $SPIDS $SSHPID; do kill "$p" 2>/dev/null; done
	for ns in vbm-cn vbm-lc; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

ssh-keygen -q -t ed25519 -N '' -f "$tmp/id" >/dev/null
KEY=$(cat "$tmp/id.pub")
HASH=$(openssl passwd -6 secret)


# tunnel.py PORT USER:PASS TARGET GOFILE SIZE: CONNECT, print the status
# line; when it is 200, wait for GOFILE ("-": do not), send SIZE bytes,
# half-close, and print how many bytes came back.
cat >"$tmp/tunnel.py" <<'EOF'
import base64, os, socket, sys, time
port, cred, target, go, size = sys.argv[1:6]
auth = base64.b64encode(cred.encode()).decode()
s = socket.create_connection(("127.0.0.1", int(port)), timeout=20)
s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: Basic %s"
           "\r\n\r\n" % (target, target, auth)).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    d = s.recv(4096)
    if not d:
        break
    buf += d
head = buf.split(b"\r\n")[0].decode()
print("head", head, flush=True)
if " 200 " not in head:
    sys.exit(0)
while go != "-" and not os.path.exists(go):
    time.sleep(0.05)
s.sendall(b"x" * int(size))
s.shutdown(socket.SHUT_WR)
got = len(buf.split(b"\r\n\r\n", 1)[1])
while True:
    d = s.recv(65536)
    if not d:
        break
    got += len(d)
print("got", got, flush=True)
EOF

# metric NAME LABELS: the value of one series of the last scrape.
scrape() {
	curl -sS --max-time 10 --unix-socket "$tmp/run/api.sock" \
	    http://x/metrics >"$tmp/metrics" 2>&1
}
metric() {
	awk -v k="vnf_broker_$1{$2}" '$1 == k { print $2 }' "$tmp/metrics"
}
# audit ROLE EVENT FIELD: the sum of FIELD over the audit lines of ROLE
# and EVENT (FIELD "n": how many lines).
audit() {
	"$PYTHON3" - "$tmp/audit.log" "$1" "$2" "$3" <<'EOF'
import json, sys
path, role, event, field = sys.argv[1:5]
n = 0
for line in open(path):
    r = json.loads(line)
    if r.get("role") != role or (event != "*" and r.get("event") != event):
        continue
    if field == "n":
        n += 1
    elif field.startswith("outcome="):
        n += r.get("outcome") == field[8:]
    else:
        n += r.get(field, 0)
print(n)
EOF
}
is() { [ "$1" = "$2" ] || { echo "# got \"$1\", want \"$2\""; return 1; }; }
# settled NAME LABELS VALUE: the series reaches VALUE within 10 s.
settled() {
	wait_for 10 sh -c "curl -sS --max-time 5 --unix-socket \
	    '$tmp/run/api.sock' http://x/metrics | awk -v k='vnf_broker_$1{$2}' \
	    -v v='$3' '\$1 == k && \$2 == v { f = 1 } END { exit !f }'"
}

ip netns add vbm-lc
ip -n vbm-lc link set lo up
cat >"$tmp/broker.yaml" <<EOC
user: nobody
state_dir: $tmp/state
run_dir: $tmp/run
log: {level: debug}
restart_backoff_max: 1
audit_log: $tmp/audit.log
listen:
  proxy: ["127.0.0.1:$P"]
  ssh: ["127.0.0.1:$S"]
roles:
  proxy: {program: $PROXY}
  engine: {program: $ENGINE}
  ssh: {program: $SSHR}
networks:
  - name: vbm-cn
    veth: {peer: vbm-pc, peer_netns: vbm-lc}
    addresses: [198.19.7.2/24]
appliances:
  - {name: lab, network: vbm-cn, address: 198.19.7.10, ports: [7000]}
users:
  - name: ops
    proxy_password_hash: "$HASH"
    ssh_authorized_keys: ["$KEY"]
    grants: [{appliances: [lab], ports: [7000]}]
EOC
"$BROKERD" -c "$tmp/broker.yaml" >"$tmp/broker.log" 2>&1 &
BPID=$!
wait_for 20 sh -c "curl -s --unix-socket $tmp/run/api.sock \
    http://x/v1/health 2>/dev/null | grep -q status"
check "the broker serves its API" scrape || { finish; exit 1; }
wait_for 5 ip -n vbm-lc link show vbm-pc >/dev/null 2>&1
ip -n vbm-lc addr add 198.19.7.10/24 dev vbm-pc
ip -n vbm-lc link set vbm-pc up
ip netns exec vbm-lc "$PYTHON3" "$ECHO" 198.19.7.10 lab --bye \
    >"$tmp/lab.out" 2>&1 &
SPIDS="$SPIDS $!"
wait_for 10 grep -q listening "$tmp/lab.out"

# --- before any client: every family, for both roles, at zero
scrape
for f in connections connections_total tunnels tunnels_total \
    denied_total errors_total; do
	check "$f is there for ssh and proxy, at 0" is \
	    "$(metric $f 'role="ssh"') $(metric $f 'role="proxy"')" "0 0"
done
check "tunnel_bytes_total by role and direction, at 0" is "$(metric \
    tunnel_bytes_total 'role="proxy",direction="up"') $(metric \
    tunnel_bytes_total 'role="ssh",direction="down"')" "0 0"
check "each family has its TYPE line" is "$(grep -c \
    '^# TYPE vnf_broker_\(connections\|tunnels\|denied\|errors\|tunnel_bytes\)' \
    "$tmp/metrics")" 7

# --- proxy: three tunnels, two refusals
for size in 1000 20000 300000; do
	"$PYTHON3" "$tmp/tunnel.py" $P ops:secret lab:7000 - $size \
	    >>"$tmp/t.out" 2>&1
done
"$PYTHON3" "$tmp/tunnel.py" $P ops:wrong lab:7000 - 1 >>"$tmp/t.out" 2>&1
"$PYTHON3" "$tmp/tunnel.py" $P ops:secret lab:22 - 1 >>"$tmp/t.out" 2>&1
check "three tunnels answered, two refusals (407, 403)" is "$(grep -c \
    'head HTTP/1.1 200' "$tmp/t.out") $(grep -c 'head HTTP/1.1 40[37]' \
    "$tmp/t.out")" "3 2"
settled connections 'role="proxy"' 0
scrape
check "proxy tunnels_total: 3" is "$(metric tunnels_total 'role="proxy"')" 3
check "... as many as the audit's proxy tunnels" is \
    "$(audit proxy tunnel 'outcome=allowed')" 3
check "proxy connections_total: 5" is \
    "$(metric connections_total 'role="proxy"')" 5
check "proxy denied_total: 2, as the audit says" is "$(metric denied_total \
    'role="proxy"') $(audit proxy '*' 'outcome=denied')" "2 2"
check "proxy bytes up: exactly the audit's sum (321000 sent)" is \
    "$(metric tunnel_bytes_total 'role="proxy",direction="up"')" \
    "$(audit proxy tunnel bytes_up)"
check "... which is what the clients sent" is \
    "$(audit proxy tunnel bytes_up)" 321000
check "proxy bytes down: exactly the audit's sum" is \
    "$(metric tunnel_bytes_total 'role="proxy",direction="down"')" \
    "$(audit proxy tunnel bytes_down)"
check "... which is what the clients got" is \
    "$(audit proxy tunnel bytes_down)" "$(awk '$1 == "got" { s += $2 }
    END { print s }' "$tmp/t.out")"
check "the ssh role counted nothing of it" is \
    "$(metric connections_total 'role="ssh"')" 0

# --- a tunnel held open shows in the gauges, and leaves them
"$PYTHON3" "$tmp/tunnel.py" $P ops:secret lab:7000 "$tmp/go" 10 \
    >"$tmp/held.out" 2>&1 &
HPID=$!
SPIDS="$SPIDS $HPID"
wait_for 10 grep -q 'head HTTP/1.1 200' "$tmp/held.out"
scrape
check "a held tunnel: tunnels 1, connections 1" is "$(metric tunnels \
    'role="proxy"') $(metric connections 'role="proxy"')" "1 1"
touch "$tmp/go"
wait "$HPID"
check "... and 0, 0 once it ended" settled tunnels 'role="proxy"' 0
scrape
check "... connections too" is "$(metric connections 'role="proxy"')" 0

# --- ssh -W through the jump host
mkfifo "$tmp/sshin"
ssh -p $S -i "$tmp/id" -o StrictHostKeyChecking=no -o BatchMode=yes \
    -o UserKnownHostsFile=/dev/null -W lab:7000 ops@127.0.0.1 \
    <"$tmp/sshin" >"$tmp/ssh.out" 2>"$tmp/ssh.err" &
SSHPID=$!
exec 3>"$tmp/sshin"
wait_for 10 grep -q lab "$tmp/ssh.out"
scrape
check "an ssh -W tunnel open: ssh tunnels 1, connections 1" is "$(metric \
    tunnels 'role="ssh"') $(metric connections 'role="ssh"')" "1 1"
echo ping >&3
exec 3>&-
wait "$SSHPID"
SSHPID=
check "the ssh session ended: ssh connections 0" settled connections \
    'role="ssh"' 0
scrape
check "ssh tunnels_total 1, as the audit says" is "$(metric tunnels_total \
    'role="ssh"') $(audit ssh tunnel n)" "1 1"
check "ssh bytes up: 5 (ping), the audit's figure" is "$(metric \
    tunnel_bytes_total 'role="ssh",direction="up"') $(audit ssh tunnel \
    bytes_up)" "5 5"
check "ssh bytes down: the audit's figure, what ssh printed" is "$(metric \
    tunnel_bytes_total 'role="ssh",direction="down"') $(audit ssh tunnel \
    bytes_down)" "$(wc -c <"$tmp/ssh.out" | tr -d ' ') $(wc -c \
    <"$tmp/ssh.out" | tr -d ' ')"
ssh -p $S -i "$tmp/id" -o StrictHostKeyChecking=no -o BatchMode=yes \
    -o UserKnownHostsFile=/dev/null -W lab:22 ops@127.0.0.1 \
    </dev/null >/dev/null 2>&1
scrape
check "a refused ssh -W counts in ssh denied_total" is "$(metric \
    denied_total 'role="ssh"') $(audit ssh '*' 'outcome=denied')" "1 1"

# --- kill -9 of the proxy role with a tunnel open
rm -f "$tmp/go"
"$PYTHON3" "$tmp/tunnel.py" $P ops:secret lab:7000 "$tmp/go" 10 \
    >"$tmp/held2.out" 2>&1 &
HPID=$!
SPIDS="$SPIDS $HPID"
wait_for 10 grep -q 'head HTTP/1.1 200' "$tmp/held2.out"
settled tunnels 'role="proxy"' 1
up_before=$(metric tunnel_bytes_total 'role="proxy",direction="up"')
old=$(broker_role_pid proxy)
check "the proxy role runs (pid $old)" test -n "$old"
kill -9 "$old"
new_proxy() { p=$(broker_role_pid proxy) && [ "$p" != "$old" ]; }
wait_for 10 new_proxy
check "the dead instance's tunnel left the gauge" settled tunnels \
    'role="proxy"' 0
scrape
check "... its totals stayed: 5 tunnels" is \
    "$(metric tunnels_total 'role="proxy"')" 5
check "... bytes did not go back" test \
    "$(metric tunnel_bytes_total 'role="proxy",direction="up"')" \
    -ge "$up_before"
touch "$tmp/go"
wait "$HPID" 2>/dev/null
"$PYTHON3" "$tmp/tunnel.py" $P ops:secret lab:7000 - 7 >"$tmp/t2.out" 2>&1
check "the new proxy instance serves" grep -q 'head HTTP/1.1 200' \
    "$tmp/t2.out"
scrape
check "... and counts on from the totals: 6" is \
    "$(metric tunnels_total 'role="proxy"')" 6

# --- kill -9 of the engine role: the counters are not the engine's
old=$(broker_role_pid engine)
kill -9 "$old"
wait_for 20 sh -c "curl -s --unix-socket $tmp/run/api.sock \
    http://x/v1/health 2>/dev/null | grep -q status"
scrape
check "a new engine reads the same totals (proxy 6, ssh 1)" is "$(metric \
    tunnels_total 'role="proxy"') $(metric tunnels_total 'role="ssh"')" \
    "6 1"

# --- the role families carry no label but role (and direction)
check "no other label on the role families" sh -c "! grep -E \
    '^vnf_broker_(connections|tunnels|denied|errors|tunnel_bytes)' \
    '$tmp/metrics' | grep -v -E '\\{role=\"(ssh|proxy)\"(,direction=\"(up|down)\")?\\} '"

finish
