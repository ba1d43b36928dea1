#!/bin/sh
# Cross-build libsodium and libcbor for a bare-metal Cortex-M3 (picolibc), from Debian 12's
# sources, into DIR/prefix/{include,lib}. Used by the firmware build (port/cortex-m/) and its
# test (tests/integration/cortex_m3.sh).
#
# Where the sources come from, in this order:
#   1. LIBSODIUM_SRC / LIBCBOR_SRC: an unpacked source tree;
#   2. DIR/src/ from an earlier run;
#   3. the Debian mirror this machine already uses for its binary packages (its bookworm deb
#      lines, turned into deb-src lines for bookworm and trixie in a private apt configuration
#      under DIR/apt; the system's is not touched). For each suite in turn (libsodium: bookworm,
#      1.0.18; libcbor: bookworm, 0.8.0, then trixie, 0.10.2, which lib/cbor_io.c also builds
#      against): `apt-get source PKG/SUITE` (the .dsc checked against the signed Sources index,
#      the files against the .dsc, Debian's patches applied); if the mirror lacks the .dsc or
#      the Debian tarball (this project's build machine serves only trixie's libcbor
#      orig.tar.gz), the upstream tarball alone, fetched by apt-helper with the SHA-256 of the
#      signed Sources index.
# A source that none of these gives ends the script with exit status 77 (nothing built), which
# the test reports as skipped: a machine with no Debian mirror.
#
# DIR/prefix is reused while this script, the toolchain file and the compiler are the same
# (their hash is in DIR/prefix/.done): the normal and the ASan build trees share one DIR
# (tests/integration/cortex_m3.sh), and a lock serialises two runs.
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

for t in arm-none-eabi-gcc autoreconf cmake make sha256sum; do
	command -v "$t" >/dev/null || {
		echo "build-deps: $t not installed (scripts/deps installs it)"
		exit 77
	}
done

KEY=$({
	cat "$0" "$TC"
	arm-none-eabi-gcc --version | head -n 1
} | sha256sum | cut -c1-16)
if command -v flock >/dev/null; then
	exec 9>"$D/.lock"
	flock 9
fi
if [ -f "$P/lib/libsodium.a" ] && [ -f "$P/lib/libcbor.a" ] &&
	[ "$(cat "$P/.done" 2>/dev/null)" = "$KEY" ]; then
	echo "build-deps: $P is up to date ($(cat "$P/VERSIONS"))"
	exit 0
fi

# apt_source PKG SUITES...: unpack Debian's source of PKG as $D/src/PKG-VERSION.
apt_source() {
	pkg=$1
	shift
	suites=$*
	a="$D/apt"
	mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$D/src/dl"
	if [ ! -f "$a/sources.list" ]; then
		# The mirrors of the machine's bookworm deb lines (one-line or deb822 format).
		{
			grep -hE '^deb .* bookworm ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
				2>/dev/null | sed 's/\[[^]]*\] //' | awk '{print $2}'
			for f in /etc/apt/sources.list.d/*.sources; do
				[ -f "$f" ] || continue
				awk '/^URIs:/{u=$2} /^Suites:/{s=" " $0 " "} /^$/{if (u && s ~ / bookworm /) print u; u=s=""}
				     END{if (u && s ~ / bookworm /) print u}' "$f"
			done
		} | sort -u | while read -r u; do
			echo "deb-src $u bookworm main"
			echo "deb-src $u trixie main"
		done >"$a/sources.list"
	fi
	set -- -q -o Dir::Etc::SourceList="$a/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$a/lists" -o Dir::Cache="$a/cache" -o APT::Sandbox::User=root
	if [ ! -f "$a/updated" ]; then
		apt-get "$@" update >"$a/update.log" 2>&1 && touch "$a/updated"
	fi
	# Positional parameters are apt's options now; the suites are in $suites.
	for suite in $suites; do
		rm -rf "$D/src/dl" && mkdir -p "$D/src/dl"
		log="$a/source-$pkg-$suite.log"
		if (cd "$D/src/dl" && apt-get "$@" source "$pkg/$suite" >"$log" 2>&1); then
			:
		else
			# The upstream tarball alone: its URI and SHA-256 from the signed index.
			apt-get "$@" source --print-uris "$pkg/$suite" 2>>"$log" |
				awk -v p="$pkg" "\$1 ~ /\\.orig\\.tar\\./ && \$2 ~ \"^\" p \"_\"" >"$a/orig" || true
			read -r uri file _ sum <"$a/orig" 2>/dev/null || continue
			uri=$(echo "$uri" | tr -d "'")
			/usr/lib/apt/apt-helper download-file "$uri" "$D/src/dl/$file" "$sum" \
				>>"$log" 2>&1 || continue
			tar -xf "$D/src/dl/$file" -C "$D/src/dl" >>"$log" 2>&1 || continue
			echo "build-deps: $pkg/$suite: upstream tarball only (no Debian patches): $sum"
		fi
		src=$(find "$D/src/dl" -mindepth 1 -maxdepth 1 -type d -name "$pkg-*" | head -n 1)
		if [ -n "$src" ]; then
			rm -rf "$D/src/$(basename "$src")"
			mv "$src" "$D/src/"
			return 0
		fi
	done
	return 1
}

# need VAR PKG SUITES...: the directory of PKG's source tree (VAR's, or under $D/src).
need() {
	eval "given=\${$1:-}"
	pkg=$2
	shift 2
	if [ -n "$given" ]; then
		[ -d "$given" ] || {
			echo "build-deps: $1=$given is not a directory" >&2
			exit 1
		}
		echo "$given"
		return
	fi
	have() { find "$D/src" -mindepth 1 -maxdepth 1 -type d -name "$pkg-[0-9]*" | sort | head -n 1; }
	if [ -z "$(have)" ] && command -v apt-get >/dev/null; then
		apt_source "$pkg" "$@" >&2 || true
	fi
	if [ -z "$(have)" ]; then
		echo "build-deps: no source of $pkg: set the variable to an unpacked source tree, or" \
			"give this machine a Debian mirror (see $D/apt/source-$pkg-*.log)" >&2
		exit 77
	fi
	have
}
mkdir -p "$D/src"
SODIUM_SRC=$(need LIBSODIUM_SRC libsodium bookworm) || exit $?
CBOR_SRC=$(need LIBCBOR_SRC libcbor bookworm trixie) || exit $?
VERSIONS="$(basename "$SODIUM_SRC") $(basename "$CBOR_SRC")"

FLAGS="-mcpu=cortex-m3 -mthumb -mfloat-abi=soft -Os -ffunction-sections -fdata-sections"

# libsodium: autotools, built out of tree (the source may be read-only). posix_memalign is
# hidden from configure: with it, sodium_init asks sysconf for a page size (for the guarded
# pages of sodium_malloc, which need an MMU and which recall does not use), picolibc has none,
# and sodium_init aborts.
rm -rf "$P"
echo "build-deps: libsodium from $SODIUM_SRC"
S="$D/sodium"
rm -rf "$S"
cp -R "$SODIUM_SRC" "$S"
(
	cd "$S" &&
	{ [ -x configure ] || autoreconf -fi >"$D/sodium-autoreconf.log" 2>&1; } &&
	./configure --host=arm-none-eabi --prefix="$P" --disable-shared --enable-static \
		--disable-pie --disable-ssp --disable-asm --without-pthreads --disable-dependency-tracking \
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
echo "$VERSIONS" >"$P/VERSIONS"
echo "$KEY" >"$P/.done"
echo "build-deps: $P/lib/libsodium.a and libcbor.a built ($VERSIONS)"
