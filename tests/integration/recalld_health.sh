#!/bin/sh
# recalld's GET /health (for load balancers and anycast health checks) and recalld_build_info:
# 200 and one line of JSON while the feed is fresh and every worker loops; 503 naming the
# reason once the feed has expired (a feed made to expire 6 s after start). HEAD works, other
# methods do not. Bounded: every wait is at most 15 s.
. "${RECALL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/helpers/probe/recalld_lib.sh"

"$PROBE" fixture "$T" -s 7 -n 3 -x 6 || fail "fixture"
WORKERS=3 write_conf
start_recalld
H=http://127.0.0.1:$MPORT/health
code=$(curl -s -o "$T/h" -w '%{http_code}' "$H")
[ "$code" = 200 ] || fail "fresh feed: /health gave $code: $(cat "$T/h")"
[ "$(wc -l <"$T/h")" = 1 ] || fail "not one line: $(cat "$T/h")"
python3 - "$T/h" <<'PY' || fail "/health body: $(cat "$T/h")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "ok", d
assert d["feed_serial"] == 7 and d["workers"] == 3 and d["workers_alive"] == 3, d
assert 0 < d["expires_in"] <= 6, d
PY
ctype=$(curl -s -o /dev/null -w '%{content_type}' "$H")
[ "$ctype" = application/json ] || fail "content type $ctype"
code=$(curl -s -o /dev/null -w '%{http_code}' -I "$H")
[ "$code" = 200 ] || fail "HEAD /health gave $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$H")
[ "$code" = 405 ] || fail "POST /health gave $code"
V=$("$RECALLD" --version | awk '{print $2}')
curl -sf "http://127.0.0.1:$MPORT/metrics" | grep -qx "recalld_build_info{version=\"$V\"} 1" ||
	fail "no recalld_build_info for version $V"
# The feed expires: 503, with the reason.
_w=0
while [ "$(curl -s -o "$T/h" -w '%{http_code}' "$H")" != 503 ]; do
	_w=$((_w + 1))
	[ $_w -lt 300 ] || fail "/health never turned 503 after expiry: $(cat "$T/h")"
	sleep 0.05
done
grep -q '"status":"unavailable","reason":"the feed served has expired"' "$T/h" ||
	fail "503 body: $(cat "$T/h")"
stop_recalld
echo "recalld_health: ok"
