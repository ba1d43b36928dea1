# shellcheck shell=bash
# The recall lab's scenario library, shared by lab/demo and tests/netns/lab_*.sh (sourced after
# lab/lab.sh): the binaries, a narrative with timestamps, checked expectations, recalld nodes,
# recall-agent devices, probes and bounded waits. docs/LAB.md describes the lab.
# Needs: LAB_SRC (source tree) and sc_init BUILD_DIR.

. "$LAB_SRC/lab/authority.sh"
. "$LAB_SRC/lab/log.sh"
. "$LAB_SRC/lab/log_scenarios.sh"
. "$LAB_SRC/lab/pub_scenarios.sh"
SC_T0=$(date +%s%N)
SC_PASS=0
SC_FAIL=0
SC_GROUP=lab
SC_RESULTS=
# recall-agent settings for the lab: fast retries, and a wall clock it trusts (the namespaces
# share the host's clock, which no NTP daemon vouches for).
SC_AGENT_TUNING='debounce = 200ms
attach-interval = 200ms
start-spread = 0
timeout = 1s
backoff-base = 1s
backoff-cap = 2s
retries = 3
recheck = 1m
wall-clock = trusted'

# Locate the programs in build dir $1. Returns 77 (skip) if one is missing.
sc_init() {
	local b=${1:?sc_init BUILD_DIR}
	SC_B=$(cd "$b" && pwd) || return 77
	RECALL=$SC_B/tools/recall
	RECALLD=$SC_B/responder/recalld
	AGENT=$SC_B/agent/recall-agent
	WITNESS=$SC_B/witness/recall-witness
	local p
	for p in "$RECALL" "$RECALLD" "$AGENT" "$WITNESS"; do
		[ -x "$p" ] || { echo "lab: $p is not built" >&2; return 77; }
	done
	NGINX=$(command -v nginx || echo /usr/sbin/nginx)
	[ -x "$NGINX" ] || { echo "lab: needs nginx (nginx-light; scripts/deps)" >&2; return 77; }
	command -v curl >/dev/null && command -v python3 >/dev/null ||
		{ echo "lab: needs curl and python3" >&2; return 77; }
	SC_RESULTS=$LAB_DIR/results.tsv
	: >"$SC_RESULTS"
}

# Seconds since the start, one decimal.
sc_t() {
	local ms=$((($(date +%s%N) - SC_T0) / 1000000))
	printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}

# Narrative: a section title, a line, an indented detail block (stdin).
say_h() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '[%6ss] %s\n' "$(sc_t)" "$*"; }
say_block() { sed 's/^/            | /'; }

# Expectations: each is a command; its exit status decides. Recorded for the summary.
sc_record() { # STATUS DESCRIPTION
	printf '%s\t%s\t%s\n' "$SC_GROUP" "$1" "$(echo "$2" | tr '\t\n' '  ')" >>"$SC_RESULTS"
	if [ "$1" = PASS ]; then
		SC_PASS=$((SC_PASS + 1))
		printf '[%6ss]   \033[32mok\033[0m   %s\n' "$(sc_t)" "$2"
	else
		SC_FAIL=$((SC_FAIL + 1))
		printf '[%6ss]   \033[31mFAIL\033[0m %s\n' "$(sc_t)" "$2"
	fi
}
expect() { # DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@"; then sc_record PASS "$d"; else sc_record FAIL "$d"; fi
}
expect_not() {
	local d=$1
	shift
	if "$@"; then sc_record FAIL "$d"; else sc_record PASS "$d"; fi
}

# Summary table of every expectation, grouped; returns 1 if any failed.
sc_summary() {
	say_h "Summary"
	python3 - "$SC_RESULTS" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
groups = []
for g, s, d in rows:
    if g not in [x[0] for x in groups]:
        groups.append((g, [0, 0]))
    for x in groups:
        if x[0] == g:
            x[1][0 if s == "PASS" else 1] += 1
w = max([len(g) for g, _ in groups] + [5])
print(f"  {'part':<{w}}  {'passed':>6}  {'failed':>6}")
print(f"  {'-' * w}  {'-' * 6}  {'-' * 6}")
for g, (p, f) in groups:
    print(f"  {g:<{w}}  {p:>6}  {f:>6}")
fails = [(g, d) for g, s, d in rows if s != "PASS"]
for g, d in fails:
    print(f"  FAILED [{g}] {d}")
EOF
	echo "  $SC_PASS expectations held, $SC_FAIL failed (in $(sc_t) s)"
	[ "$SC_FAIL" -eq 0 ]
}

# Wait (bounded: $1 tenths of a second) until the command succeeds.
sc_wait() {
	local n=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ $i -ge "$n" ] && return 1
		sleep 0.1
	done
	return 0
}

# ---------------------------------------------------------------------------------------------
# recalld nodes

# Start recalld on node $1 with the feed, feed key and anchors in directory $2 (copied: each
# node holds its own copy, as each ISP site would). Extra recalld.conf lines follow.
sc_recalld() {
	local n=$1 src=$2 d=$LAB_DIR/isp-$1
	shift 2
	mkdir -p "$d"
	cp "$src/feed" "$src/feed.pub" "$src/anchors.cbor" "$d/"
	if [ -n "${SC_LOG_URL:-}" ] && [ "$n" != m ]; then
		mkdir -p "$d/state"
		sc_log_fetch "$n" || return 1
	fi
	{
		echo "# recalld on lab node $n: the anycast addresses, metrics on the node's loopback"
		echo "listen = $LAB_ANYCAST4 $LAB_ANYCAST6${SC_LISTEN_EXTRA:+ $SC_LISTEN_EXTRA}"
		echo "port = 7412"
		echo "workers = ${SC_WORKERS:-1}"
		echo "feed = $d/feed"
		echo "feed-key = $d/feed.pub"
		echo "anchors = $d/anchors.cbor"
		echo "metrics-listen = 127.0.0.1:9474"
		echo "event-log = $d/events.jsonl"
		echo "log = stderr"
		# The ISP's nodes hold a copy of the authority's log (sc_log_fetch).
		if [ -n "${SC_LOG_URL:-}" ] && [ "$n" != m ]; then
			echo "transparency-log = $d/log"
			echo "state-dir = $d/state"
		fi
		local l
		for l in "$@"; do echo "$l"; done
	} >"$d/recalld.conf"
	if ! "$RECALLD" -t -c "$d/recalld.conf" >"$d/check.log" 2>&1; then
		echo "lab: recalld -t on node $n failed:" >&2
		cat "$d/check.log" >&2
		return 1
	fi
	ip netns exec "$LAB-$n" "$RECALLD" -f -c "$d/recalld.conf" >>"$d/recalld.log" 2>&1 &
	if ! sc_wait 100 sc_metrics_up "$n"; then
		echo "lab: recalld on node $n did not come up:" >&2
		tail -n 20 "$d/recalld.log" >&2
		return 1
	fi
}
sc_metrics_up() { lx "$1" curl -sf -o /dev/null "http://127.0.0.1:9474/metrics"; }

# The metrics page of node $1, scraped from inside the node.
sc_metrics() { lx "$1" curl -sf --max-time 2 "http://127.0.0.1:9474/metrics"; }

# Sum of the samples of node $1 whose line starts with $2 (name, optionally "{labels").
sc_metric() {
	sc_metrics "$1" | awk -v m="$2" 'index($0, m) == 1 { s += $NF } END { print s + 0 }'
}
# Answers of node $1 (all kinds, or kind $2).
sc_answers() {
	if [ -n "${2:-}" ]; then
		sc_metrics "$1" | awk -v k="kind=\"$2\"" 'index($0, "recalld_answers_total{") == 1 &&
			index($0, k) { s += $NF } END { print s + 0 }'
	else
		sc_metric "$1" "recalld_answers_total{"
	fi
}

# A health check of node $1, as an anycast operator runs one next to each node: one check-in
# from inside the node to its own anycast address must be answered within 500 ms.
sc_node_healthy() {
	lx "$1" "$RECALL" query --vendor lab --model health-check --fwver 0 --timeout 500 \
		"$LAB_ANYCAST4" >/dev/null 2>&1
}
# Run the health check of node $1 once: withdraw its route if it fails, announce it if it
# passes. Says which.
sc_health_check() {
	if sc_node_healthy "$1"; then
		lab_anycast_announce "$1"
		echo "node $1 healthy: route announced"
	else
		lab_anycast_withdraw "$1"
		echo "node $1 failed its health check: route withdrawn"
	fi
}

# Stop recalld on node $1 (SIGTERM; bounded wait).
sc_recalld_stop() {
	local p
	p=$(lab_pid "$1" recalld) || return 0
	kill -TERM "$p"
	sc_wait 50 sc_not_running "$p"
}
sc_not_running() { ! kill -0 "$1" 2>/dev/null; }

# ---------------------------------------------------------------------------------------------
# recall-agent devices

# Write device $1's firmware identity file (what a firmware image carries, os-release style):
# vendor, model, hwrev, fwver.
sc_identity() {
	local d=$LAB_DIR/dev-$1
	mkdir -p "$d"
	cat >"$d/firmware-release" <<EOF
# firmware identity of lab device $1 (read by recall-agent: identity-file)
RECALL_VENDOR="$2"
RECALL_MODEL="$3"
RECALL_HWREV="$4"
RECALL_FWVER="$5"
EOF
}

# Configure device $1 (its identity written by sc_identity): check-in addresses $2 (default
# IPv4 then IPv6 anycast), anchors $3. A hook tells the owner by writing owner.log; the LAN
# announcement goes out of the device's LAN interface.
sc_agent_conf() {
	local n=$1 d=$LAB_DIR/dev-$1
	local addrs=${2:-"$LAB_ANYCAST4 [$LAB_ANYCAST6]"}
	mkdir -p "$d/hooks" "$d/state"
	cat >"$d/hooks/50-tell-owner" <<EOF
#!/bin/sh
# Owner notification hook of lab device $n: one line per event.
echo "\$(date -u +%H:%M:%S) \$1 state=\$RECALL_STATE notice=\${RECALL_NOTICE_ID:--} severity=\${RECALL_SEVERITY:--} url=\${RECALL_URL:--} refs=\${RECALL_REFS:--}" >>"$d/owner.log"
EOF
	chmod 755 "$d/hooks/50-tell-owner"
	cat >"$d/agent.conf" <<EOF
# recall-agent on lab device $n
identity-file = $d/firmware-release
checkin-address = $addrs
anchors = ${3:-$LAB_DIR/device-anchors.cbor}
state-dir = $d/state
hooks-dir = $d/hooks
hook-timeout = 2s
announce = yes
announce-interface = ${n}l
$SC_AGENT_TUNING
EOF
}

# Start the agent of device $1 in its namespace (log: dev-$1/agent.log).
sc_agent_start() {
	local d=$LAB_DIR/dev-$1
	(ip netns exec "$LAB-$1" "$AGENT" -c "$d/agent.conf" -f -v run >>"$d/agent.log" 2>&1 &)
	sc_wait 50 sc_agent_up "$1"
}
sc_agent_up() { [ -S "$LAB_DIR/dev-$1/state/control" ] && sc_status "$1" >/dev/null 2>&1; }

# Stop it: SIGTERM, or SIGKILL with -9.
sc_agent_stop() {
	local p sig=${2:--TERM}
	p=$(lab_pid "$1" recall-agent) || return 0
	kill "$sig" "$p"
	sc_wait 50 sc_not_running "$p"
}

# recall-agent status --json of device $1 (from inside the device).
sc_status() { lx "$1" "$AGENT" -c "$LAB_DIR/dev-$1/agent.conf" status --json; }
# One field of it: state, notice.id, counters.answers, ...
sc_field() {
	sc_status "$1" 2>/dev/null | python3 -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v.get(k, "") if isinstance(v, dict) else ""
print(v)' "$2"
}
sc_state() { sc_field "$1" state; }
sc_state_is() { [ "$(sc_state "$1")" = "$2" ]; }
# Wait until device $1 is in state $2 (at most $3 seconds, default 10).
sc_wait_state() { sc_wait $((${3:-10} * 10)) sc_state_is "$1" "$2"; }

# Trigger a check-in (SIGUSR1: as on a network attach) and wait until it is answered
# (at most 5 s). Fails if no new answer was accepted.
sc_checkin() {
	local p n
	p=$(lab_pid "$1" recall-agent) || return 1
	n=$(sc_field "$1" counters.answers)
	kill -USR1 "$p"
	sc_wait 50 sc_answers_above "$1" "${n:-0}"
}
sc_answers_above() { [ "$(sc_field "$1" counters.answers)" -gt "$2" ] 2>/dev/null; }

# The quarantine rule is installed in device $1 (IPv4 and IPv6).
sc_has_rules() { lx "$1" ip rule | grep -q 'lookup 7412' && lx "$1" ip -6 rule | grep -q 'lookup 7412'; }

# Probes: quarantined = LAN and check-in address and remedy endpoint reachable, the Internet
# host not (IPv4 and IPv6); open = the Internet host reachable. Each probe is one expectation.
sc_probe_quarantined() {
	local n=$1 w=${2:-$1}
	expect "$w: rule and table in force (IPv4 and IPv6)" sc_has_rules "$n"
	expect "$w: LAN host $LAB_NAS4 answers" lab_reach "$n" "$LAB_NAS4"
	expect "$w: LAN host $LAB_NAS6 answers" lab_reach "$n" "$LAB_NAS6"
	expect "$w: check-in address $LAB_ANYCAST4 answers" lab_reach "$n" "$LAB_ANYCAST4"
	expect "$w: check-in address $LAB_ANYCAST6 answers" lab_reach "$n" "$LAB_ANYCAST6"
	expect "$w: firmware server $LAB_FW4 (remedy endpoint) answers" lab_reach "$n" "$LAB_FW4"
	expect_not "$w: Internet host $LAB_INET4 does not answer" lab_reach "$n" "$LAB_INET4"
	expect_not "$w: Internet host $LAB_INET6 does not answer" lab_reach "$n" "$LAB_INET6"
}
sc_probe_open() {
	local n=$1 w=${2:-$1}
	expect "$w: Internet host $LAB_INET4 answers" lab_reach "$n" "$LAB_INET4"
	expect "$w: Internet host $LAB_INET6 answers" lab_reach "$n" "$LAB_INET6"
	expect_not "$w: no quarantine rule left" sc_any_rule "$n"
}
sc_any_rule() { lx "$1" ip rule | grep -q 'lookup 7412' || lx "$1" ip -6 rule | grep -q 'lookup 7412'; }

# ---------------------------------------------------------------------------------------------
# The lab's devices and the notices that cover them (imported from tests/data by sc_authority).

# vendor|model|hwrev|firmware of device $1, as its firmware reports them.
sc_dev_ident() {
	case $1 in
	fw) echo "Zyxel|ATP100||V5.36(ABPS.0)" ;;     # the fixed build: CVE-2023-28771 is [4.60, 5.36)
	ap) echo "TP-Link|Archer AX21||1.1.3 Build 20221209" ;; # CVE-2023-1389
	cam) echo "PTZOptics|PT30X-NDI||6.3.34" ;;    # CVE-2024-8956
	old) echo "D-Link|DIR-605L|B1|2.06B01" ;;     # CVE-2014-8361 (Realtek SDK)
	tv) echo "Acme|Living Room TV||3.2.1" ;;      # no notice names it
	*) return 1 ;;
	esac
}
# The id of the notice that recalls device $1 (empty: none). Notice ids allow no "%", so the
# importer writes the canonical "%20" of "Archer AX21" as "-".
sc_dev_notice() {
	case $1 in
	ap) echo "CVE-2023-1389:tp-link:archer-ax21" ;;
	cam) echo "CVE-2024-8956:ptzoptics:pt30x-ndi" ;;
	old) echo "CVE-2014-8361:d-link:dir-605l:b1" ;;
	esac
}

# Set up device $1 (namespace already up): identity, agent configuration (check-in addresses
# $2, optional). Does not start the agent.
sc_dev_setup() {
	local v m h f
	IFS='|' read -r v m h f <<<"$(sc_dev_ident "$1")" || return 1
	sc_identity "$1" "$v" "$m" "$h" "$f"
	sc_agent_conf "$1" "${2:-}"
}

# The whole lab for a test: the authority and its feed, the ISP with recalld on a and b, the
# home with the LAN host and devices $@ (DHCP done, agents configured, not started).
sc_world() {
	local d
	say "authority: keys, imported notices, 2-of-3 signatures, feed"
	sc_authority "$LAB_DIR/authority" || return 1
	cp "$LAB_DIR/authority/anchors.cbor" "$LAB_DIR/device-anchors.cbor"
	say "ISP: router, responder nodes a and b on the anycast addresses"
	lab_isp
	say "the log: nginx and witnesses w1, w2 on the Internet host; published and cosigned"
	sc_log_servers || return 1
	sc_log_publish || return 1
	sc_recalld a "$LAB_DIR/authority" || return 1
	sc_recalld b "$LAB_DIR/authority" || return 1
	say "home: NAT gateway with dnsmasq, LAN host, devices: $*"
	lab_home
	for d in "$@"; do lab_device_start "$d"; done
	for d in "$@"; do
		lab_device_wait "$d" || return 1
		sc_dev_setup "$d" || return 1
	done
}

# End of a test: remove the lab, check that no namespace of it is left, print the summary.
# Exits with 0 only if every expectation held.
sc_test_end() {
	SC_GROUP=cleanup
	if [ -z "${LAB_KEEP:-}" ]; then
		lab_down
		expect "no namespace of this lab is left (ip netns list)" [ -z "$(lab_left)" ]
	fi
	sc_summary
	exit $?
}

# Show the last lines of a device's agent log and the node logs (when something failed).
sc_dump() {
	local f
	for f in "$LAB_DIR"/dev-*/agent.log "$LAB_DIR"/isp-*/recalld.log; do
		[ -f "$f" ] || continue
		echo "--- $f (tail)"
		tail -n 15 "$f"
	done
}
