#!/bin/sh
# recall-gate's memory before and after a change, side by side from one run (docs/PERFORMANCE.md,
# "recall-gate"): bench/gate/gate_250.sh on each build directory in turn (same machine, same
# LAN simulation, same N and idle time), then one table: per phase the daemon's VmRSS, Pss and
# Private_Dirty, and the Rss/Pss of the helper processes running at that moment. The
# per-mapping breakdowns (bench/gate/smaps.awk) are kept in OUT/NAME/. Needs root.
# Usage: bench/gate/gate_rss.sh OUT BUILD_DIR... (e.g. build-before build-after) [-- N IDLE]
set -u
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 77; }
S=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:?usage: $0 OUT BUILD_DIR... [-- N IDLE]}
shift
builds=''
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	builds="$builds $1"
	shift
done
[ "${1:-}" = -- ] && shift
N=${1:-250} IDLE=${2:-60}
mkdir -p "$OUT"
for b in $builds; do
	name=$(basename "$b")
	echo "== $b"
	SMAPS_DIR=$OUT/$name "$S/bench/gate/gate_250.sh" "$b" "$N" "$IDLE" | tee "$OUT/$name.txt"
done
echo
printf '%-26s %-14s %9s %9s %9s %9s %9s\n' phase build VmRSS Pss Priv_Dirty helpersRss helpersPss
for phase in "idle, no devices" "$N lease events" "leases+SSDP+UPnP+checks" "idle, $N devices known"; do
	for b in $builds; do
		name=$(basename "$b")
		grep -F "$phase " "$OUT/$name.txt" | head -1 | awk -v p="$phase" -v n="$name" '
		{ for (i = 1; i <= NF; i++) {
			if ($i == "VmRSS:") r = $(i + 1); if ($i == "Pss:") ps = $(i + 1)
			if ($i == "Private_Dirty:") d = $(i + 1)
			if ($i == "Rss") hr = $(i + 1); if ($i == "Pss") hp = $(i + 1) }
		  printf "%-26s %-14s %9s %9s %9s %9s %9s\n", p, n, r, ps, d, hr + 0, hp + 0 }'
	done
done
