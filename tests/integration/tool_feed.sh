#!/bin/sh
# recall feed: build (refusing bad notices, naming the file), verify (signature, anchors,
# freshness, rollback, every notice), show, lookup; damaged feeds fail cleanly.
. "$(dirname "$0")/tool_common"
setup_authority

signed_notice "$DATA/ax21.json" ax21.notice alice bob
signed_notice "$DATA/cam.json" cam.notice bob carol
mkdir dir
cp ax21.notice cam.notice dir/
python3 - "$DATA/cam.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for i in range(3):
    d["id"] = "RC-TEST-GEN-%d" % i
    d["target"]["model"] = "Cam %d" % (i + 2)
    json.dump(d, open("gen%d.json" % i, "w"))
d["id"] = "RC-TEST-CAM-1"
json.dump(d, open("dupid.json", "w"))
d["id"] = "RC-TEST-OLD"
d["issued"] = d["not_before"] = "2020-01-01"
d["expiry"] = "2021-01-01"
json.dump(d, open("old.json", "w"))
PY
for i in 0 1 2; do signed_notice gen$i.json gen$i.notice alice carol; done
cat gen0.notice gen1.notice gen2.notice >bundle.notices

B="-k feed.key -a anchors.cbor --issued 2025-01-01 --valid 30d"
# shellcheck disable=SC2086
expect 0 "$R" feed build $B --serial 10 -o f10 dir bundle.notices
has out "f10: feed serial 10, 5 notices"
expect 0 "$R" feed verify -K feed.pub -a anchors.cbor --at 2025-01-02 f10 && has out "feed valid"
expect 0 "$R" feed verify --json -K feed.pub -a anchors.cbor --at 2025-01-02 f10
eq "$(json out 'd["ok"], d["serial"], d["notices"], d["problems"]')" "(True, 10, 5, 0)"
expect 0 "$R" feed show -K feed.pub f10
has out "notices    5 (2 vendors, 5 models)"
has out "signature valid"
has out "vendor tp-link"
has out "RC-TEST-GEN-2"
expect 0 "$R" feed show f10 && has out "not checked (no -K)"
expect 0 "$R" feed show --json --summary f10
eq "$(json out 'd["notices"], d["vendors"], d["models"], d["size"], "by_vendor" in d')" \
	"(5, 2, 5, $(wc -c <f10), False)"
expect 0 "$R" feed show --json f10
eq "$(json out '[m["model"] for v in d["by_vendor"] for m in v["models"]]')" \
	"['cam%201', 'cam%202', 'cam%203', 'cam%204', 'archer%20ax21']"

# Lookup: what a responder would answer; exit status 3 for a recall, as recall query.
expect 3 "$R" feed lookup -K feed.pub --at 2025-01-02 --vendor TP-Link --model "Archer AX21" \
	--fwver "1.1.2 Build 20221012" --hwrev V2.0 f10
has out "recalled: tp-link/archer%20ax21 1.1.2 Build 20221012 is covered by notice RC-2023-0001"
expect 0 "$R" feed lookup --at 2025-01-02 --vendor TP-Link --model "Archer AX21" --fwver 1.1.5 f10
has out "clear: no notice in f10 (serial 10)"
expect 3 "$R" feed lookup --json --at 2025-01-02 --vendor acme --model "cam 1" --fwver 9 \
	--build-date 2020-06-01 --digest 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 f10
eq "$(json out 'd["answer"], d["notice"]["id"], d["exit"]')" "('recalled', 'RC-TEST-CAM-1', 3)"
# -t, the old letter of --at, still works, with a warning naming --at
expect 3 "$R" feed lookup -t 2025-01-02 --vendor acme --model "cam 1" --fwver 9 \
	--build-date 2020-06-01 --digest 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 f10
has err "-t is an old spelling of --at"
expect 0 "$R" feed lookup --json --at 2031-01-01 --vendor acme --model "cam 1" --fwver 9 \
	--build-date 2020-06-01 --digest 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 f10
eq "$(json out 'd["answer"], d["exit"]')" "('clear', 0)" "(notice expired by then)"
expect 2 "$R" feed lookup --vendor acme --model m --fwver 1 --digest xyz f10

# Freshness and rollback.
expect 1 "$R" feed verify -K feed.pub -a anchors.cbor --at 2025-03-01 f10 && has err "f10: expired at 2025-01-31"
# shellcheck disable=SC2086
expect 0 "$R" feed build $B --serial 11 -o f11 dir
expect 0 "$R" feed verify -K feed.pub -a anchors.cbor --at 2025-01-02 --previous f10 f11
has out "older serial, no rollback"
expect 1 "$R" feed verify -K feed.pub -a anchors.cbor --at 2025-01-02 --previous f11 f10
has err "f10: serial 10 is not above f11's 11 (a rollback)"
expect 1 "$R" feed verify -K feed.pub -a anchors.cbor --at 2025-01-02 --previous f10 f10
# Default serial: the issue time.
expect 0 "$R" feed build -k feed.key -a anchors.cbor --issued 1735689600 -o fdef cam.notice
has out "feed serial 1735689600"
# --json: what was written, for scripts (the serial, the key id, the times)
expect 0 "$R" feed build --json -k feed.key -a anchors.cbor --issued 1735689600 --valid 1d -o fj cam.notice
eq "$(json out 'd["file"], d["serial"], d["notices"], d["expiry"], len(d["key_id"])')" \
	"('fj', 1735689600, 1, '2025-01-02T00:00:00Z', 16)"

# Wrong keys and anchor sets.
expect 1 "$R" feed verify -K alice.pub -a anchors.cbor --at 2025-01-02 f10 && has err "f10: signed by feed key kid"
"$R" anchors create --k 1 -o other.cbor alice.pub >/dev/null
expect 1 "$R" feed verify -K feed.pub -a other.cbor --at 2025-01-02 f10 && has err "f10: built for anchor set"

# Build refuses bad notices, naming each file; nothing is written.
cp ax21.notice one.notice
"$R" notice create -o one.notice --force "$DATA/ax21.json" >/dev/null
"$R" notice sign -k alice.key one.notice >/dev/null
"$R" notice create -o unsigned.notice "$DATA/cam.json" >/dev/null
signed_notice dupid.json dupid.notice alice bob
signed_notice old.json old.notice alice bob
# shellcheck disable=SC2086
expect 1 "$R" feed build $B -o bad one.notice unsigned.notice old.notice cam.notice
has err "one.notice: notice RC-2023-0001: threshold not met: 1 valid signature of the 2 needed"
has err "unsigned.notice: cose.signatures at byte"
has err "(the notice is not signed)"
has err "old.notice: notice RC-TEST-OLD expired at 2021-01-01T00:00:00Z"
has err "bad: not written: 3 of 4 notices have problems"
checks=$((checks + 1))
[ ! -e bad ] || fail "a feed was written despite bad notices"
# shellcheck disable=SC2086
expect 1 "$R" feed build $B -o bad cam.notice ax21.notice dupid.notice
has err "dupid.notice: notice id RC-TEST-CAM-1 repeats the one in cam.notice"
cat gen0.notice gen0.notice >dup.notices
# shellcheck disable=SC2086
expect 1 "$R" feed build $B -o bad dup.notices && has err "dup.notices #2: notice id RC-TEST-GEN-0 repeats the one in dup.notices #1"
head -c 50 gen1.notice >trunc.notice
# shellcheck disable=SC2086
expect 1 "$R" feed build $B -o bad gen0.notice trunc.notice && has err "trunc.notice: "
# shellcheck disable=SC2086
expect 1 "$R" feed build $B -o bad anchors.cbor && has err "anchors.cbor: "
# shellcheck disable=SC2086
expect 1 "$R" feed build $B -o bad nothere.notice && has err "nothere.notice: No such file"
mkdir emptydir
# shellcheck disable=SC2086
expect 0 "$R" feed build $B -o empty emptydir && has err "emptydir: no *.notice files"
expect 0 "$R" feed verify -K feed.pub -a anchors.cbor --at 2025-01-02 empty && has out "0 notices"

# Damaged feeds: a flipped byte anywhere, truncation, trailing bytes, garbage.
flip() {
	python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[int(sys.argv[2])] ^= 1; open(sys.argv[3], "wb").write(b)' "$@"
}
size=$(wc -c <f10)
for at in 0 9 20 60 70 130 200 $((size / 2)) $((size - 70)) $((size - 1)); do
	flip f10 "$at" damaged
	expect 1 "$R" feed verify -K feed.pub -a anchors.cbor --at 2025-01-02 damaged && has err "damaged: "
	expect 1 "$R" feed show -K feed.pub damaged && has err "damaged: "
done
flip f10 0 damaged
expect 1 "$R" feed show damaged && has err "damaged: feed.magic at byte 0: invalid field content"
head -c $((size - 1)) f10 >short
expect 1 "$R" feed show -K feed.pub short && has err "short: feed.file_length"
head -c 100 f10 >short
expect 1 "$R" feed show short && has err "short: feed at byte 100: truncated input"
{ cat f10; printf x; } >long
expect 1 "$R" feed verify -K feed.pub -a anchors.cbor long && has err "long: feed.file_length"
expect 1 "$R" feed show ax21.notice && has err "ax21.notice: feed"
expect 1 "$R" feed show nothere && has err "nothere: No such file"
finish
