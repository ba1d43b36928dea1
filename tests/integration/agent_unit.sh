#!/bin/sh
# The systemd units stay sandboxed: `systemd-analyze security --offline=true` of
# packaging/systemd/recall-agent.service must not exceed AGENT_MAX (2.0; it was 4.4 before the
# unit was hardened, 1.9 after: what is left open is what the quarantine needs, CAP_NET_ADMIN,
# netlink and the host's network, and adjtimex for wall-clock = auto), and recalld.service must
# not exceed RECALLD_MAX (1.5; 1.4 now). Exit 77 (skip) without a systemd-analyze that knows
# --offline (systemd 250 and later).
set -u
SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
AGENT_MAX=${AGENT_MAX:-2.0}
RECALLD_MAX=${RECALLD_MAX:-1.5}
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "skip: no systemd-analyze"
	exit 77
fi
fails=0
# Overall exposure of unit $1 (a number such as 1.9), or nothing.
exposure() {
	systemd-analyze security --offline=true --no-pager "$1" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p'
}
check() { # unit bound
	e=$(exposure "$SRC/packaging/systemd/$1")
	if [ -z "$e" ]; then
		if systemd-analyze security --help 2>&1 | grep -q -- --offline; then
			echo "FAIL: $1: no exposure level from systemd-analyze"
			systemd-analyze security --offline=true --no-pager "$SRC/packaging/systemd/$1" 2>&1 | tail -5
			fails=$((fails + 1))
			return
		fi
		echo "skip: systemd-analyze has no --offline"
		exit 77
	fi
	if awk -v e="$e" -v m="$2" 'BEGIN { exit !(e <= m) }'; then
		echo "ok: $1: exposure $e <= $2"
	else
		echo "FAIL: $1: exposure $e > $2 (systemd-analyze security --offline=true $1 lists what is open)"
		fails=$((fails + 1))
	fi
}
check recall-agent.service "$AGENT_MAX"
check recalld.service "$RECALLD_MAX"
# recall-gate.service: 1.8 (CAP_NET_ADMIN for nftables, netlink, the host's network; 0.3 of
# it for CAP_NET_RAW and AF_PACKET: the packet socket that gives LAN datagrams' source MACs).
check recall-gate.service "${GATE_MAX:-1.8}"
# Debian's nftables.service starts with `flush ruleset`: the gate, whose table must hold before
# forwarding resumes, is ordered after it.
if grep -Eq '^After=.*[ =]nftables\.service' "$SRC/packaging/systemd/recall-gate.service"; then
	echo "ok: recall-gate.service: After=nftables.service"
else
	echo "FAIL: recall-gate.service: not ordered After=nftables.service"
	fails=$((fails + 1))
fi
[ "$fails" -eq 0 ]
