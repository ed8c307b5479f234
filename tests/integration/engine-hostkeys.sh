#!/bin/sh
# Integration: the SSH host keys the engine trusts on first use are kept
# in the state directory.  A real vnf-brokerd (engine role), a real
# OpenSSH sshd in a lab namespace as the appliance, the control API on
# its unix socket with curl, and a dictionary whose health check runs a
# command over SSH.
#
#   vbk-nN (the broker's guest network, 198.18.53.1/24)
#        |  veth vbk-pN
#   vbk-lN (the lab: sshd on 198.18.53.10 and .11)
#
# Checked: the first connection records the key (GET .../hostkeys shows
# the fingerprint ssh-keygen -l prints; hostkeys/NAME.json is 0600); the
# key survives kill -9 of the engine role and of vnf-brokerd; sshd with
# a new host key is then refused, naming both fingerprints, after either
# restart; DELETE .../hostkeys forgets (the answer lists what, the file
# goes), and the next connection trusts the new key; a corrupt record is
# reported with its file and field at start and skipped; deleting an
# appliance deletes its record; vnf-brokerctl hostkeys lists and
# forgets.
#
# Root, curl, python3, sshd and ssh-keygen needed; skips (77) otherwise.
# Namespaces and links vbk*, TCP port 24950, 198.18.53.0/24.
. "$(dirname "$0")/lib/common.sh"
need_root
for b in curl "$PYTHON3" /usr/sbin/sshd ssh-keygen; do
	command -v "$b" >/dev/null 2>&1 || { echo "SKIP: no $b"; exit 77; }
done

BROKERD=$top_builddir/broker/vnf-brokerd
ENGINE=$top_builddir/broker/vnf-broker-engine
CTL=$top_builddir/broker/vnf-brokerctl
[ -x "$ENGINE" ] || { echo "FAIL: $ENGINE not built"; exit 1; }
sfx=$(( $$ % 10000 ))
NET=vbk-n$sfx
LAB=vbk-l$sfx
PEER=vbk-p$sfx
tmp=$(mktemp -d /tmp/vbk.XXXXXX) || exit 1
chmod 755 "$tmp"
BPID=
SSHD=

cleanup() {
	if [ "$T_FAIL" -gt 0 ]; then
		echo "--- broker log (last 60 lines)"
		tail -60 "$tmp/broker.log" 2>/dev/null
	fi
	[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	[ -n "$SSHD" ] && kill "$SSHD" 2>/dev/null && wait "$SSHD" 2>/dev/null
	ip netns del "$LAB" 2>/dev/null
	ip netns del "$NET" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

ssh-keygen -q -t ed25519 -N '' -C vbk-login -f "$tmp/login" &&
    ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostA" &&
    ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostB" ||
    { echo "FAIL: ssh-keygen"; exit 1; }
fp() { ssh-keygen -lf "$tmp/$1.pub" | awk '{ print $2 }'; }
FPA=$(fp hostA)
FPB=$(fp hostB)
cp "$tmp/login.pub" "$tmp/authorized_keys"
ip netns add "$LAB" && ip -n "$LAB" link set lo up ||
    { echo "FAIL: ip netns add"; exit 1; }

# sshd_start KEY: the appliance's sshd with host key KEY (hostA, hostB).
sshd_start() {
	if [ -n "$SSHD" ]; then
		kill "$SSHD" 2>/dev/null
		wait "$SSHD" 2>/dev/null
	fi
	mkdir -p /run/sshd
	cat >"$tmp/sshd.conf" <<EOC
ListenAddress 0.0.0.0:22
HostKey $tmp/$1
PidFile none
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
AuthorizedKeysFile $tmp/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
LogLevel ERROR
EOC
	ip netns exec "$LAB" /usr/sbin/sshd -D -e -f "$tmp/sshd.conf" \
	    2>>"$tmp/sshd.log" &
	SSHD=$!
	wait_for 10 sh -c "ip netns exec '$LAB' ss -ltnH 'sport = :22' | grep -q :22"
}

# The dictionary: one SSH connection, a health check that runs a command.
cat >"$tmp/vbk.yaml" <<'EOD'
name: vbk-ssh
description: a Linux box over SSH (engine-hostkeys.sh)
connections:
  primary:
    type: ssh
    host: "{{mgmt_ip}}"
    port: 22
    username: root
    private_key: "{{get_cs_data.ssh_key}}"
    timeout: 10
healthchecks:
  login:
    connection: primary
    command: "echo vbk-alive"
    expected_output: "vbk-alive"
    timeout: 10
services:
  System:
    data: {}
    uptime:
      get_data: []
      method: ssh
      commands:
        - "cat /proc/uptime"
EOD

{
	cat <<EOC
user: nobody
state_dir: $tmp/state
run_dir: $tmp/run
log: {level: info}
restart_backoff_max: 1
audit_log: $tmp/audit.log
roles:
  engine: {program: $ENGINE}
api:
  workers: 2
  wait: 30
networks:
  - name: $NET
    veth: {peer: $PEER, peer_netns: $LAB}
    addresses: [198.18.53.1/24]
appliances:
  - name: cfg-a
    network: $NET
    address: 198.18.53.10
    ports: [22]
    provider: vbk-ssh
    cs_data:
      ssh_key: |
EOC
	sed 's/^/        /' "$tmp/login"
} >"$tmp/broker.yaml"

. "$top_srcdir/tests/integration/lib/api.sh"
: >"$tmp/broker.log"
start_broker() { engine_broker_start 198.18.53.10/24 198.18.53.11/24; }
check "config check passes" "$BROKERD" -t -c "$tmp/broker.yaml"
sshd_start hostA || { not_ok "sshd starts"; cat "$tmp/sshd.log"; finish; exit 1; }
start_broker || { not_ok "broker starts"; finish; exit 1; }

SOCK=$tmp/run/api.sock
has() { grep -q -- "$1" "$tmp/body"; }
mode() { stat -c %a "$1" 2>/dev/null; }
REC=$tmp/state/hostkeys
enginepid() { broker_role_pid engine; }
# health NAME: run the checks now; the answer in $tmp/body.
health() { api POST "/v1/appliances/$1/health" '{"wait": 30}'; }

API_CT=application/yaml api PUT /v1/providers/vbk-ssh "$(cat "$tmp/vbk.yaml")"
check "PUT /v1/providers/vbk-ssh: created" [ "$ST" = 201 ] || show
KEYJSON=$("$PYTHON3" -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$tmp/login")
api PUT /v1/appliances/reg-b "{\"network\": \"$NET\",
    \"address\": \"198.18.53.11\", \"ports\": [22], \"provider\": \"vbk-ssh\",
    \"cs_data\": {\"ssh_key\": $KEYJSON}}"
check "PUT /v1/appliances/reg-b: created" [ "$ST" = 201 ] || show

# --- first use
api GET /v1/appliances/cfg-a/hostkeys
check "GET hostkeys before any connection: an empty list" \
    test "$ST $(b 'len(d["hostkeys"])')" = "200 0" || show
health cfg-a
check "health of cfg-a: healthy (first connection)" \
    is 'd["status"]' healthy || show
api GET /v1/appliances/cfg-a/hostkeys
check "GET hostkeys: the key ssh-keygen -l prints, by address and port" \
    is '[(k["address"], k["port"], k["fingerprint"]) for k in d["hostkeys"]]' \
    "[('198.18.53.10', 22, '$FPA')]" || show
check "hostkeys/cfg-a.json written, mode 0600 in a 0700 folder" \
    test "$(mode "$REC/cfg-a.json") $(mode "$REC")" = "600 700"
check "the record holds the fingerprint by HOST:PORT" \
    grep -q "\"198.18.53.10:22\": *\"$FPA\"" "$REC/cfg-a.json"
check "the log says the key was trusted on first use" \
    grep -q "new host key $FPA recorded (trust on first use)" "$tmp/broker.log"
health reg-b
check "health of reg-b (a registered appliance): healthy" \
    is 'd["status"]' healthy || show
check "hostkeys/reg-b.json written" grep -q "$FPA" "$REC/reg-b.json"

# --- kill -9 of the engine role: the key is still known
EPID=$(enginepid)
kill -9 "$EPID"
back() { p=$(enginepid); [ -n "$p" ] && [ "$p" != "$EPID" ] &&
    api GET /v1/appliances/cfg-a/hostkeys && [ "$ST" = 200 ]; }
check "the engine role comes back after kill -9" wait_for 20 back
check "GET hostkeys after kill -9 of the engine: still the key" \
    is '[k["fingerprint"] for k in d["hostkeys"]]' "['$FPA']" || show

# --- the appliance's key changes: refused, naming both keys
sshd_start hostB || not_ok "sshd restarts with another key"
health cfg-a
check "health with a changed host key: not healthy" \
    is 'd["status"] in ("degraded", "unreachable")' True || show
check "... the answer names the recorded and the new key" \
    has "host key changed: expected $FPA (recorded), got $FPB" || show
check "... and the log says how to forget the old key" \
    grep -qF "appliance cfg-a: 198.18.53.10:22 offers host key $FPB, not the recorded $FPA; refused.  If the appliance was reinstalled, check the new key on its console and forget the old one: vnf-brokerctl hostkeys cfg-a --forget" \
    "$tmp/broker.log"

# --- kill -9 of vnf-brokerd and a start: still refused
EPID=$(enginepid)
kill -9 "$BPID"
wait "$BPID" 2>/dev/null
BPID=
wait_for 40 sh -c "! kill -0 $EPID 2>/dev/null"
check "the engine role ends after its parent's kill -9" \
    sh -c "! kill -0 $EPID 2>/dev/null"
start_broker || not_ok "vnf-brokerd starts again after kill -9"
api GET /v1/appliances/reg-b/hostkeys
check "after a restart of vnf-brokerd: reg-b's key loaded" \
    is '[k["fingerprint"] for k in d["hostkeys"]]' "['$FPA']" || show
health cfg-a
check "after a restart of vnf-brokerd: the changed key still refused" \
    has "host key changed: expected $FPA (recorded), got $FPB" || show

# --- forget, then trust the new key
api DELETE /v1/appliances/cfg-a/hostkeys
check "DELETE hostkeys: 200, listing what was forgotten" \
    test "$ST $(b '[k["fingerprint"] for k in d["forgotten"]]')" = \
    "200 ['$FPA']" || show
check "... the record is gone" test ! -e "$REC/cfg-a.json"
check "... and only cfg-a's" test -e "$REC/reg-b.json"
api DELETE /v1/appliances/cfg-a/hostkeys
check "DELETE again: 200, nothing forgotten (idempotent)" \
    test "$ST $(b 'len(d["forgotten"])')" = "200 0" || show
health cfg-a
check "health after forgetting: healthy with the new key" \
    is 'd["status"]' healthy || show
check "... the new key recorded" grep -q "$FPB" "$REC/cfg-a.json"
api DELETE /v1/appliances/nosuch/hostkeys
check "DELETE hostkeys of an unknown appliance: 404" \
    test "$ST $(b 'd["error"]')" = "404 not_found" || show

# --- vnf-brokerctl
"$CTL" --socket "$SOCK" hostkeys cfg-a >"$tmp/ctl.out" 2>&1
check "vnf-brokerctl hostkeys: the address, port and fingerprint" \
    awk -v f="$FPB" '$1 == "198.18.53.10" && $2 == 22 && $3 == f { ok = 1 }
    END { exit !ok }' "$tmp/ctl.out" || cat "$tmp/ctl.out"
"$CTL" --socket "$SOCK" --json hostkeys cfg-a >"$tmp/ctl.json" 2>&1
check "vnf-brokerctl --json hostkeys: the API's answer" \
    grep -q "\"fingerprint\": *\"$FPB\"" "$tmp/ctl.json"
"$CTL" --socket "$SOCK" hostkeys cfg-a --forget >"$tmp/ctl.out" 2>&1
check "vnf-brokerctl hostkeys --forget: says what it forgot" \
    grep -q "forgot 198.18.53.10:22 $FPB" "$tmp/ctl.out" || cat "$tmp/ctl.out"
check "... and the record is gone" test ! -e "$REC/cfg-a.json"
"$CTL" --socket "$SOCK" hostkeys nosuch >"$tmp/ctl.out" 2>&1
check "vnf-brokerctl hostkeys of an unknown appliance: exit 1 with the reason" \
    test "$?:$(grep -c 'no appliance "nosuch"' "$tmp/ctl.out")" = 1:1

# --- a corrupt record is reported and skipped at start
kill -TERM "$BPID"
wait "$BPID" 2>/dev/null
BPID=
printf '{"name": "cfg-a", "keys": {"198.18.53.10:22": "MD5:aa:bb"}}\n' \
    >"$REC/cfg-a.json"
chmod 600 "$REC/cfg-a.json"
start_broker || not_ok "vnf-brokerd starts with a corrupt record"
check "the corrupt record is reported with its file and field" \
    grep -q 'hostkeys/cfg-a.json: keys.198.18.53.10:22: expected a SHA256' \
    "$tmp/broker.log"
api GET /v1/appliances/cfg-a/hostkeys
check "... and skipped (no key for cfg-a)" \
    test "$ST $(b 'len(d["hostkeys"])')" = "200 0" || show
api GET /v1/appliances/reg-b/hostkeys
check "... while reg-b's is loaded" \
    is '[k["fingerprint"] for k in d["hostkeys"]]' "['$FPA']" || show

# --- deleting an appliance deletes its record
api DELETE /v1/appliances/reg-b
check "DELETE /v1/appliances/reg-b: 204" [ "$ST" = 204 ] || show
check "... its host key record is gone" test ! -e "$REC/reg-b.json"
check "... and the log says so" \
    grep -q "hostkey reg-b deleted with its appliance" "$tmp/broker.log"

check "no fingerprint-less or secret line in the log" \
    sh -c "! grep -q 'BEGIN OPENSSH PRIVATE KEY' '$tmp/broker.log'"
finish
