#!/bin/sh
# recall publish and recall publish verify (docs/PUBLISH.md): a publication written from a log
# (recall log create/append, cosigned by 2 of 3 witnesses with recalld-probe), its log files
# identical to the log's, read back through the sync engine from the directory and over HTTP;
# an incremental update writes only the new files and a refresh fetches only them; a tampered
# and a stale mirror are refused; the publisher refuses an uncosigned checkpoint, another feed
# key's directory, a lower serial and a bad withdrawn list, each naming file and field.
. "$(dirname "$0")/tool_common"
PROBE="$BUILD/responder/recalld-probe"
[ -x "$PROBE" ] || {
	echo "no $PROBE: skipped"
	exit 77
}
O=example.org/recall-log
"$R" keygen logkey >/dev/null 2>&1 || fail "keygen logkey"
"$R" keygen pkey >/dev/null 2>&1 || fail "keygen pkey"
"$R" keygen other >/dev/null 2>&1 || fail "keygen other"
"$PROBE" fixture "$T" -n 6 -L logkey.pub -O $O -W 3 -Q 2 || fail "fixture"
"$R" log create --origin $O --key logkey.key L >/dev/null || fail "log create"
append() {
	"$R" log append --key logkey.key --anchors anchors L "$@" >/dev/null || fail "append $*"
	"$PROBE" cosign L/checkpoint -w 0 -w 1 || fail "cosign"
}
append n1.notice n2.notice n3.notice
P="$R publish -k pkey.key -a anchors -l L"
V="$R publish verify -K pkey.pub -a anchors"

expect 0 $P --valid 2d P && has out "P: serial 1, log size 3 (3 new), 3 notices in the feed"
has out "wrote 1 tiles, 1 entry bundles, 3 entry files"
checks=$((checks + 1))
diff -r L/tile P/log/tile >/dev/null || fail "P/log/tile differs from the log's tiles"
same L/checkpoint P/log/checkpoint
eq "$(ls P/log/entry | wc -l)" 3
expect 0 $V P && has out "P: new: serial 1, log size 3, 3 notices"
expect 0 $V --cache C P && has out "new: serial 1"
expect 0 $V --cache C P && has out "same: serial 1" && has out "in 1 requests"
cp -r P P1

# an update: two new notices and n1 again (which supersedes its first entry)
append n4.notice n5.notice n1.notice
expect 0 $P P && has out "serial 2, log size 6 (3 new), 5 notices in the feed, 1 withdrawn (1 superseded)"
has out "wrote 1 tiles, 1 entry bundles, 3 entry files"
checks=$((checks + 1))
diff -r L/tile P/log/tile >/dev/null || fail "P/log/tile differs after the update"
# a refresh fetches the top file, the level-0 tile and the 3 new entries
expect 0 $V --cache C P && has out "new: serial 2, log size 6, 5 notices" && has out "in 5 requests"
[ -s C/feed ] || fail "no feed in the cache"
expect 0 "$R" feed show --summary C/feed && has out "5"
# the cache is a publication itself
expect 0 $V C && has out "new: serial 2"

# mirrors: a stale one (serial 1) against the cache, a tampered one
expect 1 $V --cache C P1 && has err "refused (stale): recall-publication: serial 1, 2 is held"
cp -r P M
printf 'X' | dd of=M/log/tile/entries/000.p/6 bs=1 seek=40 conv=notrunc 2>/dev/null
expect 1 $V M && has err "refused (bad): log: the entries do not give the checkpoint's root"
expect 1 "$R" publish verify -K other.pub -a anchors P && has err "cose.signatures"
expect 1 $V --at 2100-01-01 P && has err "refused (expired)"
expect 1 $V nothing-here && has err "nothing-here"

# over HTTP (python3's http.server on loopback), when python3 is there
if command -v python3 >/dev/null 2>&1; then
	python3 -m http.server --bind 127.0.0.1 --directory P 0 >http.out 2>&1 &
	HP=$!
	port=
	i=0
	while [ -z "$port" ] && [ $i -lt 50 ]; do
		port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' http.out | head -1)
		i=$((i + 1))
		sleep 0.1
	done
	if [ -n "$port" ]; then
		expect 0 $V "http://127.0.0.1:$port" && has out "new: serial 2, log size 6, 5 notices"
	else
		fail "http.server did not start: $(cat http.out)"
	fi
	kill $HP 2>/dev/null
	wait $HP 2>/dev/null
fi

# the publisher refuses
"$R" log append --key logkey.key --anchors anchors L n6.notice >/dev/null || fail "append n6"
expect 1 $P P && has err "L/checkpoint: publication.checkpoint.cosignatures" &&
	has err "recall log witness"
"$PROBE" cosign L/checkpoint -w 0 -w 1 || fail "cosign"
expect 1 "$R" publish -k other.key -a anchors -l L P && has err "P/recall-publication" &&
	has err "not a publication of this feed key"
expect 1 $P --serial 2 P && has err "--serial 2: the published serial is 2"
printf '1\n# comment\n\nx7\n' >wd
expect 1 $P -w wd P && has err "wd: line 4: 'x7' is not a log index"
printf '70\n' >wd
expect 1 $P -w wd P && has err "wd: line 1: index 70: the log has 7 entries"
printf '1 # n2\n' >wd
expect 0 $P -w wd P && has out "serial 3, log size 7 (1 new), 5 notices in the feed, 2 withdrawn (1 superseded)"
expect 0 $V --cache C P && has out "new: serial 3, log size 7, 5 notices"
expect 2 "$R" publish P
expect 2 "$R" publish -k pkey.key -a anchors -l L --valid 1d --expiry 2100-01-01 P
expect 0 "$R" publish --help && has out "PUBDIR"
expect 0 "$R" publish verify --help && has out "DIR|URL"
finish
