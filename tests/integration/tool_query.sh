#!/bin/sh
# recall query against a tiny responder on loopback (python3, answers built here: clear,
# recalled with notices made by 'recall import' + 'recall notice', retry-later, unsupported,
# rotate, garbage, answers to other nonces, oversized answers, silence), over IPv4 and IPv6;
# then against the real recalld when the build has it. Packets go to loopback only.
. "$(dirname "$0")/tool_common"
D="$SRC/tests/data"
setup_authority

# A responder that answers the check-ins it receives, one mode per datagram, then exits.
cat >resp.py <<'PY'
import os, socket, sys
fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind(("::1" if fam == socket.AF_INET6 else "127.0.0.1", 0))
with open("port.tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename("port.tmp", "port")
s.settimeout(20)

def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")

for mode in sys.argv[2:]:
    data, peer = s.recvfrom(65536)
    with open("checkin.bin", "wb") as f:
        f.write(data)
    if len(data) != 1200 or data[:7] != bytes.fromhex("a8000101010250"):
        with open("resp.err", "a") as f:
            f.write("bad check-in: %d bytes\n" % len(data))
        continue
    nonce = data[7:23]
    def answer(t, key, val, n=nonce):
        return bytes([0xA4, 0, t, 1, 1, 2, 0x50]) + n + bytes([key]) + val
    clear = answer(2, 3, head(0, 2024110501))
    kind, _, arg = mode.partition(":")
    if kind == "clear":
        s.sendto(clear, peer)
    elif kind == "recalled":
        s.sendto(answer(3, 4, head(2, os.path.getsize(arg)) + open(arg, "rb").read()), peer)
    elif kind == "rotate":
        s.sendto(answer(6, 7, head(2, os.path.getsize(arg)) + open(arg, "rb").read()), peer)
    elif kind == "retry":
        s.sendto(answer(4, 5, head(0, 3600)), peer)
    elif kind == "unsupported":
        s.sendto(answer(5, 6, head(0, 1)), peer)
    elif kind == "garbage":
        s.sendto(b"\xff\x00 not an answer", peer)
        s.sendto(clear, peer)
    elif kind == "othernonce":
        s.sendto(answer(2, 3, head(0, 1), bytes(16)), peer)
        s.sendto(clear, peer)
    elif kind == "big":
        s.sendto(clear + bytes(1300 - len(clear)), peer)
PY

# serve FAMILY MODE...: start the responder, wait for its port (in $P).
serve() {
	rm -f port checkin.bin
	python3 resp.py "$@" &
	SPID=$!
	n=0
	while [ ! -s port ] && [ $n -lt 100 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	P=$(cat port 2>/dev/null)
	[ -n "$P" ] || fail "responder did not start"
}
done_serving() {
	wait "$SPID" 2>/dev/null
	checks=$((checks + 1))
	[ ! -e resp.err ] || fail "responder: $(cat resp.err)"
	rm -f resp.err
}

# Notices from a real record: the NVD draft of CVE-2023-1389 (TP-Link Archer AX21 < 1.1.4).
mkdir drafts
"$R" import nvd -o drafts "$D/nvd/CVE-2023-1389.json" 2>/dev/null || fail "import"
signed_notice drafts/CVE-2023-1389_tp-link_archer_ax21.json ax21.notice alice bob
signed_notice drafts/CVE-2023-1389_tp-link_archer_ax21.json one.notice alice
ID="--vendor TP-Link --model archer_ax21 --fwver"
OLD="1.1.3 Build 20221209"
NEW="1.1.4 Build 20230219"

serve 4 clear
expect 0 "$R" query -p "$P" $ID "$OLD" 127.0.0.1
has out "; recall query 127.0.0.1 port $P"
has out "; identity: vendor tp-link, model archer_ax21, hwrev \"\", fwver \"$OLD\""
has out "; check-in: 1200 bytes, reason boot, state normal, anchor epoch 0"
has out ";; ANSWER: clear, "
has out ";; CLEAR: feed serial 2024110501"
done_serving
checks=$((checks + 1))
grep -qa "archer_ax21" checkin.bin && grep -qa "$OLD" checkin.bin || fail "identity not in the check-in"

serve 4 recalled:ax21.notice
expect 3 "$R" query -p "$P" -a anchors.cbor $ID "$OLD" 127.0.0.1
has out ";; ANSWER: recalled"
has out "id         CVE-2023-1389:tp-link:archer_ax21"
has out ";; VERDICT: valid recall for this identity (2 of 3 anchor keys signed, 2 needed"
has out "(anchor "
done_serving
serve 4 recalled:ax21.notice
expect 4 "$R" query -p "$P" -a anchors.cbor $ID "$NEW" 127.0.0.1
has out "NOT VALID: does not cover this identity"
done_serving
serve 4 recalled:ax21.notice
expect 4 "$R" query -p "$P" $ID "$OLD" 127.0.0.1 && has out "not verified (give --anchors)"
done_serving
serve 4 recalled:one.notice
expect 4 "$R" query -p "$P" -a anchors.cbor $ID "$OLD" 127.0.0.1
has out "NOT VALID: too few trusted signatures (1 of 3 anchor keys signed, 2 needed"
done_serving
serve 4 recalled:ax21.notice
expect 3 "$R" query --json -p "$P" -a anchors.cbor --reason periodic --state quarantined $ID "$OLD" 127.0.0.1
eq "$(json out '(d["answer"], d["verdict"], d["trusted_signatures"], d["notice"]["target"]["model"], d["exit"], d["request_bytes"], d["answer_bytes"] <= 1200, d["rtt_ms"] >= 0)')" \
	"('recalled', 'valid', 2, 'archer_ax21', 3, 1200, True, True)"
done_serving

# The identity from an os-release style file (as recall-agent reads it); names canonicalised.
printf 'NAME="Acme OS"\nRECALL_VENDOR="TP-Link"\nRECALL_MODEL=Archer AX21\nRECALL_HWREV=v3\nVERSION_ID=1.1.3\nRECALL_BUILD_DATE=2022-12-09\n' >identity
serve 4 clear
expect 0 "$R" query -p "$P" -i identity --epoch 7 127.0.0.1
has out "vendor tp-link, model archer%20ax21, hwrev \"v3\", fwver \"1.1.3\", built 2022-12-09T00:00:00Z"
has out "anchor epoch 7"
done_serving

# Other answers.
serve 4 retry
expect 5 "$R" query -p "$P" $ID "$OLD" 127.0.0.1 && has out ";; RETRY-LATER: in 3600 s"
done_serving
serve 4 unsupported
expect 5 "$R" query -p "$P" --json $ID "$OLD" 127.0.0.1
eq "$(json out '(d["answer"], d["max_version"], d["exit"])')" "('unsupported', 1, 5)"
done_serving
for k in dave erin; do "$R" keygen "$k" >/dev/null; done
"$R" anchors create --k 1 --epoch 2 -o next.cbor dave.pub erin.pub >/dev/null
"$R" anchors rotate --from anchors.cbor --to next.cbor -k alice.key -k carol.key -o rot.stmt >/dev/null ||
	fail "anchors rotate"
serve 4 rotate:rot.stmt
expect 5 "$R" query -p "$P" -a anchors.cbor $ID "$OLD" 127.0.0.1
has out ";; ROTATION statement" && has out "valid, to anchor epoch 2"
done_serving

# What a client must ignore: garbage, answers to other check-ins; then the real answer.
serve 4 garbage
expect 0 "$R" query -p "$P" $ID "$OLD" 127.0.0.1 && has out "(1 other datagrams ignored)"
has err "ignored a 16-byte datagram"
done_serving
serve 4 othernonce
expect 0 "$R" query -p "$P" --json $ID "$OLD" 127.0.0.1
eq "$(json out '(d["answer"], d["serial"], d["ignored"])')" "('clear', 2024110501, 1)"
done_serving
serve 4 big
expect 1 "$R" query -p "$P" --timeout 500 $ID "$OLD" 127.0.0.1
has err "no answer within 500 ms (ignored: an answer larger than the check-in)"
done_serving
serve 4 silent
expect 1 "$R" query -p "$P" --timeout 300 $ID "$OLD" 127.0.0.1 && has err "no answer within 300 ms"
# a duration takes units (a bare number stays milliseconds)
expect 2 "$R" query -p "$P" --timeout 0.3s $ID "$OLD" 127.0.0.1 && has err "'0.3s': give 1ms to 10m"
done_serving
# Nobody listening: the port-unreachable error comes back at once.
P=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect 1 "$R" query -p "$P" --timeout 2000 $ID "$OLD" 127.0.0.1 && has err "port unreachable"
expect 1 "$R" query -p "$P" -t 2s $ID "$OLD" 127.0.0.1 && has err "port unreachable" &&
	has err "-t is an old spelling of --timeout"

# IPv6 loopback, where the host has it.
if python3 -c 'import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).bind(("::1", 0))' 2>/dev/null; then
	serve 6 clear
	expect 0 "$R" query -p "$P" $ID "$OLD" ::1 && has out "; recall query ::1 port $P"
	done_serving
fi

# Bad command lines and inputs.
expect 1 "$R" query $ID "$OLD" localhost && has err "localhost: not a numeric IPv4 or IPv6 address"
# identity options missing or malformed: a command-line error (2), as recall(1) says
expect 2 "$R" query --vendor acme --model cam 127.0.0.1 && has err "fwver: missing"
expect 2 "$R" query --vendor acme --model cam --fwver " 1.0" 127.0.0.1 && has err "fwver: 1..64"
expect 2 "$R" query --vendor acme --fwver 1.0 127.0.0.1 && has err "model: missing"
expect 1 "$R" query -i nothere $ID "$OLD" 127.0.0.1 && has err "nothere"
expect 2 "$R" query $ID "$OLD" --digest abc 127.0.0.1 && has err "digest: expected 64 hex digits"
expect 1 "$R" query -a ax21.notice $ID "$OLD" 127.0.0.1 && has err "ax21.notice"
expect 2 "$R" query $ID "$OLD"
expect 2 "$R" query -p 0 $ID "$OLD" 127.0.0.1
expect 2 "$R" query --reason reboot $ID "$OLD" 127.0.0.1
expect 2 "$R" query --state off $ID "$OLD" 127.0.0.1
expect 2 "$R" query --timeout 0 $ID "$OLD" 127.0.0.1
expect 0 "$R" query --help && has out "usage: recall query"

# The real responder, when this build has it: a feed with the notice, then one query each way.
RD="$BUILD/responder/recalld"
if [ -x "$RD" ]; then
	expect 0 "$R" feed build -k feed.key -a anchors.cbor -o feed --serial 7 ax21.notice
	P=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	printf 'listen = 127.0.0.1\nport = %s\nworkers = 1\nfeed = %s/feed\nfeed-key = %s/feed.pub\nanchors = %s/anchors.cbor\n' \
		"$P" "$T" "$T" "$T" >recalld.conf
	"$RD" -f -c recalld.conf >recalld.log 2>&1 &
	RDPID=$!
	n=0
	until "$R" query -p "$P" --timeout 100 $ID "$NEW" 127.0.0.1 >/dev/null 2>&1 || [ $n -ge 50 ]; do
		n=$((n + 1))
		sleep 0.1
	done
	expect 0 "$R" query -p "$P" $ID "$NEW" 127.0.0.1 && has out ";; CLEAR: feed serial 7"
	expect 3 "$R" query -p "$P" -a anchors.cbor $ID "$OLD" 127.0.0.1
	has out "valid recall for this identity"
	kill "$RDPID" 2>/dev/null
	wait "$RDPID" 2>/dev/null
else
	echo "note: $RD not built; the real-responder part is skipped"
fi
finish
