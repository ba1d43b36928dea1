#!/bin/bash
# The lab (docs/LAB.md): anycast failover by routing. Check-ins reach node a (the better
# route). recalld on a stops: check-ins go unanswered and nothing changes on the devices (fail
# open); the health check withdraws a's route and the agents' retries are answered by node b,
# over IPv4 (NAT) and IPv6, as b's metrics and event log show. a comes back and takes over again.
# Needs root (exit 77 otherwise). About 30 s.
set -u
LAB_SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$LAB_SRC/lab/lab.sh"
. "$LAB_SRC/lab/scenario.sh"
lab_init || exit $?
sc_init "${1:?usage: $0 BUILD_DIR}" || exit $?

SC_GROUP=setup
expect "lab up: devices fw (clean), ap (recalled), cam (recalled, checks in over IPv6)" \
	sc_world fw ap cam
sc_agent_conf cam "[$LAB_ANYCAST6] $LAB_ANYCAST4"
for d in fw ap cam; do expect "$d: agent starts" sc_agent_start "$d"; done
expect "fw: state idle" sc_wait_state fw idle 10
expect "ap: state quarantined" sc_wait_state ap quarantined 10
expect "cam: state quarantined" sc_wait_state cam quarantined 10

SC_GROUP=node-a
say "both nodes healthy; router r prefers a:"
lx r ip route show "$LAB_ANYCAST4/32" | say_block
a0=$(sc_answers a)
b0=$(sc_answers b)
for d in fw ap cam; do expect "$d: check-in answered" sc_checkin "$d"; done
expect "node a answered the boot check-ins and these 3 ($a0 before, $(sc_answers a) now)" \
	[ "$(sc_answers a)" -ge $((a0 + 3)) ]
expect "node b answered none" [ "$(sc_answers b)" = "$b0" ]

SC_GROUP=node-a-down
say "recalld on node a stops; its route is still announced"
expect "recalld on a stopped" sc_recalld_stop a
t0=$(sc_field fw counters.timeouts)
n0=$(sc_field fw counters.answers)
kill -USR1 "$(lab_pid fw recall-agent)" "$(lab_pid ap recall-agent)"
timed_out() { [ "$(sc_field fw counters.timeouts)" -gt "$t0" ]; }
expect "fw: its check-in times out (a is gone)" sc_wait 50 timed_out
open_fw() { [ "$(sc_state fw)" != quarantined ] && lab_reach fw "$LAB_INET4"; }
expect "fw: unanswered changes nothing: not quarantined, Internet reachable (fail open)" open_fw
expect "ap: unanswered changes nothing: still quarantined" sc_state_is ap quarantined
say "$(sc_health_check a)"
expect_not "a's route is withdrawn from router r" sh -c "ip netns exec $LAB-r ip route show $LAB_ANYCAST4/32 | grep -q 10.255.1.2"
say "router r now:"
{ lx r ip route show "$LAB_ANYCAST4/32"; lx r ip -6 route show "$LAB_ANYCAST6/128"; } | say_block
answered() { [ "$(sc_field fw counters.answers)" -gt "$n0" ]; }
expect "fw: a retry is answered (by b)" sc_wait 100 answered
expect "fw: still idle" sc_state_is fw idle
expect "ap: its recheck is answered by b" sc_checkin ap
expect "ap: still quarantined (b serves the same signed notice)" sc_state_is ap quarantined
expect "cam: its IPv6 check-in is answered by b" sc_checkin cam
expect "cam: still quarantined" sc_state_is cam quarantined
say "node b's metrics and event log:"
sc_metrics b | grep -E '^recalld_answers_total\{.*kind="(clear|recalled)"' | say_block
cut -c1-150 "$LAB_DIR/isp-b/events.jsonl" 2>/dev/null | say_block
b_answered() { [ "$(sc_answers b clear)" -ge 1 ] && [ "$(sc_answers b recalled)" -ge 2 ]; }
expect "node b answered clear and recalled check-ins" b_answered
expect "node b's event log has ap's recall" grep -q "\"notice\":\"$(sc_dev_notice ap)\"" "$LAB_DIR/isp-b/events.jsonl"
expect "node b's event log has cam's recall from an IPv6 source" \
	grep -q "\"source\":\"$LAB_LAN6:.*\"notice\":\"$(sc_dev_notice cam)\"" "$LAB_DIR/isp-b/events.jsonl"

SC_GROUP=node-a-back
expect "recalld on a starts again" sc_recalld a "$LAB_DIR/authority"
say "$(sc_health_check a)"
expect "a's route is announced again" sh -c "ip netns exec $LAB-r ip route show $LAB_ANYCAST4/32 | grep -q 10.255.1.2"
a1=$(sc_answers a)
b1=$(sc_answers b)
for d in fw ap; do expect "$d: check-in answered" sc_checkin "$d"; done
expect "node a answers again (a restarted: $(sc_answers a) answers)" [ "$(sc_answers a)" -ge $((a1 + 2)) ]
expect "node b no longer gets check-ins" [ "$(sc_answers b)" = "$b1" ]
expect "fw idle, ap quarantined, cam quarantined" \
	[ "$(sc_state fw)/$(sc_state ap)/$(sc_state cam)" = "idle/quarantined/quarantined" ]

[ "$SC_FAIL" -eq 0 ] || sc_dump
sc_test_end
