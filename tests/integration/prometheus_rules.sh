#!/bin/sh
# packaging/prometheus/recall.rules.yml: `promtool check rules` and `promtool test rules` with
# recall.rules.test.yml (feed near expiry and expired, no mirror for an hour, recalld down), and
# packaging/grafana/recall-dashboard.json is valid JSON whose panels all name a datasource and
# an expression. (it_recalld_publication checks that every metric the dashboard names exists.)
set -eu
SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PROMTOOL=$(command -v promtool || true)
[ -n "$PROMTOOL" ] || { echo "FAIL: promtool not found (Debian package prometheus)" >&2; exit 1; }
cd "$SRC/packaging/prometheus"
"$PROMTOOL" check rules recall.rules.yml
"$PROMTOOL" test rules recall.rules.test.yml
python3 - "$SRC/packaging/grafana/recall-dashboard.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
panels = [p for p in d["panels"] if p.get("type") != "row"]
assert panels, "no panels"
for p in panels:
    assert p.get("title"), p
    assert p.get("targets") and all(t.get("expr") for t in p["targets"]), p["title"]
print("dashboard: %d panels" % len(panels))
PY
echo "prometheus_rules: ok"
