#!/bin/sh
# recall-agent and a wall clock stepped back a year, in two network namespaces this test creates
# and deletes ("dev", the device; "gw", the responder on its loopback), as agent_quarantine.sh:
#   dev d0 192.0.2.10/24  <-veth->  gw g0 192.0.2.1/24; gw lo: 198.51.100.74 (check-in),
#   203.0.113.5 (off-LAN)
# The authority is made with the recall tool (three keys, k = 2); its notice for the device is
# genuine but expired a year ago (issued 400 days ago, expiry 365 days ago). The agent runs under
# libfaketime 380 days in the past, with wall-clock = trusted, so its clock is "synchronised"
# and inside the notice's validity. Shown:
#   1. build-date = a month ago: the clock is below the time floor; no quarantine;
#   2. no build date, but an earlier run at the right time saved its last trusted time: after
#      the restart with the clock stepped back, no quarantine;
#   3. build-date = 370 days ago: the notice (expiry after the floor) is taken with the
#      untrusted clock (notify-only, then quarantine); the moment the clock is right again
#      (trusted, past the expiry) it is released (within 10 s, not at the next hourly recheck).
# Needs root, ip, ping and libfaketime; exit 77 (skip) otherwise.
# shellcheck source=tests/netns/agent_common
. "$(dirname "$0")/agent_common"
need ip ping
R=$B/tools/recall
[ -x "$R" ] || { echo "SKIP: tool not built"; exit 77; }
FT=$(ls /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
[ -n "$FT" ] || { echo "SKIP: needs libfaketime (scripts/deps)"; exit 77; }

dev_gw rcclock
indev ip link set lo up
indev ip link set d0 up
indev ip addr add 192.0.2.10/24 dev d0
ingw sh -e -c '
	ip link set lo up; ip link set g0 up
	ip addr add 192.0.2.1/24 dev g0
	for a in 198.51.100.74 203.0.113.5; do ip addr add $a/32 dev lo; done'
indev ip route add default via 192.0.2.1
sleep 1

# The authority and its genuine notice, expired a year ago.
cd "$W" || exit 1
for k in alice bob carol; do "$R" keygen "$k" >/dev/null || { echo "keygen failed"; exit 1; }; done
"$R" anchors create --k 2 -o anchors.cbor alice.pub bob.pub carol.pub >/dev/null || exit 1
NOW=$(date +%s)
DAY=86400
cat >old.json <<EOF
{
  "id": "RC-OLD-1",
  "issued": $((NOW - 400 * DAY)),
  "expiry": $((NOW - 365 * DAY)),
  "action": "quarantine",
  "severity": "critical",
  "text": "A recall that expired a year ago.",
  "remedy": {"url": "https://vendor.example/firmware"},
  "target": {"vendor": "Acme", "model": "Cam 1", "versions": ["1.0.0"]}
}
EOF
sed 's/"quarantine"/"notify"/; s/RC-OLD-1/RC-OLD-2/' old.json >old-notify.json
for n in old old-notify; do
	"$R" notice create -o $n.cose $n.json >/dev/null || exit 1
	for k in alice bob; do "$R" notice sign -k "$k.key" $n.cose >/dev/null || exit 1; done
	"$R" notice verify -a anchors.cbor $n.cose >/dev/null || { echo "$n does not verify"; exit 1; }
done
cp old.cose mode.cose

echo clear >"$W/mode"
: >"$W/resp.log"
serve 198.51.100.74

write_conf() { # state-dir build-date
	agent_conf "fwver = 1.0.0" "build-date = $2" "checkin-address = 198.51.100.74" \
		"state-dir = $1" "debounce = 100ms" "recheck = 1h"
	mkdir -p "$1"
}
# start_agent FAKETIME-SPEC|-: the agent under libfaketime reading the spec from $W/faketime
# (re-read every second), or at the real time.
start_agent() {
	n0=$(lines)
	if [ "$1" = - ]; then
		ip netns exec "$DEV" "$AGENT" -c "$W/agent.conf" -f -v run >>"$W/agent.log" 2>&1 &
	else
		echo "$1" >"$W/faketime"
		ip netns exec "$DEV" env LD_PRELOAD="$FT" FAKETIME_TIMESTAMP_FILE="$W/faketime" \
			FAKETIME_CACHE_DURATION=1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
			"$AGENT" -c "$W/agent.conf" -f -v run >>"$W/agent.log" 2>&1 &
	fi
	AP=$!
	wait_lines "$n0" 100
	sleep 1
}
expect_open() {
	st=$(state)
	[ "$st" != quarantined ] && ok "$1: state $st" || bad "$1: quarantined"
	if reach 203.0.113.5; then ok "$1: off-LAN reachable"; else bad "$1: off-LAN blocked"; fi
}
expect_quarantined() {
	st=$(state)
	[ "$st" = quarantined ] && ok "$1: state quarantined" || bad "$1: state $st, expected quarantined"
	if reach 203.0.113.5; then bad "$1: off-LAN reachable"; else ok "$1: off-LAN blocked"; fi
}
# The agent saw its clock: date as the faked process sees it.
echo "real time $(date -u +%FT%TZ); agent clock $(env LD_PRELOAD="$FT" FAKETIME=-380d date -u +%FT%TZ)"

# 1. Build date a month ago, clock 380 days back: below the floor, the old notice is refused.
write_conf "$W/s1" $((NOW - 30 * DAY))
echo file >"$W/mode"
start_agent -380d
expect_open "build-date floor, clock stepped back 380 days"
sed -n '/^--- phase/h; /^--- phase/!H; ${x;p}' "$W/agent.log" | grep -q "below the time floor" && ok "logged: clock below the floor" ||
	bad "no log line about the clock below the floor"
stop_agent

# 2. No build date; a run at the right time saves its last trusted time; then the clock is
# stepped back 380 days and the agent restarted.
write_conf "$W/s2" 0
echo clear >"$W/mode"
start_agent -
expect_open "first run at the right time"
stop_agent
echo file >"$W/mode"
echo "--- phase" >>"$W/agent.log"
start_agent -380d
expect_open "saved floor, restarted with the clock stepped back 380 days"
sed -n '/^--- phase/h; /^--- phase/!H; ${x;p}' "$W/agent.log" | grep -q "below the time floor" && ok "logged: clock below the floor" ||
	bad "no log line about the clock below the floor"
stop_agent

# 3. Build date 370 days ago: the clock (380 days back) is below it, so untrusted; the notice's
# expiry is after the floor, so it is taken. Then the clock is put right: released at once.
# Once with a notify-only notice (nothing else wakes the agent), once with a quarantine.
# Watch the log only: a status request would itself wake the agent and run its timers.
released() { sed -n '/^--- phase/h; /^--- phase/!H; ${x;p}' "$W/agent.log" | grep -q "released-expired"; }
clock_put_right() { # name state
	echo silent >"$W/mode"
	echo "+0" >"$W/faketime"
	t0=$(date +%s.%N)
	i=0
	while ! released && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
	t1=$(date +%s.%N)
	dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	if [ $i -lt 100 ]; then ok "$1: released-expired ${dt} s after the clock became trusted"; else
		bad "$1: not released ${dt} s after the clock became trusted (state $(state))"; fi
}
write_conf "$W/s3" $((NOW - 370 * DAY))
cp old-notify.cose mode.cose
echo file >"$W/mode"
echo "--- phase" >>"$W/agent.log"
start_agent -380d
st=$(state)
[ "$st" = notified ] && ok "notify-only, untrusted clock: state notified" || bad "notify-only: state $st"
clock_put_right "notify-only" notified
expect_open "notify-only, clock trusted"
stop_agent

write_conf "$W/s4" $((NOW - 370 * DAY))
cp old.cose mode.cose
echo file >"$W/mode"
echo "--- phase" >>"$W/agent.log"
start_agent -380d
expect_quarantined "quarantine, untrusted clock, notice expiry after the floor"
clock_put_right "quarantine" quarantined
expect_open "quarantine, clock trusted"
stop_agent

echo "--- agent log"; cat "$W/agent.log"
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
