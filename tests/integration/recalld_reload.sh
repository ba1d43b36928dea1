#!/bin/sh
# 100 feed reloads under load, with bad feeds in between: zero lost or wrong answers, every
# good feed taken (serial gauge), every bad one refused and counted by reason, and the notices
# in recalled answers always verify. Bounded: 100 reloads; the probes run until the reloads
# are done (SIGUSR1), at most 240 s.
. "${RECALL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/helpers/probe/recalld_lib.sh"

BASE=1000
"$PROBE" fixture "$T" -s $BASE -n 50 || fail "fixture"
write_conf "ratelimit = no"
start_recalld

wait_metric_ge() {
	_w=0
	while [ "$(metric "$1" "${3:-}")" -lt "$2" ]; do
		_w=$((_w + 1))
		[ $_w -lt 500 ] || fail "$1 ${3:-} stays below $2"
		sleep 0.02
	done
}

DUR=240
$PROBE send -p $PORT -d $DUR -S 4 -w 16 -m cam-1 -f 9.9.9 -x clear -r $BASE >"$T/clear.out" &
P1=$!
$PROBE send -6 -p $PORT -d $DUR -S 2 -w 16 -m cam-2 -f 1.2.3 -x recalled -A "$T/anchors" \
	>"$T/recalled.out" &
P2=$!
start=$(date +%s)
bad="sig truncate wrongkey notice anchors expired older sig truncate wrongkey"
i=1
nbad=0
while [ $i -le 100 ]; do
	serial=$((BASE + i))
	if [ $((i % 10)) -eq 0 ]; then
		kind=$(echo "$bad" | cut -d' ' -f$((i / 10)))
		case $kind in
		expired) "$PROBE" fixture "$T" -s $serial -n 50 -x -1 ;;
		older) "$PROBE" fixture "$T" -s $((serial - 5)) -n 50 ;;
		*) "$PROBE" fixture "$T" -s $serial -n 50 -C "$kind" ;;
		esac
		nbad=$((nbad + 1))
		before=$(metric recalld_feed_reloads_total)
		kill -HUP "$RD_PID"
		wait_metric_ge recalld_feed_reloads_total $((before + 1))
		[ "$(metric recalld_feed_serial)" -eq $((serial - 1)) ] || fail "bad feed ($kind) taken"
	fi
	"$PROBE" fixture "$T" -s $serial -n 50 || fail "fixture"
	kill -HUP "$RD_PID"
	wait_metric_ge recalld_feed_serial $serial
	i=$((i + 1))
done
end=$(date +%s)
[ $((end - start)) -lt $((DUR - 2)) ] || fail "reloads took $((end - start)) s: not all under load"
kill -0 $P1 && kill -0 $P2 || fail "a probe ended before the reloads did"
kill -USR1 $P1 $P2
rc1=0
rc2=0
wait $P1 || rc1=$?
wait $P2 || rc2=$?
echo "clear:    $(cat "$T/clear.out")"
echo "recalled: $(cat "$T/recalled.out")"
[ $rc1 -eq 0 ] || fail "clear probe: $(cat "$T/clear.out")"
[ $rc2 -eq 0 ] || fail "recalled probe: $(cat "$T/recalled.out")"
out=$(cat "$T/clear.out")
[ "$(field serial_max "$out")" -eq $((BASE + 100)) ] || fail "last serial not served: $out"
[ "$(field sent "$out")" -ge 1000 ] || fail "too little load: $out"
echo "$((end - start)) s of reloads"
[ "$(field recalled "$(cat "$T/recalled.out")")" -ge 1000 ] || fail "too little load (recalled)"
ok=$(metric recalld_feed_reloads_total 'result="ok"')
failed=$(($(metric recalld_feed_reloads_total) - ok))
[ "$ok" -ge 101 ] || fail "only $ok good reloads"
[ "$failed" -ge $nbad ] || fail "only $failed failed reloads counted, $nbad bad feeds"
for r in signature format notice anchors expired stale; do
	[ "$(metric recalld_feed_reloads_total "result=\"$r\"")" -ge 1 ] || fail "no $r failure"
done
[ "$(grep -c 'failed' "$T/log")" -ge $nbad ] || fail "failures not logged"
stop_recalld
echo "recalld_reload: ok ($ok good and $failed refused reloads under load)"
