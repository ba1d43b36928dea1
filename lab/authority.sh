# shellcheck shell=bash
# The lab's recall authorities (sourced by lab/scenario.sh).
#
# sc_authority DIR: the real authority. Three key holders, each on their own "machine" (a
# directory of its own: the secret key never leaves it), anchor set k=2 of n=3, and a feed key.
# Notices come from real vulnerability records in tests/data, imported with `recall import`,
# enriched from CISA KEV, reviewed (device names mapped, remedy pointed at the vendor's firmware
# server), created, signed separately by holders 1 and 3, merged, verified and built into a
# signed feed. Leaves in DIR: anchors.cbor, feed, feed.pub, signed/*.notice, the import report.
#
# sc_rogue_authority DIR STOLEN.key: a rogue responder operator. Two keys of its own plus one
# stolen authority key; notices for the lab's devices signed (k=2) by its own keys, and one
# signed by its own key plus the stolen one. Leaves DIR/{anchors.cbor,feed,feed.pub}.

SC_DATA=${SC_DATA:-$LAB_SRC/tests/data}

# Device names as the devices report them, for names in the records (recall import --map).
sc_names_map() {
	printf '%s\t%s\t%s\n' \
		'tp-link/archer_ax21' 'TP-Link' 'Archer AX21' \
		'ptzoptics/pt30x-ndi' 'PTZOptics' 'PT30X-NDI' \
		'ptzoptics/pt30x-sdi' 'PTZOptics' 'PT30X-SDI' \
		'zyxel/atp100' 'Zyxel' 'ATP100'
	printf '%s\t%s\n' 'dlink' 'D-Link'
}

# Review of the drafts (what the authority's analyst does by hand): every remedy gets the
# vendor firmware server as an endpoint a quarantined device may still reach, and known vendor
# download pages replace the CVE-record URLs the importer had to use.
sc_review_drafts() {
	python3 - "$1" "$LAB_FW4/32" "$LAB_FW6/128" <<'EOF'
import glob, json, os, sys
d, fw4, fw6 = sys.argv[1], sys.argv[2], sys.argv[3]
urls = {
    "tp-link": "https://www.tp-link.com/support/download/archer-ax21/",
    "ptzoptics": "https://ptzoptics.com/firmware-changelog/",
    "zyxel": "https://www.zyxel.com/global/en/support/download",
    "d-link": "https://support.dlink.com/",
}
n = 0
for f in sorted(glob.glob(os.path.join(d, "*.json"))):
    j = json.load(open(f))
    r = j.setdefault("remedy", {})
    r["endpoints"] = [fw4, fw6]
    v = j["target"]["vendor"].lower()
    if v in urls and "cve.org" in r.get("url", ""):
        r["url"] = urls[v]
    json.dump(j, open(f, "w"), indent=1)
    n += 1
print(n)
EOF
}

# Run a command quietly; on failure show its output and fail.
sc_q() {
	local out
	if ! out=$("$@" 2>&1); then
		echo "lab: failed: $*" >&2
		echo "$out" | tail -n 20 >&2
		return 1
	fi
	[ -n "${SC_VERBOSE:-}" ] && echo "$out"
	return 0
}

sc_authority() {
	local A=$1 f
	mkdir -p "$A"/{machine-1,machine-2,machine-3,feed-host,records,drafts,unsigned,signed}
	mkdir -p "$A"/machine-1/out "$A"/machine-3/out
	local i
	for i in 1 2 3; do
		(cd "$A/machine-$i" && sc_q "$RECALL" keygen -C "authority key holder $i" "key$i") || return 1
	done
	(cd "$A/feed-host" && sc_q "$RECALL" keygen -C "feed signing key" feed) || return 1
	cp "$A/feed-host/feed.pub" "$A/feed.pub"
	# The log key is an authority key like the others, on a machine of its own (offline); the
	# log's directory is carried from it to the publisher (sc_log_publish).
	mkdir -p "$A/log-host"
	(cd "$A/log-host" && sc_q "$RECALL" keygen -C "transparency log key" log) || return 1
	"$RECALL" log create --origin "$SC_LOG_ORIGIN" --key "$A/log-host/log.key" \
		"$A/log-host/log" >"$A/log.vkey" || return 1
	sc_witness_keys "$A" || return 1
	# Quorum 2 of 2: a secret or forked history then needs every witness to lie; a witness
	# that is down delays a recall (fail open) but never makes one secret.
	sc_q "$RECALL" anchors create --k 2 --epoch 1 -o "$A/anchors.cbor" \
		--log-vkey "$(cat "$A/log.vkey")" --witness "$(cat "$LAB_DIR/w1/vkey")" \
		--witness "$(cat "$LAB_DIR/w2/vkey")" --quorum 2 --max-age 1d \
		"$A/machine-1/key1.pub" "$A/machine-2/key2.pub" "$A/machine-3/key3.pub" || return 1

	# Records: NVD (TP-Link Archer AX21 and others), the NVD cpeMatch extract of two large
	# records (Realtek SDK in D-Link routers, Zyxel firewalls) rebuilt as NVD JSON, CVE 5.
	cp "$SC_DATA"/nvd/CVE-*.json "$A/records/"
	python3 "$SC_DATA/nvd/cpematch2json.py" \
		"$SC_DATA/nvd/cpematch_extract_CVE-2014-8361_CVE-2023-28771.tsv" "$A/records" || return 1
	sc_names_map >"$A/names.map"
	: >"$A/import-report.tsv"
	sc_q "$RECALL" import nvd -m "$A/names.map" -o "$A/drafts" -r "$A/import-nvd.tsv" \
		--severity high "$A"/records/CVE-*.json || return 1
	sc_q "$RECALL" import cve5 -m "$A/names.map" -o "$A/drafts" -r "$A/import-cve5.tsv" \
		"$SC_DATA"/cve5/CVE-*.json || return 1
	cat "$A/import-nvd.tsv" "$A/import-cve5.tsv" >"$A/import-report.tsv"
	sc_q "$RECALL" import kev --enrich "$SC_DATA/kev/kev_known_exploited_vulnerabilities.json" \
		"$A"/drafts/*.json || return 1
	sc_review_drafts "$A/drafts" >/dev/null || return 1

	for f in "$A"/drafts/*.json; do
		sc_q "$RECALL" notice create -o "$A/unsigned/$(basename "$f" .json).notice" "$f" ||
			return 1
	done
	# Holders 1 and 3 each get a copy of the unsigned notices and sign on their own machine.
	for f in "$A"/unsigned/*.notice; do
		sc_q "$RECALL" notice sign -k "$A/machine-1/key1.key" \
			-o "$A/machine-1/out/$(basename "$f")" "$f" || return 1
		sc_q "$RECALL" notice sign -k "$A/machine-3/key3.key" \
			-o "$A/machine-3/out/$(basename "$f")" "$f" || return 1
	done
	for f in "$A"/unsigned/*.notice; do
		f=$(basename "$f")
		sc_q "$RECALL" notice merge -o "$A/signed/$f" "$A/machine-1/out/$f" \
			"$A/machine-3/out/$f" || return 1
	done
	sc_q "$RECALL" notice verify -a "$A/anchors.cbor" "$A"/signed/*.notice || return 1
	# One notice is held back: the authority publishes it later (sc_log_late), while
	# `recall log monitor` watches the log.
	mkdir -p "$A/late"
	mv "$(grep -l -F "$SC_LATE_ID" "$A"/signed/*.notice | head -n 1)" "$A/late/" || return 1
	# Every signed notice goes into the log before it goes into the feed.
	sc_q "$RECALL" log append --key "$A/log-host/log.key" --anchors "$A/anchors.cbor" \
		"$A/log-host/log" "$A"/signed/*.notice || return 1
	sc_q "$RECALL" feed build -k "$A/feed-host/feed.key" -a "$A/anchors.cbor" -o "$A/feed" \
		--valid 7d "$A/signed" || return 1
	sc_q "$RECALL" feed verify -K "$A/feed.pub" -a "$A/anchors.cbor" "$A/feed" || return 1
}

# A notice description for the rogue: recall vendor/model/fwver $2 $3 $4 (id $1).
sc_rogue_json() {
	cat <<EOF
{
 "id": "$1",
 "issued": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
 "expiry": "$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)",
 "action": "quarantine",
 "severity": "critical",
 "text": "Rogue recall: this notice is not signed by the device's authorities.",
 "remedy": {"url": "https://rogue.example/"},
 "target": {"vendor": "$2", "model": "$3", "versions": ["$4"]}
}
EOF
}

# sc_rogue_authority DIR STOLEN_KEY ID:VENDOR:MODEL:FWVER... : the first notice is signed by
# the rogue's two keys, the others by one rogue key and the stolen key.
sc_rogue_authority() {
	local R=$1 stolen=$2 n=0 spec id v m fw
	shift 2
	mkdir -p "$R/notices"
	(cd "$R" && sc_q "$RECALL" keygen rogue1 && sc_q "$RECALL" keygen rogue2 &&
		sc_q "$RECALL" keygen feed) || return 1
	# The rogue's anchor set also lists the stolen key so that its recalld serves notices
	# signed with it: recalld checks notices against the set it is configured with.
	sc_q "$RECALL" anchors create --k 2 -o "$R/anchors.cbor" "$R/rogue1.pub" "$R/rogue2.pub" \
		"${stolen%.key}.pub" || return 1
	for spec in "$@"; do
		IFS=: read -r id v m fw <<<"$spec"
		sc_rogue_json "$id" "$v" "$m" "$fw" >"$R/notices/$id.json"
		sc_q "$RECALL" notice create -o "$R/notices/$id.notice" "$R/notices/$id.json" || return 1
		sc_q "$RECALL" notice sign -k "$R/rogue1.key" "$R/notices/$id.notice" || return 1
		if [ $n -eq 0 ]; then
			sc_q "$RECALL" notice sign -k "$R/rogue2.key" "$R/notices/$id.notice" || return 1
		else
			sc_q "$RECALL" notice sign -k "$stolen" "$R/notices/$id.notice" || return 1
		fi
		n=$((n + 1))
	done
	sc_q "$RECALL" feed build -k "$R/feed.key" -a "$R/anchors.cbor" -o "$R/feed" --valid 1d \
		"$R"/notices/*.notice || return 1
}

# ---------------------------------------------------------------------------------------------
# The transparency log (docs/LOG.md, docs/LAB.md "The log").

SC_LOG_ORIGIN=authority.lab/log
# The notice held back by sc_authority and published by sc_log_late (the Zyxel firewalls'
# CVE-2023-28771: no lab device runs an affected build).
SC_LATE_ID=CVE-2023-28771:zyxel:atp100

# Keys and configurations of the witnesses w1 and w2 (each its own operator and directory
# $LAB_DIR/wN; the daemons run on the Internet host, sc_log_servers). Needs $1/log.vkey.
sc_witness_keys() {
	local A=$1 w addr
	for w in w1 w2; do
		mkdir -p "$LAB_DIR/$w/state"
		(cd "$LAB_DIR/$w" && sc_q "$RECALL" keygen -C "witness $w" witness) || return 1
		[ "$w" = w1 ] && addr=$LAB_W1 || addr=$LAB_W2
		cat >"$LAB_DIR/$w/recall-witness.conf" <<EOW
# recall-witness $w of the lab: cosigns the authority's log
name = witness.lab/$w
key = $LAB_DIR/$w/witness.key
log = $(cat "$A/log.vkey")
listen = $addr:7414
state-dir = $LAB_DIR/$w/state
EOW
		"$WITNESS" --vkey -c "$LAB_DIR/$w/recall-witness.conf" >"$LAB_DIR/$w/vkey" || return 1
	done
}

# The attacker of scenario b: holds authority keys 1 and 3 (k = 2), the log key and the feed
# key. sc_fork_authority DIR SNAPSHOT ID:VENDOR:MODEL:FWVER: a secret notice for that device,
# signed by keys 1 and 3 (valid), appended to a copy of the log as it was at SNAPSHOT (so the
# copy's history forks from the published one), and a feed with every real notice plus it.
sc_fork_authority() {
	local F=$1 snap=$2 A=$LAB_DIR/authority id v m fw
	IFS=: read -r id v m fw <<<"$3"
	mkdir -p "$F/notices"
	cp -a "$snap" "$F/log"
	sc_rogue_json "$id" "$v" "$m" "$fw" | sed 's/not signed by the device.s authorities/secret: signed by two authority keys, never published/' >"$F/notices/$id.json"
	sc_q "$RECALL" notice create -o "$F/notices/$id.notice" "$F/notices/$id.json" || return 1
	sc_q "$RECALL" notice sign -k "$A/machine-1/key1.key" "$F/notices/$id.notice" || return 1
	sc_q "$RECALL" notice sign -k "$A/machine-3/key3.key" "$F/notices/$id.notice" || return 1
	sc_q "$RECALL" log append --key "$A/log-host/log.key" --anchors "$A/anchors.cbor" \
		"$F/log" "$F/notices/$id.notice" || return 1
	cp "$A"/signed/*.notice "$F/notices/"
	sc_q "$RECALL" feed build -k "$A/feed-host/feed.key" -a "$A/anchors.cbor" -o "$F/feed" \
		--valid 1d "$F"/notices/*.notice || return 1
	cp "$A/feed.pub" "$A/anchors.cbor" "$F/"
}
