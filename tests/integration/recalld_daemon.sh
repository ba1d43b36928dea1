#!/bin/sh
# recalld as a daemon: background start that reports startup errors through the exit status,
# pid file, refusal to share its port with a second instance, and (as root) privileges dropped
# after binding: user nobody inside a chroot, still answering and reloading its feed.
. "${RECALL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/helpers/probe/recalld_lib.sh"

"$PROBE" fixture "$T" -s 8 -n 3 || fail "fixture"
write_conf "pid-file = $T/recalld.pid" "log = stderr"
# background start: the parent exits 0 once the daemon is ready
"$RECALLD" -c "$T/recalld.conf" >"$T/log" 2>&1 || fail "background start"
[ -s "$T/recalld.pid" ] || fail "no pid file"
RD_PID=$(cat "$T/recalld.pid")
kill -0 "$RD_PID" || fail "daemon not running"
$PROBE send -p $PORT -n 10 -x clear >"$T/out" || fail "answers: $(cat "$T/out")"
# a second instance on the same port fails at start, in the background too
rc=0
"$RECALLD" -c "$T/recalld.conf" >"$T/log2" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "second instance: status $rc"
rc=0
"$RECALLD" -f -c "$T/recalld.conf" >"$T/log2" 2>&1 || rc=$?
[ $rc -eq 1 ] && grep -q "is another recalld running" "$T/log2" || fail "second instance: $(cat "$T/log2")"
kill -TERM "$RD_PID"
_w=0
while kill -0 "$RD_PID" 2>/dev/null; do
	_w=$((_w + 1))
	[ $_w -lt 100 ] || fail "daemon did not stop"
	sleep 0.05
done
RD_PID=
[ ! -e "$T/recalld.pid" ] || fail "pid file left behind"

if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
	echo "recalld_daemon: ok (privilege drop part skipped: needs root and user nobody)"
	exit 0
fi
# privilege drop: chroot with the files inside, user nobody
R="$T/root"
mkdir -p "$R/var/lib/recalld" "$R/var/log"
"$PROBE" fixture "$R/var/lib/recalld" -s 20 -n 3 || fail "fixture"
chown nobody "$R/var/log"
chmod 755 "$T"
write_conf "user = nobody" "chroot = $R"
# LeakSanitizer (ASan builds) needs /proc, which a chroot hides: no leak check for this one
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
export ASAN_OPTIONS
sed -i -e "s|^feed = .*|feed = $R/var/lib/recalld/feed|" \
	-e "s|^feed-key = .*|feed-key = $R/var/lib/recalld/feed.pub|" \
	-e "s|^anchors = .*|anchors = $R/var/lib/recalld/anchors|" \
	-e "s|^event-log = .*|event-log = $R/var/log/events.jsonl|" "$T/recalld.conf"
start_recalld
uid=$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$RD_PID/status")
nobody=$(id -u nobody)
[ "$uid" = "$nobody$nobody$nobody$nobody" ] || fail "uids $uid, expected $nobody"
[ "$(readlink "/proc/$RD_PID/root")" = "$R" ] || fail "not chrooted"
grep -q "running as nobody" "$T/log" || fail "no log line for the drop"
$PROBE send -p $PORT -n 10 -m cam-1 -f 1.2.3 -x recalled >"$T/out" || fail "$(cat "$T/out")"
# a new feed inside the chroot is picked up; the configuration outside it cannot be re-read
"$PROBE" fixture "$R/var/lib/recalld" -s 21 -n 3 || fail "fixture"
kill -HUP "$RD_PID"
wait_metric recalld_feed_serial 21
grep -q "outside the chroot; reloading the feed only" "$T/log" || fail "chroot reload message"
sleep 0.2
[ "$(wc -l <"$R/var/log/events.jsonl")" -eq 10 ] || fail "event log in the chroot"
grep -q "event-log.*Permission denied" "$T/log" && fail "event log not reopened after SIGHUP"
[ "$(stat -c %U "$R/var/log/events.jsonl")" = nobody ] || fail "event log not handed to nobody"
stop_recalld
echo "recalld_daemon: ok"
