#!/bin/sh
# recall-healthcheck under systemd's notification protocol (recall-healthcheck(8), SYSTEMD):
# READY=1 after the first withdrawal, WATCHDOG=1 after every round while $WATCHDOG_USEC is set
# (and not for another $WATCHDOG_PID), a warning when the watchdog is shorter than two rounds,
# STOPPING=1 on SIGTERM. No BIRD and no recalld: the checks fail, which is what a hung or
# failing node looks like; the notification socket is a python3 listener on a path in $T.
. "$(dirname "$0")/tool_common"
HC="$BUILD/health/recall-healthcheck"
[ -x "$HC" ] || fail "no $HC"
command -v python3 >/dev/null || fail "needs python3"
# listen NAME SECONDS: collect the datagrams sent to $T/NAME.sock for SECONDS into $T/NAME.got
listen() {
	python3 - "$T/$1.sock" "$2" >"$T/$1.got" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
end = time.time() + float(sys.argv[2])
while time.time() < end:
    s.settimeout(max(0.01, end - time.time()))
    try:
        print(s.recv(4096).decode().replace("\n", "|"), flush=True)
    except socket.timeout:
        pass
PY
	LP=$!
	i=0
	while [ ! -S "$T/$1.sock" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
# run NAME SECONDS ENV...: the checker for SECONDS under ENV, then SIGTERM
run() {
	n=$1 secs=$2
	shift 2
	env NOTIFY_SOCKET="$T/$n.sock" "$@" "$HC" -a 127.0.0.1 -p 9 -P anycast4 \
		-S "$T/no-bird.ctl" -i 100 -t 50 >"$T/$n.out" 2>&1 &
	HP=$!
	sleep "$secs"
	kill -TERM $HP
	wait $HP
	echo $? >"$T/$n.rc"
	wait $LP
}

listen wd 3
run wd 2 WATCHDOG_USEC=5000000
checks=$((checks + 1))
[ "$(head -1 "$T/wd.got")" = "READY=1|STATUS=withdrawn: checking" ] ||
	fail "first message: $(head -1 "$T/wd.got")"
pets=$(grep -c '^WATCHDOG=1$' "$T/wd.got")
checks=$((checks + 1))
[ "$pets" -ge 5 ] || fail "only $pets WATCHDOG=1 in 2 s at a 100 ms interval"
checks=$((checks + 1))
[ "$(tail -1 "$T/wd.got")" = "STOPPING=1" ] || fail "last message: $(tail -1 "$T/wd.got")"
eq "$(cat "$T/wd.rc")" 1 "(exit: BIRD could not be told to withdraw)"
lacks "$T/wd.out" "WatchdogSec"

# Another process's watchdog: ready, but no pets.
listen other 2
run other 1 WATCHDOG_USEC=5000000 WATCHDOG_PID=1
checks=$((checks + 1))
grep -q '^READY=1' "$T/other.got" || fail "no READY=1 with WATCHDOG_PID of another process"
eq "$(grep -c '^WATCHDOG=1$' "$T/other.got")" 0 "(pets for WATCHDOG_PID=1)"

# A watchdog shorter than two rounds: warned.
listen short 2
run short 1 WATCHDOG_USEC=200000
has "$T/short.out" "WatchdogSec (200 ms) is shorter than two rounds of checks (300 ms)"
finish
