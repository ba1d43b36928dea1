#!/bin/sh
# The files recalld opens. Files it reads (feed, feed-key, anchors, configuration): a FIFO at
# the path fails fast with a clear error at start and on reload (the old feed kept and the
# failure counted), never blocks the main thread. Files it writes while root (event log, pid
# file): a planted symbolic link, hard link, FIFO or another user's file is refused with a
# clear error and a non-zero exit; the victim file keeps its owner and content. On SIGHUP a
# refused event log is logged and the one open before is kept. Every wait is bounded.
. "${RECALL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/helpers/probe/recalld_lib.sh"

"$PROBE" fixture "$T" -s 8 -n 3 || fail "fixture"
write_conf "log = stderr"

# expect_refused WHAT PATTERN ARGS...: recalld exits 1 within 5 s with PATTERN in its output.
expect_refused() {
	_what=$1
	_pat=$2
	shift 2
	rc=0
	timeout 5 "$RECALLD" "$@" >"$T/out" 2>&1 || rc=$?
	[ $rc -eq 1 ] || fail "$_what: exit status $rc (124: blocked), expected 1: $(cat "$T/out")"
	grep -q -- "$_pat" "$T/out" || fail "$_what: no '$_pat' in: $(cat "$T/out")"
}

# --- files read: a FIFO never blocks -------------------------------------------------------
for f in feed feed.pub anchors; do
	mv "$T/$f" "$T/$f.real"
	mkfifo "$T/$f"
	expect_refused "FIFO at $f (-t)" "$T/$f: not a regular file" -t -c "$T/recalld.conf"
	expect_refused "FIFO at $f (start)" "$T/$f: not a regular file" -f -c "$T/recalld.conf"
	rm "$T/$f"
	mv "$T/$f.real" "$T/$f"
done
mkfifo "$T/fifo.conf"
expect_refused "FIFO as the configuration" "fifo.conf: not a regular file" -t -c "$T/fifo.conf"
# a symbolic link to a good feed is fine (published through a link)
mv "$T/feed" "$T/feed.8"
ln -s "$T/feed.8" "$T/feed"
timeout 5 "$RECALLD" -t -c "$T/recalld.conf" >"$T/out" 2>&1 || fail "feed via a link: $(cat "$T/out")"

# reload: a FIFO replaces the feed; SIGHUP and the feed poll fail fast, serial 8 stays served
start_recalld
rm "$T/feed"
mkfifo "$T/feed"
kill -HUP "$RD_PID"
wait_metric 'recalld_feed_reloads_total{result="io"}' 1
grep -q "reload (SIGHUP) failed, io: feed $T/feed: not a regular file" "$T/log" ||
	fail "no reload failure logged"
[ "$(metric recalld_feed_serial)" -eq 8 ] || fail "feed serial changed"
$PROBE send -p "$PORT" -n 10 -x clear -r 8 >"$T/out" || fail "answers after the FIFO: $(cat "$T/out")"
# the main thread is not stuck: a second SIGHUP is acted on (counted) within 5 s
kill -HUP "$RD_PID"
wait_metric 'recalld_feed_reloads_total{result="io"}' 2
rm "$T/feed"
"$PROBE" fixture "$T" -s 9 -n 3 || fail "fixture"
kill -HUP "$RD_PID"
wait_metric recalld_feed_serial 9
stop_recalld

if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
	echo "recalld_files: ok (files written as root skipped: needs root and user nobody)"
	exit 0
fi
# --- files written as root: nothing planted by the run user is followed or given away ------
chmod 755 "$T"
L="$T/logdir"
mkdir "$L"
chown nobody "$L" # the run user's own directory, as /var/log/recalld would be
printf 'root secret\n' >"$T/victim"
chmod 600 "$T/victim"
victim_ok() {
	[ "$(stat -c '%U %a %h' "$T/victim")" = "root 600 1" ] ||
		fail "$1: victim is now $(stat -c '%U %a %h' "$T/victim")"
	[ "$(cat "$T/victim")" = "root secret" ] || fail "$1: victim content changed"
}
write_conf "log = stderr" "user = nobody" "pid-file = $L/recalld.pid"
sed -i "s|^event-log = .*|event-log = $L/events.jsonl|" "$T/recalld.conf"
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" # fatal exits
export ASAN_OPTIONS

# event log: symbolic link (also a dangling one), hard link, FIFO, another user's file
su nobody -s /bin/sh -c "ln -s '$T/victim' '$L/events.jsonl'" || fail "plant symlink"
expect_refused "event log symlink" "event-log $L/events.jsonl: is a symbolic link" -f -c "$T/recalld.conf"
victim_ok "event log symlink"
rm "$L/events.jsonl"
su nobody -s /bin/sh -c "ln -s '$T/nonexistent' '$L/events.jsonl'" || fail "plant symlink"
expect_refused "event log dangling symlink" "is a symbolic link" -f -c "$T/recalld.conf"
[ ! -e "$T/nonexistent" ] || fail "a dangling link's target was created"
rm "$L/events.jsonl"
ln "$T/victim" "$L/events.jsonl" # (protected_hardlinks stops nobody; the check must not rely on it)
expect_refused "event log hard link" "more than one hard link" -f -c "$T/recalld.conf"
rm "$L/events.jsonl"
victim_ok "event log hard link"
mkfifo "$L/events.jsonl"
expect_refused "event log FIFO" "event-log $L/events.jsonl: not a regular file" -f -c "$T/recalld.conf"
rm "$L/events.jsonl"
touch "$L/events.jsonl"
chown 4242 "$L/events.jsonl"
expect_refused "event log of another user" "owned by uid 4242, neither root nor nobody" -f -c "$T/recalld.conf"
rm "$L/events.jsonl"

# pid file: symbolic link, hard link (not truncated)
ln -s "$T/victim" "$L/recalld.pid"
expect_refused "pid file symlink" "pid-file $L/recalld.pid: is a symbolic link" -f -c "$T/recalld.conf"
rm "$L/recalld.pid"
ln "$T/victim" "$L/recalld.pid"
expect_refused "pid file hard link" "pid-file $L/recalld.pid: has more than one hard link" -f -c "$T/recalld.conf"
rm "$L/recalld.pid"
victim_ok "pid file"
[ ! -e "$L/recalld.pid" ] || fail "pid file left behind"
rm "$L/events.jsonl"

# a clean start: the event log is created 0640 and handed to nobody
start_recalld
[ "$(stat -c '%U %a' "$L/events.jsonl")" = "nobody 640" ] ||
	fail "event log is $(stat -c '%U %a' "$L/events.jsonl")"
$PROBE send -p "$PORT" -n 3 -m cam-1 -f 1.2.3 -x recalled >"$T/out" || fail "$(cat "$T/out")"
# rotation to a planted link: SIGHUP refuses it, logs, keeps writing to the file open before
su nobody -s /bin/sh -c "mv '$L/events.jsonl' '$L/events.jsonl.1' && ln -s '$T/victim' '$L/events.jsonl'" ||
	fail "plant symlink after rotation"
kill -HUP "$RD_PID"
wait_metric 'recalld_feed_reloads_total{result="ok"}' 2
_w=0
until grep -q "event-log $L/events.jsonl: is a symbolic link.*; still writing to the event log open before" "$T/log"; do
	_w=$((_w + 1))
	[ $_w -lt 100 ] || fail "no log line for the refused reopen"
	sleep 0.05
done
$PROBE send -p "$PORT" -n 2 -m cam-1 -f 1.2.3 -x recalled >"$T/out" || fail "$(cat "$T/out")"
wait_metric recalld_events_written_total 5
[ "$(wc -l <"$L/events.jsonl.1")" -eq 5 ] || fail "events not in the old log"
victim_ok "SIGHUP"
stop_recalld
victim_ok "end"
echo "recalld_files: ok"
