#!/bin/sh
# Integration: the jump host's limits and timers, its read-only console
# and password logins, with stock OpenSSH clients (see ssh-lab.sh).
#
# Part 1 (small pre-authentication limits and timers): max_startups_per_source,
# max_startups (clients that wait in authentication: a key with a
# passphrase whose askpass sleeps), login_grace_time, max_auth_tries,
# idle_timeout, session_timeout; password logins off.
# Part 2: max_sessions_per_user, max_channels_per_session, keepalives (a
# stopped client is dropped, a live one is not), the console (with and
# without a PTY, grants enforced, exec refused), password logins.
# Each behaviour is asserted with what the client sees and its audit line.
# No wall-clock assertions: small configured values, generous waits.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/ssh-lab.sh"
lab_need

tmp=$(mktemp -d /tmp/vbs-limits.XXXXXX)
CPIDS=
cleanup() {
	if [ "$T_FAIL" -gt 0 ]; then
		echo "--- broker log (last 60 lines)"
		tail -60 "$tmp/broker.log" 2>/dev/null
		echo "--- audit log (last 40 lines)"
		tail -40 "$tmp/audit.log" 2>/dev/null
	fi
	clients_kill
	lab_cleanup
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
# End the clients this test started (and the askpass helpers they ran).
clients_kill() {
	for p in $CPIDS; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	if [ -f "$tmp/askpass.pids" ]; then
		for p in $(cat "$tmp/askpass.pids"); do kill "$p" 2>/dev/null; done
		: >"$tmp/askpass.pids"
	fi
	for p in $CPIDS; do wait "$p" 2>/dev/null; done
	CPIDS=
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# SSH_LIMITS_PART=2 runs part 2 alone (when working on it).
PART=${SSH_LIMITS_PART:-all}
# Part 1 configuration.
LAB_GRACE=8 LAB_AUTH_TRIES=2 LAB_MAX_STARTUPS=3 LAB_MAX_STARTUPS_SOURCE=2
LAB_IDLE=2 LAB_SESSION_TIMEOUT=6
export LAB_GRACE LAB_AUTH_TRIES LAB_MAX_STARTUPS LAB_MAX_STARTUPS_SOURCE \
    LAB_IDLE LAB_SESSION_TIMEOUT
if ! lab_up; then
	not_ok "lab set up (broker, namespaces, sshd)"
	tail -30 "$tmp/broker.log" 2>/dev/null
	finish
	exit 1
fi
ok "lab set up with small limits"

S="ssh -F $tmp/ssh_config"
out() {
	n=$1; shift
	"$@" >"$tmp/$n.out" 2>&1
}
has() { grep -q -- "$2" "$tmp/$1.out"; }
# Audit lines written since the last mark, matching every pattern given.
MARK=0
mark() { MARK=$(wc -l <"$tmp/audit.log"); }
audit_count() {
	tail -n +$((MARK + 1)) "$tmp/audit.log" >"$tmp/audit.since"
	for pat in "$@"; do
		grep -F -- "$pat" "$tmp/audit.since" >"$tmp/audit.f"
		mv "$tmp/audit.f" "$tmp/audit.since"
	done
	wc -l <"$tmp/audit.since"
}
audit_new() { [ "$(audit_count "$@")" -ge 1 ]; }
audit_atleast() { n=$1; shift; [ "$(audit_count "$@")" -ge "$n" ]; }
running() { kill -0 "$1" 2>/dev/null; }

# The askpass of the key with a passphrase: notes that it was asked (the
# connection is waiting in authentication), then sleeps.
cat >"$tmp/askpass-slow" <<EOA
#!/bin/sh
echo \$\$ >>"$tmp/askpass.pids"
exec sleep 60
EOA
cat >"$tmp/askpass-pw" <<EOA
#!/bin/sh
cat "$tmp/password"
EOA
chmod 755 "$tmp/askpass-slow" "$tmp/askpass-pw"
: >"$tmp/askpass.pids"
asked() { [ "$(wc -l <"$tmp/askpass.pids")" -ge "$1" ]; }
# slow SOURCE: a client from SOURCE that waits in authentication.
slow() {
	SSH_ASKPASS="$tmp/askpass-slow" SSH_ASKPASS_REQUIRE=force \
	    $S -o BatchMode=no -b "$1" -N jump-slow </dev/null >>"$tmp/slow.out" 2>&1 &
	CPIDS="$CPIDS $!"
}

if [ "$PART" != 2 ]; then
# --- max_startups_per_source, max_startups, login_grace_time ---------
mark
slow 127.0.0.1
slow 127.0.0.1
check "two clients from 127.0.0.1 wait in authentication" wait_for 30 asked 2
out src3 $S -b 127.0.0.1 -W vnf-a:7000 jump-ops </dev/null
check "a third from the same address is cut off before the banner" \
    sh -c "! grep -q '^lab-a' '$tmp/src3.out' && grep -Eqi 'closed|reset' '$tmp/src3.out'"
check "audit: refused by max_startups_per_source" \
    audit_new '"source":"127.0.0.1:' '(max_startups_per_source)' '"outcome":"denied"'
slow 127.0.0.2
check "a client from 127.0.0.2 is let in (3 waiting: max_startups)" wait_for 30 asked 3
out all4 $S -b 127.0.0.3 -W vnf-a:7000 jump-ops </dev/null
check "a fourth, from yet another address, is cut off" \
    sh -c "! grep -q '^lab-a' '$tmp/all4.out'"
check "audit: refused by max_startups" \
    audit_new '"source":"127.0.0.3:' 'unauthenticated connections (max_startups)'
check "login_grace_time: the three waiting clients are dropped" \
    wait_for 60 audit_atleast 3 '"event":"auth"' 'closed before authentication: login grace time exceeded'
clients_kill
out after $S -W vnf-a:7000 jump-ops </dev/null
check "once they are gone, a new client gets through" has after "^lab-a$"

# --- max_auth_tries ---------------------------------------------------
mark
out tries $S jump-strangers true
check "max_auth_tries=2: the client is disconnected after two keys" \
    has tries "Received disconnect from .*: too many authentication failures"
check "audit: two keys refused" \
    audit_atleast 2 '"user":"ops"' '"reason":"key not authorized for this user"'
check "audit: then the connection ends with the reason" \
    audit_new 'closed before authentication: too many authentication failures'
check "audit: the third key was never tried" \
    [ "$(audit_count '"reason":"key not authorized for this user"')" -eq 2 ]

# --- passwords are off unless configured --------------------------------
mark
printf '%s\n' "$LAB_PASSWORD_TEXT" >"$tmp/password"
SSH_ASKPASS="$tmp/askpass-pw" SSH_ASKPASS_REQUIRE=force \
    $S -o BatchMode=no -W vnf-a:7000 jump-pw </dev/null >"$tmp/pwoff.out" 2>&1
check "password_authentication off: only publickey is offered" \
    has pwoff "Permission denied (publickey)"
check "audit: no password login" sh -c "! grep -q '\"credential\":\"password\",.*\"allowed\"' '$tmp/audit.log'"

# --- idle_timeout, session_timeout --------------------------------------
mark
$S -N -L 127.0.0.1:42291:vnf-a:7002 jump-ops </dev/null >"$tmp/idle.out" 2>&1 &
IPID=$!
CPIDS="$CPIDS $IPID"
check "idle_timeout: a connection with no byte in any tunnel is closed" \
    wait_for 60 audit_new '"event":"session"' '"user":"ops"' '"reason":"idle timeout"'
check "idle_timeout: the client is told and exits" wait_for 30 sh -c "! kill -0 $IPID 2>/dev/null"
check "idle_timeout: the client printed the reason" has idle "idle timeout"
mark
(i=0; while [ $i -lt 80 ]; do printf x; sleep 0.5; i=$((i + 1)); done) |
    $S -W vnf-a:7002 jump-ops >"$tmp/st.out" 2>&1 &
check "session_timeout: a busy connection is closed when its time is up" \
    wait_for 60 audit_new '"event":"tunnel"' '"reason":"session time limit reached"'
check "audit: the session ends with the same reason" \
    audit_new '"event":"session"' '"reason":"session time limit reached"'
check "session_timeout: the busy tunnel was not idle" \
    [ "$(audit_count '"reason":"idle timeout"')" -eq 0 ]
check "audit: the tunnel moved bytes before the end" \
    audit_new '"event":"tunnel"' '"bytes_up":' '"reason":"session time limit reached"'
wait_for 30 sh -c "! pgrep -f 'vnf-a:7002 jump-ops' >/dev/null"
clients_kill
fi

# --- Part 2 --------------------------------------------------------------
unset LAB_GRACE LAB_AUTH_TRIES LAB_MAX_STARTUPS LAB_MAX_STARTUPS_SOURCE \
    LAB_IDLE LAB_SESSION_TIMEOUT
LAB_MAX_SESSIONS=2 LAB_MAX_CHANNELS=2 LAB_KEEPALIVE=1 LAB_KEEPALIVE_MAX=2
LAB_CONSOLE=true LAB_PASSWORD=true LAB_CONNECT_TIMEOUT=1
export LAB_MAX_SESSIONS LAB_MAX_CHANNELS LAB_KEEPALIVE LAB_KEEPALIVE_MAX \
    LAB_CONSOLE LAB_PASSWORD LAB_CONNECT_TIMEOUT
if ! lab_restart_broker; then
	not_ok "broker restarted with the second configuration"
	finish
	exit 1
fi
ok "broker restarted: sessions 2, channels 2, keepalive 1 s x 2, console, passwords"

# --- max_sessions_per_user ----------------------------------------------
mark
$S -N jump-ops </dev/null >"$tmp/s1.out" 2>&1 &
S1=$!
$S -N jump-rsa </dev/null >"$tmp/s2.out" 2>&1 &
S2=$!
CPIDS="$CPIDS $S1 $S2"
check "two sessions of ops are in" \
    wait_for 30 audit_atleast 2 '"event":"auth"' '"user":"ops"' '"outcome":"allowed"'
out s3 $S -W vnf-a:7000 jump-ops </dev/null
check "max_sessions_per_user=2: a third is refused" has s3 "Permission denied"
check "audit: refused with max_sessions_per_user" \
    audit_new '"event":"auth"' '"user":"ops"' '(max_sessions_per_user)'
out other $S -W vnf-a:7000 jump-limited </dev/null
check "another user is not affected" has other "^lab-a$"

# --- keepalives ---------------------------------------------------------
mark
check "the two sessions answer keepalives and stay" \
    sh -c "sleep 4; kill -0 $S1 && kill -0 $S2"
kill -STOP "$S1"
check "keepalive: a client that stops answering is dropped" \
    wait_for 60 audit_new '"event":"session"' '"reason":"keepalive timeout: the client stopped answering"'
check "keepalive: only that one" \
    [ "$(audit_count 'keepalive timeout')" -eq 1 ]
check "keepalive: the live session is still there" running "$S2"
kill -CONT "$S1"
clients_kill

# --- max_channels_per_session -------------------------------------------
cat >"$tmp/channels.py" <<'EOP'
import socket, sys, time
port = int(sys.argv[1])
held = []
for i in range(2):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    held.append(s)
    time.sleep(0.5)
third = socket.create_connection(("127.0.0.1", port), timeout=10)
third.settimeout(20)
try:
    print("third:", "closed" if third.recv(100) == b"" else "data")
except OSError as e:
    print("third: error", e)
for s in held:
    s.sendall(b"hi")
    s.shutdown(socket.SHUT_WR)
    s.settimeout(20)
    data = b""
    while True:
        b = s.recv(100)
        if not b:
            break
        data += b
    print("held:", data.decode())
EOP
mark
$S -N -L 127.0.0.1:42292:vnf-a:7002 jump-ops </dev/null >"$tmp/ch.out" 2>&1 &
CPIDS="$CPIDS $!"
wait_for 30 sh -c "ss -ltnH 'sport = :42292' | grep -q 42292"
out channels "$PYTHON3" "$tmp/channels.py" 42292
check "max_channels_per_session=2: the third channel is refused" \
    has channels "third: closed"
check "the first two carry data" \
    sh -c "[ \$(grep -c 'held: got 2 bytes: hi' '$tmp/channels.out') -eq 2 ]"
check "audit: refused with max_channels_per_session" \
    audit_new '"event":"channel"' '"outcome":"denied"' 'max_channels_per_session'
clients_kill

# --- the console, without a PTY -----------------------------------------
mark
printf 'help\ntargets\ncheck vnf-a 7002\ncheck vnf-a 7001\ncheck 198.18.5.99.vbs-nb 7000\ncheck vnf-a 8080\nhealth\nfrobnicate\n%0300d\nexit\ntargets\n' 0 |
    $S -T jump-ops >"$tmp/con.raw" 2>&1
rc=$?
# Without a PTY nothing is echoed: each answer follows the prompt.
unprompt() { sed 's/^\(vnf-broker> \)*//' "$tmp/$1.raw" >"$tmp/$1.out"; }
unprompt con
check "console: ssh exits 0 after exit ($rc)" [ "$rc" -eq 0 ]
check "console: a banner" has con "read-only console for ops"
check "console: help lists the commands" has con "check TARGET PORT"
check "console: targets lists vnf-a with its ports" \
    grep -Eq "^vnf-a +vbs-na +198.18.5.10 +22,7000,7001,7002" "$tmp/con.out"
check "console: targets lists vnf-b" grep -Eq "^vnf-b +vbs-nb +198.18.5.10 +22,7000,7002" "$tmp/con.out"
check "console: targets lists the network grant" grep -Eq "vbs-nb +ADDRESS.NETWORK +7000" "$tmp/con.out"
check "console: check of a listening port: reachable, with the time" \
    grep -Eq "^vnf-a:7002 \(vbs-na 198.18.5.10\): reachable in [0-9]+\.[0-9] ms" "$tmp/con.out"
check "console: check of a closed port: refused" \
    grep -Eq "^vnf-a:7001 \(vbs-na 198.18.5.10\): refused \(Connection refused\) in" "$tmp/con.out"
check "console: check of a silent address: timed out or unreachable" \
    grep -Eq "^198.18.5.99.vbs-nb:7000 \(vbs-nb 198.18.5.99\): (timed out|unreachable)" "$tmp/con.out"
check "console: a port the appliance does not allow is refused" \
    has con "vnf-a:8080: port not allowed for this appliance"
check "console: health checks every allowed port, one line each" \
    sh -c "[ \$(grep -Ec '^vnf-[ab]:[0-9]+ \(' '$tmp/con.out') -ge 9 ]"
check "console: health sums up" grep -Eq "^[0-9]+ of 7 reachable" "$tmp/con.out"
check "console: an unknown command is named" has con 'unknown command "frobnicate"'
check "console: a line over the limit is refused" has con "line too long"
check "console: nothing runs after exit" \
    sh -c "[ \$(grep -c '^TARGET ' '$tmp/con.out') -eq 1 ]"
check "audit: each command is one console line" \
    audit_atleast 10 '"event":"console"' '"user":"ops"'
check "audit: check names network, address, port and result" \
    audit_new '"event":"console"' '"target":"vnf-a","network":"vbs-na","address":"198.18.5.10","port":7002' 'check vnf-a 7002: reachable'
check "audit: health" audit_new '"event":"console"' '"reason":"health: '
check "audit: the refused port" audit_new '"event":"console"' '"outcome":"denied"' 'port not allowed'

# Grants: limited has vnf-a only.
mark
printf 'targets\ncheck vnf-b 22\ncheck 198.18.5.10.vbs-nb 7000\nhealth\n' |
    $S -T jump-limited >"$tmp/conlim.raw" 2>&1
unprompt conlim
check "console: a user sees only what is granted" \
    sh -c "grep -q '^vnf-a ' '$tmp/conlim.out' && ! grep -q '^vnf-b ' '$tmp/conlim.out'"
check "console: a target not granted cannot be checked" \
    has conlim "vnf-b:22: not permitted"
check "console: nor a network not granted" \
    has conlim "198.18.5.10.vbs-nb:7000: not permitted"
check "console: health covers only vnf-a" \
    sh -c "! grep -q '^vnf-b:[0-9]* (' '$tmp/conlim.out' && grep -Eq '^[0-9]+ of 4 reachable' '$tmp/conlim.out'"
check "audit: the refused check" \
    audit_new '"event":"console"' '"user":"limited"' '"outcome":"denied"' 'check vnf-b 22: not permitted'
printf 'targets\ncheck vnf-a 22\n' | $S -T jump-nofwd >"$tmp/connofwd.raw" 2>&1
unprompt connofwd
check "console: a no-port-forwarding key lists nothing" has connofwd "forwarding is disabled"
check "console: and checks nothing" \
    sh -c "! grep -q 'reachable' '$tmp/connofwd.out'"

# With a PTY: echo, CR LF, ^D at the end.
printf 'targets\rcheck vnf-a 22\r\004' | $S -tt jump-ops >"$tmp/conpty.out" 2>&1
rc=$?
check "console with a PTY: ssh exits 0 after ^D ($rc)" [ "$rc" -eq 0 ]
check "console with a PTY: the command is echoed" has conpty "vnf-broker> targets"
check "console with a PTY: CR LF line ends" grep -q "$(printf 'reachable in .*\r')" "$tmp/conpty.out"
check "console with a PTY: output" has conpty "^vnf-a "

# exec and subsystems stay refused with the console on.
mark
out exec $S jump-ops 'echo hi'
check "console on: exec is still refused" has exec "exec request failed"
check "console on: the client is told why" has exec "no command or sftp here"
check "audit: exec refused" audit_new '"event":"request"' '"outcome":"denied"' 'exec: commands are not run'
out sftpc $S -s jump-ops sftp
check "console on: the sftp subsystem is still refused" has sftpc "subsystem request failed"
out conjump $S -J jump-ops vnf-a 'echo $LAB'
check "console on: ssh -J works as before" has conjump "^lab-a$"

# --- passwords ----------------------------------------------------------
mark
printf '%s\n' "$LAB_PASSWORD_TEXT" >"$tmp/password"
SSH_ASKPASS="$tmp/askpass-pw" SSH_ASKPASS_REQUIRE=force \
    $S -o BatchMode=no -W vnf-a:7000 jump-pw </dev/null >"$tmp/pw.out" 2>&1
check "password login with ssh_password_hash reaches lab A" has pw "^lab-a$"
check "audit: password login allowed, credential \"password\"" \
    audit_new '"event":"auth"' '"user":"pwuser","credential":"password"' '"outcome":"allowed"'
mark
printf 'wrong\n' >"$tmp/password"
SSH_ASKPASS="$tmp/askpass-pw" SSH_ASKPASS_REQUIRE=force \
    $S -o BatchMode=no -W vnf-a:7000 jump-pw </dev/null >"$tmp/pwbad.out" 2>&1
check "wrong password: disconnected after max_auth_tries (4)" \
    has pwbad "Received disconnect from .*: too many authentication failures"
check "audit: each wrong password counted" \
    [ "$(audit_count '"user":"pwuser"' '"reason":"wrong password"')" -eq 4 ]
check "audit: then the connection ends" \
    audit_new 'closed before authentication: too many authentication failures'
check "no password in any log" \
    sh -c "! grep -q 'correct horse' '$tmp/broker.log' '$tmp/audit.log'"
mark
printf '%s\n' "$LAB_PASSWORD_TEXT" >"$tmp/password"
SSH_ASKPASS="$tmp/askpass-pw" SSH_ASKPASS_REQUIRE=force \
    $S -o BatchMode=no -o User=ops -W vnf-a:7000 jump-pw </dev/null >"$tmp/pwops.out" 2>&1
check "a user without ssh_password_hash cannot log in with a password" \
    sh -c "! grep -q '^lab-a' '$tmp/pwops.out' && grep -Eq 'Permission denied|too many authentication failures' '$tmp/pwops.out'"
check "audit: no ssh_password_hash" \
    audit_new '"user":"ops"' '"reason":"no ssh_password_hash for this user"'
out pwkey $S -W vnf-a:7000 jump-ops </dev/null
check "keys still work with passwords on" has pwkey "^lab-a$"

kill -TERM "$BPID"
wait "$BPID"
rc=$?
BPID=
check "SIGTERM: broker exits 0" [ "$rc" -eq 0 ]
finish
