#!/bin/sh
# recall-conform against our own recall-agent in private mode (PROTOCOL.md 18, the adapter's
# RECALL_MODE=private), Linux backend: the private tests (the walk, release, the wire, fetches
# only when listed, the private forgeries) and the whole forgery matrix answered through the
# walk must pass; then the same selection against the agent in normal mode must report every
# private test "skip (normal mode)". No namespace of ours may be left. Needs root (exit 77
# otherwise). About 1 minute.
set -u
B=${1:?usage: $0 BUILD_DIR}
S=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
SUITE=$B/conform/recall-conform
if ! [ -x "$SUITE" ] || ! [ -x "$B/agent/recall-agent" ]; then echo "SKIP: suite or agent not built"; exit 77; fi
if ! command -v jq >/dev/null || ! command -v dnsmasq >/dev/null; then echo "SKIP: needs jq, dnsmasq"; exit 77; fi
W=$(mktemp -d /tmp/conform_private.XXXXXX)
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM
PRIV='private-walk-quarantine private-release-bucket private-wire private-fetch-listed
forgery-pnocover forgery-precalled forgery-pbucketnonce'
ONLY="private-*,forgery-*,checkin-size,checkin-identity,nonce-fresh"
fails=0
for m in private normal; do
	RECALL_MODE=$m RECALL_AGENT=$B/agent/recall-agent RECALL_SYSTEM=linux timeout 150 "$SUITE" \
		--adapter "$S/conform/adapters/recall-agent" --expected "$S/conform/expected/recall-agent.txt" \
		--only "$ONLY" --json "$W/$m.json" --report "$W/$m.txt"
	rc=$?
	want=pass
	[ $m = normal ] && want=skip
	bad=''
	for t in $PRIV; do
		jq -e --arg t "$t" --arg v "$want" '.results[] | select(.id == $t and .verdict == $v)' \
			"$W/$m.json" >/dev/null 2>&1 || bad="$bad $t"
	done
	n=$(jq '[.results[] | select(.id | startswith("forgery-"))] | length' "$W/$m.json" 2>/dev/null || echo 0)
	if [ $rc -eq 0 ] && [ -z "$bad" ] && [ "$n" -ge 21 ]; then
		echo "ok: $m mode: private tests $want, $n forgery results, exit 0"
	else
		echo "FAIL: $m mode: exit $rc, $n forgery results, not $want:$bad"
		cat "$W/$m.txt"
		fails=$((fails + 1))
	fi
done
# A cf- namespace whose runner (the PID in its name) is gone was leaked; a live one belongs to
# another suite running on this machine at the same time.
left=$(ip netns list | sed -n 's/^cf-[a-z]*-\([0-9]*\).*/\1/p' | sort -u |
	while read -r p; do kill -0 "$p" 2>/dev/null || echo "$p"; done | wc -l)
if [ "$left" -eq 0 ]; then
	echo "ok: no namespace left"
else
	echo "FAIL: namespaces of $left ended runs left"
	fails=$((fails + 1))
fi
[ $fails -eq 0 ]
