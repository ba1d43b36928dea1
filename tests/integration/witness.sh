#!/bin/sh
# recall-witness (C2SP tlog-witness) and `recall log witness`, with the real daemon on a free
# loopback port: cosignatures collected and verified (recall, and Go's note.Open when Go and
# x/mod are there); every add-checkpoint status of the spec (400, 403, 404, 409 with
# text/x.tlog.size, 413, 422); rollbacks and forks refused, forks kept as evidence; state kept
# across a restart; a state that cannot be saved means no cosignature; and a witness killed
# (SIGKILL, test-build hook RECALL_WITNESS_CRASH) in the middle of a state write, after the
# temporary file or after the rename restarts with the old or the new state, never a mix, and
# still refuses a fork of what it cosigned. Two witnesses: both cosignatures kept.
. "$(dirname "$0")/tool_common"
W="$BUILD/witness/recall-witness"
[ -x "$W" ] || { echo "no $W: build recall-witness first"; exit 1; }
command -v curl >/dev/null || { echo "skip: no curl"; exit 77; }
PID=""
PID2=""
trap '[ -z "$PID" ] || kill -9 "$PID" 2>/dev/null; [ -z "$PID2" ] || kill -9 "$PID2" 2>/dev/null
rm -rf "$T"' EXIT
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"

setup_authority
"$R" keygen logkey >/dev/null && "$R" keygen other >/dev/null && "$R" keygen wkey >/dev/null ||
	fail "keygen"
notice() {
	python3 - "$DATA/cam.json" "$1.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["id"] = "RC-WIT-%s" % sys.argv[3]
json.dump(d, open(sys.argv[2], "w"))
PY
	signed_notice "$1.json" "$1.notice" alice bob
}
for i in a1 a2 a3 a4 a5 a6 a7 a8 a9 b1 b2 b3 b4 b5 b6 b7 b8 b9; do notice "$i"; done
ORIGIN=example.org/witnessed
LVK=$("$R" log create --origin $ORIGIN --key logkey.key L) || fail "log create"
app() { "$R" log append --key logkey.key --anchors anchors.cbor "$@" >/dev/null || fail "append $*"; }
app L a1.notice a2.notice a3.notice
cp L/checkpoint cp3
ID=$(printf %s "$ORIGIN" | sha256sum | cut -c1-64)

cat >w.conf <<EOF
listen = 127.0.0.1:$PORT
state-dir = $T/wstate
key = $T/wkey.key
name = witness.test/w1
# the log's key, and a key nobody uses (a second line for the same origin: a key rollover)
log = $LVK
log = $("$R" log vkey --origin $ORIGIN other.pub)
timeout = 5s
EOF
expect 0 "$W" --vkey -c w.conf
WVK=$(cat out)
case "$WVK" in witness.test/w1+????????+*) ;; *) fail "witness vkey: $WVK" ;; esac
# The key string says algorithm 0x04 (cosignature/v1): base64 of 0x04 || key starts with "B".
case "$(echo "$WVK" | cut -d+ -f3-)" in B*) ;; *) fail "witness vkey is not of algorithm 0x04: $WVK" ;; esac
expect 0 "$W" -t -c w.conf && has out "configuration OK; $(echo "$WVK" | cut -d+ -f1,2), 1 logs"

# start [ENV=VALUE]: run the witness in the background, wait until it answers.
start() {
	env "$@" "$W" -d -c w.conf >>w.log 2>&1 &
	PID=$!
	i=0
	while [ $i -lt 100 ]; do
		curl -s -o /dev/null "$URL/metrics" && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	fail "the witness did not start: $(tail -n 3 w.log)"
}
stop() {
	kill "$PID" 2>/dev/null && wait "$PID"
	PID=""
}
# died: the witness must be gone within 5 s (it crashed on purpose); else killed, and a failure.
died() {
	i=0
	while kill -0 "$PID" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$PID" 2>/dev/null; then
		fail "$1: the witness did not die"
		kill -9 "$PID"
	fi
	wait "$PID" 2>/dev/null
	PID=""
}
# post FILE: POST FILE to add-checkpoint; status in ./code, body in ./body, type in ./ctype.
post() {
	curl -s -o body -w '%{http_code}\n%{content_type}\n' --data-binary @"$1" \
		"$URL/add-checkpoint" >resp
	sed -n 1p resp >code
	sed -n 2p resp >ctype
}
# status FILE CODE: POST FILE, the answer must be CODE.
status() {
	post "$1"
	eq "$(cat code)" "$2" "(HTTP status for $1: $(head -c 200 body))"
}
metric() { curl -s "$URL/metrics" | sed -n "s/^recall_witness_$1_total //p"; }
# body OLD CHECKPOINT [PROOF]: an add-checkpoint body.
body() {
	printf 'old %s\n' "$1"
	[ -z "${3:-}" ] || cat "$3"
	printf '\n'
	cat "$2"
}
wit() { "$R" log witness --witness "$URL" --vkey "$WVK" "$@"; }
# flip IN OUT: IN with one signature byte (past the key id) of its last line changed.
flip() {
	python3 - "$1" "$2" <<'PY'
import base64, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
name, b64 = lines[-2].rsplit(" ", 1)
raw = bytearray(base64.b64decode(b64))
raw[-5] ^= 1
lines[-2] = name + " " + base64.b64encode(bytes(raw)).decode()
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(lines))
PY
}

start
# First contact: old 0, cosigned at once; the checkpoint verifies with the log key and now
# carries exactly one cosignature line, which the answer and GET /<id>/checkpoint agree on.
expect 0 wit L && has out "cosigned size 3 at" && has out "1 cosignatures added"
expect 0 "$R" log verify --vkey "$LVK" L/checkpoint && has out "size 3"
eq "$(grep -c '^— witness.test/w1 ' L/checkpoint)" 1 "(cosignature lines)"
eq "$(grep -c "^— $ORIGIN " L/checkpoint)" 1 "(log signature lines)"
curl -s "$URL/$ID/checkpoint" >got
same got L/checkpoint
eq "$(curl -s -o /dev/null -w '%{http_code}' "$URL/$(printf %064d 0)/checkpoint")" 404 "(unknown id)"
eq "$(metric cosigned)" 1 "(cosigned count)"

# Unchanged tree: a fresh cosignature, replacing the old one (still one line).
cp L/checkpoint c3a
expect 0 wit L && has out "cosigned size 3"
eq "$(grep -c '^— witness.test/w1 ' L/checkpoint)" 1 "(cosignature lines after a re-run)"
expect 0 "$R" log verify --vkey "$LVK" L/checkpoint

# Growth: the tool gets 409 (old 0 is not 3), then sends the proof from 3.
app L a4.notice a5.notice a6.notice
cp L/checkpoint cp6
"$R" log proof --consistency 3 L >proof3-6 || fail "proof 3-6"
# A bad proof (one hash changed) is 422 and nothing is cosigned; the signed checkpoint and
# the proof are kept as evidence ("inconsistent").
python3 - <<'PY'
import base64
lines = open("proof3-6").read().split("\n")
h = bytearray(base64.b64decode(lines[0]))
h[0] ^= 1
lines[0] = base64.b64encode(bytes(h)).decode()
open("bad3-6", "w").write("\n".join(lines))
PY
cmp -s bad3-6 proof3-6 && fail "bad proof unchanged"
body 3 cp6 bad3-6 >req && status req 422 && has body "consistency proof does not verify"
ls wstate/evidence/*-inconsistent-* >/dev/null 2>&1 || fail "no evidence of the bad proof"
body 3 cp6 proof3-6 | sed '$d' >truncated && status truncated 400
# Wrong old size: 409 with the size cosigned, as text/x.tlog.size.
body 0 cp6 >req && status req 409 && eq "$(cat body)" 3 && eq "$(cat ctype)" text/x.tlog.size
body 7 cp6 >req && status req 400
# Malformed bodies: 400, naming the place.
printf 'old 03\n\n' >req && cat cp6 >>req && status req 400 && has body "old"
printf 'old 3\nnot base64\n\n' >req && cat cp6 >>req && status req 400 && has body "proof"
printf 'old 3\n' >req && status req 400
python3 -c 'import sys; sys.stdout.write("old 3\n" + "A" * 80000)' >req && status req 413
# Unknown log: 404. Signed by an unknown key, or a signature that does not verify: 403.
"$R" log create --origin example.org/other --key logkey.key O >/dev/null || fail "log O"
body 0 O/checkpoint >req && status req 404
"$R" log create --origin $ORIGIN --key wkey.key F >/dev/null || fail "log F"
body 0 F/checkpoint >req && status req 403
flip cp6 forged && ! cmp -s forged cp6 || fail "forged = cp6"
body 3 forged proof3-6 >req && status req 403
eq "$(metric bad_signature)" 2 "(bad signatures counted)"

# The tool keeps only cosignatures that verify: under another witness key, none (and the
# checkpoint file is left as it was); a witness that answers a forged cosignature, none.
"$R" keygen w2 >/dev/null && printf 'name = witness.test/w2\n' >w2.conf &&
	printf 'key = %s\n' "$T/w2.key" >>w2.conf &&
	printf 'log = %s\nstate-dir = %s\n' "$LVK" "$T/w2state" >>w2.conf
W2VK=$("$W" --vkey -c w2.conf) || fail "w2 vkey"
cp L/checkpoint before
expect 1 "$R" log witness --witness "$URL" --vkey "$W2VK" L && has err "no cosignature by a --vkey key"
same L/checkpoint before
PORT2=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# (The real witness cosigned 6 for the request just above: old 6 now.)
body 6 cp6 >req && post req && eq "$(cat code)" 200 "(a cosignature to forge)"
printf '%s\n' "$ORIGIN" >fake.note && printf '\n' >>fake.note && cat body >>fake.note
flip fake.note fake.flipped && tail -n 1 fake.flipped >fake.answer
python3 - "$PORT2" fake.answer <<'PY' &
import http.server, sys
answer = open(sys.argv[2], "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        H.done = True
    def log_message(self, *a):
        pass
H.done = False
s = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
s.timeout = 30
for _ in range(5):
    s.handle_request()
    if H.done:
        break
PY
FAKE=$!
i=0
until python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])))' \
	"$PORT2" 2>/dev/null || [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
expect 1 "$R" log witness --witness "http://127.0.0.1:$PORT2" --vkey "$WVK" L &&
	has err "does not verify"
wait "$FAKE"
same L/checkpoint before
# The real witness: the same size again.
expect 0 wit L && has out "cosigned size 6"
expect 0 "$R" log verify --vkey "$LVK" L/checkpoint && has out "size 6"
cp L/checkpoint cosigned6
# Go's note.Open (code we did not write) with the log key and a cosignature/v1 verifier.
if command -v go >/dev/null 2>&1 && [ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/note ]; then
	mkdir gocache
	GOCACHE="$T/gocache" GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS='' GOPROXY=off \
		go build -o tlogcheck "$SRC/tests/gocheck/tlogcheck/main.go" || fail "go build"
	expect 0 ./tlogcheck -log L -vkey "$LVK" -wvkey "$WVK" &&
		has out "cosigned checkpoint: note.Open ok, cosignature by witness.test/w1"
	# A cosignature changed by one byte fails there too.
	mkdir G && cp -r L/tile G/ && flip L/checkpoint G/checkpoint
	expect 1 ./tlogcheck -log G -vkey "$LVK" -wvkey "$WVK"
else
	echo "note: no Go or x/mod: the cosignature is checked by recall only"
fi

# Rollback: the checkpoint of size 3 again. old 0: 409 "6"; old 6: 400; counted.
body 0 cp3 >req && status req 409 && eq "$(cat body)" 6
body 6 cp3 >req && status req 400
[ "$(metric rollback)" -ge 1 ] || fail "rollback not counted"

# A fork: the same log key signs another history of 6 entries. The tool hears 409 6, sends
# old 6 with the other root: 422, kept as evidence, logged as FORK; the state is unchanged.
"$R" log create --origin $ORIGIN --key logkey.key K >/dev/null || fail "log K"
app K b1.notice b2.notice b3.notice b4.notice b5.notice b6.notice
expect 1 wit K && has err "HTTP 422"
ls wstate/evidence/*-fork-* >/dev/null 2>&1 || fail "no fork evidence"
has wstate/evidence/*-fork-* "$(sed -n 3p K/checkpoint)"
has wstate/evidence/*-fork-* "$(sed -n 3p cp6)"
has w.log "FORK"
# Counted per request: the tool's first request (old 0, answered 409) showed the fork too.
eq "$(metric fork)" 2 "(forks counted)"
# A longer fork (9 entries): its proof from 6 cannot lead to the root cosigned.
app K b7.notice b8.notice b9.notice
expect 1 wit K && has err "HTTP 422"
curl -s "$URL/$ID/checkpoint" >got && same got cosigned6

# Restart: the state is kept.
stop
start
body 0 cp6 >req && status req 409 && eq "$(cat body)" 6
curl -s "$URL/$ID/checkpoint" >got && same got cosigned6

# A state that cannot be saved: 500, no cosignature returned (a directory where the
# temporary file goes).
app L a7.notice
mkdir "wstate/logs/$ID.tmp"
expect 1 wit L && has err "HTTP 500"
lacks L/checkpoint "— witness.test/w1 "
rmdir "wstate/logs/$ID.tmp"
eq "$(metric state_errors)" 1 "(state errors counted)"

# Crashes (SIGKILL) during the state write for size 7.
for at in mid-write after-temp; do
	stop
	start RECALL_WITNESS_CRASH=$at
	expect 1 wit L
	died "$at"
	[ -e "wstate/logs/$ID.tmp" ] || fail "$at: no temporary file left"
	same "wstate/logs/$ID" cosigned6
	start
	has w.log "removing a temporary file an interrupted write left"
	[ -e "wstate/logs/$ID.tmp" ] && fail "$at: temporary file not removed"
	# The old state: 6, still refusing the fork of size 6.
	body 0 cp6 >req && status req 409 && eq "$(cat body)" 6 "($at)"
	body 6 K/checkpoint >req && status req 422
done
# After the rename, before the answer: the new state (7) is what counts.
stop
start RECALL_WITNESS_CRASH=after-rename
expect 1 wit L
died after-rename
start
body 0 cp6 >req && status req 409 && eq "$(cat body)" 7 "(after-rename)"
# The log asks again: the same size, cosigned again.
expect 0 wit L && has out "cosigned size 7"
expect 0 "$R" log verify --vkey "$LVK" L/checkpoint && has out "size 7"

# A damaged state file: the witness refuses to start rather than forget what it cosigned.
stop
cp "wstate/logs/$ID" saved
printf 'garbage\n' >"wstate/logs/$ID"
expect 1 "$W" -t -c w.conf && has err "not starting without the state"
cp saved "wstate/logs/$ID"
expect 0 "$W" -t -c w.conf
# A second witness on the same state directory is refused.
start
expect 1 "$W" -t -c w.conf && has err "another recall-witness is using it"

# Two witnesses: both cosignatures in the checkpoint, each checked under its own key.
PORT3=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listen = 127.0.0.1:%s\n' "$PORT3" >>w2.conf
"$W" -c w2.conf >w2.log 2>&1 &
PID2=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$PORT3/metrics" || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
expect 0 "$R" log witness --witness "$URL" --witness "http://127.0.0.1:$PORT3" --vkey "$WVK" \
	--vkey "$W2VK" L && has out "2 cosignatures added"
eq "$(grep -c '^— witness.test/w[12] ' L/checkpoint)" 2 "(two cosignature lines)"
if [ -x tlogcheck ]; then
	expect 0 ./tlogcheck -log L -vkey "$LVK" -wvkey "$WVK" -wvkey "$W2VK" &&
		has out "cosignature by witness.test/w2"
fi
kill "$PID2" && wait "$PID2"
PID2=""
stop
finish
