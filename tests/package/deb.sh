#!/bin/sh
# The Debian packages (debian/): built from a copy of the tree with dpkg-buildpackage, checked
# with lintian (no error or warning), installed with dpkg -i, used (the programs answer, a
# program builds against the installed librecall with pkg-config, the users and directories
# exist, `recalld -t` accepts the installed configuration /etc/recall/recalld.conf, the example,
# with a feed made by the installed `recall`), then purged: the machine is left as it was
# (users the packages created are removed too). Prints the build time and installed sizes.
# Root only; skips (77) without dpkg-buildpackage, debhelper or fakeroot, or when a recall
# package is installed already. Run by scripts/test after ctest. Usage: tests/package/deb.sh
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PKGS="librecall1 librecall-dev recall recalld recall-agent recall-witness recall-gate"
. "$SRC/tests/helpers/example_feed.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (dpkg -i)"; exit 77; }
for t in dpkg-buildpackage dh fakeroot flock; do
	command -v "$t" >/dev/null || { echo "SKIP: no $t (debhelper, dpkg-dev, fakeroot)"; exit 77; }
done
# One run at a time on this machine (dpkg, and the packages' fixed paths).
exec 9>/run/lock/recall-deb-test.lock
flock -w 900 9 || { echo "FAIL - another deb.sh holds the lock"; exit 1; }
for p in $PKGS; do
	if dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qv '^not-installed$'; then
		echo "SKIP: $p is installed (or its configuration is left); not touching it"
		exit 77
	fi
done
users_before=""
for u in recalld recall-agent recall-witness recall-gate; do getent passwd "$u" >/dev/null && users_before="$users_before $u"; done

T=$(mktemp -d /tmp/pkg-deb.XXXXXX)
fails=0
fail() {
	echo "FAIL - $*"
	fails=$((fails + 1))
}
# dpkg waits for nobody: retry while another dpkg or apt holds its lock.
dpkg_run() {
	n=0
	while :; do
		dpkg "$@" >"$T/dpkg.log" 2>&1 && return 0
		grep -q 'lock' "$T/dpkg.log" && [ $n -lt 60 ] || { cat "$T/dpkg.log"; return 1; }
		n=$((n + 1))
		sleep 5
	done
}
cleanup() {
	rm -f /etc/recall/anchors /etc/recall/feed.pub
	installed=""
	for p in $PKGS; do
		dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qv '^not-installed$' &&
			installed="$installed $p"
	done
	# shellcheck disable=SC2086 # a list of package names
	[ -z "$installed" ] || dpkg_run --purge $installed || echo "FAIL - purge of$installed"
	for u in recalld recall-agent recall-witness recall-gate; do
		case " $users_before " in *" $u "*) continue ;; esac
		getent passwd "$u" >/dev/null && userdel "$u"
		getent group "$u" >/dev/null && groupdel "$u"
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Build from a copy: dpkg-buildpackage writes into the tree and its parent.
mkdir -p "$T/recall"
(cd "$SRC" && tar cf - --exclude='./build*' --exclude=./.git --exclude=./obj-* --exclude=./debian/tmp .) |
	tar xf - -C "$T/recall"
start=$(date +%s)
if ! (cd "$T/recall" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
	timeout 900 dpkg-buildpackage -b -uc -us) >"$T/build.log" 2>&1; then
	tail -n 40 "$T/build.log"
	echo "FAIL - dpkg-buildpackage"
	exit 1
fi
echo "package build: $(($(date +%s) - start)) s (dpkg-buildpackage -b, parallel=$(nproc))"
debs=""
for p in $PKGS; do
	f=$(ls "$T/${p}_"*.deb 2>/dev/null)
	[ -f "$f" ] && debs="$debs $f" || fail "no $p package built"
done
if command -v lintian >/dev/null; then
	lintian --fail-on error,warning "$T"/recall_*.changes >"$T/lintian.log" 2>&1 ||
		{ fail "lintian:"; cat "$T/lintian.log"; }
	grep '^[EWI]:' "$T/lintian.log" | sed 's/^/lintian: /'
else
	echo "lintian not installed: not run"
fi

# shellcheck disable=SC2086 # a list of files
dpkg_run -i $debs || { echo "FAIL - dpkg -i"; exit 1; }
for p in $PKGS; do
	dpkg-query -W -f='installed size ${Package}: ${Installed-Size} KiB\n' "$p"
done
for p in /usr/bin/recall /usr/bin/recall-bench /usr/sbin/recalld /usr/sbin/recall-agent \
	/usr/sbin/recall-witness /usr/sbin/recall-gate /usr/sbin/recall-healthcheck; do
	"$p" --version >"$T/out" 2>&1 && grep -q "^$(basename "$p") " "$T/out" || fail "$p --version: $(cat "$T/out")"
done
# recalld's health checker: its unit and the options file the unit reads.
for f in /lib/systemd/system/recall-healthcheck.service /etc/default/recall-healthcheck; do
	[ -f "$f" ] || fail "$f not installed"
done
[ "$(pkg-config --modversion recall 2>&1)" = 1.0.0 ] || fail "pkg-config recall: $(pkg-config --modversion recall 2>&1)"
printf '#include <recall/error.h>\nint main(void) { return rc_strerror(0) ? 0 : 1; }\n' >"$T/p.c"
# shellcheck disable=SC2046 # pkg-config's output is split on purpose
cc -o "$T/p" "$T/p.c" $(pkg-config --cflags --libs recall) && "$T/p" || fail "program against the installed librecall"
for u in recalld recall-agent recall-witness recall-gate; do
	getent passwd "$u" >/dev/null || fail "user $u not created"
	[ "$(stat -c %U "/var/lib/$u" 2>/dev/null)" = "$u" ] || fail "/var/lib/$u not owned by $u"
done
cmp -s /etc/recall/recall-gate.conf "$SRC/packaging/recall-gate.conf.example" || fail "/etc/recall/recall-gate.conf is not the example"
[ "$(readlink /usr/sbin/recall-gate-lease)" = recall-gate ] || fail "/usr/sbin/recall-gate-lease is not a link to recall-gate"
# The lease hook exits 0 at once even with no daemon (dnsmasq must not stall).
/usr/sbin/recall-gate-lease add 00:16:3e:00:00:01 192.0.2.10 cam >"$T/out" 2>&1 || fail "recall-gate-lease without a daemon: exit $?"
# Wireshark finds the dissector the recall package installs (docs/WIRESHARK.md).
if command -v tshark >/dev/null; then
	tshark -G protocols 2>/dev/null | grep -q "^recall protocol	RECALL	recall$" ||
		fail "tshark does not load the installed dissector"
fi
[ -f /usr/share/doc/recalld/examples/recalld.conf ] || fail "example recalld.conf not in /usr/share/doc/recalld/examples"
cmp -s /etc/recall/recalld.conf "$SRC/packaging/recalld.conf.example" || fail "/etc/recall/recalld.conf is not the example"
mkdir "$T/feed"
if example_feed /usr/bin/recall "$T/feed"; then
	install -m 0644 "$T/feed/anchors" /etc/recall/anchors
	install -m 0644 "$T/feed/feed.pub" /etc/recall/feed.pub
	install -m 0644 -o recalld "$T/feed/feed" /var/lib/recalld/feed
	/usr/sbin/recalld -t -c /etc/recall/recalld.conf >"$T/out" 2>&1 &&
		grep -q "feed serial 7 with 1 notices" "$T/out" || fail "recalld -t (installed config): $(cat "$T/out")"
else
	fail "a feed from the installed recall"
fi
rm -f /etc/recall/anchors /etc/recall/feed.pub

# shellcheck disable=SC2086
dpkg_run --purge recall-gate recall-witness recall-agent recalld recall librecall-dev librecall1 || fail "dpkg --purge"
for f in /etc/recall /etc/recall-agent.conf /var/lib/recalld /var/log/recalld /var/lib/recall-agent \
	/var/lib/recall-witness /var/lib/recall-gate /usr/sbin/recalld /usr/sbin/recall-witness \
	/usr/sbin/recall-gate /usr/share/doc/recall; do
	[ ! -e "$f" ] || fail "$f left after purge"
done
echo "deb: $fails failure(s)"
[ "$fails" -eq 0 ]
