#!/bin/sh
# `cmake --install` into a DESTDIR: every piece is there and fits together. Each installed
# program answers --help and --version and has its man page and bash completion; every man
# page has its program; each unit starts an installed program with its sysusers and tmpfiles
# files beside it; the example configurations are installed and valid (recalld -t with the
# example recalld.conf and a feed made by the installed recall; the agent's example parses);
# documents and library files are in place. Arg 1: the build dir.
set -u
BUILD=${1:?usage: $0 BUILD_DIR}
case "$BUILD" in /*) ;; *) BUILD="$(pwd)/$BUILD" ;; esac
SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/helpers/example_feed.sh"
cache() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt"; }
PREFIX=$(cache CMAKE_INSTALL_PREFIX)
VERSION=$(cache CMAKE_PROJECT_VERSION)
T=$(mktemp -d /tmp/pkg-tree.XXXXXX)
trap 'rm -rf "$T"' EXIT
D="$T/root"
P="$D$PREFIX"
fails=0
fail() {
	echo "FAIL - $*"
	fails=$((fails + 1))
}
DESTDIR="$D" cmake --install "$BUILD" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; echo "FAIL - cmake --install"; exit 1; }
(cd "$D" && find . ! -type d | sort) >"$T/tree"
echo "installed $(wc -l <"$T/tree") files under $PREFIX"
has() { grep -qx "./${PREFIX#/}/$1" "$T/tree" || fail "$1 not installed"; }

# Programs: --help, --version, man page, completion.
progs=""
for p in "$P"/bin/* "$P"/sbin/*; do
	[ -x "$p" ] || continue
	n=$(basename "$p")
	# recall-gate-lease is recall-gate under the name dnsmasq runs (--dhcp-script).
	if [ -L "$p" ]; then
		[ "$(readlink "$p")" = recall-gate ] || fail "$n is a link to $(readlink "$p")"
		continue
	fi
	progs="$progs $n"
	"$p" --help >"$T/out" 2>&1 && grep -q "^usage: $n" "$T/out" || fail "$n --help: $(head -n 2 "$T/out")"
	"$p" --version >"$T/out" 2>&1 && grep -qx "$n $VERSION" "$T/out" ||
		fail "$n --version: $(cat "$T/out")"
	ls "$P"/share/man/man[18]/"$n".[18] >/dev/null 2>&1 || fail "$n has no man page"
	c="$P/share/bash-completion/completions/$n"
	if [ -f "$c" ]; then
		bash -c ". '$c' && complete -p '$n'" >/dev/null 2>&1 || fail "completion $n does not complete $n"
	else
		fail "$n has no bash completion"
	fi
done
for built in tools/recall responder/recalld agent/recall-agent bench/recall-bench \
	witness/recall-witness gate/recall-gate; do
	case " $progs " in
	*" $(basename "$built") "*) ;;
	*) [ ! -e "$BUILD/$built" ] || fail "$(basename "$built") built but not installed" ;;
	esac
done
for m in "$P"/share/man/man*/*; do
	n=$(basename "$m" | sed 's/\(\.conf\)*\.[1-8]$//; s/^recall-notice$/recall/')
	[ -x "$P/bin/$n" ] || [ -x "$P/sbin/$n" ] || fail "man page $(basename "$m") without its program"
done

has share/man/man5/recall-notice.5 # the tool's JSON notice format, with the tool

# Units, users, directories (where the cache puts them: relative to the prefix, or absolute).
dir() {
	d=$(cache "$1")
	case "$d" in /*) echo "$D$d" ;; *) echo "$P/$d" ;; esac
}
UNITS=$(dir RECALL_SYSTEMD_UNITDIR)
SYSUSERS=$(dir RECALL_SYSUSERSDIR)
TMPFILES=$(dir RECALL_TMPFILESDIR)
for u in recalld recall-agent recall-witness recall-gate; do
	[ -x "$P/sbin/$u" ] || continue
	f="$UNITS/$u.service"
	[ -f "$f" ] || { fail "$u.service not installed"; continue; }
	exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$f")
	[ "$exe" = "$PREFIX/sbin/$u" ] || fail "$u.service starts '$exe'"
	user=$(sed -n 's/^User=//p' "$f")
	grep -q "^u $user " "$SYSUSERS/$u.conf" 2>/dev/null || fail "no sysusers entry for $user"
	grep -q "^d /var/lib/$u " "$TMPFILES/$u.conf" 2>/dev/null || fail "no tmpfiles entry for $u"
done

# Example configurations, valid.
EX="$P/share/doc/recall/examples"
if [ -f "$EX/recalld.conf" ]; then
	mkdir "$T/feed"
	example_feed "$P/bin/recall" "$T/feed" || fail "example feed with the installed recall"
	example_conf "$EX/recalld.conf" "$T/feed" "$T/recalld.conf"
	"$P/sbin/recalld" -t -c "$T/recalld.conf" >"$T/out" 2>&1 &&
		grep -q "feed serial 7 with 1 notices" "$T/out" || fail "recalld -t, example config: $(cat "$T/out")"
else
	fail "example recalld.conf not installed"
fi
if [ -f "$EX/recall-agent.conf" ]; then
	# Identity given, state and anchors moved: the first error is the missing anchors file.
	sed -e 's/^#vendor/vendor/' -e 's/^#model/model/' -e 's/^#fwver/fwver/' \
		-e "s|^anchors = .*|anchors = $T/none|" -e "s|^state-dir = .*|state-dir = $T/st|" \
		"$EX/recall-agent.conf" >"$T/agent.conf"
	"$P/sbin/recall-agent" -c "$T/agent.conf" status >"$T/out" 2>&1
	grep -q "anchors: $T/none: No such file" "$T/out" || fail "example recall-agent.conf: $(cat "$T/out")"
else
	fail "example recall-agent.conf not installed"
fi

if [ -x "$P/sbin/recall-witness" ]; then
	if [ -f "$EX/recall-witness.conf" ]; then
		# Key and state moved: the first error is that no log is configured yet.
		sed -e "s|^key = .*|key = $T/none|" -e "s|^state-dir = .*|state-dir = $T/wst|" \
			-e 's/^#name/name/' "$EX/recall-witness.conf" >"$T/witness.conf"
		"$P/sbin/recall-witness" -t -c "$T/witness.conf" >"$T/out" 2>&1
		grep -q "log: no log to witness" "$T/out" || fail "example recall-witness.conf: $(cat "$T/out")"
	else
		fail "example recall-witness.conf not installed"
	fi
fi

# Documents and the library.
for f in README.md PROTOCOL.md SECURITY.md PORTING.md ABI.md examples/checkin.edn; do
	has "share/doc/recall/$f"
done
L=$(cache CMAKE_INSTALL_LIBDIR)
for f in include/recall/agent.h "$L/pkgconfig/recall.pc" "$L/librecall.a" \
	"$L/cmake/recall/recallConfig.cmake"; do
	has "$f"
done
[ "$(cache RECALL_SHARED)" = OFF ] || has "$L/librecall.so.1"
[ ! -e "$BUILD/tools/recall" ] || has "$L/wireshark/plugins/recall.lua"
# recalld's Prometheus rules and Grafana dashboard
if [ -e "$BUILD/responder/recalld" ]; then
	has share/recalld/prometheus/recall.rules.yml
	has share/recalld/grafana/recall-dashboard.json
fi
echo "install_tree:$progs; $fails failure(s)"
[ "$fails" -eq 0 ]
