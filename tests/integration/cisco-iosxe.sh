#!/bin/sh
# The Cisco IOS-XE dictionary (provider/dictionaries/cisco-iosxe.yaml)
# against a simulated router in network namespaces: its command line
# (tests/vnfsim/iosxe_cli.py) behind a real OpenSSH sshd as the
# ForceCommand of root's key login, and its RESTCONF interface
# (tests/vnfsim/iosxe_restconf.py, HTTPS, Basic auth) started by the lab
# of lib/vnfsim.sh.  Both read and write one configuration file, so what
# the CLI changes RESTCONF shows.
#
# Every service's operations run through vnf-provider; their effect is
# checked in the router's configuration, in what the CLI logged as typed
# (mode and line) and in what RESTCONF was asked.  IOS's own refusals
# (% Invalid input, %Inconsistent address and mask, % Duplicate sequence
# number, overlapping addresses, %No matching route to delete, BGP
# already running, % Bad secrets) must fail the operation quoting them.
#
# Root, python3, openssl and sshd needed; skips (77) otherwise.
# Namespaces vbviosm<pid>/vbviosv<pid>, addresses 198.18.0.1-2 only.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/vnfsim.sh"

need_root
for t in "$PYTHON3" openssl /usr/sbin/sshd ssh-keygen; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: no $t"; exit 77; }
done
[ -x "$VP" ] || { echo "FAIL: $VP not built"; exit 1; }

SIMS=$top_srcdir/tests/vnfsim
DICT=$top_srcdir/provider/dictionaries/cisco-iosxe.yaml
# The interpreter itself, not a wrapper (pyenv's shim costs a second a
# call): the checks below run it some two hundred times.
PYBIN=$("$PYTHON3" -c 'import sys; print(sys.executable)')
PYTHON3=$PYBIN
# No __pycache__ in the source tree from the simulators.
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
RC_PASS="Rc-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
EN_SECRET="En-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
export RC_PASS EN_SECRET

# The router's configuration lives outside VS_DIR: the RESTCONF
# simulator is given its path when vs_up starts it.
IOS_DIR=$(mktemp -d /tmp/vbvios.XXXXXX) || exit 1
STATE=$IOS_DIR/state.json
CLILOG=$IOS_DIR/cli.log
SSHD_PIDS=

ios_down() {
	for p in $SSHD_PIDS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	SSHD_PIDS=
	rm -rf "$IOS_DIR"
}

if ! vs_up ios "$SIMS/iosxe_restconf.py" --set "state=$STATE" \
    --set user=root --set "password=$RC_PASS"; then
	rm -rf "$IOS_DIR"
	exit 1
fi
trap 'ios_down; vs_down' EXIT

# --- the router's SSH side: sshd in the appliance's namespace ---------------
ssh-keygen -q -t ed25519 -N '' -C iosxe-host -f "$VS_DIR/host_key" &&
    ssh-keygen -q -t ed25519 -N '' -C cloudstack -f "$VS_DIR/client_key" &&
    ssh-keygen -q -t ed25519 -N '' -C intruder -f "$VS_DIR/wrong_key" ||
    { echo "FAIL: ssh-keygen"; exit 1; }
cp "$VS_DIR/client_key.pub" "$VS_DIR/authorized_keys"
HOSTFP=$(ssh-keygen -l -f "$VS_DIR/host_key.pub" | awk '{print $2}')

# start_sshd PORT CLI-ARGS...: an sshd whose ForceCommand is the CLI.
# sshd runs it through root's shell; bash started by sshd reads
# ~/.bashrc unless SHLVL says it is nested (SetEnv), which keeps a
# slow .bashrc (pyenv init: 3 s) out of every login.
start_sshd() {
	port=$1; shift
	cat >"$VS_DIR/sshd_$port.conf" <<EOF
ListenAddress $VS_IP:$port
HostKey $VS_DIR/host_key
PidFile none
AuthorizedKeysFile $VS_DIR/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitTTY yes
AllowTcpForwarding no
X11Forwarding no
PrintMotd no
PrintLastLog no
LogLevel VERBOSE
UseDNS no
SetEnv SHLVL=1
ForceCommand $PYBIN -S -B $SIMS/iosxe_cli.py --state $STATE --log $CLILOG $*
EOF
	ip netns exec "$VS_VNF" /usr/sbin/sshd -D -e -f "$VS_DIR/sshd_$port.conf" \
	    2>>"$VS_DIR/sshd.log" &
	SSHD_PIDS="$SSHD_PIDS $!"
	wait_for 10 ip netns exec "$VS_MGMT" "$PYTHON3" -c \
	    'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)' \
	    "$VS_IP" "$port" 2>/dev/null
}
start_sshd 22 || { echo "FAIL: sshd did not start"; cat "$VS_DIR/sshd.log"; exit 1; }
# A second login that lands in user EXEC (Router>) and needs "enable".
start_sshd 2222 --privilege 1 --enable-secret "$EN_SECRET" ||
    { echo "FAIL: sshd 2222 did not start"; exit 1; }

# cs-data files (a PEM key holds line breaks: written by python).
csdata() {
	"$PYTHON3" - "$@" <<'EOP'
import json, os, sys
out, key = sys.argv[1], sys.argv[2]
d = {"username": "root", "ssh_key": open(key).read(),
     "password": os.environ["RC_PASS"], "tls_pin": os.environ["VS_PIN"]}
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1)
    d[k] = v
json.dump(d, open(out, "w"))
EOP
}
export VS_PIN
CS=$VS_DIR/cs.json
csdata "$CS" "$VS_DIR/client_key"
csdata "$VS_DIR/cs-wrongkey.json" "$VS_DIR/wrong_key"
csdata "$VS_DIR/cs-wrongpass.json" "$VS_DIR/client_key" password=not-the-password
csdata "$VS_DIR/cs-enable.json" "$VS_DIR/client_key" "enable_secret=$EN_SECRET"
csdata "$VS_DIR/cs-badenable.json" "$VS_DIR/client_key" enable_secret=wrong-secret-1
csdata "$VS_DIR/cs-pin.json" "$VS_DIR/client_key" "ssh_host_fingerprint=$HOSTFP"
csdata "$VS_DIR/cs-badpin.json" "$VS_DIR/client_key" \
    "ssh_host_fingerprint=SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

ALL=$VS_DIR/all-output
: >"$ALL"
# rc CSFILE TARGET SERVICE OPERATION [DATA]: run one operation; every
# output is kept in $ALL for the secrets check at the end.
rc() {
	cs=$1 tg=$2; shift 2
	if [ $# -ge 3 ]; then
		vp run "$DICT" --target "$tg" --cs-data "$cs" \
		    --known-hosts "$VS_DIR/known_hosts" "$1" "$2" --data "$3"
	else
		vp run "$DICT" --target "$tg" --cs-data "$cs" \
		    --known-hosts "$VS_DIR/known_hosts" "$1" "$2"
	fi
	cat "$OUT" "$OUT.err" >>"$ALL"
}
# r SERVICE OPERATION [DATA]: the same with the good cs-data.
r() { rc "$CS" "$VS_IP" "$@"; }
# st EXPR: a Python expression over the router's configuration c.
st() {
	"$PYTHON3" -c 'import json,sys; c=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
	    "$STATE" "$1" 2>/dev/null
}
sts() { [ "$(st "$1")" = "$2" ]; }
# typed: the lines the CLI received since the mark, "mode<TAB>line".
mark() { CLI_MARK=$(wc -l <"$CLILOG" 2>/dev/null || echo 0); }
typed() { tail -n +$((CLI_MARK + 1)) "$CLILOG"; }
typed_has() { typed | grep -qxF "$1"; }
ok_run() { jis 'd["status"]' success; }
okst() { ok_run && sts "$1" "$2"; }
not() { ! "$@"; }
# failed_at STEP TEXT: failed, the error starts with STEP and holds TEXT.
failed_at() {
	jis '(d["status"], d["error"].startswith(sys.argv[3]), sys.argv[4] in d["error"])' \
	    "('failed', True, True)" "$1" "$2"
}
jget() {
	"$PYTHON3" -c 'import json,sys
r=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
d=r[-1] if r else None
print(eval(sys.argv[2]))' "$OUT" "$@" 2>/dev/null
}
jis() { want=$2; e=$1; shift 2; [ "$(jget "$e" "$@")" = "$want" ]; }

quiet() { "$@" >/dev/null 2>&1; }
TAB=$(printf '\t')

echo "# sshd on $VS_IP:22 (privilege 15) and :2222 (privilege 1, enable secret)"
check "the shipped dictionary passes lint --strict" \
    quiet "$VP" lint --strict "$DICT"

# --- health before bootstrap: RESTCONF is not configured yet ---------------
vp health "$DICT" --target "$VS_IP" --cs-data "$CS" --known-hosts "$VS_DIR/known_hosts"
cat "$OUT" >>"$ALL"
check "health before bootstrap: degraded (exit 3)" test "$VP_RC" -eq 3
check "health before bootstrap: port and CLI pass, RESTCONF answers 404" \
    jis '(d["status"], [c["status"] for c in d["checks"]], "404" in d["checks"][2]["reason"])' \
    "('degraded', ['pass', 'pass', 'fail'], True)" || show

# --- bootstrap: RESTCONF on, configuration saved ---------------------------
mark
vp bootstrap "$DICT" --target "$VS_IP" --cs-data "$CS" \
    --known-hosts "$VS_DIR/known_hosts" --state "$VS_DIR/boot.json" \
    --deadline 60 --retry 200
cat "$OUT" >>"$ALL"
check "bootstrap: success, phase done" \
    jis '(d["status"], d["phase"])' "('success', 'done')" || show
check "bootstrap: steps reachable, connected, 2 actions, ready_test" \
    jis '[s["step"] for s in d["steps"]]' \
    "['reachable', 'connected', 'action 1: System.enable_restconf', 'action 2: System.save', 'ready_test']"
check "bootstrap: the router has ip http secure-server and restconf, saved" \
    sts '(c["http_secure"], c["restconf"], c["saved"]["restconf"])' "(True, True, True)"
check "bootstrap: typed in configuration mode" typed_has "config${TAB}restconf"
check "bootstrap: the paging command was sent at login" \
    typed_has "priv${TAB}terminal length 0"
check "bootstrap: state file is private (0600)" \
    test "$(stat -c %a "$VS_DIR/boot.json")" = 600
vp bootstrap "$DICT" --target "$VS_IP" --cs-data "$CS" \
    --known-hosts "$VS_DIR/known_hosts" --state "$VS_DIR/boot.json" --deadline 30
check "bootstrap again: success, nothing done" \
    jis '(d["status"], d["resumed"], len(d["steps"]))' "('success', True, 0)" || show

vp health "$DICT" --target "$VS_IP" --cs-data "$CS" --known-hosts "$VS_DIR/known_hosts"
cat "$OUT" >>"$ALL"
check "health after bootstrap: healthy (exit 0), 3 checks pass" \
    jis '(d["status"], [c["status"] for c in d["checks"]])' \
    "('healthy', ['pass', 'pass', 'pass'])" || show
check "health: exit 0" test "$VP_RC" -eq 0
check "health: RESTCONF asked with Basic auth and yang-data+json" \
    sis '[(x["path"], x["headers"].get("authorization","")[:6], x["headers"].get("accept")) for x in e][-1]' \
    "('/restconf/data/Cisco-IOS-XE-native:native/version', 'Basic ', 'application/yang-data+json')"

# --- System -------------------------------------------------------------------
r System facts
check "System.facts: the version parsed from show version" \
    jis '(d["status"], d["data"]["version"][0]["version"], d["data"]["uptime"][0]["hostname"])' \
    "('success', '17.09.04a', 'Router')" || show

# --- Interfaces -----------------------------------------------------------
mark
r Interfaces configure '{"interface_name":"GigabitEthernet2","ip_address":"10.10.0.1","subnet_mask":"255.255.255.0","description":"LAN (tenant 42)","admin_status":"up"}'
check "Interfaces.configure: success" ok_run || show
check "Interfaces.configure: typed in config-if mode" \
    typed_has "config-if${TAB}ip address 10.10.0.1 255.255.255.0"
check "Interfaces.configure: no shutdown typed" typed_has "config-if${TAB}no shutdown"
check "Interfaces.configure: the router has the address, description, up" \
    sts '[(i["ip"], i["mask"], i["description"], i["shutdown"]) for i in [c["interfaces"]["GigabitEthernet2"]]]' \
    "[('10.10.0.1', '255.255.255.0', 'LAN (tenant 42)', False)]"
r Interfaces list
check "Interfaces.list (RESTCONF): Gi2's address in the native model" \
    jis '[(g["name"], g["ip"]["address"]["primary"]["address"]) for g in d["data"]["interfaces"]["GigabitEthernet"] if g["name"] == "2"]' \
    "[('2', '10.10.0.1')]" || show
check "Interfaces.list: names 1 2 3" jis 'd["data"]["gigabit_names"]' "['1', '2', '3']"
r Interfaces brief
check "Interfaces.brief (show ip interface brief): Gi2 up with its address" \
    jis '[(x["ip"], x["status"], x["protocol"]) for x in d["data"]["interfaces"] if x["interface"] == "GigabitEthernet2"]' \
    "[('10.10.0.1', 'up', 'up')]" || show
r Interfaces configure '{"interface_name":"GigabitEthernet3","admin_status":"down"}'
check "Interfaces.configure down: Gi3 shut" sts 'c["interfaces"]["GigabitEthernet3"]["shutdown"]' True
r Monitoring get_interfaces
check "Monitoring.get_interfaces (oper): Gi2 up, Gi3 down" \
    jis '[(x["name"], x["admin-status"]) for x in d["data"]["interfaces"]][1:]' \
    "[('GigabitEthernet2', 'if-state-up'), ('GigabitEthernet3', 'if-state-down')]" || show

# IOS's own refusals, quoted in the result.
r Interfaces configure '{"interface_name":"GigabitEthernet3","ip_address":"10.10.0.5","subnet_mask":"255.255.0.0"}'
check "overlapping address: failed, quoting IOS" \
    failed_at "command 3" "% 10.10.0.0 overlaps with GigabitEthernet2" || show
check "overlapping address: Gi3 unchanged" sts 'c["interfaces"]["GigabitEthernet3"]["ip"]' None
mark
r Interfaces configure '{"interface_name":"GigabitEthernet9","admin_status":"up"}'
check "no such interface: % Invalid input quoted, at command 2" \
    failed_at "command 2" "% Invalid input detected at '^' marker." || show
check "no such interface: the later commands not run" \
    jis '[s["status"] for s in d["steps"]][4:]' "['not run', 'not run']" || show
check "no such interface: the CLI got nothing after the refused line" \
    test "$(typed | tail -n 1)" = "config${TAB}interface GigabitEthernet9"
check "no such interface: the raw output has the caret line" \
    jis 'any(l.strip() == "^" for l in d["raw"].splitlines())' True || show

# --- STATIC_ROUTES --------------------------------------------------------
mark
r STATIC_ROUTES create '{"cidr":"10.20.0.0/16","gateway":"10.10.0.254","metric":5,"description":"tenant-42"}'
check "route create: success" ok_run || show
check "route create: ip route typed in config mode" \
    typed_has "config${TAB}ip route 10.20.0.0 255.255.0.0 10.10.0.254 5 name tenant-42"
r STATIC_ROUTES create '{"cidr":"0.0.0.0/0","gateway":"198.18.0.1"}'
check "route create (default route): success" ok_run || show
check "routes in the router's configuration" \
    sts '[(x["prefix"], x["mask"], x["gateway"], x["distance"], x["name"]) for x in c["routes"]]' \
    "[('10.20.0.0', '255.255.0.0', '10.10.0.254', 5, 'tenant-42'), ('0.0.0.0', '0.0.0.0', '198.18.0.1', 1, None)]"
r STATIC_ROUTES list
check "route list (running-config): both, fields as created" \
    jis '[(x["network"], x["netmask"], x["gateway"], x["metric"], x["description"]) for x in d["data"]["routes"]]' \
    "[('10.20.0.0', '255.255.0.0', '10.10.0.254', '5', 'tenant-42'), ('0.0.0.0', '0.0.0.0', '198.18.0.1', None, None)]" || show
r STATIC_ROUTES table
check "route table (show ip route static): CIDR, distance, next hop" \
    jis 'sorted((x["cidr"], x["metric"], x["gateway"]) for x in d["data"]["routes"])' \
    "[('0.0.0.0/0', '1', '198.18.0.1'), ('10.20.0.0/16', '5', '10.10.0.254')]" || show
r STATIC_ROUTES create '{"cidr":"10.30.0.1/16","gateway":"10.10.0.254"}'
check "route with host bits set: the network address and mask are typed" \
    typed_has "config${TAB}ip route 10.30.0.0 255.255.0.0 10.10.0.254 1"
r STATIC_ROUTES delete '{"cidr":"10.30.0.0/16","gateway":"10.10.0.254"}'
check "route delete of it: success" ok_run || show
r STATIC_ROUTES delete '{"cidr":"10.20.0.0/16","gateway":"10.10.0.254"}'
check "route delete: success, gone" okst 'len(c["routes"])' 1 || show
r STATIC_ROUTES delete '{"cidr":"10.20.0.0/16","gateway":"10.10.0.254"}'
check "route delete again: IOS's %No matching route to delete quoted" \
    failed_at "command 2" "%No matching route to delete" || show
r STATIC_ROUTES create '{"cidr":"10.40.0.0/16"}'
check "route without next hop or interface: % Incomplete or Invalid from IOS" \
    jis '(d["status"], "% In" in d["error"])' "('failed', True)" || show
r STATIC_ROUTES create '{"cidr":"10.40.0.0/33","metric":0,"gateway":"x"}'
check "route bad data: failed at validate, every field named, nothing sent" \
    jis '(d["status"], len(d["steps"]), "cidr:" in d["error"], "metric:" in d["error"], "gateway:" in d["error"])' \
    "('failed', 1, True, True, True)" || show

# --- FIREWALL_RULES (extended named ACL) ------------------------------------
mark
r FIREWALL_RULES create '{"action":"accept","protocol":"tcp","destination":"10.10.0.5/32","port":80,"interface":"GigabitEthernet2"}'
check "firewall create (no id): success" ok_run || show
check "firewall create: IOS chose sequence 10, returned as data.id" \
    jis 'd["data"]["id"]' "10" || show
check "firewall create: the entry as IOS shows it" \
    jis 'd["data"]["rule"]' "permit tcp any host 10.10.0.5 eq www" || show
check "firewall create: typed in config-ext-nacl mode" \
    typed_has "config-ext-nacl${TAB}permit tcp 0.0.0.0 255.255.255.255 10.10.0.5 0.0.0.0 eq 80"
check "firewall create: ACL applied inbound on Gi2" \
    sts 'c["interfaces"]["GigabitEthernet2"]["acl_in"]' CS-FIREWALL
r FIREWALL_RULES create '{"id":25,"action":"drop","protocol":"udp","source":"10.10.0.0/24","port":53}'
check "firewall create id 25: success, data.id 25" \
    jis '(d["status"], d["data"]["id"])' "('success', '25')" || show
r FIREWALL_RULES create '{"action":"reject","protocol":"all"}'
check "firewall create: appended as 35 (last + 10), reject as deny" \
    jis '(d["status"], d["data"]["id"], d["data"]["rule"])' \
    "('success', '35', 'deny ip any any')" || show
r FIREWALL_RULES create '{"id":25,"action":"accept","protocol":"icmp"}'
check "firewall create with a used id: IOS's % Duplicate sequence number quoted" \
    failed_at "command 3" "% Duplicate sequence number" || show
check "firewall: the router's ACL holds 10, 25, 35" \
    sts '[(x["seq"], x["action"], x["protocol"]) for x in c["acls"]["CS-FIREWALL"]]' \
    "[(10, 'permit', 'tcp'), (25, 'deny', 'udp'), (35, 'deny', 'ip')]"
r FIREWALL_RULES list
check "firewall list (RESTCONF): ids 10 25 35" jis 'd["data"]["ids"]' "[10, 25, 35]" || show
check "firewall list: entry 25 in the native model" \
    jis '[x["ace-rule"] for x in d["data"]["rules"] if x["sequence"] == 25][0]' \
    "{'action': 'deny', 'protocol': 'udp', 'ipv4-address': '10.10.0.0', 'mask': '0.0.0.255', 'dst-any': [None], 'dst-eq': 'domain'}" || show
check "firewall list: RESTCONF asked for the ACL by name" \
    sis 'e[-1]["path"]' "/restconf/data/Cisco-IOS-XE-native:native/ip/access-list/extended=CS-FIREWALL"
r FIREWALL_RULES list '{"acl":"NO-SUCH-ACL"}'
check "firewall list of an ACL that does not exist: success, no rules" \
    jis '(d["status"], d["data"]["ids"], d["data"]["rules"])' "('success', [], [])" || show
r FIREWALL_RULES get '{"id":10}'
check "firewall get 10: the rule" \
    jis '(d["status"], d["data"]["id"], d["data"]["rule"]["dst-host"], d["data"]["rule"]["dst-eq"])' \
    "('success', 10, '10.10.0.5', 'www')" || show
r FIREWALL_RULES get '{"id":99}'
check "firewall get 99: failed, HTTP 404 with IOS-XE's words" \
    failed_at "http" "uri keypath not found" || show
check "firewall get 99: the status named" jis '"404" in d["error"]' True
r FIREWALL_RULES update '{"id":25,"action":"accept","protocol":"udp","source":"10.10.0.0/24","port":123}'
check "firewall update 25: success" ok_run || show
check "firewall update 25: the router's entry replaced" \
    sts '[(x["action"], x["dst_eq"]) for x in c["acls"]["CS-FIREWALL"] if x["seq"] == 25]' \
    "[('permit', 123)]"
r FIREWALL_RULES update '{"id":99,"action":"accept"}'
check "firewall update of a missing id: failed at command 1, IOS counted no line" \
    failed_at "command 1" "Number of lines which match regexp = 0" || show
check "firewall update of a missing id: nothing configured (no entry 99)" \
    sts 'sorted(x["seq"] for x in c["acls"]["CS-FIREWALL"])' "[10, 25, 35]"
r FIREWALL_RULES delete '{"id":10}'
check "firewall delete 10: success" ok_run || show
r FIREWALL_RULES delete '{"id":10}'
check "firewall delete 10 again: failed at command 1, IOS counted no line" \
    failed_at "command 1" "Number of lines which match regexp = 0" || show
check "firewall delete 10 again: the later commands not run" \
    jis '[s["status"] for s in d["steps"]][3:]' "['not run', 'not run', 'not run', 'not run']" || show
r FIREWALL_RULES list
check "firewall list: 10 gone; 25 and 35 left" jis 'd["data"]["ids"]' "[25, 35]" || show
r FIREWALL_RULES get '{"id":"x1","port":70000,"action":"allow"}'
check "firewall bad data: failed at validate, nothing sent" \
    jis '(d["status"], len(d["steps"]), "id:" in d["error"], "port:" in d["error"], "action:" in d["error"])' \
    "('failed', 1, True, True, True)" || show

# --- BGP ---------------------------------------------------------------------
r BGP summary
check "BGP.summary without BGP: IOS's % BGP not active quoted" \
    failed_at "command 1" "% BGP not active" || show
mark
r BGP add_neighbor '{"as_number":65001,"router_id":"10.10.0.1","neighbor_ip":"10.10.0.2","remote_as":65002,"description":"tenant 42 peer"}'
check "BGP.add_neighbor: success" ok_run || show
check "BGP.add_neighbor: typed in config-router mode" \
    typed_has "config-router${TAB}neighbor 10.10.0.2 remote-as 65002"
r BGP advertise_network '{"as_number":65001,"cidr":"10.20.0.0/16"}'
check "BGP.advertise_network: success" ok_run || show
check "BGP: the router's process" \
    sts '(c["bgp"]["asn"], c["bgp"]["router_id"], c["bgp"]["neighbors"], c["bgp"]["networks"])' \
    "(65001, '10.10.0.1', [{'ip': '10.10.0.2', 'remote_as': 65002, 'description': 'tenant 42 peer'}], [{'prefix': '10.20.0.0', 'mask': '255.255.0.0'}])"
r BGP summary
check "BGP.summary: router id, AS, the neighbor Idle" \
    jis '(d["data"]["router"][0]["router_id"], d["data"]["router"][0]["local_as"], [(n["neighbor"], n["remote_as"], n["state"], n["prefixes"]) for n in d["data"]["neighbors"]])' \
    "('10.10.0.1', '65001', [('10.10.0.2', '65002', 'Idle', None)])" || show
r Monitoring get_bgp_summary
check "Monitoring.get_bgp_summary: the neighbor" \
    jis '[n["neighbor"] for n in d["data"]["neighbors"]]' "['10.10.0.2']" || show
r BGP get
check "BGP.get (RESTCONF): AS, neighbor, network" \
    jis '(d["data"]["as_number"], [n["id"] for n in d["data"]["neighbors"]], d["data"]["networks"])' \
    "(65001, ['10.10.0.2'], [{'number': '10.20.0.0', 'mask': '255.255.0.0'}])" || show
r BGP add_neighbor '{"as_number":65009,"neighbor_ip":"10.10.0.3","remote_as":65003}'
check "BGP with another AS: IOS's % BGP is already running quoted" \
    failed_at "command 2" "% BGP is already running; AS is 65001" || show
r BGP withdraw_network '{"as_number":65001,"cidr":"10.20.0.0/16"}'
check "BGP.withdraw_network: success, gone" okst 'c["bgp"]["networks"]' "[]" || show
r BGP remove_neighbor '{"as_number":65001,"neighbor_ip":"10.10.0.2"}'
check "BGP.remove_neighbor: success, gone" okst 'c["bgp"]["neighbors"]' "[]" || show
r BGP remove_neighbor '{"as_number":65001,"neighbor_ip":"10.10.0.2"}'
check "BGP.remove_neighbor again: IOS's words quoted" \
    failed_at "command 3" "% Specify remote-as or peer-group commands first" || show
r BGP remove '{"as_number":65001}'
check "BGP.remove: success, no BGP left" okst 'c["bgp"]' None || show
r BGP get
check "BGP.get without BGP: failed, 204 is not the 200 expected" \
    failed_at "http" "204" || show

# --- Monitoring over RESTCONF, System ----------------------------------------
r Monitoring get_version
check "Monitoring.get_version (RESTCONF): 17.9" jis 'd["data"]["version"]' "17.9" || show
r System set_hostname '{"hostname":"edge-42"}'
check "System.set_hostname: success" ok_run || show
r System facts
check "the new host name prompts the next session (edge-42#)" \
    jis '(d["status"], d["data"]["uptime"][0]["hostname"])' "('success', 'edge-42')" || show
r System save
check "System.save (write memory): [OK], the saved configuration has edge-42" \
    okst 'c["saved"]["hostname"]' edge-42 || show

# Paging: the same dictionary without cli_paging_command, on a long
# output: the engine answers --More-- and the text comes back whole.
sed '/cli_paging_command/d' "$DICT" >"$VS_DIR/nopaging.yaml"
mark
vp run "$VS_DIR/nopaging.yaml" --target "$VS_IP" --cs-data "$CS" \
    --known-hosts "$VS_DIR/known_hosts" System running_config
check "paging on: running-config whole (hostname to end, no --More--)" \
    jis '(d["status"], "hostname edge-42" in d["data"]["lines"], d["data"]["lines"][-1], len(d["data"]["lines"]) > 40, "More" in d["raw"])' \
    "('success', True, 'end', True, False)" || show
check "paging on: no terminal length typed" not typed_has "priv${TAB}terminal length 0"

# --- enable: a login that lands at Router> ------------------------------------
mark
rc "$VS_DIR/cs-enable.json" "$VS_IP:2222" STATIC_ROUTES create \
    '{"cidr":"10.50.0.0/16","gateway":"10.10.0.254"}'
check "enable with the secret: route created from user EXEC" ok_run || show
check "enable: the route in the router" \
    sts '[x["prefix"] for x in c["routes"] if x["prefix"] == "10.50.0.0"]' "['10.50.0.0']"
check "enable: the CLI got enable in user EXEC, disable at the end" \
    test "$(typed | sed -n '2p;$p' | tr '\t\n' ':;')" = "exec:enable;priv:disable;"
check "enable: the secret is masked in the step" \
    jis '[s["request"] for s in d["steps"]][3]' "********" || show
rc "$VS_DIR/cs-badenable.json" "$VS_IP:2222" STATIC_ROUTES create \
    '{"cidr":"10.60.0.0/16","gateway":"10.10.0.254"}'
check "enable with a wrong secret: failed, IOS's % Bad secrets quoted" \
    jis '(d["status"], "% Bad secrets" in d["error"])' "('failed', True)" || show
check "enable with a wrong secret: no route added" \
    sts '[x for x in c["routes"] if x["prefix"] == "10.60.0.0"]' "[]"
rc "$CS" "$VS_IP:2222" STATIC_ROUTES create \
    '{"cidr":"10.60.0.0/16","gateway":"10.10.0.254"}'
check "no enable in user EXEC: configure refused with % Invalid input" \
    failed_at "command 1" "% Invalid input detected" || show

# --- kept connections: each operation leaves the CLI at its login prompt -----
# logins: sshd's count of accepted logins so far.
logins() { grep -c "Accepted publickey" "$VS_DIR/sshd.log"; }
# lines EXPR: a Python expression over every result of the run, r.
lines() {
	"$PYTHON3" -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]; print(eval(sys.argv[2]))' \
	    "$OUT" "$1" 2>/dev/null
}
n0=$(logins)
vp run "$DICT" --target "$VS_IP" --cs-data "$CS" --known-hosts "$VS_DIR/known_hosts" \
    --repeat 3 FIREWALL_RULES create --data '{"action":"drop","protocol":"udp","port":69}'
cat "$OUT" >>"$ALL"
check "reuse: 3 creates over one kept CLI session, all success" \
    test "$(lines '[(x["status"], x["steps"][1].get("reused", False)) for x in r]')" = \
    "[('success', False), ('success', True), ('success', True)]" || show
check "reuse: sshd saw one login for the 3" test $(($(logins) - n0)) -eq 1
n0=$(logins)
vp run "$DICT" --target "$VS_IP:2222" --cs-data "$VS_DIR/cs-enable.json" \
    --known-hosts "$VS_DIR/known_hosts" --repeat 2 STATIC_ROUTES list
cat "$OUT" >>"$ALL"
check "reuse after enable/disable (back at Router>): one login, both success" \
    test "$(lines '[(x["status"], x["steps"][1].get("reused", False)) for x in r]'):$(($(logins) - n0))" = \
    "[('success', False), ('success', True)]:1" || show

# --- credentials and trust -----------------------------------------------
rc "$VS_DIR/cs-wrongkey.json" "$VS_IP" System facts
check "wrong SSH key: failed at connect, authentication" \
    jis '(d["status"], d["steps"][1]["step"], d["steps"][1]["status"], "authentication failed" in d["error"])' \
    "('failed', 'connect', 'failed', True)" || show
check "wrong SSH key: the command not run" jis 'd["steps"][2]["status"]' "not run"
rc "$VS_DIR/cs-wrongpass.json" "$VS_IP" Monitoring get_version
check "wrong RESTCONF password: failed, HTTP 401 with IOS-XE's access-denied" \
    jis '(d["status"], d["error"].startswith("http: HTTP status 401"), "access-denied" in d["error"])' \
    "('failed', True, True)" || show
check "wrong RESTCONF password: the simulator saw Basic auth and said 401" \
    sis '(e[-1]["status"], e[-1]["headers"]["authorization"][:6])' "(401, 'Basic ')"
rc "$VS_DIR/cs-pin.json" "$VS_IP" System facts
check "pinned SSH host key (ssh_host_fingerprint): success" ok_run || show
rc "$VS_DIR/cs-badpin.json" "$VS_IP" System facts
check "wrong SSH host key pin: failed at connect, host key" \
    jis '(d["status"], d["steps"][1]["step"], "host key" in d["error"])' \
    "('failed', 'connect', True)" || show
"$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["tls_pin"]="sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="; json.dump(d, open(sys.argv[2], "w"))' \
    "$CS" "$VS_DIR/cs-badtls.json"
rc "$VS_DIR/cs-badtls.json" "$VS_IP" Monitoring get_version
check "wrong TLS pin: failed at http, the key does not match" \
    jis '(d["status"], "pinned" in d["error"])' "('failed', True)" || show

# --- health when the CLI is gone ---------------------------------------------
for p in $SSHD_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
SSHD_PIDS=
vp health "$DICT" --target "$VS_IP" --cs-data "$CS" --known-hosts "$VS_DIR/known_hosts"
cat "$OUT" >>"$ALL"
check "health with sshd stopped: degraded (RESTCONF still answers)" \
    jis '(d["status"], [c["status"] for c in d["checks"]])' \
    "('degraded', ['fail', 'fail', 'pass'])" || show

# --- secrets -----------------------------------------------------------------
check "no secret in any output (key, RESTCONF password, enable secret)" \
    sh -c "! grep -q -e 'PRIVATE KEY' -e \"\$(sed -n 2p '$VS_DIR/client_key')\" -e '$RC_PASS' -e '$EN_SECRET' '$ALL'"
check "the outputs were collected" test -s "$ALL"

finish
