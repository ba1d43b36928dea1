# shellcheck shell=sh
# The log requirement (PROTOCOL.md 12.7), sourced by recall-conform after tests.sh: under an
# anchor set that names a log policy (10.1) the DUT acts on a recall only with a valid log proof
# (7.8). The DUT is first rotated (honest statements, 10.3) to the suite's logged set, epoch 3;
# then a recall with an honest proof must quarantine, and recalls whose proof is missing, for
# another entry, cosigned below the quorum, or stale must not. recall-conform-responder logs
# the proof requests it receives to $W/resp.log.proof. Run last: the DUT keeps the logged set.

REG_LOG="EN303645 5.3-2,5.7-1; CRA AnnexI.I(2)(f),(2)(k); NISTIR8425 Software-Update"
LOG_FORGERIES="lognone:missing logother:other-leaf logbelow:below-quorum logstale:stale"
LOG_TESTS="log-proof-valid log-proof-missing log-proof-other-leaf log-proof-below-quorum log-proof-stale"

plines() { if [ -f "$W/resp.log.proof" ]; then wc -l <"$W/resp.log.proof"; else echo 0; fi; }

# log_rotate: follow the honest rotations to epoch 3 (the logged set); 0 if the DUT did.
log_rotate() {
	mode rotlog
	i=0
	while [ $i -lt 4 ]; do
		trigger
		[ "$(tail -n 1 "$W/resp.log" | field epoch)" = 3 ] && return 0
		i=$((i + 1))
	done
	return 1
}

t_log() {
	w=0
	for t in $LOG_TESTS; do want "$t" && w=1; done
	[ $w -eq 1 ] || return 0
	if ! log_rotate; then
		ep=$(tail -n 1 "$W/resp.log" | field epoch)
		for t in $LOG_TESTS; do
			want "$t" && result "$t" 12.7 "$REG_LOG" fail \
				"not judged: the rotation to the logged anchor set (epoch 3) was not followed (epoch $ep)"
		done
		release
		return
	fi
	# Honest: a recall, the DUT's proof request, a proof that verifies.
	p0=$(plines)
	mode logok
	trigger
	i=0
	while [ "$(state)" != quarantined ] && [ $i -lt 5 ]; do sleep 0.5; i=$((i + 1)); done
	e=$(quarantine_probe)
	asked=$(tail -n +"$((p0 + 1))" "$W/resp.log.proof" 2>/dev/null | grep -c ' ok=1 .* match=1 ')
	LOG_BASE=0
	if [ "$asked" -eq 0 ]; then
		e="no proof request for the notice sent; $e"
	elif [ -z "$e" ]; then
		LOG_BASE=1
	fi
	want log-proof-valid && judge "$e" log-proof-valid 12.7,7.8 "$REG_LOG" \
		"$asked proof request(s); quarantined with a valid proof" "with a valid proof: "
	release
	for f in $LOG_FORGERIES; do log_forgery "${f%%:*}" "log-proof-${f#*:}"; done
	release
}

# log_forgery MODE ID: a valid recall whose proof is forged (or missing): the DUT stays open.
log_forgery() {
	want "$2" || return 0
	p0=$(plines)
	mode "$1"
	trigger
	sleep 1.5 # the proof exchange after the recalled answer
	reqs=$(tail -n +"$((p0 + 1))" "$W/resp.log.proof" 2>/dev/null | grep -c ' ok=1 ')
	sent=$(tail -n +"$((p0 + 1))" "$W/resp.log.proof" 2>/dev/null | grep -c ' sent=[1-9]')
	e=$(quarantined_evidence)
	if [ "$LOG_BASE" -ne 1 ]; then
		result "$2" 12.7 "$REG_LOG" fail "baseline log-proof-valid failed: not judged"
	elif [ -z "$e" ] && [ "$1" = lognone ]; then
		result "$2" 12.7 "$REG_LOG" pass "$reqs proof request(s) unanswered, the recall not acted on"
	elif [ -z "$e" ] && [ "$sent" -eq 0 ]; then
		result "$2" 12.7 "$REG_LOG" fail "no proof request was answered with the forgery"
	elif [ -z "$e" ]; then
		result "$2" 12.7 "$REG_LOG" pass "$sent forged proof(s) sent, the recall not acted on"
	else
		result "$2" 12.7 "$REG_LOG" fail "acted on the recall ($reqs proof request(s), $sent forged proof(s)): $e"
	fi
	[ -z "$e" ] || release
}
