#!/bin/sh
# Hostile notice text on the device (issue 9, finding 5): a validly signed recall whose text and
# reference hold a newline followed by a forged status line, C1 CSI sequences, a bidi override,
# a tag character and a line separator (fake_responder mode "hostile"). recall-agent status
# (text and --json, daemon running and from the saved state), the alert log line, the hook
# environment and the LAN announcement must show them only as visible escapes. Loopback, dummy
# backend, no root.
# shellcheck source=tests/integration/agent_common
. "$(dirname "$0")/agent_common"
SAFE="$(cd "$(dirname "$0")" && pwd)/terminal_safe.py"
# raw FILE: FILE holds none of the hostile bytes (ESC, CSI U+009B, U+202E, tag U+E0001, U+2028).
raw() { LC_ALL=C grep -q "$(printf '\033\\|\302\233\\|\342\200\256\\|\363\240\200\201\\|\342\200\250')" "$1"; }

PORT=$((20000 + ($$ + 7919) % 20000))
APORT=$((PORT + 1))
start_responder hostile
record_hooks
mkdir -p "$W/state"
agent_conf "$W/state" "hooks-dir = $W/hooks" "dummy-record = $W/dummy.log" \
	"announce = yes" "announce-to = 127.0.0.1:$APORT" "timeout = 500ms"
listen_announcements
"$AGENT" -c "$W/agent.conf" -f run >>"$W/agent.log" 2>&1 &
AP=$!
i=0
while ! grep -q "^apply" "$W/dummy.log" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.5
check 'grep -q "^apply" "$W/dummy.log"' "the hostile notice is a valid recall (quarantined)"

"$AGENT" -c "$W/agent.conf" status >"$W/status.txt" 2>&1
"$AGENT" -c "$W/agent.conf" status --json >"$W/status.json" 2>&1
check '[ "$(grep -c "^state" "$W/status.txt")" -eq 1 ]' "status: the newline forges no line"
check 'grep -q "^what *Update now.\\\\x0astate          idle (forged)\\\\x0a\\\\u009b2J" "$W/status.txt"' \
	"status: text on one line, escapes visible"
check 'grep -q "\\\\u202eexe.txt\\\\U000e0001\\\\u2028end" "$W/status.txt"' "status: bidi, tag, separator shown"
check '! raw "$W/status.txt"' "status: no raw ESC, CSI, bidi, tag or separator bytes"
check 'python3 "$SAFE" "$W/status.txt"' "status: terminal-safe"
check '! raw "$W/status.json"' "status --json: no raw hostile bytes"
check 'python3 "$SAFE" --oneline "$W/status.json"' "status --json: terminal-safe"
check 'python3 -c "import json,sys; t = json.load(open(sys.argv[1]))[\"notice\"][\"text\"]; sys.exit(not (\"\\n\" in t and \"\\u202e\" in t and \"\\x9b\" in t))" "$W/status.json"' \
	"status --json: a JSON reader gets the text back"
check 'grep "RECALL TEST-2026-0001" "$W/agent.log" | grep -q "(forged)\\\\x0a\\\\u009b2J"' "alert line escaped"
check '! grep -q "^state" "$W/agent.log"' "alert: the newline forges no log line"
check '! raw "$W/agent.log" && python3 "$SAFE" "$W/agent.log"' "agent log: terminal-safe"
check 'grep -q "^RECALL_TEXT=Update now." "$W/hook.recalled"' "hook got the text"
check '! raw "$W/hook.recalled" && python3 "$SAFE" "$W/hook.recalled"' "hook environment: terminal-safe"
check 'grep -q "^RECALL_REFS=CVE-2026-0001\\\\u202e" "$W/hook.recalled"' "hook: reference escaped"
check '[ -s "$W/announce.log" ] && ! raw "$W/announce.log"' "announcement: no raw hostile bytes"
check 'python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1]) if l.strip()]" "$W/announce.log"' \
	"announcements are valid JSON"

# The daemon stopped: status reads the saved state and must be just as careful.
stop_agent
"$AGENT" -c "$W/agent.conf" status >"$W/status2.txt" 2>&1
"$AGENT" -c "$W/agent.conf" status --json >"$W/status2.json" 2>&1
check 'grep -q "not running (saved state)" "$W/status2.txt"' "status from saved state"
check '[ "$(grep -c "^state" "$W/status2.txt")" -eq 1 ] && ! raw "$W/status2.txt" && python3 "$SAFE" "$W/status2.txt"' \
	"saved-state status: terminal-safe"
check '! raw "$W/status2.json" && python3 "$SAFE" --oneline "$W/status2.json"' \
	"saved-state status --json: terminal-safe"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
