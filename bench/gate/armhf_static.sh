#!/bin/sh
# Static armhf size of recall-gate and its helper programs (docs/PERFORMANCE.md, "recall-gate").
# Debian 12's armhf -dev packages cannot all be installed beside the amd64 ones (libldns-dev's
# documentation collides), so this makes a private sysroot instead: `apt-get download` of the
# armhf packages into WORK/debs and `dpkg -x` into WORK/sysroot (nothing is installed). Then the
# gate's, librecall's and common/'s sources are compiled with Debian's arm-linux-gnueabihf-gcc,
# -Os with per-function sections and the tree's hardening flags, put in one archive, and each
# program linked -static with --gc-sections against the sysroot's .a files. Debian ships no
# archive of libmnl, libcbor, libnftables, libxtables, libp11-kit, librtmp, libssh2, libgssapi,
# libldap/liblber: those symbols are left unresolved (--unresolved-symbols=ignore-all), so the
# sizes are WITHOUT them; the text of each missing library's armhf shared object is printed
# for scale (an upper bound of what a static link would add). Prints `size` of each program and
# its stripped size.
# Usage: bench/gate/armhf_static.sh WORK   (needs arm-linux-gnueabihf-gcc and apt-get download)
set -eu
S=$(cd "$(dirname "$0")/../.." && pwd)
W=${1:?usage: $0 WORK}
mkdir -p "$W/debs" "$W/sysroot" "$W/obj"
W=$(cd "$W" && pwd)
CC=arm-linux-gnueabihf-gcc
T=arm-linux-gnueabihf
# static archives, their -dev packages, and the runtime packages of the missing ones (for sizes)
PKGS="libc6-dev libjansson-dev libsodium-dev libmicrohttpd-dev libgnutls28-dev nettle-dev
libhogweed6 libnettle8 libgmp-dev libtasn1-6-dev libunistring-dev libidn2-dev libcurl4-openssl-dev
libssl-dev libnghttp2-dev libpsl-dev libzstd-dev libbrotli-dev zlib1g-dev libxml2-dev liblzma-dev
libicu-dev libldns-dev libffi-dev libmnl-dev libmnl0 libcbor-dev libcbor0.8 libnftables-dev
libnftables1 libnftnl-dev libxtables12 libp11-kit0 librtmp1 libssh2-1 libgssapi-krb5-2
libldap-2.5-0 libseccomp-dev"
cd "$W/debs"
for p in $PKGS; do
	ls "${p}"_*_armhf.deb >/dev/null 2>&1 || apt-get download "$p:armhf" >/dev/null
done
for d in "$W"/debs/*.deb; do dpkg -x "$d" "$W/sysroot"; done
R=$W/sysroot L=$W/sysroot/usr/lib/$T
CFLAGS="-std=c11 -Os -ffunction-sections -fdata-sections -D_GNU_SOURCE -D_FORTIFY_SOURCE=2
-D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64 -fstack-protector-strong -fno-strict-overflow
-fno-delete-null-pointer-checks -I$S/include -I$S/lib
-I$S/common -I$S/gate -I$R/usr/include -I$R/usr/include/$T -I$R/usr/include/libxml2"

# every source of librecall, common/ and gate/ but the programs' main files, as one archive
cd "$W/obj"
rm -f ./*.o libgate.a
for f in "$S"/lib/*.c "$S"/common/*.c "$S"/gate/*.c; do
	case $f in */main.c | */helper_main.c | */web_main.c | */nft_main.c) continue ;; esac
	# shellcheck disable=SC2086 # CFLAGS is a list
	$CC $CFLAGS -c "$f" -o "$(basename "$(dirname "$f")")_$(basename "$f" .c).o"
done
$T-ar rcs libgate.a ./*.o
link() { # program main.c archives...
	out=$1 main=$2
	shift 2
	# shellcheck disable=SC2086 # CFLAGS is a list
	$CC $CFLAGS -DRECALL_VERSION_STRING='"armhf"' -c "$S/gate/$main" -o "main_$out.o"
	$CC -static -Wl,--gc-sections -Wl,--unresolved-symbols=ignore-all -o "$out" "main_$out.o" \
		libgate.a -Wl,--start-group "$@" -Wl,--end-group
	$T-strip -o "$out.stripped" "$out"
}
a() { for x in "$@"; do [ -f "$L/lib$x.a" ] && echo "$L/lib$x.a"; done; }
# shellcheck disable=SC2046 # lists of archives
{
	link recall-gate main.c $(a jansson sodium m)
	link recall-gate-helper helper_main.c $(a curl nghttp2 idn2 psl ssl crypto zstd brotlidec \
		brotlicommon z xml2 icuuc icudata lzma ldns jansson unistring stdc++ seccomp m)
	link recall-gate-web web_main.c $(a microhttpd gnutls hogweed nettle gmp tasn1 unistring \
		idn2 ffi jansson sodium seccomp m)
	link recall-gate-nft nft_main.c $(a nftnl gmp jansson m)
}
echo "armhf static ($($CC --version | head -1), glibc $($CC -print-file-name=libc.a)),"
echo "-Os, --gc-sections; bytes:"
printf '%-20s %10s %8s %8s %10s\n' program text data bss stripped
for p in recall-gate recall-gate-helper recall-gate-web recall-gate-nft; do
	$T-size "$p" | awk -v p="$p" -v s="$(stat -c %s "$p.stripped")" \
		'NR == 2 { printf "%-20s %10d %8d %8d %10d\n", p, $1, $2, $3, s }'
done
echo "not in the binaries above (no .a in Debian): text of the armhf shared objects"
for so in libmnl.so.0 libcbor.so.0.8 libnftables.so.1 libxtables.so.12 libp11-kit.so.0 \
	librtmp.so.1 libssh2.so.1 libgssapi_krb5.so.2 libldap-2.5.so.0; do
	f=$(find "$R" -name "$so*" -type f | head -1)
	[ -n "$f" ] && $T-size "$f" | awk -v n="$so" 'NR == 2 { printf "  %-20s %10d\n", n, $1 }'
done
echo "unresolved symbols left per program (from the missing archives):"
for p in recall-gate recall-gate-helper recall-gate-web recall-gate-nft; do
	printf '  %-20s %s\n' "$p" "$($T-nm -u "$p" 2>/dev/null | wc -l)"
done
