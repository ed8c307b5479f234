#!/bin/sh
# The control API's own cost per operation.  One HTTP VNF operation
# (tests/bench/workflow-http.yaml: RULES list against bench-workflow's
# built-in server, in a lab namespace behind a guest network) is run
#   - by the engine directly: bench-workflow run, inside the guest
#     network's namespace, where the engine role's sockets are made;
#   - through vnf-brokerd's API: POST /v1/appliances/NAME/operations/
#     RULES/list, over the unix socket and over HTTPS with a bearer token,
#     kept connections, from curl;
# one request at a time (one appliance), then 8 at a time (8 clients on
# 8 appliances at the same address; the engine runs appliances in
# parallel).  The API's overhead is the difference of the medians.
#
#   top_builddir=... top_srcdir=... tests/bench/api-bench.sh
#   env: AB_COUNT1 (3000 operations one at a time), AB_COUNT8 (10000
#   operations 8 at a time)
#
# Run by tools/bench (root, for the namespaces).  Namespaces vbab-n (the
# guest network, made by the broker) and vbab-l (the lab).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
N1=${AB_COUNT1:-3000}
N8=${AB_COUNT8:-10000}
BW=$top_builddir/tests/bench/bench-workflow
BROKERD=$top_builddir/broker/vnf-brokerd
ENGINE=$top_builddir/broker/vnf-broker-engine
CTL=$top_builddir/broker/vnf-brokerctl
HDICT=$top_srcdir/tests/bench/workflow-http.yaml
API_PORT=43190

[ "$(id -u)" -eq 0 ] || { echo "api-bench: run as root"; exit 1; }
for b in "$BW" "$BROKERD" "$ENGINE" "$CTL"; do
	[ -x "$b" ] || { echo "api-bench: build $b first"; exit 1; }
done
if [ -e /run/netns/vbab-n ] || [ -e /run/netns/vbab-l ]; then
	echo "api-bench: vbab-n or vbab-l exists: another run?"
	exit 1
fi

tmp=$(mktemp -d /tmp/vbab.XXXXXX)
chmod 755 "$tmp"
BPID= SPID=
cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	ip netns del vbab-l 2>/dev/null
	ip netns del vbab-n 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

TOKEN=$(openssl rand -hex 24)
TSHA=$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)
cat >"$tmp/broker.yaml" <<EOC
user: nobody
state_dir: $tmp/state
run_dir: $tmp/run
log: {level: warn}
audit_log: $tmp/audit.log
listen:
  api: ["127.0.0.1:$API_PORT"]
roles:
  engine: {program: $ENGINE}
api:
  tokens: [{name: bench, sha256: $TSHA}]
  max_concurrent: 64
  workers: 8
EOC
"$BROKERD" -c "$tmp/broker.yaml" >"$tmp/broker.log" 2>&1 &
BPID=$!
C="$CTL --socket $tmp/run/api.sock"
i=0
until $C status >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "api-bench: the broker did not start"; tail "$tmp/broker.log"; exit 1; }
	sleep 0.1
done

ip netns add vbab-l
ip -n vbab-l link set lo up
printf '{"veth": {"peer": "vbab-p", "peer_netns": "vbab-l"}, "addresses": ["198.18.3.1/24"]}' \
    >"$tmp/net.json"
$C network put vbab-n --file "$tmp/net.json" >/dev/null ||
    { echo "api-bench: network put failed"; exit 1; }
ip -n vbab-l addr add 198.18.3.2/24 dev vbab-p
ip -n vbab-l link set vbab-p up
ip netns exec vbab-l "$BW" serve 8080 198.18.3.2 >"$tmp/serve.log" 2>&1 &
SPID=$!
$C provider put bench-http "$HDICT" >/dev/null ||
    { echo "api-bench: provider put failed"; exit 1; }
for n in 0 1 2 3 4 5 6 7; do
	printf '{"network": "vbab-n", "address": "198.18.3.2", "ports": [8080], "provider": "bench-http"}' \
	    >"$tmp/app.json"
	$C appliance put "vnf$n" --file "$tmp/app.json" >/dev/null ||
	    { echo "api-bench: appliance put failed"; exit 1; }
done
i=0
until grep -q listening "$tmp/serve.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || { echo "api-bench: no HTTP VNF"; exit 1; }
	sleep 0.1
done

# The API client: curl, a C client with kept connections, given COUNT
# URLs in a config file (8 at once with --parallel), each transfer's
# status and time written out.  api MODE CLIENTS COUNT prints the same
# line as bench-workflow run.
api() {
	mode=$1 k=$2 n=$3
	: >"$tmp/urls"
	j=0
	while [ $j -lt "$n" ]; do
		if [ "$mode" = unix ]; then
			echo "url = \"http://localhost/v1/appliances/vnf$((j % k))/operations/RULES/list\""
		else
			echo "url = \"https://127.0.0.1:$API_PORT/v1/appliances/vnf$((j % k))/operations/RULES/list\""
		fi
		echo 'output = "/dev/null"'
		j=$((j + 1))
	done >"$tmp/urls"
	set -- -s -K "$tmp/urls" -H 'Content-Type: application/json' \
	    -d '{"data": {}}' -w '%{http_code} %{time_total}\n' --max-time 30
	[ "$k" -gt 1 ] && set -- "$@" --parallel --parallel-max "$k"
	if [ "$mode" = unix ]; then
		set -- "$@" --unix-socket "$tmp/run/api.sock"
	else
		set -- "$@" -k -H "Authorization: Bearer $TOKEN"
	fi
	t0=$(date +%s.%N)
	timeout 300 curl "$@" >"$tmp/times" 2>/dev/null
	t1=$(date +%s.%N)
	sort -k2 -n "$tmp/times" | awk -v t0="$t0" -v t1="$t1" '
	    $1 == 200 { ok[n++] = $2 } $1 != 200 { failed++ }
	    END { dt = t1 - t0
		printf "ops=%d failed=%d seconds=%.3f ops_per_s=%.1f p50_ms=%.3f p99_ms=%.3f\n",
		    n, failed, dt, n / dt, ok[int(n * 0.5)] * 1000,
		    ok[int(n * 0.99)] * 1000 }'
}

field() { echo "$2" | sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
row() {	# PATH CLIENTS OUTPUT
	printf '%-34s %8s %10s %9s %9s %7s\n' "$1" "$2" \
	    "$(field ops_per_s "$3")" "$(field p50_ms "$3")" \
	    "$(field p99_ms "$3")" "$(field failed "$3")"
}
printf '%-34s %8s %10s %9s %9s %7s\n' path "at once" "ops/s" "p50 ms" \
    "p99 ms" failed
d1=$(ip netns exec vbab-n "$BW" run "$HDICT" RULES list \
    --target 198.18.3.2:8080 --count "$N1" --seconds 60 2>&1 | tail -1)
row "engine directly (bench-workflow)" 1 "$d1"
u1=$(api unix 1 "$N1")
row "API, unix socket" 1 "$u1"
h1=$(api https 1 "$N1")
row "API, HTTPS + bearer token" 1 "$h1"
d8=$(ip netns exec vbab-n "$BW" run "$HDICT" RULES list \
    --target 198.18.3.2:8080 --count "$N8" --seconds 60 \
    --parallel 8 2>&1 | tail -1)
row "engine directly (bench-workflow)" 8 "$d8"
u8=$(api unix 8 "$N8")
row "API, unix socket" 8 "$u8"
h8=$(api https 8 "$N8")
row "API, HTTPS + bearer token" 8 "$h8"
awk -v d="$(field p50_ms "$d1")" -v u="$(field p50_ms "$u1")" \
    -v h="$(field p50_ms "$h1")" 'BEGIN {
	printf "API overhead per operation (p50, one at a time): unix socket %.3f ms, HTTPS %.3f ms\n", u - d, h - d }'
echo "($N1 operations per row one at a time, $N8 eight at a time; the API" \
    "client is curl (kept connections), the direct runner bench-workflow;" \
    "the engine's socket to the VNF comes from the parent, bench-workflow's" \
    "is its own)"
