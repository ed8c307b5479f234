#!/bin/sh
# The provider engine's operations side by side with Ansible and netmiko,
# doing the same operation against the same target (run by tools/bench
# with top_builddir and top_srcdir exported; root for the SSH VNF lab).
#
#   HTTP list:  GET /api/rules on a local HTTP VNF (bench-workflow serve,
#               127.0.0.1), JSON transformed by JSONPath
#               - vnf-broker: the runner, one operation after the other,
#                 and on its worker pool as 8 appliances
#               - Ansible: `ansible localhost -m uri`, one run per operation
#   SSH exec:   FIREWALL_RULES list of linux-nftables.yaml (nft -j list
#               ruleset, parsed) on the Linux VNF lab (sshd + nftables in
#               a namespace, tests/integration/linux-vnf/lab.sh)
#               - vnf-broker: the runner, keeping each appliance's
#                 authenticated SSH connection between operations as the
#                 engine does, sequential and 8 appliances; and once
#                 sequential with a new connection each time (--no-reuse)
#               - Ansible: `ansible -m command` over paramiko, one run each
#               - netmiko: ConnectHandler(device_type="linux",
#                 fast_cli=True) + send_command + disconnect, each time
#
# Counts and time are bounded (WB_SECONDS per vnf-broker figure, WB_RUNS
# Ansible runs, WB_NETMIKO netmiko operations).  Prints one table: ops/s,
# p50 and p99 in ms, and each tool's rate as a multiple of Ansible's.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
WB_SECONDS=${WB_SECONDS:-10}
WB_RUNS=${WB_RUNS:-5}
WB_NETMIKO=${WB_NETMIKO:-20}
PYS=/usr/bin/python3	# Debian's, with ansible and netmiko's modules
BW=$top_builddir/tests/bench/bench-workflow
DICT=$top_srcdir/provider/dictionaries/linux-nftables.yaml
HDICT=$top_srcdir/tests/bench/workflow-http.yaml

if [ ! -x "$BW" ]; then
	make -s -C "$top_builddir" tests/bench/bench-workflow >/dev/null ||
	    { echo "workflow-bench: cannot build $BW"; exit 1; }
fi
TMP=$(mktemp -d /tmp/vbw.XXXXXX)
SPID=
LAB=
cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	[ -n "$LAB" ] && lab_down
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# stats NAME: read one latency (ms) per line on stdin, print our line.
stats() {
	"$PYS" -c '
import sys
v = sorted(float(x) for x in sys.stdin if x.strip())
tot = float(sys.argv[1])
n = len(v)
if n == 0:
    print("ops=0 failed=0 seconds=0 ops_per_s=0 p50_ms=0 p99_ms=0")
else:
    print("ops=%d failed=%s seconds=%.3f ops_per_s=%.2f p50_ms=%.1f p99_ms=%.1f"
          % (n, sys.argv[2], tot, n / tot, v[n // 2], v[min(n - 1, int(n * 0.99))]))
' "$1" "$2"
}

# timed N CMD...: run CMD N times, one latency per line, failures counted.
timed() {
	n=$1; shift
	"$PYS" - "$n" "$@" <<'EOP'
import subprocess, sys, time
n = int(sys.argv[1]); cmd = sys.argv[2:]
lat = []; failed = 0; t0 = time.monotonic()
for i in range(n):
    s = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lat.append((time.monotonic() - s) * 1000)
    if r.returncode != 0:
        failed += 1
        if failed == 1:
            sys.stderr.write(r.stdout.decode(errors="replace")[-800:] + "\n")
tot = time.monotonic() - t0
lat.sort()
print("ops=%d failed=%d seconds=%.3f ops_per_s=%.2f p50_ms=%.1f p99_ms=%.1f"
      % (n, failed, tot, n / tot, lat[n // 2], lat[min(n - 1, int(n * 0.99))]))
EOP
}

ROWS=$TMP/rows
: >"$ROWS"
# row OPERATION TOOL LINE
row() {
	echo "$1|$2|$3" >>"$ROWS"
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# --- HTTP ----------------------------------------------------------------
PORT=$((20000 + $$ % 20000))
"$BW" serve "$PORT" >"$TMP/serve.log" 2>&1 &
SPID=$!
i=0
while ! grep -q listening "$TMP/serve.log" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
echo "# HTTP VNF on 127.0.0.1:$PORT"
row "HTTP list" "vnf-broker (1 at a time)" "$("$BW" run "$HDICT" RULES list \
    --target "127.0.0.1:$PORT" --count 200000 --seconds "$WB_SECONDS")"
row "HTTP list" "vnf-broker (8 appliances)" "$("$BW" run "$HDICT" RULES list \
    --target "127.0.0.1:$PORT" --count 400000 --seconds "$WB_SECONDS" \
    --parallel 8)"
if command -v ansible >/dev/null 2>&1; then
	row "HTTP list" "Ansible uri" "$(ANSIBLE_LOAD_CALLBACK_PLUGINS=0 \
	    timed "$WB_RUNS" ansible localhost -c local -i localhost, \
	    -e ansible_python_interpreter=$PYS -m uri \
	    -a "url=http://127.0.0.1:$PORT/api/rules return_content=yes")"
else
	row "HTTP list" "Ansible uri" "not installed"
fi
row "HTTP list" "netmiko" "n/a (SSH only)"

# --- SSH exec on the Linux VNF ---------------------------------------------
if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null 2>&1 ||
    [ ! -x /usr/sbin/sshd ]; then
	row "SSH exec" "all" "skipped (needs root, nft and sshd)"
else
	wait_for() {
		limit=$1; shift; i=0
		while [ "$i" -lt $((limit * 10)) ]; do
			"$@" && return 0; sleep 0.1; i=$((i + 1))
		done
		return 1
	}
	. "$top_srcdir/tests/integration/linux-vnf/lab.sh"
	LAB=1
	if ! lab_up >"$TMP/lab.log" 2>&1; then
		row "SSH exec" "all" "skipped (the lab did not come up)"
	else
		FP=$(ssh-keygen -l -f "$LAB_DIR/host_ed25519.pub" | awk '{print $2}')
		CS="{\"username\":\"$LAB_USER\",\"password\":\"$LAB_PASS\"}"
		M="ip netns exec $NS_MGMT"
		echo "# Linux VNF $VNF_IP:22 in $NS_VNF"
		row "SSH exec" "vnf-broker (1 at a time)" "$($M "$BW" run "$DICT" \
		    FIREWALL_RULES list --target "$VNF_IP:22" --cs-data "$CS" \
		    --hostkey "$FP" --count 100000 --seconds "$WB_SECONDS")"
		row "SSH exec" "vnf-broker (8 appliances)" "$($M "$BW" run "$DICT" \
		    FIREWALL_RULES list --target "$VNF_IP:22" --cs-data "$CS" \
		    --hostkey "$FP" --count 100000 --seconds "$WB_SECONDS" \
		    --parallel 8)"
		row "SSH exec" "vnf-broker (1, new conn each)" "$($M "$BW" run \
		    "$DICT" FIREWALL_RULES list --target "$VNF_IP:22" \
		    --cs-data "$CS" --hostkey "$FP" --count 100000 \
		    --seconds "$WB_SECONDS" --no-reuse)"
		if command -v ansible >/dev/null 2>&1; then
			row "SSH exec" "Ansible command" "$(ANSIBLE_HOST_KEY_CHECKING=False \
			    ANSIBLE_LOAD_CALLBACK_PLUGINS=0 timed "$WB_RUNS" \
			    $M ansible all -i "$VNF_IP," -c paramiko \
			    -u "$LAB_USER" -e "ansible_password=$LAB_PASS" \
			    -e ansible_python_interpreter=$PYS \
			    -m command -a "nft -j list ruleset")"
		else
			row "SSH exec" "Ansible command" "not installed"
		fi
		if "$PYS" -c "import netmiko" 2>/dev/null; then
			row "SSH exec" "netmiko linux" "$($M "$PYS" - "$VNF_IP" \
			    "$LAB_USER" "$LAB_PASS" "$WB_NETMIKO" "$WB_SECONDS" <<'EOP'
import sys, time, logging
from netmiko import ConnectHandler
host, user, pw, n, secs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
lat = []; failed = 0; t0 = time.monotonic()
while len(lat) < n and time.monotonic() - t0 < secs:
    s = time.monotonic()
    try:
        c = ConnectHandler(device_type="linux", host=host, username=user,
                           password=pw, timeout=10, fast_cli=True)
        out = c.send_command("nft -j list ruleset")
        c.disconnect()
        if '"nftables"' not in out:
            failed += 1
    except Exception as e:
        failed += 1
        if failed == 1:
            sys.stderr.write("netmiko: %s\n" % e)
    lat.append((time.monotonic() - s) * 1000)
tot = time.monotonic() - t0
lat.sort(); k = len(lat)
print("ops=%d failed=%d seconds=%.3f ops_per_s=%.2f p50_ms=%.1f p99_ms=%.1f"
      % (k, failed, tot, k / tot, lat[k // 2], lat[min(k - 1, int(k * 0.99))]))
EOP
)"
		else
			row "SSH exec" "netmiko linux" "not installed"
		fi
	fi
fi

# --- the table -------------------------------------------------------------
echo
printf "%-10s %-30s %10s %10s %10s %8s %12s\n" operation tool ops/s \
    p50_ms p99_ms failed "x Ansible"
"$PYS" - "$ROWS" <<'EOP'
import sys
rows = [l.rstrip("\n").split("|", 2) for l in open(sys.argv[1]) if l.strip()]
def kv(s):
    return dict(p.split("=", 1) for p in s.split() if "=" in p)
base = {}
for op, tool, line in rows:
    d = kv(line)
    if tool.startswith("Ansible") and "ops_per_s" in d and float(d["ops_per_s"]) > 0:
        base[op] = float(d["ops_per_s"])
for op, tool, line in rows:
    d = kv(line)
    if "ops_per_s" not in d:
        print("%-10s %-30s %s" % (op, tool, line))
        continue
    r = float(d["ops_per_s"]) / base[op] if op in base else None
    print("%-10s %-30s %10.1f %10s %10s %8s %12s" % (op, tool,
          float(d["ops_per_s"]), d["p50_ms"], d["p99_ms"], d["failed"],
          "%.1fx" % r if r else "-"))
EOP
