#!/bin/sh
# librecall as installed (docs/ABI.md): `cmake --install` of the library components into a
# DESTDIR, then a small program built with pkg-config alone (shared, and static with
# --static), one built through find_package(recall), both run; librecall.so.1 has its SONAME
# and exports the public rc_* API only (every export declared in include/recall/, no rc__*,
# not the internal rc_* helpers of lib/*.h).
# Arg 1: the build dir. Skips (77) without pkg-config, nm or readelf.
set -u
BUILD=${1:?usage: $0 BUILD_DIR}
case "$BUILD" in /*) ;; *) BUILD="$(pwd)/$BUILD" ;; esac
SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
for t in pkg-config nm readelf cmake cc; do
	command -v "$t" >/dev/null || { echo "SKIP: no $t"; exit 77; }
done
cache() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt"; }
[ "$(cache RECALL_SHARED)" = OFF ] && { echo "SKIP: RECALL_SHARED=OFF"; exit 77; }
[ -e "$BUILD/lib/librecall.so.1" ] || { echo "no $BUILD/lib/librecall.so.1: build it first"; exit 1; }
PREFIX=$(cache CMAKE_INSTALL_PREFIX)
# The sanitizer build's library needs the program built with the same runtime.
SAN=""
[ "$(cache RECALL_SANITIZE)" = ON ] && SAN="-fsanitize=address,undefined"

T=$(mktemp -d /tmp/pkg-lib.XXXXXX)
trap 'rm -rf "$T"' EXIT
D="$T/root"
fails=0
fail() {
	echo "FAIL - $*"
	fails=$((fails + 1))
}
for c in runtime dev; do
	DESTDIR="$D" cmake --install "$BUILD" --component "$c" >"$T/install.log" 2>&1 ||
		{ cat "$T/install.log"; echo "FAIL - cmake --install --component $c"; exit 1; }
done
LIBDIR=$(dirname "$(find "$D$PREFIX" -name librecall.so.1 | head -n 1)")
[ -d "$LIBDIR" ] || { echo "FAIL - no librecall.so.1 installed under $D$PREFIX"; exit 1; }
for f in librecall.so.1 librecall.so.1.0.0 librecall.so librecall.a pkgconfig/recall.pc \
	cmake/recall/recallConfig.cmake cmake/recall/recallConfigVersion.cmake \
	cmake/recall/recallTargets.cmake; do
	[ -e "$LIBDIR/$f" ] || fail "$f not installed in $LIBDIR"
done
for h in "$SRC"/include/recall/*.h; do
	[ -e "$D$PREFIX/include/recall/$(basename "$h")" ] || fail "header $(basename "$h") not installed"
done

# The SONAME and the exports.
soname=$(readelf -d "$LIBDIR/librecall.so.1" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = librecall.so.1 ] || fail "SONAME is '$soname', want librecall.so.1"
nm -D --defined-only "$LIBDIR/librecall.so.1" | awk '$2 != "A" {print $3}' | sed 's/@.*//' |
	sort >"$T/exports"
n=$(wc -l <"$T/exports")
[ "$n" -ge 20 ] || fail "only $n symbols exported"
while read -r s; do
	case "$s" in
	rc__*) fail "internal $s exported" ;;
	rc_*) grep -qw "$s" "$SRC"/include/recall/*.h || fail "$s exported but not declared in include/recall/" ;;
	*) fail "$s exported (not rc_*)" ;;
	esac
done <"$T/exports"
grep -qx 'rc_rd_init' "$T/exports" && fail "the internal CBOR cursor (rc_rd_init) is exported"
# debian/librecall1.symbols lists exactly the exports (dpkg-gensymbols only warns about new ones).
awk 'NR > 2 && $1 ~ /^rc_/ {sub(/@.*/, "", $1); print $1}' "$SRC/debian/librecall1.symbols" |
	sort >"$T/symbols"
cmp -s "$T/exports" "$T/symbols" ||
	fail "debian/librecall1.symbols differs from the exports: $(diff "$T/symbols" "$T/exports" | grep '^[<>]' | tr '\n' ' ')"
nm -D --defined-only "$LIBDIR/librecall.so.1" | grep -q ' rc_version_cmp@@RECALL_1.0$' ||
	fail "rc_version_cmp is not versioned RECALL_1.0"

cat >"$T/prog.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <recall/error.h>
#include <recall/version.h>
int main(void)
{
	const char *a = "1.2.9", *b = "1.2.10";
	if (rc_version_cmp(RC_VS_GENERIC, a, strlen(a), b, strlen(b)) >= 0)
		return 1;
	printf("ok %s\n", rc_vscheme_name(RC_VS_DPKG));
	return rc_strerror(0) ? 0 : 1;
}
EOF
# The installed recall.pc first; libsodium and libcbor from the system (their -I/-L are the
# compiler defaults, which pkg-config leaves out, so the sysroot prefix does not touch them).
export PKG_CONFIG_SYSROOT_DIR="$D" PKG_CONFIG_PATH="$LIBDIR/pkgconfig"
pkg-config --modversion recall >"$T/ver" 2>&1 || fail "pkg-config recall: $(cat "$T/ver")"
# (word splitting of pkg-config's output is intended)
# shellcheck disable=SC2046
if cc $SAN -o "$T/prog" "$T/prog.c" $(pkg-config --cflags --libs recall) 2>"$T/cc.log"; then
	readelf -d "$T/prog" | grep -q 'NEEDED.*librecall.so.1' || fail "prog does not need librecall.so.1"
	out=$(LD_LIBRARY_PATH="$LIBDIR" "$T/prog") && [ "$out" = "ok dpkg" ] ||
		fail "prog (shared) printed '$out'"
else
	fail "cc with pkg-config --libs recall:"; cat "$T/cc.log"
fi
# Static: the archive by path, its dependencies from Requires.private.
# shellcheck disable=SC2046
if cc $SAN -o "$T/prog-static" "$T/prog.c" $(pkg-config --cflags recall) "$LIBDIR/librecall.a" \
	$(pkg-config --libs-only-other --libs-only-l --static recall | sed 's/-lrecall//') 2>"$T/cc.log"; then
	readelf -d "$T/prog-static" | grep -q 'librecall' && fail "prog-static needs librecall.so"
	out=$("$T/prog-static") && [ "$out" = "ok dpkg" ] || fail "prog-static printed '$out'"
else
	fail "cc with librecall.a and pkg-config --static:"; cat "$T/cc.log"
fi

# find_package(recall): recall::recall is the shared library.
mkdir -p "$T/fp"
cp "$T/prog.c" "$T/fp/prog.c"
cat >"$T/fp/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.18)
project(fp LANGUAGES C)
find_package(recall 1.0 REQUIRED)
add_executable(prog prog.c)
target_compile_options(prog PRIVATE $SAN)
target_link_options(prog PRIVATE $SAN)
target_link_libraries(prog PRIVATE recall::recall)
EOF
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH
if cmake -S "$T/fp" -B "$T/fp/b" -DCMAKE_PREFIX_PATH="$D$PREFIX" >"$T/fp.log" 2>&1 &&
	cmake --build "$T/fp/b" >>"$T/fp.log" 2>&1; then
	out=$(LD_LIBRARY_PATH="$LIBDIR" "$T/fp/b/prog") && [ "$out" = "ok dpkg" ] ||
		fail "find_package prog printed '$out'"
	readelf -d "$T/fp/b/prog" | grep -q 'NEEDED.*librecall.so.1' ||
		fail "recall::recall is not librecall.so.1"
else
	fail "find_package(recall) project:"; cat "$T/fp.log"
fi
grep -q 'recall::recall_static' "$LIBDIR/cmake/recall/recallTargets.cmake" ||
	fail "recall::recall_static missing from recallTargets.cmake"

echo "lib_install: $n exported symbols; $fails failure(s)"
[ "$fails" -eq 0 ]
