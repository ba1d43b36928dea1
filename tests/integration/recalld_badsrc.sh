#!/bin/sh
# Datagrams from sources that are no place to answer to (multicast, limited broadcast, 0.0.0.0/8,
# 240.0.0.0/4, ::, IPv4-mapped IPv6, port 0) are dropped and counted before any decoding, with a
# rate-limited log line; nothing is sent back. Real datagrams with forged sources on loopback
# through a raw socket (root; skipped otherwise). (The kernel itself drops IPv6 multicast
# sources, and fills in a 0.0.0.0 source of a raw IPv4 packet: those are left to unit tests.)
. "${RECALL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/helpers/probe/recalld_lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "recalld_badsrc: skipped (raw sockets need root)"
	exit 0
fi
"$PROBE" fixture "$T" -s 8 -n 3 || fail "fixture"
write_conf "log = stderr"
start_recalld
N=5
bad=0
for s in 224.0.0.1 239.255.255.250 255.255.255.255 0.1.2.3 240.0.0.1 :: ::ffff:224.0.0.1 \
	::ffff:255.255.255.255 ::ffff:127.0.0.1; do
	"$PROBE" raw -p "$PORT" -s "$s" -n $N || fail "raw send from $s"
	bad=$((bad + N))
done
for s in 127.0.0.1 ::1; do
	"$PROBE" raw -p "$PORT" -s "$s" -P 0 -n $N || fail "raw send from $s port 0"
	bad=$((bad + N))
done
_w=0
while [ "$(metric recalld_drops_total 'reason="bad_source"')" -lt $bad ]; do
	_w=$((_w + 1))
	[ $_w -lt 100 ] || fail "bad_source drops: $(metric recalld_drops_total 'reason="bad_source"') of $bad"
	sleep 0.05
done
# the same check-ins from good sources are answered: the raw path itself works
"$PROBE" raw -p "$PORT" -s 127.0.0.1 -n 2 || fail "raw send from 127.0.0.1"
"$PROBE" raw -p "$PORT" -s ::1 -n 2 || fail "raw send from ::1"
wait_metric recalld_answers_total 4
[ "$(metric recalld_drops_total 'reason="bad_source"')" -eq $bad ] || fail "bad_source drops"
[ "$(metric recalld_requests_total)" -eq $((bad + 4)) ] || fail "requests $(metric recalld_requests_total)"
[ "$(metric recalld_drops_total)" -eq $bad ] || fail "other drops counted"
[ "$(metric recalld_checkin_cache_total)" -eq 4 ] || fail "bad sources were looked at"
grep -q "dropped a datagram from 224.0.0.1 port 40000: multicast source address" "$T/log" ||
	fail "no log line"
lines=$(grep -c "dropped a datagram" "$T/log")
[ "$lines" -le 6 ] || fail "$lines log lines for $bad bad datagrams: not rate limited"
stop_recalld
echo "recalld_badsrc: ok ($bad datagrams from bad sources dropped and counted, $lines log lines)"
