#!/bin/sh
# What the path sees of a private check-in (PROTOCOL.md 18, docs/PRIVACY.md): a device namespace
# and a responder namespace joined by a veth pair, recalld in the responder namespace, and a
# capture (dumpcap) on the device's link. A clear device asks with `recall query --private`:
# the bytes on the wire must carry none of its vendor, model, hardware revision or firmware
# version strings (as given or canonical), no identity map (the Wireshark dissector shows no
# identity field, key 5 is a 2-item array), and not even its 8-byte model tag (only 12 bits of
# it). The same device asking with a normal check-in is the control: there every string is
# found, so the search can find them. Needs root, dumpcap and tshark (exit 77 otherwise).
# About 5 s.
set -u
B=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
RECALLD=$B/responder/recalld
RECALL=$B/tools/recall
for p in "$RECALLD" "$RECALL"; do
	[ -x "$p" ] || { echo "skip: $p is not built"; exit 77; }
done
command -v dumpcap >/dev/null && command -v tshark >/dev/null ||
	{ echo "skip: dumpcap and tshark needed (Debian package tshark)"; exit 77; }
SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
LUA=$SRC/packaging/wireshark/recall.lua
. "$SRC/tests/helpers/ns_reap.sh"
DEV=pd-dev$$
ISP=pd-isp$$
V=pdv$$
T=$(mktemp -d /tmp/pd-capture.XXXXXX)
TD=
cleanup() {
	[ -n "$TD" ] && kill "$TD" 2>/dev/null
	ns_reap "$DEV"
	ns_reap "$ISP"
	ip link del "${V}a" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
	echo "FAIL: $*" >&2
	[ -f "$T/log" ] && tail -n 20 "$T/log" >&2
	exit 1
}
cd "$T" || exit 1

# An authority, a feed with notices for other models (the device is clear).
for k in alice bob feed; do
	"$RECALL" keygen "$k" >/dev/null || fail "keygen $k"
done
"$RECALL" anchors create --k 2 -o anchors.cbor alice.pub bob.pub >/dev/null || fail "anchors"
for m in cam-1 cam-2 router-7; do
	cat >"$m.json" <<EOF
{"id": "PD-$m", "issued": "2026-01-01", "expiry": "2036-01-01", "action": "quarantine",
 "severity": "high", "text": "test", "remedy": {"url": "https://example.org/fw"},
 "target": {"vendor": "acme", "model": "$m", "versions": ["1.0"]}}
EOF
	"$RECALL" notice create -o "$m.notice" "$m.json" >/dev/null &&
		"$RECALL" notice sign -k alice.key "$m.notice" >/dev/null &&
		"$RECALL" notice sign -k bob.key "$m.notice" >/dev/null || fail "notice $m"
done
"$RECALL" feed build -k feed.key -a anchors.cbor -o feed --serial 3 cam-1.notice \
	cam-2.notice router-7.notice >/dev/null || fail "feed build"

ip netns add "$DEV" || fail "ip netns add $DEV"
ip netns add "$ISP" || fail "ip netns add $ISP"
ip link add "${V}a" type veth peer name "${V}b" || fail "veth"
ip link set "${V}a" netns "$DEV"
ip link set "${V}b" netns "$ISP"
ip -n "$DEV" addr add 198.18.18.1/24 dev "${V}a"
ip -n "$ISP" addr add 198.18.18.2/24 dev "${V}b"
for n in "$DEV" "$ISP"; do
	ip -n "$n" link set lo up
done
ip -n "$DEV" link set "${V}a" up
ip -n "$ISP" link set "${V}b" up
cat >recalld.conf <<EOF
listen = 198.18.18.2
workers = 1
feed = $T/feed
feed-key = $T/feed.pub
anchors = $T/anchors.cbor
metrics = no
log = stderr
EOF
ip netns exec "$ISP" "$RECALLD" -f -c recalld.conf >log 2>&1 &
ip netns exec "$DEV" dumpcap -q -i "${V}a" -f "udp port 7412" -w cap.pcapng >dumpcap.log 2>&1 &
TD=$!
i=0
until grep -q "File:" dumpcap.log || [ $i -ge 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
# The device: a vendor, model, hwrev and firmware version no notice covers, each a string that
# appears nowhere else.
ID="--vendor Secretvendor-Q --model Hiddenmodel-Z9 --hwrev Revq7 --fwver fw-8.6.4-xyzzy"
i=0
until ip netns exec "$DEV" "$RECALL" query --timeout 200 $ID --epoch 1 198.18.18.2 \
	>/dev/null 2>&1 || [ $i -ge 30 ]; do
	i=$((i + 1))
	sleep 0.1
done
ip netns exec "$DEV" "$RECALL" query --private --json $ID --epoch 1 198.18.18.2 >private.json ||
	fail "private query: exit $? (want 0, clear): $(cat private.json)"
ip netns exec "$DEV" "$RECALL" query --json $ID --epoch 1 198.18.18.2 >normal.json ||
	fail "normal query: exit $?"
sleep 0.3
kill -INT "$TD"
wait "$TD" 2>/dev/null
TD=

# Which capture frames belong to which query: by nonce (the dissector shows it), then every
# payload byte of each searched for the strings.
tshark -X lua_script:"$LUA" -r cap.pcapng -T fields -E separator='|' -e frame.number \
	-e recall.type -e recall.answer.type -e recall.nonce -e recall.vendor -e recall.model \
	-e recall.hwrev -e recall.fwver -e recall.private.prefix -e udp.payload \
	>fields.txt 2>tshark.err || fail "tshark: $(cat tshark.err)"
python3 - fields.txt private.json <<'PY' || fail "the capture (above)"
import hashlib, json, sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1])]
priv = json.load(open(sys.argv[2]))
secrets = ["Secretvendor-Q", "secretvendor-q", "Hiddenmodel-Z9", "hiddenmodel-z9", "Revq7",
           "revq7", "fw-8.6.4-xyzzy"]
tag = hashlib.sha256(b"recall-private-v1\0secretvendor-q\0hiddenmodel-z9").digest()[:8]
fails = 0
def check(what, ok):
    global fails
    if not ok:
        print("FAIL: " + what)
        fails += 1
types = [r[1] or r[2] for r in rows]
# the walk: the retries of the start-up wait and the normal query are check-ins (type 1) and
# answers; the private query is one private check-in and its bucket
pc = [r for r in rows if r[1] == "9"]
normal = [r for r in rows if r[1] == "1"]
check("one private check-in, its bucket answer: %r" % types, len(pc) == 1 and "10" in types)
check("the private query: clear in one round trip", priv.get("answer") == "clear" and priv.get("round_trips") == 1)
check("a normal check-in captured (the control)", len(normal) >= 1)
nonce = pc[0][3] if pc else ""
walk = [r for r in rows if r[3] == nonce]
check("private check-in and its answer", len(walk) == 2)
for r in walk:
    payload = bytes.fromhex(r[9])
    for s in secrets:
        check("frame %s carries %r" % (r[0], s), s.encode() not in payload)
    check("frame %s carries the model tag" % r[0], tag not in payload)
    check("frame %s has identity fields %r" % (r[0], r[4:8]), r[4:8] == ["", "", "", ""])
p = bytes.fromhex(walk[0][9]) if walk else b""
# key 5 of the private check-in: a 2-item array (0x82), not a map
check("key 5 is [prefix, page]", p[:3] == bytes([0xA8, 0, 9]) and p[25:29] == bytes([4, 0, 5, 0x82]))
check("prefix shown %s" % (walk[0][8] if walk else "-"), walk and int(walk[0][8], 16) == (tag[0] << 4 | tag[1] >> 4))
# the control: the same search finds every string in a normal check-in
n = bytes.fromhex(normal[-1][9]) if normal else b""
for s in ("secretvendor-q", "hiddenmodel-z9", "revq7", "fw-8.6.4-xyzzy"):
    check("control: normal check-in lacks %r" % s, s.encode() in n)
print("private_capture: %d frames; the private check-in (%d bytes) and its answer carry no "
      "identity string, no identity map and not the model tag; the normal check-in carries "
      "all four strings" % (len(rows), len(p)))
sys.exit(1 if fails else 0)
PY
echo "private_capture: ok"
