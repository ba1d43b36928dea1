#!/bin/sh
# The OpenWrt and Buildroot packages and the shell scripts shipped: shellcheck on the init
# scripts, completions and maintainer scripts; the OpenWrt Makefile read by make (stub
# rules.mk, package.mk and cmake.mk) and its install recipe run into a scratch root from this
# build's install; the procd script's UCI-to-file translation run on the shipped UCI file
# (stub config_get) and the result read by the built recall-agent; the Buildroot recall.mk
# read by make, and the CMake options of both packages accepted by a fresh configure (no
# unused variable). Arg 1: the build dir. Skips (77) without shellcheck or make.
set -u
BUILD=${1:?usage: $0 BUILD_DIR}
case "$BUILD" in /*) ;; *) BUILD="$(pwd)/$BUILD" ;; esac
SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
for t in shellcheck make cmake; do
	command -v "$t" >/dev/null || { echo "SKIP: no $t"; exit 77; }
done
AGENT="$BUILD/agent/recall-agent"
[ -x "$AGENT" ] || { echo "no $AGENT: build it first"; exit 1; }
T=$(mktemp -d /tmp/pkg-files.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() {
	echo "FAIL - $*"
	fails=$((fails + 1))
}
OW="$SRC/packaging/openwrt/recall-agent"
OWG="$SRC/packaging/openwrt/recall-gate"
BR="$SRC/packaging/buildroot/recall"

# --- shellcheck ---
shellcheck -s sh "$OW"/files/*.init "$OWG"/files/*.init "$OWG"/files/*.defaults "$BR"/S50recall-agent "$SRC"/debian/*.postrm ||
	fail "shellcheck: init or maintainer scripts"
shellcheck -s bash "$SRC"/packaging/completions/* || fail "shellcheck: completions"

# --- OpenWrt: the Makefile with stub includes; its install recipe into $T/root ---
mkdir -p "$T/ow"
cat >"$T/ow/rules.mk" <<'EOF'
BUILD_DIR := /nonexistent
INSTALL_DIR := install -d -m0755
INSTALL_BIN := install -m0755
INSTALL_CONF := install -m0600
INSTALL_DATA := install -m0644
LN := ln -sf
EOF
cat >"$T/ow/cmake.mk" <<'EOF'
EOF
cat >"$T/ow/package.mk" <<'EOF'
# BuildPackage: every section a feed package needs, then the install recipe into ROOT.
define BuildPackage
show-cmake-options:
	@echo $$(CMAKE_OPTIONS)
install-check:
	$$(if $$(PKG_NAME),,$$(error PKG_NAME unset))
	$$(if $$(PKG_VERSION),,$$(error PKG_VERSION unset))
	$$(if $$(PKG_LICENSE),,$$(error PKG_LICENSE unset))
	$$(if $$(Package/$(1)),,$$(error Package/$(1) undefined))
	$$(if $$(Package/$(1)/description),,$$(error Package/$(1)/description undefined))
	$$(if $$(Package/$(1)/conffiles),,$$(error Package/$(1)/conffiles undefined))
	$$(call Package/$(1)/install,$$(ROOT))
endef
EOF
DESTDIR="$T/pi" cmake --install "$BUILD" --prefix /usr >/dev/null 2>&1 ||
	fail "cmake --install for the OpenWrt check"
if make -s -C "$OW" TOPDIR="$T/ow" INCLUDE_DIR="$T/ow" PKG_INSTALL_DIR="$T/pi" \
	ROOT="$T/root" install-check >"$T/ow.log" 2>&1; then
	for f in usr/sbin/recall-agent etc/init.d/recall-agent etc/config/recall-agent; do
		[ -f "$T/root/$f" ] || fail "OpenWrt package lacks /$f"
	done
else
	fail "OpenWrt Makefile:"; cat "$T/ow.log"
fi
OW_OPTS=$(make -s -C "$OW" TOPDIR="$T/ow" INCLUDE_DIR="$T/ow" show-cmake-options)
# recall-gate: the same with its own Makefile (daemon, tables, procd init, UCI, fw4 include).
if make -s -C "$OWG" TOPDIR="$T/ow" INCLUDE_DIR="$T/ow" PKG_INSTALL_DIR="$T/pi" \
	ROOT="$T/rootg" install-check >"$T/owg.log" 2>&1; then
	for f in usr/sbin/recall-gate usr/libexec/recall/recall-gate-helper usr/libexec/recall/recall-gate-pub \
		usr/libexec/recall/recall-gate-web usr/libexec/recall/recall-gate-nft etc/init.d/recall-gate etc/config/recall-gate \
		usr/share/recall/gate/vendors.map usr/share/recall/gate/oui.txt \
		etc/uci-defaults/90-recall-gate; do
		[ -f "$T/rootg/$f" ] || fail "OpenWrt recall-gate package lacks /$f"
	done
	[ "$(readlink "$T/rootg/usr/sbin/recall-gate-lease")" = recall-gate ] ||
		fail "OpenWrt recall-gate package: recall-gate-lease is not a link to recall-gate"
	ls "$T"/rootg/usr/share/nftables.d/ruleset-post/*recall-gate* >/dev/null 2>&1 ||
		fail "OpenWrt recall-gate package lacks its fw4 include"
else
	fail "OpenWrt recall-gate Makefile:"; cat "$T/owg.log"
fi
OWG_OPTS=$(make -s -C "$OWG" TOPDIR="$T/ow" INCLUDE_DIR="$T/ow" show-cmake-options)

# --- OpenWrt: UCI to recall-agent.conf, with stubs of OpenWrt's functions.sh ---
# UCI_<option>=value from the shipped file (lists joined with spaces, as config_get does).
awk '$1 == "option" || $1 == "list" {
	v = $0; sub(/^[ \t]*(option|list)[ \t]+[a-z_]+[ \t]+/, "", v); gsub(/\047/, "", v)
	if ($1 == "list" && ($2 in seen)) val[$2] = val[$2] " " v; else val[$2] = v
	seen[$2] = 1
} END { for (k in val) printf "UCI_%s=\"%s\"\n", k, val[k] }' "$OW/files/recall-agent.config" >"$T/uci.sh"
cat >>"$T/uci.sh" <<'EOF'
UCI_vendor='Example #1 Vendor' UCI_model='Router 1' UCI_fwver='1.4.2'
config_load() { :; }
config_get() { eval "$1=\${UCI_$3:-\${4:-}}"; }
config_get_bool() {
	config_get "$@"
	case $(eval echo "\$$1") in 1 | yes | on | true | enabled) eval "$1=1" ;; *) eval "$1=0" ;; esac
}
EOF
# shellcheck disable=SC2016 # expanded by the inner shell
if sh -c '. "$1" && . "$2" && CONF="$3" && UCI_state_dir="$4" UCI_anchors="$5" && write_conf agent' \
	sh "$T/uci.sh" "$OW/files/recall-agent.init" "$T/agent.conf" "$T/state" "$T/none" 2>"$T/err"; then
	grep -qx 'checkin-address = 192.0.2.74 \[2001:db8::74\]' "$T/agent.conf" &&
		grep -qx 'checkin = yes' "$T/agent.conf" && grep -qx 'announce = no' "$T/agent.conf" &&
		grep -qx 'vendor = "Example #1 Vendor"' "$T/agent.conf" || { fail "UCI translation:"; cat "$T/agent.conf"; }
	"$AGENT" -c "$T/agent.conf" status >"$T/out" 2>&1
	grep -q "anchors: $T/none: No such file" "$T/out" || fail "agent reading the UCI translation: $(cat "$T/out")"
else
	fail "write_conf: $(cat "$T/err")"
fi

# --- Buildroot: recall.mk with a stub cmake-package; the options it passes ---
cat >"$T/br.mk" <<'EOF'
space := $(subst ,, )
RECALL_PKGDIR := pkgdir
define cmake-package-rule
show:
	@echo 'OPTS $$(RECALL_CONF_OPTS)'
	@echo 'DEPS $$(RECALL_DEPENDENCIES)'
	$$(if $$(RECALL_VERSION),,$$(error RECALL_VERSION unset))
	$$(if $$(RECALL_SITE),,$$(error RECALL_SITE unset))
	$$(if $$(RECALL_LICENSE),,$$(error RECALL_LICENSE unset))
endef
cmake-package = $(cmake-package-rule)
EOF
BR_OUT=$(make -s -f "$T/br.mk" -f "$BR/recall.mk" BR2_PACKAGE_RECALL_AGENT=y BR2_PACKAGE_RECALL_TOOL=y \
	show 2>&1) || fail "recall.mk: $BR_OUT"
echo "$BR_OUT" | grep -q -- '-DRECALL_PROGRAMS="tools;agent"' || fail "recall.mk options: $BR_OUT"
echo "$BR_OUT" | grep '^DEPS' | grep -q 'libmnl' && echo "$BR_OUT" | grep '^DEPS' | grep -q 'jansson' || fail "recall.mk dependencies: $BR_OUT"
grep -q '^config BR2_PACKAGE_RECALL$' "$BR/Config.in" || fail "Config.in has no BR2_PACKAGE_RECALL"

# --- the options of both, accepted by CMake (no unused variable) ---
for opts in "$OW_OPTS" "$OWG_OPTS" "$(echo "$BR_OUT" | sed -n 's/^OPTS //p' | tr -d '"')"; do
	rm -rf "$T/cfg"
	# shellcheck disable=SC2086 # the options are words
	cmake -S "$SRC" -B "$T/cfg" $opts >"$T/cfg.log" 2>&1 || { fail "configure with $opts:"; tail "$T/cfg.log"; }
	grep -q "not used by the project" "$T/cfg.log" && { fail "unused options in $opts:"; cat "$T/cfg.log"; }
done
echo "OpenWrt CMAKE_OPTIONS: $OW_OPTS"
echo "Buildroot: $(echo "$BR_OUT" | tr '\n' ' ')"
echo "packaging_files: $fails failure(s)"
[ "$fails" -eq 0 ]
