#!/bin/bash
# recall-gate's enforcement with real nftables (gate/enforce.c) in a gateway namespace, driven
# through the real check, enforcement and owner-action code and the real inventory store
# (tests/helpers/gate/enforce_drv.c), with a feed made by the recall tool. Namespaces (created
# here, removed on exit, also on failure):
#   dev  (the device, MAC 02:00:00:77:00:10)  192.168.77.10/24 fd77::10/64  --+
#   peer (another LAN host)                   192.168.77.20/24 fd77::20/64  --+-- br-lan of gw
#   gw   (the gateway: br-lan 192.168.77.1 fd77::1, dnsmasq for DHCP and DNS, forwarding)
#   net  (behind gw's wan): Internet host 198.18.0.10 2001:db8:10::10, remedy host 198.18.0.20
#        2001:db8:20::20 (the notice's remedy URL host, resolved by the gate through dnsmasq),
#        responder 198.18.0.74 2001:db8:74::74; one HTTP server answers on all of them.
# Checks: a recalled device reaches the other LAN host, the gateway's DHCP and DNS, the
# responder and the remedy host, not the Internet host (IPv4 and IPv6); a new address of the
# device is still blocked (MAC match); the other LAN host is not affected; release, allow and
# enforce; a gateway restart (table deleted, forwarding off, as after a reboot) has the table
# and the persisted sets back as soon as the driver says ready, before forwarding resumes.
# Then the real daemon (checkin mode against recalld): announcements attributed to their
# sender; a forged source address (the other host sends an announcement and an SSDP NOTIFY
# from the device's address) changes nothing of the device and counts lan_mac_mismatch; an
# agent's "normal" after "quarantined" lifts the block; `nft flush ruleset` is undone; and in
# feed mode a newer feed file is loaded and enforced without a restart.
# Needs root, ip, nft, dnsmasq, busybox, curl, python3; exit 77 (skip) otherwise.
set -u
BUILD=${1:?usage: $0 BUILD_DIR}
case "$BUILD" in /*) ;; *) BUILD="$(pwd)/$BUILD" ;; esac
SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DRV="$BUILD/gate/gate-enforce-drv"
TOOL="$BUILD/tools/recall"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in ip nft dnsmasq busybox curl python3; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
[ -x "$DRV" ] && [ -x "$TOOL" ] || { echo "build gate-enforce-drv and recall_tool first"; exit 1; }

P=rcg4-$$
GW=$P-gw DEV=$P-dev PEER=$P-peer NET=$P-net
T=$(mktemp -d)
MAC=02:00:00:77:00:10
fails=0
checks=0
. "$SRC/tests/helpers/ns_reap.sh"
cleanup() {
	[ -n "${DRV_PID:-}" ] && kill "$DRV_PID" 2>/dev/null
	[ -n "${GATE_PID:-}" ] && kill "$GATE_PID" 2>/dev/null
	for n in $GW $DEV $PEER $NET; do ns_reap "$n"; done
	rm -rf "/etc/netns/$GW" "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { checks=$((checks + 1)); echo "ok - $*"; }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL - $*"; }
expect() { local m=$1; shift; if "$@" >/dev/null 2>&1; then ok "$m"; else bad "$m"; fi; }
expect_not() { local m=$1; shift; if "$@" >/dev/null 2>&1; then bad "$m"; else ok "$m"; fi; }
inns() { local n=$1; shift; ip netns exec "$n" "$@"; }
http() { inns "$1" curl -s -o /dev/null --max-time 2 -g "http://$2:8080/"; }
ping_() { inns "$1" ping -c1 -W1 -q "$2"; }

# ---- the network ----
for n in $GW $DEV $PEER $NET; do ip netns add "$n" && inns "$n" ip link set lo up; done
inns "$GW" ip link add br-lan type bridge
inns "$GW" ip link set br-lan up
inns "$GW" ip addr add 192.168.77.1/24 dev br-lan
inns "$GW" ip -6 addr add fd77::1/64 dev br-lan nodad
host() { # host NS PORT MAC V4 V6
	ip link add l0 netns "$1" address "$3" type veth peer name "$2" netns "$GW"
	inns "$GW" ip link set "$2" master br-lan up
	inns "$1" ip link set l0 up
	inns "$1" ip addr add "$4/24" dev l0
	inns "$1" ip -6 addr add "$5/64" dev l0 nodad
	inns "$1" ip route add default via 192.168.77.1
	inns "$1" ip -6 route add default via fd77::1
}
host "$DEV" p-dev "$MAC" 192.168.77.10 fd77::10
host "$PEER" p-peer 02:00:00:77:00:20 192.168.77.20 fd77::20
ip link add wan netns "$GW" type veth peer name up0 netns "$NET"
inns "$GW" ip link set wan up
inns "$GW" ip addr add 10.99.0.1/30 dev wan
inns "$GW" ip -6 addr add fd99::1/64 dev wan nodad
inns "$GW" ip route add 198.18.0.0/24 via 10.99.0.2
inns "$GW" ip -6 route add 2001:db8::/32 via fd99::2
inns "$NET" ip link set up0 up
inns "$NET" ip addr add 10.99.0.2/30 dev up0
inns "$NET" ip -6 addr add fd99::2/64 dev up0 nodad
inns "$NET" ip route add 192.168.77.0/24 via 10.99.0.1
inns "$NET" ip -6 route add fd77::/64 via fd99::1
for a in 198.18.0.10/32 198.18.0.20/32 198.18.0.74/32; do inns "$NET" ip addr add $a dev lo; done
for a in 2001:db8:10::10/128 2001:db8:20::20/128 2001:db8:74::74/128; do
	inns "$NET" ip -6 addr add $a dev lo nodad
done
inns "$GW" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
(cd "$T" && exec ip netns exec "$NET" python3 -m http.server --bind :: 8080 >/dev/null 2>&1) &
inns "$GW" dnsmasq --conf-file=/dev/null --interface=br-lan --bind-interfaces --no-resolv \
	--no-hosts --no-ping --pid-file="$T/dnsmasq.pid" --dhcp-leasefile="$T/leases" \
	--dhcp-range=192.168.77.100,192.168.77.150,2m \
	--address=/remedy.example/198.18.0.20 --address=/remedy.example/2001:db8:20::20
# The gate resolves the remedy URL's host with the gateway's resolver (dnsmasq).
mkdir -p "/etc/netns/$GW"
echo "nameserver 192.168.77.1" >"/etc/netns/$GW/resolv.conf"

# ---- a feed: a 2-of-3 anchor set, one notice for acme / cam 1 / 1.2.3 (remedy URL host
# remedy.example), made by the recall tool ----
# notice NAME ID TEXT REMEDY-PATH VENDOR MODEL VERSION: NAME.notice, quarantine, signed by a1, a2
notice() {
	printf '{"id": "%s", "expiry": "2099-01-01", "action": "quarantine", "severity": "high",
 "text": "%s", "remedy": {"url": "http://remedy.example/%s"},
 "target": {"vendor": "%s", "model": "%s", "versions": ["%s"]}}\n' "$2" "$3" "$4" "$5" "$6" "$7" >"$1.json"
	"$TOOL" notice create "$1.json" && "$TOOL" notice sign -k a1.key "$1.notice" &&
		"$TOOL" notice sign -k a2.key "$1.notice"
}
(
	set -e
	cd "$T"
	for k in a1 a2 a3 feedkey; do "$TOOL" keygen "$k"; done
	"$TOOL" anchors create --k 2 --epoch 1 -o anchors a1.pub a2.pub a3.pub
	notice cam RC-GATE-0001 "Gate enforcement test notice." fw ACME "Cam 1" 1.2.3
	"$TOOL" feed build -k feedkey.key -a anchors -o feed --serial 1 cam.notice
) >"$T/tool.log" 2>&1 || { cat "$T/tool.log"; echo "FAIL - feed"; exit 1; }
mkdir -p "$T/state"

# ---- the driver (coprocess): one command a line, one answer a line ----
start_drv() {
	coproc DRVP { exec ip netns exec "$GW" "$DRV" --interface br-lan --state-dir "$T/state" \
		--responder 198.18.0.74 --responder '[2001:db8:74::74]:7412' --feed "$T/feed" \
		--feed-key "$T/feedkey.pub" --anchors "$T/anchors" 2>>"$T/drv.log"; }
	DRV_PID=$DRVP_PID
	local l=""
	read -r -t 10 -u "${DRVP[0]}" l
	[ "$l" = ready ]
}
drv() { # drv CMD ARG...: one tab-separated line; prints the answer line
	local IFS=$'\t'
	echo "$*" >&"${DRVP[1]}"
	local l=""
	read -r -t 10 -u "${DRVP[0]}" l
	echo "$l"
}
drv_ok() { [ "$(drv "$@")" = ok ]; }
state_is() { drv state "$MAC" | grep -q "^state $1 "; }
in_set() { inns "$GW" nft list set inet recall_gate "$1" | grep -q "$2"; }

up() { http "$PEER" 198.18.0.10 && http "$PEER" "[2001:db8:10::10]"; }
for _ in $(seq 50); do up && break; sleep 0.1; done
expect "driver starts; table installed" start_drv
expect "before any recall: device reaches the Internet host (IPv4)" http "$DEV" 198.18.0.10
expect "before any recall: device reaches the Internet host (IPv6)" http "$DEV" "[2001:db8:10::10]"

expect "device seen at its addresses" drv_ok dev "$MAC" 192.168.77.10 fd77::10
expect "UPnP-described identity ACME / Cam 1 / 1.2.3 checked against the feed" drv_ok id "$MAC" ACME "Cam 1" 1.2.3
st=$(drv state "$MAC")
echo "    $st"
case "$st" in "state 4 notice RC-GATE-0001 blocked 1") ok "recalled and blocked" ;; *) bad "recalled and blocked: $st" ;; esac
expect "q_mac holds the device's MAC" in_set q_mac "$MAC"
expect "allow4 holds the remedy host resolved via dnsmasq" in_set allow4 198.18.0.20
expect "allow6 holds the remedy host's IPv6 address" in_set allow6 2001:db8:20::20

probe_blocked() { # probe_blocked LABEL
	expect "$1: reaches the other LAN host (IPv4)" ping_ "$DEV" 192.168.77.20
	expect "$1: reaches the other LAN host (IPv6)" ping_ "$DEV" fd77::20
	expect "$1: gateway DNS answers" inns "$DEV" busybox nslookup remedy.example 192.168.77.1
	expect "$1: gateway DHCP answers" inns "$DEV" busybox udhcpc -i l0 -n -q -t 5 -T 1 -s /bin/true
	expect "$1: reaches the responder (IPv4)" http "$DEV" 198.18.0.74
	expect "$1: reaches the responder (IPv6)" http "$DEV" "[2001:db8:74::74]"
	expect "$1: reaches the remedy host (IPv4)" http "$DEV" 198.18.0.20
	expect "$1: reaches the remedy host (IPv6)" http "$DEV" "[2001:db8:20::20]"
	expect_not "$1: does NOT reach the Internet host (IPv4)" http "$DEV" 198.18.0.10
	expect_not "$1: does NOT reach the Internet host (IPv6)" http "$DEV" "[2001:db8:10::10]"
	expect_not "$1: no ping to the Internet host (IPv4)" ping_ "$DEV" 198.18.0.10
	expect "$1: the other LAN host still reaches the Internet host (IPv4)" http "$PEER" 198.18.0.10
	expect "$1: the other LAN host still reaches the Internet host (IPv6)" http "$PEER" "[2001:db8:10::10]"
}
probe_open() {
	expect "$1: device reaches the Internet host (IPv4)" http "$DEV" 198.18.0.10
	expect "$1: device reaches the Internet host (IPv6)" http "$DEV" "[2001:db8:10::10]"
}
probe_blocked quarantined
dropped() { inns "$GW" nft list chain inet recall_gate quarantined | grep -q 'counter packets [1-9]'; }
expect "drop counter counts the blocked packets" dropped

# A new address the gate has not seen: still blocked by the MAC.
inns "$DEV" ip addr flush dev l0 scope global
inns "$DEV" ip addr add 192.168.77.11/24 dev l0
inns "$DEV" ip -6 addr add fd77::11/64 dev l0 nodad
inns "$DEV" ip route replace default via 192.168.77.1
inns "$DEV" ip -6 route replace default via fd77::1
expect_not "q4 does not know the new address" in_set q4 192.168.77.11
probe_blocked "new address"

# Another program flushes the whole ruleset (Debian's nftables.service does): the gate finds
# its table gone and installs it again (the daemon looks every 10 s).
inns "$GW" nft flush ruleset
expect "ruleset flushed: the device reaches the Internet host for now" http "$DEV" 198.18.0.10
expect "the gate installs its table again" drv_ok verify
expect_not "blocked again after the flush (IPv4)" http "$DEV" 198.18.0.10
expect_not "blocked again after the flush (IPv6)" http "$DEV" "[2001:db8:10::10]"

# Owner actions.
expect "owner releases the device" drv_ok release "$MAC"
probe_open released
expect "owner sets enforce again" drv_ok enforce "$MAC"
expect_not "enforced again: no Internet (IPv4)" http "$DEV" 198.18.0.10
expect "owner: always allow" drv_ok allow "$MAC"
probe_open allowed
expect "owner: enforce" drv_ok enforce "$MAC"
expect_not "enforced: no Internet (IPv4)" http "$DEV" 198.18.0.10

# Restart as after a reboot: the driver stops, the kernel's table and forwarding are gone; at
# start the persisted devices are blocked before forwarding is switched on again.
drv quit >/dev/null
wait "$DRV_PID" 2>/dev/null
DRV_PID=""
expect "table stays while the gate is stopped" inns "$GW" nft list table inet recall_gate
expect_not "stopped: still no Internet (IPv4)" http "$DEV" 198.18.0.10
inns "$GW" nft delete table inet recall_gate
inns "$GW" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
expect "enforce.json persisted" grep -q "$MAC" "$T/state/enforce.json"
# A firewall that loads the saved script at boot (OpenWrt fw4's ruleset-post include) has the
# quarantine in force before the daemon starts.
expect "enforce.nft loads with nft -f" inns "$GW" nft -f "$T/state/enforce.nft"
expect "...and holds the MAC" in_set q_mac "$MAC"
inns "$GW" nft delete table inet recall_gate
expect "driver starts again (ready)" start_drv
expect "right after ready: q_mac holds the MAC (forwarding still off)" in_set q_mac "$MAC"
expect "right after ready: allow4 holds the remedy host" in_set allow4 198.18.0.20
inns "$GW" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
expect_not "after restart: no Internet (IPv4)" http "$DEV" 198.18.0.10
expect_not "after restart: no Internet (IPv6)" http "$DEV" "[2001:db8:10::10]"
expect "after restart: remedy host reachable (IPv4)" http "$DEV" 198.18.0.20
expect "after restart: remedy host reachable (IPv6)" http "$DEV" "[2001:db8:20::20]"

# ---- the real daemon: recall-gate in checkin mode against a real recalld (the responder
# host), started after a "reboot" again; the announcements of LAN agents ----
GATE="$BUILD/gate/recall-gate"
RECALLD="$BUILD/responder/recalld"
drv quit >/dev/null
wait "$DRV_PID" 2>/dev/null
DRV_PID=""
inns "$GW" nft delete table inet recall_gate
inns "$GW" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
inns "$GW" ip link set br-lan type bridge mcast_snooping 0
cat >"$T/recalld.conf" <<EOF
listen = 198.18.0.74
port = 7412
workers = 1
feed = $T/feed
feed-key = $T/feedkey.pub
anchors = $T/anchors
metrics-listen = 127.0.0.1:9412
event-log = $T/events.jsonl
EOF
inns "$NET" "$RECALLD" -f -c "$T/recalld.conf" >"$T/recalld.log" 2>&1 &
cat >"$T/gate.conf" <<EOF
interface = br-lan
state-dir = $T/state
control-socket = $T/ctl
check-mode = checkin
anchors = $T/anchors
responder = 198.18.0.74:7412
vendors-map = $SRC/gate/data/vendors.map
oui-file = $SRC/gate/data/oui.txt
fetch-upnp = no
fetch-mud = no
EOF
# The owner's page needs a password (argon2id, as `recall-gate passwd` writes it).
python3 -c 'import ctypes, ctypes.util, os, sys
s = ctypes.CDLL(ctypes.util.find_library("sodium"))
assert s.sodium_init() >= 0
h = ctypes.create_string_buffer(128)
pw = b"gate-enforce-test"
s.crypto_pwhash_str_alg.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_ulonglong, ctypes.c_size_t, ctypes.c_int]
assert s.crypto_pwhash_str_alg(h, pw, len(pw), 2, 1 << 16, 2) == 0
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, h.value + b"\n")' "$T/state/password"
# systemd's side of Type=notify: at READY=1, look at the kernel's table at once.
cat >"$T/notify.py" <<'EOF'
import os, socket, subprocess, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
while True:
    if b"READY=1" in s.recv(4096):
        break
out = subprocess.run(["nft", "list", "set", "inet", "recall_gate", "q_mac"], capture_output=True, text=True)
open(sys.argv[2], "w").write(out.stdout + out.stderr)
EOF
inns "$GW" python3 "$T/notify.py" "$T/notify" "$T/at_ready" &
NPID=$!
for _ in $(seq 50); do [ -S "$T/notify" ] && break; sleep 0.1; done
NOTIFY_SOCKET="$T/notify" ip netns exec "$GW" "$GATE" -f -c "$T/gate.conf" run >"$T/gate.log" 2>&1 &
GATE_PID=$!
wait "$NPID"
expect "recall-gate: at READY=1 the table holds the blocked device's MAC" grep -q "$MAC" "$T/at_ready"
inns "$GW" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
expect_not "recall-gate restarted: no Internet (IPv4)" http "$DEV" 198.18.0.10
expect "recall-gate restarted: remedy host reachable (IPv4)" http "$DEV" 198.18.0.20
ctl() { inns "$GW" "$GATE" -c "$T/gate.conf" "$@"; }
expect "owner releases it (recall-gate action)" ctl action "$MAC" release
expect "released: device reaches the Internet host (IPv4)" http "$DEV" 198.18.0.10

announce() { # announce NS JSON: one agent announcement from that host
	inns "$1" python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
s.sendto(sys.argv[1].encode(), ("239.255.74.12", 7413))' "$2"
}
gate_state() { ctl status --json | python3 -c 'import json, sys
want = sys.argv[1]
for d in json.load(sys.stdin)["devices"]:
    if d["mac"] == want:
        print(d["state"])' "$1"; }
wait_state() { # wait_state MAC STATE: within 15 s (a loaded CI machine starts the gate slowly)
	for _ in $(seq 150); do [ "$(gate_state "$1")" = "$2" ] && return 0; sleep 0.1; done
	return 1
}
# announce_until NS JSON MAC STATE: as an agent repeats its announcement (a reminder), up to 4
# times until the gate shows the state; the host first talks to the gateway, so that the
# gateway's neighbour table knows its address (an announcement from an address the inventory
# cannot resolve is dropped).
announce_until() {
	ping_ "$1" 192.168.77.1 >/dev/null 2>&1
	for _ in 1 2 3 4; do
		announce "$1" "$2"
		wait_state "$3" "$4" && return 0
	done
	return 1
}
PEER_MAC=02:00:00:77:00:20
# The other LAN host claims, as an agent, a quarantine and names the device's MAC in its body.
expect "a lying agent's quarantine is its own: the other LAN host is agent-quarantined" \
	announce_until "$PEER" '{"recall-agent":1,"event":"recalled","state":"quarantined","mac":"'"$MAC"'","vendor":"other","model":"x","hwrev":"","fwver":"1","notice":"FAKE-1"}' "$PEER_MAC" agent_quarantine
expect_not "...and blocked at the gateway" http "$PEER" 198.18.0.10
expect "the device it named is not blocked" http "$DEV" 198.18.0.10

# A forged source address: the other LAN host adds the device's address to its own interface
# and sends from it (G4's reproduction, design/gate.md NOTES 15:50). The frame's source MAC is
# the other host's, not the one the gateway holds for that address: dropped and counted.
counter() { ctl status --json | python3 -c 'import json, sys
print(json.load(sys.stdin)["counters"].get(sys.argv[1], 0))' "$1"; }
dev_field() { ctl status --json | python3 -c 'import json, sys
for d in json.load(sys.stdin)["devices"]:
    if d["mac"] == sys.argv[1]:
        print(d["fields"].get(sys.argv[2], {}).get("value", ""))' "$1" "$2"; }
spoof() { # spoof GROUP PORT PAYLOAD: one datagram from the device's address, sent by the peer
	inns "$PEER" python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
s.bind(("192.168.77.11", 0))
s.sendto(sys.argv[3].replace("\\r\\n", "\r\n").encode(), (sys.argv[1], int(sys.argv[2])))' "$1" "$2" "$3"
}
# spoof_until GROUP PORT PAYLOAD DONE-CMD...: up to 4 datagrams, each followed by up to 5 s
# for the gate to have taken it one way or the other (DONE-CMD true, or a new mismatch)
spoof_until() {
	local grp=$1 port=$2 pl=$3 mm0
	shift 3
	mm0=$(counter lan_mac_mismatch)
	for _ in 1 2 3 4; do
		spoof "$grp" "$port" "$pl"
		for _ in $(seq 50); do
			"$@" && return 0
			[ "$(counter lan_mac_mismatch)" -gt "$mm0" ] && return 0
			sleep 0.1
		done
	done
	return 1
}
not_state() { [ "$(gate_state "$1")" != "$2" ]; }
is_state() { [ "$(gate_state "$1")" = "$2" ]; }
ping_ "$DEV" 192.168.77.1 >/dev/null 2>&1 # the gateway holds 192.168.77.11 for the device
inns "$PEER" sysctl -qw net.ipv4.conf.l0.arp_ignore=2 # the peer does not answer ARP for it
inns "$PEER" ip addr add 192.168.77.11/32 dev l0
dev_state0=$(gate_state "$MAC")
mm0=$(counter lan_mac_mismatch)
expect "forged source address: the announcement reaches the gate" spoof_until 239.255.74.12 7413 \
	'{"recall-agent":1,"state":"quarantined","vendor":"other","model":"y","hwrev":"","fwver":"1","notice":"SPOOF-1"}' \
	is_state "$MAC" agent_quarantine
expect_not "...the device whose address was forged is not agent-quarantined" is_state "$MAC" agent_quarantine
expect "...its state is unchanged ($dev_state0)" is_state "$MAC" "$dev_state0"
expect "...it still reaches the Internet host" http "$DEV" 198.18.0.10
expect "...the gate counted a MAC mismatch" [ "$(counter lan_mac_mismatch)" -gt "$mm0" ]
upnp0=$(dev_field "$MAC" upnp_url)
mm0=$(counter lan_mac_mismatch)
ssdp_taken() { [ "$(dev_field "$MAC" upnp_url)" != "$upnp0" ]; }
expect "forged source address: an SSDP NOTIFY reaches the gate" spoof_until 239.255.255.250 1900 \
	'NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\nLOCATION: http://192.168.77.11:8000/spoof.xml\r\nUSN: uuid:spoof::upnp:rootdevice\r\n\r\n' \
	ssdp_taken
expect_not "...the device's UPnP URL is not the forger's" ssdp_taken
expect "...the gate counted another MAC mismatch" [ "$(counter lan_mac_mismatch)" -gt "$mm0" ]
inns "$PEER" ip addr del 192.168.77.11/32 dev l0
# The device announces itself as an agent (identity declared): the gate checks in with it at
# the responder (recalld), which answers recalled; the owner's release stands (notify).
gw_events() { grep -Ec '"source":"10[.]99[.]0[.]1",("source_port":[0-9]+,)?"sender":"gateway","vendor":"acme","model":"cam%201"' "$T/events.jsonl" 2>/dev/null; }
events_at_least() { # recalld writes its event log once a second: within 5 s
	for _ in $(seq 50); do [ "$(gw_events)" -ge "$1" ] && return 0; sleep 0.1; done
	return 1
}
expect "no gateway check-in has reached recalld yet" [ "$(gw_events)" = 0 ]
expect "the device announces itself (declared identity): still recalled, the owner chose notify" \
	announce_until "$DEV" '{"recall-agent":1,"event":"reminder","state":"normal","vendor":"acme","model":"cam%201","hwrev":"","fwver":"1.2.3"}' "$MAC" recalled
expect "...the gate checked in for it: recalld logged it, marked sender gateway" events_at_least 1
expect "owner: enforce (recall-gate action)" ctl action "$MAC" enforce
expect "checkin mode: quarantined after a fresh check-in answered recalled" wait_state "$MAC" quarantined
expect "...a second gateway check-in in recalld's event log" events_at_least 2
expect_not "quarantined: no Internet (IPv4)" http "$DEV" 198.18.0.10

# The lying host's agent reports "normal" again (same identity, only its state changed): the
# gate lifts the agent quarantine and checks it in (recalld: clear).
expect "the other host's agent announces normal again: no longer agent-quarantined" \
	announce_until "$PEER" '{"recall-agent":1,"event":"reminder","state":"normal","vendor":"other","model":"x","hwrev":"","fwver":"1"}' "$PEER_MAC" clear
expect "...and it reaches the Internet host again" http "$PEER" 198.18.0.10

# Another program flushes the ruleset (nftables.service): the daemon installs its table again
# (it looks every 10 s; allowed 20 s here).
table_back() {
	for _ in $(seq 40); do
		inns "$GW" nft list set inet recall_gate q_mac 2>/dev/null | grep -q "$MAC" && return 0
		sleep 0.5
	done
	return 1
}
inns "$GW" nft flush ruleset
expect "recall-gate: flushed table installed again, with the blocked MAC" table_back
expect_not "...the device is blocked again (IPv4)" http "$DEV" 198.18.0.10
kill "$GATE_PID" 2>/dev/null
wait "$GATE_PID" 2>/dev/null
GATE_PID=""
expect "recall-gate stopped; the table stays" inns "$GW" nft list table inet recall_gate

# ---- feed mode: a newer feed file that recalls the other host's build is loaded and enforced
# while the daemon runs (no restart, no signal) ----
(
	set -e
	cd "$T"
	notice other RC-GATE-0002 "Gate feed reload test notice." fw2 other x 1
	"$TOOL" feed build -k feedkey.key -a anchors -o feed2.new --serial 2 cam.notice other.notice
) >>"$T/tool.log" 2>&1 || bad "feed serial 2"
sed -e 's/^check-mode = checkin$/check-mode = feed/' "$T/gate.conf" >"$T/gate-feed.conf"
printf 'feed = %s\nfeed-key = %s\n' "$T/feed" "$T/feedkey.pub" >>"$T/gate-feed.conf"
ip netns exec "$GW" "$GATE" -f -c "$T/gate-feed.conf" run >>"$T/gate.log" 2>&1 &
GATE_PID=$!
for _ in $(seq 50); do [ -S "$T/ctl" ] && break; sleep 0.1; done
expect "feed mode: the other host is clear with feed serial 1" wait_state "$PEER_MAC" clear
cp "$T/feed" "$T/feed1"
mv "$T/feed2.new" "$T/feed"
expect "feed mode: feed serial 2 loaded while running; the other host is quarantined" \
	wait_state "$PEER_MAC" quarantined
expect_not "...and blocked at the gateway (IPv4)" http "$PEER" 198.18.0.10
kill "$GATE_PID" 2>/dev/null
wait "$GATE_PID" 2>/dev/null
GATE_PID=""

echo "$checks checks, $fails failed"
if [ "$fails" -ne 0 ]; then
	for f in drv.log gate.log recalld.log; do
		[ -s "$T/$f" ] && { echo "--- $f"; tail -n 20 "$T/$f"; }
	done
fi
[ "$fails" -eq 0 ]
