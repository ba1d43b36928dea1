#!/bin/sh
# The metrics endpoint under connection exhaustion (loopback): 40 idle connections from one
# client are refused beyond the per-client limit and counted, and another client is served at
# once; a slowly dribbled request header (slowloris) and idle connections are cut after
# metrics-timeout even though bytes keep coming; idle connections from many addresses fill
# the total, and another client is served again within the timeout. Every wait is bounded.
. "${RECALL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/helpers/probe/recalld_lib.sh"

"$PROBE" fixture "$T" -s 3 -n 3 || fail "fixture"
write_conf "metrics-connections = 8" "metrics-connections-per-client = 2" "metrics-timeout = 2s"
start_recalld

# python3 HELPER: idle SRC COUNT HOLD | slowloris SRC SECONDS. Prints what the server did.
cat >"$T/clients.py" <<'PY'
import socket, sys, time
def conn(src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(3)
    s.connect(("127.0.0.1", int(sys.argv[1])))
    return s
def closed(s, wait):
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True
mode = sys.argv[2]
if mode == "idle":  # open COUNT idle connections from SRC, keep them HOLD s; report closes
    src, n, hold = sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    socks = [conn(src) for _ in range(n)]
    time.sleep(0.5)
    refused = sum(closed(s, 0.05) for s in socks)
    print("refused=%d" % refused, flush=True)
    t0 = time.monotonic()
    left = [s for s in socks if not closed(s, 0.01)]
    while left and time.monotonic() - t0 < hold:
        left = [s for s in left if not closed(s, 0.05)]
    print("open_after=%d seconds=%.1f" % (len(left), time.monotonic() - t0), flush=True)
elif mode == "slowloris":  # one header byte every 0.3 s, at most SECONDS; when was it cut
    src, limit = sys.argv[3], float(sys.argv[4])
    s = conn(src)
    t0 = time.monotonic()
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    cut = None
    while time.monotonic() - t0 < limit:
        try:
            s.sendall(b"X")
        except OSError:
            cut = time.monotonic() - t0
            break
        if closed(s, 0.3):
            cut = time.monotonic() - t0
            break
    print("cut=%s" % ("%.1f" % cut if cut is not None else "never"), flush=True)
PY
py() { python3 "$T/clients.py" "$MPORT" "$@"; }
# wait_refused LIMIT MIN: until at least MIN connections were refused for LIMIT (at most 5 s).
wait_refused() {
	_w=0
	while [ "$(metric recalld_metrics_connections_refused_total "limit=\"$1\"")" -lt "$2" ]; do
		_w=$((_w + 1))
		[ $_w -lt 100 ] || fail "$1 refusals: $(metric recalld_metrics_connections_refused_total)"
		sleep 0.05
	done
}

# 1. one client, 40 idle connections: 2 kept, 38 refused; another client is served at once
py idle 127.0.0.2 40 5 >"$T/idle.out" &
IDLE=$!
wait_refused per_client 38
curl -sf -m 2 "http://127.0.0.1:$MPORT/metrics" >/dev/null || fail "another client not served"
wait $IDLE || fail "idle client"
grep -q '^refused=38$' "$T/idle.out" || fail "idle: $(cat "$T/idle.out")"
# ... and the 2 it kept were closed after the 2 s timeout (bounded by the 5 s hold)
grep -q '^open_after=0 ' "$T/idle.out" || fail "idle connections not closed: $(cat "$T/idle.out")"

# 2. slowloris: a header dribbled a byte at a time is cut after about 2 s
py slowloris 127.0.0.3 8 >"$T/slow.out" || fail "slowloris client"
cut=$(sed -n 's/^cut=//p' "$T/slow.out")
[ "$cut" != never ] || fail "slowloris connection never cut in 8 s"
awk -v c="$cut" 'BEGIN { exit !(c >= 1.5 && c <= 4) }' || fail "slowloris cut after $cut s"
[ "$(metric recalld_metrics_connections_timed_out_total)" -ge 3 ] || fail "timeouts not counted"

# 3. idle connections from 12 addresses fill the total (8): the others are refused, and another
#    client is served again within the timeout
i=10
PIDS=
while [ $i -lt 22 ]; do
	py idle 127.0.0.$i 1 4 >"$T/many.$i" &
	PIDS="$PIDS $!"
	i=$((i + 1))
done
wait_refused total 3
start=$(date +%s)
until curl -sf -m 1 "http://127.0.0.1:$MPORT/metrics" >/dev/null 2>&1; do
	[ $(($(date +%s) - start)) -lt 5 ] || fail "no scrape within 5 s of a full table"
	sleep 0.1
done
for p in $PIDS; do wait "$p" || fail "idle client"; done
grep -q "metrics: refused a connection from 127.0.0.2: too many connections per client" "$T/log" ||
	fail "no log line for a refusal"
# the endpoint still works normally afterwards
curl -sf -m 2 "http://127.0.0.1:$MPORT/metrics" | grep -q '^recalld_feed_serial 3$' || fail "scrape"
stop_recalld
echo "recalld_metrics_limits: ok"
