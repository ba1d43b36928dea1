#!/bin/bash
# The anycast lab on BIRD 2 with BFD (lab/anycast.sh, docs/ANYCAST.md): what failover does,
# independent of timing. Router r routes the anycast /32 and /128 to both nodes of the near
# PoP (ECMP). Faults, each repaired before the next: recalld on a1 stops (its health checker
# withdraws a1; back only after the hold-down once recalld runs again); node a2 dies (BFD);
# PoP a dies (r moves to PoP b); a1's uplink is cut silently (BFD). After each fault the real
# recall-agents of a home (fw clear, ap recalled, cam recalled over IPv6) are answered by
# surviving nodes, and no device changes state or tells its owner anything.
# Needs root (exit 77 otherwise). About 60 s.
set -u
LAB_SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
LAB=anycast-$(($$ % 100000))
. "$LAB_SRC/lab/lab.sh"
. "$LAB_SRC/lab/scenario.sh"
. "$LAB_SRC/lab/anycast.sh"
lab_init || exit $?
sc_init "${1:?usage: $0 BUILD_DIR}" || exit $?
ac_init || exit $?
DEVS="fw ap cam"

SC_GROUP=setup
expect "anycast lab up: r, inet, nodes $AC_NODES with BIRD, recalld, recall-healthcheck" ac_world
expect "r routes the anycast /32 and /128 to PoP a, both nodes (ECMP)" sc_wait 100 ac_routes_are "a1 a2"
say "router r: $(lx r ip -4 route show "$LAB_ANYCAST4/32" | tr -s '\n\t' '  ')"
lab_home
for d in $DEVS; do lab_device_start "$d"; done
for d in $DEVS; do lab_device_wait "$d" && sc_dev_setup "$d"; done
sc_agent_conf cam "[$LAB_ANYCAST6] $LAB_ANYCAST4"
for d in $DEVS; do expect "$d: agent starts" sc_agent_start "$d"; done
expect "fw: idle" sc_wait_state fw idle 10
expect "ap: quarantined" sc_wait_state ap quarantined 10
expect "cam: quarantined" sc_wait_state cam quarantined 10
owner0=$(cat "$LAB_DIR"/dev-*/owner.log 2>/dev/null | wc -l)

# Recalled answers (health checks are only ever clear) of the nodes $@, summed.
recalled() {
	local n s=0
	for n in "$@"; do s=$((s + $(sc_answers "$n" recalled))); done
	echo "$s"
}
# Every device checks in again and is answered; the recalled ones by the nodes $@ only.
answered_by() {
	local d others n before
	others=
	for n in $AC_NODES; do case " $* " in *" $n "*) ;; *) others="$others $n" ;; esac; done
	before=$(recalled "$@")
	local ob
	# shellcheck disable=SC2086 # a list of nodes
	ob=$(recalled $others)
	for d in $DEVS; do expect "$d: check-in answered" sc_checkin "$d"; done
	expect "ap and cam answered by $* ($(recalled "$@") recalled answers, $before before)" \
		[ "$(recalled "$@")" -ge $((before + 2)) ]
	# shellcheck disable=SC2086
	expect "no answer from$others" [ "$(recalled $others)" = "$ob" ]
}
states_hold() {
	expect "fw idle, ap and cam quarantined; no owner notification since setup" \
		sh -c "[ '$(sc_state fw)/$(sc_state ap)/$(sc_state cam)' = idle/quarantined/quarantined ] &&
			[ \$(cat $LAB_DIR/dev-*/owner.log 2>/dev/null | wc -l) = $owner0 ]"
}

SC_GROUP=normal
answered_by a1 a2
states_hold

SC_GROUP=recalld-down
expect "recalld on a1 stops" sc_recalld_stop a1
expect "a1's health checker withdraws it: r routes to a2 only" sc_wait 50 ac_routes_are a2
answered_by a2
states_hold
expect "recalld on a1 starts again" sc_recalld a1 "$LAB_DIR/authority" "freebind = yes"
t_up=$(date +%s%N)
expect "a1 is announced again" sc_wait 100 ac_routes_are "a1 a2"
held=$((($(date +%s%N) - t_up) / 1000000))
expect "... not before its 3 s hold-down (${held} ms after recalld was back)" [ "$held" -ge 2500 ]
expect "a1's health checker logged the withdrawal and the announcement" \
	sh -c "grep -q withdrawing $LAB_DIR/hc-a1.log && [ \$(grep -c announcing $LAB_DIR/hc-a1.log) -ge 2 ]"

SC_GROUP=node-dies
expect "node a2 dies (every process killed)" ac_kill_node a2
expect "BFD: r routes to a1 only" sc_wait 50 ac_routes_are a1
expect "r's BGP session with a2 is down" sh -c "! birdc -s $(ac_ctl r) show protocols a2_4 | grep -q Established"
answered_by a1
states_hold
expect "node a2 starts again" ac_node_up a2 "$LAB_DIR/authority"
expect "a2 is announced again" sc_wait 150 ac_routes_are "a1 a2"

SC_GROUP=pop-dies
expect "PoP a dies: a1 killed" ac_kill_node a1
expect "PoP a dies: a2 killed" ac_kill_node a2
expect "r routes to the far PoP: b1 and b2" sc_wait 50 ac_routes_are "b1 b2"
answered_by b1 b2
states_hold
expect "a1 starts again" ac_node_up a1 "$LAB_DIR/authority"
expect "a2 starts again" ac_node_up a2 "$LAB_DIR/authority"
expect "PoP a is back and preferred again" sc_wait 150 ac_routes_are "a1 a2"
answered_by a1 a2

SC_GROUP=link-cut
expect "a1's uplink cut silently (carrier up)" ac_cut_link a1
expect "BFD: r routes to a2 only" sc_wait 50 ac_routes_are a2
answered_by a2
states_hold
expect "link mended" ac_mend_link a1
expect "a1 is announced again" sc_wait 150 ac_routes_are "a1 a2"
states_hold

[ "$SC_FAIL" -eq 0 ] || {
	sc_dump
	tail -n 5 "$LAB_DIR"/hc-*.log
}
sc_test_end
