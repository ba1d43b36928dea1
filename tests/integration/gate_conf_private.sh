#!/bin/sh
# recall-gate.conf(5) checkin-private: a boolean, and only with check-mode checkin (feed mode
# sends nothing per device); a bad value or the wrong mode is refused at load with the file,
# line and key named, exit 1. No root, no network: `status` only loads the configuration.
set -u
B=${1:?usage: $0 BUILD_DIR}
GATE=$B/gate/recall-gate
[ -x "$GATE" ] || { echo "SKIP: recall-gate not built"; exit 77; }
W=$(mktemp -d /tmp/gate_conf_private.XXXXXX)
trap 'rm -rf "$W"' EXIT
fails=0
check() { # WANT-EXIT WANT-TEXT CONF-LINES...
	want=$1 text=$2
	shift 2
	printf 'interface = lo\nstate-dir = %s/state\ncontrol-socket = %s/ctl\n' "$W" "$W" >"$W/g.conf"
	for l in "$@"; do echo "$l" >>"$W/g.conf"; done
	"$GATE" -c "$W/g.conf" status >"$W/out" 2>&1
	rc=$?
	if [ $rc -eq "$want" ] && grep -q "$text" "$W/out"; then
		echo "ok: $* -> exit $rc, '$text'"
	else
		echo "FAIL: $* -> exit $rc (want $want), output: $(cat "$W/out")"
		fails=$((fails + 1))
	fi
}
check 1 "g.conf: checkin-private: only with check-mode checkin" "checkin-private = yes"
check 1 "g.conf:4: checkin-private: 'maybe' is not a boolean" "checkin-private = maybe"
# Accepted with check-mode checkin: the load gets past the key (status then finds no daemon).
check 1 "is the daemon running" "check-mode = checkin" "responder = 127.0.0.1" "checkin-private = yes"
[ $fails -eq 0 ]
