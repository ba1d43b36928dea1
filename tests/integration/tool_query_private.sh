#!/bin/sh
# recall query --private against the real recalld on loopback (PROTOCOL.md 18): over a catalogue
# of notices (several per model, the covering one not the first, a monitored one, a model whose
# bucket has two pages, models without notices, real firmware version strings), `recall query`
# and `recall query --private` give the same verdict and exit status for every identity; the
# walk takes the round trips 18.4 says; a notice request after the feed changed is answered
# clear; a notice that ends while recalld runs leaves both modes clear (the private table is
# rebuilt at its expiry, without a reload);
# recalld counts what it answered and logs no identity for a private check-in.
. "$(dirname "$0")/tool_common"
RD="$BUILD/responder/recalld"
[ -x "$RD" ] || { echo "SKIP: $RD not built"; exit 77; }
setup_authority

# The catalogue: notice JSON files, and the identities to ask about (vendor model fwver).
python3 - "$SRC/tests/data/firmware-versions/firmware_version_strings_corpus.tsv" <<'PY'
import hashlib, json, sys

def notice(i, vendor, model, action="quarantine", sev="high", versions=None, ranges=None):
    t = {"vendor": vendor, "model": model}
    if versions:
        t["versions"] = versions
    if ranges:
        t["ranges"] = ranges
    json.dump({"id": "PQ-%d" % i, "issued": "2026-01-01", "expiry": "2036-01-01",
               "action": action, "severity": sev, "text": "test notice %d" % i,
               "remedy": {"url": "https://example.org/fw"}, "target": t},
              open("n%03d.json" % i, "w"))

def prefix(vendor, model):
    h = hashlib.sha256(b"recall-private-v1\0" + vendor.encode() + b"\0" + model.encode()).digest()
    return h[0] << 4 | h[1] >> 4, h[:8]

real = [l.split("\t")[0] for l in open(sys.argv[1]) if l[0] != "#" and "\t" in l][1:]
real = [v for v in real if 0 < len(v) <= 64 and " " not in v][:6]
ids = []
# acme cam-a: three notices in feed order (quarantine high, quarantine medium, notify low);
# 2.5 is covered only by the second, 5.0 only by the third
notice(0, "acme", "cam-a", sev="high", versions=["1.0"])
notice(1, "acme", "cam-a", sev="medium", ranges=[{"lo": "2.0", "hi": "3.0"}])
notice(2, "acme", "cam-a", action="notify", sev="low", versions=["5.0"])
ids += [("acme", "cam-a", v) for v in ("1.0", "2.5", "4.0", "5.0", "0.9")]
# acme cam-m: monitored by policy: clear in both modes
notice(3, "acme", "cam-m", versions=["1.0"])
ids += [("acme", "cam-m", "1.0")]
# real firmware version strings: each exact, on its own model
for k, v in enumerate(real):
    notice(10 + k, "hikvision", "ds-%d" % k, sev="critical", versions=[v])
    ids += [("hikvision", "ds-%d" % k, v), ("hikvision", "ds-%d" % k, v + "-x")]
# 120 models under one prefix: a bucket of two pages (116 per page)
want = prefix("paged", "m-0")[0]
paged, i = [], 0
while len(paged) < 120:
    if prefix("paged", "m-%d" % i)[0] == want:
        paged.append("m-%d" % i)
    i += 1
for k, m in enumerate(paged):
    notice(100 + k, "paged", m, versions=["1.0"])
last = max(paged, key=lambda m: prefix("paged", m)[1])  # on the second page
ids += [("paged", paged[0], "1.0"), ("paged", last, "1.0"), ("paged", last, "2.0")]
# models without any notice, one of them under the paged prefix
extra = next("x-%d" % j for j in range(100000) if prefix("paged", "x-%d" % j)[0] == want)
ids += [("nobody", "nothing", "1.0"), ("paged", extra, "1.0")]
with open("ids", "w") as f:
    for v, m, fw in ids:
        f.write("%s\t%s\t%s\n" % (v, m, fw))
with open("paged.last", "w") as f:
    f.write(last)
PY
for j in n*.json; do
	signed_notice "$j" "${j%.json}.notice" alice bob
done
expect 0 "$R" feed build -k feed.key -a anchors.cbor -o feed --serial 7 n*.notice ||
	{ finish; }

P=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
M=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >recalld.conf <<EOF
listen = 127.0.0.1
port = $P
workers = 1
feed = $T/feed
feed-key = $T/feed.pub
anchors = $T/anchors.cbor
ratelimit = no
policy = monitor notice PQ-3
event-log = $T/events
metrics = yes
metrics-listen = 127.0.0.1:$M
feed-poll = 1s
EOF
"$RD" -f -c recalld.conf >recalld.log 2>&1 &
RDPID=$!
trap 'kill "$RDPID" 2>/dev/null; rm -rf "$T"' EXIT
n=0
until "$R" query -p "$P" --timeout 100 --vendor a --model b --fwver 1 127.0.0.1 >/dev/null 2>&1 ||
	[ $n -ge 50 ]; do
	n=$((n + 1))
	sleep 0.1
done

# verdict FILE: the JSON document's verdict (the answer, and verdict when there is one)
verdict() {
	json "$1" 'd["answer"] + "/" + d.get("verdict", "-") + "/" + d.get("notice", {}).get("id", "-")'
}
tab=$(printf '\t')
ok=0
while IFS="$tab" read -r v m fw; do
	"$R" query -p "$P" -a anchors.cbor --json --vendor "$v" --model "$m" --fwver "$fw" \
		127.0.0.1 >n.json 2>n.err
	rn=$?
	"$R" query -p "$P" -a anchors.cbor --json --private --vendor "$v" --model "$m" \
		--fwver "$fw" 127.0.0.1 >p.json 2>p.err
	rp=$?
	eq "$rp" "$rn" "exit status of $v/$m/$fw: private $rp, normal $rn"
	eq "$(verdict p.json)" "$(verdict n.json)" "verdict of $v/$m/$fw"
	echo "$v $m $fw: $(verdict n.json) exit $rn; private: exit $rp, $(json p.json 'd["round_trips"]') round trips, $(json p.json 'd["bytes_received"]') bytes received" >>summary
	cp p.json "p-$m-$fw.json"
	ok=$((ok + 1))
done <ids
[ "$ok" -ge 20 ] || fail "only $ok identities asked"
cat summary

# the round trips of 18.4: the second notice covers (bucket + 2 requests); the third (+3);
# no notice (1); the second page (2 bucket pages + 1 request)
eq "$(json p-cam-a-2.5.json 'd["round_trips"]')" 3 "cam-a 2.5"
eq "$(json p-cam-a-5.0.json 'd["round_trips"]')" 4 "cam-a 5.0"
eq "$(json p-cam-a-4.0.json 'd["round_trips"]')" 4 "cam-a 4.0 (every notice, none covers)"
eq "$(json p-nothing-1.0.json 'd["round_trips"]')" 1 "no notice"
last=$(cat paged.last)
eq "$(json "p-$last-1.0.json" 'd["pages"]')" 2 "paged bucket"
eq "$(json "p-$last-1.0.json" 'd["round_trips"]')" 3 "second page"
eq "$(json "p-$last-1.0.json" 'd["exit"]')" 3 "second page: recalled"
# text output: the same verdict lines and the walk
expect 3 "$R" query -p "$P" -a anchors.cbor --private --vendor acme --model cam-a --fwver 2.5 \
	127.0.0.1
has out ";; BUCKET: page 0 of 1"
has out "valid recall for this identity"
has out ";; PRIVATE: 3 round trips, 3600 bytes sent"
has out "(a notice of this model that does not cover this identity)"

# A notice request after the feed changed: the bucket of feed 7 listed cam-a with 3 notices;
# feed 8 has none of them; index 0 is answered clear with serial 8.
rm -f n000.notice n001.notice n002.notice
expect 0 "$R" feed build -k feed.key -a anchors.cbor -o feed.new --serial 8 n*.notice
mv feed.new feed
n=0
until grep -q 'serial 8 loaded' recalld.log || [ $n -ge 50 ]; do
	n=$((n + 1))
	sleep 0.1
done
has recalld.log "feed serial 8 loaded"
python3 - "$P" <<'PY' >req.out
import hashlib, os, socket, sys
tag = hashlib.sha256(b"recall-private-v1\0acme\0cam-a").digest()[:8]
nonce = os.urandom(16)
body = bytes([0xA7, 0, 11, 1, 1, 2, 0x50]) + nonce + bytes([3, 0x48]) + tag + bytes([4, 0, 6, 0, 7])
pad = 1200 - len(body) - 3
req = body + bytes([0x59]) + pad.to_bytes(2, "big") + bytes(pad)
assert len(req) == 1200
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(req, ("127.0.0.1", int(sys.argv[1])))
a = s.recv(2048)
print("type", a[2], "nonce", a[7:23] == nonce, "serial", int.from_bytes(a[25:], "big") if a[24] == 0x1b else a[24])
PY
has req.out "type 2 nonce True serial 8"
# and the tool: clear now
expect 0 "$R" query -p "$P" -a anchors.cbor --private --vendor acme --model cam-a --fwver 2.5 \
	127.0.0.1
has out ";; CLEAR: feed serial 8"

# A notice that ends while recalld runs: the private table is rebuilt at its expiry (no reload),
# and both modes turn from recalled to clear.
END=$(($(date +%s) + 4))
cat >end.json <<EOF
{"id": "PQ-END", "issued": "2026-01-01", "expiry": $END, "action": "quarantine",
 "severity": "high", "text": "ends soon", "remedy": {"url": "https://example.org/fw"},
 "target": {"vendor": "acme", "model": "cam-e", "versions": ["1.0"]}}
EOF
signed_notice end.json end.notice alice bob
expect 0 "$R" feed build -k feed.key -a anchors.cbor -o feed.new --serial 9 n*.notice end.notice
mv feed.new feed
n=0
until grep -q 'serial 9 loaded' recalld.log || [ $n -ge 50 ]; do
	n=$((n + 1))
	sleep 0.1
done
E="--vendor acme --model cam-e --fwver 1.0"
expect 3 "$R" query -p "$P" -a anchors.cbor --private $E 127.0.0.1
expect 3 "$R" query -p "$P" -a anchors.cbor $E 127.0.0.1
while [ "$(date +%s)" -le "$END" ]; do sleep 0.2; done
sleep 0.2
expect 0 "$R" query -p "$P" -a anchors.cbor --private $E 127.0.0.1
has out ";; BUCKET: page 0 of 1, 0 models listed, not this model"
expect 0 "$R" query -p "$P" -a anchors.cbor $E 127.0.0.1

# recalld's side: counters, and events that name tags and no identity of a private check-in
curl -s "http://127.0.0.1:$M/metrics" >metrics
has metrics 'recalld_private_checkins_total{worker="0",answer="bucket"}'
has metrics 'recalld_notice_requests_total{worker="0",answer="recalled"}'
has metrics 'recalld_answers_total{worker="0",kind="bucket"}'
grep -q '"event":"notice_request"' events || fail "no notice_request event"
grep '"event":"notice_request"' events | grep -q 'cam-a' && fail "a notice request event names a model"
kill "$RDPID"
wait "$RDPID" 2>/dev/null
finish
