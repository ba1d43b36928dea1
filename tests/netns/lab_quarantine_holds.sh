#!/bin/bash
# The lab (docs/LAB.md): a recalled device's quarantine holds across an agent restart, a DHCP
# lease renewal that re-adds the default route, and a simulated reboot (power cut: every process
# killed and the namespace with all its routes and rules gone; the state directory kept): the
# restarted agent re-applies the quarantine from its saved state before any answer can arrive.
# Needs root (exit 77 otherwise). About 90 s: the lease is dnsmasq's minimum (120 s), so the
# renewal comes at T1 = 60 s.
set -u
LAB_SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$LAB_SRC/lab/lab.sh"
. "$LAB_SRC/lab/scenario.sh"
lab_init || exit $?
sc_init "${1:?usage: $0 BUILD_DIR}" || exit $?

SC_GROUP=setup
expect "lab up: authority, ISP, home with devices ap (recalled) and fw (clean)" sc_world ap fw
expect "ap: agent starts" sc_agent_start ap
expect "fw: agent starts" sc_agent_start fw
expect "ap: recalled, state quarantined" sc_wait_state ap quarantined 10
expect "fw: clear, state idle" sc_wait_state fw idle 10
sc_probe_quarantined ap
sc_probe_open fw

SC_GROUP=restart
say "agent restart: SIGTERM, the quarantine stays while no agent runs, then start again"
expect "ap: agent stops" sc_agent_stop ap
expect "ap: rules stay in force while the agent is stopped" sc_has_rules ap
expect_not "ap: Internet host unreachable while the agent is stopped" lab_reach ap "$LAB_INET4"
expect "ap: agent starts again" sc_agent_start ap
expect "ap: state quarantined after the restart" sc_wait_state ap quarantined 5
sc_probe_quarantined ap "ap after restart"

SC_GROUP=dhcp-renewal
renewals() { grep -c ' renew ' "$LAB_DIR/ap.dhcp" 2>/dev/null || true; }
n0=$(renewals)
say "DHCP: delete the main table's default route, then wait for udhcpc's renewal to re-add it"
lx ap ip route del default
expect_not "ap: no default route in the main table now" sh -c "ip netns exec $LAB-ap ip route show default | grep -q default"
say "waiting for the renewal (lease 120 s, T1 60 s; at most 100 s)"
renewed() { [ "$(renewals)" -gt "$n0" ]; }
expect "udhcpc renewed the lease" sc_wait 1000 renewed
say "renewal: $(grep ' renew ' "$LAB_DIR/ap.dhcp" | tail -n 1 | cut -d' ' -f2-)"
expect "ap: the renewal re-added the default route" sh -c "ip netns exec $LAB-ap ip route show default | grep -q 'default via $LAB_LAN4.1'"
sleep 1.5 # let the agent see the route change (it may check in again: attach)
expect "ap: still quarantined after the renewal" sc_state_is ap quarantined
sc_probe_quarantined ap "ap after renewal"

SC_GROUP=reboot
say "reboot: responders made unreachable first, so no answer can arrive after the boot"
lab_anycast_withdraw a
lab_anycast_withdraw b
state_before=$(ls "$LAB_DIR/dev-ap/state" | tr '\n' ' ')
say "power cut: kill -9 every process of ap, its namespace (addresses, routes, rules) is gone"
expect "ap: unplugged" lab_unplug ap
expect "ap: boots again and gets a lease" lab_device ap
expect_not "ap: the fresh kernel has no quarantine rule" sc_any_rule ap
expect "ap: the fresh kernel reaches the Internet (nothing applied yet)" lab_reach ap "$LAB_INET4"
expect "ap: the state directory survived ($state_before)" test -s "$LAB_DIR/dev-ap/state/state"
expect "ap: agent starts with the same state directory" sc_agent_start ap
expect "ap: state quarantined at start" sc_state_is ap quarantined
expect "ap: rules in force at start" sc_has_rules ap
expect_not "ap: Internet host unreachable at start" lab_reach ap "$LAB_INET4"
answers() { sc_field ap counters.answers; }
expect "ap: no answer has arrived (quarantine came from the saved state)" [ "$(answers)" = 0 ]
say "agent log of the boot (quarantine before the first check-in):"
awk '/started:/ { n++ } n == 3' "$LAB_DIR/dev-ap/agent.log" | head -n 8 | cut -c1-160 | say_block
order_ok() {
	awk '/started:/ { n++ } n == 3' "$LAB_DIR/dev-ap/agent.log" | python3 -c '
import re, sys
lines = sys.stdin.read().splitlines()
q = [i for i, l in enumerate(lines) if re.search(r"quarantin", l, re.I)]
c = [i for i, l in enumerate(lines) if re.search(r"check-in \(", l)]
sys.exit(0 if q and c and q[0] < c[0] else 1)'
}
expect "ap: its log shows the quarantine re-applied before the boot check-in" order_ok
say "responders back: the next check-in is answered with the recall again"
lab_anycast_announce a
lab_anycast_announce b
expect "ap: check-in answered" sc_checkin ap
expect "ap: still quarantined" sc_state_is ap quarantined
sc_probe_quarantined ap "ap after reboot"
sc_probe_open fw "fw (clean) all along"

[ "$SC_FAIL" -eq 0 ] || sc_dump
sc_test_end
