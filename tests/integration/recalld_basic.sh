#!/bin/sh
# recalld end to end on loopback: -t, every answer kind over IPv4 and IPv6, the invariants
# (no answer larger than its request, nonce echoed, bad datagrams dropped and counted), the
# event log, policy after SIGHUP, rate limiting, feed change detection, clean SIGTERM stop.
. "${RECALL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/helpers/probe/recalld_lib.sh"

"$PROBE" fixture "$T" -s 5 -n 3 -E 2 -R || fail "fixture"

# -t: good configuration, then errors with file:line, exit status 1
write_conf "rotation = $T/rot-0" "rotation = $T/rot-1" "ratelimit = no"
"$RECALLD" -t -c "$T/recalld.conf" >"$T/t.out" 2>&1 || fail "-t on a good configuration"
grep -q "configuration OK; feed serial 5 with 3 notices" "$T/t.out" || fail "-t output"
printf 'port = 7412\nbogus = 1\n' >"$T/bad.conf"
rc=0
"$RECALLD" -t -c "$T/bad.conf" >"$T/t.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "-t on a bad configuration: status $rc"
grep -q "bad.conf:2: unknown key 'bogus'" "$T/t.out" || fail "-t error text: $(cat "$T/t.out")"
mkdir "$T/x" && "$PROBE" fixture "$T/x" -s 5 -E 2 -x -10 || fail "fixture"
sed "s|^feed = .*|feed = $T/x/feed|" "$T/recalld.conf" >"$T/expired.conf"
rc=0
"$RECALLD" -t -c "$T/expired.conf" >"$T/t.out" 2>&1 || rc=$?
[ $rc -eq 1 ] && grep -q "expired" "$T/t.out" || fail "-t accepted an expired feed"

start_recalld
P="$PROBE send -p $PORT -E 2"
for fam in "" "-6"; do
	$P $fam -n 200 -m cam-1 -f 9.9.9 -x clear >"$T/out" || fail "clear $fam: $(cat "$T/out")"
	$P $fam -n 50 -m cam-1 -f 1.2.3 -x recalled -A "$T/anchors" >"$T/out" ||
		fail "recalled $fam: $(cat "$T/out")"
	$P $fam -n 20 -k version -x unsupported >"$T/out" || fail "unsupported $fam: $(cat "$T/out")"
done
$PROBE send -p $PORT -E 0 -n 10 -x rotate >"$T/out" || fail "rotate: $(cat "$T/out")"
$PROBE send -p $PORT -E 1 -n 10 -x rotate >"$T/out" || fail "rotate: $(cat "$T/out")"
for k in short oversized garbage empty; do
	$P -k $k -n 25 -x none -t 300 >"$T/out" || fail "$k got answers: $(cat "$T/out")"
done
[ "$(metric 'recalld_drops_total{')" -ge 100 ] || fail "drops not counted"
for r in short oversized malformed; do
	n=$(metric recalld_drops_total "reason=\"$r\"")
	[ "$n" -ge 25 ] || fail "drops reason=$r: $n"
done
[ "$(metric 'recalld_requests_total')" -ge 660 ] || fail "requests_total"

# event log: one JSON object per recalled hit, with the fields operators need
sleep 0.2
n=$(wc -l <"$T/events.jsonl")
[ "$n" -eq 100 ] || fail "event log has $n lines, expected 100"
python3 - "$T/events.jsonl" <<'EOF' || fail "event log content"
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert e["action"] == "recalled" and e["notice"] == "RC-TEST-1", e
    assert e["vendor"] == "acme" and e["model"] == "cam-1" and e["fwver"] == "1.2.3", e
    assert e["source"] in ("127.0.0.1", "::1") and e["time"].endswith("Z"), e
    assert "sender" not in e, e
    assert 1 <= e["source_port"] <= 65535, e  # behind a CGNAT the address alone is not enough
EOF

# a home gateway's check-in on a device's behalf (PROTOCOL.md 13.1): answered as a device's,
# and its event line says "sender":"gateway"
$P -k gateway -n 5 -m cam-1 -f 1.2.3 -x recalled -A "$T/anchors" >"$T/out" ||
	fail "gateway recalled: $(cat "$T/out")"
$P -k gateway -n 5 -m cam-1 -f 9.9.9 -x clear >"$T/out" || fail "gateway clear: $(cat "$T/out")"
sleep 0.2
[ "$(grep -c '"source":"127.0.0.1","source_port":[0-9]*,"sender":"gateway","vendor":"acme"' "$T/events.jsonl")" -eq 5 ] ||
	fail "gateway events: $(tail -n 2 "$T/events.jsonl")"
[ "$(grep -c '"sender"' "$T/events.jsonl")" -eq 5 ] || fail "sender on a device's event"

# policy: monitor everything, exempt nothing -> clear answers and "monitored" events (SIGHUP)
echo "default-action = monitor" >>"$T/recalld.conf"
echo "event-log-prefix4 = 8" >>"$T/recalld.conf"
kill -HUP "$RD_PID"
wait_metric 'recalld_feed_reloads_total{result="ok"}' 2
$P -n 10 -m cam-1 -f 1.2.3 -x clear >"$T/out" || fail "monitor: $(cat "$T/out")"
sleep 0.2
[ "$(grep -c '"action":"monitored"' "$T/events.jsonl")" -eq 10 ] || fail "monitored events"
grep -q '"source":"127.0.0.0","source_prefix":8' "$T/events.jsonl" || fail "truncated source"
[ "$(grep -c '"source_prefix":8,"source_port"' "$T/events.jsonl")" -eq 0 ] || fail "port with a prefix"

# a bad configuration on SIGHUP keeps the running one
echo "nonsense" >>"$T/recalld.conf"
kill -HUP "$RD_PID"
wait_metric 'recalld_feed_reloads_total{result="config"}' 1
$P -n 10 -m cam-1 -f 1.2.3 -x clear >"$T/out" || fail "after bad config: $(cat "$T/out")"
sed -i '$d' "$T/recalld.conf"

# the feed file changes: picked up without a signal (stat at most once a second)
"$PROBE" fixture "$T" -s 6 -n 3 -E 2 -R || fail "fixture"
wait_metric 'recalld_feed_serial' 6
$P -n 10 -m cam-1 -f 9.9.9 -x clear -r 6 >"$T/out" || fail "serial 6: $(cat "$T/out")"
# and an older one is refused, logged and counted
"$PROBE" fixture "$T" -s 4 -n 3 -E 2 -R || fail "fixture"
wait_metric 'recalld_feed_reloads_total{result="stale"}' 1
grep -q "serial 4 is not above the serial 6 held; still serving feed serial 6" "$T/log" ||
	fail "stale feed not logged"
$P -n 10 -m cam-1 -f 9.9.9 -x clear -r 6 >"$T/out" || fail "after stale: $(cat "$T/out")"
"$PROBE" fixture "$T" -s 7 -n 3 -E 2 -R || fail "fixture"
wait_metric 'recalld_feed_serial' 7
stop_recalld

# rate limiting: 20 per second per /24, burst 20; the excess gets retry-later (never larger)
WORKERS=1 write_conf "ratelimit-rate = 20" "ratelimit-burst = 20"
start_recalld
out=$($PROBE send -p $PORT -E 7 -n 300 -w 64 -x clear,retry) || fail "ratelimit: $out"
[ "$(field retry "$out")" -ge 200 ] || fail "too few retry-later: $out"
[ "$(field clear "$out")" -le 40 ] || fail "too many clear: $out"
[ "$(metric recalld_rate_limited_total 'outcome="retry_later"')" -ge 200 ] ||
	fail "rate-limited not counted"
stop_recalld
write_conf "ratelimit-rate = 20" "ratelimit-burst = 20" "ratelimit-action = drop"
start_recalld
out=$($PROBE send -p $PORT -E 7 -n 300 -w 64 -t 300 -x clear) && fail "drop: all answered"
[ "$(field lost "$out")" -ge 200 ] || fail "drop action: $out"
[ "$(field wrong "$out")" -eq 0 ] && [ "$(field bigger "$out")" -eq 0 ] || fail "drop: $out"
[ "$(metric recalld_drops_total 'reason="rate_limited"')" -ge 200 ] ||
	fail "rate-limited drops not counted"
stop_recalld
# wildcard sockets answer from the address each check-in was sent to (IP_PKTINFO): the
# probe's socket is connected to 127.0.0.2 and only accepts answers from there
write_conf "ratelimit = no"
sed -i 's/^listen = .*/listen = 0.0.0.0 ::/' "$T/recalld.conf"
start_recalld
$PROBE send -a 127.0.0.2 -p $PORT -E 7 -n 50 -x clear >"$T/out" || fail "wildcard v4: $(cat "$T/out")"
$PROBE send -6 -p $PORT -E 7 -n 50 -x clear >"$T/out" || fail "wildcard v6: $(cat "$T/out")"
stop_recalld
echo "recalld_basic: ok"
