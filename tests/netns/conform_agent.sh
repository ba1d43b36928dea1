#!/bin/sh
# recall-conform against our own recall-agent: the whole suite with the Linux backend (routes,
# rules and probes) and with the dummy backend (no enforcement: judged by the adapter's state),
# each with its expected-failures file; both must exit 0, with no unexpected result, and the
# JSON report must hold every test. Ctrl-C or a failure leaves no namespace behind (the suite's
# own trap; checked at the end). Needs root (exit 77 otherwise). About 2.5 minutes.
set -u
B=${1:?usage: $0 BUILD_DIR}
S=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
SUITE=$B/conform/recall-conform
[ -x "$SUITE" ] && [ -x "$B/agent/recall-agent" ] || { echo "SKIP: suite or agent not built"; exit 77; }
command -v jq >/dev/null && command -v dnsmasq >/dev/null || { echo "SKIP: needs jq, dnsmasq"; exit 77; }
W=$(mktemp -d /tmp/conform_agent.XXXXXX)
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM
fails=0
# The timed (set-clock) and log tests run in conform_time.sh: both stay under 3 minutes.
ONLY='attach-checkin,recall-quarantine,quarantine-*,owner-override,release-clear,release-firmware'
ONLY="$ONLY,release-expiry,forgery-*,retry-jitter,rotation-*,checkin-*,nonce-fresh"
for sys in linux dummy; do
	exp=$S/conform/expected/recall-agent.txt
	[ $sys = dummy ] && exp=$S/conform/expected/recall-agent-dummy.txt
	RECALL_AGENT=$B/agent/recall-agent RECALL_SYSTEM=$sys timeout 170 "$SUITE" \
		--adapter "$S/conform/adapters/recall-agent" --expected "$exp" --only "$ONLY" --json "$W/$sys.json" \
		--report "$W/$sys.txt"
	rc=$?
	n=$(jq '.results | length' "$W/$sys.json" 2>/dev/null || echo 0)
	if [ $rc -eq 0 ] && [ "$n" -ge 34 ]; then
		echo "ok: $sys backend: $n tests, exit 0"
	else
		echo "FAIL: $sys backend: exit $rc, $n results"
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
