#!/bin/sh
# Independent verification of `recall log` (issue 11, item 5): a log of 600 entries built in
# five appends (crossing tile and power-of-two boundaries) is checked by tests/gocheck/tlogcheck,
# which uses golang.org/x/mod/sumdb/note and sumdb/tlog and crypto/ed25519 - code we did not
# write: checkpoint signatures (note.Open), the tree root over the entry bundles (TreeHash), every
# hash tile (ReadTileData, TileHashReader), inclusion proofs (CheckRecord, ProveRecord), the
# consistency proofs between every pair of saved checkpoints (CheckTree), and a cosignature.
# Skips (77) without Go and x/mod (Debian: golang-go, golang-golang-x-mod-dev).
. "$(dirname "$0")/tool_common"
command -v go >/dev/null 2>&1 || { echo "skip: no go"; exit 77; }
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ] || { echo "skip: no x/mod"; exit 77; }
# Offline, with Debian's GOPATH layout and a scratch build cache.
mkdir gocache
GOCACHE="$T/gocache" GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS='' GOPROXY=off \
	go build -o tlogcheck "$SRC/tests/gocheck/tlogcheck/main.go" || { fail "go build"; finish; }

setup_authority
"$R" keygen logkey >/dev/null
# 300 distinct notices signed by alice and bob (python writes the descriptions).
python3 - "$DATA/cam.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for i in range(300):
    d["id"] = "RC-GO-%03d" % i
    json.dump(d, open("g%03d.json" % i, "w"))
PY
for j in g*.json; do signed_notice "$j" "${j%.json}.notice" alice bob; done
VK=$("$R" log create --origin example.org/gocheck --key logkey.key L)
app() { "$R" log append --key logkey.key --anchors anchors.cbor L "$@" >/dev/null || fail "append"; }
set -- g*.notice
app "$1" && cp L/checkpoint cp1
app "$2" "$3" && cp L/checkpoint cp3
shift 3
# shellcheck disable=SC2046 # notice file names have no spaces
app $(printf '%s\n' "$@" | head -n 254) && cp L/checkpoint cp257
# shellcheck disable=SC2046 # notice file names have no spaces
app $(printf '%s\n' "$@" | tail -n 43) && cp L/checkpoint cp300
app g*.notice && cp L/checkpoint cp600
eq "$(sed -n 2p L/checkpoint)" 600 "(log size)"

args=""
for i in 0 1 2 255 256 299 300 511 512 599; do
	"$R" log proof --index "$i" L >"p$i" || fail "proof $i"
	e=$(printf 'g%03d.notice' $((i % 300)))
	args="$args -incl p$i=$e"
done
for o in 1 3 257 300; do
	for n in 3 257 300 600; do
		[ "$o" -lt "$n" ] || continue
		"$R" log proof --consistency "$o" --size "$n" L >"c$o-$n" || fail "consistency $o $n"
		args="$args -cons c$o-$n=cp$o=cp$n"
	done
done
checks=$((checks + 1))
# shellcheck disable=SC2086
./tlogcheck -log L -vkey "$VK" $args -cosig "$SRC/tests/fuzz/corpus/note/cosigned-checkpoint" \
	>go.out 2>&1 || fail "tlogcheck: $(cat go.out)"
sed "s/^/    go: /" go.out
has go.out "TreeHash matches the checkpoint root"
has go.out "identical to Go's, authenticated by TileHashReader"
has go.out "p599: CheckRecord ok (entry 599 of 600), same as ProveRecord"
has go.out "c257-600: CheckTree ok (257 to 600)"
has go.out "cosignature: ed25519.Verify ok"
# And the other way round: our verifier accepts what Go accepted.
"$R" log verify --vkey "$VK" --proof p512 g212.notice >/dev/null || fail "recall log verify p512"
finish
