#!/bin/sh
# recall-conform against recall-agent's armhf build under qemu-user. The agent and librecall are
# cross-built here (BUILD/conform-armhf, packaging/cross/armhf.cmake) and run through the
# adapter's RECALL_AGENT command prefix. Two runs, so that every test is judged once:
#  1. Linux backend, every test but the forgery matrix, with conform/expected/recall-agent-armhf.txt:
#     qemu-user cannot pass RTM_*RULE netlink messages, so the quarantine is not enforced; the
#     agent's log must show that (EOPNOTSUPP) as its only netlink error.
#  2. Dummy backend (judged by the agent's state), the boot, baseline and forgery tests: without
#     an enforced baseline run 1 could not judge the forgery matrix.
# Needs root, the armhf cross toolchain and qemu-user-static (exit 77 otherwise). About 2 min.
set -u
B=${1:?usage: $0 BUILD_DIR}
S=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
SUITE=$B/conform/recall-conform
[ -x "$SUITE" ] && [ -x "$B/conform/recall-conform-responder" ] || { echo "SKIP: suite not built"; exit 77; }
for c in arm-linux-gnueabihf-gcc qemu-arm-static jq dnsmasq; do
	command -v $c >/dev/null || { echo "SKIP: needs $c (scripts/deps installs it)"; exit 77; }
done
for l in libsodium libcbor libmnl; do
	[ -r /usr/lib/arm-linux-gnueabihf/pkgconfig/$l.pc ] || { echo "SKIP: needs $l-dev:armhf"; exit 77; }
done
A=$B/conform-armhf
W=$(mktemp -d /tmp/conform_armhf.XXXXXX)
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM
# Only the agent and librecall: the device side, as a vendor's armhf firmware would carry it.
if ! { [ -f "$A/CMakeCache.txt" ] || cmake -S "$S" -B "$A" -DCMAKE_TOOLCHAIN_FILE="$S/packaging/cross/armhf.cmake" \
	-DRECALL_PROGRAMS=agent -DRECALL_TESTS=OFF -DRECALL_WERROR=ON >"$W/cmake.log" 2>&1; } ||
	! cmake --build "$A" -j2 --target recall-agent >"$W/build.log" 2>&1; then
	echo "FAIL: armhf build of recall-agent"
	tail -20 "$W/cmake.log" "$W/build.log" 2>/dev/null
	exit 1
fi
file -b "$A/agent/recall-agent" | grep -q 'ARM' || { echo "FAIL: $A/agent/recall-agent is not an ARM binary"; exit 1; }
# The emulator line of armhf.cmake: loader and libc both from the cross sysroot.
QEMU="qemu-arm-static -L /usr/arm-linux-gnueabihf -E LD_LIBRARY_PATH=/usr/arm-linux-gnueabihf/lib:/usr/lib/arm-linux-gnueabihf"
export RECALL_AGENT="$QEMU $A/agent/recall-agent"
fails=0
# suite NAME SYSTEM EXPECTED ONLY: one run; 0 if it exited 0 with a JSON report.
suite() {
	# The suite's PID names its namespaces (cf-net-PID): the exec keeps the PID.
	RECALL_SYSTEM=$2 timeout 170 sh -c 'echo $$ >"$0"; exec "$@"' "$W/$1.pid" "$SUITE" --adapter "$S/conform/adapters/recall-agent" \
		--expected "$3" --only "$4" --json "$W/$1.json" --report "$W/$1.txt" --keep 2>"$W/$1.err"
	rc=$?
	n=$(jq '.results | length' "$W/$1.json" 2>/dev/null || echo 0)
	echo "$1: exit $rc, $n results: $(tail -n 1 "$W/$1.txt" 2>/dev/null)"
	if ip netns list | grep -Eq "^cf-net-$(cat "$W/$1.pid")( |$)"; then
		echo "FAIL: $1: cf-net-$(cat "$W/$1.pid") left"
		fails=$((fails + 1))
	fi
	[ $rc -eq 0 ] && [ "$n" -ge "$5" ] && return 0
	cat "$W/$1.txt" 2>/dev/null
	fails=$((fails + 1))
}
suite linux linux "$S/conform/expected/recall-agent-armhf.txt" \
	'attach-checkin,quarantine-*,owner-override,release-*,retry-jitter,rotation-*,checkin-*,nonce-fresh' 16
# The reason of run 1's expected failures must be the documented one and no other.
k=$(sed -n 's/^recall-conform: logs kept in //p' "$W/linux.err")
if [ -n "$k" ] && [ -f "$k/dut/agent.log" ]; then
	errs=$(grep -E 'quarantine: (apply|refresh|release):' "$k/dut/agent.log" | sort | uniq -c)
	other=$(grep -E 'quarantine: (apply|refresh|release):' "$k/dut/agent.log" | grep -vc 'Operation not supported$')
	if [ -n "$errs" ] && [ "$other" -eq 0 ]; then
		echo "ok: the quarantine's only netlink error is EOPNOTSUPP (qemu-user, RTM_*RULE):"
		echo "$errs"
	else
		echo "FAIL: the armhf agent's quarantine errors are not (only) qemu-user's EOPNOTSUPP:"
		echo "${errs:-none}"
		fails=$((fails + 1))
	fi
else
	echo "FAIL: no agent log kept"
	fails=$((fails + 1))
fi
[ -n "$k" ] && rm -rf "$k"
suite dummy dummy "$S/conform/expected/recall-agent-dummy.txt" 'forgery-*' 20
k=$(sed -n 's/^recall-conform: logs kept in //p' "$W/dummy.err")
[ -n "$k" ] && rm -rf "$k"
[ $fails -eq 0 ]
