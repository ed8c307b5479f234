# A lab for the jump host (sourced by tests/integration/ssh-*.sh and
# tests/bench/ssh-bench.sh; not a test itself).
#
# Two guest networks with the same CIDR, vbs-na and vbs-nb (the broker at
# 198.18.5.2 in each), each leading by a broker-made veth to a lab
# namespace (vbs-la, vbs-lb) where 198.18.5.10 runs an OpenSSH sshd (port
# 22 on every address of the lab, SetEnv LAB=lab-a or lab-b), a name server on 7000 and an echo
# server on 7002.  vnf-brokerd runs with only the ssh role, listening on
# 127.0.0.1:$LAB_PORT, audit lines in $tmp/audit.log.  Every name starts
# with vbs; lab_cleanup removes everything and ends only our processes.
#
# Needs: $tmp (a fresh directory), lib/common.sh sourced.

: "${LAB_PORT:=42201}"
: "${VNF_BROKERD:=$top_builddir/broker/vnf-brokerd}"
SSH_ROLE=$top_builddir/broker/vnf-broker-ssh
NAME_SERVER=$top_srcdir/tests/integration/lib/name-server.py
LAB_PIDS=
BPID=

lab_need() {
	# The ssh tests and ssh-bench share the lab's names and ports.
	TEST_LOCK=ssh-lab need_root
	for b in ssh sshd ssh-keygen scp sftp openssl "$PYTHON3"; do
		command -v "$b" >/dev/null 2>&1 ||
		    { echo "SKIP: $b is not installed"; exit 77; }
	done
	[ -x "$SSH_ROLE" ] || { echo "SKIP: $SSH_ROLE not built"; exit 77; }
	[ -x "$VNF_BROKERD" ] || { echo "SKIP: $VNF_BROKERD not built"; exit 77; }
	[ -x /usr/lib/openssh/sftp-server ] ||
	    { echo "SKIP: no /usr/lib/openssh/sftp-server"; exit 77; }
}

lab_cleanup() {
	if [ -n "$BPID" ]; then
		kill -TERM "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	fi
	BPID=
	for p in $LAB_PIDS; do kill "$p" 2>/dev/null; done
	for p in $LAB_PIDS; do wait "$p" 2>/dev/null; done
	LAB_PIDS=
	for ns in vbs-na vbs-nb vbs-la vbs-lb; do
		ip netns del "$ns" 2>/dev/null
	done
}

# A small echo server: reads until EOF, then answers "got N bytes: DATA".
lab_echo_server() {
	cat >"$tmp/echo.py" <<'EOP'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
s.settimeout(1.0)
end = time.monotonic() + float(sys.argv[3])
print("listening", flush=True)
while time.monotonic() < end:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    c.settimeout(10)
    data = b""
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            data += b
        c.sendall(b"got %d bytes: %s" % (len(data), data[:64]))
    except OSError:
        pass
    c.close()
EOP
}

# Keys: one per user of the broker, the lab's login key, a user CA; a
# key with a passphrase (a client that waits in authentication for as
# long as its askpass does); pwuser's password and its hash.
LAB_PASSWORD_TEXT='correct horse battery staple'
lab_keys() {
	for k in ops limited restricted nofwd expired fromonly stranger \
	    stranger2 stranger3 certuser lab ca; do
		ssh-keygen -q -t ed25519 -N '' -C "$k@vbs" -f "$tmp/$k" || return 1
	done
	ssh-keygen -q -t ed25519 -N 'slow pass' -C "slow@vbs" -f "$tmp/slow" ||
	    return 1
	ssh-keygen -q -t rsa -b 3072 -N '' -C "rsa@vbs" -f "$tmp/rsauser"
	openssl passwd -6 "$LAB_PASSWORD_TEXT" >"$tmp/pwhash" || return 1
}

pub() { cut -d' ' -f1,2 "$tmp/$1.pub"; }

lab_broker_config() {
	cat >"$tmp/broker.yaml" <<EOC
user: nobody
state_dir: $tmp/state
run_dir: $tmp/run
log: {level: ${LAB_LOG_LEVEL:-info}}
audit_log: $tmp/audit.log
dns_suffix: vnf.test
listen:
  ssh: ["127.0.0.1:$LAB_PORT"]
roles:
  ssh:
    program: $SSH_ROLE
ssh:
  login_grace_time: ${LAB_GRACE:-10}
  max_auth_tries: ${LAB_AUTH_TRIES:-4}
  max_channels_per_session: ${LAB_MAX_CHANNELS:-16}
  max_sessions_per_user: ${LAB_MAX_SESSIONS:-1000}
  max_startups: ${LAB_MAX_STARTUPS:-100}
  max_startups_per_source: ${LAB_MAX_STARTUPS_SOURCE:-${LAB_MAX_STARTUPS:-100}}
  keepalive_interval: ${LAB_KEEPALIVE:-15}
  keepalive_count_max: ${LAB_KEEPALIVE_MAX:-3}
  idle_timeout: ${LAB_IDLE:-3600}
  session_timeout: ${LAB_SESSION_TIMEOUT:-86400}
  connect_timeout: ${LAB_CONNECT_TIMEOUT:-10}
  console: ${LAB_CONSOLE:-false}
  password_authentication: ${LAB_PASSWORD:-false}
  trusted_user_ca_keys: ["$(pub ca) user-ca"]
appliances:
  - {name: vnf-a, network: vbs-na, address: 198.18.5.10, ports: [${LAB_PORTS_A:-22, 7000, 7001, 7002}]}
  - {name: vnf-b, network: vbs-nb, address: 198.18.5.10, ports: [22, 7000, 7002]}
users:
  - name: ops
    ssh_authorized_keys: ["$(pub ops) ops", "$(pub rsauser) rsa", "$(pub slow) slow"]
    grants: [{appliances: [vnf-a, vnf-b]}, {networks: [vbs-nb], ports: [7000]}]
  - name: pwuser
    ssh_password_hash: '$(cat "$tmp/pwhash")'
    grants: [{appliances: [vnf-a]}]
  - name: limited
    ssh_authorized_keys: ["$(pub limited)"]
    grants: [{appliances: [vnf-a]}]
  - name: restricted
    ssh_authorized_keys: ['restrict,port-forwarding,permitopen="vnf-a:22" $(pub restricted)']
    grants: [{appliances: ["*"]}]
  - name: nofwd
    ssh_authorized_keys: ["no-port-forwarding $(pub nofwd)"]
    grants: [{appliances: ["*"]}]
  - name: expired
    ssh_authorized_keys: ['expiry-time="20200101" $(pub expired)']
    grants: [{appliances: ["*"]}]
  - name: fromonly
    ssh_authorized_keys: ['from="198.18.9.9,!127.0.0.1" $(pub fromonly)']
    grants: [{appliances: ["*"]}]
  - name: certuser
    grants: [{appliances: [vnf-a]}]
networks:
  - name: vbs-na
    veth: {peer: vbs-pa, peer_netns: vbs-la}
    addresses: [198.18.5.2/24]
  - name: vbs-nb
    veth: {peer: vbs-pb, peer_netns: vbs-lb}
    addresses: [198.18.5.2/24]
EOC
}

lab_client_config() {
	cat >"$tmp/ssh_config" <<EOC
Host *
  UserKnownHostsFile $tmp/known_hosts
  StrictHostKeyChecking no
  BatchMode yes
  IdentitiesOnly yes
  ConnectTimeout 10
  ServerAliveInterval 0
Host jump-*
  HostName 127.0.0.1
  Port $LAB_PORT
Host jump-ops
  User ops
  IdentityFile $tmp/ops
Host jump-rsa
  User ops
  IdentityFile $tmp/rsauser
Host jump-limited
  User limited
  IdentityFile $tmp/limited
Host jump-restricted
  User restricted
  IdentityFile $tmp/restricted
Host jump-nofwd
  User nofwd
  IdentityFile $tmp/nofwd
Host jump-expired
  User expired
  IdentityFile $tmp/expired
Host jump-fromonly
  User fromonly
  IdentityFile $tmp/fromonly
Host jump-stranger
  User ops
  IdentityFile $tmp/stranger
Host jump-strangers
  User ops
  IdentityFile $tmp/stranger
  IdentityFile $tmp/stranger2
  IdentityFile $tmp/stranger3
Host jump-slow
  User ops
  IdentityFile $tmp/slow
Host jump-pw
  User pwuser
  PubkeyAuthentication no
  PreferredAuthentications password
  NumberOfPasswordPrompts 6
Host jump-cert
  User certuser
  IdentityFile $tmp/certuser
Host vnf-* 198.18.* localhost
  User root
  IdentityFile $tmp/lab
EOC
}

# An OpenSSH sshd in lab namespace $1 with LAB=$2.
lab_sshd() {
	ns=$1 name=$2
	mkdir -p /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey-$name"
	cat >"$tmp/sshd-$name.conf" <<EOC
ListenAddress 0.0.0.0:22
HostKey $tmp/hostkey-$name
PidFile none
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
AuthorizedKeysFile $tmp/lab_authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding yes
SetEnv LAB=$name
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel ERROR
EOC
	ip netns exec "$ns" /usr/sbin/sshd -D -e -f "$tmp/sshd-$name.conf" \
	    >"$tmp/sshd-$name.log" 2>&1 &
	LAB_PIDS="$LAB_PIDS $!"
}

lab_start_broker() {
	: >"$tmp/broker.log"
	"$VNF_BROKERD" -c "$tmp/broker.yaml" >>"$tmp/broker.log" 2>&1 &
	BPID=$!
	wait_for 30 grep -q "ready:" "$tmp/broker.log"
}

# The broker made each lab's veth peer; give it the lab's address.
lab_peers_up() {
	for l in a b; do
		wait_for 10 ip -n "vbs-l$l" link show "vbs-p$l" >/dev/null 2>&1
		ip -n "vbs-l$l" addr add 198.18.5.10/24 dev "vbs-p$l"
		ip -n "vbs-l$l" link set "vbs-p$l" up
	done
}

# Restart the broker with the configuration the LAB_* variables now say
# (there is no reload); the labs' servers keep running.
lab_restart_broker() {
	if [ -n "$BPID" ]; then
		kill -TERM "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	fi
	BPID=
	lab_broker_config
	lab_start_broker || return 1
	wait_for 10 grep -q "jump host ready" "$tmp/broker.log" || return 1
	lab_peers_up
}

lab_up() {
	mkdir -p "$tmp"
	chmod 755 "$tmp"
	lab_keys >/dev/null || return 1
	cat "$tmp/lab.pub" >"$tmp/lab_authorized_keys"
	lab_broker_config
	lab_client_config
	lab_echo_server
	ip netns add vbs-la || return 1
	ip netns add vbs-lb || return 1
	ip -n vbs-la link set lo up
	ip -n vbs-lb link set lo up
	lab_start_broker || return 1
	lab_peers_up
	lab_sshd vbs-la lab-a
	lab_sshd vbs-lb lab-b
	for l in a b; do
		ip netns exec "vbs-l$l" "$PYTHON3" "$NAME_SERVER" 198.18.5.10 \
		    7000 "lab-$l" --seconds 900 >"$tmp/name-$l.out" 2>&1 &
		LAB_PIDS="$LAB_PIDS $!"
		ip netns exec "vbs-l$l" "$PYTHON3" "$tmp/echo.py" 198.18.5.10 \
		    7002 900 >"$tmp/echo-$l.out" 2>&1 &
		LAB_PIDS="$LAB_PIDS $!"
	done
	wait_for 20 grep -q listening "$tmp/name-a.out" &&
	    wait_for 20 grep -q listening "$tmp/name-b.out" &&
	    wait_for 20 grep -q listening "$tmp/echo-b.out" &&
	    wait_for 20 sh -c "ip netns exec vbs-la ss -ltnH 'sport = :22' | grep -q :22" &&
	    wait_for 20 sh -c "ip netns exec vbs-lb ss -ltnH 'sport = :22' | grep -q :22"
}
