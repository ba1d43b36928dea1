# shellcheck shell=sh
# The tests of recall-conform, sourced by it (the harness, the adapter call `ad`, the probes and
# `result` are defined there). Each result names the PROTOCOL.md clause it checks and the
# regulatory provisions it helps a vendor show (docs/CONFORMANCE.md has the full mapping).
# Every wait is bounded; order matters (a test starts from the state the one before left).

REG_INTEGRITY="EN303645 5.3-2,5.7-1; CRA AnnexI.I(2)(f); NISTIR8425 Software-Update"
REG_QUAR="EN303645 5.3,5.9; CRA AnnexI.I(2)(c),(2)(i), AnnexI.II(2); NISTIR8425 State-Awareness"
REG_DATA="EN303645 5.8,6-1; CRA AnnexI.I(2)(g); NISTIR8425 Data-Protection"
REG_RESIL="EN303645 5.9-1,5.9-2; CRA AnnexI.I(2)(h); NISTIR8425 Software-Update"
REG_OWNER="EN303645 5.11,5.12; CRA AnnexI.I(2)(c); NISTIR8425 Product-Configuration"

# judge EVIDENCE ID CLAUSE REG PASS-TEXT FAIL-PREFIX: pass if EVIDENCE (of failure) is empty.
judge() {
	if [ -z "$1" ]; then
		result "$2" "$3" "$4" pass "$5"
	else
		result "$2" "$3" "$4" fail "$6$1"
	fi
}

# The forgery matrix: mode (recall-conform-responder) and the clause the DUT must enforce.
FORGERIES="wrongkey:8.5 below:8.5 dupkey:8.5 unsigned:8.5 wrongct:8.1,9.4 othervendor:9.3
othermodel:9.3 otherhwrev:9.3 otherfw:9.3 expired:9.4 notyet:9.4 stalenonce:7.1,12.2
wrongnonce:7.1 wrongsrc:4 wrongport:4 truncated:3.4,7.1 oversized:7.2 garbage:3.4"

t_boot() {
	n0=$(lines)
	mode clear
	ad start || { result boot-checkin 12.4 "$REG_RESIL" fail "adapter start failed"; return 1; }
	ADAPTER_UP=1 # read by the runner's cleanup
	export ADAPTER_UP
	# Bound: DHCP (a few s), the stated boot delay, one answer timeout, and 10 s of slack.
	b=$(awk -v d="$BOOT_DELAY" -v t="$T_TIMEOUT" 'BEGIN { printf "%d", (d + t + 15) * 10 }')
	# The first datagram is the boot check-in or, if that one was lost (no address yet), a
	# retry of its episode.
	if wait_lines "$n0" "$b" && since "$n0" | head -n 1 | grep -Eq 'reason=(boot|retry)'; then
		r=$(since "$n0" | head -n 1 | field reason)
		result boot-checkin 12.4 "$REG_RESIL" pass "first check-in ($r) within $((b / 10)) s"
	else
		result boot-checkin 12.4 "$REG_RESIL" fail "no boot check-in within $((b / 10)) s"
		return 1
	fi
	sleep 1
}

t_attach() {
	want attach-checkin || return 0
	n0=$(lines)
	ad link-down
	sleep 0.5
	ad link-up
	dut_v6
	deb=$(info attach-debounce 2)
	b=$(awk -v d="$deb" -v t="$T_TIMEOUT" 'BEGIN { printf "%d", (d + t + 5) * 10 }')
	wait_lines "$n0" "$b"
	# An attach check-in whose datagram found no route yet shows up as its retry: before the
	# flap the DUT had no episode running, so either belongs to the attach.
	if since "$n0" | grep -Eq 'reason=(attach|retry)'; then
		result attach-checkin 12.1,12.2 "$REG_RESIL" pass "attach check-in after a link flap"
	else
		result attach-checkin 12.1,12.2 "$REG_RESIL" fail "no attach check-in within $((b / 10)) s"
	fi
	sleep 0.5
}

# The baseline: a valid recall quarantines, measured by probes. Forgery verdicts mean nothing
# without it, so they fail when it fails.
BASELINE=0
t_quarantine() {
	mode recall
	trigger
	e=$(quarantine_probe)
	if [ -z "$e" ]; then
		BASELINE=1
		result recall-quarantine 9.5,12.3 "$REG_QUAR" pass \
			"quarantined; Internet v4/v6 blocked, LAN v4/v6, check-in v4/v6, remedy reachable"
	else
		result recall-quarantine 9.5,12.3 "$REG_QUAR" fail "$e"
	fi
}

t_dhcp() {
	want quarantine-dhcp-renew || return 0
	ad dhcp-renew
	rc=$?
	[ $rc -eq 3 ] && { result quarantine-dhcp-renew 12.3 "$REG_QUAR" skip "adapter: no dhcp-renew"; return; }
	sleep 1.5
	e=$(quarantine_probe)
	judge "$e" quarantine-dhcp-renew 12.3 "$REG_QUAR" "still quarantined after a DHCP renewal" \
		"after a DHCP renewal: "
}

t_reboot() {
	want quarantine-reboot || return 0
	mode silent # a reboot must re-apply the quarantine from its own state, unanswered
	n0=$(lines)
	ad reboot || { result quarantine-reboot 12.4 "$REG_QUAR" fail "adapter reboot failed"; return; }
	dut_v6
	b=$(awk -v d="$BOOT_DELAY" -v t="$T_TIMEOUT" 'BEGIN { printf "%d", (d + t + 15) * 10 }')
	wait_lines "$n0" "$b"
	sleep 1
	e=$(quarantine_probe)
	judge "$e" quarantine-reboot 12.4 "$REG_QUAR" \
		"quarantined after a reboot with the responder silent" "after a reboot: "
	mode recall
}

t_override() {
	want owner-override || return 0
	ad override on
	rc=$?
	[ $rc -eq 3 ] && { result owner-override 12.5 "$REG_OWNER" skip "adapter: no override"; return; }
	sleep 0.5
	e1=$(quarantined_evidence)
	ad override off
	sleep 1.5
	e2=$(quarantine_probe)
	if [ -z "$e1" ] && [ -z "$e2" ]; then
		result owner-override 12.5 "$REG_OWNER" pass "override lifts the quarantine, clearing it re-applies"
	else
		result owner-override 12.5 "$REG_OWNER" fail "override: ${e1:-ok}; cleared: ${e2:-ok}"
	fi
}

t_release_clear() {
	want release-clear || { release; return 0; }
	mode clear
	trigger
	e=$(quarantined_evidence)
	judge "$e" release-clear 12.5 "$REG_QUAR" "a clear answer released" "after a clear answer: "
}

t_release_firmware() {
	want release-firmware || return 0
	mode recall
	trigger
	e0=$(quarantine_probe)
	mode silent
	n0=$(lines)
	ad set-firmware 1.0.1-conform
	rc=$?
	dut_v6
	[ $rc -eq 3 ] && { release; result release-firmware 12.4,12.5 "$REG_QUAR" skip "adapter: no set-firmware"; return; }
	wait_lines "$n0" 150
	sleep 1
	e=$(quarantined_evidence)
	if [ -n "$e0" ]; then
		result release-firmware 12.4,12.5 "$REG_QUAR" fail "the recall before did not quarantine: $e0"
	elif [ -z "$e" ]; then
		result release-firmware 12.4,12.5 "$REG_QUAR" pass "a firmware change released (responder silent)"
	else
		result release-firmware 12.4,12.5 "$REG_QUAR" fail "after a firmware change: $e"
	fi
	release
}

t_release_expiry() {
	want release-expiry || return 0
	mode short # valid for 4 s
	trigger
	e0=$(quarantined_evidence)
	mode silent
	sleep 5
	e=$(quarantined_evidence)
	if [ -z "$e0" ]; then
		result release-expiry 9.4,12.5 "$REG_QUAR" fail "the short-lived recall did not quarantine"
	elif [ -z "$e" ]; then
		result release-expiry 9.4,12.5 "$REG_QUAR" pass "released at expiry (trusted clock)"
	else
		result release-expiry 9.4,12.5 "$REG_QUAR" fail "after expiry: $e"
	fi
	release
}

# One forgery: the DUT must stay open. evidence names the answers the responder actually sent.
forgery() { # MODE CLAUSE
	id=forgery-$1
	want "$id" || return 0
	n0=$(lines)
	mode "$1"
	trigger
	sent=$(since "$n0" | grep -c " mode=$1 sent=[1-9]")
	e=$(quarantined_evidence)
	if [ "$BASELINE" -ne 1 ]; then
		result "$id" "$2" "$REG_INTEGRITY" fail "baseline recall-quarantine failed: not judged"
	elif [ "$sent" -eq 0 ]; then
		result "$id" "$2" "$REG_INTEGRITY" fail "no check-in was answered with the forgery"
	elif [ -z "$e" ]; then
		result "$id" "$2" "$REG_INTEGRITY" pass "$sent forged answer(s) sent, not acted on"
	else
		result "$id" "$2" "$REG_INTEGRITY" fail "acted on $sent forged answer(s): $e"
	fi
	[ -z "$e" ] || release
}

t_retry() {
	want retry-jitter || return 0
	n0=$(lines)
	mode silent
	trigger
	# The episode the trigger started: a retry of an earlier one may come in before it.
	episode() { since "$n0" | sed -n '/reason=\(attach\|boot\)/,$p'; }
	i=0
	while [ "$(episode | grep -c 'reason=retry')" -lt 6 ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	# Delays after attempt n: the gap minus the answer timeout, in [0, min(cap, base 2^(n-1))];
	# full jitter: their mean over bound near 1/2 (6 samples: 0.1..0.9 is over 3 sigma).
	v=$(episode | sed -n 's/^t=\([^ ]*\).*/\1/p' | head -n 7 | awk -v to="$T_TIMEOUT" -v b="$T_BASE" -v c="$T_CAP" '
		NR > 1 { n = NR - 1; bound = b * 2 ^ (n - 1); if (bound > c) bound = c
			u = (($1 - prev) - to) / bound; sum += u; k++
			if (u < -0.2 || u > 1 + 0.4 / bound) bad = bad sprintf(" attempt %d: %.2f of bound", n, u)
			list = list sprintf(" %.2f", u) }
		{ prev = $1 }
		END { if (k < 6) { print "fail only " k + 0 " retries seen"; exit }
			m = sum / k
			if (bad != "") print "fail out of bounds:" bad
			else if (m < 0.1 || m > 0.9) printf "fail mean %.2f of bound (not full jitter):%s\n", m, list
			else printf "pass %d retries, delay/bound:%s (mean %.2f)\n", k, list, m }')
	result retry-jitter 12.2 "$REG_RESIL" "${v%% *}" "${v#* }"
	mode clear
	trigger
}

t_rotation() {
	want rotation-follow || return 0
	n0=$(lines)
	mode rotate
	trigger
	i=0
	while ! since "$n0" | grep -q 'epoch=2' && [ $i -lt 3 ]; do trigger; i=$((i + 1)); done
	since "$n0" | grep -q 'epoch=2' && ep=yes || ep=no
	e=$(quarantine_probe)
	if [ "$ep" = yes ] && [ -z "$e" ]; then
		result rotation-follow 10.3,10.4 "$REG_INTEGRITY" pass "epoch 2 reported; a recall signed by the new keys quarantines"
	else
		result rotation-follow 10.3,10.4 "$REG_INTEGRITY" fail "epoch 2 reported: $ep; ${e:-quarantined}"
	fi
	release
}

t_rotation_attack() { # MODE ID
	want "$2" || return 0
	n0=$(lines)
	ep0=$(tail -n 1 "$W/resp.log" | field epoch)
	mode "$1"
	trigger # a rotation statement (wrong epoch, valid signatures)
	trigger # a recall signed by the keys that statement named
	ep1=$(tail -n 1 "$W/resp.log" | field epoch)
	e=$(quarantined_evidence)
	if [ "$ep1" = "$ep0" ] && [ -z "$e" ]; then
		result "$2" 10.3 "$REG_INTEGRITY" pass "epoch stays $ep0; the attacker's recall not acted on"
	else
		result "$2" 10.3 "$REG_INTEGRITY" fail "epoch $ep0 -> $ep1; ${e:-not quarantined}"
	fi
	[ -z "$e" ] || release
}

# Judged from every check-in of the run.
t_datagrams() {
	all=$W/final.log
	cp "$W/resp.log" "$all" # a snapshot: the DUT may still be sending
	tot=$(wc -l <"$all")
	if want checkin-size; then
		b=$(grep -vc ' len=1200 ok=1 ' "$all")
		[ "$b" -eq 0 ] && b='' || b="$b of $tot check-ins"
		judge "$b" checkin-size 4,6.2 "$REG_DATA" "$tot check-ins, all 1200 bytes and well-formed" \
			"not 1200 bytes or malformed: "
	fi
	if want checkin-identity && [ "$DUT_MODE" = private ]; then
		result checkin-identity 5,6.1 "$REG_DATA" skip "private mode: no identity (private-wire)"
	elif want checkin-identity; then
		# Strict decoding (6.1) admits no other field; the identity must be the stated one and
		# the same in every check-in but for the firmware version.
		d=$(grep ' ok=1 ' "$all" | sed 's/.* vendor=\([^ ]*\) model=\([^ ]*\) hwrev=\([^ ]*\) .* sender=\([^ ]*\) .*/\1 \2 \3 \4/' | sort -u)
		want_id="$(info vendor '*') $(info model '*') $(info hwrev '*') 0"
		ok=1
		[ "$(echo "$d" | wc -l)" -eq 1 ] || ok=0
		# shellcheck disable=SC2254 # the stated identity may be a pattern ("*": not stated)
		case $d in $want_id) ;; *) ok=0 ;; esac
		[ $ok -eq 1 ] && ok='' || ok="$(echo "$d" | tr '\n' ';') expected $want_id"
		judge "$ok" checkin-identity 5,6.1 "$REG_DATA" "only the identity ($d) and protocol fields" \
			"identities seen: "
	fi
	if want nonce-fresh; then
		nn=$(field nonce <"$all" | wc -l)
		nu=$(field nonce <"$all" | sort -u | wc -l)
		# 128 bits a nonce: the share of one bits over all nonces must be near 1/2 (at 8 nonces,
		# 1024 bits, 0.4..0.6 is over 6 sigma).
		bits=$(field nonce <"$all" | awk '
			BEGIN { for (i = 0; i < 16; i++) c[sprintf("%x", i)] = (i % 2) + int(i / 2) % 2 + int(i / 4) % 2 + int(i / 8) }
			{ for (i = 1; i <= length($1); i++) ones += c[substr($1, i, 1)]; all += 4 * length($1) }
			END { printf "%.3f", all ? ones / all : 0 }')
		if [ "$nn" -lt 8 ]; then
			result nonce-fresh 6.1,12.2 "$REG_INTEGRITY" fail "only $nn check-ins seen"
		elif [ "$nu" -ne "$nn" ]; then
			result nonce-fresh 6.1,12.2 "$REG_INTEGRITY" fail "$((nn - nu)) repeated nonces in $nn check-ins"
		elif awk -v b="$bits" 'BEGIN { exit !(b < 0.4 || b > 0.6) }'; then
			result nonce-fresh 6.1,12.2 "$REG_INTEGRITY" fail "share of one bits $bits over $nn nonces"
		else
			result nonce-fresh 6.1,12.2 "$REG_INTEGRITY" pass "$nn nonces, all distinct, share of one bits $bits"
		fi
	fi
}

# Every test after boot, for the report of a DUT that never checked in.
LATER="attach-checkin recall-quarantine quarantine-dhcp-renew quarantine-reboot owner-override
release-clear retry-jitter release-firmware release-expiry rotation-follow rotation-replay
rotation-epoch-skip checkin-size checkin-identity nonce-fresh"

run_tests() {
	if ! t_boot; then
		for t in $LATER $TIME_TESTS $LOG_TESTS $PRIVATE_TESTS $(for f in $FORGERIES; do echo "forgery-${f%%:*}"; done); do
			want "$t" && result "$t" - - fail "not run: no check-in after start"
		done
		return 0
	fi
	t_attach
	t_quarantine
	t_dhcp
	t_reboot
	t_override
	t_release_clear
	for f in $FORGERIES; do forgery "${f%%:*}" "${f#*:}"; done
	t_private # tests_private.sh: the walk, release, and the private forgeries
	t_retry
	t_release_firmware
	t_release_expiry
	t_rotation
	t_rotation_attack rotreplay rotation-replay
	t_rotation_attack epochskip rotation-epoch-skip
	t_time # tests_time.sh: the DUT's clock moves ahead from here on
	t_log  # tests_log.sh: the DUT keeps the logged anchor set
	t_datagrams
	t_private_wire
}
