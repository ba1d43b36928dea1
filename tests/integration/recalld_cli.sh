#!/bin/sh
# recalld with everything made by the real `recall` tool, as an authority and an operator would:
# keys, anchor sets of two epochs and the rotation between them, a notice from its JSON
# description signed 2 of 3, a feed; then `recall query` (a device's view) against recalld:
# a verified recall, clear for other builds, rotate for a device at the old epoch.
. "${RECALL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/helpers/probe/recalld_lib.sh"

R=$B/tools/recall
[ -x "$R" ] || fail "$R not built"
cd "$T"
for k in a1 a2 a3 b1 b2 b3 feedkey; do "$R" keygen "$k" >/dev/null || fail "keygen $k"; done
"$R" anchors create --k 2 --epoch 1 -o anchors1 a1.pub a2.pub a3.pub >/dev/null || fail "anchors 1"
"$R" anchors create --k 2 --epoch 2 -o anchors b1.pub b2.pub b3.pub >/dev/null || fail "anchors 2"
"$R" anchors rotate --from anchors1 --to anchors -k a1.key -k a3.key -o rot1 >/dev/null ||
	fail "rotate"
cat >cam.json <<'JSON'
{
  "id": "RC-IT-0001",
  "expiry": "2099-01-01",
  "action": "quarantine",
  "severity": "high",
  "text": "Test notice: update the firmware.",
  "remedy": {"url": "https://example.com/fw"},
  "target": {"vendor": "ACME", "model": "Cam 1", "versions": ["1.2.3"]}
}
JSON
"$R" notice create cam.json >/dev/null || fail "notice create"
"$R" notice sign -k b1.key cam.notice >/dev/null || fail "sign 1"
"$R" notice sign -k b3.key cam.notice >/dev/null || fail "sign 2"
mkdir notices && mv cam.notice notices/
"$R" feed build -k feedkey.key -a anchors -o feed --serial 42 notices >/dev/null || fail "feed build"
cp feedkey.pub feed.pub
write_conf "rotation = $T/rot1"
"$RECALLD" -t -c "$T/recalld.conf" >t.out 2>&1 || fail "recalld -t: $(cat t.out)"
grep -q "feed serial 42 with 1 notices, anchors epoch 2, 1 rotation statements" t.out ||
	fail "-t: $(cat t.out)"
start_recalld
Q="$R query -p $PORT --anchors $T/anchors --vendor ACME --model 'Cam 1'"
rc=0
eval "$Q --fwver 1.2.3 127.0.0.1" >q.out 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "recall query (recalled) status $rc: $(cat q.out)"
rc=0
eval "$Q --fwver 1.2.4 ::1" >q.out 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "recall query (clear) status $rc: $(cat q.out)"
grep -qi "42" q.out || fail "clear answer without serial 42: $(cat q.out)"
rc=0
"$R" query -p "$PORT" --anchors "$T/anchors1" --vendor ACME --model "Cam 1" --fwver 1.2.3 \
	127.0.0.1 >q.out 2>&1 || rc=$?
[ $rc -eq 5 ] && grep -qi "rotat" q.out || fail "recall query (rotate) status $rc: $(cat q.out)"
stop_recalld
echo "recalld_cli: ok"
