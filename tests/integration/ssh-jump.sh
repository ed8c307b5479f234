#!/bin/sh
# Integration: the jump host with stock OpenSSH, real sshd targets in two
# networks that share a CIDR (see ssh-lab.sh).
#
# ssh -J reaches each network's 198.18.5.10 by target name (appliance,
# ADDRESS.NETWORK, with the DNS suffix); scp -J and sftp -J move 50 MB
# intact; a two-hop ProxyJump chain; ssh -W carries raw TCP with EOF
# passed on each way; certificates from the trusted CA.  Refused, each
# with what the client prints: unknown key, expired and wrong-principal
# certificates, a certificate's source-address, target not granted,
# unknown target, port not allowed, permitopen=, no-port-forwarding,
# expiry-time=, from=, connection refused, -R, a shell/-A/-X session, a
# request before authentication.  Every decision is in the audit log.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/ssh-lab.sh"
lab_need

tmp=$(mktemp -d /tmp/vbs-jump.XXXXXX)
cleanup() {
	if [ "$T_FAIL" -gt 0 ]; then
		echo "--- broker log (last 80 lines)"
		tail -80 "$tmp/broker.log" 2>/dev/null
		echo "--- audit log (last 30 lines)"
		tail -30 "$tmp/audit.log" 2>/dev/null
	fi
	lab_cleanup
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
# A signal ends the run; the EXIT trap cleans up (a bare TERM trap
# would clean up and then carry on).
trap 'exit 130' INT TERM

if ! lab_up; then
	not_ok "lab set up (broker, namespaces, sshd)"
	cat "$tmp/broker.log" 2>/dev/null | tail -30
	finish
	exit 1
fi
ok "lab set up: broker with the ssh role, two labs with sshd"

S="ssh -F $tmp/ssh_config"
# out NAME CMD...: run, keep stdout+stderr in $tmp/NAME.out, return status.
out() {
	n=$1; shift
	"$@" >"$tmp/$n.out" 2>&1
}
has() { grep -q -- "$2" "$tmp/$1.out"; }
audit_has() { grep -q -- "$1" "$tmp/audit.log"; }

check "vnf-brokerd --check-config accepts the ssh section" \
    "$VNF_BROKERD" -t -c "$tmp/broker.yaml"
check "role says ready" wait_for 10 grep -q "jump host ready" "$tmp/broker.log"
out hostkeys "$VNF_BROKERD" -c "$tmp/broker.yaml" --print-host-keys
check "--print-host-keys shows the ED25519 key" has hostkeys "^256 SHA256:.*(ED25519)"
check "--print-host-keys shows the RSA 3072 key" has hostkeys "^3072 SHA256:.*(RSA)"
check "host keys in the state directory, mode 0600" \
    sh -c "[ \$(stat -c %a '$tmp/state/ssh_host_ed25519_key') = 600 ]"
ssh-keyscan -p "$LAB_PORT" -t ed25519 127.0.0.1 2>/dev/null |
    ssh-keygen -lf - >"$tmp/scan.out" 2>&1
check "the served host key is the one printed" \
    sh -c "grep -q \"\$(cut -d' ' -f2 '$tmp/scan.out' | head -1)\" '$tmp/hostkeys.out'"

# Reaching both same-CIDR labs by name.
out a $S -J jump-ops vnf-a 'echo $LAB'
check "ssh -J ops@broker root@vnf-a reaches lab A" has a "^lab-a$"
out b $S -J jump-ops vnf-b 'echo $LAB'
check "ssh -J ops@broker root@vnf-b reaches lab B (same address)" has b "^lab-b$"
out b2 $S -J jump-ops root@198.18.5.10.vbs-nb 'echo $LAB'
check "ADDRESS.NETWORK form reaches lab B" has b2 "^lab-b$"
out a2 $S -J jump-ops root@vnf-a.vnf.test 'echo $LAB'
check "DNS-suffix form reaches lab A" has a2 "^lab-a$"
out rsa $S -J jump-rsa vnf-b 'echo $LAB'
check "an RSA user key (rsa-sha2) works" has rsa "^lab-b$"

# ssh -W: raw TCP, EOF both ways.
out w $S -W vnf-b:7000 jump-ops </dev/null
check "ssh -W carries a raw TCP stream (lab B's name server)" has w "^lab-b$"
printf 'hello through the jump host' | $S -W vnf-a:7002 jump-ops \
    >"$tmp/echo.out" 2>&1
check "ssh -W: client EOF reaches the target, its answer and EOF come back" \
    has echo "got 27 bytes: hello through the jump host"
out wnet $S -W 198.18.5.10.vbs-nb:7000 jump-ops </dev/null
check "network grant: any address of vbs-nb on port 7000" has wnet "^lab-b$"

# Certificates.
ssh-keygen -q -s "$tmp/ca" -I cert-ok -n certuser -V -5m:+1h "$tmp/certuser.pub"
out cert $S -J jump-cert vnf-a 'echo $LAB'
check "a certificate from the trusted CA logs in" has cert "^lab-a$"
check "audit: certificate key id recorded" audit_has '"key_id":"cert-ok"'
ssh-keygen -q -s "$tmp/ca" -I cert-old -n certuser -V 20200101:20200201 "$tmp/certuser.pub"
out certold $S -J jump-cert vnf-a true
check "expired certificate: client shows Permission denied" has certold "Permission denied (publickey)"
check "audit: certificate expired" audit_has '"reason":"certificate expired"'
ssh-keygen -q -s "$tmp/ca" -I cert-who -n somebody -V -5m:+1h "$tmp/certuser.pub"
out certwho $S -J jump-cert vnf-a true
check "wrong-principal certificate: Permission denied" has certwho "Permission denied (publickey)"
check "audit: principals do not include the user" \
    audit_has 'certificate principals do not include the user'
ssh-keygen -q -s "$tmp/ca" -I cert-src -n certuser -V -5m:+1h \
    -O source-address=198.18.9.0/24 "$tmp/certuser.pub"
out certsrc $S -J jump-cert vnf-a true
check "certificate source-address enforced: Permission denied" has certsrc "Permission denied (publickey)"
check "audit: source-address" audit_has 'source-address does not allow this client'
ssh-keygen -q -s "$tmp/stranger" -I cert-rogue -n certuser -V -5m:+1h "$tmp/certuser.pub"
out certrogue $S -J jump-cert vnf-a true
check "certificate from an untrusted CA: Permission denied" has certrogue "Permission denied (publickey)"
check "audit: untrusted CA" audit_has 'signed by an untrusted CA'
ssh-keygen -q -s "$tmp/ca" -I cert-nofwd -n certuser -V -5m:+1h \
    -O clear "$tmp/certuser.pub"
out certnofwd $S -W vnf-a:22 jump-cert </dev/null
check "certificate without permit-port-forwarding opens no tunnel" \
    has certnofwd "forwarding is disabled"

# Denials, with what the client prints.
out stranger $S -J jump-stranger vnf-a true
check "unknown key: Permission denied (publickey)" has stranger "Permission denied (publickey)"
check "audit: unknown key denied" audit_has '"reason":"key not authorized for this user"'
out limited $S -J jump-limited vnf-b true
check "target not granted: client prints 'not permitted'" has limited "not permitted: vnf-b:22"
out unknown $S -J jump-ops vnf-zz true
check "unknown target: client prints 'unknown target'" has unknown "unknown target: vnf-zz:22"
out port $S -W vnf-a:8080 jump-ops </dev/null
check "port not allowed: client prints it" has port "port not allowed for this appliance: vnf-a:8080"
out refused $S -W vnf-a:7001 jump-ops </dev/null
check "nothing listening: client prints 'connect failed: Connection refused'" \
    has refused "connect failed: Connection refused: vnf-a:7001"
out permitopen $S -J jump-restricted vnf-a 'echo $LAB'
check "restrict,port-forwarding,permitopen=vnf-a:22 allows vnf-a:22" has permitopen "^lab-a$"
out permitopen2 $S -J jump-restricted vnf-b true
check "permitopen= refuses anything else" has permitopen2 "not permitted by the key's permitopen"
out nofwd $S -J jump-nofwd vnf-a true
check "no-port-forwarding key: tunnels refused" has nofwd "forwarding is disabled"
out expired $S -J jump-expired vnf-a true
check "expiry-time in the past: Permission denied" has expired "Permission denied (publickey)"
out fromonly $S -J jump-fromonly vnf-a true
check "from= not matching: Permission denied" has fromonly "Permission denied (publickey)"
check "audit: from=" audit_has 'from= does not allow this address'
out remote $S -N -o ExitOnForwardFailure=yes -R 18080:127.0.0.1:80 jump-ops
check "-R: client prints remote port forwarding failed" has remote "remote port forwarding failed for listen port 18080"
check "audit: remote forwarding refused" audit_has 'remote port forwarding (-R)'
out shell $S jump-ops true
check "shell/exec on the jump host refused with a reason" has shell "jump host: no shell"
out agentx $S -A -X jump-ops true
check "-A -X session refused with the same reason" has agentx "jump host: no shell"
out sftpj $S -o BatchMode=yes -s jump-ops sftp
check "sftp subsystem on the jump host refused" has sftpj "jump host: no shell"

PARAMIKO_PY=
for py in "$PYTHON3" /usr/bin/python3; do
	if "$py" -c 'import paramiko' 2>/dev/null; then
		PARAMIKO_PY=$py
		break
	fi
done
if [ -n "$PARAMIKO_PY" ]; then
	cat >"$tmp/preauth.py" <<'EOP'
import socket, sys, paramiko
t = paramiko.Transport(("127.0.0.1", int(sys.argv[1])))
t.start_client(timeout=10)
try:
    t.open_channel("direct-tcpip", ("vnf-a", 22), ("1.2.3.4", 5), timeout=5)
    print("OPENED")
except Exception as e:
    print("refused:", type(e).__name__, e)
t.close()
EOP
	out preauth "$PARAMIKO_PY" "$tmp/preauth.py" "$LAB_PORT"
	check "request before authentication refused" sh -c "! grep -q OPENED '$tmp/preauth.out'"
	check "audit: the connection is recorded as closed before authentication" \
	    audit_has '"outcome":"denied","reason":"closed before authentication: '
else
	echo "skip - request before authentication (python3-paramiko not installed)"
fi

# Two hops: broker, then lab A's sshd, then lab A itself on loopback.
out chain $S -J jump-ops,root@vnf-a root@localhost 'echo $LAB'
check "ProxyJump chain of two hops" has chain "^lab-a$"

# 50 MB each way, intact.
head -c 52428800 /dev/urandom >"$tmp/big"
want=$(sha256sum <"$tmp/big" | cut -d' ' -f1)
scp -q -F "$tmp/ssh_config" -J jump-ops "$tmp/big" vnf-a:"$tmp/big.a" &&
    got=$(sha256sum <"$tmp/big.a" | cut -d' ' -f1)
check "scp -J: 50 MB to lab A intact" [ "${got:-x}" = "$want" ]
rm -f "$tmp/big.a" "$tmp/big.b"
printf 'put %s %s\n' "$tmp/big" "$tmp/big.b" >"$tmp/sftp.batch"
sftp -q -F "$tmp/ssh_config" -J jump-ops -b "$tmp/sftp.batch" vnf-b \
    >"$tmp/sftp.out" 2>&1
got=$(sha256sum <"$tmp/big.b" 2>/dev/null | cut -d' ' -f1)
check "sftp -J: 50 MB to lab B intact" [ "${got:-x}" = "$want" ]
rm -f "$tmp/big.back"
sftp -q -F "$tmp/ssh_config" -J jump-ops vnf-b:"$tmp/big.b" "$tmp/big.back" \
    >"$tmp/sftp2.out" 2>&1
got=$(sha256sum <"$tmp/big.back" 2>/dev/null | cut -d' ' -f1)
check "sftp -J: 50 MB back from lab B intact" [ "${got:-x}" = "$want" ]

# The audit stream: one line per decision, with the fields.
check "audit: authentication allowed with the key fingerprint" \
    sh -c "grep '\"event\":\"auth\"' '$tmp/audit.log' | grep '\"user\":\"ops\"' | grep -q '\"credential\":\"SHA256:'"
check "audit: channel allowed names network, address and port" \
    sh -c "grep '\"event\":\"channel\"' '$tmp/audit.log' | grep '\"outcome\":\"allowed\"' | grep '\"network\":\"vbs-nb\"' | grep -q '\"address\":\"198.18.5.10\",\"port\":22'"
check "audit: finished tunnel with bytes each way and duration" \
    sh -c "grep '\"event\":\"tunnel\"' '$tmp/audit.log' | grep -q '\"bytes_up\":[1-9][0-9]*,\"bytes_down\":[1-9][0-9]*,\"duration_ms\"'"
check "audit: 50 MB counted on the tunnel" \
    sh -c "grep '\"event\":\"tunnel\"' '$tmp/audit.log' | grep -q '\"bytes_up\":52[0-9]\{6\}'"
check "audit: denied channel has its reason" \
    audit_has '"outcome":"denied","reason":"not permitted"'
check "no host key or private key text in any log" \
    sh -c "! grep -q 'PRIVATE KEY' '$tmp/broker.log' '$tmp/audit.log'"

kill -TERM "$BPID"
wait "$BPID"
rc=$?
BPID=
check "SIGTERM: broker exits 0" [ "$rc" -eq 0 ]
check "SIGTERM: nothing left in vbs-na" sh -c '! ip netns list | grep -qw vbs-na'
finish
