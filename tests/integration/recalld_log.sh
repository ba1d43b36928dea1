#!/bin/sh
# recalld with a transparency log (transparency-log = DIR): a log made by `recall log create`
# and `append`, cosigned by 2 of the 3 witnesses of the anchor set's log policy (deterministic
# test witness keys, `recalld-probe cosign`). Proof requests for logged notices get a proof
# answer that verifies (rc_logproof_verify: log signature, quorum, path to the notice); for
# unlogged notices or unknown leaves retry-later; `recall query --anchors` (the device-side
# check) accepts the logged recall and refuses the unlogged one. A forked and a rolled-back
# log are refused (metric, "log fork"/"log rollback" line naming sizes and roots) and the
# proofs of the last consistent log stay served; a checkpoint with a bad signature or without quorum is refused
# and counted. Bounded: every wait is at most 5 s.
. "${RECALL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/helpers/probe/recalld_lib.sh"
RT=$B/tools/recall
[ -x "$RT" ] || fail "no $RT"
cd "$T"
ORIGIN=example.org/recall-log
"$RT" keygen logkey >/dev/null 2>&1 || fail "keygen logkey"
"$RT" keygen other >/dev/null 2>&1 || fail "keygen other"
"$PROBE" fixture "$T" -n 6 -L logkey.pub -O $ORIGIN -W 3 -Q 2 || fail "fixture"
"$RT" log create --origin $ORIGIN --key logkey.key tlog >/dev/null || fail "log create"
append() { # append DIR NOTICE...: append, then witnesses 0 and 1 cosign
	_d=$1
	shift
	"$RT" log append --key logkey.key --anchors anchors "$_d" "$@" >/dev/null ||
		fail "log append $*"
	"$PROBE" cosign "$_d/checkpoint" -w 0 -w 1 || fail "cosign"
}
append tlog n1.notice n2.notice n3.notice
mkdir state
write_conf "transparency-log = $T/tlog" "state-dir = $T/state" "ratelimit = no" "feed-poll = 0"
"$RECALLD" -t -c recalld.conf >t.out 2>&1 || fail "recalld -t: $(cat t.out)"
[ ! -e state/log-checkpoint ] || fail "recalld -t wrote the state"
start_recalld

check() { # check NAME VALUE [LABEL]
	[ "$(metric "$1" "${3:-}")" = "$2" ] || fail "$1 ${3:-} is $(metric "$1" "${3:-}"), not $2"
}
# proof N EXPECT [COUNT]: proof requests for nN.notice, every answer of kind EXPECT
proof() {
	_o=$("$PROBE" send -p "$PORT" -k proof -N "n$1.notice" -A anchors -x "$2" -n "${3:-3}") ||
		fail "proof request for n$1: $_o"
	[ "$2" != proof ] || [ "$(field proof "$_o")" = "${3:-3}" ] || fail "n$1: $_o"
}
hup() { # hup RESULT N: SIGHUP, then until the log loads with RESULT number N
	kill -HUP "$RD_PID"
	wait_metric "recalld_log_loads_total{result=\"$1\"}" "$2"
}

check recalld_log_size 3
check recalld_log_witnesses 2
check recalld_log_quorum 2
check recalld_notice_unlogged 3
check 'recalld_log_loads_total{result="ok"}' 1
cmp -s state/log-checkpoint tlog/checkpoint || fail "checkpoint not kept in state-dir"
grep -q "checkpoint of size 3 accepted (2 witnesses, quorum 2); proofs for 3 of 6" log ||
	fail "no accepted line"

proof 1 proof 5
proof 3 proof
proof 4 retry 2
_o=$("$PROBE" send -p "$PORT" -k proof -l "$(printf '%064d' 0)" -x retry -n 1) || fail "$_o"
check recalld_proof_requests_total 11
check recalld_answers_total 8 'kind="proof"'
check recalld_proof_unanswered_total 3 'reason="unknown"'
# check-ins as before
_o=$("$PROBE" send -p "$PORT" -m cam-1 -f 1.2.3 -x recalled -A anchors -n 3) || fail "$_o"
# proof requests are events
_w=0
while [ "$(grep -c '"event":"proof_request"' events.jsonl 2>/dev/null)" != 11 ]; do
	_w=$((_w + 1))
	[ $_w -lt 100 ] || fail "proof events: $(grep -c proof_request events.jsonl)"
	sleep 0.05
done
grep '"result":"proof"' events.jsonl | grep -q '"notice":"RC-TEST-1"' || fail "proof event"
[ "$(grep -c '"result":"unknown"' events.jsonl)" = 3 ] || fail "unknown events"
# recall query acts as a device does: a logged recall is valid, an unlogged one is not
rc=0
"$RT" query -p "$PORT" --vendor acme --model cam-1 --fwver 1.2.3 --anchors anchors 127.0.0.1 \
	>q.out 2>&1 || rc=$?
[ $rc = 3 ] || fail "recall query, logged recall: exit $rc: $(cat q.out)"
rc=0
"$RT" query -p "$PORT" --vendor acme --model cam-4 --fwver 1.2.3 --anchors anchors 127.0.0.1 \
	>q.out 2>&1 || rc=$?
[ $rc = 4 ] || fail "recall query, unlogged recall: exit $rc: $(cat q.out)"

# A longer log: n4 gets its proof.
append tlog n4.notice
cp -r tlog good4
hup ok 2
check recalld_log_size 4
proof 4 proof

# Fork: a log that shows other history (n5 where n3 was), larger than the one kept.
"$RT" log create --origin $ORIGIN --key logkey.key fork >/dev/null || fail "log create fork"
append fork n1.notice n2.notice n5.notice n3.notice n4.notice
rm -rf tlog && cp -r fork tlog
hup inconsistent 1
check recalld_log_inconsistent_total 1
check recalld_log_size 4
grep -q "log fork: size 5 root .* is not consistent with the checkpoint kept, size 4 root" log ||
	fail "no fork line"
proof 4 proof
proof 1 proof
proof 5 retry 1
cmp -s state/log-checkpoint good4/checkpoint || fail "the fork replaced the kept checkpoint"

# Rollback: the honest log cut back to 2 entries.
"$RT" log create --origin $ORIGIN --key logkey.key back >/dev/null || fail "log create back"
append back n1.notice n2.notice
rm -rf tlog && cp -r back tlog
hup inconsistent 2
grep -q "log rollback: size 2 root .* size 4 root" log || fail "no rollback line"
proof 4 proof

# A checkpoint not signed by the log key, one cosigned by one witness (and one not in the
# anchor set): refused, counted, old proofs kept.
rm -rf tlog && cp -r good4 tlog
"$RT" log create --origin $ORIGIN --key other.key forged >/dev/null || fail "forged"
cp forged/checkpoint tlog/checkpoint
hup signature 1
"$RECALLD" -t -c recalld.conf >t.out 2>&1 && fail "recalld -t accepts a forged checkpoint"
grep -q "refused (signature)" t.out || fail "recalld -t: $(cat t.out)"
rm -rf tlog && cp -r good4 tlog
"$RT" log create --origin $ORIGIN --key logkey.key weak >/dev/null || fail "log create weak"
"$RT" log append --key logkey.key --anchors anchors weak n1.notice n2.notice n3.notice \
	n4.notice n6.notice >/dev/null || fail "append weak"
"$PROBE" cosign weak/checkpoint -w 0 -w 5 || fail "cosign weak"
rm -rf tlog && cp -r weak tlog
hup quorum 1
grep -q "refused (quorum): .*1 valid witness cosignatures, the quorum is 2" log ||
	fail "no quorum line"
check recalld_log_size 4
proof 4 proof
proof 6 retry 1

# With feed-poll on, a new checkpoint alone reloads.
sed -i 's/^feed-poll = 0$/feed-poll = 1s/' recalld.conf
hup quorum 2
"$PROBE" cosign tlog/checkpoint -w 2 || fail "cosign w2"
wait_metric recalld_log_size 5
proof 6 proof
check recalld_notice_unlogged 1
cmp -s state/log-checkpoint tlog/checkpoint || fail "new checkpoint not kept"
stop_recalld
echo "ok"
