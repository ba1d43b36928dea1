#!/bin/sh
# recall query with anchors that name a log (PROTOCOL.md 6.3, 7.4): after a valid recall it
# sends a proof request and prints the verdict, exit 3 only when the recall is logged. Against
# fake_responder on loopback (its fixture log, tests/helpers/logfix.c): logged, cosigned two
# days ago (stale for a trusted clock), a proof of another entry, not logged (retry-later).
# Also `recall anchors create` with a log policy, and a rotation to such a set.
. "$(dirname "$0")/tool_common"
RESP=$BUILD/agent/fake_responder
[ -x "$RESP" ] || { echo "no $RESP"; exit 77; }
PORT=$((20000 + ($$ + 11) % 20000))

# The fixture log's anchors (3 test keys, k = 2; log, 3 witnesses, quorum 2).
"$RESP" anchors logged.cbor 3 2 log || fail "fake_responder anchors log"
"$RESP" anchors plain.cbor 3 2 || fail "fake_responder anchors"
expect 0 "$R" anchors show logged.cbor
has out "log       log.example.org/recall+"
has out "quorum    2 of 3 witnesses, cosignatures at most 86400 s old"
expect 0 "$R" anchors show --json logged.cbor
eq "$(json out 'd["log"]["quorum"], len(d["log"]["witnesses"]), d["log"]["origin"]')" \
	"(2, 3, 'log.example.org/recall')"
expect 0 "$R" anchors show --json plain.cbor
eq "$(json out 'd["log"]')" None

echo clear >mode
"$RESP" serve 127.0.0.1 "$PORT" "$PWD/mode" "$PWD/resp.log" &
RP=$!
trap 'kill $RP 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
sleep 0.3
Q() { "$R" query -p "$PORT" --vendor Acme --model "Cam 1" --fwver 2.4.1 --timeout 2000 "$@" 127.0.0.1; }

echo logged >mode
expect 3 Q --anchors logged.cbor
has out ";; VERDICT: valid recall for this identity"
has out ";; LOG: logged at index 5 of size 13, witnesses 2/2"
expect 3 Q --anchors logged.cbor --json
eq "$(json out 'd["exit"], d["log"]["verdict"], d["log"]["index"], d["log"]["size"], d["log"]["witnesses"]')" \
	"(3, 'logged', 5, 13, 2)"
eq "$(json out 'd["log"]["answer_bytes"] <= 1200')" True
# The same responder, anchors without a log: no proof request, a valid recall as before.
n=$(grep -c proofreq resp.log)
expect 3 Q --anchors plain.cbor
lacks out ";; LOG:"
eq "$(grep -c proofreq resp.log)" "$n" "(no proof request without a log policy)"

echo unlogged >mode # a recall, and retry-later to the proof request
expect 4 Q --anchors logged.cbor
has out ";; LOG: not logged: will not be acted on"
echo stale >mode
expect 4 Q --anchors logged.cbor
has out ";; LOG: proof invalid (outside validity period at proof.cosigs)"
echo otherlog >mode
expect 4 Q --anchors logged.cbor --json
eq "$(json out 'd["exit"], d["log"]["verdict"]')" "(4, 'invalid')"

# recall anchors create with a log policy, from key files and from verifier keys.
for k in a b c log w1 w2; do "$R" keygen "$k" >/dev/null || fail "keygen $k"; done
expect 0 "$R" anchors create --k 2 --log-key log.pub --log-origin example.org/log \
	--witness w1.example=w1.pub --witness w2.example=w2.pub --quorum 1 --max-age 2d \
	-o l1.cbor a.pub b.pub c.pub
has out "quorum    1 of 2 witnesses, cosignatures at most 172800 s old"
expect 0 "$R" log vkey --origin example.org/log log.pub
vk=$(cat out)
expect 0 "$R" anchors create --k 2 --log-vkey "$vk" --witness w1.example=w1.pub \
	--witness w2.example=w2.pub --quorum 1 --max-age 172800s -o l2.cbor a.pub b.pub c.pub
same l1.cbor l2.cbor
# Default quorum: all witnesses; default max-age 7 days.
expect 0 "$R" anchors create --k 2 --log-vkey "$vk" --witness w1.example=w1.pub -o l3.cbor \
	a.pub b.pub c.pub
has out "quorum    1 of 1 witnesses, cosignatures at most 604800 s old"
# Bad policies.
expect 1 "$R" anchors create --k 1 --log-vkey "$vk" -o x.cbor a.pub && has err "at least one --witness"
expect 1 "$R" anchors create --k 1 --log-key log.pub --witness w=w1.pub -o x.cbor a.pub &&
	has err "--log-key with --log-origin"
expect 1 "$R" anchors create --k 1 --log-vkey "$vk" --witness w1=w1.pub --quorum 2 -o x.cbor a.pub &&
	has err "--quorum: must be 1..1"
expect 1 "$R" anchors create --k 1 --log-vkey "$vk" --witness w1=w1.pub --max-age 10s -o x.cbor a.pub &&
	has err "--max-age: must be a duration from 60s to 365d"
expect 1 "$R" anchors create --k 1 --log-vkey "$vk" --witness "w 1=w1.pub" -o x.cbor a.pub &&
	has err "--witness: 'w 1' is not a valid name"
expect 1 "$R" anchors create --k 1 --log-vkey "$vk" --witness w1=w1.pub --witness w2=w1.pub \
	-o x.cbor a.pub && has err "has the same key as"
expect 1 "$R" anchors create --k 1 --log-vkey nonsense --witness w1=w1.pub -o x.cbor a.pub &&
	has err "not a verifier key"
# Rotation from a set without a log to one with it, and back.
expect 0 "$R" anchors create --k 2 -o e1.cbor a.pub b.pub c.pub
expect 0 "$R" anchors create --k 2 --epoch 2 --log-vkey "$vk" --witness w1.example=w1.pub \
	-o e2.cbor a.pub b.pub c.pub
expect 0 "$R" anchors create --k 2 --epoch 3 -o e3.cbor a.pub b.pub c.pub
expect 0 "$R" anchors rotate --from e1.cbor --to e2.cbor -k a.key -k b.key -o r12
expect 0 "$R" anchors rotate --from e2.cbor --to e3.cbor -k a.key -k c.key -o r23
expect 0 "$R" anchors verify -o final2.cbor e1.cbor r12
same final2.cbor e2.cbor
expect 0 "$R" anchors verify --json -o final3.cbor e1.cbor r12 r23
eq "$(json out 'd["ok"], d["steps"][0]["ok"], d["final"]["log"]')" "(True, True, None)"
same final3.cbor e3.cbor
finish
