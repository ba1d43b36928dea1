#!/bin/sh
# Issue 16 item 4: the error messages a first-time operator met, each naming what is wrong,
# where (file, key, line or option) and what to do. recall, recalld -t and recall-agent.
. "$(dirname "$0")/tool_common"
RD="$BUILD/responder/recalld"
AG="$BUILD/agent/recall-agent"
setup_authority
"$R" keygen other >/dev/null || fail "keygen other"
signed_notice "$DATA/cam.json" cam.notice alice bob
mkdir n && mv cam.notice n/
expect 0 "$R" feed build -k feed.key -a anchors.cbor -o feed n
expect 0 "$R" feed build -k feed.key -a anchors.cbor -o old --issued 2020-01-01 --valid 1d n

# rdconf FEED FEED-KEY ANCHORS [LINE...]: rd.conf for recalld -t.
rdconf() {
	{
		echo "listen = 127.0.0.1"
		echo "port = 7412"
		echo "feed = $T/$1"
		echo "feed-key = $T/$2"
		echo "anchors = $T/$3"
		shift 3
		for l in "$@"; do echo "$l"; done
	} >rd.conf
}

# recalld with the wrong feed key: both key ids and which key to set.
rdconf feed other.pub anchors.cbor
expect 1 "$RD" -t -c rd.conf && has err "is signed by the key with kid" &&
	has err "feed-key $T/other.pub is kid" && has err "set feed-key to the public key"
# an expired feed: RFC 3339 times and what to do, not POSIX seconds
rdconf old feed.pub anchors.cbor
expect 1 "$RD" -t -c rd.conf && has err "expired at 2020-01-02T00:00:00Z (the time now is" &&
	has err "publish a newer feed"
# a key file given as anchors
rdconf feed feed.pub feed.key
expect 1 "$RD" -t -c rd.conf && has err "feed.key: this is a secret key file" &&
	has err "set 'anchors' to the file 'recall anchors create' wrote"
expect 1 "$R" feed verify -K feed.pub -a feed.pub feed &&
	has err "feed.pub: this is a public key file (from 'recall keygen'), not an anchor set"
# recalld -t with a user that does not exist
rdconf feed feed.pub anchors.cbor "user = no-such-user-16"
expect 1 "$RD" -t -c rd.conf && has err "rd.conf: user no-such-user-16: no such user" &&
	has err "adduser --system no-such-user-16"
# a configuration file that starts with a UTF-8 byte order mark is read as without it
rdconf feed feed.pub anchors.cbor
printf '\357\273\277' >bom.conf && cat rd.conf >>bom.conf
expect 0 "$RD" -t -c bom.conf && has out "configuration OK"

# a JSON description given where a signed notice belongs
expect 1 "$R" notice show "$DATA/cam.json" &&
	has err "cam.json: this is JSON text, not a signed notice; make one" &&
	has err "'recall notice create'"
expect 1 "$R" notice sign -k alice.key "$DATA/cam.json" && has err "this is JSON text"
# a bad duration names the long option and the accepted forms
expect 2 "$R" feed build -k feed.key -a anchors.cbor -o f2 --valid 7x n &&
	has err "feed build: --valid '7x': not a duration: give a number and a unit"
# recall query without --model: a command-line error (2), naming the options
expect 2 "$R" query --vendor x --fwver 1 127.0.0.1 &&
	has err "query: model: missing: give --vendor, --model and --fwver, or --identity FILE"
printf 'RECALL_VENDOR=x\nRECALL_FWVER=1\n' >id.txt
expect 1 "$R" query -i id.txt 127.0.0.1 && has err "id.txt: model: missing: add RECALL_VENDOR"

# recall-agent: an unknown command, an override with no daemon, config errors with lines
acfg() {
	{
		echo "vendor = Acme"
		echo "model = Cam 1"
		echo "checkin-address = 127.0.0.1:7412"
		echo "system = dummy"
		echo "state-dir = $T/ast"
		for l in "$@"; do echo "$l"; done
	} >ag.conf
}
acfg "fwver = 1.0" "anchors = $T/anchors.cbor"
expect 2 "$AG" -c ag.conf frobnicate && has err "unknown command 'frobnicate': give run, status"
expect 1 "$AG" -c ag.conf override all && has err "not running" &&
	has err "nothing was recorded" && lacks err "kept"
acfg "fwver = 1.0" "anchors = $T/feed.pub"
expect 1 "$AG" -c ag.conf status && has err "ag.conf:7: anchors: $T/feed.pub is a public key file"
acfg "fwver = " "anchors = $T/anchors.cbor"
expect 1 "$AG" -c ag.conf status && has err "ag.conf:6: fwver: empty (set fwver"
acfg "fwver = 1.0" "anchors = $T/anchors.cbor"
printf '\357\273\277' >bom.conf && cat ag.conf >>bom.conf
expect 0 "$AG" -c bom.conf status
finish
