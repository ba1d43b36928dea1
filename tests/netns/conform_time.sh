#!/bin/sh
# recall-conform's timed and log tests against our own recall-agent (the rest of the suite is
# conform_agent.sh): periodic and recheck check-ins and expiry in accelerated time (the
# adapter's set-clock: libfaketime, never the machine's clock), and the log requirement
# (PROTOCOL.md 12.7), with the Linux and the dummy backends. Every selected test must pass (none
# skipped: set-clock must work here), and no namespace of ours may be left. Needs root and
# Debian's libfaketime (exit 77 otherwise). About 50 seconds.
set -u
B=${1:?usage: $0 BUILD_DIR}
S=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
SUITE=$B/conform/recall-conform
[ -x "$SUITE" ] && [ -x "$B/agent/recall-agent" ] || { echo "SKIP: suite or agent not built"; exit 77; }
command -v jq >/dev/null && command -v dnsmasq >/dev/null || { echo "SKIP: needs jq, dnsmasq"; exit 77; }
ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || { echo "SKIP: needs libfaketime"; exit 77; }
W=$(mktemp -d /tmp/conform_time.XXXXXX)
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM
TESTS='recheck release-expiry-clock periodic log-proof-valid log-proof-missing log-proof-other-leaf
log-proof-below-quorum log-proof-stale'
fails=0
for sys in linux dummy; do
	RECALL_AGENT=$B/agent/recall-agent RECALL_SYSTEM=$sys timeout 120 "$SUITE" \
		--adapter "$S/conform/adapters/recall-agent" --only "$(echo "$TESTS" | tr ' \n' ',,')" \
		--json "$W/$sys.json" --report "$W/$sys.txt"
	rc=$?
	missing=''
	for t in $TESTS; do
		jq -e --arg t "$t" '.results[] | select(.id == $t and .verdict == "pass")' "$W/$sys.json" \
			>/dev/null 2>&1 || missing="$missing $t"
	done
	if [ $rc -eq 0 ] && [ -z "$missing" ]; then
		echo "ok: $sys backend: every timed and log test passed"
	else
		echo "FAIL: $sys backend: exit $rc, not passed:$missing"
		cat "$W/$sys.txt"
		fails=$((fails + 1))
	fi
done
# A cf- namespace whose runner (the PID in its name) is gone was leaked; a live one belongs to
# another suite running on this machine at the same time.
left=$(ip netns list | sed -n 's/^cf-[a-z]*-\([0-9]*\).*/\1/p' | sort -u |
	while read -r p; do kill -0 "$p" 2>/dev/null || echo "$p"; done | wc -l)
[ "$left" -eq 0 ] && echo "ok: no namespace left" || { echo "FAIL: namespaces of $left ended runs left"; fails=$((fails + 1)); }
[ $fails -eq 0 ]
