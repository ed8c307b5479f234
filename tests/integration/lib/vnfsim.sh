# A vendor simulator lab in network namespaces (sourced by the vendor
# tests, after common.sh).
#
#   vbvTAGmN (management: vnf-provider runs here) 198.18.0.1/24
#        |  veth
#   vbvTAGvN (the appliance: the simulator)        198.18.0.2/24
#
# TAG names the vendor (a few letters), N is a per-run suffix, so
# vendor tests may run side by side under make -j; nothing is added to
# the host's own namespace.  The simulator listens with TLS on a
# self-signed certificate made for the run.
#
#   vs_up TAG SIM.py [--set KEY=VALUE ...]   the lab, the simulator started
#   vs_down                                 undoes all of it (also on EXIT)
#   vp ARGS...      vnf-provider ARGS --compact in the management
#                   namespace; output in $OUT, stderr in $OUT.err, exit
#                   status in $VP_RC
#   jget EXPR       a Python expression over the result d (the last line)
#   jis EXPR WANT   jget EXPR prints WANT
#   slog EXPR       a Python expression over the simulator's request log
#                   e (a list of {method, path, query, headers, body,
#                   status, response, peer (the client's port)})
#   show            the last result, for a failed check
#
# vs_up sets VS_IP (198.18.0.2), VS_PORT, VS_TARGET (VS_IP:VS_PORT),
# VS_DIR (a private temporary directory), VS_CERT, VS_PIN (the
# certificate key's SHA-256 pin, "sha256//BASE64"), OUT.

VS_IP=198.18.0.2
VS_MGMT=
VS_VNF=
VS_DIR=
VS_PID=
VP=${VP:-$top_builddir/provider/vnf-provider}

vs_up() {
	tag=$1 sim=$2
	shift 2
	sfx=$(( $$ % 100000 ))
	VS_MGMT=vbv${tag}m$sfx
	VS_VNF=vbv${tag}v$sfx
	VS_DIR=$(mktemp -d "/tmp/vbv$tag.XXXXXX") || return 1
	OUT=$VS_DIR/out
	trap vs_down EXIT
	trap 'exit 1' INT TERM
	ip netns add "$VS_MGMT" && ip netns add "$VS_VNF" &&
	    ip -n "$VS_MGMT" link set lo up && ip -n "$VS_VNF" link set lo up &&
	    ip link add vbv0 netns "$VS_MGMT" type veth peer name vbv1 \
	    netns "$VS_VNF" &&
	    ip -n "$VS_MGMT" addr add 198.18.0.1/24 dev vbv0 &&
	    ip -n "$VS_VNF" addr add "$VS_IP/24" dev vbv1 &&
	    ip -n "$VS_MGMT" link set vbv0 up && ip -n "$VS_VNF" link set vbv1 up ||
	    { echo "# the lab could not be built"; return 1; }
	VS_CERT=$VS_DIR/cert.pem
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 2 -subj "/CN=vnf-simulator" \
	    -addext "subjectAltName=IP:$VS_IP" -keyout "$VS_DIR/key.pem" \
	    -out "$VS_CERT" 2>/dev/null || { echo "# openssl req failed"; return 1; }
	VS_PIN="sha256//$(openssl x509 -in "$VS_CERT" -pubkey -noout |
	    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary |
	    openssl base64 -A)"
	ip netns exec "$VS_VNF" "$PYTHON3" "$sim" --listen "$VS_IP" \
	    --port 443 --port-file "$VS_DIR/port" --cert "$VS_CERT" \
	    --key "$VS_DIR/key.pem" --log "$VS_DIR/requests.log" "$@" \
	    2>"$VS_DIR/sim.err" &
	VS_PID=$!
	if ! wait_for 10 test -s "$VS_DIR/port"; then
		echo "# the simulator did not start:"
		sed 's/^/#   /' "$VS_DIR/sim.err"
		return 1
	fi
	VS_PORT=$(cat "$VS_DIR/port")
	VS_TARGET=$VS_IP:$VS_PORT
	echo "# $(basename "$sim") on $VS_TARGET in $VS_VNF"
}

vs_down() {
	if [ -n "$VS_PID" ]; then
		kill "$VS_PID" 2>/dev/null
		wait "$VS_PID" 2>/dev/null
		VS_PID=
	fi
	[ -n "$VS_MGMT" ] && ip netns del "$VS_MGMT" 2>/dev/null
	[ -n "$VS_VNF" ] && ip netns del "$VS_VNF" 2>/dev/null
	VS_MGMT= VS_VNF=
	if [ -n "$VS_DIR" ]; then
		[ -s "$VS_DIR/sim.err" ] && sed 's/^/# simulator: /' "$VS_DIR/sim.err"
		rm -rf "$VS_DIR"
		VS_DIR=
	fi
}

vp() {
	ip netns exec "$VS_MGMT" "$VP" "$@" --compact >"$OUT" 2>"$OUT.err"
	VP_RC=$?
}

jget() {
	"$PYTHON3" -c 'import json,sys
r=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
d=r[-1] if r else None
print(eval(sys.argv[2]))' "$OUT" "$1" 2>/dev/null
}
jis() { [ "$(jget "$1")" = "$2" ]; }

slog() {
	"$PYTHON3" -c 'import json,sys
e=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(eval(sys.argv[2]))' "$VS_DIR/requests.log" "$1" 2>/dev/null
}
sis() { [ "$(slog "$1")" = "$2" ]; }

show() {
	echo "# rc=$VP_RC $(head -c 1500 "$OUT") $(head -c 300 "$OUT.err")"
}
