#!/bin/sh
# recall-agent status (text and --json), running and from the saved state (loopback, dummy
# backend): the clock line says whether the agent trusts the wall clock and why not (below the
# time floor, which it names; wall-clock = untrusted; not synchronised), the time floor is shown
# as ISO 8601 UTC (POSIX seconds in JSON), and hooks refused by the daemon are counted.
# shellcheck source=tests/integration/agent_common
. "$(dirname "$0")/agent_common"

PORT=$((20000 + ($$ + 23) % 20000))
start_responder clear
mkdir -m 0755 "$W/hooks"
printf '#!/bin/sh\ntouch "$(dirname "$0")/../ran.$1"\n' >"$W/hooks/10-good"
cp "$W/hooks/10-good" "$W/hooks/20-shared"
chmod 0755 "$W/hooks/10-good"
chmod 0775 "$W/hooks/20-shared" # group-writable: refused, counted
write_conf() {                  # state-dir wall-clock build-date
	cat >"$W/agent.conf" <<EOC
vendor = Acme
model = Cam 1
fwver = 2.4.1
build-date = $3
checkin-address = 127.0.0.1:$PORT
anchors = $W/anchors.cbor
state-dir = $1
hooks-dir = $W/hooks
announce = no
system = dummy
debounce = 100ms
attach-interval = 100ms
start-spread = 0
timeout = 500ms
wall-clock = $2
EOC
}
status() { # text in $W/st.txt, JSON in $W/st.json
	"$AGENT" -c "$W/agent.conf" status >"$W/st.txt" 2>&1
	"$AGENT" -c "$W/agent.conf" status --json >"$W/st.json" 2>&1
}
line() { sed -n "s/^$1  *//p" "$W/st.txt"; }                # value of a text line
jval() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" "$W/st.json"; } # a JSON scalar (last)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# wall-clock = trusted, built yesterday: trusted; every trusted reading raises the floor to now.
T0=$(date +%s)
write_conf "$W/s1" trusted $((T0 - 86400))
start_agent
status
T1=$(date +%s)
check '[ "$(line agent)" = running ]' "running"
check '[ "$(line clock)" = trusted ]' "wall-clock = trusted: clock trusted (got '$(line clock)')"
f=$(jval time_floor)
check '[ "$f" -ge "$T0" ] && [ "$f" -le "$T1" ]' "the floor is the last trusted reading ($f in $T0..$T1)"
check '[ "$(line "time floor")" = "$(iso "$f")" ]' "time floor in ISO 8601 UTC (got '$(line "time floor")')"
check 'grep -q "\"clock\":\"trusted\",\"clock_trusted\":true,\"time_floor\":$f," "$W/st.json"' \
	"--json: clock, clock_trusted, time_floor"
check '[ "$(line "hooks refused")" = 0 ] && [ "$(jval hooks_refused)" = 0 ]' "no hook refused yet"
check 'python3 -c "import json,sys; d = json.load(open(sys.argv[1])); sys.exit(not (d[\"clock_trusted\"] is True and d[\"time_floor\"] == $f and d[\"counters\"][\"hooks_refused\"] == 0))" "$W/st.json"' \
	"--json: one valid object with the fields"
# A notify-only recall: the hooks run, the group-writable one is refused and counted.
echo notify >"$W/mode"
kill -USR1 "$AP"
i=0
while [ "$(jval hooks_refused)" != 1 ] && [ $i -lt 50 ]; do sleep 0.1; status; i=$((i + 1)); done
status
check '[ "$(line state)" = notified ] && [ -e "$W/ran.notice" ]' "notified, the good hook ran"
check '[ "$(line "hooks refused")" = 1 ]' "text: hooks refused 1 (got '$(line "hooks refused")')"
check 'grep -q "\"hooks_refused\":1}" "$W/st.json"' "--json: counters.hooks_refused 1"
check 'grep -q "hook .*20-shared.*refused" "$W/agent.log"' "the refusal is logged"
stop_agent
echo clear >"$W/mode" # (a verified notice's issued time would raise the floors below)
# From the saved state: the clock judged as the daemon would, the saved floor.
status
check '[ "$(line agent)" = "not running (saved state)" ] && [ "$(line clock)" = trusted ]' \
	"saved state: clock trusted"
check '[ "$(jval time_floor)" -ge "$f" ] && [ "$(line "time floor")" = "$(iso "$(jval time_floor)")" ]' \
	"saved state: the saved floor"
check '[ -z "$(line "hooks refused")" ] && [ "$(jval hooks_refused)" = 0 ]' \
	"saved state: no hook counter (the daemon's)"

# Built a year from now (the clock is behind the build): never trusted, whatever wall-clock says.
BD=$((T0 + 365 * 86400))
write_conf "$W/s2" trusted "$BD"
start_agent
status
check '[ "$(line clock)" = "not trusted (below the time floor $(iso "$BD"))" ]' \
	"build date ahead: not trusted, below the floor (got '$(line clock)')"
check '[ "$(line "time floor")" = "$(iso "$BD")" ]' "the floor is the build date"
check 'grep -q "\"clock\":\"below-time-floor\",\"clock_trusted\":false,\"time_floor\":$BD," "$W/st.json"' \
	"--json: below-time-floor, the build date"
stop_agent
status
check '[ "$(line clock)" = "not trusted (below the time floor $(iso "$BD"))" ]' \
	"saved state: below the floor"

# wall-clock = untrusted: the configuration says so.
write_conf "$W/s3" untrusted $((T0 - 86400))
start_agent
status
check '[ "$(line clock)" = "not trusted (wall-clock = untrusted)" ]' \
	"wall-clock = untrusted (got '$(line clock)')"
check '[ "$(line "time floor")" = "$(iso $((T0 - 86400)))" ]' "untrusted readings leave the floor"
check 'grep -q "\"clock\":\"untrusted-by-configuration\",\"clock_trusted\":false," "$W/st.json"' \
	"--json: untrusted-by-configuration"
stop_agent

# wall-clock = auto: the kernel's flag, whatever this host's is.
write_conf "$W/s4" auto $((T0 - 86400))
status
check '[ "$(line clock)" = trusted ] || [ "$(line clock)" = "not trusted (not synchronised)" ]' \
	"wall-clock = auto: trusted or not synchronised (got '$(line clock)')"
check '{ [ "$(jval clock_trusted)" = true ] && grep -q "\"clock\":\"trusted\"" "$W/st.json"; } || grep -q "\"clock\":\"not-synchronised\"" "$W/st.json"' \
	"--json: the same"

# The check-in mode: normal unless mode = private (recall-agent.conf(5)).
check '[ "$(line mode)" = "normal (check-ins name the identity)" ] && [ "$(jval mode)" = "\"normal\"" ]' \
	"mode normal by default (got '$(line mode)', $(jval mode))"
echo "mode = private" >>"$W/agent.conf"
status
check '[ "$(line mode)" = "private (check-ins name a 12-bit prefix of the model'"'"'s hash, not the identity)" ]' \
	"mode = private shown (got '$(line mode)')"
check 'python3 -c "import json,sys; d = json.load(open(sys.argv[1])); sys.exit(d[\"mode\"] != \"private\" or d[\"counters\"][\"buckets\"] != 0)" "$W/st.json"' \
	"--json: mode private, counters.buckets"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
