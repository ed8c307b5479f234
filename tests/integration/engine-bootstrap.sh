#!/bin/sh
# Integration: bootstraps resume across restarts of the engine role and
# of vnf-brokerd.  A real vnf-brokerd (engine role), VyOS simulators
# (tests/vnfsim/vyos.py) in a lab namespace, the control API on its unix
# socket with curl, and a dictionary whose bootstrap sets the host name,
# rotates a password (an action with a new_password parameter: the
# password is saved as pending before it runs) and saves.
#
#   veb-nN (the broker's guest network, 198.18.52.1/24)
#        |  veth veb-pN
#   veb-lN (the lab: simulators A .11, B .12, C .13, D .14, E .15)
#
# A, D and E hold the rotation (the request waits for a file), B the
# save: that is where the test interrupts them.
#
# Checked: kill -9 of the engine role in the middle of A's bootstrap: the
# role comes back and resumes it by itself ("resumed": true), and it
# finishes without running a finished action again (the simulator's
# request log: the host name set once); the state file
# bootstraps/NAME.json is 0600 and holds the pending password while the
# API masks it everywhere; the rotated password is written into the
# registered appliance.  kill -9 of vnf-brokerd in the middle of B's and
# a restart: resumed, finished, no finished action repeated; A's finished
# result survives the restart ("state": "done").  A corrupt state file is
# reported with its position and skipped, a record naming no appliance
# too.  A POST after a finished bootstrap does nothing and succeeds.  A
# save the parent refuses (D's appliance deleted while its rotation is
# in flight) fails the bootstrap with the reason, and nothing runs after
# it.  A clean stop of vnf-brokerd (SIGTERM) in the middle of E's: the
# step that ends while the engine stops is not saved, the record stays
# unfinished, and the next start resumes it.  An
# appliance of broker.yaml whose bootstrap rotated a password: a warning
# says what to update.  Deleting an appliance deletes its record.
#
# Root, curl, python3 and openssl needed; skips (77) otherwise.
# Namespaces and links veb*, TCP ports 24500-24599, 198.18.52.0/24.
. "$(dirname "$0")/lib/common.sh"
need_root
for b in curl openssl "$PYTHON3"; do
	command -v "$b" >/dev/null 2>&1 || { echo "SKIP: no $b"; exit 77; }
done

BROKERD=${VEB_BROKERD:-$top_builddir/broker/vnf-brokerd}
ENGINE=$top_builddir/broker/vnf-broker-engine
SIM=$top_srcdir/tests/vnfsim/vyos.py
[ -x "$ENGINE" ] || { echo "FAIL: $ENGINE not built"; exit 1; }
sfx=$(( $$ % 10000 ))
NET=veb-n$sfx
LAB=veb-l$sfx
PEER=veb-p$sfx
APIPORT=24500
tmp=$(mktemp -d /tmp/veb.XXXXXX) || exit 1
chmod 755 "$tmp"
BPID=
SPIDS=
KEY="veb-key-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
rnd() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }
OLDPW=Old$(rnd)
NEWA=NewA$(rnd)
NEWB=NewB$(rnd)
NEWC=NewC$(rnd)
NEWD=NewD$(rnd)
NEWE=NewE$(rnd)

cleanup() {
	if [ "$T_FAIL" -gt 0 ]; then
		echo "--- broker log (last 80 lines)"
		tail -80 "$tmp/broker.log" 2>/dev/null
	fi
	# Let held simulator requests go, so nothing waits on them.
	touch "$tmp/goA" "$tmp/goB" "$tmp/goD" "$tmp/goE" 2>/dev/null
	[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	for p in $OLDPIDS; do
		kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null
	done
	for p in $SPIDS; do kill "$p" 2>/dev/null; done
	for p in $SPIDS; do wait "$p" 2>/dev/null; done
	ip netns del "$LAB" 2>/dev/null
	ip netns del "$NET" 2>/dev/null
	rm -rf "$tmp"
}
OLDPIDS=
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days 2 -subj /CN=veb-sim \
    -addext "subjectAltName=IP:198.18.52.11,IP:198.18.52.12,IP:198.18.52.13,IP:198.18.52.14,IP:198.18.52.15" \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null ||
    { echo "FAIL: openssl req"; exit 1; }
PIN="sha256//$(openssl x509 -in "$tmp/cert.pem" -pubkey -noout |
    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary |
    openssl base64 -A)"
ip netns add "$LAB" && ip -n "$LAB" link set lo up ||
    { echo "FAIL: ip netns add"; exit 1; }

# The dictionary: VyOS's API, a bootstrap of three actions and a ready
# test.  The rotation is a "comment" command carrying the new password
# (harmless to the simulator's configuration).
cat >"$tmp/boot.yaml" <<'EOD'
name: veb-boot
description: VyOS, with a bootstrap that rotates a password (engine-bootstrap.sh)
connections:
  api:
    type: https
    host: "{{mgmt_ip}}"
    port: 443
    pinned_sha256: "{{get_cs_data.tls_pin}}"
    timeout: 20
    password: "{{get_cs_data.admin_password}}"
    auth: {type: form, field: key, token: "{{get_cs_data.api_key}}"}
    headers:
      Content-Type: application/x-www-form-urlencoded
bootstrap:
  initial_connection:
    method: https
    host: "{{mgmt_ip}}"
    port: 443
    pinned_sha256: "{{get_cs_data.tls_pin}}"
    timeout: 20
    password: "{{get_cs_data.admin_password}}"
    auth: {type: form, field: key, token: "{{get_cs_data.api_key}}"}
    headers:
      Content-Type: application/x-www-form-urlencoded
  initial_actions:
    - service: System
      action: set_hostname
      parameters:
        host_name: "{{get_cs_data.hostname}}"
    - service: System
      action: rotate
      parameters:
        new_password: "{{get_cs_data.new_admin_password}}"
    - service: System
      action: save
  ready_test:
    operation: System.version
services:
  System:
    data:
      host_name:
        type: string
        pattern: '[A-Za-z0-9][A-Za-z0-9-]{0,62}'
      new_password:
        type: string
        pattern: '[A-Za-z0-9]{8,64}'
    set_hostname:
      get_data: ["host_name"]
      connection: api
      method: POST
      url: /configure
      body: 'data={"op":"set","path":["system","host-name","{{ .host_name }}"]}'
      response:
        format: json
        error_patterns: ['"success": ?false']
    rotate:
      get_data: ["new_password"]
      connection: api
      method: POST
      url: /configure
      body: 'data={"op":"comment","path":["system"],"value":"{{ .new_password }}"}'
      response:
        format: json
        error_patterns: ['"success": ?false']
    save:
      get_data: []
      connection: api
      method: POST
      url: /config-file
      body: 'data={"op":"save"}'
      response:
        format: json
        error_patterns: ['"success": ?false']
    version:
      get_data: []
      connection: api
      method: POST
      url: /show
      body: 'data={"op":"show","path":["version"]}'
      response:
        format: json
        error_patterns: ['"success": ?false']
EOD

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
  workers: 2
  wait: 20
  operation_timeout: 180
networks:
  - name: $NET
    veth: {peer: $PEER, peer_netns: $LAB}
    addresses: [198.18.52.1/24]
appliances:
  - name: cfg-c
    network: $NET
    address: 198.18.52.13
    ports: [443]
    provider: veb-boot
    cs_data: {api_key: "$KEY", tls_pin: "$PIN", hostname: edge-c,
              admin_password: "$OLDPW", new_admin_password: "$NEWC"}
EOC

# Every answer also in $tmp/bodies, to look for secrets at the end.
API_BODIES=$tmp/bodies
. "$top_srcdir/tests/integration/lib/api.sh"
: >"$tmp/broker.log"
start_broker() {
	engine_broker_start 198.18.52.11/24 198.18.52.12/24 198.18.52.13/24 \
	    198.18.52.14/24 198.18.52.15/24
}
check "config check passes" "$BROKERD" -t -c "$tmp/broker.yaml"
start_broker || { not_ok "broker starts"; finish; exit 1; }
sim() {	# sim NAME ADDRESS [--set hold=...]
	n=$1 a=$2
	shift 2
	ip netns exec "$LAB" "$PYTHON3" "$SIM" --listen "$a" --port 443 \
	    --port-file "$tmp/port-$n" --cert "$tmp/cert.pem" \
	    --key "$tmp/key.pem" --log "$tmp/req-$n.log" --set "key=$KEY" \
	    "$@" 2>"$tmp/sim-$n.err" &
	SPIDS="$SPIDS $!"
}
sim A 198.18.52.11 --set hold=/configure:comment --set "hold_file=$tmp/goA"
sim B 198.18.52.12 --set hold=/config-file:save --set "hold_file=$tmp/goB"
sim C 198.18.52.13
sim D 198.18.52.14 --set hold=/configure:comment --set "hold_file=$tmp/goD"
sim E 198.18.52.15 --set hold=/configure:comment --set "hold_file=$tmp/goE"
for n in A B C D E; do
	wait_for 10 test -s "$tmp/port-$n" ||
	    { cat "$tmp/sim-$n.err"; not_ok "simulator $n starts"; finish; exit 1; }
done

SOCK=$tmp/run/api.sock
: >"$tmp/bodies"
# count LOG PYEXPR: requests in a simulator's log for which PYEXPR holds
# (over e, the entry, and c, its first command).
count() {
	"$PYTHON3" -c 'import json,sys,urllib.parse
n = 0
for l in open(sys.argv[1]):
    e = json.loads(l)
    f = dict(urllib.parse.parse_qsl(e.get("body") or ""))
    try:
        c = json.loads(f.get("data", "{}"))
    except ValueError:
        c = {}
    if isinstance(c, list):
        c = c[0] if c else {}
    if eval(sys.argv[2]):
        n += 1
print(n)' "$tmp/req-$1.log" "$2"
}
HOSTNAME_SET='e["path"] == "/configure" and c.get("op") == "set" and c.get("path", [])[:2] == ["system", "host-name"]'
ROTATE='e["path"] == "/configure" and c.get("op") == "comment"'
SAVE='e["path"] == "/config-file" and c.get("op") == "save"'
enginepid() {
	ps -o pid= -o comm= --ppid "$BPID" |
	    awk '$2 ~ /^vnf-broker-eng/ { print $1 }'
}
mode() { stat -c %a "$1" 2>/dev/null; }
REC=$tmp/state/bootstraps
# rec NAME PYEXPR: Python over the bootstrap record r of NAME.
rec() {
	"$PYTHON3" -c 'import json,sys
r=json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$REC/$1.json" "$2" 2>/dev/null
}

# --- the provider and two appliances, registered through the API
ST=$(curl -s --max-time 20 --unix-socket "$SOCK" -X PUT \
    -H 'Content-Type: application/yaml' --data-binary "@$tmp/boot.yaml" \
    -o "$tmp/body" -w '%{http_code}' http://engine/v1/providers/veb-boot)
check "PUT /v1/providers/veb-boot: created" [ "$ST" = 201 ] || show
for x in a:A:11:$NEWA b:B:12:$NEWB d:D:14:$NEWD e:E:15:$NEWE; do
	n=${x%%:*}; r=${x#*:}; s=${r%%:*}; r=${r#*:}; ip=${r%%:*}; pw=${r#*:}
	api PUT "/v1/appliances/b$n" "{\"network\": \"$NET\",
	    \"address\": \"198.18.52.$ip\", \"ports\": [443],
	    \"provider\": \"veb-boot\", \"cs_data\": {\"api_key\": \"$KEY\",
	    \"tls_pin\": \"$PIN\", \"hostname\": \"edge-$n\",
	    \"admin_password\": \"$OLDPW\", \"new_admin_password\": \"$pw\"}}"
	check "PUT /v1/appliances/b$n: created" [ "$ST" = 201 ] || show
done
bootable() { api GET /v1/appliances/ba/bootstrap; [ "$ST" = 200 ]; }
wait_for 20 bootable
check "GET bootstrap before any: state none" is 'd["state"]' none || show

# --- A: kill -9 of the engine role while the rotation is in flight
api POST /v1/appliances/ba/bootstrap '{}'
check "POST bootstrap of ba: 202 with a job" \
    test "$ST $(b 'd["job"]["kind"]')" = "202 bootstrap" || show
JOBA=$(b 'd["job"]["id"]')
wait_for 60 test -e "$tmp/goA.waiting"
check "A: the rotation reached the simulator (held there)" \
    test -e "$tmp/goA.waiting"
api GET /v1/appliances/ba/bootstrap
check "A: GET while it runs: running, its job, not resumed" \
    is '(d["state"], d["job"], d["resumed"])' "('running', '$JOBA', False)" ||
    show
check "A: the progress shows the pending password masked" \
    is 'd["progress"]["pending"]["password"]' "********" || show
check "A: the record is bootstraps/ba.json, mode 0600" \
    test "$(mode "$REC/ba.json")" = 600
check "... in a folder of mode 0700" test "$(mode "$REC")" = 700
check "... not finished, at the rotation, the password pending in it" \
    test "$(rec ba '(r["finished"], r["job"], r["progress"]["next_action"], r["progress"]["pending"]["password"] == "'"$NEWA"'")')" = \
    "(False, '$JOBA', 1, True)"
EPID=$(enginepid)
check "the engine role runs under the broker" [ -n "$EPID" ]
kill -9 "$EPID"
back() {
	p=$(enginepid)
	[ -n "$p" ] && [ "$p" != "$EPID" ] || return 1
	api GET /v1/appliances/ba/bootstrap
	[ "$ST" = 200 ] && [ "$(b 'd["resumed"]')" = True ]
}
wait_for 30 back
check "A: the role restarts and resumes the bootstrap by itself" \
    is '(d["state"] in ("queued", "running"), d["resumed"], d["job"] != "'"$JOBA"'")' \
    "(True, True, True)" || show
check "A: the restart is logged" \
    grep -q "bootstrap of ba: resumed as job .* (was $JOBA, at phase actions)" \
    "$tmp/broker.log"
api GET "/v1/jobs/$(b 'd["job"]')"
check "A: the resumed job is a bootstrap job of ba" \
    is '(d["kind"], d["appliance"])' "('bootstrap', 'ba')" || show
touch "$tmp/goA"
adone() { api GET /v1/appliances/ba/bootstrap; [ "$(b 'd["state"]')" = done ]; }
wait_for 90 adone
check "A: done, success, resumed from the saved progress" \
    is '(d["state"], d["result"]["status"], d["result"]["resumed"], d["resumed"])' \
    "('done', 'success', True, True)" || show
check "A: the host name was set once (a finished action is not run again)" \
    test "$(count A "$HOSTNAME_SET")" = 1
check "A: the rotation in flight at the kill ran again, once (2 in all)" \
    test "$(count A "$ROTATE")" = 2
check "A: the save ran once" test "$(count A "$SAVE")" = 1
recdone() { [ "$(rec "$1" 'r["finished"]')" = True ]; }
wait_for 10 recdone ba
check "A: the record says finished, with the result" \
    test "$(rec ba '(r["finished"], r["result"]["status"], r["progress"]["phase"])')" = \
    "(True, 'success', 'done')"
check "A: the record stays 0600" test "$(mode "$REC/ba.json")" = 600
rotated() { grep -q "\"admin_password\": \"$NEWA\"" "$tmp/state/appliances/ba.json"; }
wait_for 10 rotated
check "A: the rotated password is written into the registered appliance" rotated
api GET /v1/appliances/ba
check "... which the API answers masked" \
    is 'd["cs_data"]["admin_password"]' "********" || show

# A POST after a finished bootstrap: does nothing, succeeds.
api POST /v1/appliances/ba/bootstrap '{}'
check "A: POST again: 202" [ "$ST" = 202 ] || show
wait_for 30 adone
check "... done, success, nothing was done" \
    is '(d["result"]["status"], "nothing was done" in d["result"].get("note", ""))' \
    "('success', True)" || show
check "... and the simulator saw no action again" \
    test "$(count A "$HOSTNAME_SET")/$(count A "$ROTATE")/$(count A "$SAVE")" = 1/2/1

# --- B: kill -9 of vnf-brokerd while the save is in flight
api POST /v1/appliances/bb/bootstrap '{}'
check "POST bootstrap of bb: 202" [ "$ST" = 202 ] || show
JOBB=$(b 'd["job"]["id"]')
wait_for 60 test -e "$tmp/goB.waiting"
check "B: the save reached the simulator (held there)" \
    test -e "$tmp/goB.waiting"
check "B: the record: not finished, the rotation done, the save next" \
    test "$(rec bb '(r["finished"], r["progress"]["next_action"], "pending" in r["progress"])')" = \
    "(False, 2, False)"
EPID=$(enginepid)
OLDPIDS=$EPID
kill -9 "$BPID"
wait "$BPID" 2>/dev/null
BPID=
# The role got SIGTERM with its parent gone; its bootstrap cannot save
# any more, so it ends (within the connection's timeout) and so does it.
wait_for 40 sh -c "! kill -0 $EPID 2>/dev/null"
check "B: the engine role ends after its parent" sh -c "! kill -0 $EPID 2>/dev/null"
check "B: the record was left as it was: not finished" \
    test "$(rec bb '(r["finished"], r["job"])')" = "(False, '$JOBB')"
# While it is down: a corrupt record, and one naming no appliance.
printf '{"name": "cfg-c", "job": "00-1",\n  "started": }\n' >"$REC/cfg-c.json"
printf '{"name": "ghost", "job": "00-1", "started": 1, "finished": false, "progress": {}}\n' \
    >"$REC/ghost.json"
chmod 600 "$REC/cfg-c.json" "$REC/ghost.json"
sleep 1
start_broker || not_ok "the broker restarts after kill -9"
bback() {
	api GET /v1/appliances/bb/bootstrap
	[ "$ST" = 200 ] && [ "$(b 'd["resumed"]')" = True ]
}
wait_for 30 bback
check "B: after the restart the bootstrap resumes by itself" \
    is '(d["state"] in ("queued", "running"), d["resumed"], d["job"] != "'"$JOBB"'")' \
    "(True, True, True)" || show
check "a corrupt record is reported with its position and skipped" \
    grep -q "bootstraps/cfg-c.json:2:[0-9]*: .*skipped" "$tmp/broker.log"
check "a record naming no appliance is reported and skipped" \
    grep -q "bootstraps/ghost.json: appliance \"ghost\" .*skipped" \
    "$tmp/broker.log"
api GET /v1/appliances/cfg-c/bootstrap
check "... the corrupt one is not taken: cfg-c has none" \
    is 'd["state"]' none || show
api GET /v1/appliances/ba/bootstrap
check "A's finished result survives the restart: done, success" \
    is '(d["state"], d["result"]["status"], d["resumed"])' \
    "('done', 'success', False)" || show
touch "$tmp/goB"
bdone() { api GET /v1/appliances/bb/bootstrap; [ "$(b 'd["state"]')" = done ]; }
wait_for 90 bdone
check "B: done, success" \
    is '(d["result"]["status"], d["result"]["resumed"])' "('success', True)" ||
    show
check "B: host name set once, rotation once (finished actions not run again)" \
    test "$(count B "$HOSTNAME_SET")/$(count B "$ROTATE")" = 1/1
check "B: the save in flight at the kill ran again (2 in all)" \
    test "$(count B "$SAVE")" = 2
wait_for 10 recdone bb
check "B: the record says finished" test "$(rec bb 'r["finished"]')" = True

# --- an appliance of broker.yaml: the rotation cannot be written back
api POST /v1/appliances/cfg-c/bootstrap '{}'
check "cfg-c: POST bootstrap: 202" [ "$ST" = 202 ] || show
cdone() { api GET /v1/appliances/cfg-c/bootstrap; [ "$(b 'd["state"]')" = done ]; }
wait_for 60 cdone
check "cfg-c: done, success" is 'd["result"]["status"]' success || show
warned() { grep -q "bootstrap of cfg-c rotated cs_data admin_password, but the appliance is defined in broker.yaml" "$tmp/broker.log"; }
wait_for 10 warned
check "cfg-c: a warning says which cs_data to update in broker.yaml" warned
check "cfg-c: its corrupt record is replaced by a good one" \
    test "$(rec cfg-c '(r["finished"], r["result"]["status"])')" = "(True, 'success')"

# --- no pending or rotated password in any answer
check "the API never answered a new password in clear" \
    sh -c "! grep -q -e '$NEWA' -e '$NEWB' -e '$NEWC' -e '$NEWD' '$tmp/bodies'"
check "... nor the old one" sh -c "! grep -q '$OLDPW' '$tmp/bodies'"

# --- deleting an appliance deletes its record
api DELETE /v1/appliances/ba
check "DELETE /v1/appliances/ba: 204" [ "$ST" = 204 ] || show
check "... its bootstrap record is gone" test ! -e "$REC/ba.json"
check "... bb's stays" test -e "$REC/bb.json"
api GET /v1/appliances/ba/bootstrap
check "... GET its bootstrap: 404" [ "$ST" = 404 ] || show

# --- a save that fails stops the bootstrap: D's appliance is deleted
# while its rotation is in flight; the save after it is refused.
api POST /v1/appliances/bd/bootstrap '{}'
check "D: POST bootstrap: 202" [ "$ST" = 202 ] || show
JOBD=$(b 'd["job"]["id"]')
wait_for 60 test -e "$tmp/goD.waiting"
check "D: the rotation reached the simulator (held there)" \
    test -e "$tmp/goD.waiting"
api DELETE /v1/appliances/bd
check "D: DELETE the appliance while it runs: 204" [ "$ST" = 204 ] || show
check "... its record is gone" test ! -e "$REC/bd.json"
touch "$tmp/goD"
ddone() { api GET "/v1/jobs/$JOBD"; [ "$(b 'd["state"]')" = done ]; }
wait_for 60 ddone
check "D: the bootstrap failed at the save, saying why" \
    is '(d["result"]["status"], d["result"]["error"].startswith("save: "), "neither in broker.yaml nor registered" in d["result"]["error"])' \
    "('failed', True, True)" || show
check "D: nothing ran after the refused save" \
    test "$(count D "$HOSTNAME_SET")/$(count D "$ROTATE")/$(count D "$SAVE")" = 1/1/0
check "D: no record came back" test ! -e "$REC/bd.json"
check "D: the API never answered its new password in clear" \
    sh -c "! grep -q '$NEWD' '$tmp/bodies'"

# --- E: SIGTERM of vnf-brokerd while the rotation is in flight; it
# completes while the engine stops, and that step cannot be saved any more.
api POST /v1/appliances/be/bootstrap '{}'
check "E: POST bootstrap: 202" [ "$ST" = 202 ] || show
wait_for 60 test -e "$tmp/goE.waiting"
check "E: the rotation reached the simulator (held there)" \
    test -e "$tmp/goE.waiting"
from=$(( $(wc -l <"$tmp/broker.log") + 1 ))
kill -TERM "$BPID"
sleep 1
touch "$tmp/goE"
wait "$BPID" 2>/dev/null
BPID=
tail -n +"$from" "$tmp/broker.log" >"$tmp/stop.log"
check "E: the engine role ended by itself within the parent's grace" \
    sh -c "grep -q 'role engine (pid [0-9]*) exited with status 0' '$tmp/stop.log' &&
    ! grep -q 'did not stop' '$tmp/stop.log'"
check "E: its bootstrap ended there, failed (the step could not be saved)" \
    grep -q "job .* bootstrap be: failed" "$tmp/stop.log"
check "E: the record is still unfinished, the rotation still pending" \
    test "$(rec be '(r["finished"], r["progress"]["next_action"], "pending" in r["progress"])')" = \
    "(False, 1, True)"
start_broker || not_ok "the broker starts again after SIGTERM"
edone() {
	api GET /v1/appliances/be/bootstrap
	[ "$(b '(d["state"], d["resumed"])')" = "('done', True)" ]
}
wait_for 60 edone
check "E: resumed at start, done, success" \
    is '(d["state"], d["resumed"], d["result"]["status"])' \
    "('done', True, 'success')" || show
check "E: host name set once, rotation twice (its end was not saved), save once" \
    test "$(count E "$HOSTNAME_SET")/$(count E "$ROTATE")/$(count E "$SAVE")" = 1/2/1
check "E: the API never answered its new password in clear" \
    sh -c "! grep -q '$NEWE' '$tmp/bodies'"

finish
