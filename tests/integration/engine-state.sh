#!/bin/sh
# Integration: the registry and the state directory, end to end.
#
# A real vnf-brokerd (engine and proxy roles) with one network, appliance
# and user in broker.yaml.  Through the API's unix socket (curl): register
# a network (a veth into a lab namespace), a provider, an appliance and a
# user; list, get, replace, delete; bad input (unknown field, wrong type,
# a provider with a YAML error, an unknown network, deleting what is in
# use or defined in broker.yaml).  A user added through the API uses the
# proxy at once, while a tunnel opened before the change stays up.  Then
# kill -9 of vnf-brokerd and a restart: everything registered is back
# (the network attached again).  A corrupt state file is reported with
# its position and skipped; SIGHUP reloads broker.yaml, and a broken one
# is reported and the running configuration kept.
. "$(dirname "$0")/lib/common.sh"
need_root
for b in curl openssl; do
	command -v "$b" >/dev/null 2>&1 || { echo "SKIP: no $b"; exit 77; }
done

BROKERD=$top_builddir/broker/vnf-brokerd
ENGINE=$top_builddir/broker/vnf-broker-engine
PROXY=$top_builddir/broker/vnf-broker-proxy
SSHR=$top_builddir/broker/vnf-broker-ssh
S=24222		# jump host listener
[ -x "$ENGINE" ] || { echo "SKIP: no engine role built"; exit 77; }
P=24280		# proxy listener
tmp=$(mktemp -d /tmp/ves-state.XXXXXX)
chmod 755 "$tmp"
BPID=
SPIDS=

cleanup() {
	if [ "$T_FAIL" -gt 0 ]; then
		echo "--- broker log (last 60 lines)"
		tail -60 "$tmp/broker.log" 2>/dev/null
	fi
	[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	for p in $SPIDS; do kill "$p" 2>/dev/null; done
	[ -n "${SSHPID:-}" ] && kill "$SSHPID" 2>/dev/null
	for ns in ves-n1 ves-cn ves-l1 ves-lc; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

ssh-keygen -q -t ed25519 -N '' -f "$tmp/id" >/dev/null
KEY=$(cat "$tmp/id.pub")
HASH=$(openssl passwd -6 secret)
HASH2=$(openssl passwd -6 other)


# tunnel.py PORT USER:PASS TARGET GOFILE: CONNECT, print the banner, wait
# for GOFILE ("-": do not wait), send "ping", half-close, print the rest.
cat >"$tmp/tunnel.py" <<'EOF'
import base64, os, socket, sys, time
port, cred, target, go = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
auth = base64.b64encode(cred.encode()).decode()
s = socket.create_connection(("127.0.0.1", port), timeout=20)
s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: Basic %s"
           "\r\n\r\n" % (target, target, auth)).encode())
buf = b""
while b"\r\n\r\n" not in buf or not buf.endswith(b"\n") or buf.count(b"\n") < 3:
    d = s.recv(4096)
    if not d:
        break
    buf += d
print("head", buf.split(b"\r\n")[0].decode(), flush=True)
if b"\r\n\r\n" in buf:
    print("banner", buf.split(b"\r\n\r\n", 1)[1].decode().strip(), flush=True)
while go != "-" and not os.path.exists(go):
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

ip netns add ves-l1
ip netns add ves-lc
ip -n ves-l1 link set lo up
ip -n ves-lc link set lo up

write_conf() {
	cat >"$tmp/broker.yaml" <<EOC
user: nobody
state_dir: $tmp/state
run_dir: $tmp/run
log: {level: debug}
restart_backoff_max: 2
audit_log: $tmp/audit.log
listen:
  proxy: ["127.0.0.1:$P"]
  ssh: ["127.0.0.1:$S"]
roles:
  proxy: {program: $PROXY}
  engine: {program: $ENGINE}
  ssh: {program: $SSHR}
networks:
  - name: ves-cn
    veth: {peer: ves-pc, peer_netns: ves-lc}
    addresses: [198.19.2.2/24]
appliances:
  - {name: cfg-app, network: ves-cn, address: 198.19.2.10, ports: [7000]}
users:
  - name: ops
    proxy_password_hash: "$HASH"
    ssh_authorized_keys: ["$KEY"]
    grants: [{appliances: [cfg-app]}]
$1
EOC
}
write_conf ""

start_broker() {
	"$BROKERD" -c "$tmp/broker.yaml" >>"$tmp/broker.log" 2>&1 &
	BPID=$!
	wait_for 20 test -S "$tmp/run/api.sock" &&
	    wait_for 20 sh -c "curl -s --unix-socket $tmp/run/api.sock \
	    http://x/v1/health | grep -q status"
}

# api METHOD PATH [curl args...]: prints the body, then the status.
api() {
	m=$1; p=$2; shift 2
	curl -sS --max-time 20 --unix-socket "$tmp/run/api.sock" -X "$m" \
	    -w '\n%{http_code}' "$@" "http://x$p"
}
status() { printf '%s' "$1" | tail -n 1; }
body() { printf '%s' "$1" | sed '$d'; }
jq_() { printf '%s' "$1" | sed '$d' | "$PYTHON3" -c "import json,sys
d=json.load(sys.stdin)
print(eval(sys.argv[1]))" "$2"; }
is() { [ "$1" = "$2" ] || { echo "# got \"$1\", want \"$2\""; return 1; }; }
has() { printf '%s' "$1" | grep -q -- "$2"; }
J='-H Content-Type:application/json'

: >"$tmp/broker.log"
start_broker || { not_ok "broker starts"; finish; exit 1; }
ok "broker starts with the engine and proxy roles"

# --- the lab behind the broker.yaml network
wait_for 5 ip -n ves-lc link show ves-pc >/dev/null 2>&1
ip -n ves-lc addr add 198.19.2.10/24 dev ves-pc
ip -n ves-lc link set ves-pc up
ip netns exec ves-lc "$PYTHON3" "$ECHO" 198.19.2.10 lab-C --bye \
    >"$tmp/lab-c.out" 2>&1 &
SPIDS="$SPIDS $!"

# --- networks
r=$(api PUT /v1/networks/ves-n1 $J -d '{"veth": {"peer": "ves-p1",
    "peer_netns": "ves-l1"}, "addresses": ["198.19.1.2/24"]}')
check "PUT a network: 201" is "$(status "$r")" 201
check "the namespace exists" sh -c "ip netns list | grep -qw ves-n1"
check "the state file is 0600" is "$(stat -c %a \
    "$tmp/state/networks/ves-n1.json" 2>&1)" 600
check "its directory is 0700" is "$(stat -c %a "$tmp/state/networks")" 700
r=$(api GET /v1/networks/ves-n1)
check "GET the network: attached" is "$(jq_ "$r" 'd["state"]')" attached
r=$(api PUT /v1/networks/ves-n1 $J -d '{"veth": {"peer": "ves-p1",
    "peer_netns": "ves-l1"}, "addresses": ["198.19.1.2/24"]}')
check "PUT of the same network again: 200" is "$(status "$r")" 200
r=$(api GET /v1/networks)
check "list: both networks with their origin" is "$(jq_ "$r" \
    'sorted((n["name"], n["origin"]) for n in d["networks"])')" \
    "[('ves-cn', 'config'), ('ves-n1', 'state')]"
r=$(api PUT /v1/networks/ves-cn $J -d '{"veth": {"peer": "x"},
    "addresses": ["198.19.3.2/24"]}')
check "PUT over a broker.yaml network: 409 defined_in_config" \
    is "$(status "$r") $(jq_ "$r" 'd["error"]')" "409 defined_in_config"
r=$(api PUT /v1/networks/ves-bad $J -d '{"veth": {"peer": "ves-pbad"},
    "addresses": ["198.19.3.2/24"], "gateway": "10.0.0.1"}')
check "a network the parser refuses: 422 with the parser's words" \
    sh -c "[ '$(status "$r")' = 422 ] && printf '%s' '$(body "$r")' |
    grep -q 'outside every address'"
check "... and nothing was attached" sh -c "! ip netns list | grep -qw ves-bad"
# An attach that fails half-way: the namespace is made, then the veth
# cannot reach a peer namespace that does not exist.
r=$(api PUT /v1/networks/ves-half $J -d '{"veth": {"peer": "ves-ph",
    "peer_netns": "ves-nosuch"}, "addresses": ["198.19.4.2/24"]}')
check "an attach that fails half-way: an error naming the network" \
    sh -c "[ '$(status "$r")' -ge 400 ] && printf '%s' '$(body "$r")' |
    grep -q 'ves-half'"
check "... rolled back: no namespace left" \
    sh -c "! ip netns list | grep -qw ves-half"
check "... no state file written" test ! -e "$tmp/state/networks/ves-half.json"
r=$(api GET /v1/networks/ves-half)
check "... and the API does not know it (404)" is "$(status "$r")" 404
wait_for 5 ip -n ves-l1 link show ves-p1 >/dev/null 2>&1
ip -n ves-l1 addr add 198.19.1.10/24 dev ves-p1
ip -n ves-l1 link set ves-p1 up
ip netns exec ves-l1 "$PYTHON3" "$ECHO" 198.19.1.10 lab-1 --bye \
    >"$tmp/lab-1.out" 2>&1 &
SPIDS="$SPIDS $!"

# --- providers
r=$(api PUT /v1/providers/linux -H 'Content-Type: application/yaml' \
    --data-binary @"$top_srcdir/provider/dictionaries/linux-nftables.yaml")
check "PUT a provider (YAML): 201" is "$(status "$r")" 201
check "... answered with its summary" is "$(jq_ "$r" \
    'd["description"] != None and len(d["services"]) > 0')" True
printf 'name: broken\nconnections:\n  primary: {type: ssh\nservices: {}\n' \
    >"$tmp/broken.yaml"
r=$(api PUT /v1/providers/broken -H 'Content-Type: application/yaml' \
    --data-binary @"$tmp/broken.yaml")
check "a provider with a YAML error: 422 invalid_provider" \
    is "$(status "$r") $(jq_ "$r" 'd["error"]')" "422 invalid_provider"
check "... whose details give the line" is "$(jq_ "$r" \
    'd["details"][0]["line"] >= 3 and "message" in d["details"][0]')" True
r=$(api PUT /v1/providers/x2 $J -d '{}')
check "a provider as JSON: 415" is "$(status "$r")" 415
r=$(api GET /v1/providers/linux -H 'Accept: application/yaml')
check "GET a provider as YAML gives the text back" has "$r" \
    "^name: linux-nftables"

# --- appliances
r=$(api PUT /v1/appliances/app1 $J -d '{"network": "ves-n1", "address":
    "198.19.1.10", "ports": [7000, 22], "provider": "linux", "cs_data":
    {"username": "root", "password": "hunter2"}}')
check "PUT an appliance: 201" is "$(status "$r")" 201
check "... its password answered as ********" is "$(jq_ "$r" \
    'd["cs_data"]["password"] + " " + d["cs_data"]["username"]')" \
    "******** root"
check "... and kept in the 0600 state file" sh -c "grep -q hunter2 \
    '$tmp/state/appliances/app1.json' && [ \$(stat -c %a \
    '$tmp/state/appliances/app1.json') = 600 ]"
r=$(api GET /v1/appliances/app1)
check "GET never shows the password" sh -c "! printf '%s' '$r' |
    grep -q hunter2"
r=$(api PUT /v1/appliances/app1 $J -d "$(body "$r" | "$PYTHON3" -c '
import json, sys
d = json.load(sys.stdin)
d.pop("origin", None)
print(json.dumps(d))')")
check "PUT back what GET gave (masked password): 200" is "$(status "$r")" 200
check "... and the password in force is kept" grep -q hunter2 \
    "$tmp/state/appliances/app1.json"
r=$(api PUT /v1/appliances/app2 $J -d '{"network": "ves-n1", "address":
    "198.19.1.11", "ports": [22], "colour": "red", "ports2": 1}')
check "unknown fields: 400 invalid_field, each listed" \
    is "$(status "$r") $(jq_ "$r" 'sorted(x["field"] for x in d["details"])')" \
    "400 ['colour', 'ports2']"
r=$(api PUT /v1/appliances/app2 $J -d '{"network": "ves-n1", "address":
    "198.19.1.11", "ports": "22"}')
check "a wrong type: 400 naming the field" \
    is "$(status "$r") $(jq_ "$r" 'd["details"][0]["field"]')" "400 ports"
r=$(api PUT /v1/appliances/app2 $J -d '{"network": "nowhere", "address":
    "198.19.1.11", "ports": [22]}')
check "an unknown network: 422" is "$(status "$r")" 422
r=$(api PUT /v1/appliances/app2 $J -d '{"network": "ves-n1", "address":
    "198.19.1.11", "ports": [22], "provider": "nope"}')
check "an unknown provider: 422" is "$(status "$r")" 422
r=$(api PUT /v1/appliances/app2 $J -d '{"network": "ves-n1", "address":
    "not-an-ip", "ports": [22]}')
check "a bad address (the parser's check): 422" is "$(status "$r")" 422
r=$(api PUT /v1/appliances/app2 $J -d '{"network": ')
check "malformed JSON: 400 invalid_json" is "$(status "$r")" 400
r=$(api DELETE /v1/networks/ves-n1)
check "DELETE a network an appliance uses: 409 in_use" \
    is "$(status "$r") $(jq_ "$r" 'd["error"]')" "409 in_use"
r=$(api DELETE /v1/providers/linux)
check "DELETE a provider an appliance uses: 409 in_use" \
    is "$(status "$r")" 409
r=$(api DELETE /v1/appliances/cfg-app)
check "DELETE a broker.yaml appliance: 409 defined_in_config" \
    is "$(status "$r") $(jq_ "$r" 'd["error"]')" "409 defined_in_config"
r=$(api DELETE /v1/appliances/nothing)
check "DELETE an unknown appliance: 404" is "$(status "$r")" 404

# --- users: a new one can use the proxy at once; a live tunnel stays
wait_for 10 grep -q listening "$tmp/lab-c.out"
wait_for 10 grep -q listening "$tmp/lab-1.out"
"$PYTHON3" "$tmp/tunnel.py" $P ops:secret cfg-app:7000 "$tmp/go" \
    >"$tmp/tunnel.out" 2>&1 &
TPID=$!
SPIDS="$SPIDS $TPID"
wait_for 10 grep -q banner "$tmp/tunnel.out"
check "a tunnel is open before the change" grep -q "banner lab-C" \
    "$tmp/tunnel.out"
# ... and one through the jump host (ssh -W), fed by a fifo
mkfifo "$tmp/sshin"
ssh -p $S -i "$tmp/id" -o StrictHostKeyChecking=no -o BatchMode=yes \
    -o UserKnownHostsFile=/dev/null -W cfg-app:7000 ops@127.0.0.1 \
    <"$tmp/sshin" >"$tmp/ssh.out" 2>"$tmp/ssh.err" &
SSHPID=$!
exec 3>"$tmp/sshin"
wait_for 10 grep -q lab-C "$tmp/ssh.out"
check "an ssh -W tunnel is open before the change" grep -q lab-C \
    "$tmp/ssh.out"
out=$("$PYTHON3" "$tmp/tunnel.py" $P u2:other app1:7000 - 2>&1)
check "user u2 does not exist yet: 407" has "$out" "head HTTP/1.1 407"
r=$(api PUT /v1/users/u2 $J -d "{\"proxy_password_hash\": \"$HASH2\",
    \"grants\": [{\"appliances\": [\"app1\"]}]}")
check "PUT a user: 201" is "$(status "$r")" 201
check "... the hash answered as ********" is "$(jq_ "$r" \
    'd["proxy_password_hash"]')" "********"
out=$("$PYTHON3" "$tmp/tunnel.py" $P u2:other app1:7000 - 2>&1)
check "the new user reaches the registered appliance at once" \
    has "$out" "banner lab-1"
check "... through the registered network, echoing" has "$out" \
    "after ping|bye|"
touch "$tmp/go"
wait "$TPID"
check "the tunnel opened before the change still works" \
    grep -q "after ping|bye|" "$tmp/tunnel.out"
echo ping >&3
exec 3>&-
wait "$SSHPID"
SSHPID=
check "the ssh -W tunnel opened before the change still works" \
    sh -c "grep -q ping '$tmp/ssh.out' && grep -q bye '$tmp/ssh.out'"
r=$(api PUT /v1/users/u3 $J -d '{"grants": [{"appliances": ["ghost"]}]}')
check "a grant naming an unknown appliance: 422" is "$(status "$r")" 422
r=$(api GET /v1/users)
check "list users: no hash in clear" sh -c "! printf '%s' '$r' |
    grep -q '\\\$6\\\$'"

# --- kill -9, restart: everything is back
kill -9 "$BPID"
wait "$BPID" 2>/dev/null
BPID=
wait_for 15 sh -c "! test -S '$tmp/run/api.sock' || ! curl -s \
    --max-time 1 --unix-socket '$tmp/run/api.sock' http://x/v1/health \
    >/dev/null"
sleep 1
start_broker || not_ok "broker restarts after kill -9"
r=$(api GET /v1/networks/ves-n1)
check "after kill -9 and restart: the network is attached again" \
    is "$(jq_ "$r" 'd["state"]')" attached
r=$(api GET /v1/appliances/app1)
check "... the appliance is back" is "$(jq_ "$r" 'd["provider"]')" linux
r=$(api GET /v1/providers/linux)
check "... the provider is back" is "$(status "$r")" 200
r=$(api GET /v1/users/u2)
check "... the user is back" is "$(status "$r")" 200
# The broker made the veths anew: the labs' ends need their address.
lab_up() {
	wait_for 5 ip -n ves-l1 link show ves-p1 >/dev/null 2>&1
	wait_for 5 ip -n ves-lc link show ves-pc >/dev/null 2>&1
	ip -n ves-l1 addr add 198.19.1.10/24 dev ves-p1 2>/dev/null
	ip -n ves-l1 link set ves-p1 up 2>/dev/null
	ip -n ves-lc addr add 198.19.2.10/24 dev ves-pc 2>/dev/null
	ip -n ves-lc link set ves-pc up 2>/dev/null
}
lab_up
out=$("$PYTHON3" "$tmp/tunnel.py" $P u2:other app1:7000 - 2>&1)
check "... and the user reaches the appliance again" has "$out" \
    "banner lab-1"

# --- a corrupt state file is reported and skipped
printf '{"name": "bad", "network": "ves-n1",\n  "address": }\n' \
    >"$tmp/state/appliances/bad.json"
chmod 600 "$tmp/state/appliances/bad.json"
kill -TERM "$BPID"
wait "$BPID" 2>/dev/null
BPID=
start_broker || not_ok "broker restarts with a corrupt state file"
lab_up
check "the corrupt file is reported with its position" \
    grep -q "appliances/bad.json:2:[0-9]*: .*skipped" "$tmp/broker.log"
r=$(api GET /v1/appliances/bad)
check "... and skipped" is "$(status "$r")" 404
r=$(api GET /v1/appliances/app1)
check "... the others load" is "$(status "$r")" 200
rm -f "$tmp/state/appliances/bad.json"

# --- SIGHUP: broker.yaml reloaded; a broken one is kept out
write_conf "dns_suffix: vnf.test"
kill -HUP "$BPID"
wait_for 10 grep -q "reloaded" "$tmp/broker.log"
out=$("$PYTHON3" "$tmp/tunnel.py" $P ops:secret cfg-app.vnf.test:7000 - 2>&1)
check "SIGHUP: the new dns_suffix is in force" has "$out" "banner lab-C"
write_conf "bogus_key: 1"
kill -HUP "$BPID"
wait_for 10 grep -q "bogus_key" "$tmp/broker.log"
check "SIGHUP with errors: reported" grep -q "bogus_key" "$tmp/broker.log"
out=$("$PYTHON3" "$tmp/tunnel.py" $P ops:secret cfg-app.vnf.test:7000 - 2>&1)
check "... and the running configuration kept" has "$out" "banner lab-C"

# --- deletes
r=$(api DELETE /v1/appliances/app1)
check "DELETE the appliance: 204" is "$(status "$r")" 204
check "... its file is gone" test ! -e "$tmp/state/appliances/app1.json"
r=$(api GET /v1/appliances/app1)
check "... GET: 404" is "$(status "$r")" 404
r=$(api DELETE /v1/providers/linux)
check "DELETE the provider, now unused: 204" is "$(status "$r")" 204
r=$(api DELETE /v1/networks/ves-n1)
check "DELETE the network, now unused: 204" is "$(status "$r")" 204
check "... the namespace is gone" sh -c "! ip netns list | grep -qw ves-n1"
r=$(api DELETE /v1/users/u2)
check "DELETE the user: 204" is "$(status "$r")" 204
out=$("$PYTHON3" "$tmp/tunnel.py" $P u2:other app1:7000 - 2>&1)
check "... who can no longer use the proxy" has "$out" "head HTTP/1.1 407"
finish
