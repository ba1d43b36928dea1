#!/bin/sh
# An attach storm is bounded. Two network namespaces this test creates and deletes: "dev" (the
# device, recall-agent with the real netlink backend and its default settings) and "gw" (the
# responder on its loopback, and radvd on the LAN).
#   dev d0 192.0.2.10/24 2001:db8:1::10/64 (accept_ra) <-> gw g0 192.0.2.1/24 2001:db8:1::1/64
#   gw lo 198.51.100.74 (check-in)
# For 20 s a LAN host flips its router lifetime between 1800 s and 0 every 1.25 s (radvd
# re-reading its configuration on SIGHUP sends a new RA at once): the device's IPv6 default
# route appears 8 times, and each appearance is an attach event. Asserted: at most 2 check-ins
# reach the responder and at most 1 state write happens while it lasts (the agent used to
# check in and fsync its state 8 times); the events are not lost: one attach check-in is still
# scheduled, and it arrives when the attach interval (1 min) has passed; the deferred state
# write is done when the agent stops. Needs root, ip and radvd; exit 77 (skip) otherwise.
# shellcheck source=tests/netns/agent_common
. "$(dirname "$0")/agent_common"
need ip radvd stat

dev_gw rcstorm
indev sh -e -c '
	sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv6.conf.default.accept_ra=2
	ip link set lo up; ip link set d0 up
	sysctl -qw net.ipv6.conf.d0.accept_ra=2 net.ipv6.conf.d0.accept_ra_defrtr=1
	ip addr add 192.0.2.10/24 dev d0; ip -6 addr add 2001:db8:1::10/64 dev d0 nodad
	ip route add default via 192.0.2.1'
ingw sh -e -c '
	sysctl -qw net.ipv6.conf.all.forwarding=1
	ip link set lo up; ip link set g0 up
	ip addr add 192.0.2.1/24 dev g0; ip -6 addr add 2001:db8:1::1/64 dev g0 nodad
	ip addr add 198.51.100.74/32 dev lo'

radvd_conf() { # router lifetime
	cat >"$W/radvd.conf" <<EOF
interface g0 {
	AdvSendAdvert on;
	MinRtrAdvInterval 3;
	MaxRtrAdvInterval 4;
	AdvDefaultLifetime $1;
	prefix 2001:db8:1::/64 {
		AdvOnLink on;
		AdvAutonomous off;
	};
};
EOF
}
radvd_conf 1800
ip netns exec "$GW" radvd -n -m stderr -C "$W/radvd.conf" -p "$W/radvd.pid" >"$W/radvd.log" 2>&1 &
RA=$!
defrt() { indev ip -6 route show default proto ra | grep -c d0; }
i=0
while [ "$(defrt)" -eq 0 ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(defrt)" -gt 0 ] && ok "RA from radvd: IPv6 default route on d0" ||
	{ bad "no default route from the RA"; cat "$W/radvd.log"; }

make_anchors
echo clear >"$W/mode"
serve 198.51.100.74
mkdir -p "$W/state"
# Default debounce, attach interval and timing writes (the settings under test).
agent_conf "fwver = 1.0.0" "checkin-address = 198.51.100.74" "state-dir = $W/state"
# The state file is replaced by rename: a new inode or modification time is a new write.
sig() { stat -c '%i %.9Y' "$W/state/state" 2>/dev/null || echo none; }
status() { indev "$AGENT" -c "$W/agent.conf" status --json; }
start_agent
sleep 0.5
[ "$(lines)" -eq 1 ] && ok "boot check-in answered" || bad "boot check-in: $(lines) lines at the responder"

n0=$(lines)
s0=$(sig)
writes=0 appeared=0 had=1 last=$s0
t=0
while [ $t -lt 16 ]; do # 16 flips, 1.25 s apart: 20 s
	t=$((t + 1))
	if [ $((t % 2)) -eq 1 ]; then radvd_conf 0; else radvd_conf 1800; fi
	kill -HUP "$RA"
	for _ in 1 2 3 4 5; do
		sleep 0.25
		s=$(sig)
		[ "$s" != "$last" ] && writes=$((writes + 1)) && last=$s
	done
	now=$(defrt)
	[ "$now" -gt 0 ] && [ "$had" -eq 0 ] && appeared=$((appeared + 1))
	had=$now
done
sleep 3 # the debounce of the last event
s=$(sig)
[ "$s" != "$last" ] && writes=$((writes + 1))
checkins=$(($(lines) - n0))
echo "storm: default route appeared $appeared times; $checkins check-ins; $writes state writes"
[ "$appeared" -ge 6 ] && ok "the LAN host's RAs toggled the default route ($appeared times)" ||
	bad "default route appeared only $appeared times (radvd reloads not seen)"
[ "$checkins" -le 2 ] && ok "attach storm: $checkins check-ins (at most 2)" ||
	bad "attach storm: $checkins check-ins, expected at most 2"
[ "$writes" -le 1 ] && ok "attach storm: $writes state writes (at most 1)" ||
	bad "attach storm: $writes state writes, expected at most 1"

# Not lost: the events after the first check-in are one check-in at the end of the interval.
st=$(status)
case $st in
*'"next_reason":"attach"'*) ok "a coalesced attach check-in is scheduled" ;;
*) bad "no attach check-in scheduled: $st" ;;
esac
n1=$(lines)
wait_lines "$n1" 750
if [ "$(lines)" -gt "$n1" ] && tail -n 1 "$W/resp.log" | grep -q '^checkin attach '; then
	ok "the coalesced attach check-in arrived"
else bad "no coalesced attach check-in within 75 s"; tail -n 3 "$W/resp.log"; fi
sleep 1
total=$(($(lines) - n0))
[ "$total" -le 3 ] && ok "$total attach check-ins in all" || bad "$total attach check-ins, expected at most 3"

# The deferred timing write is done at shutdown: the saved state holds the last answer.
la=$(status | sed -n 's/.*"last_answer":\([0-9]*\).*/\1/p')
stop_agent
saved=$(indev "$AGENT" -c "$W/agent.conf" status --json | sed -n 's/.*"last_answer":\([0-9]*\).*/\1/p')
[ -n "$la" ] && [ "$saved" = "$la" ] && ok "state saved at stop holds the last answer ($la)" ||
	bad "saved last_answer '$saved', running agent had '$la'"

echo "--- responder log"; cat "$W/resp.log"
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
