#!/bin/sh
# recall log monitor following a log over HTTP, served by a real nginx (Debian nginx-light) as
# plain static files. nginx runs in namespace rcm-web-PID on 10.77.11.1:8080 with its own
# configuration in a scratch directory; the monitor runs in rcm-mon-PID (a veth between them)
# and follows http://10.77.11.1:8080/log/ while entries are appended. Then the server's log is
# swapped for a fork and for a damaged one (exit 4, evidence, state kept), oversized and missing
# files are refused (4 and 1), and an unreachable or trickling server is an I/O error (1).
# Needs root and nginx (exit 77 otherwise). About 10 s.
set -u
B=${1:?usage: $0 BUILD_DIR}
case "$B" in /*) ;; *) B="$(pwd)/$B" ;; esac
R=$B/tools/recall
SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x "$R" ] || { echo "SKIP: recall not built"; exit 77; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "SKIP: needs nginx (nginx-light)"; exit 77; }
WEB=rcm-web-$$
MON=rcm-mon-$$
W=$(mktemp -d /tmp/log_monitor_nginx.XXXXXX)
NGX='' FOLLOW=''
cleanup() {
	for p in $FOLLOW $NGX; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$WEB" 2>/dev/null
	ip netns del "$MON" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM # cleanup runs once, from the EXIT trap

fails=0 passes=0
ok() { passes=$((passes + 1)); echo "ok: $*"; }
bad() { fails=$((fails + 1)); echo "FAIL: $*"; }
check() {
	what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
inmon() { ip netns exec "$MON" "$@"; }

# The network: two namespaces and a veth.
ip netns add "$WEB" || { echo "SKIP: cannot create namespaces"; exit 77; }
ip netns add "$MON" || { echo "SKIP: cannot create namespaces"; exit 77; }
ip link add w0 netns "$WEB" type veth peer name m0 netns "$MON" || exit 1
ip -n "$WEB" addr add 10.77.11.1/24 dev w0
ip -n "$MON" addr add 10.77.11.2/24 dev m0
for n in "$WEB" "$MON"; do
	ip -n "$n" link set lo up
done
ip -n "$WEB" link set w0 up
ip -n "$MON" link set m0 up

# The authority, the log key, notices, and a log with three entries.
chmod 755 "$W" # nginx's workers run as nobody
cd "$W" || exit 1
for k in alice bob carol logkey; do "$R" keygen "$k" >/dev/null || exit 1; done
"$R" anchors create --k 2 -o anchors.cbor alice.pub bob.pub carol.pub >/dev/null || exit 1
for i in 1 2 3 4 5 6; do
	python3 - "$SRC/tests/data/tool/cam.json" "n$i.json" "$i" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["id"] = "RC-WEB-%s" % sys.argv[3]
json.dump(d, open(sys.argv[2], "w"))
PY
	"$R" notice create -o "n$i.notice" "n$i.json" >/dev/null &&
		"$R" notice sign -k alice.key "n$i.notice" >/dev/null &&
		"$R" notice sign -k bob.key "n$i.notice" >/dev/null || exit 1
done
append() { "$R" log append --key logkey.key --anchors anchors.cbor "$@" >/dev/null; }
mkdir srv
"$R" log create --origin example.org/web --key logkey.key srv/L >log.vkey || exit 1
append srv/L n1.notice n2.notice n3.notice || exit 1
ln -s L srv/log # the served log: swapped below for other ones
chmod -R a+rX srv

# nginx with a configuration of our own: static files, nothing else.
mkdir -p ngx/tmp
cat >ngx/nginx.conf <<EOF
worker_processes 1;
pid $W/ngx/nginx.pid;
error_log $W/ngx/error.log;
events { worker_connections 64; }
http {
	access_log $W/ngx/access.log;
	client_body_temp_path $W/ngx/tmp/body;
	proxy_temp_path $W/ngx/tmp/proxy;
	fastcgi_temp_path $W/ngx/tmp/fastcgi;
	uwsgi_temp_path $W/ngx/tmp/uwsgi;
	scgi_temp_path $W/ngx/tmp/scgi;
	default_type application/octet-stream;
	server {
		listen 10.77.11.1:8080;
		root $W/srv;
	}
	server {
		listen 10.77.11.1:8082;
		root $W/srv;
		limit_rate 20;
	}
}
EOF
ip netns exec "$WEB" "$NGINX" -c "$W/ngx/nginx.conf" -g 'daemon off;' &
NGX=$!
URL=http://10.77.11.1:8080/log
i=0
until inmon curl -sf -o /dev/null "$URL/checkpoint"; do
	i=$((i + 1))
	[ $i -lt 50 ] || { bad "nginx serves the log"; cat ngx/error.log; exit 1; }
	sleep 0.1
done
ok "nginx serves the log at $URL"

mon() { inmon "$R" log monitor --vkey-file log.vkey --state st "$@" >out 2>err; }
mon --once "$URL"
check "first pass by URL: exit 3" [ $? -eq 3 ]
check "three entries printed" [ "$(wc -l <out)" -eq 3 ]
check "entry 0 is RC-WEB-1" grep -q '^0 notice RC-WEB-1 ' out
check "state is the served checkpoint" cmp -s st srv/L/checkpoint
check "partial tiles asked for by name" grep -q 'GET /log/tile/0/000.p/3 ' ngx/access.log
mon --once "$URL"
check "second pass: nothing new, exit 0" [ $? -eq 0 ]
check "second pass printed nothing" [ ! -s out ]

# Following while entries are appended.
# (ip netns exec itself, not a shell function, so that $! is the monitor)
ip netns exec "$MON" "$R" log monitor --vkey-file log.vkey --state st --interval 1s --json "$URL" >fout 2>ferr &
FOLLOW=$!
append srv/L n4.notice n5.notice
append srv/L n6.notice
i=0
until cmp -s st srv/L/checkpoint; do
	i=$((i + 1))
	[ $i -lt 100 ] || break
	sleep 0.2
done
kill -TERM "$FOLLOW"
wait "$FOLLOW"
rc=$?
FOLLOW=''
check "follower stopped by SIGTERM: exit 3 (entries printed)" [ $rc -eq 3 ]
check "follower printed entries 3, 4, 5 once each as JSON" [ "$(python3 -c '
import json, sys
print(" ".join(str(json.loads(l)["index"]) for l in open(sys.argv[1])))' fout)" = "3 4 5" ]
check "follower's state is the new checkpoint" cmp -s st srv/L/checkpoint
cp st st6

# The server shows a fork: the same key, other entries.
"$R" log create --origin example.org/web --key logkey.key srv/F >/dev/null
append srv/F n1.notice n2.notice n4.notice n3.notice n5.notice n6.notice n1.notice
chmod -R a+rX srv
ln -sfn F srv/log
mon --once "$URL"
check "fork served: exit 4" [ $? -eq 4 ]
check "fork named" grep -q "is not an extension of the one of size 6" err
check "state unchanged" cmp -s st st6
check "evidence: both checkpoints" sh -c 'cmp -s st.conflict-*.old st6 && cmp -s st.conflict-*.new srv/F/checkpoint'
rm -f st.conflict-*

# The genuine log with a damaged tile, an oversized tile, an oversized checkpoint.
ln -sfn L srv/log
cp srv/L/tile/0/000.p/6 tile.bak
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[5] ^= 1; open(sys.argv[1], "wb").write(b)' srv/L/tile/0/000.p/6
mon --once "$URL"
check "damaged tile served: exit 4" [ $? -eq 4 ]
check "state unchanged (damaged tile)" cmp -s st st6
head -c 100000 /dev/zero >srv/L/tile/0/000.p/6
mon --once "$URL"
check "oversized tile refused: exit 4" [ $? -eq 4 ]
check "oversized tile named" grep -q "000.p/6: more than the 8192 bytes" err
cp tile.bak srv/L/tile/0/000.p/6
mon --once "$URL"
check "genuine log again: exit 0" [ $? -eq 0 ]
mkdir srv/big
head -c 1000000 /dev/zero >srv/big/checkpoint
chmod -R a+rX srv
mon --once http://10.77.11.1:8080/big
check "1 MB checkpoint refused: exit 4" [ $? -eq 4 ]
check "oversized checkpoint named" grep -q "big/checkpoint: more than 65536 bytes" err
rm -f st.conflict-*
mon --once http://10.77.11.1:8080/nothing
check "no log there (404): exit 1" [ $? -eq 1 ]
check "404 named" grep -q "nothing/checkpoint: not found" err
mon --once --timeout 2 http://10.77.11.1:8081/log
check "nothing listening: exit 1" [ $? -eq 1 ]
# A server that trickles (20 bytes/s): the pass ends at --pass-timeout, an I/O error.
inmon "$R" log monitor --vkey-file log.vkey --pass-timeout 1s http://10.77.11.1:8082/log >out 2>err
check "trickling server: exit 1 after --pass-timeout" [ $? -eq 1 ]
check "trickling server: the transfer timed out" grep -q "checkpoint: .*[Tt]imed out" err
check "state unchanged after all that" cmp -s st st6
check "no evidence for I/O errors" sh -c '! ls st.conflict-* >/dev/null 2>&1'

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
