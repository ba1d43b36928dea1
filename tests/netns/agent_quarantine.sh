#!/bin/sh
# recall-agent with the real netlink backend, in two network namespaces this test creates and
# deletes: "dev" (the device) and "gw" (its gateway, the responder on the anycast check-in
# addresses, a remedy host and an off-LAN host, all addresses of gw's loopback).
#   dev d0 192.0.2.10/24 2001:db8:1::10/64  <-veth->  gw g0 192.0.2.1/24 192.0.2.2/24 2001:db8:1::1/64
#   gw lo: 198.51.100.74 2001:db8:74::74 (check-in), 198.51.100.80 (remedy), 203.0.113.5
#          2001:db8:99::5 (off-LAN)
# A valid recall quarantines (LAN and check-in address reachable, off-LAN not, IPv4 and
# IPv6); forged, unsigned, below-threshold, wrong-identity, expired, nonce-mismatched and
# garbage answers do not; a DHCP-style default route and a deleted rule do not undo it; it
# survives an agent restart, is lifted by hand as recall-agent(8) says; every release path (override, clear, firmware change, opt-out,
# expiry) removes every rule and route. Needs root; exit 77 (skip) otherwise.
# shellcheck source=tests/netns/agent_common
. "$(dirname "$0")/agent_common"
need ip ping

dev_gw rcagent
indev ip link set lo up
indev ip link set d0 up
indev ip addr add 192.0.2.10/24 dev d0
indev ip -6 addr add 2001:db8:1::10/64 dev d0 nodad
ingw sh -e -c '
	ip link set lo up; ip link set g0 up
	ip addr add 192.0.2.1/24 dev g0; ip addr add 192.0.2.2/24 dev g0
	ip -6 addr add 2001:db8:1::1/64 dev g0 nodad; ip -6 addr add 2001:db8:1::2/64 dev g0 nodad
	for a in 198.51.100.74 198.51.100.80 203.0.113.5; do ip addr add $a/32 dev lo; done
	for a in 2001:db8:74::74 2001:db8:99::5; do ip -6 addr add $a/128 dev lo nodad; done'
indev ip route add default via 192.0.2.1
indev ip -6 route add default via 2001:db8:1::1
sleep 1

make_anchors
echo clear >"$W/mode"
serve 198.51.100.74 198.51.100.80/32
serve 2001:db8:74::74 198.51.100.80/32
mkdir -p "$W/state"
write_conf() { # fwver checkin
	agent_conf "fwver = $1" "checkin-address = 198.51.100.74 [2001:db8:74::74]" \
		"state-dir = $W/state" "checkin = $2" "debounce = 100ms" "attach-interval = 100ms"
}
no_traces() {
	if indev ip rule | grep -q "lookup 7412" || indev ip -6 rule | grep -q "lookup 7412" ||
		[ -n "$(indev ip route show table 7412 2>/dev/null)" ] || [ -n "$(indev ip -6 route show table 7412 2>/dev/null)" ]; then
		bad "$1: rules or routes left behind"; indev ip rule; indev ip route show table 7412
	else ok "$1: no rule or route left"; fi
}
expect_quarantined() {
	st=$(state)
	[ "$st" = quarantined ] && ok "$1: state quarantined" || bad "$1: state $st, expected quarantined"
	expect_block 203.0.113.5 "$1"
	expect_block 2001:db8:99::5 "$1"
	expect_reach 192.0.2.2 "$1 (LAN)"
	expect_reach 2001:db8:1::2 "$1 (LAN v6)"
	expect_reach 198.51.100.74 "$1 (check-in)"
	expect_reach 2001:db8:74::74 "$1 (check-in v6)"
	expect_reach 198.51.100.80 "$1 (remedy endpoint)"
}
expect_open() {
	st=$(state)
	[ "$st" != quarantined ] && ok "$1: state $st" || bad "$1: quarantined"
	expect_reach 203.0.113.5 "$1"
	expect_reach 2001:db8:99::5 "$1"
	no_traces "$1"
}

write_conf 1.0.0 yes
start_agent
expect_open "clear at boot"

for m in forged unsigned below wrongid expired nonce garbage; do
	echo $m >"$W/mode"
	checkin
	expect_open "answer $m"
done

echo recall >"$W/mode"
checkin
expect_quarantined "valid recall"
indev ip route replace default via 192.0.2.1 metric 5
expect_block 203.0.113.5 "DHCP re-added a default route"
indev ip rule del pref 74
sleep 2.5
expect_block 203.0.113.5 "rule deleted behind the agent's back"

echo silent >"$W/mode"
stop_agent
expect_block 203.0.113.5 "agent stopped"
# lifted by hand while the agent is down, as recall-agent(8) LIFTING A QUARANTINE BY HAND says
indev ip rule del priority 74 table 7412
indev ip -6 rule del priority 74 table 7412
indev ip route flush table 7412
indev ip -6 route flush table 7412
expect_reach 203.0.113.5 "lifted by hand"
expect_reach 2001:db8:99::5 "lifted by hand"
no_traces "lifted by hand"
start_agent
expect_quarantined "agent restarted (re-applied from state)"

indev "$AGENT" -c "$W/agent.conf" override all >/dev/null
sleep 0.3
expect_open "override all"
echo recall >"$W/mode"
indev "$AGENT" -c "$W/agent.conf" override --clear >/dev/null
sleep 1
expect_quarantined "override cleared"

echo clear >"$W/mode"
checkin
expect_open "release by clear answer"

echo recall >"$W/mode"
checkin
expect_quarantined "recall again"
stop_agent
write_conf 1.0.1 yes
echo clear >"$W/mode"
start_agent
expect_open "release by firmware change"

write_conf 1.0.1 yes
echo recall >"$W/mode"
checkin
expect_quarantined "recall for 1.0.1"
write_conf 1.0.1 no
kill -HUP "$AP"
sleep 1
expect_open "release by opt-out (checkin = off)"

echo short >"$W/mode"
write_conf 1.0.1 yes
kill -HUP "$AP"
sleep 1.5
expect_quarantined "short-lived recall (check-ins back on)"
sleep 4.5
expect_open "release by expiry"

stop_agent
echo "--- agent log (tail)"; tail -n 15 "$W/agent.log"
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
