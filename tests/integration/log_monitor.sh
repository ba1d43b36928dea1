#!/bin/sh
# recall log monitor on a log directory: new entries printed once (text and JSON Lines), the
# vendor filter, thresholds under --anchors moved on by a logged rotation, exit codes; a forked,
# rolled-back or re-signed log, a damaged tile or entry bundle: exit 4, both checkpoints kept as
# evidence, the state file unchanged; partial tiles that have been completed since are read
# from the full tile; following with --interval, and SIGTERM.
. "$(dirname "$0")/tool_common"
setup_authority
"$R" keygen logkey >/dev/null || fail "keygen logkey"
"$R" keygen other >/dev/null || fail "keygen other"

# nN.notice: distinct notices, signed 2 of 3; n4 is for another vendor.
for i in 1 2 3 5 6; do cam_notice "RC-MON-$i" Acme "n$i.notice" alice bob; done
cam_notice RC-MON-4 Zyxel n4.notice alice carol
# mon ARGS...: the monitor of log L with the log's key and state file st.
mon() { "$R" log monitor --vkey-file log.vkey --state st "$@"; }
append() { "$R" log append --key logkey.key --anchors anchors.cbor "$@" >/dev/null || fail "append $*"; }

"$R" log create --origin example.org/mon --key logkey.key L >log.vkey || fail "log create"
append L n1.notice n2.notice n3.notice
cp -r L L3

# First run: everything from entry 0, one line each; the state is the checkpoint.
expect 3 mon --once L
eq "$(wc -l <out)" 3 "(three entries)"
has out "0 notice RC-MON-1 vendor acme model cam%201 action notify severity medium issued 2024-05-01T00:00:00Z signers "
has out "2 notice RC-MON-3 "
same st L/checkpoint
expect 0 mon L && eq "$(wc -c <out)" 0 "(nothing new)"

# JSON Lines and the vendor filter (canonical: "Zyxel" is zyxel).
append L n4.notice n5.notice
expect 3 mon --json --vendor Zyxel L
eq "$(wc -l <out)" 1 "(one Zyxel entry)"
eq "$(python3 -c 'import json, sys; [print(d["index"], d["id"], d["vendor"], len(d["signers"])) for d in map(json.loads, open(sys.argv[1]))]' out)" \
	"3 RC-MON-4 zyxel 2" "(JSON Lines)"
python3 -c 'import json, sys; d = json.loads(open(sys.argv[1]).readline()); assert d["log"] == "example.org/mon" and d["type"] == "notice" and len(d["leaf_hash"]) == 64, d' out ||
	fail "JSON fields"
same st L/checkpoint
append L n6.notice
expect 0 mon --vendor zyxel L && eq "$(wc -c <out)" 0 "(no Zyxel entry)"
same st L/checkpoint

# Without state, from an index; thresholds under the anchors, moved on by a logged rotation.
"$R" anchors create --k 1 --epoch 2 -o e2.cbor carol.pub >/dev/null
"$R" anchors rotate --from anchors.cbor --to e2.cbor -k alice.key -k bob.key -o rot >/dev/null ||
	fail "rotate"
cam_notice RC-MON-c1 Acme nc1.notice carol
append L rot
"$R" log append --key logkey.key --anchors e2.cbor L nc1.notice >/dev/null || fail "append nc1"
expect 3 "$R" log monitor --vkey-file log.vkey --from 5 --anchors anchors.cbor L
eq "$(wc -l <out)" 3 "(entries 5 to 7)"
has out "5 notice RC-MON-6 vendor acme"
has out "threshold met (2 of 2)"
has out "6 rotation epoch 1 -> 2 signers "
has out "accepted (2 of 2)"
has out "7 notice RC-MON-c1 vendor acme"
has out "threshold met (1 of 1)"
expect 3 "$R" log monitor --vkey-file log.vkey --from 7 --anchors anchors.cbor --json L
python3 -c 'import json, sys; d = json.loads(open(sys.argv[1]).read()); assert d["threshold"] == {"met": False, "valid": 1, "k": 2}, d' out ||
	fail "threshold not met under the old anchors (JSON: carol alone)"
expect 3 mon --vendor zyxel L
has out "6 rotation" # rotations are shown whatever the filter
lacks out "RC-MON-c1"
cp st st8
same st8 L/checkpoint

# A fork: the same key and origin, other entries, the same size or larger.
"$R" log create --origin example.org/mon --key logkey.key F >/dev/null
append F n1.notice n2.notice n3.notice n5.notice n4.notice n6.notice
"$R" log append --key logkey.key --anchors e2.cbor F rot nc1.notice >/dev/null 2>&1
append F rot
"$R" log append --key logkey.key --anchors e2.cbor F nc1.notice >/dev/null || fail "F nc1"
expect 4 mon F
has err "has another root hash than (fork) the size 8 seen before"
same st st8
ls st.conflict-*.old >/dev/null 2>&1 || fail "no evidence (old)"
same st.conflict-*.old st8
same st.conflict-*.new F/checkpoint
rm -f st.conflict-*
"$R" log append --key logkey.key --anchors e2.cbor F nc1.notice >/dev/null || fail "F nc1 (2)"
expect 4 mon F
has err "is not an extension of the one of size 8 seen before"
same st st8
same st.conflict-*.new F/checkpoint
rm -f st.conflict-*
# A rollback to an earlier, genuine state of the log.
expect 4 mon L3 && has err "size 3 is below (rollback) the size 8 seen before"
same st st8
# A checkpoint signed by another key under the same origin.
"$R" log create --origin example.org/mon --key other.key O >/dev/null
expect 4 mon O && has err "no signature by the log key example.org/mon+"
same st st8
rm -f st.conflict-*

# Damaged tiles and bundles: 4, nothing printed, no state change.
append L n1.notice
cp L/tile/0/000.p/9 tile.bak
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[8 * 32 + 3] ^= 1; open(sys.argv[1], "wb").write(b)' L/tile/0/000.p/9
expect 4 mon L && eq "$(wc -c <out)" 0 "(nothing printed from a damaged tile)"
same st st8
ls st.conflict-*.new >/dev/null 2>&1 || fail "no evidence (tile)"
head -c 100 tile.bak >L/tile/0/000.p/9
expect 4 mon L && has err "L/tile/0/000.p/9: 100 bytes, not the 9 hashes of 32 bytes"
cp tile.bak L/tile/0/000.p/9
cp L/tile/entries/000.p/9 bundle.bak
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-1] ^= 1; open(sys.argv[1], "wb").write(b)' L/tile/entries/000.p/9
expect 4 mon L && has err "entry 8 does not hash to its leaf in tile/0"
printf 'x' >>L/tile/entries/000.p/9
expect 4 mon L && has err "L/tile/entries/000.p/9: byte"
cp bundle.bak L/tile/entries/000.p/9
same st st8
# A damaged tile below what was seen is found too, with nothing new.
cp L/checkpoint cp9
expect 3 mon L && has out "8 notice RC-MON-1"
cp L/tile/0/000.p/9 tile.bak
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[0] ^= 1; open(sys.argv[1], "wb").write(b)' L/tile/0/000.p/9
expect 4 mon L
cp tile.bak L/tile/0/000.p/9
expect 0 mon L
rm -f st.conflict-*

# I/O and usage errors: 1 and 2, state unchanged.
mv L/tile/0/000.p/9 tile.gone
expect 1 mon L && has err "L/tile/0/000.p/9: not found (nor the full tile), and the checkpoint names it"
mv tile.gone L/tile/0/000.p/9
expect 1 mon nowhere && has err "nowhere: not a log directory or an http(s):// URL"
expect 2 "$R" log monitor L
expect 2 "$R" log monitor --vkey-file log.vkey --once --interval 1s L
expect 2 "$R" log monitor --vkey-file log.vkey --vendor "" L
expect 1 "$R" log monitor --vkey-file missing.vkey L
printf 'garbage\n' >badstate
expect 1 "$R" log monitor --vkey-file log.vkey --state badstate L && has err "badstate: byte"
append L n2.notice n3.notice
expect 1 mon --max-entries 1 L && has err "more new ones than --max-entries"
same st cp9
ls st.conflict-* >/dev/null 2>&1 && fail "evidence written for an I/O error"

# Partial tiles completed since: a checkpoint of size 200 served next to full tiles only.
"$R" log create --origin example.org/mon --key logkey.key B >/dev/null
i=0
while [ $i -lt 20 ]; do
	set -- n1.notice n2.notice n3.notice n5.notice n6.notice n1.notice n2.notice n3.notice n5.notice n6.notice
	append B "$@"
	i=$((i + 1))
done
cp B/checkpoint cp200
i=0
while [ $i -lt 6 ]; do
	append B n1.notice n2.notice n3.notice n5.notice n6.notice n1.notice n2.notice n3.notice n5.notice n6.notice
	i=$((i + 1))
done
cp cp200 B/checkpoint
rm -r B/tile/0/000.p B/tile/entries/000.p
expect 3 "$R" log monitor --vkey-file log.vkey B && eq "$(wc -l <out)" 200 "(200 entries from full tiles)"

# Following: a pass now and one after the interval picks up what was appended in between.
"$R" log monitor --vkey-file log.vkey --state st --interval 2s --passes 2 L >fout 2>ferr &
fpid=$!
sleep 1
append L n4.notice
wait $fpid
eq "$?" 3 "(follow exit status)"
has fout "9 notice RC-MON-2"
has fout "11 notice RC-MON-4"
same st L/checkpoint
# SIGTERM ends a follower that is waiting: exit 0 (nothing new), state kept.
"$R" log monitor --vkey-file log.vkey --state st --interval 1h L >fout 2>ferr &
fpid=$!
sleep 1
kill -TERM $fpid
wait $fpid
eq "$?" 0 "(SIGTERM exit status)"
same st L/checkpoint
finish
