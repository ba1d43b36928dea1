#!/bin/sh
# recall: --help of every command and subcommand, help, --version, and usage errors (exit 2).
. "$(dirname "$0")/tool_common"

for c in keygen "anchors create" "anchors show" "anchors rotate" "anchors sign" \
	"anchors merge" "anchors verify" "notice create" "notice sign" "notice merge" \
	"notice verify" "notice show" "feed build" "feed verify" "feed show" "feed lookup" \
	"log create" "log append" "log checkpoint" "log proof" "log verify" "log monitor" \
	"log vkey" "log witness"; do
	# shellcheck disable=SC2086
	expect 0 "$R" $c --help && has out "usage: recall $c"
	# shellcheck disable=SC2086
	expect 0 "$R" $c -h && has out "usage: recall $c"
done
for c in anchors notice feed log; do
	expect 0 "$R" "$c" --help && has out "usage: recall $c COMMAND"
	expect 0 "$R" help "$c" && has out "commands:"
	expect 2 "$R" "$c" && has err "usage: recall $c"
	expect 2 "$R" "$c" frobnicate && has err "unknown command 'frobnicate'"
done
expect 0 "$R" --help && has out "keygen" && has out "feed"
expect 0 "$R" help && has out "usage: recall COMMAND"
expect 0 "$R" --version && has out "recall "
expect 2 "$R" && has err "usage: recall COMMAND"
expect 2 "$R" frobnicate && has err "unknown command 'frobnicate'"
expect 2 "$R" help frobnicate

# Missing or wrong arguments are usage errors, with the usage text.
expect 2 "$R" keygen && has err "give exactly one NAME"
expect 2 "$R" keygen --bogus x && has err "usage: recall keygen"
expect 2 "$R" anchors create --k 2 a.pub && has err "-o OUT is required"
expect 2 "$R" anchors create --k two -o x a.pub && has err "not a number"
expect 2 "$R" notice create && has err "give one DESCRIPTION.json"
expect 2 "$R" notice sign x.notice && has err "-k KEY and one NOTICE"
expect 2 "$R" notice verify x.notice && has err "-a ANCHORS"
expect 2 "$R" feed build -o f x.notice && has err "are required"
expect 2 "$R" feed build -k k -a a -o f --valid 3x n && has err "--valid '3x': not a duration"
expect 2 "$R" feed build -k k -a a -o f --valid 1d --expiry 2030-01-01 n && has err "not both"
expect 2 "$R" feed verify f && has err "are required"
expect 2 "$R" feed lookup --vendor a f && has err "are required"
finish
