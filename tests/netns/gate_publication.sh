#!/bin/bash
# recall-gate fetching its feed from a publication (recall-gate.conf(5) "publication"; the
# fetch runs in recall-gate-pub, gate/pub_main.c), written by `recall publish` over a log made
# by `recall log` and cosigned by 2 of 3 witnesses (recalld-probe), in a gateway namespace of
# its own (created here, removed on exit, also on failure; nftables only there):
#  0. publication with a feed file, a bad mirror URL, or check-mode checkin: refused, naming
#     the key;
#  1. the first publication (notice for acme cam-1) is fetched from a file:// mirror: feed
#     loaded under the local key (state-dir/local-feed.key, 0600), a device known as acme
#     cam-2 1.2.3 stays clear; the resident daemon does not map libcurl;
#  2. a new notice (cam-2) is published and the mirror tampered: refused, counted (bad) and
#     logged, the feed held stays (the device stays clear);
#  3. the mirror repaired: after
#     one poll the device is recalled and quarantined.
# Every wait is bounded (at most 10 s). Needs root, ip, nft, python3; exit 77 (skip) otherwise.
set -u
BUILD=${1:?usage: $0 BUILD_DIR}
case "$BUILD" in /*) ;; *) BUILD="$(pwd)/$BUILD" ;; esac
SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
GATE="$BUILD/gate/recall-gate"
R="$BUILD/tools/recall"
PROBE="$BUILD/responder/recalld-probe"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in ip nft python3; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
for x in "$GATE" "$GATE-pub" "$GATE-nft" "$R" "$PROBE"; do
	[ -x "$x" ] || { echo "build $x first"; exit 1; }
done

GW=gatepub-$$
T=$(mktemp -d)
MAC=02:00:00:88:00:10
fails=0
checks=0
GATE_PID=""
. "$SRC/tests/helpers/ns_reap.sh"
cleanup() {
	[ -n "$GATE_PID" ] && kill "$GATE_PID" 2>/dev/null
	ns_reap "$GW"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { checks=$((checks + 1)); echo "ok - $*"; }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL - $*"; }
expect() { local m=$1; shift; if "$@" >/dev/null 2>&1; then ok "$m"; else bad "$m"; fi; }
inns() { ip netns exec "$GW" "$@"; }
die() { echo "FAIL - $*"; [ -s "$T/gate.log" ] && tail -n 20 "$T/gate.log"; exit 1; }

ip netns add "$GW" || die "netns"
inns ip link set lo up
inns ip link add br-lan type bridge
inns ip link set br-lan up
inns ip addr add 192.168.88.1/24 dev br-lan

# ---- the authority: log, witnesses, notices, publication ----
cd "$T" || exit 1
O=example.org/recall-log
{
	"$R" keygen logkey && "$R" keygen pkey &&
		"$PROBE" fixture "$T" -n 2 -L logkey.pub -O $O -W 3 -Q 2 &&
		"$R" log create --origin $O --key logkey.key L
} >tool.log 2>&1 || die "authority: $(tail -n 5 tool.log)"
append() {
	"$R" log append --key logkey.key --anchors anchors L "$@" >>tool.log 2>&1 &&
		"$PROBE" cosign L/checkpoint -w 0 -w 1 >>tool.log 2>&1
}
append n1.notice || die "append n1"
"$R" publish -k pkey.key -a anchors -l L P >>tool.log 2>&1 || die "publish 1"
cp -r P M # the mirror the gate reads

# ---- the gate: one device known from a UPnP description ----
mkdir -m 700 state
now=$(date +%s)
cat >state/inventory.json <<EOF
{"format": "recall-gate-inventory", "version": 1, "devices": [{"mac": "$MAC",
 "first_seen": $now, "last_seen": $now, "addrs": [], "fields": {
 "manufacturer": {"value": "acme", "source": "upnp", "seen": $now},
 "model": {"value": "cam-2", "source": "upnp", "seen": $now},
 "fwver": {"value": "1.2.3", "source": "upnp", "seen": $now}},
 "state": "unchecked", "policy": "enforce", "notice": "", "checked": 0}]}
EOF
cat >gate.conf <<EOF
interface = br-lan
state-dir = $T/state
control-socket = $T/ctl
anchors = $T/anchors
feed-key = $T/pkey.pub
vendors-map = $SRC/gate/data/vendors.map
oui-file = $SRC/gate/data/oui.txt
fetch-upnp = no
fetch-mud = no
publication-poll = 1s
publication-timeout = 7s
publication-max-bytes = 3145728
publication = file://$T/M
EOF

# 0. Refused configurations, naming the key.
refused() { # refused EXPECTED LINE: recall-gate with LINE added fails and says EXPECTED
	{ grep -v "^${2%% *} " gate.conf; echo "$2"; } >bad.conf # LINE replaces its key's line
	if inns "$GATE" -c bad.conf run >bad.out 2>&1; then
		bad "accepted: $2"
	elif grep -q "$1" bad.out; then
		ok "refused: $2 ($1)"
	else
		bad "for '$2': $(cat bad.out)"
	fi
}
refused "feed: not with publication" "feed = $T/feed"
refused "publication: ftp://x/: expected an http://" "publication = ftp://x/"
refused "publication: only with check-mode feed" "check-mode = checkin"
refused "publication-max-bytes: 1000 is out of range 1048576" "publication-max-bytes = 1000"

ctl() { inns "$GATE" -c gate.conf "$@"; }
status() { ctl status --json 2>/dev/null; }
state() { status | python3 -c 'import json, sys
for d in json.load(sys.stdin)["devices"]:
    if d["mac"] == sys.argv[1]:
        print(d["state"])' "$MAC"; }
counter() { status | python3 -c 'import json, sys
print(json.load(sys.stdin).get("publication", {}).get(sys.argv[1], 0))' "$1"; }
wait_for() { # wait_for WHAT VALUE COMMAND...: until COMMAND prints VALUE (10 s)
	local what=$1 want=$2
	shift 2
	for _ in $(seq 100); do
		[ "$("$@")" = "$want" ] && return 0
		sleep 0.1
	done
	echo "$what: $("$@"), expected $want"
	return 1
}
ge() { [ "$("${@:2}")" -ge "$1" ]; }
wait_ge() { # wait_ge N COMMAND...: until COMMAND prints at least N (10 s)
	for _ in $(seq 100); do
		ge "$@" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

gpid() { pgrep -P "$GATE_PID" -x recall-gate || echo "$GATE_PID"; }

# 1. The first publication.
inns "$GATE" -f -c gate.conf run >gate.log 2>&1 &
GATE_PID=$!
for _ in $(seq 100); do [ -S ctl ] && break; sleep 0.1; done
expect "first publication fetched (new counted)" wait_ge 1 counter new
expect "feed from the publication loaded" wait_for "log" 1 \
	grep -c "feed $T/state/publication/feed: serial 1 loaded, 1 notices" gate.log
expect "local feed key is mode 0600" test "$(stat -c %a state/local-feed.key)" = 600
expect "acme cam-2 1.2.3 is clear under serial 1" wait_for state clear state
expect "the resident daemon maps neither libcurl nor libxml2" \
	bash -c "! grep -q 'libcurl\\|libxml2' /proc/$(gpid)/maps"
expect "recall-gate-pub maps libcurl" \
	bash -c "grep -q libcurl /proc/\$(pgrep -n -x recall-gate-pub)/maps"
expect "recall-gate-pub runs under its seccomp filter" \
	bash -c "grep -Eq '^Seccomp:[[:space:]]+2' /proc/\$(pgrep -n -x recall-gate-pub)/status"
expect "recall-gate-pub has publication-timeout and -max-bytes" \
	bash -c "tr '\\0' ' ' </proc/\$(pgrep -n -x recall-gate-pub)/cmdline | grep -q ' 7000 3145728 file://'"

# 2. A new notice, published; the mirror tampered (the new entry altered wherever it is).
append n2.notice || die "append n2"
"$R" publish -k pkey.key -a anchors -l L P >>tool.log 2>&1 || die "publish 2"
rm -rf M.new && cp -r P M.new
python3 - M.new/log/entry/* M.new/log/tile/entries/000.p/2 <<'PY'
import sys
for p in sys.argv[1:]:
    b = bytearray(open(p, "rb").read())
    b[-20] ^= 1
    open(p, "wb").write(b)
PY
cp -r M M.old
rm -rf M && mv M.new M
expect "tampered mirror refused (bad counted)" wait_ge 1 counter bad
expect "...and logged" grep -q "publication: file://$T/M: refused (bad): " gate.log
sleep 1.5 # a poll more: nothing changes
expect "...the feed held stays: the device is still clear" wait_for state clear state
expect "...no second feed loaded" test "$(grep -c "publication/feed: serial" gate.log)" = 1

# 3. The mirror repaired: recalled after one poll.
rm -rf M && cp -r P M
expect "repaired mirror: serial 2 loaded" wait_for "log" 1 \
	grep -c "publication/feed: serial 2 loaded, 2 notices" gate.log
expect "acme cam-2 1.2.3 quarantined after one poll" wait_for state quarantined state
# `ip netns exec` may wait for the daemon in a process of its own: stop the daemon itself.
kill "$(gpid)" 2>/dev/null
wait "$GATE_PID" 2>/dev/null
GATE_PID=""
for _ in $(seq 50); do [ -z "$(ip netns pids "$GW")" ] && break; sleep 0.1; done
left=$(ip netns pids "$GW" | xargs -r ps -o pid=,ppid=,stat=,args= -p | tr "\n" ";")
expect "recall-gate stopped its fetcher, nothing left ($left)" test -z "$left"

expect "nothing a sanitizer said in the gate or its fetcher" bash -c "! grep -q 'Sanitizer\|runtime error' '$T/gate.log'"

echo "$checks checks, $fails failed"
if [ "$fails" -ne 0 ]; then
	echo "--- gate.log"
	tail -n 30 "$T/gate.log"
fi
[ "$fails" -eq 0 ]
