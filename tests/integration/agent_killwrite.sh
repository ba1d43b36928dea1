#!/bin/sh
# Kill recall-agent (SIGKILL) at random moments while it is writing its state file, many
# times over (bounded: 40 rounds), and check after every kill that the state file is either
# absent or whole (never torn), and that a restarted agent comes up and checks in. Loopback
# and the dummy backend only.
cleanup_signal=KILL
# shellcheck source=tests/integration/agent_common
. "$(dirname "$0")/agent_common"
PORT=$((20000 + ($$ + 7) % 20000))
mkdir -p "$W/state"
agent_conf "$W/state" "hooks-dir =" "announce = no" \
	"debounce = 1ms" "attach-interval = 1ms" "timeout = 500ms"
start_responder recall
rnd() { od -An -N2 -tu2 /dev/urandom | tr -d ' '; }
torn=0 rounds=0 dead=0
while [ $rounds -lt 40 ]; do
	rounds=$((rounds + 1))
	"$AGENT" -c "$W/agent.conf" -f run >>"$W/agent.log" 2>&1 &
	AP=$!
	sleep 0.3 # SIGUSR1 before the daemon blocks it would end it
	# Attach triggers flip the answer between recall and clear: every answer is a state write.
	end=$(( $(rnd) % 25 + 1 ))
	i=0
	while [ $i -lt $end ]; do
		if [ $((i % 2)) -eq 0 ]; then echo clear >"$W/mode"; else echo recall >"$W/mode"; fi
		kill -USR1 "$AP" 2>/dev/null || { dead=$((dead + 1)); break; }
		sleep 0.0$(( $(rnd) % 9 + 1 ))
		i=$((i + 1))
	done
	kill -9 "$AP" 2>/dev/null
	wait "$AP" 2>/dev/null
	AP=
	if "$AGENT" -c "$W/agent.conf" status 2>&1 >/dev/null | grep -q "will ignore it"; then
		torn=$((torn + 1))
		echo "round $rounds: state file damaged"
		cp "$W/state/state" "$W/state.damaged.$rounds" 2>/dev/null
	fi
done
writes=$(grep -c "checkin" "$W/resp.log")
echo "rounds $rounds, check-ins answered $writes, damaged state files $torn, early deaths $dead"
# The agent also must not have left garbage it would trip over.
fails=0
[ "$torn" -eq 0 ] || fails=$((fails + 1))
[ "$dead" -eq 0 ] || fails=$((fails + 1))
[ "$writes" -ge 40 ] || { echo "too few state writes exercised"; fails=$((fails + 1)); }
"$AGENT" -c "$W/agent.conf" -f run >>"$W/agent.log" 2>&1 &
AP=$!
sleep 1
n=$(grep -c "checkin" "$W/resp.log")
[ "$n" -gt "$writes" ] || { echo "agent did not check in after the last kill"; fails=$((fails + 1)); }
stop_agent
if grep -q "ignored (fail open)" "$W/agent.log"; then
	echo "an agent found a damaged state file"
	fails=$((fails + 1))
fi
# The file's two checks, as SECURITY.md 4 and recall-agent(8) describe them: the frame
# "RCAGST01" | u32 length | blob | SHA-256 of everything before it (agent/state.c), and the
# blob's own BLAKE2b-128 of its CBOR part (lib/agent_state.c).
python3 - "$W/state/state" <<'PY' || { echo "state file checks"; fails=$((fails + 1)); }
import hashlib, struct, sys
f = open(sys.argv[1], "rb").read()
n = struct.unpack("<I", f[8:12])[0]
blob = f[12:12 + n]
assert f[:8] == b"RCAGST01" and len(f) == 12 + n + 32, "frame"
assert hashlib.sha256(f[:-32]).digest() == f[-32:], "frame SHA-256"
assert hashlib.blake2b(blob[:-16], digest_size=16).digest() == blob[-16:], "blob BLAKE2b-128"
PY
echo "$((7 - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
