#!/bin/sh
# recall-agent with an anchor set that names a log (PROTOCOL.md 12.7), against fake_responder's
# fixture log on loopback (dummy backend): a logged, cosigned recall quarantines and status shows
# "logged index 5 of size 13, witnesses 2/2", also from the saved state and after a restart; a
# recall signed by k keys whose proof the responder does not have (retry-later), or whose
# cosignatures are stale, never quarantines.
# shellcheck source=tests/integration/agent_common
. "$(dirname "$0")/agent_common"

PORT=$((20000 + ($$ + 29) % 20000))
start_responder logged
"$RESP" anchors "$W/anchors.cbor" 3 2 log || exit 1 # the same keys, with the log policy
status() {
	"$AGENT" -c "$W/agent.conf" status >"$W/st.txt" 2>&1
	"$AGENT" -c "$W/agent.conf" status --json >"$W/st.json" 2>&1
}
line() { sed -n "s/^$1  *//p" "$W/st.txt"; }
js() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$W/st.json" "$1"; }
wait_state() { # state, at most 5 s
	i=0
	while status && [ "$(line state | cut -d' ' -f1)" != "$1" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

agent_conf "$W/s1" "timeout = 500ms" "announce = no"
start_agent
wait_state quarantined
check '[ "$(line state | cut -d" " -f1)" = quarantined ]' "logged and cosigned: quarantined"
check '[ "$(line logged)" = "index 5 of size 13, witnesses 2/2" ]' \
	"status: logged index 5 of size 13, witnesses 2/2 (got '$(line logged)')"
check '[ "$(js "d[\"log\"][\"logged\"], d[\"log\"][\"size\"], d[\"counters\"][\"proofs\"]")" = "(True, 13, 1)" ]' \
	"--json: log.logged, log.size, counters.proofs"
check 'grep -q "proofreq -> logged" "$W/resp.log"' "the agent sent a proof request"
check 'grep -q "logged: index 5 of size 13, witnesses 2/2" "$W/agent.log"' "log line: logged"
stop_agent
status
check '[ "$(line logged)" = "index 5 of size 13, witnesses 2/2" ]' "saved state: logged"
echo silent >"$W/mode"
start_agent
sleep 0.5
status
check '[ "$(line state | cut -d" " -f1)" = quarantined ]' "restart: quarantine kept, proof verified again"
stop_agent

# run_mode MODE DIR: a fresh agent (state in DIR) against the responder in MODE, until the
# responder has answered its proof request (at most 5 s), then status.
run_mode() {
	echo "$1" >"$W/mode"
	agent_conf "$2" "timeout = 500ms" "announce = no"
	start_agent
	i=0
	while ! grep -q "proofreq -> $1" "$W/resp.log" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.5
	status
}

# Signed by k keys, not in the log: the responder answers retry-later to the proof request.
run_mode unlogged "$W/s2"
check '[ "$(line state | cut -d" " -f1)" != quarantined ]' "not logged: no quarantine (got '$(line state)')"
check '[ "$(js "d[\"counters\"][\"unlogged\"] >= 1, d[\"log\"][\"logged\"]")" = "(True, False)" ]' \
	"--json: counters.unlogged, not logged"
check 'grep -q "recall not acted on: not logged" "$W/agent.log"' "log line: not acted on"
stop_agent

# Cosigned two days ago, max-age one day, trusted clock: no quarantine.
run_mode stale "$W/s3"
check '[ "$(line state | cut -d" " -f1)" != quarantined ]' "stale cosignatures: no quarantine"
check '[ "$(js "d[\"counters\"][\"rx_proof_invalid\"] >= 1")" = True ]' "--json: rx_proof_invalid"
stop_agent
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
