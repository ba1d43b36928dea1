#!/bin/sh
# Writes the seed corpora of the programs' fuzz targets (fuzz_tool_*.c, fuzz_agentd_*.c,
# fuzz_recalld_answer.c, fuzz_recalld_proof.c) into corpus/: the real records of tests/data (NVD, CVE 5, a few KEV
# entries, notice descriptions and import drafts; origins and licences in tests/data/SOURCES)
# and small hand-written inputs. The check-in seeds of recalld_answer (and the proof requests of
# recalld_proof) come from the targets themselves (RECALL_WRITE_SEEDS).
# Usage: tests/fuzz/seed_programs.sh BUILD_DIR   (a build that has fuzz_recalld_answer)
set -eu
B=$(cd "$1" && pwd)
cd "$(dirname "$0")"
C=corpus
D=../data
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for c in tool_import_nvd tool_import_cve5 tool_import_kev tool_import_map tool_notice_json \
	agentd_ctl agentd_identity agentd_config recalld_answer recalld_proof; do
	rm -rf "${C:?}/$c"
	mkdir -p "$C/$c"
done

# --- recall import nvd: the records, the two rebuilt from the cpeMatch extract, an API 2.0
# response around one record, and the malformed files of tests/integration/tool_import.sh.
cp "$D"/nvd/CVE-*.json "$C/tool_import_nvd/"
python3 "$D/nvd/cpematch2json.py" "$D/nvd/cpematch_extract_CVE-2014-8361_CVE-2023-28771.tsv" "$T"
for f in "$T"/CVE-*.json; do cp "$f" "$C/tool_import_nvd/extract-${f##*/}"; done
python3 - "$D/nvd/CVE-2023-1389.json" "$C/tool_import_nvd/api-response.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
json.dump({"resultsPerPage": 1, "startIndex": 0, "totalResults": 1, "format": "NVD_CVE",
           "version": "2.0", "vulnerabilities": [{"cve": r}]}, open(sys.argv[2], "w"))
PY
n=$C/tool_import_nvd
printf '{"id": "CVE-2020-1", "configurations": {}}' >"$n/bad-configurations.json"
printf '{"vulnerabilities": [{"cve": {"id": "CVE-2020-2", "configurations": [{"nodes": [{"operator": "OR", "cpeMatch": [{"vulnerable": true}]}]}]}}]}' >"$n/bad-criteria.json"
printf '{"id": "CVE-2020-3", "configurations": [{"operator": "XOR", "nodes": []}]}' >"$n/bad-operator.json"
printf '[1, 2]' >"$n/bad-array.json"
printf '{"id": "CVE-2020-6",' >"$n/bad-syntax.json"
printf '{"id": "CVE-2020-7", "configurations": [{"nodes": [{"cpeMatch": [{"vulnerable": true, "criteria": "cpe:2.3:o:acme:cam*_firmware:1.0:*:*:*:*:*:*:*"}, {"vulnerable": true, "criteria": "cpe:2.3:o:acme:cam_firmware"}, {"vulnerable": true, "criteria": "cpe:2.3:o:acme:cam\\\\(x\\\\)_firmware:1.0:*:*:*:*:*:*:*"}]}]}]}' >"$n/cpe-odd.json"
printf '{"id": "CVE-2020-9", "configurations": [{"nodes": [{"cpeMatch": [{"vulnerable": true, "criteria": "cpe:2.3:o:acme:cam_firmware:*:*:*:*:*:*:*:*", "versionStartIncluding": "5.0", "versionEndExcluding": "1.0"}, {"vulnerable": true, "criteria": "cpe:2.3:o:acme:cam_firmware:*:*:*:*:*:*:*:*", "versionStartIncluding": "1.0", "versionEndIncluding": "1.0"}]}]}]}' >"$n/range-empty.json"
# the same record at another length: the map on (odd length) and off
cp "$D/nvd/CVE-2023-1389.json" "$n/map-on.json"
[ $(($(wc -c <"$n/map-on.json") % 2)) -eq 1 ] || printf ' ' >>"$n/map-on.json"

# --- recall import cve5: every record; three of them at every length mod 8 (the length picks
# --container and the map).
cp "$D"/cve5/CVE-*.json "$C/tool_import_cve5/"
for r in CVE-2021-40655 CVE-2024-8956 CVE-2023-6448; do
	for i in 1 2 3 4 5 6 7; do
		cp "$D/cve5/$r.json" "$C/tool_import_cve5/$r-len$i.json"
		head -c "$i" /dev/zero | tr '\0' ' ' >>"$C/tool_import_cve5/$r-len$i.json"
	done
done

# --- recall import kev: small catalogues of real entries (the large catalogue cut down).
python3 - "$D/kev/kev_known_exploited_vulnerabilities.json" "$C/tool_import_kev" <<'PY'
import json, sys
cat = json.load(open(sys.argv[1]))
by = {v["cveID"]: v for v in cat["vulnerabilities"]}
def write(name, cves, **extra):
    d = {k: cat[k] for k in ("title", "catalogVersion", "dateReleased")}
    d["count"] = len(cves)
    d["vulnerabilities"] = [dict(by[c], **extra) for c in cves]
    json.dump(d, open(f"{sys.argv[2]}/{name}.json", "w"), indent=1)
write("archer-ax21", ["CVE-2023-1389"])
write("routers", ["CVE-2023-1389", "CVE-2018-10561", "CVE-2021-33044", "CVE-2023-28771"])
write("ransomware", ["CVE-2024-11667", "CVE-2023-33009", "CVE-2023-33010"])
write("first-and-last", [cat["vulnerabilities"][0]["cveID"], cat["vulnerabilities"][-1]["cveID"]])
write("no-notes", ["CVE-2023-1389"], notes="")
bad = {"vulnerabilities": [{"cveID": "CVE-2023-1389", "vendorProject": "TP-Link",
                            "product": "Archer AX21", "dateAdded": "May 1st"}]}
json.dump(bad, open(f"{sys.argv[2]}/bad-date.json", "w"))
json.dump({"vulnerabilities": [{"cveID": "CVE-2023-1389"}]},
          open(f"{sys.argv[2]}/bad-missing.json", "w"))
json.dump({"title": "not KEV"}, open(f"{sys.argv[2]}/bad-not-kev.json", "w"))
PY

# --- notice descriptions: the tool's fixtures (good and bad) and the import drafts.
cp "$D"/tool/*.json "$C/tool_notice_json/"
for f in "$D"/import-expected/nvd/*.json "$D"/import-expected/cve5/*.json \
	"$D"/import-expected/kev/*.json; do
	d=${f%/*}
	cp "$f" "$C/tool_notice_json/draft-${d##*/}-${f##*/}"
done

# --- --map files.
m=$C/tool_import_map
printf '# record\tvendor\tmodel\ntp-link/archer_ax21\tTP-Link\tArcher AX21\ndlink\tD-Link\n' >"$m/test.map"
printf 'zyxel/atp100\tZyXEL\tATP 100\nzyxel\tZyXEL\r\nd-link\tD-Link\n\n   \n# comment\n' >"$m/crlf.map"
printf 'acme only-one-field\n' >"$m/bad-fields.map"
printf 'acme\tAcme\tcam\textra\n' >"$m/bad-extra.map"
printf 'acme\t\n' >"$m/bad-empty.map"
printf 'acme/%s\tAcme\n' "$(head -c 70 /dev/zero | tr '\0' x)" >"$m/bad-long.map"

# --- recall-agent control requests: byte 0 (bit 0 quarantined, bit 1 owner), then requests.
a=$C/agentd_ctl
printf '\000S' >"$a/status-started"
printf '\001S' >"$a/status-quarantined"
printf '\003ORC-TEST-1\nS\nC\nS' >"$a/owner-override-clear"
printf '\003O\nS' >"$a/owner-override-all"
printf '\003Oall\nORC-TEST-1\nOsome.other:id-2\nS' >"$a/owner-overrides"
printf '\003Obad id!\nO%s\nS' "$(head -c 80 /dev/zero | tr '\0' A)" >"$a/owner-bad-ids"
printf '\001ORC-TEST-1\nC\nX' >"$a/stranger"
printf '\002Z\n\nS' >"$a/owner-unknown-op"

# --- identity files (os-release style).
i=$C/agentd_identity
printf 'NAME="Acme OS"\nVENDOR_NAME="Acme"\nRECALL_MODEL=Cam 1\nRECALL_HWREV='"'"'a'"'"'\nVERSION_ID=1.2.3\n' >"$i/vendor-name"
printf 'RECALL_VENDOR="TP-Link"\nRECALL_MODEL="Archer AX21"\nRECALL_HWREV=V1.26\nRECALL_FWVER="1.0.3 Build 2021"\nRECALL_BUILD_DATE=1700000000\nRECALL_IMAGE_DIGEST=%s\n' \
	"$(head -c 32 /dev/zero | od -An -tx1 | tr -d ' \n' | tr 0 a)" >"$i/full"
printf '  RECALL_VENDOR = acme\nRECALL_MODEL="cam \\"x\\" \\\\ 1"\nRECALL_FWVER=1.0 \t \r\n' >"$i/quoting"
printf 'RECALL_VENDOR=acme\nRECALL_MODEL=cam\nRECALL_FWVER=1.0\nRECALL_BUILD_DATE=yesterday\n' >"$i/bad-build-date"
printf 'RECALL_VENDOR=acme\nRECALL_MODEL=cam\nRECALL_FWVER=1.0\nRECALL_IMAGE_DIGEST=xyz\n' >"$i/bad-digest"
printf 'RECALL_VENDOR=acme\nRECALL_MODEL=cam\n' >"$i/no-fwver"
printf 'RECALL_VENDOR=%s\nRECALL_MODEL=cam\nRECALL_FWVER=1\n' "$(head -c 70 /dev/zero | tr '\0' v)" >"$i/long-vendor"

# --- recall-agent.conf ("@D@": the target's directory with anchors and os-release).
g=$C/agentd_config
printf 'anchors = @D@/anchors\nvendor = TP-Link\nmodel = Archer AX21\nhwrev = V1.26\nfwver = 1.0.3 Build 2021\ncheckin-address = 192.0.2.74 [2001:db8::74]:9000\n' >"$g/inline.conf"
printf 'anchors = @D@/anchors\nidentity-file = @D@/os-release\ncheckin-address = 192.0.2.74\nstate-dir = /var/lib/recall-agent\nperiodic = 7d\nrecheck = 30m\ntimeout = 2s\nbackoff-base = 10s\nbackoff-cap = 1h\nretries = 5\ndebounce = 0\nstart-spread = 30s\nwall-clock = untrusted\nsystem = dummy\ntable = 100\nrule-priority = 10\n' >"$g/identity-file.conf"
printf '# all the keys\nanchors = @D@/anchors\nvendor = acme\nmodel = cam-1\nfwver = 1.2.3\nbuild-date = 1700000000\nimage-digest = %s\ncheckin-address = 192.0.2.74:7412, 192.0.2.75 [2001:db8::1]\nport = 7412\ncheckin = no\nannounce = yes\nannounce-to = 239.255.74.12 [ff02::7412]:7413\nannounce-interface = eth0\nannounce-interval = 1h\nhooks-dir = /etc/recall-agent/hooks.d\nhook-timeout = 5s\ndummy-record = @D@/record\n' \
	"$(head -c 64 /dev/zero | tr '\0' 0)" >"$g/all-keys.conf"
printf 'anchors = @D@/anchors\nvendor = acme\nmodel = cam\nfwver = 1\n' >"$g/no-address.conf"
printf 'anchors = @D@/anchors\nvendor = acme\nmodel = cam\nfwver = 1\ncheckin-address = 192.0.2.1\ntable = 254\n' >"$g/reserved-table.conf"
printf 'anchors = @D@/os-release\nvendor = acme\nmodel = cam\nfwver = 1\ncheckin-address = 192.0.2.1\n' >"$g/bad-anchors.conf"
printf 'anchors = @D@/anchors\nvendor = acme\nvendor = again\nperiodic = 1s\nbogus = 1\n' >"$g/errors.conf"
printf '\357\273\277anchors = @D@/anchors\nvendor = acme\nmodel = cam\nfwver = \ncheckin-address = 192.0.2.1\n' >"$g/bom-empty-fwver.conf"

# --- what the fuzzers found (fixed; tests/unit/test_tool_inputs.c has each case).
printf '{"id": "CVE-Technical 2020-9", "configurations": [{"nodes": [{"cpeMatch": [{"vulnerable": true, "criteria": "cpe:2.3:o:acme:cam_firmware:1.0:*:*:*:*:*:*:*"}]}]}]}' >"$n/found-id-space.json"
printf '{"id": "CVE-2020-0001", "descriptions": [{"lang": "en", "value": "bad\\u007fthing\\u0001 here"}], "configurations": [{"nodes": [{"cpeMatch": [{"vulnerable": true, "criteria": "cpe:2.3:o:acme:cam_firmware:1.0:*:*:*:*:*:*:*"}]}]}]}' >"$n/found-description-control.json"
python3 - "$D/cve5/CVE-2021-20124.json" "$C/tool_import_cve5/found-description-del.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
d = r["containers"]["cna"]["descriptions"][0]
d["value"] = d["value"].replace("Vigor", "Vig\x7fr", 1)
json.dump(r, open(sys.argv[2], "w"))
PY
python3 - "$C/tool_import_kev/archer-ax21.json" "$C/tool_import_kev/found-notes-control.json" <<'PY'
import json, sys
k = json.load(open(sys.argv[1]))
k["vulnerabilities"][0]["notes"] = "https://w\x7fw.tp-link.com/x ; https://a.example/\x01 ; " + k["vulnerabilities"][0]["notes"]
json.dump(k, open(sys.argv[2], "w"))
PY
printf '{"id": "n1", "expiry": 10, "action": "quarantine", "severity": "high", "text": "t", "remedy": {"url": "https://x"}, "target": {"vendor": "acme", "model": "cam", "versions": ["1"], "built_from": "then", "built_before": "later"}}' >"$C/tool_notice_json/found-two-times.json"
printf '{"id": "n1", "expiry": 10, "action": "qu\\nake it", "severity": "high"}' >"$C/tool_notice_json/found-newline-value.json"
printf '{"id": "n1", "action": "qu\\\nake it"}' >"$C/tool_notice_json/found-newline-token.json"

# --- recalld answers: the target writes its check-in seeds.
printf 'x' >"$T/one"
RECALL_WRITE_SEEDS=$PWD/$C "$B/tests/fuzz/fuzz_recalld_answer" "$T/one" >/dev/null
RECALL_WRITE_SEEDS=$PWD/$C "$B/tests/fuzz/fuzz_recalld_proof" "$T/one" >/dev/null
for c in tool_import_nvd tool_import_cve5 tool_import_kev tool_import_map tool_notice_json \
	agentd_ctl agentd_identity agentd_config recalld_answer recalld_proof; do
	echo "$c: $(ls "$C/$c" | wc -l) seeds"
done
