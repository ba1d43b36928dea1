#!/bin/sh
# Cross-build libsodium and libcbor for a bare-metal Cortex-M3 (picolibc), from Debian 12's
# sources, into DIR/prefix/{include,lib}. Used by the firmware build (port/cortex-m/) and its
# test (tests/integration/cortex_m3.sh).
#
# Where the sources come from, in this order:
#   1. LIBSODIUM_SRC / LIBCBOR_SRC: an unpacked source tree (libsodium 1.0.18, libcbor 0.8.0,
#      the versions of Debian 12);
#   2. DIR/src/libsodium-1.0.18, DIR/src/libcbor-0.8.0 from an earlier run;
#   3. `apt-get source libsodium libcbor` from the Debian mirror this machine already uses for
#      its binary packages (its deb lines are turned into deb-src lines in a private apt
#      configuration under DIR/apt; the system's apt configuration is not touched).
# A source that none of these gives ends the script with exit status 77 (nothing built), which
# the test reports as skipped.
#
# What is built: libsodium whole (not --enable-minimal: that leaves out
# crypto_core_ed25519_is_valid_point, which lib/anchors.c checks keys with) with no default
# randombytes implementation (the firmware installs its own before sodium_init), and libcbor
# without LTO (so that the image's map file names the objects). The image links only what it
# calls (--gc-sections); docs/PERFORMANCE.md "Issue 17" has the sizes.
#
# Usage: port/cortex-m/build-deps.sh DIR
set -eu
D=${1:?usage: $0 DIR}
mkdir -p "$D"
D=$(cd "$D" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TC="$HERE/../../packaging/cross/cortex-m3.cmake"
P="$D/prefix"
JOBS=${JOBS:-2}
SODIUM=libsodium-1.0.18
CBOR=libcbor-0.8.0

if [ -f "$P/lib/libsodium.a" ] && [ -f "$P/lib/libcbor.a" ] && [ -f "$P/.done" ]; then
	echo "build-deps: $P is up to date"
	exit 0
fi
for t in arm-none-eabi-gcc autoreconf cmake make; do
	command -v "$t" >/dev/null || {
		echo "build-deps: $t not installed (scripts/deps installs it)"
		exit 77
	}
done

# apt_source PKG DIRNAME: unpack Debian's source of PKG as $D/src/DIRNAME.
apt_source() {
	dir=$2
	a="$D/apt"
	mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$D/src/dl"
	if [ ! -f "$a/sources.list" ]; then
		# The deb lines of the machine (one-line or deb822 format), as deb-src.
		{
			grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
				sed 's/^deb /deb-src /'
			for f in /etc/apt/sources.list.d/*.sources; do
				[ -f "$f" ] || continue
				awk '/^URIs:/{u=$2} /^Suites:/{s=$2} /^Components:/{c=$2}
				     /^$/{if (u && s ~ /^bookworm$/) print "deb-src " u " " s " " c; u=s=c=""}
				     END{if (u && s ~ /^bookworm$/) print "deb-src " u " " s " " c}' "$f"
			done
		} | grep bookworm | sort -u >"$a/sources.list"
	fi
	set -- -q -o Dir::Etc::SourceList="$a/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$a/lists" -o Dir::Cache="$a/cache" -o APT::Sandbox::User=root
	if [ ! -f "$a/updated" ]; then
		apt-get "$@" update >"$a/update.log" 2>&1 && touch "$a/updated"
	fi
	(cd "$D/src/dl" && apt-get "$@" source "$pkg" >"$a/source-$pkg.log" 2>&1) || return 1
	src=$(find "$D/src/dl" -maxdepth 1 -type d -name "$pkg-*" | head -n 1)
	[ -n "$src" ] && mv "$src" "$D/src/$dir"
}

# need VAR PKG DIRNAME: the source tree of PKG into $D/src/DIRNAME (or VAR's directory).
need() {
	eval "given=\${$1:-}"
	pkg=$2
	if [ -n "$given" ]; then
		[ -d "$given" ] || {
			echo "build-deps: $1=$given is not a directory"
			exit 1
		}
		echo "$given"
		return
	fi
	if [ ! -d "$D/src/$3" ]; then
		if command -v apt-get >/dev/null; then apt_source "$pkg" "$3" >&2 || true; fi
	fi
	if [ ! -d "$D/src/$3" ]; then
		echo "build-deps: no source of $pkg: set $1 to an unpacked $3, or make" \
			"'apt-get source $pkg' work (see $D/apt/source-$pkg.log)" >&2
		exit 77
	fi
	echo "$D/src/$3"
}
SODIUM_SRC=$(need LIBSODIUM_SRC libsodium $SODIUM)
CBOR_SRC=$(need LIBCBOR_SRC libcbor $CBOR)
grep -q '1\.0\.18' "$SODIUM_SRC/configure.ac" || echo "build-deps: warning: $SODIUM_SRC is not 1.0.18"

FLAGS="-mcpu=cortex-m3 -mthumb -mfloat-abi=soft -Os -ffunction-sections -fdata-sections"

# libsodium: autotools, built out of tree (the source may be read-only). posix_memalign is
# hidden from configure: with it, sodium_init asks sysconf for a page size (for the guarded
# pages of sodium_malloc, which need an MMU and which recall does not use), picolibc has none,
# and sodium_init aborts.
echo "build-deps: libsodium from $SODIUM_SRC"
S="$D/sodium"
rm -rf "$S"
cp -R "$SODIUM_SRC" "$S"
(
	cd "$S" &&
	{ [ -x configure ] || autoreconf -fi >"$D/sodium-autoreconf.log" 2>&1; } &&
	./configure --host=arm-none-eabi --prefix="$P" --disable-shared --enable-static \
		--disable-pie --disable-ssp --disable-asm --without-pthreads \
		ac_cv_func_posix_memalign=no \
		CC="arm-none-eabi-gcc --specs=picolibc.specs" \
		CFLAGS="$FLAGS -DRANDOMBYTES_CUSTOM_IMPLEMENTATION -DRANDOMBYTES_DEFAULT_IMPLEMENTATION=NULL" \
		LDFLAGS="--oslib=semihost" >"$D/sodium-configure.log" 2>&1 &&
	make -C src/libsodium -j"$JOBS" >"$D/sodium-make.log" 2>&1 &&
	make -C src/libsodium install >>"$D/sodium-make.log" 2>&1
) || {
	echo "build-deps: libsodium failed; see $D/sodium-*.log"
	exit 1
}

# libcbor: its CMake with our toolchain file; LTO off (CMAKE_PROJECT_INCLUDE runs after its
# project() and before its check_ipo_supported).
echo "build-deps: libcbor from $CBOR_SRC"
printf 'set(CMAKE_C_COMPILE_OPTIONS_IPO "")\nset(CMAKE_C_LINK_OPTIONS_IPO "")\n' >"$D/no-lto.cmake"
rm -rf "$D/cbor"
{
	cmake -S "$CBOR_SRC" -B "$D/cbor" -DCMAKE_TOOLCHAIN_FILE="$TC" \
		-DCMAKE_PROJECT_INCLUDE="$D/no-lto.cmake" -DCMAKE_BUILD_TYPE=MinSizeRel \
		-DWITH_EXAMPLES=OFF -DWITH_TESTS=OFF -DSANITIZE=OFF -DBUILD_SHARED_LIBS=OFF \
		-DCBOR_PRETTY_PRINTER=OFF -DCMAKE_INSTALL_PREFIX="$P" -Wno-dev &&
		cmake --build "$D/cbor" -j"$JOBS" && cmake --install "$D/cbor"
} >"$D/cbor.log" 2>&1 || {
	echo "build-deps: libcbor failed; see $D/cbor.log"
	exit 1
}
touch "$P/.done"
echo "build-deps: $P/lib/libsodium.a and libcbor.a built"
