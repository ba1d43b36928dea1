#!/bin/bash
# The lab (docs/LAB.md): a flood of garbage at a responder does not delay legitimate
# check-ins. Node a (1 worker thread) gets, at the same time and for at most 8 s each:
#   - from the Internet host, through the router, at the anycast address: datagrams of random
#     bytes and awkward sizes from lab/flood.py (at most 8,000,000);
#   - inside node a, at its loopback: garbage from recall-bench -m 0:0:1 (at most 10,000,000;
#     recall-bench sends to loopback only).
# Meanwhile, from a device behind the home's NAT, 20 `recall query` check-ins and two agent
# check-ins, 0.25 s apart. THE BOUND: every query is answered, each within 200 ms (round trip measured by
# recall query), and each agent check-in is answered on its first attempt (no timeout); all of
# them while both floods run (checked). Needs root (exit 77 otherwise). About 30 s.
set -u
LAB_SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$LAB_SRC/lab/lab.sh"
. "$LAB_SRC/lab/scenario.sh"
lab_init || exit $?
sc_init "${1:?usage: $0 BUILD_DIR}" || exit $?
BENCH=$SC_B/bench/recall-bench
BOUND_MS=200
FLOOD_S=30 # at most; stopped as soon as the queries are done
# Garbage rates (datagrams per second). The senders share this machine's CPUs with recalld, the
# agents and the queries, which a real flood's senders would not: they run at nice 19 and at
# rates that leave recalld a core, so that the test measures recalld, not CPU starvation.
FLOOD_RATE=${LAB_FLOOD_RATE:-50000}
BENCH_RATE=${LAB_BENCH_RATE:-100000}

SC_GROUP=setup
SC_LISTEN_EXTRA=127.0.0.1 # node a also listens on its loopback, for recall-bench
expect "lab up: devices fw (clean) and ap (recalled)" sc_world fw ap
for d in fw ap; do expect "$d: agent starts" sc_agent_start "$d"; done
expect "fw: state idle" sc_wait_state fw idle 10
expect "ap: state quarantined" sc_wait_state ap quarantined 10

IFS='|' read -r v m h f <<<"$(sc_dev_ident fw)"
query() { # one check-in from fw; prints the round trip in ms, or "lost"
	local r
	r=$(lx fw "$RECALL" query --timeout 1000 --vendor "$v" --model "$m" --fwver "$f" \
		"$LAB_ANYCAST4" 2>/dev/null | sed -n 's/^;; ANSWER: clear, .* rtt \([0-9.]*\) ms.*/\1/p')
	echo "${r:-lost}"
}
SC_GROUP=baseline
base=$(for i in 1 2 3 4 5; do query; done | tr '\n' ' ')
say "round trips before the flood (ms): $base"
expect "queries answered before the flood" sh -c "! echo '$base' | grep -q lost"

SC_GROUP=flood
req0=$(sc_metric a recalld_requests_total)
say "flood starts: lab/flood.py from inet to $LAB_ANYCAST4, recall-bench inside node a"
(ip netns exec "$LAB-inet" timeout $((FLOOD_S + 5)) nice -n 19 python3 "$LAB_SRC/lab/flood.py" \
	"$LAB_ANYCAST4" --seconds "$FLOOD_S" --count 8000000 --rate "$FLOOD_RATE" \
	>"$LAB_DIR/flood.out" 2>&1 &)
if [ -x "$BENCH" ]; then
	(ip netns exec "$LAB-a" timeout $((FLOOD_S + 5)) nice -n 19 "$BENCH" -s 127.0.0.1 \
		-m 0:0:1 --duration "$FLOOD_S" -n 10000000 -r "$BENCH_RATE" >"$LAB_DIR/bench.out" 2>&1 &)
else
	say "recall-bench is not built: the flood comes from flood.py alone"
fi
flood_over() { ! lab_pid inet python3 >/dev/null && ! lab_pid a recall-bench >/dev/null; }
flooding() { lab_pid inet python3 >/dev/null && { [ ! -x "$BENCH" ] || lab_pid a recall-bench >/dev/null; }; }
sc_wait 30 flooding
sleep 1
: >"$LAB_DIR/rtt"
fw_t0=$(sc_field fw counters.timeouts)
ap_t0=$(sc_field ap counters.timeouts)
fw_n0=$(sc_field fw counters.answers)
ap_n0=$(sc_field ap counters.answers)
during=0
for i in $(seq 1 20); do
	flooding && during=$((during + 1))
	query >>"$LAB_DIR/rtt"
	[ "$i" = 10 ] && kill -USR1 "$(lab_pid fw recall-agent)" "$(lab_pid ap recall-agent)"
	[ "$i" = 12 ] && sleep 1 # the agents' check-ins are answered during the flood too
	sleep 0.25               # the flood lasts at least 6 s
done
first() { [ "$(sc_field "$1" counters.answers)" -gt "$2" ] && [ "$(sc_field "$1" counters.timeouts)" = "$3" ]; }
expect "fw: its check-in was answered on the first attempt" sc_wait 20 first fw "$fw_n0" "$fw_t0"
expect "ap: its check-in was answered on the first attempt" sc_wait 20 first ap "$ap_n0" "$ap_t0"
flooding && during=$((during + 1))
expect "all 20 queries and the agents' check-ins ran while both floods were on" [ "$during" = 21 ]
# Stop the floods now (they stop by themselves after $FLOOD_S s at the latest).
for p in $(lab_pid inet python3) $(lab_pid a recall-bench); do kill -TERM "$p" 2>/dev/null; done
sc_wait 100 flood_over
say "round trips during the flood (ms): $(tr '\n' ' ' <"$LAB_DIR/rtt")"
say "flood.py: $(cat "$LAB_DIR/flood.out")"
req=$(($(sc_metric a recalld_requests_total) - req0))
say "node a received $req datagrams during the flood; drops by reason:"
sc_metrics a | grep -E '^recalld_drops_total' | grep -v ' 0$' | say_block
expect "the flood reached node a (at least 300000 datagrams)" [ "$req" -ge 300000 ]
answered_all() { ! grep -q lost "$LAB_DIR/rtt" && [ "$(wc -l <"$LAB_DIR/rtt")" = 20 ]; }
expect "all 20 queries during the flood were answered" answered_all
within() { python3 -c 'import sys
v = [float(x) for x in open(sys.argv[1]) if x.strip() and x.strip() != "lost"]
print("max %.2f ms, median %.2f ms" % (max(v), sorted(v)[len(v) // 2]) if v else "none")
sys.exit(0 if v and max(v) <= float(sys.argv[2]) else 1)' "$LAB_DIR/rtt" "$BOUND_MS"; }
say "during the flood: $(within)"
within_q() { within >/dev/null; }
expect "every query answered within $BOUND_MS ms during the flood" within_q
expect "fw still idle, ap still quarantined" \
	[ "$(sc_state fw)/$(sc_state ap)" = idle/quarantined ]
expect "recalld on node a is still healthy" sc_node_healthy a
expect "no answer was sent to garbage (answers: only the legitimate check-ins)" \
	[ "$(sc_answers a)" -le 60 ]

[ "$SC_FAIL" -eq 0 ] || sc_dump
sc_test_end
