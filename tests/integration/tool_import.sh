#!/bin/sh
# recall import nvd|cve5|kev on the real records in tests/data (nvd, cve5, kev): the drafts and
# reports must equal the ones checked by hand in tests/data/import-expected; every draft loads
# with 'recall notice create'; bad files are named with their JSON path and fail.
. "$(dirname "$0")/tool_common"
D="$SRC/tests/data"
E="$D/import-expected"
K="$D/kev/kev_known_exploited_vulnerabilities.json"
ISSUED=2025-09-01

# as_expected NAME DIR: NAME.report, the drafts in DIR and each draft are the ones in $E.
as_expected() {
	same "$1.report" "$E/$1.report"
	ls "$2" >"$1.drafts"
	same "$1.drafts" "$E/$1.drafts"
	for f in "$E/$1"/*.json; do
		same "$2/${f##*/}" "$f"
	done
}

# all_create DIR: 'recall notice create' accepts every draft in DIR.
all_create() {
	for f in "$1"/*.json; do
		"$R" notice create -o x.notice "$f" >/dev/null 2>e || fail "notice create $f: $(cat e)"
		rm -f x.notice
	done
	checks=$((checks + 1))
}

# NVD: six records as published, two rebuilt from the cpeMatch extract (Realtek SDK, Zyxel).
mkdir nvd outn
cp "$D"/nvd/CVE-*.json nvd/
python3 "$D/nvd/cpematch2json.py" "$D/nvd/cpematch_extract_CVE-2014-8361_CVE-2023-28771.tsv" nvd ||
	fail "cpematch2json.py"
cd nvd || exit 1
expect 0 "$R" import nvd --issued $ISSUED -o ../outn -r ../nvd.report CVE-*.json
cd .. || exit 1
has nvd/err "8 records, 42 drafts written, 17 unmapped, 1 held"
as_expected nvd outn
# The report names what could not be mapped and why.
has nvd.report "CVE-2018-10561	unmapped	CVE-2018-10561.json:configurations[0].nodes[0].cpeMatch[0]	CPE version '-' and no range"
has nvd.report "CVE-2017-17215	unmapped"
has nvd.report "CPE update 'beta' qualifies version 1.3.1"
has nvd.report "operating system CPE (mikrotik:routeros) without a hardware platform"
has nvd.report "application CPE (realtek:realtek_sdk)"
has nvd.report "zyxel/atp100w: inconsistent range: atp100w [4.60, 5.35), but 5 of 6 sibling models"
all_create outn

# --keep-inconsistent writes the held draft as recorded, with a note.
mkdir keep
expect 0 "$R" import nvd --issued $ISSUED --keep-inconsistent -o keep nvd/CVE-2023-28771.json
has keep/CVE-2023-28771_zyxel_atp100w.json '"hi": "5.35"'
has keep/CVE-2023-28771_zyxel_atp100w.json "kept: --keep-inconsistent"
lacks err "	held	"

# Drafts are never overwritten without --force.
expect 1 "$R" import nvd --issued $ISSUED -o outn nvd/CVE-2023-1389.json
has err "CVE-2023-1389_tp-link_archer_ax21.json: already exists"
expect 0 "$R" import nvd --issued $ISSUED --force -o outn nvd/CVE-2023-1389.json
same outn/CVE-2023-1389_tp-link_archer_ax21.json "$E/nvd/CVE-2023-1389_tp-link_archer_ax21.json"

# --map: record names to device names; options for the notice fields.
printf '# record\tvendor\tmodel\ntp-link/archer_ax21\tTP-Link\tArcher AX21\ndlink\tD-Link\n' >names.map
mkdir mapped
expect 0 "$R" import nvd --issued $ISSUED --valid 30d --action notify --severity low \
	--remedy-url https://example.com/fw --max-refs 1 -m names.map -o mapped nvd/CVE-2023-1389.json
f=mapped/CVE-2023-1389_tp-link_archer-ax21.json
eq "$(json $f '(d["target"]["vendor"], d["target"]["model"], d["action"], d["severity"], d["refs"], d["remedy"]["url"], d["expiry"])')" \
	"('tp-link', 'archer%20ax21', 'notify', 'high', ['CVE-2023-1389'], 'https://example.com/fw', '2025-10-01T00:00:00Z')"
lacks err "vendor and model names"

# CVE 5: CNA data first, ADP when the CNA's names nothing; prose ranges reported.
mkdir outc
expect 0 "$R" import cve5 --issued $ISSUED -o outc -r cve5.report "$D"/cve5/CVE-*.json
has err "17 records, 20 drafts written"
(cd "$D/cve5" && "$R" import cve5 --issued $ISSUED -o "$T/outc" --force -r "$T/cve5.report" CVE-*.json 2>/dev/null)
as_expected cve5 outc
has cve5.report "CVE-2021-33044	unmapped	CVE-2021-33044.json:containers.cna.affected[0]"
has cve5.report "the range is only in prose, stated as build dates"
has cve5.report "product 'VisiLogic': the ADP container names it an application"
all_create outc
# --container adp: the ADP's D-Link entries (cpe a: in CVE-2024-3273) are applications.
mkdir adp
expect 0 "$R" import cve5 --issued $ISSUED --container adp -o adp "$D/cve5/CVE-2024-3273.json"
has err "0 drafts written, 4 unmapped"
expect 0 "$R" import cve5 --issued $ISSUED --container all -o adp "$D/cve5/CVE-2024-8956.json"
has err "1 record, 2 drafts written, 1 unmapped"

# KEV: select and list with the drafts of each CVE; enrich a draft (twice: idempotent).
expect 0 "$R" import kev --cve CVE-2023-1389 --cve CVE-2018-10561 --cve CVE-2021-33044 \
	--cve CVE-2023-28771 --drafts outn "$K"
same out "$E/kev-list.txt"
has err "catalogue 2025.08.25, 1404 entries, 4 selected, 2 with drafts in outn"
expect 0 "$R" import kev --vendor " zyxel " --product firewall --since 2023-06-01 --json "$K"
eq "$(json out '[x["cveID"] for x in d]')" "['CVE-2024-11667', 'CVE-2023-33009', 'CVE-2023-33010']"
expect 0 "$R" import kev --cve CVE-2099-0001 "$K" && has err "CVE-2099-0001: not in the KEV catalogue"
mkdir enriched
expect 0 "$R" import kev --enrich -o enriched "$K" outn/CVE-2023-1389_tp-link_archer_ax21.json
has out "2 refs added, severity unchanged, text + KEV sentence"
has out "KEV's notes name https://www.tp-link.com/us/support/download/archer-ax21/v3/#Firmware"
same enriched/CVE-2023-1389_tp-link_archer_ax21.json "$E/kev/CVE-2023-1389_tp-link_archer_ax21.json"
expect 0 "$R" import kev --enrich "$K" enriched/CVE-2023-1389_tp-link_archer_ax21.json
has out "0 refs added, severity unchanged, text already says so"
same enriched/CVE-2023-1389_tp-link_archer_ax21.json "$E/kev/CVE-2023-1389_tp-link_archer_ax21.json"
# Ransomware use known: severity raised to critical.
python3 - outn/CVE-2023-28771_zyxel_atp100.json z.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["_import"]["cve"] = "CVE-2024-11667"
d["severity"] = "medium"
json.dump(d, open(sys.argv[2], "w"))
PY
expect 0 "$R" import kev --enrich "$K" z.json && has out "severity medium -> critical"

# Bad input: message naming the file, the JSON path and the reason; non-zero exit.
printf '{"id": "CVE-2020-1", "configurations": {}}' >b1.json
expect 1 "$R" import nvd -o keep b1.json && has err "b1.json: configurations: expected an array"
printf '{"vulnerabilities": [{"cve": {"id": "CVE-2020-2", "configurations": [{"nodes": [{"operator": "OR", "cpeMatch": [{"vulnerable": true}]}]}]}}]}' >b2.json
expect 1 "$R" import nvd -o keep b2.json
has err "b2.json: vulnerabilities[0].cve.configurations[0].nodes[0].cpeMatch[0].criteria: expected a string"
printf '{"id": "CVE-2020-3", "configurations": [{"operator": "XOR", "nodes": []}]}' >b3.json
expect 1 "$R" import nvd -o keep b3.json && has err "b3.json: configurations[0].operator: expected AND or OR"
printf '{"id": "CVE-2020-4", "configurations": [{"nodes": [{"cpeMatch": [{"vulnerable": true, "criteria": "cpe:2.3:o:a:b_firmware:*:*:*:*:*:*:*:*", "versionEndExcluding": 5}]}]}]}' >b4.json
expect 1 "$R" import nvd -o keep b4.json
has err "b4.json: configurations[0].nodes[0].cpeMatch[0].versionEndExcluding: expected a string"
printf '[1, 2]' >b5.json
expect 1 "$R" import nvd -o keep b5.json && has err "b5.json: expected a JSON object"
printf '{"id": "CVE-2020-6",' >b6.json
expect 1 "$R" import nvd -o keep b6.json && has err "b6.json: line 1"
expect 1 "$R" import nvd -o keep nothere.json && has err "nothere.json"
# A malformed CPE or a wildcard inside a name is reported, not fatal.
printf '{"id": "CVE-2020-7", "configurations": [{"nodes": [{"cpeMatch": [{"vulnerable": true, "criteria": "cpe:2.3:o:acme:cam*_firmware:1.0:*:*:*:*:*:*:*"}, {"vulnerable": true, "criteria": "cpe:2.3:o:acme:cam_firmware"}, {"vulnerable": true, "criteria": "cpe:2.3:o:acme:cam\\\\(x\\\\)_firmware:1.0:*:*:*:*:*:*:*"}]}]}]}' >w.json
expect 0 "$R" import nvd --issued $ISSUED -o keep w.json
has err "wildcard inside a field"
has err "fewer than 13 fields"
has keep/CVE-2020-7_acme_cam-x-.json '"model": "cam%28x%29"'
expect 0 "$R" import kev --enrich "$K" keep/CVE-2020-7_acme_cam-x-.json
has out "CVE-2020-7: not in the KEV catalogue; unchanged"
# An empty range (start not below the end) is reported, not written.
printf '{"id": "CVE-2020-9", "configurations": [{"nodes": [{"cpeMatch": [{"vulnerable": true, "criteria": "cpe:2.3:o:acme:cam_firmware:*:*:*:*:*:*:*:*", "versionStartIncluding": "5.0", "versionEndExcluding": "1.0"}, {"vulnerable": true, "criteria": "cpe:2.3:o:acme:cam_firmware:*:*:*:*:*:*:*:*", "versionStartIncluding": "1.0", "versionEndIncluding": "1.0"}]}]}]}' >er.json
expect 0 "$R" import nvd --issued $ISSUED -o keep er.json
has err "versionStartIncluding 5.0 versionEndExcluding 1.0: an empty range"
has err "1 draft written, 1 unmapped"
python3 - "$D/cve5/CVE-2024-8956.json" c1.json c2.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["dataVersion"] = "4.0"
json.dump(d, open(sys.argv[2], "w"))
d["dataVersion"] = "5.1"
d["containers"]["cna"]["affected"][1]["versions"][0]["status"] = "broken"
json.dump(d, open(sys.argv[3], "w"))
PY
expect 1 "$R" import cve5 -o keep c1.json && has err "c1.json: dataVersion: expected \"5.x\""
expect 1 "$R" import cve5 -o keep c2.json
has err "c2.json: containers.cna.affected[1].versions[0]: status: expected"
python3 - "$K" k1.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["vulnerabilities"][7]["cveID"] = "CEV-2020-1"
json.dump(d, open(sys.argv[2], "w"))
PY
expect 1 "$R" import kev k1.json && has err "k1.json: vulnerabilities[7]: cveID: expected a CVE id"
expect 1 "$R" import kev "$D/nvd/CVE-2023-1389.json" && has err "vulnerabilities: expected an array"
printf 'tp-link\n' >bad.map
expect 1 "$R" import nvd -m bad.map -o keep nvd/CVE-2023-1389.json
has err "bad.map: line 1: expected FROM<TAB>VENDOR[<TAB>MODEL]"
# A missing output directory is made (its parent must exist).
expect 0 "$R" import nvd -o nodir nvd/CVE-2023-1389.json && [ -d nodir ] || fail "-o nodir not made"
expect 1 "$R" import nvd -o no/such/dir nvd/CVE-2023-1389.json && has err "output directory no/such/dir"
expect 1 "$R" import kev --enrich "$K" b5.json && has err "b5.json: names no CVE"
# Bad command lines.
expect 2 "$R" import nvd
expect 2 "$R" import nvd --valid 0 nvd/CVE-2023-1389.json
expect 2 "$R" import nvd --container cna nvd/CVE-2023-1389.json
expect 2 "$R" import cve5 --container both x.json
expect 2 "$R" import kev --enrich "$K"
expect 2 "$R" import kev --drafts outn --enrich "$K" z.json
expect 2 "$R" import frob
expect 0 "$R" import --help && has out "nvd"
for c in nvd cve5 kev; do
	expect 0 "$R" import $c --help && has out "usage: recall import $c"
done
finish
