#!/bin/sh
# The conformance suite must catch broken agents: each conform/mutants/NAME.patch removes one
# check from a copy of recall-agent's sources (built here, in BUILD/conform-mutants, never in
# the product's build) and names, on its "# expect:" line, the tests it must fail. The suite
# runs against each mutant with those tests selected; the mutation score (mutants caught /
# mutants) is printed and must be 100 %. A "# mode: private" line runs the mutant's agent in
# private mode (PROTOCOL.md 18). Needs root (exit 77 otherwise). About 3 minutes.
set -u
B=${1:?usage: $0 BUILD_DIR}
S=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
SUITE=$B/conform/recall-conform
[ -x "$SUITE" ] && [ -x "$B/conform/recall-conform-responder" ] || { echo "SKIP: suite not built"; exit 77; }
M=$B/conform-mutants
cleanup() { [ -d "$M/src" ] && rm -rf "$M/src"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
rm -rf "$M"
mkdir -p "$M/src"
for d in CMakeLists.txt cmake include lib common agent packaging; do cp -r "$S/$d" "$M/src/"; done
cmake -S "$M/src" -B "$M/build" -DRECALL_PROGRAMS=agent -DRECALL_TESTS=OFF >/dev/null ||
	{ echo "FAIL: cannot configure the mutant build"; exit 1; }
caught=0 total=0
for p in "$S"/conform/mutants/*.patch; do
	name=$(basename "$p" .patch)
	expect=$(sed -n 's/^# expect: //p' "$p")
	dmode=$(sed -n 's/^# mode: //p' "$p")
	total=$((total + 1))
	(cd "$M/src" && patch -s -p1 <"$p") || { echo "FAIL: $name: patch does not apply"; continue; }
	if timeout 300 cmake --build "$M/build" -j2 --target recall-agent >"$M/$name.build.log" 2>&1; then
		cp "$M/build/agent/recall-agent" "$M/recall-agent-$name"
	else
		echo "FAIL: $name: does not build"; tail -5 "$M/$name.build.log"
	fi
	(cd "$M/src" && patch -s -R -p1 <"$p")
	[ -x "$M/recall-agent-$name" ] || continue
	RECALL_MODE=${dmode:-normal} RECALL_AGENT="$M/recall-agent-$name" timeout 170 "$SUITE" --adapter "$S/conform/adapters/recall-agent" \
		--only "$expect" --json "$M/$name.json" --report "$M/$name.txt" >/dev/null 2>&1
	rc=$?
	missed=''
	for t in $(echo "$expect" | tr ',' ' '); do
		jq -e --arg t "$t" '.results[] | select(.id == $t and .verdict == "fail")' "$M/$name.json" \
			>/dev/null 2>&1 || missed="$missed $t"
	done
	if [ "$rc" -eq 1 ] && [ -z "$missed" ]; then
		caught=$((caught + 1))
		echo "ok: mutant $name caught by: $expect"
	else
		echo "FAIL: mutant $name not caught (exit $rc; passed:$missed)"
		cat "$M/$name.txt" 2>/dev/null
	fi
done
echo "mutation score: $caught/$total"
[ "$total" -gt 0 ] && [ "$caught" -eq "$total" ]
