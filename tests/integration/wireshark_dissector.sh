#!/bin/sh
# The Wireshark dissector (packaging/wireshark/recall.lua) on a capture of real traffic:
# recalld with a transparency log and rotation statements, `recall query` on loopback (clear,
# recalled, proof request and proof, retry-later, rotate), captured with dumpcap and decoded by
# tshark with the script; every filterable field is checked against what was sent. Then
# malformed datagrams (garbage, truncations and bit flips of the real ones, deep nesting, a
# huge count, non-deterministic CBOR) must show as expert info, never as a Lua error.
. "${RECALL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/helpers/probe/recalld_lib.sh"
LUA=$(cd "$(dirname "$0")/../.." && pwd)/packaging/wireshark/recall.lua
RT=$B/tools/recall
if ! command -v tshark >/dev/null || ! command -v dumpcap >/dev/null; then
	echo "SKIP: tshark/dumpcap not installed"
	exit 77
fi
[ "$(id -u)" -eq 0 ] || { echo "SKIP: capturing on lo needs root"; exit 77; }
cd "$T" || exit 1
ORIGIN=example.org/recall-log
"$RT" keygen logkey >/dev/null 2>&1 || fail "keygen logkey"
"$PROBE" fixture "$T" -n 6 -L logkey.pub -O $ORIGIN -W 3 -Q 2 -E 2 -R || fail "fixture"
"$RT" log create --origin $ORIGIN --key logkey.key tlog >/dev/null || fail "log create"
"$RT" log append --key logkey.key --anchors anchors tlog n1.notice n2.notice n3.notice \
	>/dev/null || fail "log append"
"$PROBE" cosign tlog/checkpoint -w 0 -w 1 || fail "cosign"
mkdir state
write_conf "transparency-log = $T/tlog" "state-dir = $T/state" "ratelimit = no" \
	"feed-poll = 0" "rotation = $T/rot-0" "rotation = $T/rot-1"
start_recalld
JUNK=$(free_port)

dumpcap -q -i lo -f "udp port $PORT or udp port $JUNK" -w cap.pcapng >dumpcap.log 2>&1 &
DC=$!
trap 'kill $DC 2>/dev/null || true; cleanup' EXIT INT TERM
# dumpcap says "File: ..." once it captures; wait for that (bounded).
i=0
until grep -q "File:" dumpcap.log 2>/dev/null || [ $i -ge 100 ]; do
	i=$((i + 1))
	sleep 0.05
done
sleep 0.2
Q() { "$RT" query -p "$PORT" --vendor Acme "$@" 127.0.0.1 >/dev/null 2>&1 || true; }
Q --model cam-9 --fwver 9.9.9 --epoch 2 --reason periodic # clear
Q --model cam-1 --hwrev r2 --fwver 1.2.3 --anchors anchors # recalled, proof request, proof
Q --model cam-5 --fwver 1.2.3 --anchors anchors            # recalled, proof request, retry-later
Q --model cam-1 --fwver 1.2.3 --epoch 0 --state quarantined # rotate

# Malformed datagrams to a port nobody listens on, decoded as recall too.
python3 - "$JUNK" cap.pcapng <<'PY'
import random, socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def send(b):
    s.sendto(b, ("127.0.0.1", port))
send(b"\xff\x00 not a recall message")
send(b"\x81" * 200 + b"\x00")                                   # nested 200 deep
send(bytes.fromhex("a4 00 03 01 01 02 50") + bytes(16) + bytes.fromhex("04 5a ff ff ff ff 00"))
send(bytes.fromhex("9b ffffffffffffffff"))                      # a count larger than the packet
send(bytes.fromhex("a3 00 18 02 01 01 02 50") + bytes(16))     # type 2 in two bytes
send(bytes.fromhex("a3 01 01 00 02 02 50") + bytes(16))        # keys out of order
send(bytes.fromhex("a3 00 01 00 01 02 50") + bytes(16))        # key 0 twice
send(bytes.fromhex("a5 00 02 01 01 02 50") + bytes(16) + bytes.fromhex("03 01 20 00"))  # extension -1
send(bytes.fromhex("a5 00 02 01 01 02 50") + bytes(16) + bytes.fromhex("03 01 09 00"))  # critical key 9
# Truncations and bit flips of real-looking answers: a recalled answer around a notice.
notice = open("n1.notice", "rb").read()
ans = bytes.fromhex("a4 00 03 01 01 02 50") + bytes(16) + bytes([4, 0x59, len(notice) >> 8, len(notice) & 255]) + notice
for n in range(1, len(ans), 5):
    send(ans[:n])
random.seed(7)
for _ in range(300):
    b = bytearray(ans)
    b[random.randrange(len(b))] ^= 1 << random.randrange(8)
    send(bytes(b))
send(ans)
PY
sleep 0.3
kill -INT $DC
wait $DC 2>/dev/null

TS="tshark -X lua_script:$LUA -d udp.port==$PORT,recall -d udp.port==$JUNK,recall -r cap.pcapng"
# One pass for every field (one row per packet), one for a display filter, one for the tree.
F="recall.type recall.vendor recall.model recall.hwrev recall.fwver recall.reason recall.state
recall.epoch recall.pad_len recall.nonce recall.answer.type recall.answer.serial
recall.answer.delay recall.notice.id recall.notice.vendor recall.notice.model recall.notice.fwver
recall.notice.action recall.notice.severity recall.cose.content_type recall.cose.signatures
recall.cose.kid recall.proof.size recall.proof.index recall.proof.path_len
recall.rotation.from_epoch recall.rotation.next_epoch recall.rotation.k recall.rotation.log_origin
recall.malformed recall.noncanonical recall.ext recall.unknown_key"
E=""
for x in frame.number udp.srcport udp.dstport $F; do E="$E -e $x"; done
# shellcheck disable=SC2086
$TS -T fields -E header=y -E separator='|' -E occurrence=a -E aggregator=, $E >fields.txt \
	2>tshark.err || fail "tshark -T fields: $(cat tshark.err)"
# shellcheck disable=SC2086
$TS -Y "udp.port == $PORT && recall.notice.id == \"RC-TEST-5\"" >filter.txt 2>filter.err ||
	fail "tshark -Y"
[ "$(wc -l <filter.txt)" -eq 1 ] || fail "filter recall.notice.id: $(cat filter.txt)"
# shellcheck disable=SC2086
$TS -V >all.txt 2>&1 || fail "tshark -V failed"
if grep -q "Lua Error" all.txt; then
	fail "Lua error in the dissector: $(grep -m 3 "Lua Error" all.txt)"
fi
# A runtime error the dissector caught itself is a bug too ("cannot decode: <Lua message>").
if grep -q "Malformed: cannot decode" all.txt; then
	fail "dissector error: $(grep -m 3 "Malformed: cannot decode" all.txt)"
fi
python3 - fields.txt "$PORT" "$JUNK" "$ORIGIN" <<'PY2' || fail "field values (above)"
import sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1], errors="replace")]
head = [h.replace("recall.", "") for h in rows[0]]
pk = [dict(zip(head, r)) for r in rows[1:]]
port, junk, origin = sys.argv[2], sys.argv[3], sys.argv[4]
real = [p for p in pk if port in (p["udp.srcport"], p["udp.dstport"])]
bad = [p for p in pk if p["udp.dstport"] == junk]
fails = 0
def check(what, got, want):
    global fails
    if got != want:
        print("FAIL: %s: got %r, want %r" % (what, got, want))
        fails += 1
def cols(ps, *names):
    return ["|".join(p[n] for n in names) for p in ps]
reqs = [p for p in real if p["udp.dstport"] == port]
ans = [p for p in real if p["udp.srcport"] == port]
check("exchanges", (len(reqs), len(ans)), (6, 6))
check("check-ins", cols([p for p in reqs if p["type"] == "1"], "vendor", "model", "hwrev",
      "fwver", "reason", "state", "epoch", "pad_len"),
      ["acme|cam-9||9.9.9|2|0|2|1143", "acme|cam-1|r2|1.2.3|0|0|2|1141",
       "acme|cam-5||1.2.3|0|0|2|1143", "acme|cam-1||1.2.3|0|1|0|1143"])
check("proof requests", cols([p for p in reqs if p["type"] == "7"], "epoch", "pad_len"),
      ["2|1136", "2|1136"])
check("answer types", cols(ans, "answer.type"), ["2", "3", "8", "3", "4", "6"])
# Every answer echoes the nonce of the request before it (one exchange at a time).
check("nonces", [a["nonce"] for a in ans], [r["nonce"] for r in reqs])
check("nonce length", {len(r["nonce"]) for r in reqs}, {32})
check("clear", cols(ans[:1], "answer.serial"), ["1"])
check("notices", cols([a for a in ans if a["answer.type"] == "3"], "notice.id", "notice.vendor",
      "notice.model", "notice.fwver", "notice.action", "notice.severity", "cose.content_type",
      "cose.signatures"),
      ["RC-TEST-1|acme|cam-1|1.2.3|0|3|65100|2", "RC-TEST-5|acme|cam-5|1.2.3|0|0|65100|2"])
check("kids", [len(a["cose.kid"].split(",")) for a in ans if a["answer.type"] == "3"], [2, 2])
check("proof", cols([a for a in ans if a["answer.type"] == "8"], "proof.size", "proof.index",
      "proof.path_len"), ["3|0|2"])
check("retry-later", cols([a for a in ans if a["answer.type"] == "4"], "answer.delay"), ["600"])
check("rotation", cols([a for a in ans if a["answer.type"] == "6"], "rotation.from_epoch",
      "rotation.next_epoch", "rotation.k", "rotation.log_origin", "cose.content_type"),
      ["0|1|2|%s|65101" % origin])
check("real traffic flagged", [p["frame.number"] for p in real if p["malformed"] or p["noncanonical"]], [])
# The hand-made datagrams, in the order sent: which expert info each must carry.
flags = [("M" if p["malformed"] else "") + ("N" if p["noncanonical"] else "") for p in bad[:7]]
check("hand-made", flags, ["M", "M", "M", "M", "MN", "MN", "MN"])
check("extension key", cols(bad[7:9], "ext", "answer.serial", "malformed", "unknown_key"),
      ["-1|1||", "|1||1"])
check("last (intact) answer", cols(bad[-1:], "notice.id", "malformed"), ["RC-TEST-1|"])
m = sum(1 for p in bad if p["malformed"])
check("most damaged datagrams flagged", m >= 60, True)
print("wireshark_dissector: %d packets decoded, %d malformed flagged" % (len(pk), m))
sys.exit(1 if fails else 0)
PY2
grep -q "Malformed: message: nested deeper than 16" all.txt || fail "deep nesting not reported"
grep -q "Malformed: message: key 0 (type) is not first" all.txt || fail "key order not reported"
grep -q "Malformed: message: more items than bytes" all.txt || fail "huge count not reported"
grep -q "Malformed: message: string runs past the end" all.txt || fail "truncated notice not reported"

# Private mode (PROTOCOL.md 18): recall query --private to the same recalld, captured again:
# a private check-in carries the prefix and page and no identity field; a bucket its entries
# and pages; a notice request the tag and index; a malformed private check-in (an identity map
# where [prefix, page] goes) is flagged.
dumpcap -q -i lo -f "udp port $PORT or udp port $JUNK" -w priv.pcapng >dumpcap2.log 2>&1 &
DC=$!
i=0
until grep -q "File:" dumpcap2.log 2>/dev/null || [ $i -ge 100 ]; do
	i=$((i + 1))
	sleep 0.05
done
sleep 0.2
Q --private --model cam-9 --fwver 1.2.3 --epoch 2 # bucket without cam-9: clear
Q --private --model cam-1 --fwver 1.2.3 --anchors anchors # bucket, request, recalled, proof
python3 - "$JUNK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ident = bytes.fromhex("a4 01 61 61 02 61 62 03 60 04 61 31")
body = bytes.fromhex("a8 00 09 01 01 02 50") + bytes(16) + bytes.fromhex("03 00 04 00 05") + ident + bytes.fromhex("06 00 07")
pad = 1200 - len(body) - 3
s.sendto(body + bytes([0x59, pad >> 8, pad & 255]) + bytes(pad), ("127.0.0.1", int(sys.argv[1])))
PY
sleep 0.3
kill -INT $DC
wait $DC 2>/dev/null
TS="tshark -X lua_script:$LUA -d udp.port==$PORT,recall -d udp.port==$JUNK,recall -r priv.pcapng"
E=""
for x in udp.dstport recall.type recall.answer.type recall.vendor recall.model recall.fwver \
	recall.private.prefix recall.private.page recall.private.tag recall.private.index \
	recall.bucket.entries recall.bucket.tag recall.bucket.count recall.bucket.pages \
	recall.answer.serial recall.notice.id recall.malformed; do
	E="$E -e $x"
done
# shellcheck disable=SC2086
$TS -T fields -E header=y -E separator='|' -E occurrence=a -E aggregator=, $E >pfields.txt \
	2>tshark.err || fail "tshark private: $(cat tshark.err)"
$TS -V >pall.txt 2>&1 || fail "tshark -V private"
grep -q "Lua Error" pall.txt && fail "Lua error on private traffic: $(grep -m 3 "Lua Error" pall.txt)"
grep -q "Malformed: private: wrong CBOR type" pall.txt || fail "identity in a private check-in not reported"
# the private walk acts on a logged recall as plain query does: proof request, exit 3
rc=0
"$RT" query -p "$PORT" --vendor Acme --model cam-1 --fwver 1.2.3 --anchors anchors --private \
	--json 127.0.0.1 >pq.json 2>pq.err || rc=$?
[ "$rc" -eq 3 ] || fail "query --private with a log policy: exit $rc: $(cat pq.json pq.err)"
python3 -c 'import json, sys; d = json.load(open("pq.json")); sys.exit(not (d["log"]["verdict"] == "logged" and d["round_trips"] == 3))' ||
	fail "query --private: not logged in 3 round trips: $(cat pq.json)"
python3 - pfields.txt "$PORT" "$JUNK" <<'PY' || fail "private field values (above)"
import hashlib, sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1])]
head = [h.replace("recall.", "") for h in rows[0]]
pk = [dict(zip(head, r)) for r in rows[1:]]
port, junk = sys.argv[2], sys.argv[3]
def tag(m):
    h = hashlib.sha256(b"recall-private-v1\0acme\0" + m.encode()).digest()
    return h[:8].hex(), "0x%04x" % (h[0] << 4 | h[1] >> 4)
fails = 0
def check(what, got, want):
    global fails
    if got != want:
        print("FAIL: %s: got %r, want %r" % (what, got, want))
        fails += 1
real = [p for p in pk if p["udp.dstport"] != junk]
check("types", [p["type"] or p["answer.type"] for p in real],
      ["9", "10", "9", "10", "11", "3", "7", "8"])
pc = [p for p in real if p["type"] == "9"]
check("private check-ins: prefix, page", [(p["private.prefix"], p["private.page"]) for p in pc],
      [(tag("cam-9")[1], "0"), (tag("cam-1")[1], "0")])
check("no identity field", [p["vendor"] + p["model"] + p["fwver"] for p in pc], ["", ""])
b = [p for p in real if p["answer.type"] == "10"]
check("bucket pages, serial", [(p["bucket.pages"], p["answer.serial"]) for p in b], [("1", "1"), ("1", "1")])
check("cam-1 listed", tag("cam-1")[0] in b[1]["bucket.tag"].split(","), True)
check("counts", b[1]["bucket.count"].split(",")[b[1]["bucket.tag"].split(",").index(tag("cam-1")[0])], "1")
nr = [p for p in real if p["type"] == "11"]
check("notice request", [(p["private.tag"], p["private.index"]) for p in nr], [(tag("cam-1")[0], "0")])
check("recalled", real[5]["notice.id"], "RC-TEST-1")
check("real traffic flagged", [p for p in real if p["malformed"]], [])
bad = [p for p in pk if p["udp.dstport"] == junk]
check("identity in a private check-in flagged", [bool(p["malformed"]) for p in bad], [True])
print("wireshark_dissector: private mode: %d packets decoded" % len(pk))
sys.exit(1 if fails else 0)
PY
