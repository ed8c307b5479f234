#!/bin/sh
# Integration: ssh-audit (the Debian package) against the jump host reports
# no failure: no SHA-1, no CBC, no DSA, no weak key exchange, host keys of
# sound size; and the key exchange is strict (Terrapin) with OpenSSH.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/ssh-lab.sh"
lab_need
command -v ssh-audit >/dev/null 2>&1 ||
    { echo "SKIP: ssh-audit is not installed (apt-get install ssh-audit)"; exit 77; }

tmp=$(mktemp -d /tmp/vbs-audit.XXXXXX)
LAB_PORT=42211
cleanup() {
	[ "$T_FAIL" -gt 0 ] && tail -40 "$tmp/broker.log" 2>/dev/null
	lab_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT
# A signal ends the run; the EXIT trap cleans up (a bare TERM trap
# would clean up and then carry on).
trap 'exit 130' INT TERM

if ! lab_up; then
	not_ok "lab set up"
	finish
	exit 1
fi

ssh-audit -n -p "$LAB_PORT" 127.0.0.1 >"$tmp/audit.out" 2>&1
rc=$?
cat "$tmp/audit.out"
check "ssh-audit found the server" grep -q "(gen) banner: SSH-2.0-vnf-broker" "$tmp/audit.out"
check "ssh-audit reports no failure" sh -c "! grep -q '\[fail\]' '$tmp/audit.out'"
check "ssh-audit exit status is not a failure ($rc)" [ "$rc" -ne 3 ]
check "no CBC cipher offered" sh -c "! grep -q -- '-cbc' '$tmp/audit.out'"
check "no SHA-1 MAC offered" sh -c "! grep -Eq '(mac) hmac-sha1' '$tmp/audit.out'"
check "no ssh-rsa (SHA-1) host key algorithm" \
    sh -c "! grep -Eq '\(key\) ssh-rsa ' '$tmp/audit.out'"
check "no compression offered" grep -q "(gen) compression: disabled" "$tmp/audit.out"
check "curve25519 key exchange offered" grep -q "curve25519-sha256" "$tmp/audit.out"
check "RSA host key is 3072 bits" grep -Eq "rsa-sha2-512 \(3072-bit\)" "$tmp/audit.out"

ssh -F "$tmp/ssh_config" -vvv -W vnf-a:7000 jump-ops </dev/null \
    >"$tmp/kex.out" 2>&1
check "OpenSSH negotiates strict key exchange" \
    grep -q "will use strict KEX ordering" "$tmp/kex.out"
check "OpenSSH settles on curve25519" \
    grep -q "kex: algorithm: curve25519-sha256" "$tmp/kex.out"
finish
