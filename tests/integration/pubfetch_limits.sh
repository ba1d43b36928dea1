#!/bin/sh
# The publication transport (common/pubfetch.c) against a misbehaving mirror on loopback
# (tests/helpers/pubget/mirror_server.py) and a directory mirror: a file over its size is
# refused and an endless body is cut as soon as it goes beyond (the server could send only a
# small part of its 64 MiB), a trickling body is cut by the low-speed limit, a redirect to
# another scheme is not followed (one to the same scheme is), 404 is "not found", 500 an error;
# the bytes of one sync are bounded; the top file's second read is conditional (If-None-Match)
# and a 304 is "not modified". A directory mirror: missing, oversized, FIFO and "../" names.
# No timing in pass/fail; bounded: the slow case ends in about 2 s (low-speed limit).
set -eu
B=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
G=$B/responder/recall-pubget
T=$(mktemp -d /tmp/pubfetch-limits.XXXXXX)
SRV=
cleanup() {
	[ -z "$SRV" ] || kill "$SRV" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
python3 "$SRC/tests/helpers/pubget/mirror_server.py" "$T/port" "$T/srv.log" &
SRV=$!
i=0
while [ ! -s "$T/port" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "mirror server did not start"
	sleep 0.05
done
U=http://127.0.0.1:$(cat "$T/port")/pub
expect() { # expect WANT OUTPUT-LINE
	case "$2" in "$1"*) ;; *) fail "wanted '$1', got '$2'" ;; esac
}
o=$("$G" "$U" small 4096 big 65536 missing 100 error 100)
expect "small ok 2000" "$(echo "$o" | sed -n 1p)"
expect "big toobig" "$(echo "$o" | sed -n 2p)"
expect "missing notfound" "$(echo "$o" | sed -n 3p)"
expect "error error $U/error: HTTP status 500" "$(echo "$o" | sed -n 4p)"
o=$("$G" "$U" endless 65536)
expect "endless toobig" "$o"
i=0
until grep -q "^endless sent" "$T/srv.log"; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "the server never saw the endless transfer end"
	sleep 0.05
done
sent=$(awk '/^endless sent/ {print $3}' "$T/srv.log")
[ "$sent" -lt $((16 << 20)) ] || fail "endless body not cut: the server sent $sent bytes"
o=$("$G" -l 100/2 "$U" slow 200000 | head -n 1)
expect "slow error $U/slow: Operation too slow" "$o"
o=$("$G" "$U" redir-http 4096 redir-https 4096)
expect "redir-http ok 2000" "$(echo "$o" | sed -n 1p)"
expect "redir-https error" "$(echo "$o" | sed -n 2p)"
echo "$o" | sed -n 2p | grep -qi "protocol" || fail "https redirect: $(echo "$o" | sed -n 2p)"
o=$("$G" -b 3000 "$U" small 4096 small 4096)
expect "small ok 2000" "$(echo "$o" | sed -n 1p)"
expect "small error $U/small: over the 3000 bytes one sync may read" "$(echo "$o" | sed -n 2p)"
o=$("$G" "$U" recall-publication 65536 recall-publication 65536)
expect "recall-publication ok 900" "$(echo "$o" | sed -n 1p)"
expect "recall-publication notmodified" "$(echo "$o" | sed -n 2p)"
expect "bytes 900 requests 2" "$(echo "$o" | sed -n 3p)"
grep -q '^/pub/recall-publication "rc-1"$' "$T/srv.log" || fail "no conditional request"

# A directory mirror, plain and as file://.
mkdir -p "$T/d/log"
head -c 500 /dev/zero >"$T/d/recall-publication"
head -c 9000 /dev/zero >"$T/d/log/big"
mkfifo "$T/d/log/fifo"
o=$("$G" "$T/d" recall-publication 1000 log/big 8192 log/none 10 log/fifo 10 ../d/x 10)
expect "recall-publication ok 500" "$(echo "$o" | sed -n 1p)"
expect "log/big toobig" "$(echo "$o" | sed -n 2p)"
expect "log/none notfound" "$(echo "$o" | sed -n 3p)"
expect "log/fifo error $T/d/log/fifo: not a regular file" "$(echo "$o" | sed -n 4p)"
expect "../d/x error $T/d: refused file name" "$(echo "$o" | sed -n 5p)"
o=$("$G" "file://$T/d" recall-publication 1000)
expect "recall-publication ok 500" "$o"
"$G" "ftp://x/" a 1 >/dev/null 2>"$T/err" && fail "ftp:// accepted"
grep -q "not an http://, https:// or file:///PATH URL" "$T/err" || fail "ftp: $(cat "$T/err")"
echo "pubfetch_limits: ok"
