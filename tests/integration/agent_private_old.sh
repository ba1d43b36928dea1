#!/bin/sh
# recall-agent with mode = private against a responder that does not serve private check-ins
# (the test responder, like recalld before issue 18, cannot decode type 9 and drops it): the
# agent retries, gives up, and says why in its log; it never falls back to a normal check-in
# (that would be a downgrade anyone on the path could force by dropping the private ones), and
# status shows the mode and no bucket answer. Loopback, dummy backend.
# shellcheck source=tests/integration/agent_common
. "$(dirname "$0")/agent_common"

PORT=$((20000 + ($$ + 41) % 20000))
start_responder clear
agent_conf "$W/state" "mode = private" "timeout = 500ms" "backoff-base = 1s" "backoff-cap = 1s" \
	"retries = 1"
start_agent
i=0
while ! grep -q "no answer after" "$W/agent.log" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check 'grep -q "bad checkin" "$W/resp.log"' "the old responder cannot decode a private check-in"
check '! grep -q "^checkin " "$W/resp.log"' "no normal check-in was sent (no fallback)"
check 'grep -q "private mode: no bucket answer yet; a responder that does not serve private check-ins" "$W/agent.log"' \
	"the agent says why it is not checked"
"$AGENT" -c "$W/agent.conf" status --json >"$W/st.json"
check 'python3 -c "import json,sys; d = json.load(open(sys.argv[1])); c = d[\"counters\"]; sys.exit(not (d[\"mode\"] == \"private\" and c[\"buckets\"] == 0 and c[\"giveups\"] == 1 and c[\"checkins\"] == 2))" "$W/st.json"' \
	"status: mode private, 2 private check-ins, no bucket, one give-up"
stop_agent
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
