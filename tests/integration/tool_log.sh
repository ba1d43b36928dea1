#!/bin/sh
# recall log: create, append (only notices and rotations that meet their threshold, all or
# nothing), tiles and entry bundles on disk, checkpoint, inclusion and consistency proofs and
# their verification; every forged, truncated or mismatched input is refused with a message
# naming the file, and exit status 1.
. "$(dirname "$0")/tool_common"
setup_authority
"$R" keygen logkey >/dev/null || fail "keygen logkey"
"$R" keygen other >/dev/null || fail "keygen other"

# notice N KEY...: nN.notice, a distinct notice signed by the keys given.
notice() {
	i=$1
	shift
	cam_notice "RC-LOG-$i" Acme "n$i.notice" "$@"
}
for i in 1 2 3 4 5 6; do notice "$i" alice bob; done
notice weak alice

expect 0 "$R" log create --origin example.org/recall-log --key logkey.key L
VK=$(cat out)
case "$VK" in example.org/recall-log+????????+*) ;; *) fail "verifier key: $VK" ;; esac
expect 0 "$R" log vkey --origin example.org/recall-log logkey.pub
eq "$(cat out)" "$VK" "(log vkey)"
printf '%s\n' "$VK" >log.vkey
expect 0 "$R" log verify --vkey "$VK" L/checkpoint && has out "size 0 root e3b0c442"
expect 1 "$R" log create --origin example.org/recall-log --key logkey.key L && has err "L/checkpoint: already exists"
expect 1 "$R" log create --origin "bad name" --key logkey.key M && has err "not a valid note name"

# Only notices that meet the threshold; one bad file stops the whole append.
expect 1 "$R" log append --key logkey.key --anchors anchors.cbor L n1.notice nweak.notice
has err "nweak.notice: notice RC-LOG-weak: threshold not met: 1 valid of 2 needed; not logged"
has err "1 of 2 files refused; nothing appended"
expect 0 "$R" log verify --vkey log.vkey L/checkpoint && has out "size 0"
printf 'junk' >junk.notice
expect 1 "$R" log append --key logkey.key --anchors anchors.cbor L junk.notice && has err "junk.notice"
cat n1.notice n2.notice >two.notice
expect 1 "$R" log append --key logkey.key --anchors anchors.cbor L two.notice && has err "two.notice"
expect 1 "$R" log append --key logkey.key --anchors anchors.cbor L anchors.cbor
expect 1 "$R" log append --key other.key --anchors anchors.cbor L n1.notice
has err "L/checkpoint: not signed by the key in other.key"

expect 0 "$R" log append --key logkey.key --anchors anchors.cbor L n1.notice n2.notice n3.notice
has out "L: 3 entries"
cp L/checkpoint cp3
{ [ -f L/tile/0/000.p/3 ] && [ -f L/tile/entries/000.p/3 ]; } || fail "tiles of size 3"
eq "$(wc -c <L/tile/0/000.p/3)" 96 "(3 hashes)"
# The entry bundle holds the exact notice bytes, each after a 16-bit length.
python3 - L/tile/entries/000.p/3 n1.notice n2.notice n3.notice <<'PY' || fail "entry bundle"
import sys
b = open(sys.argv[1], "rb").read()
for f in sys.argv[2:]:
    e = open(f, "rb").read()
    assert b[:2] == len(e).to_bytes(2, "big") and b[2:2 + len(e)] == e, f
    b = b[2 + len(e):]
assert not b
PY
# A rotation statement is logged too, and the notices after it are judged by the new set.
"$R" anchors create --k 1 --epoch 2 -o e2.cbor carol.pub >/dev/null
"$R" anchors rotate --from anchors.cbor --to e2.cbor -k alice.key -k bob.key -o rot >/dev/null ||
	fail "rotate"
notice c1 carol
expect 1 "$R" log append --key logkey.key --anchors anchors.cbor L nc1.notice
expect 0 "$R" log append --key logkey.key --anchors anchors.cbor L n4.notice rot nc1.notice
has out "L: 6 entries"
cp L/checkpoint cp6

# Inclusion proofs: each entry in its own place only.
for i in 0 1 2; do
	expect 0 "$R" log proof --index "$i" L && cp out "p$i"
	has "p$i" "c2sp.org/tlog-proof@v1"
done
expect 0 "$R" log verify --vkey log.vkey --proof p1 n2.notice && has out "entry 1 of checkpoint"
expect 1 "$R" log verify --vkey log.vkey --proof p1 n3.notice
has err "p1: n3.notice is not entry 1 of the checkpoint (size 6): the proof does not lead"
expect 0 "$R" log proof --index 4 L && cp out p4
expect 0 "$R" log verify --vkey log.vkey --proof p4 rot
expect 1 "$R" log proof --index 6 L && has err "no inclusion proof of entry 6"
expect 0 "$R" log proof --index 1 --size 3 L
lacks out "tlog-proof"
eq "$(wc -l <out)" 2 "(bare proof of 1 in 3)"
# A proof with a changed hash, a forged checkpoint, another log's key: refused.
awk 'NR == 3 { c = substr($0, 1, 1); $0 = (c == "A" ? "B" : "A") substr($0, 2) } 1' p1 >p1bad
expect 1 "$R" log verify --vkey log.vkey --proof p1bad n2.notice
sed 's/^6$/7/' p1 >p1size
expect 1 "$R" log verify --vkey log.vkey --proof p1size n2.notice && has err "the log signature does not verify"
OVK=$("$R" log vkey --origin example.org/recall-log other.pub)
expect 1 "$R" log verify --vkey "$OVK" --proof p1 n2.notice && has err "no signature by the log key"
expect 1 "$R" log verify --vkey log.vkey --proof n1.notice n2.notice && has err "n1.notice: byte 0: proof.header"
head -c 40 p1 >p1trunc
expect 1 "$R" log verify --vkey log.vkey --proof p1trunc n2.notice && has err "p1trunc: byte"
expect 1 "$R" log verify --vkey example.org+0000+AAAA L/checkpoint && has err "not a verifier key"

# Consistency: 3 -> 6 holds; swapped or from a forked log it does not.
expect 0 "$R" log proof --consistency 3 L && cp out c36
expect 0 "$R" log verify --vkey log.vkey --consistency c36 cp3 cp6 && has out "consistent"
expect 1 "$R" log verify --vkey log.vkey --consistency c36 cp6 cp3
"$R" log create --origin example.org/recall-log --key logkey.key G >/dev/null
"$R" log append --key logkey.key --anchors anchors.cbor G n1.notice n2.notice n5.notice >/dev/null
expect 1 "$R" log verify --vkey log.vkey --consistency c36 G/checkpoint cp6
has err "is not a prefix of cp6 (size 6): the proof does not lead to both root hashes"
expect 0 "$R" log proof --consistency 6 L && eq "$(wc -c <out)" 0 "(empty proof, same size)"
expect 1 "$R" log proof --consistency 0 L
expect 1 "$R" log proof --consistency 7 L

# A damaged tile is named, never used silently.
cp L/tile/0/000.p/6 tile.bak && head -c 100 tile.bak >L/tile/0/000.p/6
expect 1 "$R" log proof --index 0 L && has err "L/tile/0/000.p/6: 100 bytes, not the 6 hashes"
expect 1 "$R" log append --key logkey.key --anchors e2.cbor L nc1.notice
# Right size, wrong hash; or a swapped entry: append stops, naming what is wrong.
cp tile.bak L/tile/0/000.p/6
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[40] ^= 1; open(sys.argv[1], "wb").write(b)' L/tile/0/000.p/6
expect 1 "$R" log append --key logkey.key --anchors e2.cbor L nc1.notice
has err "L: the tiles do not give the checkpoint's root hash; not appending"
cp tile.bak L/tile/0/000.p/6
cp L/tile/entries/000.p/6 bundle.bak
python3 - L/tile/entries/000.p/6 <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[-1] ^= 1
open(sys.argv[1], "wb").write(b)
PY
expect 1 "$R" log append --key logkey.key --anchors e2.cbor L nc1.notice
has err "L/tile/entries/000.p/6: byte"
has err "entry 5 is not the one the log's hashes name"
cp bundle.bak L/tile/entries/000.p/6
same L/checkpoint cp6
expect 0 "$R" log checkpoint --vkey log.vkey L && same out L/checkpoint
# Two appends at once: the second is refused (flock on the directory), nothing changes.
if command -v flock >/dev/null 2>&1; then
	expect 1 flock L "$R" log append --key logkey.key --anchors e2.cbor L nc1.notice
	has err "L: another append to this log is running"
	same L/checkpoint cp6
fi
expect 1 "$R" log checkpoint --vkey "$OVK" L
expect 2 "$R" log proof L
expect 2 "$R" log append L n1.notice
expect 0 "$R" log --help && has out "append"
finish
