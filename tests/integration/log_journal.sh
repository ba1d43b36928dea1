#!/bin/sh
# Under systemd with logging to stderr, each line starts with its syslog priority ("<3>" error,
# "<2>" critical) so that journalctl -p sees it; only while stderr is the stream JOURNAL_STREAM
# names (device:inode), never on a terminal or in a file redirected elsewhere.
. "$(dirname "$0")/tool_common"
RD="$BUILD/responder/recalld"
AG="$BUILD/agent/recall-agent"
setup_authority
signed_notice "$DATA/cam.json" cam.notice alice bob
mkdir n && mv cam.notice n/
expect 0 "$R" feed build -k feed.key -a anchors.cbor -o old --issued 2020-01-01 --valid 1d n
printf 'listen = 127.0.0.1\nfeed = %s/old\nfeed-key = %s/feed.pub\nanchors = %s/anchors.cbor\n' \
	"$T" "$T" "$T" >rd.conf
# journal RESULT CMD...: run CMD with stderr on the file RESULT, JOURNAL_STREAM naming it.
journal() {
	f=$1
	shift
	: >"$f"
	# shellcheck disable=SC2094 # stat names the file stderr goes to: that is the point
	JOURNAL_STREAM=$(stat -c '%d:%i' "$f") "$@" 2>>"$f" >/dev/null
}
journal e1 "$RD" -t -c rd.conf
checks=$((checks + 1))
grep -q '^<2>recalld: feed .* expired at' e1 || fail "no <2> prefix: $(cat e1)"
journal e2 "$RD" -t -c nothere.conf
checks=$((checks + 1))
grep -q '^<3>recalld: nothere.conf: ' e2 || fail "no <3> prefix: $(cat e2)"
journal e3 "$AG" -c nothere.conf status
checks=$((checks + 1))
grep -q '^<3>recall-agent: nothere.conf: ' e3 || fail "no <3> prefix: $(cat e3)"
# another stream (a pipe, a terminal, another file): no prefix
JOURNAL_STREAM=1:2 "$RD" -t -c rd.conf 2>e4
checks=$((checks + 1))
grep -q '^recalld: feed .* expired at' e4 || fail "prefix without the journal: $(cat e4)"
finish
