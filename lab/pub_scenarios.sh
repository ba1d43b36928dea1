# shellcheck shell=bash
# Feeds that travel by themselves (issue 12; docs/LAB.md "The publication"), shared by lab/demo
# and tests/netns/lab_publication.sh (sourced by lab/scenario.sh). The authority publishes its
# log with `recall publish` into the directory nginx serves on the Internet host
# (http://198.51.100.10/pub); a second mirror (http://198.51.100.10:8081/second/pub) is a copy a
# mirror operator refreshes. Nodes a and b then run recalld with `publication =` and no feed
# file: each fetches, verifies and serves by itself. Node a tries two mirrors first that are
# not up at first and later turn out to be a stale one and a tampering one. Needs the world of sc_world or the demo
# (authority, log servers, nodes a and b, the home with device $1 running its agent, clear).

SC_PUB_POLL=${SC_PUB_POLL:-5}   # publication-poll of the nodes, seconds
SC_PUB_ID=LAB-PUB-1:zyxel:atp100 # the notice added at the authority

# `recall publish` of the cosigned log on the Internet host into www/honest/pub, and the second
# mirror's copy (immutable files first, the top file last, as a careful mirror copies).
sc_pub_publish() {
	local A=$LAB_DIR/authority P=$LAB_DIR/www/honest/pub M=$LAB_DIR/www/mirrors/second/pub
	sc_q "$RECALL" publish -k "$A/feed-host/feed.key" -a "$A/anchors.cbor" \
		-l "$LAB_DIR/www/honest/log" "$P" || return 1
	mkdir -p "$M"
	cp -a "$P/log" "$M/" && cp "$P/recall-publication" "$M/recall-publication.tmp" &&
		mv "$M/recall-publication.tmp" "$M/recall-publication" && chmod -R a+rX "$LAB_DIR/www"
}

# recalld on node $1 from the publication (mirrors $2...): no feed, no log, no copying.
sc_recalld_pub() {
	local n=$1 d=$LAB_DIR/isp-$1 m
	shift
	sc_recalld_stop "$n"
	mkdir -p "$d/pubstate"
	{
		echo "# recalld on lab node $n: the authority's publication, fetched by itself"
		echo "listen = $LAB_ANYCAST4 $LAB_ANYCAST6"
		echo "port = 7412"
		echo "workers = ${SC_WORKERS:-1}"
		echo "feed-key = $d/feed.pub"
		echo "anchors = $d/anchors.cbor"
		echo "state-dir = $d/pubstate"
		echo "publication-poll = ${SC_PUB_POLL}s"
		for m in "$@"; do echo "publication = $m"; done
		echo "metrics-listen = 127.0.0.1:9474"
		echo "event-log = $d/events.jsonl"
		echo "log = stderr"
	} >"$d/recalld-pub.conf"
	ip netns exec "$LAB-$n" "$RECALLD" -f -c "$d/recalld-pub.conf" >>"$d/recalld.log" 2>&1 &
	sc_wait 100 sc_metrics_up "$n"
}
sc_serial_is() { [ "$(sc_metric "$1" "recalld_feed_serial ")" = "$2" ]; }
sc_pub_serial() { "$RECALL" publish verify -K "$LAB_DIR/authority/feed.pub" \
	-a "$LAB_DIR/authority/anchors.cbor" "$LAB_DIR/www/honest/pub" 2>/dev/null |
	sed -n 's/.*serial \([0-9]*\).*/\1/p' | head -n 1; }
# Fetch counter of node $1 for mirror $2 and verdict $3.
sc_fetched() {
	sc_metric "$1" "recalld_publication_fetch_total{mirror=\"$2\",verdict=\"$3\"}"
}

sc_fetched_ge() { [ "$(sc_fetched "$1" "$2" "$3")" -ge "$4" ]; }

# The scenario; $1 is a device that is clear now and that the new notice recalls (fw).
sc_scen_publication() {
	local d=$1 A=$LAB_DIR/authority O="http://$LAB_INET4/pub" S="http://$LAB_INET4:8081/second/pub"
	local T="http://$LAB_INET4:8081/tamper/pub" ST="http://$LAB_INET4:8081/stale/pub"
	local v m f s0 s1 t0 t1 n
	IFS='|' read -r v m _ f <<<"$(sc_dev_ident "$d")"
	say "the authority publishes its cosigned log with recall publish into nginx's directory;"
	say "a mirror operator copies it to a second mirror ($S)"
	expect "recall publish writes the publication (top file signed by the feed key)" sc_pub_publish
	"$RECALL" publish verify -K "$A/feed.pub" -a "$A/anchors.cbor" "$O" 2>&1 | say_block
	s0=$(sc_pub_serial)
	mkdir -p "$LAB_DIR/www/mirrors/tamper" "$LAB_DIR/www/mirrors/stale"
	cp -a "$LAB_DIR/www/honest/pub" "$LAB_DIR/stale-pub" # what the stale mirror will serve
	chmod -R a+rX "$LAB_DIR/www"
	say "nodes a and b switch to publication = (no feed file, no log copy): a tries a tampering"
	say "mirror and a stale one first, then the authority's and the second; b the second first"
	expect "node a: recalld fetches, verifies and serves serial $s0 by itself" \
		sc_recalld_pub a "$T" "$ST" "$O" "$S"
	expect "node b: likewise from the second mirror" sc_recalld_pub b "$S" "$O"
	for n in a b; do
		expect "node $n serves publication serial $s0" sc_wait 100 sc_serial_is "$n" "$s0"
	done
	sc_metrics a | grep -E '^recalld_(feed_serial|notices_loaded|log_size|publication_(serial|mirrors|fetcher_up)) ' | say_block
	if [ -S "$LAB_DIR/gw/control" ]; then
		say "the home gateway's recall-gate switches from its copied feed to the same two mirrors"
		expect "gw: recall-gate restarted with publication = (recall-gate-pub fetches)" \
			sc_gate_pub "$O" "$S"
		expect "gw: recall-gate loads the feed of serial $s0 from the publication" \
			sc_wait 150 sc_gate_serial "$s0"
	fi
	expect "$d: a check-in is answered, still clear" sc_checkin "$d"
	expect "$d: idle" sc_state_is "$d" idle

	say "the authority adds a notice recalling $d ($v $m $f): signed by holders 1 and 3,"
	say "appended to the log, cosigned by w1 and w2, published; nobody copies anything to the ISP"
	expect "notice $SC_PUB_ID signed (2 of 3), logged, cosigned, published" sc_pub_new_notice "$d"
	s1=$(sc_pub_serial)
	t0=$(date +%s)
	for n in a b; do
		expect "node $n serves serial $s1 within one poll interval (${SC_PUB_POLL} s, +25% jitter)" \
			sc_wait $((SC_PUB_POLL * 13 + 20)) sc_serial_is "$n" "$s1"
	done
	t1=$(date +%s)
	say "both nodes serve it $((t1 - t0)) s after the publication"
	if [ -S "$LAB_DIR/gw/control" ]; then
		expect "gw: recall-gate loads serial $s1 too, by itself" \
			sc_wait $((SC_PUB_POLL * 13 + 20)) sc_gate_serial "$s1"
	fi
	expect "$d: its next check-in gets the recall" sc_checkin "$d"
	expect "$d: valid recall with its log proof, state quarantined" sc_wait_state "$d" quarantined 10
	grep -E "$SC_PUB_ID" "$LAB_DIR/dev-$d/agent.log" | tail -n 2 | cut -c1-200 | say_block

	say "the two mirrors node a tries first come up: a stale one, serving serial $s0 (a mirror"
	say "whose refreshing stopped), and a tampering one; the authority publishes again"
	expect "a new serial is published; the tampering mirror alters a byte of it" sc_pub_tamper
	s1=$(sc_pub_serial)
	expect "node a serves serial $s1 from the authority's mirror" sc_wait 100 sc_serial_is a "$s1"
	expect "node a refused the tampering mirror (verdict bad)" \
		sc_wait $((SC_PUB_POLL * 13 + 20)) sc_fetched_ge a "$T" bad 1
	expect "node a refused the stale mirror (verdict stale)" \
		sc_wait $((SC_PUB_POLL * 13 + 20)) sc_fetched_ge a "$ST" stale 1
	sc_metrics a | grep -E '^recalld_publication_fetch_total\{.*(bad|stale|new)"\} [1-9]' | say_block
	grep -E 'publication http.*(bad|stale):' "$LAB_DIR/isp-a/recalld.log" | tail -n 2 | cut -c1-200 | say_block
	expect "$d: service continues: its recheck is answered, still quarantined" sc_checkin "$d"
	expect "$d: quarantined" sc_state_is "$d" quarantined
	say "node a's health check for the load balancer (GET /health on its metrics listener):"
	lx a curl -s "http://127.0.0.1:9474/health" | say_block
	expect "node a: /health says ok" sc_health_ok a
}
# recall-gate on gw again, its feed now from the publication at mirrors $@ (the authority's
# feed key and anchors as before; the copied feed file is no longer read).
sc_gate_pub() {
	local g=$LAB_DIR/gw m
	pkill -f "$g/recall-gate.conf -f -v run" || return 1
	sc_wait 100 sh -c "! test -S '$g/control'" || return 1
	sed -i '/^feed = /d; /^publication/d' "$g/recall-gate.conf"
	{
		echo "publication-poll = ${SC_PUB_POLL}s"
		for m in "$@"; do echo "publication = $m"; done
	} >>"$g/recall-gate.conf"
	lab_gate_run
}
# recall-gate on gw logged loading the publication's feed of serial $1.
sc_gate_serial() { grep -q "publication/feed: serial $1 loaded" "$LAB_DIR/gw/gate.log"; }
sc_health_ok() { lx "$1" curl -sf "http://127.0.0.1:9474/health" | grep -q '"status":"ok"'; }

# The new notice for device $1: created and signed as the real ones, logged, cosigned,
# published.
sc_pub_new_notice() {
	local A=$LAB_DIR/authority N=$LAB_DIR/pubnotice v m f
	IFS='|' read -r v m _ f <<<"$(sc_dev_ident "$1")"
	mkdir -p "$N"
	sc_rogue_json "$SC_PUB_ID" "$v" "$m" "$f" |
		sed 's/Rogue recall: this notice is not signed by the device.s authorities./A new recall, published by the authority./' >"$N/pub.json"
	sc_q "$RECALL" notice create -o "$N/pub.notice" "$N/pub.json" &&
		sc_q "$RECALL" notice sign -k "$A/machine-1/key1.key" "$N/pub.notice" &&
		sc_q "$RECALL" notice sign -k "$A/machine-3/key3.key" "$N/pub.notice" &&
		sc_q "$RECALL" log append --key "$A/log-host/log.key" --anchors "$A/anchors.cbor" \
			"$A/log-host/log" "$N/pub.notice" && sc_log_publish && sc_pub_publish
}

# The stale mirror gets the first publication; the authority publishes again (a new serial
# over the same log); the tampering mirror copies it with one byte of its top file changed.
sc_pub_tamper() {
	local P=$LAB_DIR/www/honest/pub T=$LAB_DIR/www/mirrors/tamper/pub
	cp -a "$LAB_DIR/stale-pub" "$LAB_DIR/www/mirrors/stale/pub" || return 1
	sc_pub_publish || return 1
	rm -rf "$T" && cp -a "$P" "$T" || return 1
	python3 - "$T/recall-publication" <<'EOP' && chmod -R a+rX "$LAB_DIR/www"
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 1
open(sys.argv[1], "wb").write(b)
EOP
}
