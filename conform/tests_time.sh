# shellcheck shell=sh
# The timed tests of recall-conform, sourced by it after tests.sh: the regular check-ins
# (periodic, recheck) and expiry, run in accelerated time through the adapter's set-clock verb
# (docs/CONFORMANCE.md, "Adapter protocol"). The DUT's clock only moves forward, so these run
# after every other test but the log tests; CLOCK_OFF is how far it is ahead of the suite's, and
# mode() passes it to the responder, whose notices and cosignatures follow the DUT's time.

# The intervals as configured in the DUT (PROTOCOL.md 12.2 defaults: 30 days, 1 hour).
T_PERIODIC=$(info periodic 2592000) T_RECHECK=$(info recheck 3600)
CLOCK_OFF=0
CLOCK_OK=unknown # yes once set-clock worked, no if the adapter does not support it

# advance FRACTION INTERVAL: set the DUT's clock forward by FRACTION * INTERVAL seconds.
advance() {
	s=$(awk -v f="$1" -v i="$2" 'BEGIN { printf "%d", f * i }')
	ad set-clock "+$s"
	rc=$?
	[ $rc -eq 3 ] && CLOCK_OK=no
	[ $rc -eq 0 ] || return $rc
	CLOCK_OFF=$((CLOCK_OFF + s))
	CLOCK_OK=yes
}

# regular ID REASON INTERVAL CLAUSE REG: after an episode just ended, no check-in until the
# interval less 10 % (checked at 0.88), one with REASON by the interval plus 10 % (at 1.12).
# The real time since the episode ended (a few seconds) is far inside the 2 % margins.
regular() {
	n0=$(lines)
	advance 0.88 "$3"
	rc=$?
	if [ $rc -eq 3 ]; then
		result "$1" "$4" "$5" skip "adapter: no set-clock (not testable)"
		return 1
	elif [ $rc -ne 0 ]; then
		result "$1" "$4" "$5" fail "adapter set-clock failed (exit $rc)"
		return 1
	fi
	sleep 2
	early=$(since "$n0" | field reason | head -n 1)
	advance 0.24 "$3"
	wait_lines "$n0" 50
	sleep 0.5
	got=$(since "$n0" | field reason | tr '\n' ' ')
	if [ -n "$early" ]; then
		result "$1" "$4" "$5" fail "a check-in ($early) at 0.88 of the $3 s interval, before its lower bound 0.9"
	elif since "$n0" | head -n 1 | grep -q "reason=$2 "; then
		result "$1" "$4" "$5" pass "none at 0.88 of the $3 s interval, $2 by 1.12 (seen: $got)"
	else
		result "$1" "$4" "$5" fail "no $2 check-in by 1.12 of the $3 s interval (seen: ${got:-none})"
	fi
}

t_recheck() {
	want recheck || return 0
	mode recall
	trigger
	e=$(quarantine_probe)
	if [ -n "$e" ]; then
		result recheck 12.1,12.2,12.3 "$REG_QUAR" fail "the recall did not quarantine: $e"
		release
		return
	fi
	regular recheck recheck "$T_RECHECK" 12.1,12.2,12.3 "$REG_QUAR"
	release
}

# Expiry by the clock: the DUT's clock reaches the notice's expiry (7 days after it was signed,
# recall-conform-responder) while the responder is silent.
t_expiry_clock() {
	want release-expiry-clock || return 0
	[ "$CLOCK_OK" = no ] && {
		result release-expiry-clock 9.4,12.5 "$REG_QUAR" skip "adapter: no set-clock (not testable)"
		return
	}
	mode recall
	trigger
	signed=$(($(date +%s) + CLOCK_OFF))
	e0=$(quarantine_probe)
	mode silent
	# 10 minutes before the expiry (as the DUT counts): still quarantined.
	d=$((signed + 7 * 86400 - 600 - $(date +%s) - CLOCK_OFF))
	advance 1 "$d"
	rc=$?
	if [ $rc -eq 3 ]; then
		result release-expiry-clock 9.4,12.5 "$REG_QUAR" skip "adapter: no set-clock (not testable)"
		release
		return
	fi
	sleep 1.5
	e1=$(quarantine_probe)
	advance 1 1200 # 10 minutes after it
	sleep 1.5
	e2=$(quarantined_evidence)
	if [ -n "$e0" ]; then
		result release-expiry-clock 9.4,12.5 "$REG_QUAR" fail "the recall did not quarantine: $e0"
	elif [ -n "$e1" ]; then
		result release-expiry-clock 9.4,12.5 "$REG_QUAR" fail "released before the expiry: $e1"
	elif [ -n "$e2" ]; then
		result release-expiry-clock 9.4,12.5 "$REG_QUAR" fail "not released 10 min after the expiry: $e2"
	else
		result release-expiry-clock 9.4,12.5 "$REG_QUAR" pass \
			"quarantined 10 min before the expiry, released 10 min after (set-clock)"
	fi
	release
}

t_periodic() {
	want periodic || return 0
	mode clear
	trigger
	regular periodic periodic "$T_PERIODIC" 12.1,12.2,12.3 "$REG_RESIL"
}

# shellcheck disable=SC2034 # read by run_tests (tests.sh)
TIME_TESTS="recheck release-expiry-clock periodic"

t_time() {
	t_recheck
	t_expiry_clock
	t_periodic
}
