#!/bin/sh
# RECALL_FIRMWARE=ON (docs/PORTING.md): a fresh configuration without the static archives
# stops at configure time naming what is missing; with them (RECALL_STATIC_LIBDIRS in the
# environment: directories holding libsodium.a, libcbor.a and libmnl.a) the build makes only
# recall-agent, static, reports its size, and installs the agent but no library or documents.
# Arg 1: the build dir (unused: this test configures its own). Skips (77) the build half when
# the archives are not there (Debian ships no libcbor.a or libmnl.a).
set -u
SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
T=$(mktemp -d /tmp/pkg-fw.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() {
	echo "FAIL - $*"
	fails=$((fails + 1))
}
have() { # have LIB: libLIB.a in the linker's default directories
	f=$(cc -print-file-name="lib$1.a")
	[ "$f" != "lib$1.a" ] && [ -f "$f" ]
}

if ! have cbor || ! have mnl; then
	if cmake -S "$SRC" -B "$T/nolibs" -DRECALL_FIRMWARE=ON -DRECALL_STATIC_LIBDIRS="$T/none" \
		>"$T/nolibs.log" 2>&1; then
		fail "configure without libcbor.a/libmnl.a succeeded"
	else
		grep -q "RECALL_FIRMWARE: the static recall-agent needs" "$T/nolibs.log" &&
			grep -q "libcbor.a" "$T/nolibs.log" && grep -q "RECALL_STATIC_LIBDIRS" "$T/nolibs.log" ||
			{ fail "no clear configure error:"; cat "$T/nolibs.log"; }
	fi
fi
if [ -z "${RECALL_STATIC_LIBDIRS:-}" ] && { ! have cbor || ! have mnl; }; then
	[ "$fails" -eq 0 ] || exit 1
	echo "SKIP: the static build needs libcbor.a and libmnl.a: set RECALL_STATIC_LIBDIRS"
	exit 77
fi

B="$T/fw"
if cmake -S "$SRC" -B "$B" -DRECALL_FIRMWARE=ON -DRECALL_WERROR=ON \
	-DRECALL_STATIC_LIBDIRS="${RECALL_STATIC_LIBDIRS:-}" >"$T/cfg.log" 2>&1 &&
	cmake --build "$B" -j2 >"$T/build.log" 2>&1; then
	line=$(grep "recall-agent firmware build:" "$T/build.log")
	echo "${line#-- }"
	size=$(echo "$line" | sed -n 's/.*build: \([0-9]*\) bytes stripped.*/\1/p')
	[ -n "$size" ] && [ "$size" -eq "$(wc -c <"$B/agent/recall-agent.stripped")" ] ||
		fail "reported size '$size' is not the stripped binary's"
	[ "$(cat "$B/recall-agent.size")" = "$size" ] || fail "recall-agent.size differs"
	readelf -lW "$B/agent/recall-agent" | grep -q INTERP && fail "recall-agent has an interpreter"
	readelf -d "$B/agent/recall-agent" | grep -q NEEDED && fail "recall-agent needs shared libraries"
	"$B/agent/recall-agent" --version | grep -q "^recall-agent " || fail "recall-agent --version"
	nm "$B/agent/recall-agent" | grep -Eq ' (getaddrinfo|getpwnam|rc_feed_[a-z_]*)$' &&
		fail "NSS or feed code linked into the agent"
	for t in tools/recall responder/recalld bench/recall-bench lib/librecall.so; do
		[ -e "$B/$t" ] && fail "$t built in a firmware build"
	done
	DESTDIR="$T/root" cmake --install "$B" --strip >"$T/install.log" 2>&1 || fail "install"
	find "$T/root" -name recall-agent -path '*sbin*' | grep -q . || fail "recall-agent not installed"
	find "$T/root" \( -name 'librecall*' -o -name '*.md' -o -name '*.h' \) | grep . &&
		fail "library, headers or documents installed by a firmware build"
else
	fail "firmware build:"
	tail -n 20 "$T/cfg.log" "$T/build.log" 2>/dev/null
fi
echo "firmware_build: $fails failure(s)"
[ "$fails" -eq 0 ]
