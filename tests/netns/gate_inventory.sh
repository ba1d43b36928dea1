#!/bin/sh
# recall-gate's inventory from real LAN traffic, in namespaces this test creates and deletes:
# a gateway rcg2-gw-PID (bridge br0 192.168.77.1/24, real dnsmasq with
# --dhcp-script=recall-gate-lease, recall-gate) and client namespaces rcg2-cN-PID on the bridge:
#   c1 busybox udhcpc with a MUD URL (option 161, -x 0xa1:HEX)
#   c2 busybox udhcpc with a vendor class (-V) and a hostname
#   c3 a camera: DHCP, SSDP NOTIFY/M-SEARCH replies, UPnP description over HTTP (tests/gate)
#   c4 an mDNS device: DHCP, unsolicited DNS-SD responses with TXT records
#   c5 a phone with a locally administered (randomised) MAC
#   c6 a liar: an agent announcement whose body names the camera's MAC
# Checks `recall-gate status --json`: each device keyed by its MAC with its fields and sources,
# the liar changes only itself, and a restart keeps the inventory. Needs root, dnsmasq, busybox,
# python3; exit 77 (skip) otherwise.
set -u
B=${1:?usage: $0 BUILD_DIR}
S=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
GATE=$B/gate/recall-gate
RECALL=$B/tools/recall
[ -x "$GATE" ] && [ -x "$RECALL" ] || { echo "SKIP: recall-gate or recall not built"; exit 77; }
for c in dnsmasq busybox python3 ip; do
	command -v "$c" >/dev/null || { echo "SKIP: needs $c"; exit 77; }
done
W=$(mktemp -d /tmp/gate_inventory.XXXXXX)
GW=rcg2-gw-$$
NSS='' PIDS='' GP=''
. "$S/tests/helpers/ns_reap.sh"
cleanup() {
	for p in $PIDS $GP; do kill "$p" 2>/dev/null; done
	for n in $NSS; do ns_reap "$n"; done
	wait 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fails=0
ok() { echo "ok: $*"; }
bad() { fails=$((fails + 1)); echo "FAIL: $*"; }

ip netns add "$GW" || { echo "SKIP: cannot create namespaces"; exit 77; }
NSS=$GW
ingw() { ip netns exec "$GW" "$@"; }
ingw ip link set lo up
ingw ip link add br0 type bridge
ingw ip addr add 192.168.77.1/24 dev br0
ingw ip link set br0 up

# client N MAC: namespace rcg2-cN-PID with eth0 (MAC) bridged into br0.
client() {
	ns=rcg2-c$1-$$
	ip netns add "$ns" && NSS="$NSS $ns"
	ip link add eth0 netns "$ns" address "$2" type veth peer name p$1 netns "$GW"
	ingw ip link set p$1 master br0 up
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" ip link set eth0 up
}
# The clients' udhcpc script: configure the lease (the client's own job, not the gate's).
cat >"$W/udhcpc.sh" <<'EOF'
#!/bin/sh
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
ip addr flush dev "$interface"
ip addr add "$ip/${mask:-24}" dev "$interface"
[ -n "${router:-}" ] && ip route replace default via "${router%% *}"
exit 0
EOF
chmod +x "$W/udhcpc.sh"
dhcp() { # N UDHCPC-ARGS...
	n=$1
	shift
	ip netns exec "rcg2-c$n-$$" busybox udhcpc -i eth0 -q -n -t 5 -T 1 -s "$W/udhcpc.sh" "$@" \
		>"$W/udhcpc$n.log" 2>&1 || bad "client $n: no lease ($(tail -1 "$W/udhcpc$n.log"))"
}
addr_of() { ip netns exec "rcg2-c$1-$$" ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1; }

# The recall authority's test feed (feed mode needs a verified feed and the anchors).
. "$S/tests/helpers/example_feed.sh"
mkdir -p "$W/feed" "$W/state"
example_feed "$RECALL" "$W/feed" || { bad "example feed"; exit 1; }
cat >"$W/gate.conf" <<EOF
interface = br0
state-dir = $W/state
control-socket = $W/control
feed = $W/feed/feed
feed-key = $W/feed/feed.pub
anchors = $W/feed/anchors
# (check-in addresses are also what a quarantined device may still reach)
responder = 192.0.2.53:7412 [2001:db8::53]:7412
vendors-map = $S/gate/data/vendors.map
oui-file = $S/gate/data/oui.txt
odhcpd-statefile = $W/odhcpd
EOF
# dnsmasq runs its script without arguments of ours: installed, the recall-gate-lease link
# stands for `recall-gate lease` with the default configuration; here a hook names the test's.
cat >"$W/lease-hook" <<EOF
#!/bin/sh
exec "$GATE" -c "$W/gate.conf" lease "\$@"
EOF
chmod +x "$W/lease-hook"

start_gate() {
	ip netns exec "$GW" "$GATE" -c "$W/gate.conf" -f -v run >>"$W/gate.log" 2>&1 &
	GP=$!
	for _ in $(seq 50); do [ -S "$W/control" ] && return 0; sleep 0.1; done
	bad "recall-gate did not start"
	cat "$W/gate.log"
	exit 1
}
stop_gate() {
	kill "$GP"
	wait "$GP"
	rc=$?
	GP=''
	[ "$rc" -eq 0 ] || bad "recall-gate exited with status $rc"
}
status() { ingw "$GATE" -c "$W/gate.conf" status --json; }
# field MAC JQ-PATH: a value of a device from the status JSON (python3, no jq needed).
field() {
	status | python3 -c '
import json, sys
mac, path = sys.argv[1], sys.argv[2].split(".")
for d in json.load(sys.stdin)["devices"]:
    if d["mac"] == mac:
        v = d
        for p in path:
            v = v.get(p, {}) if isinstance(v, dict) else {}
        print(v if not isinstance(v, (dict, list)) or v else "")
        break
else:
    print("MISSING")' "$1" "$2"
}
expect() { # MAC PATH VALUE WHAT
	v=$(field "$1" "$2")
	[ "$v" = "$3" ] && ok "$4: $2 = $v" || bad "$4: $2 = '$v', expected '$3'"
}
wait_for() { # MAC PATH VALUE WHAT (up to 15 s, or WAIT/2 s)
	for _ in $(seq "${WAIT:-30}"); do [ "$(field "$1" "$2")" = "$3" ] && break; sleep 0.5; done
	expect "$@"
}

start_gate
ip netns exec "$GW" dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface=br0 --bind-interfaces \
	--dhcp-range=192.168.77.100,192.168.77.199,255.255.255.0,1h --dhcp-leasefile="$W/leases" \
	--dhcp-script="$W/lease-hook" --user=root --group=root --log-dhcp >"$W/dnsmasq.log" 2>&1 &
PIDS="$PIDS $!"
sleep 1

MUD=https://mud.example.com/cam.json
MUDHEX=$(printf %s "$MUD" | od -An -tx1 | tr -d ' \n')
M1=00:16:3e:00:00:01 M2=00:16:3e:00:00:02 M3=00:16:3e:00:00:03 M4=00:16:3e:00:00:04
M5=da:a1:19:00:00:05 M6=00:16:3e:00:00:06
client 1 $M1; client 2 $M2; client 3 $M3; client 4 $M4; client 5 $M5; client 6 $M6
dhcp 1 -x 0xa1:"$MUDHEX" -x hostname:mudcam
dhcp 2 -V "AcmeVendorClass/2.1" -x hostname:thermo
dhcp 3 -x hostname:garden-cam
dhcp 4 -x hostname:printer
dhcp 5 -x hostname:phone
dhcp 6 -x hostname:liar
A3=$(addr_of 3) A4=$(addr_of 4)

# The devices speak (simulations in tests/gate/devices.py; each stops after LIFETIME s).
export LIFETIME=90
HTTP_DELAY=3 ip netns exec "rcg2-c3-$$" python3 "$S/tests/gate/devices.py" camera "$A3" Hikvision DS-2CD2042WD "V5.4.5 build 170124" &
PIDS="$PIDS $!"
ip netns exec "rcg2-c4-$$" python3 "$S/tests/gate/devices.py" mdns "$A4" printer "Office Printer" Brother HL-L2350DW 1.22 &
PIDS="$PIDS $!"
ip netns exec "rcg2-c6-$$" python3 "$S/tests/gate/devices.py" announce \
	"{\"recall-agent\":1,\"event\":\"recalled\",\"state\":\"quarantined\",\"mac\":\"$M3\",\"vendor\":\"evil\",\"model\":\"liar\",\"fwver\":\"6.6.6\",\"notice\":\"RC-FAKE-1\",\"action\":\"quarantine\"}" &
PIDS="$PIDS $!"

wait_for $M1 fields.mud_url.value "$MUD" "MUD client"
expect $M1 fields.mud_url.source dhcp "MUD client"
expect $M1 fields.hostname.value mudcam "MUD client"
wait_for $M2 fields.vendor_class.value "AcmeVendorClass/2.1" "vendor-class client"
expect $M2 fields.vendor_class.source dhcp "vendor-class client"
expect $M2 fields.hostname.value thermo "vendor-class client"
wait_for $M3 fields.upnp_url.value "http://$A3:8000/desc.xml" "camera (SSDP)"
expect $M3 fields.upnp_url.source ssdp "camera (SSDP)"
# Its description server starts 3 s late: the first fetch fails, the retry 10 s later works.
WAIT=80 wait_for $M3 fields.fwver.value "V5.4.5 build 170124" "camera (UPnP description, fetched again)"
expect $M3 fields.fwver.source upnp "camera (UPnP description)"
expect $M3 fields.model.value DS-2CD2042WD "camera (UPnP description)"
expect $M3 confidence described "camera"
wait_for $M4 fields.model.value HL-L2350DW "mDNS device"
expect $M4 fields.model.source mdns "mDNS device"
expect $M4 fields.manufacturer.value Brother "mDNS device"
expect $M5 mac_random True "phone"
expect $M5 fields.hostname.value phone "phone"
expect $M2 mac_random False "vendor-class client"
wait_for $M6 fields.agent_state.value quarantined "liar (its own announcement)"
expect $M6 fields.agent_state.source agent "liar"
# The liar named the camera's MAC: the camera must not have taken any of it.
expect $M3 fields.agent_state.value "" "camera untouched by the liar"
expect $M3 fields.model.value DS-2CD2042WD "camera untouched by the liar"
for m in $M1 $M2 $M3 $M4 $M5 $M6; do
	[ "$(field $m present)" = True ] && ok "$m present" || bad "$m not present"
	n=$(status | grep -c "\"$m\"")
	[ "$n" -eq 1 ] || bad "$m listed $n times"
done
expect 00:16:3e:00:00:99 mac MISSING "no invented device"

# OpenWrt's odhcpd: its leasetrigger (the hook without arguments) makes the gate read its
# state file; a line that is not a lease is skipped.
printf '%s\n' '# br-lan 00163e00000a ipv4 sensor 1796310000 c0a84d0a 32 192.168.77.10/32' \
	'garbage line' '# br-lan 00163e00000b ipv4 broken\x20name 0 1 32 192.168.77.11/32' >"$W/odhcpd"
"$W/lease-hook"
wait_for 00:16:3e:00:00:0a fields.hostname.value sensor "odhcpd lease"
expect 00:16:3e:00:00:0a fields.hostname.source dhcp "odhcpd lease"
status | grep -q '"addr": "192.168.77.10"' && ok "odhcpd lease address" || bad "odhcpd lease address missing"

# From the WAN side (rcg2-wan-PID, 10.99.0.2 -> the gateway's 10.99.0.1): announcements and
# SSDP to the gate's ports are not LAN input and are dropped (counted), whatever they say.
WAN=rcg2-wan-$$
ip netns add "$WAN" && NSS="$NSS $WAN"
ip link add w0 netns "$GW" type veth peer name w1 netns "$WAN"
ingw ip addr add 10.99.0.1/24 dev w0
ingw ip link set w0 up
ip netns exec "$WAN" ip addr add 10.99.0.2/24 dev w1
ip netns exec "$WAN" ip link set w1 up
ndev=$(status | grep -c '"mac"')
ip netns exec "$WAN" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    s.sendto(b"{\"recall-agent\":1,\"event\":\"recalled\",\"state\":\"quarantined\"}", ("10.99.0.1", 7413))
    s.sendto(b"NOTIFY * HTTP/1.1\r\nNTS: ssdp:alive\r\nLOCATION: http://10.99.0.2/x.xml\r\n\r\n", ("10.99.0.1", 1900))
    time.sleep(0.2)'
sleep 1
fi_count=$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["lan_foreign_if"])')
[ "$fi_count" -ge 6 ] && ok "WAN datagrams dropped as not from the LAN ($fi_count)" ||
	bad "WAN datagrams: lan_foreign_if = $fi_count, expected >= 6"
[ "$(status | grep -c '"mac"')" -eq "$ndev" ] && ok "no device from the WAN" || bad "WAN input made a device"

# Restart: the inventory comes back from inventory.json.
before=$(status | python3 -c 'import json,sys; print(sorted((d["mac"], d["fields"].get("model",{}).get("value","")) for d in json.load(sys.stdin)["devices"]))')
stop_gate
[ -s "$W/state/inventory.json" ] && ok "inventory.json written" || bad "no inventory.json"
kill $PIDS 2>/dev/null
start_gate
after=$(status | python3 -c 'import json,sys; print(sorted((d["mac"], d["fields"].get("model",{}).get("value","")) for d in json.load(sys.stdin)["devices"]))')
[ "$before" = "$after" ] && ok "restart keeps the inventory ($(status | grep -c '"mac"') devices)" ||
	bad "restart lost the inventory: before $before after $after"
expect $M3 fields.fwver.value "V5.4.5 build 170124" "after restart"

# A damaged file is refused at start with file and position, kept aside, nothing crashes.
stop_gate
printf '{"format":"recall-gate-inventory",\n"version":1,\n"devices":[{]}' >"$W/state/inventory.json"
start_gate
sleep 0.5
grep -q "inventory.json:3:" "$W/gate.log" && ok "damaged inventory refused with its position" ||
	bad "no error naming the damaged file's position"
[ -f "$W/state/inventory.json.bad" ] && ok "damaged file kept aside" || bad "damaged file not kept"
kill -0 "$GP" 2>/dev/null && ok "gate running with an empty inventory" || bad "gate died"

# The owner's commands: bad arguments are named, and refused with exit status 1.
cli() { ingw "$GATE" -c "$W/gate.conf" "$@" >"$W/cli.out" 2>&1; }
cli action zz:16:3e:00:00:01 quarantine
[ $? -eq 1 ] && grep -q 'MAC "zz:16:3e:00:00:01"' "$W/cli.out" && ok "bad MAC named" || bad "bad MAC: $(cat "$W/cli.out")"
cli action $M1 explode
[ $? -eq 1 ] && grep -q 'action "explode"' "$W/cli.out" && ok "unknown action named" || bad "unknown action: $(cat "$W/cli.out")"
cli action $M1 confirm-fw
[ $? -eq 1 ] && grep -q "VERSION" "$W/cli.out" && ok "confirm-fw without VERSION refused" || bad "confirm-fw: $(cat "$W/cli.out")"
cli status --bogus
[ $? -eq 2 ] && ok "usage error: exit 2" || bad "status --bogus: $(cat "$W/cli.out")"
stop_gate
cli status
[ $? -eq 1 ] && grep -q "control" "$W/cli.out" && ok "status without daemon: exit 1, socket named" || bad "status without daemon: $(cat "$W/cli.out")"
"$W/lease-hook" add $M1 192.168.77.5 x >"$W/cli.out" 2>&1
[ $? -eq 0 ] && ok "lease hook without daemon exits 0" || bad "lease hook without daemon: $(cat "$W/cli.out")"
if grep -q "Sanitizer\|runtime error" "$W/gate.log"; then bad "sanitizer report in gate.log"; fi

if [ "$fails" -ne 0 ]; then
	echo "--- gate.log"; tail -40 "$W/gate.log"; echo "--- dnsmasq.log"; tail -20 "$W/dnsmasq.log"
	echo "gate_inventory: $fails failed"
	exit 1
fi
echo "gate_inventory: all passed"
