#!/bin/sh
# recall notice: create from JSON (every bad description named by file and JSON path), sign in
# any order and merge, verify against anchors (which keys, threshold, exit status), show and
# --json (which create reads back).
. "$(dirname "$0")/tool_common"
setup_authority

# Create: canonical names, default output name, no overwriting without --force.
cp "$DATA/ax21.json" ax21.json
expect 0 "$R" notice create ax21.json
has out "ax21.notice: unsigned notice RC-2023-0001 for tp-link/archer%20ax21"
expect 1 "$R" notice create ax21.json && has err "ax21.notice: already exists"
expect 0 "$R" notice create --force ax21.json
cp ax21.notice ax21.unsigned
expect 0 "$R" notice show ax21.notice
has out "target     tp-link / archer%20ax21"
has out "hwrevs     v1, v2.0"
has out "range      generic [1.0.0, 1.1.4 Build 20230219)"
has out "0 signatures"
expect 0 "$R" notice create -o cam.notice "$DATA/cam.json"
has out "acme/cam%201"

# Every bad description: non-zero exit, message naming the file and the field.
# (a pipeline runs in a subshell: its failures are counted through a file)
grep -v '^#' "$DATA/bad-notices.txt" | while IFS='|' read -r f msg; do
	"$R" notice create -o bad.notice "$DATA/$f" >/dev/null 2>e && echo "$f accepted" >>loopfail
	grep -qF -- "$DATA/$f: $msg" e || echo "$f: message" >>loopfail
done
checks=$((checks + 1))
[ ! -e loopfail ] || fail "bad descriptions: $(cat loopfail)"
expect 1 "$R" notice create -o x.notice nothere.json && has err "nothere.json"
# A description too long for one answer (16 references of 128 bytes).
python3 - "$DATA/cam.json" big.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["refs"] = ["https://example.org/" + str(i) * 54 for i in range(10, 26)]
json.dump(d, open(sys.argv[2], "w"))
PY
expect 1 "$R" notice create -o big.notice big.json && has err "big.json: "
has err "too long"

# Sign on separate machines (copies), merge in either order: the same bytes.
cp ax21.notice a.notice
cp ax21.notice b.notice
cp ax21.notice c.notice
expect 0 "$R" notice sign -k alice.key a.notice && has out "added a signature"
expect 0 "$R" notice sign -k alice.key a.notice && has out "replaced the signature"
expect 0 "$R" notice sign -k bob.key b.notice
expect 0 "$R" notice sign -k carol.key -o c2.notice c.notice
same c.notice ax21.unsigned
expect 0 "$R" notice merge -o ab.notice a.notice b.notice
expect 0 "$R" notice merge -o ba.notice b.notice a.notice
same ab.notice ba.notice
cp b.notice seq.notice
expect 0 "$R" notice sign -k alice.key seq.notice
same seq.notice ab.notice
expect 0 "$R" notice merge -o abc.notice c2.notice ab.notice
has out "3 signatures"

# Verify: which keys, threshold, exit status.
expect 1 "$R" notice verify -a anchors.cbor a.notice
has out "threshold NOT MET: 1 valid of 2 needed"
has err "a.notice: notice RC-2023-0001: threshold not met"
expect 0 "$R" notice verify -a anchors.cbor ab.notice && has out "threshold met: 2 valid of 2"
expect 0 "$R" notice verify --json -a anchors.cbor abc.notice
eq "$(json out '[(x["threshold_met"], x["valid_signatures"], x["needed"]) for x in d]')" "[(True, 3, 2)]"
expect 1 "$R" notice verify -a anchors.cbor ax21.unsigned && has out "0 signatures"
"$R" keygen mallory >/dev/null
cp a.notice m.notice
"$R" notice sign -k mallory.key m.notice >/dev/null
expect 1 "$R" notice verify -a anchors.cbor m.notice && has out "ignored: not in the anchor set"
# A signature that does not verify: flip a byte inside the last signature.
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-5] ^= 1; open(sys.argv[2], "wb").write(b)' ab.notice flip.notice
expect 1 "$R" notice verify -a anchors.cbor flip.notice && has out "BAD SIGNATURE"
# Validity window at a given time (informational).
expect 0 "$R" notice verify -a anchors.cbor --at 2031-01-01 ab.notice && has out "window    expired"
expect 0 "$R" notice verify -a anchors.cbor --at 2020-01-01 ab.notice && has out "not yet valid"
# Several notices in one file (concatenated) are verified one by one.
cat ab.notice a.notice >two.notices
expect 1 "$R" notice verify -a anchors.cbor two.notices && has out "two.notices: notice RC-2023-0001"
expect 0 "$R" notice show two.notices
eq "$(grep -c 'RC-2023-0001, ' out)" 2

# Show --json: the description, which create reads back to the same notice.
expect 0 "$R" notice show --json ab.notice
eq "$(json out 'd[0]["notice"]["target"]["model"], len(d[0]["signatures"]), d[0]["size"]')" \
	"('archer%20ax21', 2, $(wc -c <ab.notice))"
json out 'json.dumps(d[0]["notice"])' >back.json
expect 0 "$R" notice create -o back.notice back.json
same back.notice ax21.unsigned
expect 0 "$R" notice show --json cam.notice
json out 'json.dumps(d[0]["notice"])' >camback.json
expect 0 "$R" notice create -o camback.notice camback.json
same camback.notice cam.notice
# a hwrev list with "" (a device that states no revision, PROTOCOL.md 9.1) round-trips too
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d["target"]["hwrevs"] = ["", "v2"]
json.dump(d, open("hw.json", "w"))' "$DATA/cam.json"
expect 0 "$R" notice create -o hw.notice hw.json
expect 0 "$R" notice show --json hw.notice
eq "$(json out 'd[0]["notice"]["target"]["hwrevs"]')" "['', 'v2']"
json out 'json.dumps(d[0]["notice"])' >hwback.json
expect 0 "$R" notice create -o hwback.notice hwback.json
same hwback.notice hw.notice

# Bad signed files: each names the file and the field or the reason.
expect 1 "$R" notice merge -o x ab.notice cam.notice && has err "cam.notice: not the same notice as ab.notice"
head -c 100 ab.notice >trunc.notice
expect 1 "$R" notice show trunc.notice && has err "trunc.notice: "
expect 1 "$R" notice verify -a anchors.cbor trunc.notice && has err "trunc.notice: "
: >empty.notice
expect 1 "$R" notice show empty.notice && has err "empty.notice: empty file"
expect 1 "$R" notice sign -k alice.key two.notices && has err "holds more than one notice"
expect 1 "$R" notice verify -a ax21.json ab.notice && has err "ax21.json: this is JSON text, not an anchor set"
expect 1 "$R" notice sign -k alice.key anchors.cbor && has err "anchors.cbor: "
finish
