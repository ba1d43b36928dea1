#!/bin/sh
# recalld's Prometheus endpoint: a real scrape after traffic of every kind passes Debian's
# `promtool check metrics`; only GET /metrics is served; the endpoint is on loopback.
. "${RECALL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/helpers/probe/recalld_lib.sh"

PROMTOOL=$(command -v promtool || true)
[ -n "$PROMTOOL" ] || fail "promtool not found (Debian package prometheus)"
"$PROBE" fixture "$T" -s 3 -n 5 -E 1 -R || fail "fixture"
write_conf "rotation = $T/rot-0" "ratelimit-rate = 100" "ratelimit-burst = 100" \
	"policy = monitor notice RC-TEST-2"
start_recalld
P="$PROBE send -p $PORT -E 1"
$P -n 20 -x clear >/dev/null || fail "clear"
$P -n 5 -m cam-1 -f 1.2.3 -x recalled >/dev/null || fail "recalled"
$P -n 5 -m cam-2 -f 1.2.3 -x clear >/dev/null || fail "monitored"
$P -n 5 -E 0 -x rotate >/dev/null || fail "rotate"
$P -n 5 -k version -x unsupported >/dev/null || fail "unsupported"
$P -n 5 -k garbage -x none -t 200 >/dev/null || fail "garbage"
$P -6 -n 400 -w 64 -x clear,retry >/dev/null || fail "rate limited"
curl -sf "http://127.0.0.1:$MPORT/metrics" >"$T/scrape" || fail "scrape"
"$PROMTOOL" check metrics <"$T/scrape" >"$T/promtool.out" 2>&1 ||
	fail "promtool: $(cat "$T/promtool.out")"
[ ! -s "$T/promtool.out" ] || fail "promtool lint findings: $(cat "$T/promtool.out")"
for m in 'kind="recalled"' 'kind="rotate"' 'kind="unsupported"' 'kind="retry_later"' \
	'reason="malformed"' 'decision="monitor"'; do
	[ "$(metric recalld_ "$m")" -ge 5 ] || fail "no $m in the scrape"
done
[ "$(metric recalld_feed_serial)" -eq 3 ] || fail "feed serial"
[ "$(metric recalld_notices_loaded)" -eq 5 ] || fail "notices loaded"
[ "$(metric recalld_rotation_statements)" -eq 1 ] || fail "rotation statements"
[ "$(metric recalld_feed_age_seconds)" -ge 60 ] || fail "feed age"
grep -q '^recalld_workers 2$' "$T/scrape" || fail "workers gauge"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/")
[ "$code" = 404 ] || fail "GET / gave $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$MPORT/metrics")
[ "$code" = 405 ] || fail "POST gave $code"
ctype=$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$MPORT/metrics")
case $ctype in text/plain\;\ version=0.0.4*) ;; *) fail "content type $ctype" ;; esac
stop_recalld
echo "recalld_metrics: ok (promtool check metrics passed on a real scrape)"
