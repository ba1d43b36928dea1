#!/bin/bash
# The lab (docs/LAB.md "The log"): the authority's transparency log served by nginx on the
# Internet host, cosigned by two recall-witness daemons (quorum 2 of 2), fetched by the ISP's
# nodes, loaded by recalld; devices act only on logged notices. old is recalled through the
# proof exchange; then (c) recall log monitor on the nginx URL shows a notice as it is appended;
# (a) a notice signed with two stolen authority keys and not logged, served by a rogue node,
# verifies but is not acted on; (b) a fork with a secret notice, shown to node b only: the
# witnesses refuse it and keep evidence, b's recalld refuses it (quorum) and logs it, a monitor
# in b's network sees the fork, and fw does not act on the secret notice.
# Needs root and nginx (exit 77 otherwise). About 60 s.
set -u
LAB_SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$LAB_SRC/lab/lab.sh"
. "$LAB_SRC/lab/scenario.sh"
lab_init || exit $?
sc_init "${1:?usage: $0 BUILD_DIR}" || exit $?

SC_GROUP=setup
expect "lab up with the log: devices fw (clean) and old (recalled)" sc_world fw old
for d in fw old; do
	expect "$d: agent starts" sc_agent_start "$d"
done
expect "fw: clear, state idle" sc_wait_state fw idle 10
expect "old: recalled and quarantined" sc_wait_state old quarantined 10
size=$(sed -n 2p "$LAB_DIR/authority/log-host/log/checkpoint")
expect "old: acted on a proof (in the log of size $size, 2 of 2 witnesses)" \
	grep -q "logged: index [0-9]* of size $size, witnesses 2/2" "$LAB_DIR/dev-old/agent.log"
expect "node a answered the proof request with a proof" [ "$(sc_answers a proof)" -ge 1 ]

SC_GROUP=monitor
sc_scen_monitor
SC_GROUP=unlogged
sc_scen_unlogged fw
SC_GROUP=fork
sc_scen_fork fw

SC_GROUP=end
expect "old: still quarantined" sc_state_is old quarantined
expect "fw: idle, no proof ever accepted" [ "$(sc_state fw)/$(sc_field fw counters.proofs)" = "idle/0" ]
expect_not "fw: its owner was never told of a recall" grep -qs recalled "$LAB_DIR/dev-fw/owner.log"
[ "$SC_FAIL" -eq 0 ] || sc_dump
sc_test_end
