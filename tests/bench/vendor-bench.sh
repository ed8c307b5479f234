#!/bin/sh
# The shipped vendor dictionaries through the engine, each against its
# simulator (tests/vnfsim/) in a namespace lab (lib/vnfsim.sh): a full
# FIREWALL_RULES create, list, delete cycle, repeated for VB_SECONDS
# seconds (at most VB_CYCLES cycles) by bench-workflow cycle, one
# appliance, connections kept as the engine keeps them.
#
# Prints, per vendor: operations per second, mean milliseconds per
# operation, HTTP requests per operation (login and apply steps
# included), the simulator's own handling time per operation (from its
# request log), and the rest: what the engine, the TLS handshakes (the
# simulator's Python side included: it shakes hands before it starts
# its clock) and the network cost per operation.  The engine's own cost
# without TLS is workflow-bench.sh's HTTP figure.  Run by tools/bench
# (root, for the namespaces).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
VB_SECONDS=${VB_SECONDS:-5}
VB_CYCLES=${VB_CYCLES:-2000}
BW=$top_builddir/tests/bench/bench-workflow
SIMS=$top_srcdir/tests/vnfsim
DICTS=$top_srcdir/provider/dictionaries
. "$top_srcdir/tests/integration/lib/common.sh"
. "$top_srcdir/tests/integration/lib/vnfsim.sh"
need_root
[ -x "$BW" ] || make -s -C "$top_builddir" tests/bench/bench-workflow \
    >/dev/null || { echo "vendor-bench: cannot build $BW"; exit 1; }

RULE='"action":"drop","protocol":"tcp","source":"198.18.7.0/24","destination":"198.18.8.10/32","port":8443,"description":"bench"'

# vendor TAG SIM DICT CS-DATA CREATE-DATA [SIM-SETTINGS...]
# CS-DATA may use @PIN@ for the lab certificate's pin.
vendor() {
	v_tag=$1 v_sim=$SIMS/$2 v_dict=$DICTS/$3 v_cs=$4 v_data=$5
	v_name=${3%.yaml}
	shift 5
	if [ ! -f "$v_sim" ] || [ ! -f "$v_dict" ]; then
		printf '%-12s %s\n' "$v_name" "(not shipped)"
		return
	fi
	if ! vs_up "$v_tag" "$v_sim" "$@" >/dev/null; then
		printf '%-12s %s\n' "$v_name" "lab failed"
		vs_down
		return
	fi
	cs=$(printf '%s' "$v_cs" | sed "s|@PIN@|$VS_PIN|")
	out=$(ip netns exec "$VS_MGMT" "$BW" cycle "$v_dict" FIREWALL_RULES \
	    --target "$VS_TARGET" --cs-data "$cs" --data "$v_data" \
	    --seconds "$VB_SECONDS" --count "$VB_CYCLES" 2>"$VS_DIR/bw.err")
	ops=$(echo "$out" | sed -n 's/.* ops=\([0-9]*\) .*/\1/p')
	rate=$(echo "$out" | sed -n 's/.*ops_per_s=\([0-9.]*\).*/\1/p')
	mean=$(echo "$out" | sed -n 's/.*mean_ms=\([0-9.]*\).*/\1/p')
	failed=$(echo "$out" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')
	sim=$("$PYTHON3" -c 'import json,sys
e=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ops=int(sys.argv[2] or 0)
print("%.2f %.3f" % (len(e)/ops, sum(x["ms"] for x in e)/ops) if ops else "- -")' \
	    "$VS_DIR/requests.log" "${ops:-0}")
	reqs=${sim% *} simms=${sim#* }
	over=$(awk -v m="${mean:-0}" -v s="$simms" 'BEGIN { printf "%.3f", m - s }')
	printf '%-12s %8s %10s %10s %10s %12s %12s\n' "$v_name" \
	    "${ops:--}" "${rate:--}" "${mean:--}" "$reqs" "$simms" "$over"
	if [ "${failed:-1}" != 0 ]; then
		sed 's/^/#   /' "$VS_DIR/bw.err" | head -5
	fi
	vs_down
}

printf '%-12s %8s %10s %10s %10s %12s %12s\n' vendor ops "ops/s" \
    "ms/op" "req/op" "sim ms/op" "rest ms/op"
# One line per HTTP vendor (docs/providers/); the same rule for all, in
# each vendor's create fields.  IOS-XE (SSH CLI behind sshd) and
# linux-nftables (sshd + nft) are measured by workflow-bench.sh's SSH
# figures.
K=bench-key-$$
vendor opn opnsense.py opnsense.yaml \
    "{\"api_key\":\"$K\",\"api_secret\":\"s-$K\",\"tls_pin\":\"@PIN@\"}" \
    "{$RULE}" --set "key=$K" --set "secret=s-$K"
vendor pfs pfsense.py pfsense.yaml \
    "{\"api_key\":\"$K-0123456789abcdef0123456789ab\",\"tls_pin\":\"@PIN@\"}" \
    "{$RULE,\"interface\":\"lan\"}" --set "api_key=$K-0123456789abcdef0123456789ab"
vendor vyo vyos.py vyos.yaml \
    "{\"api_key\":\"$K\",\"tls_pin\":\"@PIN@\"}" \
    "{\"id\":10,$RULE}" --set "key=$K"
vendor ros routeros.py routeros.yaml \
    "{\"username\":\"admin\",\"password\":\"p-$K\",\"tls_pin\":\"@PIN@\"}" \
    "{$RULE}" --set user=admin --set "password=p-$K"
vendor fgt fortigate.py fortigate.yaml \
    "{\"api_key\":\"$K\",\"tls_pin\":\"@PIN@\"}" \
    '{"action":"drop","protocol":"tcp","description":"bench"}' --set "token=$K"
echo "($VB_SECONDS s per vendor, one appliance, create + list + delete" \
    "per cycle; FortiGate's rule on its predefined ALL_TCP service, since" \
    "a port needs a service object made by its own operation)"
