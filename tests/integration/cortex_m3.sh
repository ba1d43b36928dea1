#!/bin/sh
# The agent core on a bare-metal Cortex-M3 (port/cortex-m, docs/PORTING.md): libsodium and
# libcbor cross-built from Debian's sources, the firmware image built with the test vectors of
# the host's recall tool, then run on qemu-system-arm -M mps2-an385 with semihosting: four
# boots (recall; a damaged slot, the other one restored; reset with the quarantine restored from
# flash; release by a new firmware build) and the forged, below-threshold and other-model
# answers ignored. Every check the image makes
# must pass, and all of them must have run. Skips (77) without gcc-arm-none-eabi,
# picolibc-arm-none-eabi or qemu-system-arm, or when no source of libsodium or libcbor can be had
# (port/cortex-m/build-deps.sh says where it looks: a machine with no Debian mirror). The
# cross-built libraries are built once and shared by the build trees of one source tree, in
# SOURCE/build-m3-deps (RECALL_M3_DEPS_DIR to change it; BUILD/cortex-m3/deps when the source
# tree is read-only): the first run of scripts/test builds them (the whole test 2.5 min on two
# busy cores), the second (the ASan tree) reuses them (23 s).
set -u
BUILD=${1:?usage: $0 BUILD_DIR}
case "$BUILD" in /*) ;; *) BUILD="$(pwd)/$BUILD" ;; esac
SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
R="$BUILD/tools/recall"
W="$BUILD/cortex-m3"
CHECKS=30 # the checks scenario.c makes over its four boots

for t in arm-none-eabi-gcc qemu-system-arm python3; do
	command -v "$t" >/dev/null || {
		echo "SKIP: $t not installed (scripts/deps installs it)"
		exit 77
	}
done
[ -f /usr/lib/picolibc/arm-none-eabi/picolibc.specs ] || {
	echo "SKIP: picolibc-arm-none-eabi not installed"
	exit 77
}
[ -x "$R" ] || {
	echo "no $R: build the recall_tool target first"
	exit 1
}
mkdir -p "$W"
DEPS=${RECALL_M3_DEPS_DIR:-$SRC/build-m3-deps}
mkdir -p "$DEPS" 2>/dev/null && [ -w "$DEPS" ] || DEPS="$W/deps"

"$SRC/port/cortex-m/build-deps.sh" "$DEPS"
rc=$?
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || exit 1
"$SRC/port/cortex-m/vectors.sh" "$R" "$W/vectors" || exit 1
fails=0
fail() {
	echo "FAIL - $*"
	fails=$((fails + 1))
}

# image NAME CMAKE_ARGS...: build the images in $W/NAME, run the scenario, check its output.
good=0
bad=0
image() {
	n=$1
	shift
	f0=$fails
	echo "== image $n: $*"
	if ! cmake -S "$SRC/port/cortex-m" -B "$W/$n" \
		-DCMAKE_TOOLCHAIN_FILE="$SRC/packaging/cross/cortex-m3.cmake" \
		-DRECALL_M3_DEPS="$DEPS/prefix" -DRECALL_M3_VECTORS="$W/vectors/vectors.c" \
		-DRECALL_M3_WERROR=ON "$@" >"$W/$n.log" 2>&1 ||
		! cmake --build "$W/$n" -j2 >>"$W/$n.log" 2>&1; then
		cat "$W/$n.log"
		fail "$n: firmware build"
		bad=$((bad + 1))
		return
	fi
	grep -E 'filename|\.elf$' "$W/$n.log"
	# The board has no TRNG: the seed of its generator comes from the host, fresh each run.
	# -icount shift=0: one instruction per virtual ns, which the image's SysTick counts.
	seed=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	timeout 300 qemu-system-arm -M mps2-an385 -nographic -monitor none -serial none \
		-semihosting-config enable=on,target=native -icount shift=0 \
		-kernel "$W/$n/recall-m3.elf" -append "$seed" >"$W/$n.run" 2>&1
	rc=$?
	cat "$W/$n.run"
	[ $rc -eq 0 ] || fail "$n: the image exited $rc"
	grep -q "^scenario: $CHECKS passed, 0 failed$" "$W/$n.run" ||
		fail "$n: want 'scenario: $CHECKS passed, 0 failed'"
	[ "$(grep -c '^ok - ' "$W/$n.run")" -eq $CHECKS ] || fail "$n: want $CHECKS ok lines"
	! grep -q '^FAIL' "$W/$n.run" || fail "$n: a check in the image failed"
	[ "$(grep -c '^scenario: system reset$' "$W/$n.run")" -eq 3 ] || fail "$n: want three resets"
	[ "$n" != fw-small ] || grep -q '^scenario: phase 1, sizeof(struct rc_agent) = 9048$' \
		"$W/$n.run" || fail "$n: RC_AGENT_CHAIN_BYTES and RC_AGENT_CHAIN_PROOF_BYTES not lowered"
	# The small image's state check is SHA-256 and it verifies no log proof: no BLAKE2b, no
	# log-proof verification linked (and no half floats in any image).
	! arm-none-eabi-nm "$W/$n/recall-m3-device.elf" | grep -qE 'ldexp' || fail "$n: ldexp linked"
	[ "$n" != fw-small ] || ! arm-none-eabi-nm "$W/$n/recall-m3-device.elf" |
		grep -qE 'generichash|blake2b|rc_tlog_verify|rc_note_verify' ||
		fail "$n: BLAKE2b or log-proof verification linked"
	if [ $fails -eq $f0 ]; then good=$((good + 1)); else bad=$((bad + 1)); fi
}
# The core's default limits with libsodium's own sodium_init; the small configuration
# (lowered chain budgets, SHA-256 state check, no log-proof verification) with glue.c's, the
# image measured against the 64 KiB / 16 KiB goal (with link-time optimisation).
image fw -DRECALL_M3_SODIUM_INIT=ON -DRECALL_M3_SMALL=OFF -DRECALL_M3_NO_LOG=OFF
image fw-small -DRECALL_M3_SMALL=ON -DRECALL_M3_SODIUM_INIT=OFF -DRECALL_M3_NO_LOG=ON -DRECALL_M3_LTO=ON
echo "$good passed, $bad failed"
[ $bad -eq 0 ]
