#!/bin/sh
# recall-agent on loopback against the test responder, with the dummy backend (no root, the
# host's routing untouched): check-in at start, attach trigger, a valid recall (quarantine
# recorded, LOG_ALERT line, hook environment, LAN announcement), invalid answers ignored,
# status and status --json, override / override --clear, re-applied from state on restart
# before the first check-in, release by a clear answer, opt-out, a torn state file (fail open,
# immediate check-in), and config errors (exit 1, file and key named).
# shellcheck source=tests/integration/agent_common
. "$(dirname "$0")/agent_common"

# Ports from the PID keep parallel runs apart (loopback only).
PORT=$((20000 + $$ % 20000))
APORT=$((PORT + 1))
start_responder clear 198.51.100.80/32
record_hooks
mkdir -p "$W/state"
write_conf() { # checkin
	agent_conf "$W/state" "hooks-dir = $W/hooks" "dummy-record = $W/dummy.log" \
		"announce = yes" "announce-to = 127.0.0.1:$APORT" \
		"debounce = 100ms" "attach-interval = 100ms" "timeout = 500ms" \
		"backoff-base = 1s" "backoff-cap = 2s" "checkin = $1"
}
write_conf yes
listen_announcements
checkin() {
	n=$(lines)
	kill -USR1 "$AP"
	i=0
	while [ "$(lines)" -le "$n" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.5
}
state() { "$AGENT" -c "$W/agent.conf" status --json | sed -n 's/.*"state":"\([a-z]*\)".*/\1/p'; }
applies() { grep -c '^apply' "$W/dummy.log"; }

start_agent
check 'grep -q "checkin boot normal 2.4.1 -> clear" "$W/resp.log"' "boot check-in answered"
check '[ "$(state)" = idle ]' "idle after clear"
check '! grep -q "^apply" "$W/dummy.log"' "no quarantine after clear"

for m in forged unsigned below wrongid expired nonce garbage retry; do
	echo $m >"$W/mode"
	checkin
	check '[ "$(applies)" -eq 0 ]' "answer '$m' does not quarantine"
done
check '"$AGENT" -c "$W/agent.conf" status --json | grep -q "\"rx_threshold\":[1-9]"' \
	"below-threshold counted"
check '"$AGENT" -c "$W/agent.conf" status --json | grep -q "\"rx_notcovered\":[1-9]"' \
	"wrong identity counted"

echo recall >"$W/mode"
checkin
check '[ "$(state)" = quarantined ]' "valid recall quarantines"
check 'grep -q "^apply 127.0.0.1/32 198.51.100.80/32" "$W/dummy.log"' \
	"quarantine keeps the check-in address and remedy endpoint"
check 'grep -q "RECALL TEST-2026-0001 (device quarantined" "$W/agent.log"' "alert logged"
check 'grep -q "^RECALL_NOTICE_ID=TEST-2026-0001" "$W/hook.recalled"' "hook ran with notice id"
check 'grep -q "^RECALL_URL=https://vendor.example/firmware" "$W/hook.recalled"' "hook URL"
check 'grep -q "^RECALL_STATE=quarantined" "$W/hook.recalled"' "hook state"
check 'grep -q "\"event\":\"recalled\".*\"notice\":\"TEST-2026-0001\"" "$W/announce.log"' \
	"LAN announcement sent"
check 'python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1]) if l.strip()]" "$W/announce.log"' \
	"announcements are valid JSON"
check '"$AGENT" -c "$W/agent.conf" status | grep -q "^remedy *https://vendor.example/firmware"' \
	"status shows the remedy"

"$AGENT" -c "$W/agent.conf" override TEST-2026-0001 >/dev/null
check '[ "$(state)" = overridden ]' "override NOTICE"
check '[ "$(tail -n1 "$W/dummy.log")" = release ]' "override released the quarantine"
"$AGENT" -c "$W/agent.conf" override --clear >/dev/null
sleep 0.5
check '[ "$(state)" = quarantined ]' "override --clear re-applies"
check '! "$AGENT" -c "$W/agent.conf" override "bad id!" 2>/dev/null' "bad notice id refused"

# Restart: the quarantine is re-applied from state before the first check-in.
echo silent >"$W/mode"
stop_agent
: >"$W/dummy.log"
n=$(lines)
start_agent
check '[ "$(sed -n 2p "$W/dummy.log" | cut -d" " -f1)" = apply ]' "re-applied at start"
check '[ "$(state)" = quarantined ]' "still quarantined after restart"
check '[ "$(lines)" -gt "$n" ]' "boot check-in after restart"
check 'tail -n +$((n + 1)) "$W/resp.log" | grep -q "boot quarantined"' \
	"check-in reports quarantined state"

echo clear >"$W/mode"
checkin
check '[ "$(state)" = idle ]' "clear answer releases"
check '[ "$(tail -n1 "$W/dummy.log")" = release ]' "release recorded"
check '[ -f "$W/hook.released-clear" ]' "hook told of the release"

# Opt-out through SIGHUP.
echo recall >"$W/mode"
checkin
write_conf no
kill -HUP "$AP"
sleep 0.5
check '[ "$(state)" = optout ]' "checkin = off: opt-out"
check '[ "$(tail -n1 "$W/dummy.log")" = release ]' "opt-out released"
n=$(lines)
kill -USR1 "$AP"
sleep 0.5
check '[ "$(lines)" -eq "$n" ]' "no check-ins while opted out"
stop_agent

# A torn state file: fail open, check in at once.
write_conf yes
head -c 20 "$W/state/state" >"$W/state/state.torn" && mv "$W/state/state.torn" "$W/state/state"
n=$(lines)
start_agent
check 'grep -q "ignored (fail open)" "$W/agent.log"' "torn state reported"
check '[ "$(lines)" -gt "$n" ]' "immediate check-in after torn state"
check '[ "$(state)" = quarantined ]' "fresh recall still applies after torn state"
# A second agent on the same state directory is refused.
check '! "$AGENT" -c "$W/agent.conf" -f run 2>/dev/null' "second agent refused (lock)"
stop_agent
check '"$AGENT" -c "$W/agent.conf" status | grep -q "not running"' "status without daemon"

# Configuration errors: exit status 1 and the place named.
echo "bogus = 1" >>"$W/agent.conf"
"$AGENT" -c "$W/agent.conf" run 2>"$W/err"
rc=$?
check '[ $rc -eq 1 ] && grep -q "agent.conf:[0-9]*: unknown key" "$W/err"' "unknown key named, exit 1"
"$AGENT" bogus 2>/dev/null
rc=$?
check '[ $rc -eq 2 ]' "usage error exits 2"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
