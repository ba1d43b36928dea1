# shellcheck shell=bash
# The recall lab: network namespaces with an ISP (router, two anycast responder nodes, an
# Internet host) and a home (NAT gateway with dnsmasq DHCP/RA, a LAN host, devices that take
# their address with busybox udhcpc). Sourced by lab/demo and tests/netns/lab_*.sh.
# Everything it creates carries the prefix $LAB and is removed by lab_down (also on error or
# Ctrl-C through the trap lab_init sets). Packets never leave these namespaces.

LAB=${LAB:-rl$(($$ % 100000))}
LAB_DIR=
LAB_ANYCAST4=192.0.2.74
LAB_ANYCAST6=2001:db8::74
LAB_INET4=198.51.100.10
LAB_INET6=2001:db8:100::10
LAB_LAN4=192.168.50
LAB_LAN6=2001:db8:50
LAB_NAS4=192.168.50.10
LAB_NAS6=2001:db8:50::10

lab_ns() { echo "$LAB-$1"; }
# Run a command in lab namespace $1.
lx() {
	local ns=$1
	shift
	ip netns exec "$LAB-$ns" "$@"
}

lab_down() {
	local ns pids
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$LAB-"); do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] && kill $pids 2>/dev/null
	done
	sleep 0.2
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$LAB-"); do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] && kill -9 $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ] && [ -z "${LAB_KEEP:-}" ] && rm -rf "$LAB_DIR"
	return 0
}

# Prepare: root check, scratch dir, cleanup trap (EXIT, INT, TERM).
lab_init() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "lab: needs root (network namespaces)" >&2
		return 77
	fi
	command -v ip >/dev/null || { echo "lab: iproute2 missing" >&2; return 1; }
	LAB_DIR=$(mktemp -d "/tmp/$LAB.XXXXXX")
	trap 'lab_down' EXIT
	trap 'lab_down; exit 130' INT
	trap 'lab_down; exit 143' TERM
}

lab_addns() {
	ip netns add "$LAB-$1"
	lx "$1" ip link set lo up
	lx "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# veth between namespace $1 (iface $2) and namespace $3 (iface $4).
lab_link() {
	ip link add "$2" netns "$LAB-$1" type veth peer name "$4" netns "$LAB-$3"
	lx "$1" ip link set dev "$2" up
	lx "$3" ip link set dev "$4" up
}

# Build the ISP: router r, responder nodes a and b (anycast on lo), Internet host inet.
lab_isp() {
	local n
	for n in r a b inet; do lab_addns "$n"; done
	lx r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	lab_link r ra a ar
	lab_link r rb b br
	lab_link r ri inet ir
	lx r ip addr add 10.255.1.1/30 dev ra
	lx r ip addr add fd00:255:1::1/64 dev ra nodad
	lx r ip addr add 10.255.2.1/30 dev rb
	lx r ip addr add fd00:255:2::1/64 dev rb nodad
	lx r ip addr add 198.51.100.1/24 dev ri
	lx r ip addr add 2001:db8:100::1/64 dev ri nodad
	for n in a b; do
		local i=1
		[ "$n" = b ] && i=2
		lx "$n" ip addr add "10.255.$i.2/30" dev "${n}r"
		lx "$n" ip addr add "fd00:255:$i::2/64" dev "${n}r" nodad
		lx "$n" ip addr add "$LAB_ANYCAST4/32" dev lo
		lx "$n" ip addr add "$LAB_ANYCAST6/128" dev lo
		lx "$n" ip route add default via "10.255.$i.1"
		lx "$n" ip -6 route add default via "fd00:255:$i::1"
	done
	lx inet ip addr add "$LAB_INET4/24" dev ir
	lx inet ip addr add "$LAB_INET6/64" dev ir nodad
	lx inet ip route add default via 198.51.100.1
	lx inet ip -6 route add default via 2001:db8:100::1
	lab_anycast_announce a
	lab_anycast_announce b
}

# Anycast by routing: a node's announcement is a route on the router (metric: a preferred).
# A health check withdraws it when the node's responder stops (lab_anycast_withdraw).
lab_anycast_announce() {
	local i=1 m=10
	[ "$1" = b ] && i=2 && m=20
	lx r ip route replace "$LAB_ANYCAST4/32" via "10.255.$i.2" metric "$m"
	lx r ip -6 route replace "$LAB_ANYCAST6/128" via "fd00:255:$i::2" metric "$m"
}
lab_anycast_withdraw() {
	local i=1 m=10
	[ "$1" = b ] && i=2 && m=20
	lx r ip route del "$LAB_ANYCAST4/32" via "10.255.$i.2" metric "$m" 2>/dev/null
	lx r ip -6 route del "$LAB_ANYCAST6/128" via "fd00:255:$i::2" metric "$m" 2>/dev/null
	return 0
}

# Build the home: gateway gw (NAT, dnsmasq DHCP + RA) with a LAN bridge and a LAN host (nas).
lab_home() {
	lab_addns gw
	lab_addns nas
	lab_link r rg gw gwr
	lx r ip addr add 100.64.10.1/30 dev rg
	lx r ip addr add 2001:db8:10::1/64 dev rg nodad
	lx r ip -6 route add "$LAB_LAN6::/64" via 2001:db8:10::2
	lx gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	lx gw ip addr add 100.64.10.2/30 dev gwr
	lx gw ip addr add 2001:db8:10::2/64 dev gwr nodad
	lx gw ip route add default via 100.64.10.1
	lx gw ip -6 route add default via 2001:db8:10::1
	lx gw ip link add br0 type bridge
	lx gw ip link set br0 up
	lx gw ip addr add "$LAB_LAN4.1/24" dev br0
	lx gw ip addr add "$LAB_LAN6::1/64" dev br0 nodad
	# NAT for IPv4, as a home gateway does.
	lx gw nft -f - <<NFT
table ip nat {
	chain postrouting {
		type nat hook postrouting priority srcnat;
		oifname "gwr" masquerade
	}
}
NFT
	lab_lan_port nas
	lx nas ip addr add "$LAB_NAS4/24" dev nasl
	lx nas ip addr add "$LAB_NAS6/64" dev nasl nodad
	lx nas ip route add default via "$LAB_LAN4.1"
	# dnsmasq: DHCPv4 with short leases (renewals happen during the tests) and SLAAC RAs.
	lx gw dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=0 --interface=br0 \
		--bind-interfaces --dhcp-range="$LAB_LAN4.100,$LAB_LAN4.150,255.255.255.0,${LAB_LEASE:-120}" \
		--dhcp-option=option:router,"$LAB_LAN4.1" --enable-ra \
		--dhcp-range="$LAB_LAN6::,ra-only,64" --dhcp-leasefile="$LAB_DIR/dnsmasq.leases" \
		--pid-file="$LAB_DIR/dnsmasq.pid" --log-facility="$LAB_DIR/dnsmasq.log" --log-dhcp &
}

# Plug namespace $1 into the home LAN bridge (its interface is "${1}l").
lab_lan_port() {
	local p="g$1"
	ip link add "${1}l" netns "$LAB-$1" type veth peer name "$p" netns "$LAB-gw"
	lx gw ip link set dev "$p" master br0 up
	lx "$1" ip link set dev "${1}l" up
}

# A device namespace on the LAN that takes its IPv4 address with busybox udhcpc (and IPv6 by
# SLAAC). udhcpc keeps running and renews the lease, re-adding the default route each time.
lab_device() {
	local d=$1
	lab_addns "$d"
	lx "$d" sysctl -qw net.ipv6.conf.all.accept_ra=2 "net.ipv6.conf.default.accept_ra=2"
	lab_lan_port "$d"
	LAB_DHCP_LOG="$LAB_DIR/$d.dhcp" lx "$d" busybox udhcpc -f -i "${d}l" \
		-s "$LAB_SRC/lab/udhcpc.script" -t 10 -T 1 -A 1 >"$LAB_DIR/$d.udhcpc.log" 2>&1 &
	local t=0
	while ! lx "$d" ip -4 route show default | grep -q default; do
		t=$((t + 1))
		if [ $t -gt 100 ]; then
			echo "lab: $d got no DHCP lease" >&2
			return 1
		fi
		sleep 0.1
	done
}

# True if namespace $1 can reach address $2 (one ICMP echo, 1 s).
lab_reach() {
	lx "$1" ping -n -c 1 -W 1 "$2" >/dev/null 2>&1
}
