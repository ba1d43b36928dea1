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
# A vendor's firmware server on the Internet: the remedy endpoint of the lab's notices, which a
# quarantined device may still reach.
LAB_FW4=203.0.113.80
LAB_FW6=2001:db8:80::80
# The transparency log on the Internet host: nginx serves the log's static files; the two
# witnesses (independent operators in a real deployment) listen on addresses of their own.
LAB_W1=198.51.100.21
LAB_W2=198.51.100.22
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

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
	return 0
}

# Names of this lab's namespaces that still exist (empty after a clean lab_down).
lab_left() {
	ip netns list 2>/dev/null | awk '{print $1}' | grep "^$LAB-"
}

# The EXIT trap: with LAB_KEEP set, leave everything for poking (and say how to remove it);
# otherwise remove everything and fail the run if any namespace of this lab survived.
lab_exit() {
	local rc=$? left
	trap - EXIT INT TERM HUP PIPE
	if [ -n "${LAB_KEEP:-}" ] && [ "$rc" -ne 130 ] && [ "$rc" -ne 143 ]; then
		echo "lab: LAB_KEEP is set: namespaces $LAB-* and $LAB_DIR are left running."
		echo "lab: enter one with: ip netns exec $LAB-<name> bash   (names: $(lab_left | sed "s/^$LAB-//" | tr '\n' ' '))"
		echo "lab: remove it all with: $LAB_SRC/lab/labctl down $LAB"
		exit "$rc"
	fi
	lab_down
	[ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ] && rm -rf "$LAB_DIR"
	left=$(lab_left)
	if [ -n "$left" ]; then
		echo "lab: FAIL: namespaces left behind: $left" >&2
		rc=1
	fi
	left=$(ip netns list 2>/dev/null | awk '{print $1}')
	[ -n "$left" ] && echo "lab: note: other namespaces exist (not this lab's): $(echo $left)" >&2
	exit "$rc"
}

# Prepare: root check, scratch dir, cleanup trap (EXIT, INT, TERM).
lab_init() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "lab: needs root (network namespaces)" >&2
		return 77
	fi
	command -v ip >/dev/null || { echo "lab: iproute2 missing" >&2; return 1; }
	command -v nft >/dev/null && command -v dnsmasq >/dev/null && command -v busybox >/dev/null ||
		{ echo "lab: needs nft, dnsmasq and busybox (scripts/deps installs them)" >&2; return 77; }
	LAB_DIR=$(mktemp -d "/tmp/$LAB.XXXXXX")
	chmod 755 "$LAB_DIR"
	trap 'lab_exit' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	trap 'exit 141' PIPE
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

# Build the ISP: router r, responder nodes a and b (anycast on lo), Internet host inet (with
# the vendor's firmware server).
lab_isp() {
	lab_router_inet
	lab_node a
	lab_node b
	lab_anycast_announce a
	lab_anycast_announce b
}

# Router r and the Internet host inet (with the vendor's firmware server) behind it.
lab_router_inet() {
	local n
	for n in r inet; do lab_addns "$n"; done
	lx r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	lab_link r ri inet ir
	lx r ip addr add 198.51.100.1/24 dev ri
	lx r ip addr add 2001:db8:100::1/64 dev ri nodad
	lx inet ip addr add "$LAB_INET4/24" dev ir
	lx inet ip addr add "$LAB_INET6/64" dev ir nodad
	lx inet ip route add default via 198.51.100.1
	lx inet ip -6 route add default via 2001:db8:100::1
	lx inet ip addr add "$LAB_FW4/32" dev lo
	lx inet ip addr add "$LAB_FW6/128" dev lo
	lx r ip route add "$LAB_FW4/32" via "$LAB_INET4"
	lx r ip -6 route add "$LAB_FW6/128" via "$LAB_INET6"
}

# Responder nodes: link number and anycast route metric (lower wins). a is preferred over b;
# m (a rogue node, only in the rogue test) announces a better route than both.
lab_node_idx() { case $1 in a) echo 1 ;; b) echo 2 ;; m) echo 3 ;; *) return 1 ;; esac; }
lab_node_metric() { case $1 in a) echo 10 ;; b) echo 20 ;; m) echo 5 ;; *) return 1 ;; esac; }

# A responder node $1 (a, b or m) linked to the router (10.255.<i>.0/30, fd00:255:<i>::/64),
# holding the anycast addresses on its loopback. Not announced yet.
lab_node() {
	local n=$1 i
	i=$(lab_node_idx "$n") || return 1
	lab_node_link "$n" "$i"
	lx "$n" ip addr add "$LAB_ANYCAST4/32" dev lo
	lx "$n" ip addr add "$LAB_ANYCAST6/128" dev lo
}
# Namespace $1 linked to the router as link $2: 10.255.$2.0/30 and fd00:255:$2::/64 (r .1, the
# node .2), the node's default routes via r.
lab_node_link() {
	local n=$1 i=$2
	lab_addns "$n"
	lab_link r "r$n" "$n" "${n}r"
	lx r ip addr add "10.255.$i.1/30" dev "r$n"
	lx r ip addr add "fd00:255:$i::1/64" dev "r$n" nodad
	lx "$n" ip addr add "10.255.$i.2/30" dev "${n}r"
	lx "$n" ip addr add "fd00:255:$i::2/64" dev "${n}r" nodad
	lx "$n" ip route add default via "10.255.$i.1"
	lx "$n" ip -6 route add default via "fd00:255:$i::1"
}

# Anycast by routing: a node's announcement is a route on the router (the lowest metric wins).
# A health check withdraws it when the node's responder stops (lab_anycast_withdraw).
lab_anycast_announce() {
	local i m
	i=$(lab_node_idx "$1") && m=$(lab_node_metric "$1") || return 1
	lx r ip route replace "$LAB_ANYCAST4/32" via "10.255.$i.2" metric "$m"
	lx r ip -6 route replace "$LAB_ANYCAST6/128" via "fd00:255:$i::2" metric "$m"
}
lab_anycast_withdraw() {
	local i m
	i=$(lab_node_idx "$1") && m=$(lab_node_metric "$1") || return 1
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
	# A fixed MAC: a bridge otherwise takes the lowest MAC of its ports, which changes when a
	# device is unplugged, and the other devices' neighbour entries would go stale.
	lx gw ip link add br0 address 02:00:00:00:50:01 type bridge
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
	lab_dnsmasq
}

# dnsmasq on gw: DHCPv4 with short leases (renewals happen during the tests) and SLAAC RAs.
# --no-ping: dnsmasq would otherwise ping each address for 3 s before offering it, one client
# at a time. LAB_DHCP_SCRIPT: its --dhcp-script (lab/gate.sh: recall-gate's lease hook).
lab_dnsmasq() {
	lx gw dnsmasq ${LAB_DHCP_SCRIPT:+--dhcp-script="$LAB_DHCP_SCRIPT"} --keep-in-foreground --no-resolv --no-hosts --port=0 --interface=br0 \
		--bind-interfaces --no-ping --dhcp-range="$LAB_LAN4.100,$LAB_LAN4.150,255.255.255.0,${LAB_LEASE:-120}" \
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
# SLAAC). udhcpc keeps running and renews the lease, re-adding the default route each time;
# every bound/renew is a line in $LAB_DIR/$1.dhcp.
lab_device() {
	lab_device_start "$1" && lab_device_wait "$1"
}
# The same in two steps, so that several devices can boot at once.
lab_device_start() {
	local d=$1
	lab_addns "$d"
	lx "$d" sysctl -qw net.ipv6.conf.all.accept_ra=2 "net.ipv6.conf.default.accept_ra=2"
	lab_lan_port "$d"
	# In a subshell: not a job of this shell, so a kill -9 (lab_unplug) is not reported.
	(LAB_DHCP_LOG="$LAB_DIR/$d.dhcp" ip netns exec "$LAB-$d" busybox udhcpc -f -i "${d}l" \
		-s "$LAB_SRC/lab/udhcpc.script" -t 10 -T 1 -A 1 >>"$LAB_DIR/$d.udhcpc.log" 2>&1 &)
}
lab_device_wait() {
	local d=$1 t=0
	while ! lx "$d" ip -4 route show default | grep -q default; do
		t=$((t + 1))
		if [ $t -gt 100 ]; then
			echo "lab: $d got no DHCP lease" >&2
			return 1
		fi
		sleep 0.1
	done
	# SLAAC: wait (bounded) for a global IPv6 address from the gateway's RA.
	t=0
	while ! lx "$d" ip -6 addr show dev "${d}l" scope global | grep -q inet6; do
		t=$((t + 1))
		[ $t -gt 50 ] && break
		sleep 0.1
	done
}

# Pull the plug on device $1: every process in it is killed (SIGKILL) and the namespace, with
# all its addresses, routes and rules, is gone, as after a power cut. Files stay.
lab_unplug() {
	local ns="$LAB-$1" pids
	pids=$(ip netns pids "$ns" 2>/dev/null)
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null
	local t=0
	while [ -n "$(ip netns pids "$ns" 2>/dev/null)" ] && [ $t -lt 50 ]; do
		sleep 0.1
		t=$((t + 1))
	done
	ip netns del "$ns"
	# The veth pair dies with the namespace, asynchronously: wait for the bridge port to go.
	t=0
	while lx gw ip link show "g$1" >/dev/null 2>&1 && [ $t -lt 50 ]; do
		sleep 0.1
		t=$((t + 1))
	done
}

# Pid of the process named $2 (its comm) in namespace $1, if any.
lab_pid() {
	local p
	for p in $(ip netns pids "$LAB-$1" 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && echo "$p" && return 0
	done
	return 1
}

# True if namespace $1 can reach address $2 (one ICMP echo, 1 s).
lab_reach() {
	lx "$1" ping -n -c 1 -W 1 "$2" >/dev/null 2>&1
}
