#!/bin/sh
# recalld serves the inclusion proofs of the rotation statements it offers (PROTOCOL.md 10.3): a
# device on a logged anchor set that is answered *rotate* asks for the statement's proof at its
# own epoch and gets a proof answer that verifies under that set (recalld-probe -N STATEMENT
# -A anchors-E: log signature, witness quorum, path to the statement's bytes); a statement not in
# the log gets retry-later, never the rotate answer again; once appended (and cosigned), a reload
# serves its proof too. Log made by `recall log create` and `append` (statements judged from
# the epoch-0 set on). Bounded: every wait is at most 5 s.
. "${RECALL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/helpers/probe/recalld_lib.sh"
RT=$B/tools/recall
[ -x "$RT" ] || fail "no $RT"
cd "$T"
ORIGIN=example.org/recall-log
"$RT" keygen logkey >/dev/null 2>&1 || fail "keygen logkey"
# epoch 2 served, statements rot-0 (0 -> 1) and rot-1 (1 -> 2); every set names the log
"$PROBE" fixture "$T" -n 2 -E 2 -R -L logkey.pub -O $ORIGIN -W 3 -Q 2 || fail "fixture"
"$RT" log create --origin $ORIGIN --key logkey.key tlog >/dev/null || fail "log create"
"$RT" log append --key logkey.key --anchors anchors-0 tlog rot-0 >/dev/null ||
	fail "log append rot-0"
"$PROBE" cosign tlog/checkpoint -w 0 -w 1 || fail "cosign"
mkdir state
write_conf "transparency-log = $T/tlog" "state-dir = $T/state" "ratelimit = no" "feed-poll = 0" \
	"rotation = $T/rot-0" "rotation = $T/rot-1"
start_recalld
grep -q "checkpoint of size 1 accepted (2 witnesses, quorum 2); proofs for 0 of 2 notices, 0 in the log but too large; for 1 of 2 rotation statements" log ||
	fail "no accepted line: $(grep transparency log)"

# A device at epoch 0 is offered rot-0, then asks for its proof at epoch 0.
_o=$("$PROBE" send -p "$PORT" -E 0 -x rotate -n 1) || fail "check-in at epoch 0: $_o"
_o=$("$PROBE" send -p "$PORT" -k proof -N rot-0 -A anchors-0 -E 0 -x proof -n 3) ||
	fail "proof of rot-0: $_o"
case $_o in *" proof=3 badproof=0 "*) ;; *) fail "proof of rot-0: $_o" ;; esac
# rot-1 is not logged: retry-later (the device stays on epoch 1)
_o=$("$PROBE" send -p "$PORT" -E 1 -x rotate -n 1) || fail "check-in at epoch 1: $_o"
_o=$("$PROBE" send -p "$PORT" -k proof -N rot-1 -A anchors-1 -E 1 -x retry -n 2) ||
	fail "rot-1 unlogged: $_o"
# and so no proof answer for it
"$PROBE" send -p "$PORT" -k proof -N rot-1 -A anchors-1 -E 1 -x proof -n 1 >/dev/null &&
	fail "a proof for the unlogged rot-1"

# Appended (judged by the epoch-1 set rot-0 leads to) and cosigned: after a reload, its proof.
"$RT" log append --key logkey.key --anchors anchors-1 tlog rot-1 >/dev/null ||
	fail "log append rot-1"
"$PROBE" cosign tlog/checkpoint -w 1 -w 2 || fail "cosign 2"
kill -HUP "$RD_PID"
wait_metric recalld_log_size 2
_o=$("$PROBE" send -p "$PORT" -k proof -N rot-1 -A anchors-1 -E 1 -x proof -n 2) ||
	fail "proof of rot-1: $_o"
case $_o in *" proof=2 badproof=0 "*) ;; *) fail "proof of rot-1: $_o" ;; esac
_o=$("$PROBE" send -p "$PORT" -k proof -N rot-0 -A anchors-0 -E 0 -x proof -n 1) ||
	fail "proof of rot-0 after the reload: $_o"
stop_recalld
echo "ok"
