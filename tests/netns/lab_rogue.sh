#!/bin/bash
# The lab (docs/LAB.md): a rogue responder cannot quarantine anyone. A third node m, run by
# someone holding keys of their own and one stolen authority key, announces the anycast
# addresses with a better route than the ISP's nodes and serves, with recalld, a feed of recalls
# for the home's clean devices: one notice signed by two rogue keys, one by a rogue key plus the
# stolen key (one valid signature: below the devices' threshold of 2). Every check-in reaches m,
# m answers "recalled", and every device ignores it: no rule, Internet reachable, the rejection
# counted and logged. When m's route goes, the ISP's node answers again.
# Needs root (exit 77 otherwise). About 30 s.
set -u
LAB_SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$LAB_SRC/lab/lab.sh"
. "$LAB_SRC/lab/scenario.sh"
lab_init || exit $?
sc_init "${1:?usage: $0 BUILD_DIR}" || exit $?

SC_GROUP=setup
expect "lab up: clean devices fw (Zyxel ATP100) and tv (Acme)" sc_world fw tv
sc_agent_conf tv "[$LAB_ANYCAST6] $LAB_ANYCAST4" # tv checks in over IPv6
for d in fw tv; do
	expect "$d: agent starts" sc_agent_start "$d"
	expect "$d: clear, state idle" sc_wait_state "$d" idle 10
done

SC_GROUP=rogue
say "the rogue: its own keys rogue1 and rogue2, and key 1 stolen from the authority"
IFS='|' read -r v m h f <<<"$(sc_dev_ident fw)"
IFS="|" read -r v2 m2 _ f2 <<<"$(sc_dev_ident tv)"
expect "rogue feed built: RG-FW (rogue1+rogue2) for fw, RG-TV (rogue1+stolen key 1) for tv" \
	sc_rogue_authority "$LAB_DIR/rogue" "$LAB_DIR/authority/machine-1/key1.key" \
	"RG-FW:$v:$m:$f" "RG-TV:$v2:$m2:$f2"
"$RECALL" feed show "$LAB_DIR/rogue/feed" | tail -n 4 | say_block
lab_node m
expect "rogue recalld starts on node m" sc_recalld m "$LAB_DIR/rogue"
lab_anycast_announce m
say "node m announces the anycast addresses with a better route (metric 5):"
{ lx r ip route show "$LAB_ANYCAST4/32"; lx r ip -6 route show "$LAB_ANYCAST6/128"; } | say_block
say "recall query from fw's namespace, verified with the device's anchors:"
lx fw "$RECALL" query --vendor "$v" --model "$m" --fwver "$f" -a "$LAB_DIR/device-anchors.cbor" \
	"$LAB_ANYCAST4" >"$LAB_DIR/q-fw.out" 2>&1
q=$?
grep -E 'ANSWER|id  |kid|VERDICT' "$LAB_DIR/q-fw.out" | say_block
expect "the rogue answers fw with a recall that does not verify (exit 4)" [ "$q" = 4 ]
lx tv "$RECALL" query --vendor "$v2" --model "$m2" --fwver "$f2" -a "$LAB_DIR/device-anchors.cbor" \
	"$LAB_ANYCAST6" >"$LAB_DIR/q-tv.out" 2>&1
q=$?
grep -E 'ANSWER|kid|VERDICT' "$LAB_DIR/q-tv.out" | say_block
expect "the rogue answers tv over IPv6 with a recall that does not verify (exit 4)" [ "$q" = 4 ]

m0=$(sc_answers m recalled)
a0=$(sc_answers a)
r_fw=$(sc_field fw counters.rx_threshold)
r_tv=$(sc_field tv counters.rx_threshold)
say "the devices check in (as on a network attach); m answers them"
kill -USR1 "$(lab_pid fw recall-agent)" "$(lab_pid tv recall-agent)"
m_sent() { [ "$(sc_answers m recalled)" -ge $((m0 + 2)) ]; }
expect "node m sent both devices a recall" sc_wait 50 m_sent
rejected() { [ "$(sc_field "$1" counters.rx_threshold)" -gt "$2" ]; }
expect "fw rejected it: below threshold (no trusted signature)" sc_wait 30 rejected fw "$r_fw"
expect "tv rejected it: below threshold (one trusted signature of 2 needed)" \
	sc_wait 30 rejected tv "$r_tv"
grep 'recall ignored' "$LAB_DIR/dev-fw/agent.log" | tail -n 1 | say_block
grep 'recall ignored' "$LAB_DIR/dev-tv/agent.log" | tail -n 1 | say_block
sleep 1
for d in fw tv; do
	notq() { [ "$(sc_state "$1")" != quarantined ] && [ "$(sc_state "$1")" != overridden ]; }
	expect "$d: not quarantined (state $(sc_state "$d"))" notq "$d"
	sc_probe_open "$d"
	expect_not "$d: the owner was not told of any recall" grep -qs recalled "$LAB_DIR/dev-$d/owner.log"
done
expect "the ISP's node a got none of these check-ins" [ "$(sc_answers a)" = "$a0" ]

SC_GROUP=rogue-gone
lab_anycast_withdraw m
sc_recalld_stop m
say "m's route is gone; the devices' next check-ins reach node a"
for d in fw tv; do
	expect "$d: check-in answered" sc_checkin "$d"
	expect "$d: clear, state idle" sc_wait_state "$d" idle 5
	sc_probe_open "$d"
done
expect "node a answered them" [ "$(sc_answers a)" -ge $((a0 + 2)) ]

[ "$SC_FAIL" -eq 0 ] || sc_dump
sc_test_end
