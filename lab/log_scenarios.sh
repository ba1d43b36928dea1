# shellcheck shell=bash
# The log's scenarios (issue 11), shared by lab/demo (steps 11 to 13) and tests/netns/lab_log.sh
# (sourced by lab/scenario.sh). Each is narrated and checked with `expect`; they run in this
# order (the fork needs the log to have moved on since the attacker's copy). Needs the world of
# sc_world or of the demo: authority, log servers, nodes a and b with the log, the home with nas.

# (c) `recall log monitor`, run by anyone (here on the home's LAN host nas) against the nginx
# URL, shows every notice as it is appended. The authority then publishes its held-back notice.
sc_scen_monitor() {
	local A=$LAB_DIR/authority M=$LAB_DIR/monitor n rc size
	mkdir -p "$M"
	size=$(sed -n 2p "$A/log-host/log/checkpoint")
	say "nas runs recall log monitor on $SC_LOG_URL (verifier key and anchors: public):"
	sc_monitor nas "$M/state"
	rc=$?
	head -n 3 "$M/out" | say_block
	echo "... ($(wc -l <"$M/out") lines)" | say_block
	expect "the first pass prints all $size entries, each meeting its threshold (exit 3)" \
		[ "$rc/$(grep -c 'threshold met' "$M/out")" = "3/$size" ]
	sc_monitor nas "$M/state"
	expect "a second pass finds nothing new (exit 0)" [ $? = 0 ]

	say "the authority publishes a new notice: appended to the log by the offline log host,"
	say "cosigned by w1 and w2, added to the feed; nodes a and b fetch both"
	cp -a "$A/log-host/log" "$A/log-before-late" # what an attacker with the log key keeps
	expect "the held-back notice is appended, published and cosigned" sc_log_late
	sc_monitor nas "$M/state"
	rc=$?
	say_block <"$M/out"
	expect "the monitor shows exactly that notice, at index $size (exit 3)" \
		[ "$rc/$(wc -l <"$M/out")/$(grep -c "^$size notice $SC_LATE_ID " "$M/out")" = "3/1/1" ]
	for n in a b; do
		expect "node $n serves it with its proof (log size $((size + 1)), no notice unlogged)" \
			sc_wait 50 sc_node_log_is "$n" $((size + 1)) 0
	done
}
# recall log monitor from namespace $1 with state file $2: output in $LAB_DIR/monitor/out.
sc_monitor() {
	lx "$1" "$RECALL" log monitor --vkey-file "$LAB_DIR/authority/log.vkey" --state "$2" \
		--anchors "$LAB_DIR/authority/anchors.cbor" --once "$SC_LOG_URL" \
		>"$LAB_DIR/monitor/out" 2>"$LAB_DIR/monitor/err"
}
# Node $1 serves the log of size $2 and $3 notices without a proof.
sc_node_log_is() {
	[ "$(sc_metric "$1" "recalld_log_size ")/$(sc_metric "$1" "recalld_notice_unlogged ")" = "$2/$3" ]
}
# The authority's held-back notice: log, publish, witness, feed, both nodes.
sc_log_late() {
	local A=$LAB_DIR/authority n
	local f
	f=$(ls "$A"/late/*.notice) || return 1
	sc_q "$RECALL" log append --key "$A/log-host/log.key" --anchors "$A/anchors.cbor" \
		"$A/log-host/log" "$f" && mv "$f" "$A/signed/" && sc_log_publish &&
		sc_q "$RECALL" feed build -k "$A/feed-host/feed.key" -a "$A/anchors.cbor" -o "$A/feed" \
			--valid 7d "$A/signed" || return 1
	for n in a b; do
		sc_log_fetch "$n" && sc_node_feed "$n" "$A/feed" || return 1
	done
}
# Give node $1 the feed file $2 (recalld notices the change within feed-poll).
sc_node_feed() {
	cp "$2" "$LAB_DIR/isp-$1/feed.tmp" && mv "$LAB_DIR/isp-$1/feed.tmp" "$LAB_DIR/isp-$1/feed"
}

# (a) An attacker holding k = 2 authority keys (1 and 3) signs a recall of device $1 and does
# not log it; the rogue node m serves it with a better route. The device verifies the notice,
# asks m for its proof, gets retry-later, and does not act.
sc_scen_unlogged() {
	local d=$1 R=$LAB_DIR/stolen v m f u0 q
	IFS="|" read -r v m _ f <<<"$(sc_dev_ident "$d")"
	mkdir -p "$R"
	expect "the attacker signs UNLOGGED-1 for $d with authority keys 1 and 3: it meets the threshold" \
		sc_stolen_notice "$R" "UNLOGGED-1:$v:$m:$f"
	lab_node m
	expect "rogue recalld on node m serves it (the real anchor set, a feed key of its own)" \
		sc_recalld m "$R"
	lab_anycast_announce m
	say "node m announces the anycast addresses with the best route (metric 5)"
	u0=$(sc_field "$d" counters.unlogged)
	kill -USR1 "$(lab_pid "$d" recall-agent)"
	expect "$d: valid recall, proof asked for, m has none (retry-later)" sc_wait 50 unlogged_above "$d" "$u0"
	grep -E 'UNLOGGED-1|not acted on' "$LAB_DIR/dev-$d/agent.log" | tail -n 2 | cut -c1-200 | say_block
	expect "$d: its log says why: not logged" grep -q 'recall not acted on: not logged' "$LAB_DIR/dev-$d/agent.log"
	expect "$d: not quarantined (state $(sc_state "$d"): a retry of the proof request later)" \
		sc_not_acted "$d"
	sc_probe_open "$d"
	expect_not "$d: the owner was not told of any recall" grep -qs recalled "$LAB_DIR/dev-$d/owner.log"
	say "recall query from $d's namespace, as a device checks:"
	lx "$d" "$RECALL" query --vendor "$v" --model "$m" --fwver "$f" -a "$LAB_DIR/device-anchors.cbor" \
		"$LAB_ANYCAST4" >"$LAB_DIR/q-unlogged.out" 2>&1
	q=$?
	grep -E 'id  |VERDICT|LOG' "$LAB_DIR/q-unlogged.out" | cut -c1-160 | say_block
	expect "recall query: valid but not logged, not to be acted on (exit 4)" \
		[ "$q/$(grep -c 'not logged' "$LAB_DIR/q-unlogged.out")" = 4/1 ]
	sc_metrics m | grep -E '^recalld_(notice_unlogged|proof_requests_total|answers_total\{.*kind="(recalled|retry_later)")' | say_block
	expect "node m got the proof requests (fw's and the query's) and had no proof to send" \
		sc_no_proof_sent m 2
	lab_anycast_withdraw m
	sc_recalld_stop m
	say "m's route is gone"
	expect "$d: its next check-in is answered clear by node a" sc_checkin "$d"
	expect "$d: idle" sc_wait_state "$d" idle 5
}
# sc_stolen_notice DIR ID:VENDOR:MODEL:FWVER: a notice signed by authority keys 1 and 3 and a
# feed of it under a feed key of the attacker's (devices do not check feed keys). The feed also
# carries the genuine notices, as an attacker who wants to stay unseen serves them: without them
# node m would answer a quarantined device's recheck with *clear* and lift its quarantine (an
# unsigned clear does that, SECURITY.md; lab_rogue shows it), and which device rechecks while m
# holds the route depends on timing.
sc_stolen_notice() {
	local R=$1 A=$LAB_DIR/authority id v m fw
	IFS=: read -r id v m fw <<<"$2"
	(cd "$R" && sc_q "$RECALL" keygen feed) || return 1
	cp "$A/anchors.cbor" "$R/"
	sc_rogue_json "$id" "$v" "$m" "$fw" >"$R/$id.json"
	sc_q "$RECALL" notice create -o "$R/$id.notice" "$R/$id.json" &&
		sc_q "$RECALL" notice sign -k "$A/machine-1/key1.key" "$R/$id.notice" &&
		sc_q "$RECALL" notice sign -k "$A/machine-3/key3.key" "$R/$id.notice" &&
		sc_q "$RECALL" notice verify -a "$A/anchors.cbor" "$R/$id.notice" &&
		sc_q "$RECALL" feed build -k "$R/feed.key" -a "$R/anchors.cbor" -o "$R/feed" --valid 1d \
			"$R/$id.notice" "$A"/signed/*.notice
}

# (b) The attacker also holds the log key and the feed key: a copy of the log from before the
# last notice gets a secret recall of device $1 instead (a fork: same size, another root),
# shown to node b only (nginx picks the view by client address) with a feed that carries it.
sc_scen_fork() {
	local d=$1 F=$LAB_DIR/fork A=$LAB_DIR/authority v m f w rc size u0 l0
	IFS='|' read -r v m _ f <<<"$(sc_dev_ident "$d")"
	size=$(sed -n 2p "$A/log-host/log/checkpoint")
	expect "the attacker's fork: SECRET-1 for $d appended to the log as it was at size $((size - 1))" \
		sc_fork_authority "$F" "$A/log-before-late" "SECRET-1:$v:$m:$f"
	say "both logs now have $size entries; entry $((size - 1)) differs:"
	{
		echo "published: $(sed -n 3p "$A/log-host/log/checkpoint")"
		echo "fork:      $(sed -n 3p "$F/log/checkpoint")"
	} | say_block
	say "the attacker asks w1 and w2 to cosign the fork (recall log witness):"
	sc_log_witness "$F/log"
	rc=$?
	say_block <"$LAB_DIR/witness-client.log"
	expect "both witnesses refuse to cosign the fork (HTTP 422, recall log witness fails)" \
		[ "$rc/$(grep -c 'HTTP 422' "$LAB_DIR/witness-client.log")" = 1/2 ]
	expect_not "no cosignature of the fork" grep -q 'cosigned size' "$LAB_DIR/witness-client.log"
	for w in w1 w2; do
		expect "$w kept the evidence (the fork next to what it cosigned)" \
			test -n "$(ls "$LAB_DIR/$w/state/evidence/" 2>/dev/null)"
	done
	lx inet curl -sf "http://$LAB_W1:7414/metrics" | grep -E '^recall_witness_(fork|cosigned)_total' | say_block

	say "the log server shows node b the fork, and b's feed gets the secret notice:"
	mkdir -p "$LAB_DIR/www/fork"
	cp -a "$F/log" "$LAB_DIR/www/fork/"
	chmod -R a+rX "$LAB_DIR/www"
	ln -sfn fork "$LAB_DIR/www/node-b"
	l0=$(sc_metric b 'recalld_log_loads_total{result="quorum"')
	expect "node b fetches the log it is shown" sc_log_fetch b
	sc_node_feed b "$F/feed"
	expect "node b's recalld refuses the fork (no witness quorum), keeps the proofs of size $size" \
		sc_wait 50 sc_log_refused b "$l0"
	grep 'transparency-log' "$LAB_DIR/isp-b/recalld.log" | tail -n 2 | cut -c1-200 | say_block
	expect "node b logged the refusal" grep -q 'transparency-log .*refused (quorum' "$LAB_DIR/isp-b/recalld.log"
	sc_metrics b | grep -E '^recalld_(log_size |log_loads_total\{result="(ok|quorum)"\}|log_inconsistent_total |notice_unlogged )' | say_block
	cp "$LAB_DIR/monitor/state" "$LAB_DIR/monitor/state-b"
	sc_monitor b "$LAB_DIR/monitor/state-b"
	rc=$?
	cut -c1-200 "$LAB_DIR/monitor/err" | tail -n 4 | say_block
	expect "recall log monitor in node b's network sees the fork (exit 4)" [ "$rc" = 4 ]

	say "node a's route is withdrawn: $d's check-ins reach node b, which serves SECRET-1"
	lab_anycast_withdraw a
	u0=$(sc_field "$d" counters.unlogged)
	kill -USR1 "$(lab_pid "$d" recall-agent)"
	expect "$d: got SECRET-1 from b, asked for its proof, b has none" sc_wait 50 unlogged_above "$d" "$u0"
	grep -E 'SECRET-1|not acted on' "$LAB_DIR/dev-$d/agent.log" | tail -n 2 | cut -c1-200 | say_block
	expect "$d: not quarantined (state $(sc_state "$d"))" sc_not_acted "$d"

	say "the ISP puts node b back on the published log and a new feed (a newer serial than the"
	say "attacker's: recalld never loads an older feed); a announces again"
	ln -sfn honest "$LAB_DIR/www/node-b"
	sc_q "$RECALL" feed build -k "$A/feed-host/feed.key" -a "$A/anchors.cbor" -o "$A/feed" \
		--valid 7d "$A/signed"
	sc_log_fetch b && sc_node_feed b "$A/feed" && sc_node_feed a "$A/feed"
	lab_anycast_announce a
	expect "node b serves the published log again (size $size, no notice unlogged)" \
		sc_wait 50 sc_node_log_is b "$size" 0
	expect "$d: its next check-in is answered clear by node a" sc_checkin "$d"
	expect "$d: idle" sc_wait_state "$d" idle 5
}
# Device $1 holds no quarantine: not quarantined or overridden, no rule, owner not told.
sc_not_acted() {
	case $(sc_state "$1") in quarantined | overridden) return 1 ;; esac
	! sc_any_rule "$1" && ! grep -qs recalled "$LAB_DIR/dev-$1/owner.log"
}
# Node $1 got at least $2 proof requests and sent no proof.
sc_no_proof_sent() {
	[ "$(sc_metric "$1" recalld_proof_requests_total)" -ge "$2" ] && [ "$(sc_answers "$1" proof)" = 0 ]
}
# Node $1 refused a log for want of a witness quorum since that count was $2, and serves one
# notice without a proof.
sc_log_refused() {
	[ "$(sc_metric "$1" 'recalld_log_loads_total{result="quorum"')" -gt "$2" ] &&
		[ "$(sc_metric "$1" "recalld_notice_unlogged ")" = 1 ]
}
unlogged_above() { [ "$(sc_field "$1" counters.unlogged)" -gt "$2" ] 2>/dev/null; }
