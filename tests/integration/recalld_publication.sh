#!/bin/sh
# recalld fetching a publication (publication = ...; recalld.conf(5) PUBLICATION) from
# directory and file:// mirrors, written by `recalld-probe publish` (common/pubdir.c and
# rc_pub_build, as `recall publish`) over a log made by `recall log` and cosigned by 2 of 3
# witnesses:
#  0. configurations that mix publication with feed, transparency-log or rotation, or name a
#     mirror it cannot read, are refused by recalld -t naming the key;
#  1. an empty cache: recalld waits (/health 503; systemd told why and given more time), then
#     serves the first publication;
#  2. a new notice published: served after one poll, with its proof;
#  3. a restart with no mirror reachable: the verified cache is served at once;
#  4. a tampered, a stale and a rolled-back mirror before the good one: each refused and
#     counted by verdict, the good one used, service continues;
#  5. REFRESHES (default 20) new publications while two probes send check-ins without pause:
#     no answer lost or wrong (no timing in pass/fail); then a frozen first mirror (it serves
#     the publication held unchanged) does not hold back a newer one on a later mirror;
#  6. every metric named by packaging/grafana/recall-dashboard.json exists in the scrape;
#  7. the fetcher killed: logged, counted, restarted, the next publication still served.
# Bounded: every wait is at most 10 s (30 s for 5b), the probes end with the refreshes (at
# most 600 s).
. "${RECALL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/helpers/probe/recalld_lib.sh"
SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
RT=$B/tools/recall
REFRESHES=${REFRESHES:-20}
cd "$T"
ORIGIN=example.org/recall-log
"$RT" keygen logkey >/dev/null 2>&1 || fail "keygen"
"$PROBE" fixture "$T" -n 6 -L logkey.pub -O $ORIGIN -W 3 -Q 2 || fail "fixture"
"$RT" log create --origin $ORIGIN --key logkey.key tlog >/dev/null || fail "log create"
append() {
	"$RT" log append --key logkey.key --anchors anchors tlog "$@" >/dev/null || fail "append"
	"$PROBE" cosign tlog/checkpoint -w 0 -w 1 || fail "cosign"
}
publish() { # publish DIR SERIAL [options] NOTICE...: DIR as a mirror of the current log
	_d=$1 _s=$2
	shift 2
	"$PROBE" publish -c tlog/checkpoint -A anchors -s "$_s" "$_d" "$@" || fail "publish $_d"
}
wait_ge() { # wait_ge NAME VALUE [LABEL]: until the metric is at least VALUE (10 s)
	_w=0
	while [ "$(metric "$1" "${3:-}")" -lt "$2" ]; do
		_w=$((_w + 1))
		[ $_w -lt 200 ] || fail "$1 ${3:-} is $(metric "$1" "${3:-}"), expected >= $2"
		sleep 0.05
	done
}
fetched() { # fetched MIRROR VERDICT: the counter
	metric recalld_publication_fetch_total "mirror=\"$1\",verdict=\"$2\""
}
conf() { # conf MIRROR...: recalld.conf with these mirrors (poll every second)
	write_conf "state-dir = $T/state" "ratelimit = no" "publication-poll = 1s"
	sed -i '/^feed = /d' recalld.conf
	for _m in "$@"; do echo "publication = $_m" >>recalld.conf; done
}
stop() { # stop recalld; nothing a sanitizer said in any of its processes
	stop_recalld
	! grep -q "Sanitizer\|runtime error" log || fail "sanitizer: $(grep -m1 -A5 Sanitizer log)"
}
recalled() { # recalled MODEL: a check-in of MODEL 1.2.3 is answered recalled
	_o=$("$PROBE" send -p "$PORT" -m "$1" -f 1.2.3 -x recalled -A anchors -n 2) ||
		fail "$1 not recalled: $_o"
}
mkdir state
append n1.notice n2.notice n3.notice
mkdir empty
conf "$T/empty" "file://$T/good"

# 0. Configurations that cannot work are refused, naming the key.
bad_conf() { # bad_conf EXPECTED LINE...: recalld -t fails and says EXPECTED
	_e=$1
	shift
	cp recalld.conf good.conf
	for _l in "$@"; do echo "$_l" >>recalld.conf; done
	"$RECALLD" -t -c recalld.conf >t.out 2>&1 && fail "accepted: $*"
	grep -q "$_e" t.out || fail "for '$*': $(cat t.out)"
	mv good.conf recalld.conf
}
bad_conf "feed: not with publication" "feed = $T/feed"
bad_conf "transparency-log: not with publication" "transparency-log = $T/tlog"
bad_conf "rotation: not with publication" "rotation = $T/rot-0"
bad_conf "publication: ftp://x/: not an http://, https:// or file:///PATH URL" "publication = ftp://x/"
sed -i "s/^publication-poll = 1s$/publication-poll = 1500ms/" recalld.conf
"$RECALLD" -t -c recalld.conf >t.out 2>&1 && fail "poll of 1500ms accepted"
grep -q "publication-poll: whole seconds" t.out || fail "poll: $(cat t.out)"
sed -i "s/^publication-poll = 1500ms$/publication-poll = 1s/" recalld.conf
sed '/^publication/d' recalld.conf >nopub.conf
"$RECALLD" -t -c nopub.conf >t.out 2>&1 && fail "no feed, no publication accepted"
grep -q "feed: required (or publication)" t.out || fail "no feed: $(cat t.out)"

# 1. An empty cache.
"$RECALLD" -t -c recalld.conf >t.out 2>&1 || fail "recalld -t: $(cat t.out)"
grep -q "publication: nothing verified in $T/state/publication yet" t.out || fail "-t: $(cat t.out)"
python3 - "$T/notify" >notify.log <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
try:
    while True:
        m = s.recv(4096).decode()
        print(m.replace("\n", " "), flush=True)
        if m.startswith("READY=1"):
            break
except OSError:
    pass
PY
NPID=$!
_w=0
while [ ! -S "$T/notify" ]; do
	_w=$((_w + 1))
	[ $_w -lt 100 ] || fail "notify socket"
	sleep 0.05
done
NOTIFY_SOCKET=$T/notify "$RECALLD" -f -c recalld.conf >log 2>&1 &
RD_PID=$!
_w=0
until [ "$(curl -s -o h.json -w '%{http_code}' "http://127.0.0.1:$MPORT/health")" = 503 ]; do
	_w=$((_w + 1))
	[ $_w -lt 200 ] || fail "no 503 while waiting for the first publication"
	sleep 0.05
done
grep -q '"reason":"no feed loaded yet"' h.json || fail "waiting: $(cat h.json)"
publish good 1 n1.notice n2.notice n3.notice
wait_metric recalld_feed_serial 1
wait_ge recalld_publication_fetch_total 1 "mirror=\"file://$T/good\",verdict=\"new\""
grep -q "waiting for the first sync" log || fail "no waiting line"
wait $NPID
# systemd was told why the start takes long, and given more time, before READY=1
grep -q "^STATUS=waiting for the first verified publication EXTEND_TIMEOUT_USEC=30000000" \
	notify.log || fail "notify: $(cat notify.log)"
[ "$(tail -n 1 notify.log)" = READY=1 ] || fail "notify: $(cat notify.log)"
[ "$(fetched "$T/empty" io)" -ge 1 ] || fail "empty mirror not counted as io"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/health")" = 200 ] ||
	fail "health after the first publication"
recalled cam-1
[ "$(metric recalld_log_size)" = 3 ] || fail "log size $(metric recalld_log_size)"
[ "$(stat -c %a state/local-feed.key)" = 600 ] || fail "local key mode"
cp -r good pub1

# 2. A new notice: served after one poll, with its proof.
append n4.notice
publish good 2 n1.notice n2.notice n3.notice n4.notice
wait_metric recalld_feed_serial 2
recalled cam-4
wait_metric recalld_log_size 4
_o=$("$PROBE" send -p "$PORT" -k proof -N n4.notice -A anchors -x proof -n 2) ||
	fail "proof of n4: $_o"
grep -q "reload (new publication verified): feed serial 2 loaded" log || fail "reload line"
stop

# 3. No mirror reachable: the cache is served at once.
conf "$T/nowhere" "http://127.0.0.1:1/pub"
start_recalld
[ "$(metric recalld_feed_serial)" = 2 ] || fail "cache not served at start"
recalled cam-4
wait_ge recalld_publication_fetch_total 1 "mirror=\"http://127.0.0.1:1/pub\",verdict=\"io\""
stop

# 4. Bad mirrors first.
append n5.notice
publish good 3 n1.notice n2.notice n3.notice n4.notice n5.notice
cp -r good tamp
# the new entry altered wherever it is (its own file, the bundle): a notice's byte changed
python3 - tamp/log/entry/* tamp/log/tile/entries/000.p/5 <<'PY'
import sys
for p in sys.argv[1:]:
    b = bytearray(open(p, "rb").read())
    b[-20] ^= 1
    open(p, "wb").write(b)
PY
"$RT" log create --origin $ORIGIN --key logkey.key rlog >/dev/null || fail "rlog"
"$RT" log append --key logkey.key --anchors anchors rlog n1.notice n2.notice >/dev/null || fail "rlog"
"$PROBE" cosign rlog/checkpoint -w 0 -w 1 || fail "cosign rlog"
"$PROBE" publish -c rlog/checkpoint -A anchors -s 9 roll n1.notice n2.notice || fail "roll"
conf "$T/tamp" "$T/pub1" "file://$T/roll" "$T/good"
start_recalld
wait_metric recalld_feed_serial 3
wait_ge recalld_publication_fetch_total 1 "mirror=\"file://$T/roll\",verdict=\"rollback\""
[ "$(fetched "$T/tamp" bad)" -ge 1 ] || fail "tampered mirror: $(fetched "$T/tamp" bad)"
[ "$(fetched "$T/pub1" stale)" -ge 1 ] || fail "stale mirror: $(fetched "$T/pub1" stale)"
[ "$(fetched "$T/good" new)" = 1 ] || fail "good mirror: $(fetched "$T/good" new)"
recalled cam-5
grep -q "publication $T/tamp: bad: " log || fail "no tampered line"
grep -q "publication $T/pub1: stale: " log || fail "no stale line"
rm -rf tamp # unreachable from now on (io)

# 5. Refreshes under load.
$PROBE send -p "$PORT" -d 600 -S 4 -w 16 -m cam-6 -f 9.9.9 -x clear >clear.out &
P1=$!
$PROBE send -6 -p "$PORT" -d 600 -S 2 -w 16 -m cam-1 -f 1.2.3 -x recalled -A anchors \
	>recalled.out &
P2=$!
s=4
while [ $s -lt $((4 + REFRESHES)) ]; do
	publish good $s n1.notice n2.notice n3.notice n4.notice n5.notice
	wait_metric recalld_feed_serial $s
	s=$((s + 1))
done
kill -0 $P1 && kill -0 $P2 || fail "a probe ended before the refreshes did"
kill -USR1 $P1 $P2
rc1=0 rc2=0
wait $P1 || rc1=$?
wait $P2 || rc2=$?
echo "clear:    $(cat clear.out)"
echo "recalled: $(cat recalled.out)"
[ $rc1 -eq 0 ] || fail "clear probe: $(cat clear.out)"
[ $rc2 -eq 0 ] || fail "recalled probe: $(cat recalled.out)"
[ "$(field lost "$(cat clear.out)")" = 0 ] && [ "$(field lost "$(cat recalled.out)")" = 0 ] ||
	fail "answers lost"
[ "$(field sent "$(cat clear.out)")" -ge 1000 ] || fail "too little load"
[ "$(fetched "$T/good" new)" -ge $((REFRESHES + 1)) ] || fail "refreshes not all fetched"

# 5b. A frozen first mirror (it serves the publication held, unchanged, for ever) holds back a
# newer one on a later mirror for at most PUBFETCH_SWEEP (12) polls.
cp -r good tamp
publish good $s n1.notice n2.notice n3.notice n4.notice n5.notice
_w=0
while [ "$(metric recalld_feed_serial)" != $s ]; do
	_w=$((_w + 1))
	[ $_w -lt 300 ] || fail "a frozen first mirror held back serial $s"
	sleep 0.1
done
[ "$(fetched "$T/tamp" same)" -ge 1 ] || fail "frozen mirror: $(fetched "$T/tamp" same)"
s=$((s + 1))

# 6. The dashboard names only metrics recalld exports.
curl -sf "http://127.0.0.1:$MPORT/metrics" >scrape || fail "scrape"
python3 - "$SRC/packaging/grafana/recall-dashboard.json" scrape <<'PY' || fail "dashboard"
import json, re, sys
d = json.load(open(sys.argv[1]))
have = {l.split("{")[0].split(" ")[0] for l in open(sys.argv[2]) if l[0] != "#"}
names = {n for p in d["panels"] for t in p.get("targets", [])
         for n in re.findall(r"\brecalld_[a-z0-9_]+", t["expr"])}
missing = sorted(names - have)
assert not missing, "not in the scrape: %s" % missing
print("dashboard: %d metric names, all in the scrape" % len(names))
PY

# 7. The fetcher dies: restarted, still fetching.
fpid=$(pgrep -P "$(pgrep -P $RD_PID | head -n 1)" | head -n 1)
[ -n "$fpid" ] || fail "no fetcher process"
kill -KILL "$fpid"
wait_metric recalld_publication_fetcher_restarts_total 1
grep -q "publication: the fetcher was killed by signal 9; restarting it in 1 s" log ||
	fail "no restart line"
publish good $s n1.notice n2.notice n3.notice n4.notice n5.notice
wait_metric recalld_feed_serial $s
wait_metric recalld_publication_fetcher_up 1
stop
echo "recalld_publication: ok ($REFRESHES refreshes under load, no answer lost)"
