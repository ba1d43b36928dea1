#!/bin/sh
# recalld's freebind key (recalld.conf(5)): in a namespace of its own, recalld listening on
# anycast addresses that no interface holds fails to start without it, starts with it, and
# answers check-ins once the addresses are added to an interface. Needs root (exit 77
# otherwise). About 3 s.
set -u
B=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
RECALLD=$B/responder/recalld
PROBE=$B/responder/recalld-probe
RECALL=$B/tools/recall
for p in "$RECALLD" "$PROBE" "$RECALL"; do
	[ -x "$p" ] || { echo "skip: $p is not built"; exit 77; }
done
. "${RECALL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/helpers/ns_reap.sh"
NS=anycast-fb$$
A4=192.0.2.74
A6=2001:db8::74
T=$(mktemp -d /tmp/anycast-fb.XXXXXX)
cleanup() {
	ns_reap "$NS"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
	echo "FAIL: $*" >&2
	[ -f "$T/log" ] && tail -n 20 "$T/log" >&2
	exit 1
}
ip netns add "$NS" || fail "ip netns add"
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
"$PROBE" fixture "$T" -s 5 -n 3 -E 2 >/dev/null || fail "fixture"
conf() {
	cat >"$T/recalld.conf" <<CONF
listen = $A4 $A6
workers = 2
feed = $T/feed
feed-key = $T/feed.pub
anchors = $T/anchors
metrics = no
log = stderr
$1
CONF
}

# Without freebind: the addresses are on no interface, bind fails, recalld exits non-zero
# and says why.
conf "freebind = no"
rc=0
timeout 10 ip netns exec "$NS" "$RECALLD" -f -c "$T/recalld.conf" >"$T/log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "recalld started without freebind (status $rc)"
grep -q "listen $A4.*Cannot assign requested address" "$T/log" ||
	fail "no bind error for $A4 in the log"

# With freebind: it starts and stays up with the addresses still absent.
conf "freebind = yes"
ip netns exec "$NS" "$RECALLD" -f -c "$T/recalld.conf" >"$T/log" 2>&1 &
pid=$!
sleep 0.5
kill -0 "$pid" 2>/dev/null || fail "recalld with freebind = yes did not stay up"
ip netns exec "$NS" ip -4 addr show dev lo | grep -q "$A4" && fail "address present too early"

# The addresses arrive (as a health checker or the network configuration adds them): answered
# over IPv4 and IPv6, and recalld was not restarted.
ip netns exec "$NS" ip addr add "$A4/32" dev lo
ip netns exec "$NS" ip addr add "$A6/128" dev lo nodad
for a in "$A4" "$A6"; do
	ip netns exec "$NS" "$RECALL" query --vendor acme --model cam-1 --fwver 9.9.9 \
		--timeout 2000 "$a" >"$T/q" 2>&1 || fail "no clear answer from $a: $(cat "$T/q")"
	grep -qi "clear" "$T/q" || fail "answer from $a is not clear: $(cat "$T/q")"
done
[ "$(ip netns exec "$NS" cat /proc/$pid/comm 2>/dev/null)" = recalld ] || fail "recalld restarted"
kill "$pid"
wait "$pid" || fail "recalld did not stop cleanly"
echo "PASS: freebind (bind before the address exists, answers once it does)"
