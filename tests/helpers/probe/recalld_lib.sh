# Shell helpers for tests/integration/recalld_*.sh (sourced). Loopback only; every wait is
# bounded. Sets: B (build dir), RECALLD, PROBE, T (scratch dir, removed on exit).
set -eu
B=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
RECALLD=$B/responder/recalld
PROBE=$B/responder/recalld-probe
T=$(mktemp -d /tmp/recalld-it.XXXXXX)
RD_PID=
cleanup() {
	if [ -n "$RD_PID" ] && kill -0 "$RD_PID" 2>/dev/null; then
		kill "$RD_PID" 2>/dev/null || true
		wait "$RD_PID" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	if [ -f "$T/log" ]; then
		echo "--- recalld log:" >&2
		tail -n 30 "$T/log" >&2
	fi
	exit 1
}

# A port that is free now (UDP and TCP), from the kernel.
free_port() {
	python3 -c 'import socket
for _ in range(100):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]
    try:
        for fam, host, typ in ((socket.AF_INET, "127.0.0.1", socket.SOCK_STREAM),
                               (socket.AF_INET6, "::1", socket.SOCK_DGRAM)):
            socket.socket(fam, typ).bind((host, port))
    except OSError:
        continue
    print(port)
    break'
}

# write_conf EXTRA...: $T/recalld.conf over the fixtures in $T (listen on 127.0.0.1 and ::1).
write_conf() {
	PORT=$(free_port)
	MPORT=$(free_port)
	{
		echo "listen = 127.0.0.1 ::1"
		echo "port = $PORT"
		echo "workers = ${WORKERS:-2}"
		echo "feed = $T/feed"
		echo "feed-key = $T/feed.pub"
		echo "anchors = $T/anchors"
		echo "metrics-listen = 127.0.0.1:$MPORT"
		echo "event-log = $T/events.jsonl"
		for line in "$@"; do echo "$line"; done
	} >"$T/recalld.conf"
}

# start_recalld: run it in the foreground (background job), wait until metrics answer.
start_recalld() {
	"$RECALLD" -f -c "$T/recalld.conf" >"$T/log" 2>&1 &
	RD_PID=$!
	_w=0
	while ! curl -sf "http://127.0.0.1:$MPORT/metrics" >/dev/null 2>&1; do
		_w=$((_w + 1))
		[ $_w -lt 100 ] || fail "recalld did not start"
		kill -0 "$RD_PID" 2>/dev/null || fail "recalld exited at start"
		sleep 0.05
	done
}

stop_recalld() {
	kill -TERM "$RD_PID"
	rc=0
	wait "$RD_PID" || rc=$?
	RD_PID=
	[ "$rc" -eq 0 ] || fail "recalld exit status $rc after SIGTERM"
	grep -q "stopping" "$T/log" || fail "no 'stopping' in the log"
}

# metric PREFIX [LABEL]: the sum over sample lines starting with PREFIX (and holding LABEL,
# e.g. 'reason="short"', to add up every worker).
metric() {
	curl -sf "http://127.0.0.1:$MPORT/metrics" |
		awk -v m="$1" -v l="${2:-}" 'index($0, m) == 1 && index($0, l) { s += $NF }
			END { print s + 0 }'
}

# wait_metric NAME VALUE: until the metric equals VALUE (at most 5 s).
wait_metric() {
	_w=0
	while [ "$(metric "$1")" != "$2" ]; do
		_w=$((_w + 1))
		[ $_w -lt 100 ] || fail "$1 is $(metric "$1"), expected $2"
		sleep 0.05
	done
}

# field NAME LINE: value of name=value in a probe summary line.
field() {
	echo "$2" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'
}
