#!/bin/bash
# The lab (docs/LAB.md "The publication"): the authority publishes its cosigned log with
# `recall publish` to nginx on the Internet host and a second mirror; nodes a and b switch to
# `publication =` and serve it with no file copied; a notice added at the authority recalls fw
# within one poll interval; node a's first two mirrors, a stale and a tampering one, are refused
# and counted while service continues (lab/pub_scenarios.sh); old, recalled before, stays so.
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

SC_GROUP=publication
sc_scen_publication fw

SC_GROUP=end
expect "old: a recheck against the nodes on publication still recalls it" sc_checkin old
expect "old: still quarantined" sc_state_is old quarantined
for n in a b; do
	expect "node $n: no sanitizer report, the fetcher never died" \
		[ "$(grep -c 'Sanitizer\|fetcher was killed\|fetcher exited' "$LAB_DIR/isp-$n/recalld.log")" = 0 ]
done
[ "$SC_FAIL" -eq 0 ] || sc_dump
sc_test_end
