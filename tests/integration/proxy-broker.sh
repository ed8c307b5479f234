#!/bin/sh
# Integration: the HTTP(S) proxy role (vnf-broker-proxy) under vnf-brokerd,
# with real namespaces and real clients.
#
# Two guest networks with the same CIDR (198.18.1.0/24), each a veth into a
# lab namespace where 198.18.1.10 serves HTTPS on 8443, HTTP on 8080 and a
# TCP echo on 7000, each answering with its lab's name.  curl (plain and
# TLS to the proxy, -p), Python's urllib, openssl s_client and Java (when a
# JDK is installed) reach each lab by target name; refusals (407, 403, 404,
# 400, 414, 431, 501, 505, 502, 504) are checked by status; the audit log,
# the PAC file, client certificates, half-close and graceful shutdown too.
. "$(dirname "$0")/lib/common.sh"
need_root
for b in curl openssl nft; do
	command -v "$b" >/dev/null 2>&1 || { echo "SKIP: no $b"; exit 77; }
done

BROKERD=${VBP_BROKERD:-$top_builddir/broker/vnf-brokerd}
PROXY=$top_builddir/broker/vnf-broker-proxy
P=43128		# plain listener
T=43129		# TLS listener
tmp=$(mktemp -d /tmp/vbp-proxy.XXXXXX)
chmod 755 "$tmp"
BPID=
SPIDS=

cleanup() {
	if [ "$T_FAIL" -gt 0 ]; then
		echo "--- broker log (last 80 lines)"
		tail -80 "$tmp/broker.log" 2>/dev/null
	fi
	[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	for p in $SPIDS; do kill "$p" 2>/dev/null; done
	# VBP_KEEP_LOG=FILE keeps the broker's log (sanitizer reports).
	[ -n "${VBP_KEEP_LOG:-}" ] && cp "$tmp/broker.log" "$VBP_KEEP_LOG"
	for ns in vbp-na vbp-nb vbp-la vbp-lb; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
# A signal ends the run; the EXIT trap cleans up.
trap 'exit 130' INT TERM HUP PIPE

# --- certificates: the labs' server, a client CA and a client of it
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/srv.key" -out "$tmp/srv.crt" -subj /CN=lab -days 2 \
    2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/ca.key" -out "$tmp/ca.crt" -subj /CN=vbp-test-ca -days 2 \
    2>/dev/null
for u in certuser stranger; do
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$tmp/$u.key" -out "$tmp/$u.csr" -subj "/CN=$u" 2>/dev/null
	openssl x509 -req -in "$tmp/$u.csr" -CA "$tmp/ca.crt" \
	    -CAkey "$tmp/ca.key" -CAcreateserial -out "$tmp/$u.crt" -days 2 \
	    2>/dev/null
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/rogue.key" -out "$tmp/rogue.crt" -subj /CN=certuser \
    -days 2 2>/dev/null
chmod 644 "$tmp"/*.crt "$tmp"/*.key
HASH=$(openssl passwd -6 secret)
HASH2=$(openssl passwd -6 'n3t pass')

# --- the labs' servers
cat >"$tmp/lab.py" <<'EOF'
import hashlib, http.server, socket, socketserver, ssl, sys, threading
addr, label, cert, key = sys.argv[1:5]

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def reply(self, text):
        b = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(b)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b)
        self.close_connection = True
    def do_GET(self):
        hdrs = "".join("%s: %s\n" % kv for kv in self.headers.items())
        self.reply("%s GET %s\n%s" % (label, self.path, hdrs))
    def do_POST(self):
        data = b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                n = int(self.rfile.readline().split(b";")[0], 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    break
                data += self.rfile.read(n)
                self.rfile.readline()
        else:
            data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.reply("%s POST %s len=%d sha256=%s\n" % (label, self.path,
            len(data), hashlib.sha256(data).hexdigest()))

class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

def echo1(c):
    c.sendall(label.encode() + b"\n")
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.sendall(b"bye\n")
    c.close()

def echo():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 7000))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=echo1, args=(c,), daemon=True).start()

plain = S((addr, 8080), H)
tls = S((addr, 8443), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
for srv in (plain, tls):
    threading.Thread(target=srv.serve_forever, daemon=True).start()
threading.Thread(target=echo, daemon=True).start()
print("listening", flush=True)
threading.Event().wait(900)
EOF

# raw.py PORT 'BYTES with \r\n escapes': send, print all that comes back.
cat >"$tmp/raw.py" <<'EOF'
import socket, sys
data = sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(data)
out = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
except (socket.timeout, ConnectionResetError):
    pass
sys.stdout.write(out.decode("latin-1"))
EOF

# tunnel.py PORT TARGET GOFILE: CONNECT, read the banner, wait for GOFILE,
# echo "ping", half-close, print everything that comes back until EOF.
cat >"$tmp/tunnel.py" <<'EOF'
import base64, os, socket, sys, time
port, target, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
auth = base64.b64encode(b"ops:secret").decode()
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: Basic %s"
           "\r\n\r\n" % (target, target, auth)).encode())
buf = b""
while b"\r\n\r\n" not in buf or not buf.endswith(b"\n") or buf.count(b"\n") < 3:
    d = s.recv(4096)
    if not d:
        break
    buf += d
print("head", buf.split(b"\r\n")[0].decode(), flush=True)
print("banner", buf.split(b"\r\n\r\n", 1)[1].decode().strip(), flush=True)
while go != "-" and not os.path.exists(go):
    time.sleep(0.05)
s.sendall(b"ping\n")
time.sleep(0.2)
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    out += d
print("after", out.decode().replace("\n", "|"), flush=True)
EOF

# --- namespaces and the broker
ip netns add vbp-la
ip netns add vbp-lb
ip -n vbp-la link set lo up
ip -n vbp-lb link set lo up

cat >"$tmp/broker.yaml" <<EOC
user: nobody
state_dir: $tmp/state
run_dir: $tmp/run
log: {level: debug}
restart_backoff_max: 2
audit_log: $tmp/audit.log
dns_suffix: vnf.test
listen:
  proxy: ["127.0.0.1:$P"]
  proxy_tls: ["127.0.0.1:$T"]
roles:
  proxy: {program: $PROXY}
proxy:
  connect_timeout: 2
  idle_timeout: 30
  shutdown_grace: 4
  client_ca: $tmp/ca.crt
appliances:
  - {name: vnf-a, network: vbp-na, address: 198.18.1.10, ports: [8443, 8080, 7000, 9998, 9999]}
  - {name: vnf-b, network: vbp-nb, address: 198.18.1.10, ports: [8443]}
users:
  - name: ops
    proxy_password_hash: "$HASH"
    grants: [{appliances: [vnf-a, vnf-b]}]
  - name: net
    proxy_password_hash: "$HASH2"
    grants: [{networks: [vbp-nb], ports: [8080]}]
  - name: nogrant
    proxy_password_hash: "$HASH"
    grants: []
  - name: certuser
    grants: [{appliances: [vnf-a]}]
networks:
  - name: vbp-na
    veth: {peer: vbp-pa, peer_netns: vbp-la}
    addresses: [198.18.1.2/24]
  - name: vbp-nb
    veth: {peer: vbp-pb, peer_netns: vbp-lb}
    addresses: [198.18.1.2/24]
EOC

check "config check passes" "$BROKERD" -t -c "$tmp/broker.yaml"
"$BROKERD" -c "$tmp/broker.yaml" >"$tmp/broker.log" 2>&1 &
BPID=$!
wait_for 20 grep -q "ready:" "$tmp/broker.log" ||
    { not_ok "broker starts"; finish; exit 1; }
for l in a b; do
	L=$(echo $l | tr a-z A-Z)
	wait_for 5 ip -n vbp-l$l link show vbp-p$l >/dev/null 2>&1
	ip -n vbp-l$l addr add 198.18.1.10/24 dev vbp-p$l
	ip -n vbp-l$l link set vbp-p$l up
	ip netns exec vbp-l$l "$PYTHON3" "$tmp/lab.py" 198.18.1.10 "lab-$L" \
	    "$tmp/srv.crt" "$tmp/srv.key" >"$tmp/lab-$l.out" 2>&1 &
	SPIDS="$SPIDS $!"
done
# A second host in lab B, no appliance: reached through a network grant.
ip -n vbp-lb addr add 198.18.1.20/24 dev vbp-pb
ip netns exec vbp-lb "$PYTHON3" "$tmp/lab.py" 198.18.1.20 lab-B20 \
    "$tmp/srv.crt" "$tmp/srv.key" >"$tmp/lab-b20.out" 2>&1 &
SPIDS="$SPIDS $!"
wait_for 20 grep -q listening "$tmp/lab-b20.out"
# A port whose SYNs vanish, for the connect timeout.
printf 'table inet vbp {\n chain input {\n  type filter hook input priority 0;\n  tcp dport 9998 drop\n }\n}\n' |
    ip netns exec vbp-la nft -f -
wait_for 20 grep -q listening "$tmp/lab-a.out"
wait_for 20 grep -q listening "$tmp/lab-b.out"
wait_for 10 sh -c "grep -q 'serving proxy_tls' '$tmp/broker.log'"
check "the parent listens on 127.0.0.1:$P for the proxy role" \
    sh -c "ss -ltnH 'sport = :$P' | grep -q 127.0.0.1:$P"

CX="curl -sS --max-time 10 -x http://127.0.0.1:$P"
CT="curl -sS --max-time 10 --proxy https://127.0.0.1:$T --proxy-insecure"
has() { printf '%s' "$1" | grep -q -- "$2"; }

# --- CONNECT to both labs: same address, different networks
out=$($CX -U ops:secret -k https://vnf-a:8443/x 2>&1)
check "CONNECT vnf-a:8443 reaches lab A" has "$out" "^lab-A GET /x"
out=$($CX -U ops:secret -k https://vnf-b:8443/y 2>&1)
check "CONNECT vnf-b:8443 reaches lab B (same address)" has "$out" "^lab-B GET /y"
out=$($CX -U ops:secret -k https://vnf-a.vnf.test:8443/ 2>&1)
check "name with the DNS suffix reaches lab A" has "$out" "^lab-A"
out=$($CX -U ops:secret -k https://198.18.1.10.vbp-nb.vnf.test:8443/ 2>&1)
check "ADDRESS.NETWORK.suffix of an appliance reaches lab B" has "$out" "^lab-B"

# --- spare sockets (made ahead in each network used) go to the right one
# Both networks have been used: from here on most tunnels get a spare.
# Same address in both, so a spare given for the wrong network would
# reach the wrong lab.
spare_ok=0
for i in 1 2 3 4 5 6; do
	a=$($CX -U ops:secret -k https://vnf-a:8443/s$i 2>&1)
	b=$($CX -U ops:secret -k https://vnf-b:8443/s$i 2>&1)
	has "$a" "^lab-A GET /s$i" && has "$b" "^lab-B GET /s$i" &&
	    spare_ok=$((spare_ok + 1))
done
check "12 tunnels alternating between the networks each reach their own" \
    [ "$spare_ok" -eq 6 ]
# The role keeps a few unconnected sockets per network and family: with
# no tunnel open, the sockets it holds that are neither its listeners nor
# its channel (not in its namespace's tcp, tcp6 or unix tables) are
# spares, at most ROLE_SPARE_PER (4) for each of the two networks.
prole=$(pgrep -P "$BPID" -x vnf-broker-prox | head -1)
nspare=0
for ino in $(ls -l /proc/"$prole"/fd 2>/dev/null |
    sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p'); do
	cat /proc/"$prole"/net/tcp /proc/"$prole"/net/tcp6 \
	    /proc/"$prole"/net/unix 2>/dev/null | grep -qw "$ino" ||
	    nspare=$((nspare + 1))
done
check "the proxy role holds spare sockets, 1 to 8 ($nspare)" \
    [ "$nspare" -ge 1 -a "$nspare" -le 8 ]

# --- TLS to the proxy
out=$($CT -U ops:secret -k https://vnf-a:8443/t 2>&1)
check "TLS to the proxy, CONNECT to lab A" has "$out" "^lab-A GET /t"
out=$($CT -U ops:secret -k https://vnf-b:8443/t 2>&1)
check "TLS to the proxy, CONNECT to lab B" has "$out" "^lab-B GET /t"
out=$($CT -U ops:secret http://vnf-a:8080/abs 2>&1)
check "TLS to the proxy, absolute-form GET" has "$out" "^lab-A GET /abs"
out=$(openssl s_client -connect 127.0.0.1:$T -tls1_2 </dev/null 2>&1)
check "TLS 1.2 to the proxy works" has "$out" "New, TLSv1.2, Cipher"
out=$(openssl s_client -connect 127.0.0.1:$T -tls1_3 </dev/null 2>&1)
check "TLS 1.3 to the proxy works" has "$out" "New, TLSv1.3, Cipher"
check "TLS 1.1 to the proxy is refused" sh -c "! openssl s_client \
    -connect 127.0.0.1:$T -tls1_1 </dev/null >/dev/null 2>&1"
fp_served=$(openssl s_client -connect 127.0.0.1:$T </dev/null 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256 2>/dev/null)
check "the TLS listener presents a certificate" has "$fp_served" "Fingerprint"
if [ -f "$tmp/state/proxy-tls.crt" ]; then
	fp_file=$(openssl x509 -noout -fingerprint -sha256 \
	    -in "$tmp/state/proxy-tls.crt")
	check "self-signed certificate kept in state_dir is the one served" \
	    [ "$fp_served" = "$fp_file" ]
	check "its key is private (0600)" \
	    sh -c "[ \$(stat -c %a '$tmp/state/proxy-tls.key') = 600 ]"
else
	echo "# note: the parent does not call proxy_keys_prepare() yet;" \
	    "the role made a certificate in memory"
fi

# --- client certificates
out=$(curl -sS --max-time 10 --proxy https://127.0.0.1:$T --proxy-insecure \
    --proxy-cert "$tmp/certuser.crt" --proxy-key "$tmp/certuser.key" -k \
    https://vnf-a:8443/cert 2>&1)
check "client certificate (CN=certuser) authenticates" has "$out" "^lab-A GET /cert"
code=$(curl -s -o /dev/null -w '%{http_connect}' --max-time 10 \
    --proxy https://127.0.0.1:$T --proxy-insecure \
    --proxy-cert "$tmp/certuser.crt" --proxy-key "$tmp/certuser.key" -k \
    https://vnf-b:8443/ 2>&1)
check "client certificate user not granted vnf-b: 403" [ "$code" = 403 ]
code=$(curl -s -o /dev/null -w '%{http_connect}' --max-time 10 \
    --proxy https://127.0.0.1:$T --proxy-insecure \
    --proxy-cert "$tmp/stranger.crt" --proxy-key "$tmp/stranger.key" -k \
    https://vnf-a:8443/ 2>&1)
check "client certificate of no user: 407" [ "$code" = 407 ]
check "client certificate from another CA: handshake refused" \
    sh -c "! curl -s --max-time 10 --proxy https://127.0.0.1:$T \
    --proxy-insecure --proxy-cert '$tmp/rogue.crt' \
    --proxy-key '$tmp/rogue.key' -k https://vnf-a:8443/ >/dev/null 2>&1"

# --- plain HTTP: over CONNECT (-p) and absolute form
out=$($CX -p -U ops:secret http://vnf-a:8080/over-connect 2>&1)
check "curl -p: plain HTTP through a CONNECT tunnel" \
    has "$out" "^lab-A GET /over-connect"
out=$($CX -U ops:secret -H 'Connection: X-Secret' -H 'X-Secret: 1' \
    -H 'Keep-Alive: 5' "http://vnf-a:8080/abs?q=1" 2>&1)
check "absolute-form GET reaches lab A in origin form" \
    has "$out" "^lab-A GET /abs?q=1$"
check "absolute-form: Host is the target's authority" has "$out" "^Host: vnf-a:8080$"
check "absolute-form: Via added" has "$out" "^Via: 1.1 vnf-broker$"
check "absolute-form: Connection: close upstream" has "$out" "^Connection: close$"
check "absolute-form: Proxy-Authorization not forwarded" \
    sh -c "! printf '%s' '$out' | grep -qi proxy-authorization"
check "absolute-form: a field named by Connection not forwarded" \
    sh -c "! printf '%s' '$out' | grep -qi -e x-secret -e keep-alive"
head -c 300000 /dev/urandom >"$tmp/body"
sum=$(sha256sum "$tmp/body" | cut -d' ' -f1)
out=$($CX -U ops:secret --data-binary @"$tmp/body" http://vnf-a:8080/post 2>&1)
check "absolute-form POST, 300000-byte body arrives whole" \
    has "$out" "lab-A POST /post len=300000 sha256=$sum"
out=$($CX -U ops:secret -H 'Transfer-Encoding: chunked' \
    --data-binary @"$tmp/body" http://vnf-a:8080/chunked 2>&1)
check "absolute-form POST, chunked body arrives whole" \
    has "$out" "lab-A POST /chunked len=300000 sha256=$sum"
out=$($CX -U net:'n3t pass' http://198.18.1.20.vbp-nb:8080/net 2>&1)
check "network grant: ADDRESS.NETWORK reaches a host in lab B" \
    has "$out" "^lab-B20 GET /net"
code=$($CX -s -o /dev/null -w '%{http_code}' -U net:'n3t pass' \
    http://198.18.1.10.vbp-nb:8080/ 2>/dev/null)
check "network grant: the appliance's own address follows its ports: 403" \
    [ "$code" = 403 ]

# --- other clients
cat >"$tmp/urllib.py" <<EOF
import ssl, urllib.request
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
px = "http://ops:secret@127.0.0.1:$P"
op = urllib.request.build_opener(
    urllib.request.ProxyHandler({"https": px, "http": px}),
    urllib.request.HTTPSHandler(context=ctx))
print(op.open("https://vnf-b:8443/urllib", timeout=10).read().decode())
print(op.open("http://vnf-a:8080/urllib-plain", timeout=10).read().decode())
EOF
out=$("$PYTHON3" "$tmp/urllib.py" 2>&1)
check "Python urllib: HTTPS through CONNECT to lab B" has "$out" "^lab-B GET /urllib"
check "Python urllib: plain HTTP to lab A" has "$out" "^lab-A GET /urllib-plain"
out=$(printf 'GET /sclient HTTP/1.0\r\n\r\n' | timeout 15 openssl s_client \
    -quiet -proxy 127.0.0.1:$P -proxy_user ops -proxy_pass pass:secret \
    -connect vnf-a:8443 -servername vnf-a 2>/dev/null)
check "openssl s_client -proxy reaches lab A" has "$out" "^lab-A GET /sclient"
if command -v javac >/dev/null 2>&1 && command -v java >/dev/null 2>&1; then
	mkdir -p "$tmp/java"
	cat >"$tmp/java/ProxyTest.java" <<'EOF'
import java.net.*;
import java.net.http.*;
import java.security.cert.X509Certificate;
import javax.net.ssl.*;

public class ProxyTest {
    public static void main(String[] a) throws Exception {
        TrustManager[] all = { new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String s) {}
            public void checkServerTrusted(X509Certificate[] c, String s) {}
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        } };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, all, null);
        HttpClient c = HttpClient.newBuilder()
            .proxy(ProxySelector.of(new InetSocketAddress("127.0.0.1", Integer.parseInt(a[0]))))
            .authenticator(new Authenticator() {
                protected PasswordAuthentication getPasswordAuthentication() {
                    return new PasswordAuthentication("ops", "secret".toCharArray());
                }
            })
            .sslContext(ctx).build();
        HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create(a[1])).build(),
            HttpResponse.BodyHandlers.ofString());
        System.out.println(r.statusCode() + " " + r.body());
    }
}
EOF
	out=$(cd "$tmp/java" && timeout 60 java \
	    -Djdk.http.auth.tunneling.disabledSchemes= \
	    -Djdk.internal.httpclient.disableHostnameVerification=true \
	    ProxyTest.java $P https://vnf-b:8443/java 2>&1)
	check "Java HttpClient with a ProxySelector reaches lab B" \
	    has "$out" "^200 lab-B GET /java"
else
	echo "# note: no JDK installed; the Java HttpClient case is skipped"
fi

# --- PAC
out=$(curl -sS --max-time 5 http://127.0.0.1:$P/proxy.pac 2>&1)
check "PAC: routes the DNS suffix" has "$out" 'dnsDomainIs(host, ".vnf.test")'
check "PAC: through this proxy as reached" has "$out" "PROXY 127.0.0.1:$P"
out=$(curl -sS --max-time 5 -k https://127.0.0.1:$T/proxy.pac 2>&1)
check "PAC over the TLS listener says HTTPS" has "$out" "HTTPS 127.0.0.1:$T"

# --- refusals, each with its status and one-line body
connect_code() { $CX -s -o /dev/null -w '%{http_connect}' "$@" 2>/dev/null; }
code=$(connect_code -k https://vnf-a:8443/)
check "no credentials: 407" [ "$code" = 407 ]
out=$("$PYTHON3" "$tmp/raw.py" $P 'CONNECT vnf-a:8443 HTTP/1.1\r\nHost: vnf-a:8443\r\n\r\n')
check "407 carries Proxy-Authenticate: Basic" has "$out" "^Proxy-Authenticate: Basic realm="
check "407 body is one line" has "$out" "^proxy authentication required$"
code=$(connect_code -U ops:wrong -k https://vnf-a:8443/)
check "wrong password: 407" [ "$code" = 407 ]
code=$(connect_code -U nobody-here:secret -k https://vnf-a:8443/)
check "unknown user: 407" [ "$code" = 407 ]
code=$(connect_code -U nogrant:secret -k https://vnf-a:8443/)
check "user without a grant: 403" [ "$code" = 403 ]
out=$("$PYTHON3" "$tmp/raw.py" $P "CONNECT vnf-b:8080 HTTP/1.1\r\nHost: vnf-b:8080\r\nProxy-Authorization: Basic $(printf ops:secret | base64)\r\n\r\n")
check "port not allowed: 403" has "$out" "^HTTP/1.1 403 Forbidden"
check "port not allowed: says so" has "$out" "^port not allowed for this appliance$"
out=$("$PYTHON3" "$tmp/raw.py" $P "CONNECT nope-1:443 HTTP/1.1\r\nHost: nope-1:443\r\nProxy-Authorization: Basic $(printf ops:secret | base64)\r\n\r\n")
check "unknown target: 404" has "$out" "^HTTP/1.1 404 Not Found"
check "unknown target: says so" has "$out" "^unknown target$"
code=$(connect_code -U ops:secret -k https://198.18.1.10.vbp-zz:8443/)
check "unknown network: 404" [ "$code" = 404 ]
code=$($CX -s -o /dev/null -w '%{http_code}' -U net:'n3t pass' \
    http://198.18.1.10.vbp-na:8080/ 2>/dev/null)
check "network grant does not cover another network: 403" [ "$code" = 403 ]
code=$(connect_code -U net:'n3t pass' -k https://198.18.1.20.vbp-nb:8443/)
check "network grant does not cover another port: 403" [ "$code" = 403 ]
code=$(connect_code -U ops:secret -k https://vnf-a:9999/)
check "nothing listening at the target: 502" [ "$code" = 502 ]
t0=$(date +%s)
code=$(connect_code -U ops:secret -k https://vnf-a:9998/)
t1=$(date +%s)
check "target that never answers: 504" [ "$code" = 504 ]
check "504 after connect_timeout (2 s), not later" [ $((t1 - t0)) -le 4 ]

# Malformed and smuggling-shaped requests (no credentials needed to fail).
raw_status() {
	"$PYTHON3" "$tmp/raw.py" $P "$1" | head -1 | tr -d '\r' | cut -d' ' -f2
}
A="Proxy-Authorization: Basic $(printf ops:secret | base64)"
expect_status() {
	want=$1 desc=$2 req=$3
	got=$(raw_status "$req")
	check "$desc: $want" [ "$got" = "$want" ]
}
expect_status 400 "obs-fold" 'GET http://vnf-a:8080/ HTTP/1.1\r\nHost: vnf-a\r\nX-A: 1\r\n folded\r\n\r\n'
expect_status 400 "bare LF line ends" 'GET http://vnf-a:8080/ HTTP/1.1\nHost: vnf-a\n\n'
expect_status 400 "bare CR" 'GET http://vnf-a:8080/ HTTP/1.1\r\nHost: vnf-a\rX: 1\r\n\r\n'
expect_status 400 "Content-Length with Transfer-Encoding" 'POST http://vnf-a:8080/ HTTP/1.1\r\nHost: vnf-a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
expect_status 400 "conflicting Content-Length" 'POST http://vnf-a:8080/ HTTP/1.1\r\nHost: vnf-a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'
expect_status 400 "CONNECT whose Host disagrees" 'CONNECT vnf-a:8443 HTTP/1.1\r\nHost: vnf-b:8443\r\n\r\n'
expect_status 400 "NUL in a header" 'GET http://vnf-a:8080/ HTTP/1.1\r\nHost: vnf-a\r\nX: a\x00b\r\n\r\n'
expect_status 400 "space before the colon" 'GET http://vnf-a:8080/ HTTP/1.1\r\nHost : vnf-a\r\n\r\n'
expect_status 400 "Connection naming Content-Length" 'POST http://vnf-a:8080/ HTTP/1.1\r\nHost: vnf-a\r\nContent-Length: 5\r\nConnection: Content-Length\r\n\r\nhello'
expect_status 400 "two Host fields" 'GET http://vnf-a:8080/ HTTP/1.1\r\nHost: vnf-a\r\nHost: vnf-b\r\n\r\n'
expect_status 400 "origin-form other than /proxy.pac" 'GET /etc/passwd HTTP/1.1\r\nHost: vnf-a\r\n\r\n'
expect_status 501 "transfer coding other than chunked" 'POST http://vnf-a:8080/ HTTP/1.1\r\nHost: vnf-a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'
expect_status 505 "HTTP/2.0 request line" 'GET http://vnf-a:8080/ HTTP/2.0\r\nHost: vnf-a\r\n\r\n'
long=$(head -c 9000 /dev/zero | tr '\0' a)
expect_status 414 "request line over 8 KiB" "GET http://vnf-a:8080/$long HTTP/1.1\r\nHost: vnf-a\r\n\r\n"
many=$(i=0; while [ $i -lt 150 ]; do printf 'X-%d: 1\\r\\n' $i; i=$((i + 1)); done)
expect_status 431 "150 header fields" "GET http://vnf-a:8080/ HTTP/1.1\r\nHost: vnf-a\r\n${many}\r\n"
out=$("$PYTHON3" "$tmp/raw.py" $P 'GET http://vnf-a:8080/ HTTP/1.1\r\nHost: vnf-a\r\nX-A: 1\r\n folded\r\n\r\n')
check "a refusal's body is one line naming the problem" \
    has "$out" "^obsolete line folding is refused$"
# A second request smuggled after a body is never forwarded.
out=$("$PYTHON3" "$tmp/raw.py" $P "POST http://vnf-a:8080/one HTTP/1.1\r\nHost: vnf-a\r\n$A\r\nContent-Length: 5\r\n\r\nhelloGET http://vnf-a:8080/two HTTP/1.1\r\nHost: vnf-a\r\n$A\r\n\r\n")
check "after a Content-Length body: one request forwarded" \
    sh -c "printf '%s' '$out' | grep -q 'lab-A POST /one len=5' && \
    [ \$(printf '%s' '$out' | grep -c '^HTTP/1') -eq 1 ]"
out=$("$PYTHON3" "$tmp/raw.py" $P "POST http://vnf-a:8080/c HTTP/1.1\r\nHost: vnf-a\r\n$A\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET http://vnf-a:8080/two HTTP/1.1\r\nHost: vnf-a\r\n\r\n")
check "after a chunked body: one request forwarded" \
    sh -c "printf '%s' '$out' | grep -q 'lab-A POST /c len=3' && \
    [ \$(printf '%s' '$out' | grep -c '^HTTP/1') -eq 1 ]"

# --- tunnels: half-close both ways
"$PYTHON3" "$tmp/tunnel.py" $P vnf-a:7000 - >"$tmp/t1.out" 2>&1
check "tunnel: 200 Connection established" grep -q "^head HTTP/1.1 200" "$tmp/t1.out"
check "tunnel: reaches the echo in lab A" grep -q "^banner lab-A" "$tmp/t1.out"
check "tunnel: half-close passed on, the rest comes back" \
    grep -q "^after ping|bye|$" "$tmp/t1.out"

# --- bulk through tunnels: the splice pump (plain listener, with bytes
# sent before the 200) and the bufferevent pump (TLS listener), each way
# at once through the echo; every byte back in order, counted exactly.
cat >"$tmp/bulk.py" <<'EOF'
import base64, hashlib, os, socket, ssl, sys, threading
port, target, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
tls = sys.argv[4] == "tls"
early = b"early bytes\n"
auth = base64.b64encode(b"ops:secret").decode()
s = socket.create_connection(("127.0.0.1", port), timeout=30)
if tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(s)
s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: Basic %s"
           "\r\n\r\n" % (target, target, auth)).encode() + early)
buf = b""
while b"\r\n\r\n" not in buf:
    d = s.recv(4096)
    if not d:
        sys.exit("closed before the 200")
    buf += d
head, got0 = buf.split(b"\r\n\r\n", 1)
data = os.urandom(size)
h = hashlib.sha256(got0)
n = len(got0)
if tls:
    # One thread: an SSL object must not read and write at once.  Lock
    # step, 256 KiB out then its echo back.  It cannot half-close
    # through the proxy, so no "bye".
    tail = b""
    base = len(b"lab-A\n" + early)
    for i in range(0, size, 1 << 18):
        s.sendall(data[i:i + (1 << 18)])
        while n < base + min(i + (1 << 18), size):
            d = s.recv(1 << 20)
            if not d:
                break
            h.update(d)
            n += len(d)
else:
    tail = b"bye\n"
    def send():
        v = memoryview(data)
        for i in range(0, size, 1 << 20):
            s.sendall(v[i:i + (1 << 20)])
        s.shutdown(socket.SHUT_WR)
    t = threading.Thread(target=send)
    t.start()
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        h.update(d)
        n += len(d)
    t.join()
want = hashlib.sha256(b"lab-A\n" + early + data + tail).hexdigest()
print("port", s.getsockname()[1])
print("up", len(early) + size)
print("down", n)
print("whole" if h.hexdigest() == want and head.startswith(b"HTTP/1.1 200")
      else "differs")
EOF
bulk_audit() {
	sleep 0.3
	p=$(awk '/^port/ { print $2 }' "$1")
	u=$(awk '/^up/ { print $2 }' "$1")
	d=$(awk '/^down/ { print $2 }' "$1")
	audit "{\"source\":\"127.0.0.1:$p\",\"bytes_up\":$u,\"bytes_down\":$d,\"status\":200,\"outcome\":\"allowed\"}"
}
timeout 120 "$PYTHON3" "$tmp/bulk.py" $P vnf-a:7000 104857600 plain \
    >"$tmp/bulk1.out" 2>&1
check "splice pump: 100 MiB each way, early bytes, all back in order" \
    grep -q "^whole$" "$tmp/bulk1.out"
timeout 120 "$PYTHON3" "$tmp/bulk.py" $T vnf-a:7000 20971520 tls \
    >"$tmp/bulk2.out" 2>&1
check "TLS client (bufferevent pump): 20 MiB each way, all back in order" \
    grep -q "^whole$" "$tmp/bulk2.out"

# --- the audit log
sleep 0.3
cat >"$tmp/audit.py" <<'EOF'
import json, sys
want = json.loads(sys.argv[2])
for line in open(sys.argv[1]):
    r = json.loads(line)
    if all(r.get(k) == v for k, v in want.items()):
        if "bytes" in sys.argv[3:] and not (r.get("bytes_up", 0) > 0 and
                r.get("bytes_down", 0) > 0 and "duration_ms" in r):
            continue
        sys.exit(0)
sys.exit(1)
EOF
audit() { "$PYTHON3" "$tmp/audit.py" "$tmp/audit.log" "$@"; }
check "audit: tunnel to vnf-a with user, network, address, port, bytes" \
    audit '{"event":"tunnel","role":"proxy","user":"ops","credential":"password","target":"vnf-a:8443","network":"vbp-na","address":"198.18.1.10","port":8443,"status":200,"outcome":"allowed"}' bytes
check "audit: the same address in the other network" \
    audit '{"event":"tunnel","user":"ops","target":"vnf-b:8443","network":"vbp-nb","address":"198.18.1.10","status":200}' bytes
check "audit: forwarded request with its upstream status" \
    audit '{"event":"request","user":"ops","target":"vnf-a:8080","network":"vbp-na","port":8080,"status":200,"outcome":"allowed"}' bytes
check "audit: 407 recorded as denied" \
    audit '{"event":"tunnel","status":407,"outcome":"denied","reason":"proxy authentication required"}'
check "audit: wrong password names the user" \
    audit '{"user":"ops","status":407,"reason":"wrong user name or password"}'
check "audit: 403 with its reason" \
    audit '{"user":"nogrant","status":403,"outcome":"denied","reason":"not permitted"}'
CERT_FP="SHA256:$(openssl x509 -in "$tmp/certuser.crt" -outform der |
    openssl dgst -sha256 -binary | openssl base64 -A | tr -d =)"
check "audit: client certificate credential is its SHA-256 fingerprint, key_id its subject" \
    audit "{\"user\":\"certuser\",\"credential\":\"$CERT_FP\",\"key_id\":\"CN=certuser\",\"status\":200}"
check "audit: the refused certificate's handshake is recorded" \
    sh -c "grep '\"event\":\"handshake\"' '$tmp/audit.log' | grep '\"outcome\":\"denied\"' | grep -q 'TLS handshake failed: '"
check "audit: TLS 1.1 refused, recorded with OpenSSL's reason" \
    grep -q '"reason":"TLS handshake failed: unsupported protocol"' "$tmp/audit.log"
check "audit: the splice pump's tunnel counts every byte each way" \
    bulk_audit "$tmp/bulk1.out"
check "audit: source address recorded" grep -q '"source":"127.0.0.1:' "$tmp/audit.log"
check "audit: no password in the log" sh -c "! grep -q secret '$tmp/audit.log'"

# --- graceful shutdown: open tunnels finish, then the role exits
role=$(pgrep -P "$BPID" | head -1)
rm -f "$tmp/go"
"$PYTHON3" "$tmp/tunnel.py" $P vnf-a:7000 "$tmp/go" >"$tmp/t2.out" 2>&1 &
TP2=$!
"$PYTHON3" "$tmp/tunnel.py" $P vnf-a.vnf.test:7000 "$tmp/go" >"$tmp/t3.out" 2>&1 &
TP3=$!
wait_for 10 grep -q "^banner lab-A" "$tmp/t2.out"
wait_for 10 grep -q "^banner lab-A" "$tmp/t3.out"
kill -TERM "$role"
wait_for 5 grep -q "proxy\[$role\].*stopping: 2 connections" "$tmp/broker.log"
check "SIGTERM: the role waits for its 2 open tunnels" \
    grep -q "proxy\[$role\].*stopping: 2 connections may finish within 4 s" \
    "$tmp/broker.log"
sleep 1
check "SIGTERM: the role is still running meanwhile" kill -0 "$role"
touch "$tmp/go"
wait "$TP2"
wait "$TP3"
check "SIGTERM: open tunnels keep working during the grace" \
    sh -c "grep -q '^after ping|bye|$' '$tmp/t2.out' &&
    grep -q '^after ping|bye|$' '$tmp/t3.out'"
check "SIGTERM: the role exits as soon as its tunnels are done" \
    wait_for 1 sh -c "! kill -0 $role 2>/dev/null"
check "SIGTERM: nothing was cut" \
    sh -c "! grep -q 'proxy\[$role\].*grace over' '$tmp/broker.log'"
new_role() {
	wait_for 10 sh -c "n=\$(pgrep -P $BPID | head -1); [ -n \"\$n\" ] && [ \"\$n\" != $1 ]"
}
check "the parent restarts the role" new_role "$role"
wait_for 5 sh -c "[ \$(grep -c 'serving proxy_tls' '$tmp/broker.log') -ge 2 ]"
out=$($CX -U ops:secret -k https://vnf-b:8443/again 2>&1)
check "the restarted role serves" has "$out" "^lab-B GET /again"

# A tunnel still open when the grace ends is cut.
role=$(pgrep -P "$BPID" | head -1)
"$PYTHON3" "$tmp/tunnel.py" $P vnf-a:7000 "$tmp/never" >"$tmp/t4.out" 2>&1 &
TP4=$!
wait_for 10 grep -q "^banner lab-A" "$tmp/t4.out"
t0=$(date +%s)
kill -TERM "$role"
check "SIGTERM: a tunnel open past shutdown_grace is cut" \
    wait_for 7 sh -c "! kill -0 $role 2>/dev/null"
t1=$(date +%s)
check "SIGTERM: ... at the end of the grace (4 s), not before" \
    [ $((t1 - t0)) -ge 3 ]
check "SIGTERM: the log says so" \
    grep -q "proxy\[$role\].*grace over: 1 connection cut" "$tmp/broker.log"
kill "$TP4" 2>/dev/null
wait "$TP4" 2>/dev/null
new_role "$role"
wait_for 5 sh -c "[ \$(grep -c 'serving proxy_tls' '$tmp/broker.log') -ge 3 ]"

# Idle connections that never send a request do not hold a shutdown.
role=$(pgrep -P "$BPID" | head -1)
"$PYTHON3" -c "import socket,time; s=socket.create_connection(('127.0.0.1',$P)); time.sleep(8)" &
IP=$!
sleep 0.5
kill -TERM "$role"
check "SIGTERM with only an idle client: the role exits at once" \
    wait_for 2 sh -c "! kill -0 $role 2>/dev/null"
kill "$IP" 2>/dev/null
wait "$IP" 2>/dev/null

new_role "$role"
role=$(pgrep -P "$BPID" | head -1)
kill -TERM "$BPID"
wait "$BPID"
rc=$?
BPID=
check "broker stops cleanly" [ "$rc" -eq 0 ]
check "no proxy role left" sh -c "[ -n '$role' ] && ! kill -0 '$role' 2>/dev/null"
finish
