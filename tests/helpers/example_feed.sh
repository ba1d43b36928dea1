# shellcheck shell=sh
# Sourced by the install and package tests (POSIX sh): a feed made by a `recall` tool, and an
# installed example recalld.conf pointed at it.

# example_feed RECALL DIR: keys, a 2-of-3 anchor set, one signed notice and a feed (serial 7)
# in DIR, made by the recall tool RECALL: DIR/anchors, DIR/feed, DIR/feed.pub.
example_feed() {
	(
		set -e
		cd "$2"
		for k in a1 a2 a3 feedkey; do "$1" keygen "$k" >/dev/null; done
		"$1" anchors create --k 2 --epoch 1 -o anchors a1.pub a2.pub a3.pub >/dev/null
		cat >cam.json <<'JSON'
{
  "id": "RC-PKG-0001",
  "expiry": "2099-01-01",
  "action": "quarantine",
  "severity": "high",
  "text": "Packaging test notice.",
  "remedy": {"url": "https://example.com/fw"},
  "target": {"vendor": "ACME", "model": "Cam 1", "versions": ["1.2.3"]}
}
JSON
		"$1" notice create cam.json >/dev/null
		"$1" notice sign -k a1.key cam.notice >/dev/null
		"$1" notice sign -k a2.key cam.notice >/dev/null
		"$1" feed build -k feedkey.key -a anchors -o feed --serial 7 cam.notice >/dev/null
		cp feedkey.pub feed.pub
	)
}

# example_conf EXAMPLE DIR OUT [USER]: the example recalld.conf EXAMPLE with only the paths of
# the feed, key, anchors and event log moved into DIR, listening on loopback; `user` is
# USER, or unset without it (the test's own user).
example_conf() {
	sed -e "s|^feed = .*|feed = $2/feed|" -e "s|^feed-key = .*|feed-key = $2/feed.pub|" \
		-e "s|^anchors = .*|anchors = $2/anchors|" \
		-e "s|^event-log = .*|event-log = $2/events.jsonl|" \
		-e "s|^listen = 192.0.2.74|listen = 127.0.0.1|" -e "/^listen = 2001:db8::74/d" \
		-e "s|^user = .*|${4:+user = $4}|" "$1" >"$3"
}
