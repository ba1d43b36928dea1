#!/bin/sh
# recall-conform's real-device mode (--device IFACE, no adapter), tested with a simulated device:
# recall-agent (Linux backend) in a namespace of its own (ar-dev-PID), cabled by a veth pair
# whose other end (argPID) is handed to the suite as the bench port. The suite prompts a
# "tester" for every step; a driver reads the prompts from the suite's standard error and
# answers on its standard input (a FIFO), doing each step on the simulated device through the
# recall-agent adapter: power, cable, DHCP, firmware, override, state and probes from the
# device. Checks: the whole suite passes; every step was prompted and timed (JSON "steps");
# IFACE is back in this namespace afterwards; a port with an address is refused; a tester who
# never answers ends the run at once (end of input) and still returns IFACE. Needs root (exit
# 77 otherwise). About 1.5 minutes.
set -u
B=${1:?usage: $0 BUILD_DIR}
S=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
SUITE=$B/conform/recall-conform
[ -x "$SUITE" ] && [ -x "$B/agent/recall-agent" ] || { echo "SKIP: suite or agent not built"; exit 77; }
command -v jq >/dev/null && command -v dnsmasq >/dev/null || { echo "SKIP: needs jq, dnsmasq"; exit 77; }
AD=$S/conform/adapters/recall-agent
DEVNS=ar-dev-$$ IFACE=arg$$
W=$(mktemp -d /tmp/conform_device.XXXXXX)
export CONFORM_NETNS=$DEVNS CONFORM_IF=d0 CONFORM_WORK=$W/dev CONFORM_ANCHORS=$W/anchors.cbor
export CONFORM_CHECKIN="198.51.100.74 [2001:db8:74::74]" RECALL_AGENT=$B/agent/recall-agent
cleanup() {
	"$AD" stop </dev/null >/dev/null 2>&1
	ip netns del "$DEVNS" 2>/dev/null
	ip link del "$IFACE" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$W/dev"
ip netns add "$DEVNS" && ip link add "$IFACE" type veth peer name d0 netns "$DEVNS" &&
	ip -n "$DEVNS" link set lo up || { echo "FAIL: cannot make the simulated device"; exit 1; }
# The device is given the suite's anchor set (the same every run) and its datasheet values.
"$B/conform/recall-conform-responder" anchors "$W/anchors.cbor" || exit 1
"$AD" info | grep -v '^probe=' >"$W/info"
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
home() { ip link show dev "$IFACE" >/dev/null 2>&1; }

# A bench port that carries an address is refused, and left as it was.
ip addr add 198.18.0.1/32 dev "$IFACE"
out=$(timeout 30 "$SUITE" --device "$IFACE" --info "$W/info" </dev/null 2>&1)
rc=$?
if [ $rc -eq 2 ] && echo "$out" | grep -q 'dedicated bench port' && ip -o addr show dev "$IFACE" | grep -q 198.18.0.1; then
	ok "a port with an address is refused"
else
	bad "a port with an address: exit $rc: $out"
fi
ip addr del 198.18.0.1/32 dev "$IFACE"

# A tester who never answers: the setup prompt ends the run (exit 2), the port comes back.
out=$(timeout 30 "$SUITE" --device "$IFACE" --info "$W/info" --tester-timeout 5 </dev/null 2>&1)
rc=$?
if [ $rc -eq 2 ] && echo "$out" | grep -q 'did not confirm' && home; then
	ok "no tester: exit 2 at the setup prompt, $IFACE returned"
else
	bad "no tester: exit $rc, $IFACE home: $(home && echo yes || echo no): $out"
fi

# The simulated device takes its IPv6 address and default route from the suite's router
# advertisements (SLAAC). A tester presses Enter once the device is up: here, once it has a
# global address past duplicate address detection (bounded: 10 s).
dev_v6() {
	i=0
	while ! ip -n "$DEVNS" -6 addr show dev d0 scope global | grep -v tentative | grep -q inet6 &&
		[ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
# driver: the tester. Reads the suite's standard error, answers each "[tester] STEP: ..." prompt.
driver() {
	while IFS= read -r l; do
		printf '%s\n' "$l" >>"$W/suite.err"
		case $l in "recall-conform: [tester] "*) ;; *) continue ;; esac
		step=${l#"recall-conform: [tester] "}
		step=${step%%: *}
		verb=${step%% *} arg=${step#"$verb"}
		arg=${arg# }
		case $verb in
		setup) echo ;;
		state) "$AD" state </dev/null 2>/dev/null || echo ;;
		probe) if "$AD" probe "$arg" </dev/null; then echo y; else echo n; fi ;;
		*)
			# shellcheck disable=SC2086 # arg is empty or one word
			"$AD" "$verb" $arg </dev/null >/dev/null 2>&1
			rc=$?
			case $verb in start | reboot | link-up) dev_v6 ;; esac
			[ $rc -eq 3 ] && echo skip || echo
			;;
		esac
	done
}
mkfifo "$W/answers"
{
	# The suite's PID names its namespaces (cf-net-PID): the exec keeps the PID.
	timeout 170 sh -c 'echo $$ >"$0"; exec "$@"' "$W/pid" "$SUITE" --device "$IFACE" --info "$W/info" --tester-timeout 60 \
		--json "$W/r.json" --report "$W/r.txt" 2>&1 >/dev/null
	echo $? >"$W/rc"
} <"$W/answers" | driver >"$W/answers"
rc=$(cat "$W/rc")
n=$(jq '.results | length' "$W/r.json" 2>/dev/null || echo 0)
if [ "$rc" -eq 0 ] && [ "$n" -ge 34 ]; then
	ok "simulated device, tester mode: $n tests, exit 0: $(tail -n 1 "$W/r.txt")"
else
	bad "simulated device, tester mode: exit $rc, $n results"
	cat "$W/r.txt" "$W/suite.err" 2>/dev/null | tail -n 80
fi
# Every kind of step was prompted and timed.
for s in setup start reboot link-down link-up dhcp-renew checkin set-firmware override state probe; do
	c=$(jq --arg s "$s" '[.steps[]? | select(.step | startswith($s)) | .seconds | numbers] | length' "$W/r.json" 2>/dev/null)
	[ "${c:-0}" -gt 0 ] || bad "no timed \"$s\" step in the JSON report"
done
grep -q '^tester steps: [0-9]' "$W/r.txt" && ok "steps timed: $(grep '^tester steps' "$W/r.txt")" ||
	bad "no tester steps in the human report"
[ "$(jq -r .device "$W/r.json" 2>/dev/null)" = "$IFACE" ] || bad "the JSON report does not name the device port"
home && ok "$IFACE back in this namespace" || bad "$IFACE not back in this namespace"
# Other runs of the suite may be going on: only this run's namespace is looked for.
ip netns list | grep -Eq "^cf-net-$(cat "$W/pid")( |$)" && bad "cf-net-$(cat "$W/pid") left" || ok "no namespace left"
[ $fails -eq 0 ]
