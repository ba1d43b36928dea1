#!/bin/sh
# recall anchors: create, show, rotate (signed by the keys given, or signed later and merged),
# verify a chain of rotations; bad input names the file and field.
. "$(dirname "$0")/tool_common"

for k in a b c d e; do "$R" keygen "$k" >/dev/null || fail "keygen $k"; done

expect 0 "$R" anchors create --k 2 --epoch 1 -o e1.cbor a.pub b.pub c.pub
has out "threshold 2 of 3"
has out "epoch     1"
id1=$(sed -n 's/^  id *\([0-9a-f]*\)$/\1/p' out)
eq "${#id1}" 16 "(anchor set id)"
expect 0 "$R" anchors show --json e1.cbor
eq "$(json out 'd["k"], d["n"], d["epoch"], d["id"]')" "(2, 3, 1, '$id1')"
eq "$(json out 'd["type"]')" anchors
# Key order does not matter: the set is sorted, so the bytes are the same.
expect 0 "$R" anchors create --threshold 2 -o e1b.cbor c.pub a.pub b.pub
same e1.cbor e1b.cbor
# -t, the old letter of --threshold (-t is --test in the daemons), still works, with a warning
expect 0 "$R" anchors create -t 2 -o e1c.cbor c.pub a.pub b.pub && has err "use --threshold"
same e1.cbor e1c.cbor

# Bad sets.
expect 2 "$R" anchors create --k 4 -o x.cbor a.pub b.pub c.pub && has err "--k must be 1..3"
expect 2 "$R" anchors create --k 0 -o x.cbor a.pub && has err "--k must be 1..1"
expect 1 "$R" anchors create --k 1 -o x.cbor a.pub a.pub && has err "a.pub: the same key as a.pub"
printf 'garbage' >junk.cbor
expect 1 "$R" anchors show junk.cbor && has err "junk.cbor: anchors at byte 0"
head -c 20 e1.cbor >trunc.cbor
expect 1 "$R" anchors show trunc.cbor && has err "trunc.cbor: anchors.keys"
expect 1 "$R" anchors show nothere.cbor && has err "nothere.cbor: No such file"

# Rotation to epoch 2: c leaves (revoked), d joins; signed by a and b at once.
expect 0 "$R" anchors create --k 2 --epoch 2 -o e2.cbor a.pub b.pub d.pub
expect 0 "$R" anchors rotate --from e1.cbor --to e2.cbor --revoke c.pub -k a.key -k b.key -o r12
has out "rotation statement from epoch 1 to 2, 1 revoked, 2 signatures"
expect 0 "$R" anchors show r12 && has out "from epoch 1" && has out "revoked kid"
expect 0 "$R" anchors show --json r12
eq "$(json out 'd["type"], d["from_epoch"], d["next"]["epoch"], len(d["signatures"])')" \
	"('rotation', 1, 2, 2)"
expect 0 "$R" anchors verify -o final.cbor e1.cbor r12
has out "accepted: 2 of 2 needed signatures"
same final.cbor e2.cbor

# Epoch 3, signed separately by two holders of epoch-2 keys and merged in either order.
expect 0 "$R" anchors create --k 3 --epoch 3 -o e3.cbor a.pub b.pub d.pub e.pub
expect 0 "$R" anchors rotate --from e2.cbor --to e3.cbor -o r23
has out "0 signatures"
cp r23 r23.b
cp r23 r23.d
expect 0 "$R" anchors sign -k b.key r23.b
expect 0 "$R" anchors sign -k d.key r23.d
expect 0 "$R" anchors merge -o r23.bd r23.b r23.d
expect 0 "$R" anchors merge -o r23.db r23.d r23.b
same r23.bd r23.db
expect 0 "$R" anchors verify --json e1.cbor r12 r23.bd
eq "$(json out 'd["ok"], d["final"]["epoch"], d["final"]["k"], len(d["steps"])')" "(True, 3, 3, 2)"

# Failures: too few signatures, a revoked key's signature, wrong order, wrong epoch.
expect 1 "$R" anchors verify e1.cbor r12 r23.b
has err "r23.b: rotation not accepted: 1 valid signature of the 2 needed from epoch 2's keys"
cp r23 r23.c
expect 0 "$R" anchors sign -k c.key r23.c
expect 0 "$R" anchors merge -o r23.bc r23.b r23.c
expect 1 "$R" anchors verify e1.cbor r12 r23.bc && has out "ignored: not in the anchor set"
expect 1 "$R" anchors verify e1.cbor r23.bd
has err "it rotates from epoch 2, but the set at this point has epoch 1"
expect 1 "$R" anchors verify e1.cbor r12 r12 && has err "rotates from epoch 1"
expect 1 "$R" anchors verify --json e1.cbor r23.bd
eq "$(json out 'd["ok"], d["steps"][0]["ok"]')" "(False, False)"
expect 1 "$R" anchors rotate --from e1.cbor --to e3.cbor -o x && has err "e3.cbor: anchors.epoch: is 3"
expect 1 "$R" anchors rotate --from e1.cbor --to e2.cbor --revoke a.pub -o x \
	&& has err "is still in the next set"
expect 1 "$R" anchors rotate --from e1.cbor --to e2.cbor --revoke e.pub -o x \
	&& has err "is not a key of e1.cbor"
expect 1 "$R" anchors rotate --from e1.cbor --to e2.cbor --revoke 0011 -o x \
	&& has err "0011: No such file"
# A statement with a flipped byte does not verify; a notice is not a statement.
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-10] ^= 1; open(sys.argv[2], "wb").write(b)' r12 r12.bad
expect 1 "$R" anchors verify e1.cbor r12.bad && has err "r12.bad: rotation not accepted"
printf '{"id":"N","expiry":2000000000,"action":"notify","severity":"low","text":"t","remedy":{"url":"https://x"},"target":{"vendor":"v","model":"m","versions":["1"]}}' >n.json
"$R" notice create -o n.notice n.json >/dev/null
expect 1 "$R" anchors verify e1.cbor n.notice && has err "this is a notice (65100), not a rotation statement"
expect 1 "$R" anchors sign -k a.key n.notice && has err "not a rotation statement"
expect 1 "$R" anchors show n.notice && has err "not an anchor set or rotation statement"
expect 1 "$R" anchors merge -o x r12 r23 && has err "r23: not the same rotation statement as r12"
finish
