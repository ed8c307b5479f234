# The control API from a test, over the engine's unix socket (sourced
# after common.sh by the engine-*.sh tests).  Needs SOCK and tmp.
#
#   api METHOD PATH [BODY]	status in $ST, body in $tmp/body; the body
#				is sent as $API_CT (default JSON), and every
#				answer is appended to $API_BODIES if set
#   b PYEXPR			Python over the last body, d
#   is PYEXPR VALUE		b PYEXPR prints VALUE
#   show			the last status and body, for a failure
#   engine_broker_start ADDRESS/LEN...
#				start $BROKERD -c $tmp/broker.yaml (BPID,
#				output appended to $tmp/broker.log) and wait
#				for this start's "ready:"; give the broker-made
#				veth $PEER in $LAB the addresses, up; wait for
#				the API socket $tmp/run/api.sock

api() {
	if [ $# -ge 3 ]; then
		ST=$(curl -s --max-time 60 --unix-socket "$SOCK" -X "$1" \
		    -H "Content-Type: ${API_CT:-application/json}" \
		    --data-binary "$3" -o "$tmp/body" -w '%{http_code}' \
		    "http://engine$2")
	else
		ST=$(curl -s --max-time 60 --unix-socket "$SOCK" -X "$1" \
		    -o "$tmp/body" -w '%{http_code}' "http://engine$2")
	fi
	if [ -n "${API_BODIES:-}" ]; then
		cat "$tmp/body" >>"$API_BODIES" 2>/dev/null
		echo >>"$API_BODIES"
	fi
}
b() {
	"$PYTHON3" -c 'import json,sys
d=json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$tmp/body" "$1" 2>/dev/null
}
is() { [ "$(b "$1")" = "$2" ]; }
show() { echo "#   status $ST: $(head -c 700 "$tmp/body")"; }

engine_broker_start() {
	touch "$tmp/broker.log"
	from=$(( $(wc -l <"$tmp/broker.log") + 1 ))
	"$BROKERD" -c "$tmp/broker.yaml" >>"$tmp/broker.log" 2>&1 &
	BPID=$!
	wait_for 20 sh -c "tail -n +$from '$tmp/broker.log' | grep -q 'ready:'" ||
	    return 1
	# (Re)made by the broker: the lab's end needs its addresses again
	# (a lab server's listening socket outlives them).
	wait_for 5 ip -n "$LAB" link show "$PEER" >/dev/null 2>&1
	ip -n "$LAB" link set "$PEER" up
	for a in "$@"; do
		ip -n "$LAB" addr add "$a" dev "$PEER" 2>/dev/null
	done
	wait_for 20 test -S "$tmp/run/api.sock"
}
