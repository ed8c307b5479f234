#!/bin/sh
# The SSH executor (provider/sshx.c) against a real OpenSSH sshd on
# 127.0.0.1: exec mode, auth, host keys, sockets from the caller, and the
# interactive CLI against a router simulator (router-cli.py, run by sshd's
# ForceCommand on a second port).  Needs root (a local test user, sshd);
# skips (77) otherwise.

. "$(dirname "$0")/lib/common.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to run sshd and create a test user"
	exit 77
fi
SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || { echo "SKIP: no $SSHD"; exit 77; }
for t in bash ssh-keygen useradd userdel chpasswd; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: no $t"; exit 77; }
done
# sshd runs the simulator as the test user: a system python3 it can read.
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: no $PY"; exit 77; }

TEST_USER=vbx-test
TEST_PASS="vbx-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
PROG="${top_builddir}/tests/integration/provider/sshx-test"
SIM="${top_srcdir}/tests/integration/provider/router-cli.py"
[ -x "$PROG" ] || { echo "FAIL: $PROG not built"; exit 1; }

DIR=$(mktemp -d /tmp/vbx-sshx.XXXXXX)
SSHD_PID=
CREATED_USER=

cleanup() {
	if [ -n "$SSHD_PID" ]; then
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
	fi
	[ -n "$CREATED_USER" ] && userdel "$TEST_USER" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if ! id "$TEST_USER" >/dev/null 2>&1; then
	useradd -r -M -d "$DIR/home" -s /bin/sh "$TEST_USER" || exit 1
	CREATED_USER=1
fi
echo "$TEST_USER:$TEST_PASS" | chpasswd || exit 1
# sshd's privilege separation directory, as Debian's tmpfiles makes it at
# boot; left in place (other sshd instances may be starting meanwhile).
[ -d /run/sshd ] || mkdir -m 0755 /run/sshd

chmod 0755 "$DIR"
mkdir -m 0755 "$DIR/home"
chown "$TEST_USER" "$DIR/home"
cp "$SIM" "$DIR/router-cli.py"
chmod 0755 "$DIR/router-cli.py"
ssh-keygen -q -t ed25519 -N '' -f "$DIR/host_ed25519" || exit 1
ssh-keygen -q -t ed25519 -N '' -f "$DIR/client_key" -C sshx-test || exit 1
cp "$DIR/client_key.pub" "$DIR/authorized_keys"
chmod 0644 "$DIR/authorized_keys"
FP=$(ssh-keygen -l -f "$DIR/host_ed25519.pub" | awk '{print $2}')

# Is nothing listening on 127.0.0.1:PORT?  (bash's /dev/tcp)
port_free() {
	! bash -c "echo >/dev/tcp/127.0.0.1/$1" 2>/dev/null
}
pick_port() {
	i=0
	while [ $i -lt 50 ]; do
		p=$((42500 + $(od -An -N2 -tu2 /dev/urandom) % 100))
		if [ "$p" != "$1" ] && port_free "$p"; then
			echo "$p"
			return 0
		fi
		i=$((i + 1))
	done
	return 1
}
PORT=$(pick_port 0) || { echo "FAIL: no free port"; exit 1; }
CLI_PORT=$(pick_port "$PORT") || { echo "FAIL: no free port"; exit 1; }

cat >"$DIR/sshd_config" <<EOF
ListenAddress 127.0.0.1:$PORT
ListenAddress 127.0.0.1:$CLI_PORT
HostKey $DIR/host_ed25519
PidFile $DIR/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers $TEST_USER
MaxAuthTries 10
LogLevel VERBOSE
Subsystem sftp internal-sftp
Match LocalPort $CLI_PORT
	ForceCommand $PY $DIR/router-cli.py
EOF

"$SSHD" -t -f "$DIR/sshd_config" || { echo "FAIL: sshd -t"; exit 1; }
"$SSHD" -D -e -f "$DIR/sshd_config" 2>"$DIR/sshd.log" &
SSHD_PID=$!
listening() {
	! port_free "$PORT" && ! port_free "$CLI_PORT"
}
if ! wait_for 10 listening; then
	echo "FAIL: sshd did not start"
	cat "$DIR/sshd.log"
	exit 1
fi
echo "# sshd $SSHD_PID on 127.0.0.1:$PORT and :$CLI_PORT, host key $FP"

SSHX_PORT=$PORT SSHX_CLI_PORT=$CLI_PORT SSHX_USER=$TEST_USER \
    SSHX_PASSWORD=$TEST_PASS SSHX_KEY=$DIR/client_key SSHX_FP=$FP \
    "$PROG" >"$DIR/out" 2>"$DIR/err"
rc=$?
sed -n '/passed, .* failed$/!p' "$DIR/out"
T_PASS=$(grep -c '^ok - ' "$DIR/out")
T_FAIL=$(grep -c '^not ok - ' "$DIR/out")
check "the test program ran to its summary (exit $rc)" \
    grep -q 'passed, .* failed$' "$DIR/out"
check "the debug log has lines from the executor" \
    grep -q 'ssh 127.0.0.1:.*connected as' "$DIR/err"
check "the password is in no output or log line" \
    sh -c "! grep -q -F '$TEST_PASS' '$DIR/out' '$DIR/err'"
if [ "$T_FAIL" -ne 0 ] || [ "$rc" -ne 0 ]; then
	echo "# program stderr (last 40 lines):"
	tail -n 40 "$DIR/err" | sed 's/^/# /'
	echo "# sshd log (last 20 lines):"
	tail -n 20 "$DIR/sshd.log" | sed 's/^/# /'
fi
finish
