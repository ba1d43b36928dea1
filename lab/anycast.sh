# shellcheck shell=bash
# The anycast lab on real routing (docs/ANYCAST.md): the ISP router r and four responder
# nodes in two PoPs (a1, a2 near; b1, b2 far) run BIRD 2 with eBGP over their veth links and
# BFD at 100 ms x 3. Each node announces the anycast /32 and /128 from two static protocols
# that its recall-healthcheck enables only while real check-ins to its own recalld pass. r
# prefers PoP a (local preference, standing for the shorter IGP distance) and spreads clients
# over both nodes of a PoP (ECMP: merge paths). Sourced after lab/lab.sh and lab/scenario.sh.
# Everything lives in the lab's namespaces and $LAB_DIR, removed by lab_down.

AC_NODES="a1 a2 b1 b2"
# Health checker timing of the lab: a check each 100 ms, withdrawn after 2 failures, back
# after 3 passes and a 3 s hold-down.
AC_HC_OPTS=${AC_HC_OPTS:-"-i 100 -t 100 -r 3 -f 2 -H 3000"}

ac_idx() { case $1 in a1) echo 1 ;; a2) echo 2 ;; b1) echo 3 ;; b2) echo 4 ;; *) return 1 ;; esac; }
ac_pop() { case $1 in a*) echo a ;; b*) echo b ;; esac; }
ac_as() { case $1 in a*) echo 65001 ;; b*) echo 65002 ;; esac; }
ac_ctl() { echo "$LAB_DIR/bird-$1.ctl"; }

# Locate recall-healthcheck in the build dir of sc_init.
ac_init() {
	HEALTHCHECK=$SC_B/health/recall-healthcheck
	[ -x "$HEALTHCHECK" ] || { echo "lab: $HEALTHCHECK is not built" >&2; return 77; }
	command -v bird >/dev/null && command -v birdc >/dev/null ||
		{ echo "lab: needs BIRD 2 (bird2; scripts/deps)" >&2; return 77; }
}

# BIRD's timers for the lab: BFD 100 ms x 3 (a dead peer is noticed in 300 ms), and quick
# reconnection after a failure instead of BIRD's 60 s error wait.
ac_bgp_common() {
	printf '\t%s\n' "bfd on;" "connect delay time 1;" "connect retry time 2;" \
		"error wait time 1, 5;" "graceful restart off;"
}

ac_bfd() {
	printf '%s\n' 'protocol bfd {' '	interface "*" {' '		min rx interval 100 ms;' \
		'		min tx interval 100 ms;' '		multiplier 3;' '	};' '}'
}

# The router's BIRD: a session per node and family; PoP b's routes get a lower local
# preference; the kernel gets every equal best route (ECMP).
ac_bird_router() {
	local n i pref f nb me set
	echo "# BIRD on the ISP router r of the anycast lab."
	echo "router id 10.255.0.1;"
	echo "protocol device { scan time 10; }"
	ac_bfd
	echo "protocol kernel k4 { ipv4 { import none; export where source = RTS_BGP; }; merge paths yes; }"
	echo "protocol kernel k6 { ipv6 { import none; export where source = RTS_BGP; }; merge paths yes; }"
	echo "# Only the anycast prefixes, as host routes, from the responder nodes."
	echo "define ANYCAST4 = [ $LAB_ANYCAST4/32 ];"
	echo "define ANYCAST6 = [ $LAB_ANYCAST6/128 ];"
	for n in $AC_NODES; do
		i=$(ac_idx "$n")
		pref=200
		[ "$(ac_pop "$n")" = b ] && pref=100
		for f in 4 6; do
			nb=10.255.$i.2 me=10.255.$i.1 set=ANYCAST4
			[ $f = 6 ] && nb=fd00:255:$i::2 me=fd00:255:$i::1 set=ANYCAST6
			echo "protocol bgp ${n}_$f {"
			echo "	local $me as 65000;"
			echo "	neighbor $nb as $(ac_as "$n");"
			ac_bgp_common
			echo "	ipv$f {"
			echo "		import filter { if net ~ $set then { bgp_local_pref = $pref; accept; } reject; };"
			echo "		export none;"
			echo "	};"
			echo "}"
		done
	done
}

# A node's BIRD: the anycast routes in two static protocols, disabled until its health
# checker enables them; exported to r over BGP (next hop: the node).
ac_bird_node() {
	local n=$1 i f loc nb
	i=$(ac_idx "$n")
	echo "# BIRD on responder node $n (PoP $(ac_pop "$n")) of the anycast lab."
	echo "router id 10.255.$i.2;"
	echo "protocol device { scan time 10; }"
	ac_bfd
	echo "# Enabled and disabled by recall-healthcheck only; withdrawn when BIRD starts."
	echo "protocol static anycast4 { disabled; ipv4; route $LAB_ANYCAST4/32 blackhole; }"
	echo "protocol static anycast6 { disabled; ipv6; route $LAB_ANYCAST6/128 blackhole; }"
	for f in 4 6; do
		loc=10.255.$i.2 nb=10.255.$i.1
		[ $f = 6 ] && loc=fd00:255:$i::2 nb=fd00:255:$i::1
		echo "protocol bgp r_$f {"
		echo "	local $loc as $(ac_as "$n");"
		echo "	neighbor $nb as 65000;"
		ac_bgp_common
		echo "	ipv$f { import none; export where proto = \"anycast$f\"; };"
		echo "}"
	done
}

# Start BIRD in namespace $1 with configuration file $2 (control socket: ac_ctl $1).
ac_bird_start() {
	local n=$1
	bird -p -c "$2" || return 1
	rm -f "$(ac_ctl "$n")"
	(ip netns exec "$LAB-$n" bird -f -c "$2" -s "$(ac_ctl "$n")" -P "$LAB_DIR/bird-$n.pid" \
		>>"$LAB_DIR/bird-$n.log" 2>&1 &)
	sc_wait 50 test -S "$(ac_ctl "$n")"
}
ac_birdc() {
	local n=$1
	shift
	birdc -s "$(ac_ctl "$n")" "$@"
}

# The router r, the Internet host inet (a client, lab_router_inet) and the node links; BIRD on r.
ac_isp() {
	local n
	lab_router_inet
	# ECMP by addresses and ports: the lab's clients are few.
	lx r sysctl -qw net.ipv4.fib_multipath_hash_policy=1 net.ipv6.fib_multipath_hash_policy=1
	for n in $AC_NODES; do lab_node_link "$n" "$(ac_idx "$n")"; done
	ac_bird_router >"$LAB_DIR/bird-r.conf"
	ac_bird_start r "$LAB_DIR/bird-r.conf"
}

# Node $1 up: BIRD, recalld (feed from directory $2; freebind: it binds the anycast addresses
# before they exist), the anycast addresses on its loopback, the health checker.
ac_node_up() {
	local n=$1
	[ -f "$LAB_DIR/bird-$n.conf" ] || ac_bird_node "$n" >"$LAB_DIR/bird-$n.conf"
	ac_bird_start "$n" "$LAB_DIR/bird-$n.conf" || return 1
	# AC_RECALLD_EXTRA: one more recalld.conf line (bench/anycast/failover.sh)
	sc_recalld "$n" "$2" "freebind = yes" ${AC_RECALLD_EXTRA:+"$AC_RECALLD_EXTRA"} || return 1
	lx "$n" ip addr replace "$LAB_ANYCAST4/32" dev lo
	lx "$n" ip addr replace "$LAB_ANYCAST6/128" dev lo nodad
	ac_hc_start "$n"
}

ac_hc_start() {
	local n=$1
	# shellcheck disable=SC2086 # AC_HC_OPTS: options, split on purpose
	(ip netns exec "$LAB-$n" "$HEALTHCHECK" -a "$LAB_ANYCAST4" -a "$LAB_ANYCAST6" \
		-P anycast4 -P anycast6 -S "$(ac_ctl "$n")" $AC_HC_OPTS \
		>>"$LAB_DIR/hc-$n.log" 2>&1 &)
}

# The nodes r routes the anycast /32 (ac_route4) or /128 (ac_route6) to, sorted: "a1 a2".
ac_route4() {
	lx r ip -4 route show "$LAB_ANYCAST4/32" | grep -o 'via 10\.255\.[0-9]*\.2' |
		awk -F. '{print $3}' | sort | ac_names
}
ac_route6() {
	lx r ip -6 route show "$LAB_ANYCAST6/128" | grep -o 'via fd00:255:[0-9]*::2' |
		awk -F: '{print $3}' | sort | ac_names
}
ac_names() {
	local i n out=
	while read -r i; do
		for n in $AC_NODES; do [ "$(ac_idx "$n")" = "$i" ] && out="$out $n"; done
	done
	echo "${out# }"
}
# r routes the anycast /32 and /128 to exactly the nodes $1 ("a1 a2").
ac_routes_are() { [ "$(ac_route4)" = "$1" ] && [ "$(ac_route6)" = "$1" ]; }

# Faults on node $1 and their repair.
# The node dies: every process in it killed at once (SIGKILL); its links stay up.
ac_kill_node() {
	local p
	p=$(ip netns pids "$LAB-$1" 2>/dev/null)
	# shellcheck disable=SC2086 # a list of pids
	[ -n "$p" ] && kill -9 $p 2>/dev/null
	sc_wait 50 ac_ns_empty "$1"
	rm -f "$(ac_ctl "$1")"
}
ac_ns_empty() { [ -z "$(ip netns pids "$LAB-$1" 2>/dev/null)" ]; }
# The node's uplink cut silently: every packet dropped both ways while the carrier stays up
# (as behind a switch), so that only BFD can tell.
ac_cut_link() {
	lx "$1" nft -f - <<NFT
table inet accut {
	chain in { type filter hook input priority -300; iifname "${1}r" drop; }
	chain out { type filter hook output priority -300; oifname "${1}r" drop; }
}
NFT
}
ac_mend_link() { lx "$1" nft delete table inet accut; }

# The whole anycast lab: the authority's feed and log, r, inet (serving the log, with the
# witnesses) and the four nodes announced.
ac_world() {
	local n
	sc_authority "$LAB_DIR/authority" || return 1
	cp "$LAB_DIR/authority/anchors.cbor" "$LAB_DIR/device-anchors.cbor"
	ac_isp || return 1
	sc_log_servers && sc_log_publish || return 1
	for n in $AC_NODES; do ac_node_up "$n" "$LAB_DIR/authority" || return 1; done
}
