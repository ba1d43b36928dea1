#!/bin/sh
# Hostile text through the recall tool (issue 9, finding 5). A notice whose text holds a newline
# that forges a line, a C1 CSI (U+009B), a bidi override (U+202E), a tag character and a line
# separator; NVD, CVE 5 and KEV records with ESC, C1 and bidi characters in vulnStatus, CPE
# vendor and product, the description, KEV vendorProject and product. 'notice show', 'recall
# query' (which must also mark every line of an unverified notice), the importers' messages,
# reports and listings must show them only as visible escapes (rc_text_safe).
. "$(dirname "$0")/tool_common"
D="$SRC/tests/data"
SAFE="$SRC/tests/integration/terminal_safe.py"
setup_authority

# raw FILE: FILE holds one of the hostile bytes (ESC, U+009B, U+202E, tag U+E0001, U+2028).
raw() { LC_ALL=C grep -q "$(printf '\033\\|\302\233\\|\342\200\256\\|\363\240\200\201\\|\342\200\250')" "$1"; }
# safe FILE...: none of them, and nothing else terminal_safe.py objects to.
safe() {
	for f in "$@"; do
		checks=$((checks + 1))
		if ! python3 "$SAFE" "$f" >safe.out || raw "$f"; then
			fail "$f is not terminal-safe: $(head -3 safe.out | tr '\n' ' ')"
			sed 's/^/    | /' "$f" | head -20
		fi
	done
}

# --- A notice with hostile text: accepted (the decoder allows UTF-8 and LF), shown escaped.
cat >hostile.json <<'J'
{
  "id": "RC-TEST-HOSTILE-1",
  "issued": 1714521600, "not_before": 1714521600, "expiry": 1900000000,
  "action": "notify", "severity": "medium",
  "refs": ["CVE-2026-0001\u202e"],
  "text": "Update now.\nid         RC-FORGED (forged)\n\u009b2J\u009b31mred \u202eexe.txt\udb40\udc01\u2028end",
  "remedy": {"url": "https://example.org/cam-fw"},
  "target": {"vendor": "Acme", "model": "Cam 1", "versions": ["1.0"]}
}
J
signed_notice hostile.json hostile.notice alice bob
signed_notice hostile.json hostile1.notice alice
expect 0 "$R" notice show hostile.notice
safe out
has out "text       Update now."
has out "           id         RC-FORGED (forged)"
has out '\u009b2J\u009b31mred \u202eexe.txt\U000e0001\u2028end'
has out 'CVE-2026-0001\u202e'
eq "$(grep -c '^  id' out)" 1 "(the newline forges no field line)"
expect 0 "$R" notice show --json hostile.notice
safe out
eq "$(json out 'd[0]["notice"]["text"] == "Update now.\nid         RC-FORGED (forged)\n\x9b2J\x9b31mred \u202eexe.txt\U000e0001\u2028end"')" True \
	"(a JSON reader gets the text back)"
# ESC never gets into a notice: create refuses it, and the message does not echo it raw.
sed 's/Update now./Update \\u001b]0;pwned\\u0007now./' hostile.json >esc.json
expect 1 "$R" notice create -o esc.notice esc.json
safe err

# --- recall query: the notice in an answer from a tiny responder on loopback.
cat >resp.py <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
with open("port.tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename("port.tmp", "port")
s.settimeout(20)
blob = open(sys.argv[1], "rb").read()
n = len(blob)
head = bytes([0x59]) + n.to_bytes(2, "big") if n > 255 else bytes([0x58, n])
data, peer = s.recvfrom(65536)
s.sendto(bytes([0xA4, 0, 3, 1, 1, 2, 0x50]) + data[7:23] + bytes([4]) + head + blob, peer)
PY
# query CODE NOTICE [ARGS]: serve NOTICE once and query it.
query() {
	want=$1
	nf=$2
	shift 2
	rm -f port
	python3 resp.py "$nf" &
	n=0
	while [ ! -s port ] && [ $n -lt 100 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	expect "$want" "$R" query -p "$(cat port)" --vendor Acme --model "Cam 1" --fwver 1.0 "$@" 127.0.0.1
	wait
}
# unverified FILE: every line of the notice (and of its text) is marked.
unverified() {
	checks=$((checks + 1))
	lines=$(sed -n '/^;; NOTICE/,/^;; SIGNATURES/p' "$1" | sed '1d;$d')
	[ -n "$lines" ] && ! printf '%s\n' "$lines" | grep -qv '^   \[unverified\] ' ||
		fail "$1: a notice line without [unverified]"
}
query 4 hostile.notice
safe out err
has out ";; NOTICE ("
has out "UNVERIFIED: anyone may have written it"
unverified out
has out "   [unverified] text       Update now."
has out "   [unverified]            id         RC-FORGED (forged)"
has out "   [unverified]            "'\u009b2J'
query 4 hostile1.notice -a anchors.cbor
has out "NOT VALID: too few trusted signatures"
safe out err
unverified out
query 3 hostile.notice -a anchors.cbor
has out "valid recall for this identity"
safe out err
lacks out "[unverified]"
has out "   text       Update now."
query 4 hostile.notice --json
safe out err
eq "$(json out '(d["verdict"], d["authentic"], "\u202e" in d["notice"]["text"])')" "('unverified', False, True)"
query 3 hostile.notice -a anchors.cbor --json
eq "$(json out '(d["verdict"], d["authentic"])')" "('valid', True)"

# --- Importers: records with hostile fields.
python3 - "$D/nvd/CVE-2023-1389.json" "$D/kev/kev_known_exploited_vulnerabilities.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
esc = "\x1b]0;pwned\x07\x1b[2J\u009b31m\u202e"
# 1. vulnStatus, no configurations: the report quotes the status.
a = dict(r, id="CVE-2026-0001", vulnStatus="Awaiting" + esc + "Analysis", configurations=[])
# 2. a CPE vendor and product with ESC, C1 and bidi; the description with them too.
b = json.loads(json.dumps(r).replace("tp-link:archer_ax21", json.dumps("tp-link" + esc + ":archer" + esc + "ax21")[1:-1]))
b["id"] = "CVE-2026-0002"
b["descriptions"] = [{"lang": "en", "value": "Bad\u202eevil\u009b31m \x1b[2J firmware\u2028end."}]
for i, x in enumerate((a, b)):
    json.dump(x, open("nvd%d.json" % (i + 1), "w"))
k = json.load(open(sys.argv[2]))
v = [x for x in k["vulnerabilities"] if x["cveID"] == "CVE-2023-1389"][0]
v["vendorProject"] = "TP-Link" + esc
v["product"] = "Archer" + esc + "AX21"
v["vulnerabilityName"] = "Name" + esc
k["vulnerabilities"] = [v]
k["catalogVersion"] = "2026" + esc
json.dump(k, open("kev.json", "w"))
PY
mkdir drafts
expect 0 "$R" import nvd --issued 2025-09-01 -o drafts -r nvd.report nvd1.json nvd2.json
safe err nvd.report
has nvd.report "CVE-2026-0001	unmapped"
has nvd.report "NVD status 'Awaiting"
has nvd.report '\u009b31m\u202eAnalysis'
expect 0 "$R" import nvd --issued 2025-09-01 -o drafts2 nvd1.json nvd2.json
safe err
for f in drafts/*.json; do
	checks=$((checks + 1))
	json "$f" 'd["text"]' >text.out
	safe text.out
done
has text.out 'CVE-2026-0002: Bad\u202eevil\u009b31m [2J firmware\u2028end.'
expect 0 "$R" import kev kev.json
safe out err
has out 'TP-Link\x1b]0;pwned\x07\x1b[2J\u009b31m\u202e'
expect 0 "$R" import kev --json kev.json
safe out err
eq "$(json out 'd[0]["vendorProject"].startswith("TP-Link\x1b]0;pwned\x07")')" True "(JSON keeps the data)"
cp "$D"/import-expected/nvd/CVE-2023-1389_tp-link_archer_ax21.json ax21.json
expect 0 "$R" import kev --enrich -o drafts kev.json ax21.json
safe out err
has out '(KEV 2023-05-01, TP-Link\x1b'
# A bad record names its field and quotes the value, escaped.
python3 -c 'import json; json.dump({"vulnerabilities": [{"cveID": "CVE-\u202e\u009b1", "vendorProject": "x", "product": "y", "dateAdded": "2024-01-01"}]}, open("badkev.json", "w"))'
expect 1 "$R" import kev badkev.json
safe err
has err 'cveID: expected a CVE id'
python3 -c 'import json; json.dump({"id": "CVE-2026-0009", "configurations": {"\u202e": 1}, "vulnStatus": "x\u001b"}, open("badnvd.json", "w"))'
expect 1 "$R" import nvd -o drafts badnvd.json
safe err
finish
