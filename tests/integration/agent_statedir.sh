#!/bin/sh
# recall-agent's state directory is its own (loopback, dummy backend): links planted in it are
# not followed (state.tmp, lock, control pointing at a victim file leave it unchanged and
# create nothing), and a state directory that is a link, writable by group or others, or
# owned by another user (root only: chown nobody) is refused at start with exit status 1 and
# a message naming the path, owner, mode and the remedy. The commands (status, override) refuse
# the same directories with the same message, never create one, and as root read one that
# belongs to the daemon's user. Exit 77 (skip) when not root, after the other cases passed.
# shellcheck source=tests/integration/agent_common
. "$(dirname "$0")/agent_common"

PORT=$((20000 + ($$ + 11) % 20000))
start_responder clear
write_conf() { # state-dir
	agent_conf "$1" "hooks-dir =" "announce = no" "debounce = 100ms" "timeout = 500ms"
}
# Run the agent expecting a refusal at start: exit status in $rc, messages in $W/err.
refused_run() {
	timeout 5 "$AGENT" -c "$W/agent.conf" -f run >"$W/err" 2>&1
	rc=$?
}

# Links planted in a good state directory.
S=$W/state
mkdir -m 0700 "$S"
echo precious >"$W/victim"
ln -s "$W/victim" "$S/state.tmp"
ln -s "$W/victim" "$S/control"
write_conf "$S"
start_agent
check 'grep -qx precious "$W/victim"' "state.tmp link to a victim file: victim unchanged"
check '[ -f "$S/state" ] && [ ! -L "$S/state" ]' "state written as a regular file of its own"
check '[ -S "$S/control" ]' "control link replaced by the agent's own socket"
check '"$AGENT" -c "$W/agent.conf" status | grep -q "^agent *running$"' "status through the socket"
stop_agent
check 'grep -qx precious "$W/victim"' "victim unchanged after the agent stopped"

rm -f "$S/lock"
ln -s "$W/created" "$S/lock"
refused_run
check '[ $rc -eq 1 ]' "lock link: refused, exit 1 (got $rc)"
check '[ ! -e "$W/created" ]' "lock link: nothing created at its target"
check 'grep -q "$S/lock: .*symbolic link" "$W/err"' "lock link: the message names lock and why"
rm -f "$S/lock"
ln -s "$W/victim" "$S/lock"
refused_run
check '[ $rc -eq 1 ] && grep -qx precious "$W/victim"' "lock link to a victim: refused, victim unchanged"
rm -f "$S/lock"

# The commands refuse what the daemon refuses, with the same message: exit status in $rc,
# output in $W/out, messages in $W/err.
cli() {
	timeout 10 "$AGENT" -c "$W/agent.conf" "$@" >"$W/out" 2>"$W/err"
	rc=$?
}
cli_refused() { # pattern (grep, of the message) case
	pat=$1
	for c in status "status --json" "override all" "override --clear"; do
		# shellcheck disable=SC2086 # the command's words
		cli $c
		check '[ $rc -eq 1 ] && [ ! -s "$W/out" ] && grep -q "$pat" "$W/err"' \
			"$2: $c refused, exit 1 (got $rc), nothing shown, the message as the daemon's"
	done
}

# A state directory shared with others, or a link to one. A state file planted there is
# never shown.
for m in 0770 0707 0777 1777; do
	chmod "$m" "$S"
	refused_run
	check '[ $rc -eq 1 ]' "state-dir mode $m: refused, exit 1 (got $rc)"
	check 'grep -q "state-dir $S: owned by uid [0-9]* with mode $m: refused" "$W/err" && grep -q "chmod 0700" "$W/err"' \
		"state-dir mode $m: the message names path, owner, mode and remedy"
	cli_refused "state-dir $S: owned by uid [0-9]* with mode $m: refused.*chmod 0700" \
		"state-dir mode $m"
done
chmod 0700 "$S"
ln -s "$S" "$W/state-link"
write_conf "$W/state-link"
refused_run
check '[ $rc -eq 1 ] && grep -q "symbolic link" "$W/err"' "state-dir given as a link: refused"
cli_refused "state-dir $W/state-link: .*symbolic link" "state-dir given as a link"
# No state directory yet: nothing saved, no daemon; the commands do not create it.
write_conf "$W/none"
cli status
check '[ $rc -eq 0 ] && grep -q "^agent *not running" "$W/out" && [ ! -e "$W/none" ]' \
	"no state-dir: status says not running and creates nothing (got $rc)"
cli override all
check '[ $rc -eq 1 ] && grep -q "not running" "$W/err" && [ ! -e "$W/none" ]' \
	"no state-dir: override says not running and creates nothing"
write_conf "$S"
start_agent
check 'kill -0 "$AP" 2>/dev/null' "state-dir 0700 of ours: accepted"
stop_agent

if [ "$(id -u)" -ne 0 ]; then
	echo "$passes passed, $fails failed; not root: the foreign-owner case is skipped"
	[ "$fails" -eq 0 ] || exit 1
	exit 77
fi
chown nobody "$S"
refused_run
check '[ $rc -eq 1 ]' "state-dir owned by nobody: refused, exit 1 (got $rc)"
check 'grep -q "state-dir $S: owned by uid $(id -u nobody) with mode 0700: refused" "$W/err" && grep -q "chown 0 $S" "$W/err"' \
	"foreign owner: the message names owner and remedy"
# root runs the commands while the directory belongs to the daemon's user (the unit's
# User=recall-agent): read, as long as neither group nor others can write it.
cli status
check '[ $rc -eq 0 ] && grep -q "^agent *not running" "$W/out"' \
	"state-dir of another user: root's status reads it (got $rc)"
chmod 0770 "$S"
cli_refused "state-dir $S: owned by uid $(id -u nobody) with mode 0770: refused" \
	"state-dir of another user, group-writable"
chmod 0700 "$S"
# Any other user: only a directory of root's or its own.
chmod 0711 "$W"
chmod 0755 "$S"
chown 1 "$S"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$AGENT" -c "$W/agent.conf" status \
	>"$W/out" 2>"$W/err"
rc=$?
check '[ $rc -eq 1 ] && grep -q "state-dir $S: owned by uid 1 with mode 0755: refused, it must be owned by root or by this user" "$W/err"' \
	"state-dir of uid 1: nobody's status refused (got $rc)"
chown 0 "$S"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$AGENT" -c "$W/agent.conf" status \
	>"$W/out" 2>"$W/err"
rc=$?
check '[ $rc -eq 0 ] && grep -q "^agent *not running" "$W/out"' \
	"state-dir of root's: nobody's status reads it (got $rc)"
chmod 0700 "$S" "$W"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
