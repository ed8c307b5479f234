#!/bin/sh
# Integration: operations, jobs, health and bootstrap of the engine role
# (vnf-broker-engine) under a real vnf-brokerd, against VyOS simulators
# (tests/vnfsim/vyos.py) in a lab namespace, through the control API on
# its unix socket with curl.
#
#   veo-nN (the broker's guest network, 198.18.40.1/24)
#        |  veth veo-pN
#   veo-lN (the lab: eleven VyOS simulators, 198.18.40.11-.20 and .30;
#           .40 accepts and never answers, for an operation in flight)
#
# Checked: firewall rules created, listed and deleted through the API,
# in the simulator's configuration; 100 operations over 10 appliances
# keep each appliance's order (the simulators' request logs); a job with
# wait=0 polled to done; 404 for an unknown appliance, service or
# operation (with the known ones), 422 for data failing the schema, 400
# for bad fields; health GET and POST; bootstrap started and its result;
# kill -9 of the engine role during an operation: the waiting client's
# connection closes, the role comes back, the job id from before the
# restart answers a failed job.
#
# Root, curl, python3 and openssl needed; skips (77) otherwise.
# Namespaces and links veo*, TCP ports 24300-24399, 198.18.40.0/24.
. "$(dirname "$0")/lib/common.sh"
need_root
for b in curl openssl "$PYTHON3"; do
	command -v "$b" >/dev/null 2>&1 || { echo "SKIP: no $b"; exit 77; }
done

BROKERD=${VEO_BROKERD:-$top_builddir/broker/vnf-brokerd}
ENGINE=$top_builddir/broker/vnf-broker-engine
SIM=$top_srcdir/tests/vnfsim/vyos.py
DICT=$top_srcdir/provider/dictionaries/vyos.yaml
[ -x "$ENGINE" ] || { echo "FAIL: $ENGINE not built"; exit 1; }
sfx=$(( $$ % 10000 ))
NET=veo-n$sfx
LAB=veo-l$sfx
PEER=veo-p$sfx
APIPORT=24300
tmp=$(mktemp -d /tmp/veo.XXXXXX) || exit 1
chmod 755 "$tmp"
BPID=
SPIDS=
KEY="veo-key-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
export KEY

cleanup() {
	if [ "$T_FAIL" -gt 0 ]; then
		echo "--- broker log (last 60 lines)"
		tail -60 "$tmp/broker.log" 2>/dev/null
	fi
	[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	for p in $SPIDS; do kill "$p" 2>/dev/null; done
	for p in $SPIDS; do wait "$p" 2>/dev/null; done
	ip netns del "$LAB" 2>/dev/null
	ip netns del "$NET" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

# --- the lab: one certificate for every simulator (the pin is its key's)
IPS=""
for i in 11 12 13 14 15 16 17 18 19 20 30; do IPS="$IPS 198.18.40.$i"; done
SAN=$(for ip in $IPS; do printf 'IP:%s,' "$ip"; done | sed 's/,$//')
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days 2 -subj /CN=veo-sim -addext "subjectAltName=$SAN" \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null ||
    { echo "FAIL: openssl req"; exit 1; }
PIN="sha256//$(openssl x509 -in "$tmp/cert.pem" -pubkey -noout |
    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary |
    openssl base64 -A)"
ip netns add "$LAB" && ip -n "$LAB" link set lo up ||
    { echo "FAIL: ip netns add"; exit 1; }

# The silent host: accepts TCP on 443 and never says a word.
cat >"$tmp/silent.py" <<'EOF'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 443))
s.listen(16)
print("listening", flush=True)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
    print("accepted", flush=True)
EOF

cat >"$tmp/broker.yaml" <<EOC
user: nobody
state_dir: $tmp/state
run_dir: $tmp/run
log: {level: debug}
restart_backoff_max: 1
audit_log: $tmp/audit.log
listen:
  api: ["127.0.0.1:$APIPORT"]
roles:
  engine: {program: $ENGINE}
api:
  workers: 4
  wait: 20
  max_jobs: 300
  max_concurrent: 256
networks:
  - name: $NET
    veth: {peer: $PEER, peer_netns: $LAB}
    addresses: [198.18.40.1/24]
appliances:
EOC
n=0
for i in 11 12 13 14 15 16 17 18 19 20; do
	n=$((n + 1))
	cat >>"$tmp/broker.yaml" <<EOC
  - name: a$n
    network: $NET
    address: 198.18.40.$i
    ports: [443]
    provider: vyos
    cs_data: {api_key: "$KEY", tls_pin: "$PIN", hostname: edge-$n}
EOC
done
cat >>"$tmp/broker.yaml" <<EOC
  - name: silent
    network: $NET
    address: 198.18.40.40
    ports: [443]
    provider: vyos
    cs_data: {api_key: "$KEY", tls_pin: "$PIN"}
  - name: outside
    network: $NET
    address: 198.18.40.11
    ports: [443]
    provider: veo-out
  - name: bare
    network: $NET
    address: 198.18.40.50
    ports: [443]
EOC

check "config check passes" "$BROKERD" -t -c "$tmp/broker.yaml"
"$BROKERD" -c "$tmp/broker.yaml" >"$tmp/broker.log" 2>&1 &
BPID=$!
wait_for 20 grep -q "ready:" "$tmp/broker.log" ||
    { not_ok "broker starts"; finish; exit 1; }
wait_for 5 ip -n "$LAB" link show "$PEER" >/dev/null 2>&1
ip -n "$LAB" link set "$PEER" up
n=0
for i in 11 12 13 14 15 16 17 18 19 20; do
	n=$((n + 1))
	ip -n "$LAB" addr add "198.18.40.$i/24" dev "$PEER"
done
ip -n "$LAB" addr add 198.18.40.40/24 dev "$PEER"
sleep 1	# duplicate address detection is IPv6 only; the addresses are up
n=0
for i in 11 12 13 14 15 16 17 18 19 20; do
	n=$((n + 1))
	ip netns exec "$LAB" "$PYTHON3" "$SIM" --listen "198.18.40.$i" \
	    --port 443 --port-file "$tmp/port-a$n" --cert "$tmp/cert.pem" \
	    --key "$tmp/key.pem" --log "$tmp/req-a$n.log" --set "key=$KEY" \
	    --set version=1.4.0 2>"$tmp/sim-a$n.err" &
	SPIDS="$SPIDS $!"
done
ip netns exec "$LAB" "$PYTHON3" "$tmp/silent.py" 198.18.40.40 \
    >"$tmp/silent.out" 2>&1 &
SPIDS="$SPIDS $!"
for n in 1 2 3 4 5 6 7 8 9 10; do
	wait_for 10 test -s "$tmp/port-a$n" ||
	    { not_ok "simulator a$n starts"; finish; exit 1; }
done
wait_for 10 grep -q listening "$tmp/silent.out"

SOCK=$tmp/run/api.sock
wait_for 20 test -S "$SOCK"
. "$top_srcdir/tests/integration/lib/api.sh"
# cfg N EXPR: Python over simulator aN's running configuration c.
cfg() {
	ip netns exec "$LAB" "$PYTHON3" -c 'import json,ssl,sys,urllib.parse,urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
body = urllib.parse.urlencode({"data": json.dumps({"op": "showConfig", "path": []}), "key": sys.argv[3]}).encode()
c = json.load(urllib.request.urlopen("https://%s/retrieve" % sys.argv[1], body, context=ctx))["data"]
def g(*p):
    x = c
    for k in p:
        if not isinstance(x, dict) or k not in x:
            return None
        x = x[k]
    return x
print(eval(sys.argv[4]))' "198.18.40.$((10 + $1))" "$tmp/cert.pem" "$KEY" "$2" 2>"$tmp/cfg.err"
}
OP=/v1/appliances

# --- the provider, registered through the API
ST=$(curl -s --max-time 20 --unix-socket "$SOCK" -X PUT \
    -H 'Content-Type: application/yaml' --data-binary "@$DICT" \
    -o "$tmp/body" -w '%{http_code}' http://engine/v1/providers/vyos)
check "PUT /v1/providers/vyos: created" [ "$ST" = 201 ] || show
# The new view reaches the engine; the provider is compiled there.
ready() { api POST "$OP/a1/operations/FIREWALL_RULES/list" '{}'; [ "$ST" = 200 ]; }
wait_for 20 ready
check "an operation runs once the provider is in the view" [ "$ST" = 200 ] || show

# A dictionary whose connection renders a host outside the network.
cat >"$tmp/out.yaml" <<'EOD'
name: veo-out
description: reaches for a host outside its appliance's network
connections:
  api: {type: http, host: 198.18.41.7, port: 80, timeout: 5}
services:
  Probe:
    get:
      get_data: []
      connection: api
      method: GET
      url: /
EOD
ST=$(curl -s --max-time 20 --unix-socket "$SOCK" -X PUT \
    -H 'Content-Type: application/yaml' --data-binary "@$tmp/out.yaml" \
    -o "$tmp/body" -w '%{http_code}' http://engine/v1/providers/veo-out)
check "PUT /v1/providers/veo-out: created" [ "$ST" = 201 ] || show
outready() { api POST "$OP/outside/operations/Probe/get" '{}'; [ "$ST" = 200 ]; }
wait_for 20 outready
check "a host outside the appliance's network: failed, no socket asked" \
    is '(d["status"], "outside network" in d["error"])' "('failed', True)"

# --- create, list, delete through the API; the simulator's state
api POST "$OP/a1/operations/FIREWALL_RULES/create" \
    '{"data": {"id": 10, "action": "accept", "protocol": "tcp", "port": 443}}'
check "create: 200 with the runner's result, success" \
    is '(d["status"], d["service"], d["operation"])' \
    "('success', 'FIREWALL_RULES', 'create')" || show
check "create: the simulator holds rule 10" \
    [ "$(cfg 1 'g("firewall","ipv4","forward","filter","rule","10","action")')" = accept ]
api POST "$OP/a1/operations/FIREWALL_RULES/create" \
    '{"data": {"id": 20, "action": "drop", "protocol": "icmp"}}'
api POST "$OP/a1/operations/FIREWALL_RULES/list" '{}'
check "list: both rules" is 'd["data"]["ids"]' "['10', '20']" || show
check "the API key is never answered in clear" \
    sh -c "! grep -q '$KEY' '$tmp/body'"
api POST "$OP/a1/operations/FIREWALL_RULES/delete" '{"data": {"id": 10}}'
check "delete: success" is 'd["status"]' success || show
check "delete: rule 10 is gone from the simulator, 20 stays" \
    [ "$(cfg 1 'sorted(g("firewall","ipv4","forward","filter","rule"))')" = "['20']" ]
api POST "$OP/a1/operations/FIREWALL_RULES/create" \
    '{"data": {"id": 20, "protocol": "icmp", "port": 22}}'
check "an operation the appliance refuses: 200, status failed, its words" \
    is '(d["status"], bool(d["error"]))' "('failed', True)" || show

# --- errors
api POST "$OP/nosuch/operations/FIREWALL_RULES/list" '{}'
check "unknown appliance: 404 not_found" \
    test "$ST $(b 'd["error"]')" = "404 not_found" || show
api POST "$OP/a1/operations/NOPE/list" '{}'
check "unknown service: 404 with the known services in details" \
    test "$ST $(b '"FIREWALL_RULES" in d["details"] and "STATIC_ROUTES" in d["details"]')" = "404 True" || show
api POST "$OP/a1/operations/FIREWALL_RULES/frobnicate" '{}'
check "unknown operation: 404 with the service's operations" \
    test "$ST $(b '"create" in d["details"] and "delete" in d["details"]')" = "404 True" || show
api POST "$OP/a1/operations/FIREWALL_RULES/create" \
    '{"data": {"id": "abc", "action": "maybe"}}'
check "data failing the schema: 422 invalid_object, each field in details" \
    test "$ST $(b '(d["error"], len(d["details"]) >= 2, any("action" in x for x in d["details"]))')" = \
    "422 ('invalid_object', True, True)" || show
api POST "$OP/a1/operations/FIREWALL_RULES/list" '{"data": {}, "colour": 1}'
check "an unknown body field: 400 invalid_field" \
    test "$ST $(b 'd["error"]')" = "400 invalid_field" || show
api POST "$OP/a1/operations/FIREWALL_RULES/list" '{"wait": -1}'
check "a negative wait: 400 invalid_field" \
    test "$ST $(b 'd["error"]')" = "400 invalid_field" || show
api POST "$OP/bare/operations/FIREWALL_RULES/list" '{}'
check "an appliance without a provider: 409" [ "$ST" = 409 ] || show
api GET /v1/jobs/nosuch
check "a job id that is no id: 404" [ "$ST" = 404 ] || show

# --- a job: wait=0 answers 202 at once, polled to done
api POST "$OP/a2/operations/FIREWALL_RULES/create?wait=0" \
    '{"data": {"id": 7, "action": "accept", "protocol": "udp", "port": 53}}'
check "wait=0: 202 with the job (id, state, href)" \
    test "$ST $(b 'd["job"]["href"] == "/v1/jobs/" + d["job"]["id"] and d["job"]["state"] in ("queued", "running")')" = "202 True" || show
JOB=$(b 'd["job"]["id"]')
jobdone() { api GET "/v1/jobs/$JOB"; [ "$(b 'd["state"]')" = done ]; }
wait_for 20 jobdone
check "the job polled to done, with the result" \
    is '(d["state"], d["appliance"], d["result"]["status"])' \
    "('done', 'a2', 'success')" || show
check "the job's rule is in simulator a2" \
    [ "$(cfg 2 'g("firewall","ipv4","forward","filter","rule","7","action")')" = accept ]
api POST "$OP/a2/operations/FIREWALL_RULES/list" '{"wait": 0}'
check "\"wait\": 0 in the body: 202 too" [ "$ST" = 202 ] || show

# --- 100 operations over 10 appliances: each appliance's order kept
: >"$tmp/jobs"
for k in 1 2 3 4 5 6 7 8 9 10; do
	for n in 1 2 3 4 5 6 7 8 9 10; do
		api POST "$OP/a$n/operations/FIREWALL_RULES/create?wait=0" \
		    "{\"data\": {\"id\": $((100 + k)), \"action\": \"accept\", \"protocol\": \"tcp\", \"port\": $((1000 + k))}}"
		[ "$ST" = 202 ] && b 'd["job"]["id"]' >>"$tmp/jobs"
	done
done
check "100 operations queued (202 each)" [ "$(wc -l <"$tmp/jobs")" = 100 ]
# jobstates: "state/status" of every job in $tmp/jobs, counted.
jobstates() {
	curl -s --max-time 30 --unix-socket "$SOCK" $(sed \
	    's,^,http://engine/v1/jobs/,' "$tmp/jobs") | "$PYTHON3" -c '
import collections, json, sys
t = sys.stdin.read(); dec = json.JSONDecoder(); i = 0; c = collections.Counter()
while i < len(t):
    d, i = dec.raw_decode(t, i)
    c["%s/%s" % (d.get("state"), (d.get("result") or {}).get("status"))] += 1
    while i < len(t) and t[i].isspace(): i += 1
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))'
}
alldone() { [ "$(jobstates)" = "done/success=100" ]; }
wait_for 60 alldone
check "all 100 done, each a success" alldone || echo "#   $(jobstates)"
order() {
	"$PYTHON3" -c 'import json,sys,urllib.parse
out = []
for f in sys.argv[1:]:
    ids = []
    for l in open(f):
        e = json.loads(l)
        if e["path"] != "/configure":
            continue
        j = json.loads(dict(urllib.parse.parse_qsl(e["body"]))["data"])
        for c in (j if isinstance(j, list) else [j]):
            r = c["path"][5] if len(c["path"]) > 5 else ""
            if c["op"] == "set" and r.isdigit() and int(r) > 100:
                ids.append(int(r)); break
    out.append(ids == list(range(101, 111)))
print(all(out), len(out))' "$@"
}
check "each simulator got its ten creates in submission order" \
    test "$(order "$tmp"/req-a1.log "$tmp"/req-a2.log "$tmp"/req-a3.log \
    "$tmp"/req-a4.log "$tmp"/req-a5.log "$tmp"/req-a6.log \
    "$tmp"/req-a7.log "$tmp"/req-a8.log "$tmp"/req-a9.log \
    "$tmp"/req-a10.log)" = "True 10"
check "each simulator holds the ten rules" \
    [ "$(cfg 5 'sorted(int(x) for x in g("firewall","ipv4","forward","filter","rule") if int(x) > 100)')" = \
    "[101, 102, 103, 104, 105, 106, 107, 108, 109, 110]" ]
# The same 100 at once, each waiting for its answer.
seq 1 100 | xargs -P 100 -I@ sh -c "n=\$(( (@ % 10) + 1 )); curl -s \
    --max-time 60 --unix-socket '$SOCK' -X POST -d '{}' \
    -H 'Content-Type: application/json' -o /dev/null -w '%{http_code}\n' \
    http://engine$OP/a\$n/operations/FIREWALL_RULES/list" >"$tmp/par"
echo "# statuses: $(sort "$tmp/par" | uniq -c | tr -s ' \n' ' ')"
check "100 concurrent waiting requests: all 200" \
    test "$(sort "$tmp/par" | uniq -c | tr -s ' ')" = " 100 200"

# --- health
api GET "$OP/a3/health"
check "health GET: a state, a history list" \
    test "$ST $(b '(d["state"] in ("unknown", "healthy"), isinstance(d["history"], list))')" = \
    "200 (True, True)" || show
api POST "$OP/a3/health" '{}'
check "health POST: runs now, healthy, both checks pass" \
    test "$ST $(b '(d["status"], [c["status"] for c in d["checks"]])')" = \
    "200 ('healthy', ['pass', 'pass'])" || show
api GET "$OP/a3/health"
check "health GET after: healthy, last and history" \
    is '(d["state"], d["last"]["status"], len(d["history"]) >= 1)' \
    "('healthy', 'healthy', True)" || show
api GET "$OP/nosuch/health"
check "health of an unknown appliance: 404" [ "$ST" = 404 ] || show

# --- what /metrics says of it (no per-appliance labels)
api GET /metrics
mval() { sed -n "s/^$1 \([0-9.e+]*\)$/\1/p" "$tmp/body"; }
check "metrics: successful operations counted (>= 100)" \
    awk -v v="$(mval 'vnf_broker_operations_total{result="success"}')" \
    'BEGIN { exit !(v >= 100) }' || show
check "metrics: at least one appliance healthy" \
    awk -v v="$(mval 'vnf_broker_health_states{state="healthy"}')" \
    'BEGIN { exit !(v >= 1) }' || show
check "metrics: no job queued or running now" test \
    "$(mval 'vnf_broker_jobs{state="queued"}')/$(mval 'vnf_broker_jobs{state="running"}')" = 0/0 || show
check "metrics: no label names an appliance" sh -c \
    "! grep -q 'a3\\|appliance=' '$tmp/body'"

# --- bootstrap
api GET "$OP/a4/bootstrap"
check "bootstrap GET before any: state none" is 'd["state"]' none || show
api POST "$OP/a4/bootstrap" '{}'
check "bootstrap POST: 202 with a job" \
    test "$ST $(b 'd["job"]["href"].startswith("/v1/jobs/")')" = "202 True" || show
bootdone() { api GET "$OP/a4/bootstrap"; [ "$(b 'd["state"]')" = done ]; }
wait_for 60 bootdone
check "bootstrap GET: done, success, its steps" \
    is '(d["result"]["status"], [s["step"] for s in d["result"]["steps"] if s["step"] not in ("connected",)])' \
    "('success', ['reachable', 'action 1: System.set_hostname', 'action 2: System.save', 'ready_test'])" || show
check "bootstrap: the host name from cs_data is set on simulator a4" \
    [ "$(cfg 4 'g("system","host-name")')" = edge-4 ]
check "bootstrap: no secret answered in clear" \
    sh -c "! grep -q '$KEY' '$tmp/body'"

# --- kill -9 of the engine role during an operation
# A job on the silent host hangs in the TLS handshake (10 s); a client
# waits for a second operation queued behind it.
api POST "$OP/silent/operations/FIREWALL_RULES/list?wait=0" '{}'
OLDJOB=$(b 'd["job"]["id"]')
check "an operation to the silent host: 202 job" [ "$ST" = 202 ] || show
running() { api GET "/v1/jobs/$OLDJOB"; [ "$(b 'd["state"]')" = running ]; }
wait_for 15 running
check "the job is running (the silent host accepted, says nothing)" running
curl -s --max-time 60 --unix-socket "$SOCK" -X POST -d '{}' \
    -H 'Content-Type: application/json' -o "$tmp/inflight.body" \
    -w '%{http_code}' \
    "http://engine$OP/silent/operations/FIREWALL_RULES/list?wait=50" \
    >"$tmp/inflight.code" 2>/dev/null &
CPID=$!
sleep 1
EPID=$(ps -o pid= --ppid "$BPID" -o comm= | awk '$2 == "vnf-broker-engi" || $2 == "vnf-broker-engine" { print $1 }')
check "the engine role runs under the broker" [ -n "$EPID" ]
kill -9 $EPID
wait "$CPID"
echo "# in flight: $(cat "$tmp/inflight.code") $(head -c 300 "$tmp/inflight.body" 2>/dev/null)"
check "the waiting client sees its connection close, no answer" \
    test "$(cat "$tmp/inflight.code")" = 000
back() { api GET /v1/jobs/x-1; [ "$ST" = 404 ]; }
wait_for 20 back
check "the engine role is restarted by the parent" back
EPID2=$(ps -o pid= --ppid "$BPID" -o comm= | awk '$2 ~ /^vnf-broker-eng/ { print $1 }')
check "... as a new process" test -n "$EPID2" -a "$EPID2" != "$EPID"
api GET "/v1/jobs/$OLDJOB"
check "the job id from before the restart: failed, the engine restarted" \
    test "$ST $(b '(d["state"], "restarted" in d["error"], d["result"]["status"])')" = \
    "200 ('failed', True, 'failed')" || show
wait_for 20 ready
check "operations run again after the restart" [ "$ST" = 200 ] || show

finish
