#!/bin/sh
# A quarantined device keeps its own LAN, not whatever a LAN host advertises as on-link. Three
# network namespaces this test creates and deletes: "dev" (the device), "gw" (its gateway and a
# LAN host: responder and remedy on its loopback, radvd, proxy ARP and proxy ND) and "inet" (an
# Internet host behind gw).
#   dev d0 192.0.2.10/24 2001:db8:1::10/64 <-> gw g0 192.0.2.1,.2/24 2001:db8:1::1,::2/64
#   gw i0 198.18.0.1/30 2001:db8:ff::1/64  <-> inet n0 198.18.0.2/30 2001:db8:ff::2/64
#   inet lo 203.0.113.5 2001:db8:99::5 (off-LAN)   gw lo 198.51.100.74 2001:db8:74::74 (check-in)
# A real router advertisement from radvd on g0 puts 2000::/3 on-link (AdvOnLink on, AdvAutonomous
# off) and DHCP option 121 style routes put 0.0.0.0/1 and 128.0.0.0/1 on d0; gw answers ARP and
# NS for the off-LAN host (proxy), so before the recall the device reaches it on-link. After a
# valid recall it must not (IPv4 and IPv6), while its LAN, gw's link-local address, the check-in
# addresses and the remedy endpoint stay reachable. Also: an address configured /8 gives a /16
# LAN, an IPv6 /48 a /64; a refresh that changes nothing writes nothing to the table.
# Needs root, ip, ping and radvd; exit 77 (skip) otherwise.
# shellcheck source=tests/netns/agent_common
. "$(dirname "$0")/agent_common"
need ip ping radvd

# Reachable: any of three echo requests answered (neighbour resolution through a proxy may
# take the first one).
reach() {
	for _ in 1 2 3; do indev ping -c1 -W1 -q "$1" >/dev/null 2>&1 && return 0; done
	return 1
}

dev_gw rclan
NET=rclan-inet-$$
add_netns "$NET"
ip link add i0 netns "$GW" type veth peer name n0 netns "$NET"
indev sh -e -c '
	sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv6.conf.default.accept_ra=2
	ip link set lo up; ip link set d0 up
	sysctl -qw net.ipv6.conf.d0.accept_ra=2 net.ipv6.conf.d0.accept_ra_pinfo=1
	ip addr add 192.0.2.10/24 dev d0; ip -6 addr add 2001:db8:1::10/64 dev d0 nodad'
ingw sh -e -c '
	sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip link set lo up; ip link set g0 up; ip link set i0 up
	sysctl -qw net.ipv4.conf.g0.proxy_arp=1 net.ipv6.conf.g0.proxy_ndp=1
	sysctl -qw net.ipv4.neigh.g0.proxy_delay=0 net.ipv6.neigh.g0.proxy_delay=0
	ip addr add 192.0.2.1/24 dev g0; ip addr add 192.0.2.2/24 dev g0
	ip -6 addr add 2001:db8:1::1/64 dev g0 nodad; ip -6 addr add 2001:db8:1::2/64 dev g0 nodad
	ip addr add 198.18.0.1/30 dev i0; ip -6 addr add 2001:db8:ff::1/64 dev i0 nodad
	for a in 198.51.100.74 198.51.100.80; do ip addr add $a/32 dev lo; done
	ip -6 addr add 2001:db8:74::74/128 dev lo nodad
	ip route add 203.0.113.0/24 via 198.18.0.2
	ip -6 route add 2001:db8:99::/64 via 2001:db8:ff::2
	for a in 2001:db8:99::5 2001:db8:74::74; do ip -6 neigh add proxy $a dev g0; done'
ip netns exec "$NET" sh -e -c '
	ip link set lo up; ip link set n0 up
	ip addr add 198.18.0.2/30 dev n0; ip -6 addr add 2001:db8:ff::2/64 dev n0 nodad
	ip addr add 203.0.113.5/32 dev lo; ip -6 addr add 2001:db8:99::5/128 dev lo nodad
	ip route add default via 198.18.0.1; ip -6 route add default via 2001:db8:ff::1'
indev ip route add default via 192.0.2.1
indev ip -6 route add default via 2001:db8:1::1

# The rogue announcements: a router advertisement with 2000::/3 on-link (not a default router)
# and option-121-style classless routes that cover the IPv4 Internet on-link.
cat >"$W/radvd.conf" <<EOF
interface g0 {
	AdvSendAdvert on;
	MinRtrAdvInterval 3;
	MaxRtrAdvInterval 4;
	AdvDefaultLifetime 0;
	prefix 2000::/3 {
		AdvOnLink on;
		AdvAutonomous off;
	};
};
EOF
ip netns exec "$GW" radvd -n -m stderr -C "$W/radvd.conf" -p "$W/radvd.pid" >"$W/radvd.log" 2>&1 &
RA=$!
indev ip route add 0.0.0.0/1 dev d0
indev ip route add 128.0.0.0/1 dev d0
i=0
while ! indev ip -6 route show 2000::/3 | grep -q d0 && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
if indev ip -6 route show 2000::/3 | grep -q d0; then
	ok "RA from radvd: 2000::/3 on-link in the device's main table"
else
	bad "no 2000::/3 route from the RA"; cat "$W/radvd.log"; indev ip -6 route
fi
gwll=$(ingw ip -6 addr show dev g0 scope link | sed -n 's/.*inet6 \(fe80::[0-9a-f:]*\).*/\1/p' | head -n1)

# Precondition: the off-LAN host answers on-link through gw's proxy (the bypass is real).
for a in 203.0.113.5 2001:db8:99::5; do
	if reach $a && indev ip neigh show $a dev d0 | grep -q lladdr; then
		ok "before the recall: $a reached on-link (proxy ARP/ND)"
	else bad "before the recall: $a not reached on-link"; indev ip neigh; fi
done

make_anchors
echo clear >"$W/mode"
serve 198.51.100.74 198.51.100.80/32
serve 2001:db8:74::74 198.51.100.80/32
mkdir -p "$W/state"
agent_conf "fwver = 1.0.0" "checkin-address = 198.51.100.74 [2001:db8:74::74]" \
	"state-dir = $W/state" "debounce = 100ms"
start_agent

echo recall >"$W/mode"
checkin
st=$(state)
[ "$st" = quarantined ] && ok "valid recall: state quarantined" || bad "state $st, expected quarantined"
indev ip neigh flush dev d0
expect_block 203.0.113.5 "quarantined (on-link 0.0.0.0/1, 128.0.0.0/1 + proxy ARP)"
expect_block 2001:db8:99::5 "quarantined (RA on-link 2000::/3 + proxy ND)"
expect_reach 192.0.2.2 "quarantined (LAN)"
expect_reach 2001:db8:1::2 "quarantined (LAN v6)"
expect_reach "$gwll%d0" "quarantined (LAN v6 link-local)"
expect_reach 198.51.100.74 "quarantined (check-in)"
expect_reach 2001:db8:74::74 "quarantined (check-in v6)"
expect_reach 198.51.100.80 "quarantined (remedy endpoint)"
if table | grep -Eq '^(0\.0\.0\.0/1|128\.0\.0\.0/1|2000::/3) '; then
	bad "an announced on-link route was copied into table 7412"; table
else ok "no announced on-link route in table 7412"; fi

# Bounds: a /8 address gives the /16 around it, an IPv6 /48 the /64 around it.
indev ip addr add 10.1.2.3/8 dev d0
indev ip -6 addr add 2001:db8:2::10/48 dev d0 nodad
sleep 2.5
if indev ip route show table 7412 | grep -q '^10\.1\.0\.0/16 dev d0' &&
	! indev ip route show table 7412 | grep -q '^10\.0\.0\.0/8'; then
	ok "IPv4 /8 address: LAN clamped to 10.1.0.0/16"
else bad "IPv4 /8 address not clamped to /16"; table; fi
if indev ip -6 route show table 7412 | grep -q '^2001:db8:2::/64 dev d0' &&
	! indev ip -6 route show table 7412 | grep -q '^2001:db8:2::/48'; then
	ok "IPv6 /48 address: LAN clamped to 2001:db8:2::/64"
else bad "IPv6 /48 address not clamped to /64"; table; fi
if indev ip -6 route show table 7412 | grep -q '^fe80::/64 dev d0'; then
	ok "fe80::/64 on d0 in table 7412"
else bad "no fe80::/64 on d0"; table; fi

# A refresh that changes nothing (another address in a prefix already kept) writes nothing.
ip netns exec "$DEV" ip monitor route >"$W/monitor" 2>&1 &
MON=$!
sleep 0.3
indev ip addr add 192.0.2.11/24 dev d0
sleep 2.5
kill "$MON"; wait "$MON" 2>/dev/null; MON=
if grep -q 'table 7412' "$W/monitor"; then
	bad "converged refresh changed table 7412"; cat "$W/monitor"
else ok "converged refresh: no change to table 7412"; fi
st=$(state)
[ "$st" = quarantined ] && ok "still quarantined" || bad "state $st, expected quarantined"

# Released by the owner (no check-in: attach check-ins are rate limited, and this test also
# runs against builds that predate the attach-interval setting).
indev "$AGENT" -c "$W/agent.conf" override all >/dev/null
sleep 0.5
if indev ip rule | grep -q "lookup 7412" || indev ip -6 rule | grep -q "lookup 7412" || [ -n "$(table)" ]; then
	bad "release: rules or routes left behind"; table
else ok "release by override: no rule or route left"; fi

stop_agent
echo "--- agent log (tail)"; tail -n 10 "$W/agent.log"
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
