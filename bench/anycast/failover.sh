#!/bin/bash
# Measured anycast failover (docs/ANYCAST.md "Failover figures"): the BIRD lab of lab/anycast.sh,
# a client on the Internet host sending a check-in every 5 ms from one socket (one flow: ECMP
# keeps it on one node of PoP a). For each fault, RUNS times: the node the flow reaches is
# found from its answer counters, the fault is injected on it, the stream is kept going until
# r routes around it, then the fault is repaired and the route waited back. Per run: the time
# from the fault to the first answer (necessarily from another node: the faulty one is dead,
# silent or unreachable) and the check-ins sent meanwhile that were never answered.
# Faults: recalld (SIGKILL of recalld; recall-healthcheck withdraws), crash (SIGKILL of every
# process in the node: its kernel closes BIRD's TCP sessions at once), power (the node falls
# silent, as when it loses power, and its processes die: only BFD can tell), link (the uplink
# drops everything while the carrier stays up and the node runs on; BFD).
# Usage: bench/anycast/failover.sh BUILD_DIR [RUNS] [OUT_DIR]   (root; RUNS default 20)
# FAULTS="recalld crash power link" (the default) picks the faults.
# Prints a table (p50, p99, max over the runs) and leaves OUT_DIR/runs.tsv.
set -u
LAB_SRC=$(cd "$(dirname "$0")/../.." && pwd)
LAB=acbench-$(($$ % 100000))
. "$LAB_SRC/lab/lab.sh"
. "$LAB_SRC/lab/scenario.sh"
. "$LAB_SRC/lab/anycast.sh"
B=${1:?usage: $0 BUILD_DIR [RUNS] [OUT_DIR]}
RUNS=${2:-20}
OUT=${3:-$(pwd)/failover-out}
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 200 ] || { echo "RUNS: 1..200" >&2; exit 2; }
lab_init || exit $?
sc_init "$B" || exit $?
ac_init || exit $?
PROBE=$SC_B/bench/anycast/recall-bench-anycast-probe
# The probe's 200 check-ins a second from one address exceed recalld's default rate limit
# (100 a second per /24): its source is exempt, as an operator exempts its monitoring.
AC_RECALLD_EXTRA="ratelimit-exempt = 198.51.100.0/24"
[ -x "$PROBE" ] || { echo "$PROBE is not built" >&2; exit 1; }
mkdir -p "$OUT"
: >"$OUT/runs.tsv"
# The identity of the lab's recalled Archer AX21 (sc_dev_ident ap): its answers are "recalled",
# which the nodes count apart from their health checks (always clear).
PROBE_ID=(--vendor TP-Link --model "Archer AX21" --fwver "1.1.3 Build 20221209")

echo "anycast failover bench: building the lab (BIRD on r and $AC_NODES)"
ac_world >"$OUT/world.log" 2>&1 || { cat "$OUT/world.log"; exit 1; }
sc_wait 150 ac_routes_are "a1 a2" || { echo "routes did not come up: $(ac_route4)"; exit 1; }

# The PoP a node whose recalled counter grows while the probe runs.
victim() {
	local x1 x2 y1 y2
	x1=$(sc_answers a1 recalled) x2=$(sc_answers a2 recalled)
	sleep 0.3
	y1=$(sc_answers a1 recalled) y2=$(sc_answers a2 recalled)
	if [ $((y1 - x1)) -gt 10 ] && [ $((y2 - x2)) -le 1 ]; then
		echo a1
	elif [ $((y2 - x2)) -gt 10 ] && [ $((y1 - x1)) -le 1 ]; then
		echo a2
	fi
}
other() { [ "$1" = a1 ] && echo a2 || echo a1; }

# The fault's target looked up first, so that the fault itself is one quick step.
fault() {
	local p
	case $1 in
	recalld)
		p=$(lab_pid "$2" recalld)
		T0=$(date +%s%N)
		kill -KILL "$p"
		;;
	crash)
		p=$(ip netns pids "$LAB-$2")
		T0=$(date +%s%N)
		# shellcheck disable=SC2086 # a list of pids
		kill -KILL $p
		ac_kill_node "$2"
		;;
	power)
		T0=$(date +%s%N)
		ac_cut_link "$2"
		ac_kill_node "$2"
		;;
	link)
		T0=$(date +%s%N)
		ac_cut_link "$2"
		;;
	esac
}
repair() {
	case $1 in
	recalld) sc_recalld "$2" "$LAB_DIR/authority" "freebind = yes" "$AC_RECALLD_EXTRA" >/dev/null 2>&1 ;;
	crash) ac_node_up "$2" "$LAB_DIR/authority" >/dev/null 2>&1 ;;
	power) ac_mend_link "$2" && ac_node_up "$2" "$LAB_DIR/authority" >/dev/null 2>&1 ;;
	link) ac_mend_link "$2" ;;
	esac
}

# One run of fault $1 ($2: run number): appends a line to runs.tsv.
one_run() {
	local f=$1 r=$2 v pid back t_back
	(lx inet "$PROBE" -i 5000 -t 1000 -d 60 "${PROBE_ID[@]}" "$LAB_ANYCAST4" \
		>"$LAB_DIR/probe.out" 2>"$LAB_DIR/probe.err" &)
	sleep 0.5
	pid=$(lab_pid inet recall-bench-an) || {
		echo "run $f/$r: the probe did not start or exited: $(cat "$LAB_DIR/probe.err")"
		return 0
	}
	v=$(victim)
	if [ -z "$v" ]; then
		echo "run $f/$r: no single node answers the flow; skipped (routes: $(ac_route4))"
		cat "$LAB_DIR/probe.err"
		kill "$pid" 2>/dev/null
		return 0
	fi
	fault "$f" "$v"
	sc_wait 100 ac_routes_are "$(other "$v")"
	sleep 1.2
	kill "$pid"
	sc_wait 50 sc_not_running "$pid"
	t_back=$(date +%s%N)
	repair "$f" "$v"
	sc_wait 200 ac_routes_are "a1 a2" || echo "run $f/$r: $v not announced again within 20 s"
	back=$((($(date +%s%N) - t_back) / 1000000))
	cp "$LAB_DIR/probe.out" "$OUT/probe-$f-$r.out"
	python3 - "$LAB_DIR/probe.out" "$T0" "$f" "$r" "$v" "$back" >>"$OUT/runs.tsv" <<'EOF'
import sys
path, t0, f, r, v, back = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
rows = [l.split() for l in open(path)]
rows = [(int(s), int(g), k) for _, s, g, k in rows]
# The fault takes effect a few ms after T0 (the signal, the nft rule): it is timed from the
# first check-in after T0 that went unanswered (resolution: one check-in, 5 ms).
lost0 = next((x for x in rows if x[0] >= t0 and not x[1]), None)
first = lost0 and next((x for x in rows if x[0] > lost0[0] and x[1]), None)
if first is None:
    print(f"{f}\t{r}\t{v}\tNA\tNA\t{back}\t0")
    sys.exit()
gap = (first[1] - lost0[0]) / 1e6
lost = sum(1 for s, g, _ in rows if lost0[0] <= s < first[0] and not g)
# unanswered check-ins outside the failover (none expected)
other = sum(1 for s, g, _ in rows if not g and not lost0[0] <= s < first[0])
print(f"{f}\t{r}\t{v}\t{gap:.1f}\t{lost}\t{back}\t{other}")
EOF
	tail -n 1 "$OUT/runs.tsv" | awk -F'\t' '{printf "  %-8s run %2d: fault on %s, first answer after %s ms, %s check-ins lost (%s others unanswered), route back after %s ms\n", $1, $2, $3, $4, $5, $7, $6}'
}

start=$(date +%s)
for f in ${FAULTS:-recalld crash power link}; do
	echo "fault: $f ($RUNS runs)"
	for r in $(seq "$RUNS"); do
		one_run "$f" "$r"
		# bounded in time as well as in count: at most 20 minutes in all
		[ $(($(date +%s) - start)) -lt 1200 ] || { echo "time limit reached"; break 2; }
	done
done

python3 - "$OUT/runs.tsv" <<'EOF'
import math, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
def pct(v, p):
    v = sorted(v)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]
print()
print("| fault | runs | fault to first answer p50 / p99 / max (ms) | check-ins lost p50 / p99 / max (one every 5 ms) | route back after repair, p50 (ms) |")
print("|---|---|---|---|---|")
names = {"recalld": "recalld killed (health check withdraws)",
         "crash": "every process of the node killed (BGP sessions close)",
         "power": "node powered off: silent, then its processes killed (BFD)",
         "link": "uplink cut silently (BFD)"}
for f in ("recalld", "crash", "power", "link"):
    rs = [r for r in rows if r[0] == f and r[3] != "NA"]
    # NA: no check-in after the fault went unanswered (the flow moved within one interval)
    na = sum(1 for r in rows if r[0] == f and r[3] == "NA")
    if not rs:
        continue
    g = [float(r[3]) for r in rs]
    l = [int(r[4]) for r in rs]
    b = [int(r[5]) for r in rs]
    print(f"| {names[f]} | {len(rs)}{f' (+{na} with no check-in lost)' if na else ''} | "
          f"{pct(g, 50):.0f} / {pct(g, 99):.0f} / {max(g):.0f} | "
          f"{pct(l, 50)} / {pct(l, 99)} / {max(l)} | {pct(b, 50)} |")
EOF
exit 0
