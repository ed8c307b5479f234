# A real vnf-brokerd with the engine role, for tests of the control API
# (sourced after common.sh; engine-openapi.sh and brokerctl.sh use it).
#
#   engine_start PREFIX APIPORT
#
# PREFIX (3 letters) names every namespace and link: PREFIX-nN is the
# broker's guest network NET (198.18.45.1/24, from broker.yaml), with a
# veth PREFIX-pN into the lab namespace PREFIX-lN, where a VyOS simulator
# (tests/vnfsim/vyos.py) answers HTTPS on 198.18.45.11:443.  The
# configuration also holds an appliance (cfg-fw) and a user (cfg-user),
# so "origin: config" objects exist, and the API's TLS listener on
# 127.0.0.1:APIPORT with a server certificate for 127.0.0.1, a client CA,
# a bearer token (the file $tmp/token), and api.max_body 256 KiB.
#
# Sets: SOCK (the API's unix socket), NET, LAB, NET2 and PEER2 (free
# names for a network registered through the API: 198.18.46.1/24, veth
# into the lab), KEY and PIN (the simulator's API key and certificate
# pin), DICT (vyos.yaml), and files in $tmp: ca.crt, client.crt/.key,
# srv.crt, token, broker.yaml, broker.log, audit.log.
# The caller sets tmp and calls engine_stop from its EXIT trap.

BROKERD=${VEC_BROKERD:-$top_builddir/broker/vnf-brokerd}
ENGINE=$top_builddir/broker/vnf-broker-engine
BROKERCTL=${VEC_BROKERCTL:-$top_builddir/broker/vnf-brokerctl}
SIM=$top_srcdir/tests/vnfsim/vyos.py
DICT=$top_srcdir/provider/dictionaries/vyos.yaml
BPID=
SPIDS=
E_NS=

engine_stop() {
	if [ "${T_FAIL:-0}" -gt 0 ] && [ -f "$tmp/broker.log" ]; then
		echo "--- broker log (last 60 lines)"
		tail -60 "$tmp/broker.log"
	fi
	[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	for p in $SPIDS; do kill "$p" 2>/dev/null; done
	for p in $SPIDS; do wait "$p" 2>/dev/null; done
	for ns in $E_NS; do ip netns del "$ns" 2>/dev/null; done
	# The network registered through the API, if a test stopped before
	# deleting it: the broker detached it on exit; its peer went with it.
	BPID=
	SPIDS=
}

engine_start() {
	pfx=$1
	apiport=$2
	sfx=$(( $$ % 10000 ))
	NET=$pfx-n$sfx
	LAB=$pfx-l$sfx
	PEER=$pfx-p$sfx
	NET2=$pfx-m$sfx
	PEER2=$pfx-q$sfx
	E_NS="$NET $NET2 $LAB"
	[ -x "$ENGINE" ] || { echo "FAIL: $ENGINE not built"; return 1; }
	KEY="$pfx-key-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"

	# Certificates: the simulator's (pinned), the API's, a client CA
	# and one client of it.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 2 -subj /CN=sim -addext "subjectAltName=IP:198.18.45.11" \
	    -keyout "$tmp/sim.key" -out "$tmp/sim.crt" 2>/dev/null || return 1
	PIN="sha256//$(openssl x509 -in "$tmp/sim.crt" -pubkey -noout |
	    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary |
	    openssl base64 -A)"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 2 -subj /CN=api -addext "subjectAltName=IP:127.0.0.1" \
	    -keyout "$tmp/srv.key" -out "$tmp/srv.crt" 2>/dev/null || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 2 -subj /CN=test-ca \
	    -keyout "$tmp/ca.key" -out "$tmp/ca.crt" 2>/dev/null || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -subj /CN=cloudstack -keyout "$tmp/client.key" \
	    -out "$tmp/client.csr" 2>/dev/null || return 1
	openssl x509 -req -in "$tmp/client.csr" -CA "$tmp/ca.crt" \
	    -CAkey "$tmp/ca.key" -CAcreateserial -days 2 \
	    -out "$tmp/client.crt" 2>/dev/null || return 1
	chmod 644 "$tmp"/*.crt "$tmp"/*.key
	od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$tmp/token"
	TOKHASH=$(tr -d '\n' <"$tmp/token" | openssl dgst -sha256 -r |
	    cut -d' ' -f1)
	HASH=$(openssl passwd -6 cfg-secret)

	ip netns add "$LAB" && ip -n "$LAB" link set lo up || return 1
	cat >"$tmp/broker.yaml" <<EOC
user: nobody
state_dir: $tmp/state
run_dir: $tmp/run
log: {level: debug}
restart_backoff_max: 1
audit_log: $tmp/audit.log
listen:
  api: ["127.0.0.1:$apiport"]
roles:
  engine: {program: $ENGINE}
api:
  tls_certificate: $tmp/srv.crt
  tls_key: $tmp/srv.key
  client_ca: $tmp/ca.crt
  tokens:
    - {name: ctl, sha256: $TOKHASH}
  workers: 2
  wait: 20
  max_body: 262144
networks:
  - name: $NET
    veth: {peer: $PEER, peer_netns: $LAB}
    addresses: [198.18.45.1/24]
appliances:
  - name: cfg-fw
    network: $NET
    address: 198.18.45.11
    ports: [443]
    provider: vyos
    cs_data: {api_key: "$KEY", tls_pin: "$PIN", hostname: cfg-edge}
users:
  - name: cfg-user
    proxy_password_hash: '$HASH'
    grants:
      - {appliances: [cfg-fw]}
EOC
	"$BROKERD" -t -c "$tmp/broker.yaml" >"$tmp/check.out" 2>&1 ||
	    { cat "$tmp/check.out"; echo "FAIL: config check"; return 1; }
	"$BROKERD" -c "$tmp/broker.yaml" >"$tmp/broker.log" 2>&1 &
	BPID=$!
	wait_for 20 grep -q "ready:" "$tmp/broker.log" ||
	    { echo "FAIL: the broker did not start"; return 1; }
	wait_for 5 ip -n "$LAB" link show "$PEER" >/dev/null 2>&1
	ip -n "$LAB" link set "$PEER" up
	ip -n "$LAB" addr add 198.18.45.11/24 dev "$PEER"
	ip netns exec "$LAB" "$PYTHON3" "$SIM" --listen 198.18.45.11 \
	    --port 443 --port-file "$tmp/sim.port" --cert "$tmp/sim.crt" \
	    --key "$tmp/sim.key" --log "$tmp/sim-req.log" --set "key=$KEY" \
	    --set version=1.4.0 2>"$tmp/sim.err" &
	SPIDS="$SPIDS $!"
	wait_for 10 test -s "$tmp/sim.port" ||
	    { cat "$tmp/sim.err"; echo "FAIL: the simulator"; return 1; }
	SOCK=$tmp/run/api.sock
	wait_for 20 test -S "$SOCK" ||
	    { echo "FAIL: no API socket $SOCK"; return 1; }
	return 0
}
