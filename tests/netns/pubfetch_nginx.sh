#!/bin/sh
# recalld fetching a publication over HTTP from a real nginx (Debian nginx-light) serving it as
# static files, in namespaces of its own: nginx in fetch-web-PID on 10.77.21.1:8080, recalld in
# fetch-rd-PID (a veth between them). The first publication is served; the next poll asks for
# the top file conditionally and nginx answers 304; a new notice is fetched with only the new
# files (no old entry asked for again) and served; an HTTP proxy named in http_proxy (a small
# forwarding proxy in the web namespace, nginx then bound to its loopback only) is used.
# Needs root and nginx (exit 77 otherwise). About 20 s; every wait bounded.
set -u
B=${1:?usage: $0 BUILD_DIR}
case "$B" in /*) ;; *) B="$(pwd)/$B" ;; esac
SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
R=$B/tools/recall
RD=$B/responder/recalld
PROBE=$B/responder/recalld-probe
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x "$RD" ] && [ -x "$PROBE" ] || { echo "SKIP: recalld not built"; exit 77; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "SKIP: needs nginx (nginx-light)"; exit 77; }
WEB=fetch-web-$$
RDN=fetch-rd-$$
W=$(mktemp -d /tmp/pubfetch_nginx.XXXXXX)
NGX='' RDP='' PXY=''
cleanup() {
	for p in $RDP $PXY $NGX; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$WEB" 2>/dev/null
	ip netns del "$RDN" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fails=0 passes=0
ok() { passes=$((passes + 1)); echo "ok: $*"; }
bad() { fails=$((fails + 1)); echo "FAIL: $*"; }
check() {
	what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
inrd() { ip netns exec "$RDN" "$@"; }
metric() {
	inrd curl -sf "http://127.0.0.1:7413/metrics" |
		awk -v m="$1" -v l="${2:-}" 'index($0, m) == 1 && index($0, l) { s += $NF } END { print s + 0 }'
}
wait_for() { # wait_for N CMD...: until CMD succeeds, at most N tenths of a second
	_n=$1
	shift
	_i=0
	until "$@"; do
		_i=$((_i + 1))
		[ $_i -lt "$_n" ] || return 1
		sleep 0.1
	done
}
serial_is() { [ "$(metric recalld_feed_serial)" = "$1" ]; }

ip netns add "$WEB" || { echo "SKIP: cannot create namespaces"; exit 77; }
ip netns add "$RDN" || { echo "SKIP: cannot create namespaces"; exit 77; }
ip link add fxw0 netns "$WEB" type veth peer name fxr0 netns "$RDN" || exit 1
ip -n "$WEB" addr add 10.77.21.1/24 dev fxw0
ip -n "$RDN" addr add 10.77.21.2/24 dev fxr0
for n in "$WEB" "$RDN"; do ip -n "$n" link set lo up; done
ip -n "$WEB" link set fxw0 up
ip -n "$RDN" link set fxr0 up

chmod 755 "$W"
cd "$W" || exit 1
ORIGIN=example.org/recall-log
"$R" keygen logkey >/dev/null 2>&1 || exit 1
"$PROBE" fixture "$W" -n 6 -L logkey.pub -O $ORIGIN -W 3 -Q 2 || exit 1
"$R" log create --origin $ORIGIN --key logkey.key tlog >/dev/null || exit 1
append() {
	"$R" log append --key logkey.key --anchors anchors tlog "$@" >/dev/null &&
		"$PROBE" cosign tlog/checkpoint -w 0 -w 1
}
publish() {
	_s=$1
	shift
	"$PROBE" publish -c tlog/checkpoint -A anchors -s "$_s" srv/pub "$@" && chmod -R a+rX srv
}
mkdir -p srv/pub state
append n1.notice n2.notice n3.notice || exit 1
publish 1 n1.notice n2.notice n3.notice || exit 1

mkdir -p ngx/tmp
ngx_conf() { # ngx_conf LISTEN
	cat >ngx/nginx.conf <<EOF2
worker_processes 1;
pid $W/ngx/nginx.pid;
error_log $W/ngx/error.log;
events { worker_connections 64; }
http {
	log_format rc '\$request_uri \$status \$body_bytes_sent';
	access_log $W/ngx/access.log rc;
	client_body_temp_path $W/ngx/tmp/body;
	proxy_temp_path $W/ngx/tmp/proxy;
	fastcgi_temp_path $W/ngx/tmp/fastcgi;
	uwsgi_temp_path $W/ngx/tmp/uwsgi;
	scgi_temp_path $W/ngx/tmp/scgi;
	default_type application/octet-stream;
	server {
		listen $1;
		root $W/srv;
	}
}
EOF2
}
ngx_conf 10.77.21.1:8080
ip netns exec "$WEB" "$NGINX" -c "$W/ngx/nginx.conf" -g 'daemon off;' &
NGX=$!
wait_for 50 inrd curl -sf -o /dev/null http://10.77.21.1:8080/pub/recall-publication ||
	{ bad "nginx serves the publication"; cat ngx/error.log; exit 1; }
: >ngx/access.log

cat >recalld.conf <<EOF2
listen = 127.0.0.1
port = 7412
workers = 2
feed-key = $W/feed.pub
anchors = $W/anchors
state-dir = $W/state
publication = http://10.77.21.1:8080/pub
publication-poll = 1s
ratelimit = no
EOF2
ip netns exec "$RDN" "$RD" -f -c recalld.conf >rd.log 2>&1 &
RDP=$!
check "first publication served" wait_for 100 serial_is 1
check "recalled from it" inrd "$PROBE" send -p 7412 -m cam-1 -f 1.2.3 -x recalled -A anchors -n 2
check "log proofs from it" wait_for 50 sh -c "[ \"\$(ip netns exec $RDN curl -sf http://127.0.0.1:7413/metrics | awk '/^recalld_log_size /{print \$2}')\" = 3 ]"
check "first fetch: top file 200" grep -q '^/pub/recall-publication 200 ' ngx/access.log
check "next poll: top file 304" wait_for 50 grep -q '^/pub/recall-publication 304 ' ngx/access.log
n304=$(grep -c '^/pub/recall-publication 304 ' ngx/access.log)
check "same verdict counted" [ "$(metric recalld_publication_fetch_total 'verdict="same"')" -ge 1 ]

# A new notice: only the new files.
cp ngx/access.log before.log
append n4.notice || exit 1
publish 2 n1.notice n2.notice n3.notice n4.notice || exit 1
check "new notice served after a poll" wait_for 100 serial_is 2
check "recalled: the new notice" inrd "$PROBE" send -p 7412 -m cam-4 -f 1.2.3 -x recalled -A anchors -n 2
tail -n +"$(($(wc -l <before.log) + 1))" ngx/access.log | grep -v 'recall-publication 304' >new.log
echo "requests for the refresh: $(tr '\n' ';' <new.log)"
check "refresh: no old entry fetched again" sh -c '! grep -q "^/pub/log/entry/" new.log || [ "$(grep -c "^/pub/log/entry/" new.log)" -le 1 ]'
check "refresh: at most 4 files" [ "$(grep -c ' 200 ' new.log)" -le 4 ]
check "refresh: top file fetched again (200)" grep -q '^/pub/recall-publication 200 ' new.log
kill "$RDP"
wait "$RDP"
RDP=''
check "recalld stopped" grep -q stopping rd.log

# Through an HTTP proxy from the environment: nginx only on the web namespace's loopback, a
# forwarding proxy on 10.77.21.1:3128.
kill "$NGX"
wait "$NGX" 2>/dev/null
ngx_conf 127.0.0.1:8080
ip netns exec "$WEB" "$NGINX" -c "$W/ngx/nginx.conf" -g 'daemon off;' &
NGX=$!
cat >proxy.py <<'EOF2'
import http.server, sys, urllib.request
class P(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *a):
        open(sys.argv[1], "a").write(self.path + "\n")
    def do_GET(self):
        u = self.path.replace("http://127.0.0.1:8080", "http://127.0.0.1:8080", 1)
        req = urllib.request.Request(u, headers={k: v for k, v in self.headers.items()
                                                 if k.lower().startswith("if-")})
        try:
            r = urllib.request.urlopen(req, timeout=5)
            code, body, hdr = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            code, body, hdr = e.code, e.read(), e.headers
        self.send_response(code)
        for k in ("ETag", "Last-Modified"):
            if hdr.get(k):
                self.send_header(k, hdr[k])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.ThreadingHTTPServer(("10.77.21.1", 3128), P).serve_forever()
EOF2
ip netns exec "$WEB" python3 proxy.py "$W/proxy.log" &
PXY=$!
wait_for 50 inrd curl -sf -o /dev/null -x http://10.77.21.1:3128 http://127.0.0.1:8080/pub/recall-publication ||
	bad "proxy up"
: >proxy.log
append n5.notice || exit 1
publish 3 n1.notice n2.notice n3.notice n4.notice n5.notice || exit 1
sed -i 's|^publication = .*|publication = http://127.0.0.1:8080/pub|' recalld.conf
ip netns exec "$RDN" env http_proxy=http://10.77.21.1:3128 "$RD" -f -c recalld.conf >rd2.log 2>&1 &
RDP=$!
check "through the proxy: serial 3 served" wait_for 100 serial_is 3
check "the proxy saw the top file" grep -q '^http://127.0.0.1:8080/pub/recall-publication$' proxy.log

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
