#!/bin/sh
# recall-gate with 250 devices on a simulated LAN (docs/PERFORMANCE.md "recall-gate").
# Namespaces rgb-gw-PID (bridge br0 10.88.0.1/16, recall-gate in feed mode with the example
# feed of tests/helpers/example_feed.sh) and rgb-lan-PID: a veth into br0 carrying N macvlan
# interfaces, one per device, each with its own MAC and address. The burst: N DHCP lease events
# through the real lease hook (`recall-gate lease add MAC ADDR HOST` with dnsmasq's DNSMASQ_*
# variables), then one SSDP NOTIFY per device (bench/gate/lan.py), each answered by a UPnP
# description the gate fetches; every tenth device runs a recalled build and is quarantined.
# Measured from /proc/PID of the gate: VmRSS/VmHWM (status), Pss/Private_Dirty (smaps_rollup:
# shared library pages counted by share, and the gate's own writable memory) of the daemon, and
# Rss/Pss of its helper processes running at that moment; utime+stime, over an idle period before
# the burst (no devices), the burst (until every device is checked), and an idle period after
# it (N devices known). Prints one line per phase. Needs root.
# With SMAPS_DIR set, also writes SMAPS_DIR/PHASE.txt after each phase: per mapping (the
# binary, each shared library, heap, anonymous, stack) Rss, Pss and Private_Dirty in KiB from
# /proc/PID/smaps, largest Rss first (bench/gate/smaps.awk), and the same for the gate's
# helper processes (their own lines, "helper PID").
# Usage: [SMAPS_DIR=DIR] bench/gate/gate_250.sh BUILD_DIR [N=250] [IDLE_SECONDS=60]
set -u
B=$(cd "${1:?usage: $0 BUILD_DIR [N] [IDLE_SECONDS]}" && pwd)
N=${2:-250}
IDLE=${3:-60}
S=$(cd "$(dirname "$0")/../.." && pwd)
GATE=$B/gate/recall-gate
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 77; }
if [ "$N" -lt 1 ] || [ "$N" -gt 250 ]; then
	echo "N: 1..250" >&2
	exit 2
fi
W=$(mktemp -d /tmp/gate_250.XXXXXX)
GW=rgb-gw-$$ LAN=rgb-lan-$$ GP='' LP=''
cleanup() {
	[ -n "$GP" ] && kill "$GP" 2>/dev/null
	[ -n "$LP" ] && kill "$LP" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$GW" 2>/dev/null
	ip netns del "$LAN" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$GW" && ip netns add "$LAN" || exit 1
ip -n "$GW" link set lo up
ip -n "$GW" link add br0 type bridge
ip -n "$GW" addr add 10.88.0.1/16 dev br0
ip -n "$GW" link set br0 up
ip link add d0 netns "$LAN" type veth peer name p0 netns "$GW"
ip -n "$GW" link set p0 master br0 up
ip -n "$LAN" link set lo up
ip -n "$LAN" link set d0 up
i=0
while [ $i -lt "$N" ]; do
	m=$(printf '00:50:c2:88:%02x:%02x' $((i / 256)) $((i % 256)))
	echo "link add m$i link d0 address $m type macvlan mode bridge"
	echo "addr add 10.88.1.$((i + 1))/16 dev m$i"
	echo "link set m$i up"
	i=$((i + 1))
done >"$W/batch"
ip -n "$LAN" -batch "$W/batch" || exit 1
# ARP: each macvlan answers for its own address only
ip netns exec "$LAN" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2

. "$S/tests/helpers/example_feed.sh"
mkdir -p "$W/feed" "$W/state"
example_feed "$B/tools/recall" "$W/feed" || exit 1
cat >"$W/gate.conf" <<EOF
interface = br0
state-dir = $W/state
control-socket = $W/control
feed = $W/feed/feed
feed-key = $W/feed/feed.pub
anchors = $W/feed/anchors
vendors-map = $S/gate/data/vendors.map
oui-file = $S/gate/data/oui.txt
EOF
# (a build from before the fingerprint table has no such key)
if grep -q dhcp-fingerprints "$GATE"; then
	echo "dhcp-fingerprints = $S/gate/data/dhcp-fingerprints.txt" >>"$W/gate.conf"
fi
ip netns exec "$GW" "$GATE" -c "$W/gate.conf" -f run >"$W/gate.log" 2>&1 &
GP=$!
for _ in $(seq 50); do [ -S "$W/control" ] && break; sleep 0.1; done
[ -S "$W/control" ] || { cat "$W/gate.log"; exit 1; }

TCK=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$GP/stat"; }
mem() {
	awk '/^VmRSS|^VmHWM/ {printf "%s %d KiB  ", $1, $2}' "/proc/$GP/status"
	awk '/^Pss:|^Private_Dirty:/ {printf "%s %d KiB  ", $1, $2}' "/proc/$GP/smaps_rollup"
	# the gate's helper processes running at that moment (recall-gate-helper, -web, -nft)
	n=0 r=0 p=0
	# shellcheck disable=SC2013,SC2046 # PIDs separated by spaces; two numbers
	for c in $(cat "/proc/$GP/task/$GP/children" 2>/dev/null); do
		set -- $(awk '/^Rss:/ {r = $2} /^Pss:/ {p = $2} END {print r + 0, p + 0}' \
			"/proc/$c/smaps_rollup" 2>/dev/null)
		n=$((n + 1)) r=$((r + ${1:-0})) p=$((p + ${2:-0}))
	done
	printf "helpers %d: Rss %d KiB Pss %d KiB" "$n" "$r" "$p"
}
now() { date +%s.%N; }
# phase NAME T0 TICKS0: one line with wall time, CPU time and its share of one core, memory.
phase() {
	t1=$(now) k1=$(ticks)
	awk -v n="$1" -v t0="$2" -v t1="$t1" -v k0="$3" -v k1="$k1" -v hz="$TCK" -v m="$(mem)" \
		'BEGIN { w = t1 - t0; c = (k1 - k0) / hz;
		printf "%-26s wall %7.2f s  cpu %6.2f s  %6.3f%% of one core  %s\n", n, w, c, 100 * c / w, m }'
	[ -n "${SMAPS_DIR:-}" ] || return 0
	mkdir -p "$SMAPS_DIR"
	f=$SMAPS_DIR/$(echo "$1" | tr -c 'a-zA-Z0-9\n' _).txt
	{
		echo "# $1: mapping Rss Pss Private_Dirty (KiB), gate PID $GP"
		awk -f "$S/bench/gate/smaps.awk" "/proc/$GP/smaps"
		# shellcheck disable=SC2013 # PIDs separated by spaces
		for c in $(cat "/proc/$GP/task/$GP/children" 2>/dev/null); do
			echo "# helper $c ($(cat "/proc/$c/comm" 2>/dev/null))"
			awk -f "$S/bench/gate/smaps.awk" "/proc/$c/smaps" 2>/dev/null
		done
	} >"$f"
}
status_json() { ip netns exec "$GW" "$GATE" -c "$W/gate.conf" status --json; }
# "checked quarantined known": devices with a firmware build from UPnP that were checked
counts() {
	status_json | python3 -c '
import json, sys
d = json.load(sys.stdin)["devices"]
up = [x for x in d if x["fields"].get("fwver", {}).get("source") == "upnp" and x["checked"]]
print(len(up), sum(1 for x in up if x["state"] == "quarantined"), len(d))'
}

sleep 2
echo "recall-gate, $N devices, idle periods $IDLE s ($(nproc) cores, $(uname -r))"
t0=$(now) k0=$(ticks)
sleep "$IDLE"
phase "idle, no devices" "$t0" "$k0"

t0=$(now) k0=$(ticks)
i=0
while [ $i -lt "$N" ]; do
	m=$(printf '00:50:c2:88:%02x:%02x' $((i / 256)) $((i % 256)))
	DNSMASQ_VENDOR_CLASS="udhcp 1.35.0" DNSMASQ_REQUESTED_OPTIONS="1,3,6,12,15,28,42" \
		DNSMASQ_SUPPLIED_HOSTNAME="cam$i" DNSMASQ_INTERFACE=br0 \
		ip netns exec "$GW" "$GATE" -c "$W/gate.conf" lease add "$m" "10.88.1.$((i + 1))" "cam$i" ||
		echo "lease hook failed for $m" >&2
	i=$((i + 1))
done
phase "$N lease events" "$t0" "$k0"
ip netns exec "$LAN" python3 "$S/bench/gate/lan.py" 10.88.1 1 "$N" $((IDLE + 150)) >"$W/lan.log" 2>&1 &
LP=$!
done_=''
for _ in $(seq 120); do
	# shellcheck disable=SC2046 # three numbers
	set -- $(counts)
	[ "${1:-0}" -ge "$N" ] && done_=1 && break
	sleep 1
done
phase "leases+SSDP+UPnP+checks" "$t0" "$k0"
# shellcheck disable=SC2046 # three numbers
set -- $(counts)
echo "devices known $3, checked from UPnP $1, quarantined $2 (expected $(((N + 9) / 10)))"
[ -n "$done_" ] || echo "NOT all devices checked within 120 s" >&2
t0=$(now) k0=$(ticks)
sleep "$IDLE"
phase "idle, $N devices known" "$t0" "$k0"
echo "MACs in the nftables set q_mac: $(ip netns exec "$GW" nft list set inet recall_gate q_mac |
	grep -o '00:50:c2' | wc -l); gate log: $(grep -c . "$W/gate.log") lines"
[ -z "${SMAPS_DIR:-}" ] || cp "$W/gate.log" "$SMAPS_DIR/gate.log"
[ -n "$done_" ]
