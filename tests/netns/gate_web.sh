#!/bin/sh
# recall-gate's owner page in a real headless Chromium, in namespaces this test creates and
# deletes: a gateway rcg3-gw-PID (bridge br0 192.168.78.1/24 with real dnsmasq and
# --dhcp-script=recall-gate lease, WAN side wan0 198.18.78.1/30, recall-gate with a verified
# feed), a WAN host rcg3-wan-PID (198.18.78.2, routes the LAN prefix via the gateway) and LAN
# namespaces rcg3-cN-PID on the bridge:
#   c1 a DHCP client whose hostname and vendor class (option 60) are script-injection payloads
#   c2 a camera (tests/gate/devices.py): SSDP + UPnP description with a payload friendlyName, of
#      a model and build the feed's notice recalls (notice text with a payload too)
#   c3 a phone with a randomised MAC
#   c4 the owner's laptop, where Chromium runs (tests/netns/gate_web_browser.py)
# Checks: the page does not start on a wildcard or a WAN address or without a password (clear
# messages); answers only on the LAN (not from the WAN host, although it routes to the LAN
# address); security headers; login; every device listed, payloads shown as text and inert (no
# script, no element, no handler attribute, no dialog), the recalled camera quarantined with
# its notice and remedy link; a mouse click on "Quarantine" for the phone, checked with
# `recall-gate status --json`. Screenshots and the DOM: BUILD_DIR/gate_web/.
# Needs root, dnsmasq, busybox, python3 and chromium; exit 77 (skip) otherwise.
set -u
B=${1:?usage: $0 BUILD_DIR}
B=$(cd "$B" && pwd)
S=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
GATE=$B/gate/recall-gate
RECALL=$B/tools/recall
[ -x "$GATE" ] && [ -x "$RECALL" ] || { echo "SKIP: recall-gate or recall not built"; exit 77; }
for c in dnsmasq busybox python3 ip chromium curl; do
	command -v "$c" >/dev/null || { echo "SKIP: needs $c"; exit 77; }
done
W=$(mktemp -d /tmp/gate_web.XXXXXX)
OUT=$B/gate_web
rm -rf "$OUT"
mkdir -p "$OUT"
GW=rcg3-gw-$$ WAN=rcg3-wan-$$
NSS='' PIDS='' GP=''
. "$S/tests/helpers/ns_reap.sh"
cleanup() {
	for p in $PIDS $GP; do kill "$p" 2>/dev/null; done
	for n in $NSS; do ns_reap "$n"; done
	wait 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fails=0
ok() { echo "ok: $*"; }
bad() { fails=$((fails + 1)); echo "FAIL: $*"; }

ip netns add "$GW" || { echo "SKIP: cannot create namespaces"; exit 77; }
NSS=$GW
ingw() { ip netns exec "$GW" "$@"; }
ingw ip link set lo up
ingw ip link add br0 type bridge
ingw ip addr add 192.168.78.1/24 dev br0
ingw ip link set br0 up
ip netns add "$WAN" && NSS="$NSS $WAN"
ip link add wan0 netns "$GW" type veth peer name n0 netns "$WAN"
ingw ip addr add 198.18.78.1/30 dev wan0
ingw ip link set wan0 up
ingw sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$WAN" sh -e -c 'ip link set lo up; ip link set n0 up
	ip addr add 198.18.78.2/30 dev n0; ip route add 192.168.78.0/24 via 198.18.78.1'

client() { # N MAC: namespace rcg3-cN-PID with eth0 (MAC) on br0
	ns=rcg3-c$1-$$
	ip netns add "$ns" && NSS="$NSS $ns"
	ip link add eth0 netns "$ns" address "$2" type veth peer name p$1 netns "$GW"
	ingw ip link set p$1 master br0 up
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" ip link set eth0 up
}
cat >"$W/udhcpc.sh" <<'EOF'
#!/bin/sh
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
ip addr flush dev "$interface"
ip addr add "$ip/${mask:-24}" dev "$interface"
exit 0
EOF
chmod +x "$W/udhcpc.sh"
dhcp() { # N UDHCPC-ARGS...
	n=$1
	shift
	ip netns exec "rcg3-c$n-$$" busybox udhcpc -i eth0 -q -n -t 5 -T 1 -s "$W/udhcpc.sh" "$@" \
		>"$W/udhcpc$n.log" 2>&1 || bad "client $n: no lease ($(tail -1 "$W/udhcpc$n.log"))"
}
addr_of() { ip netns exec "rcg3-c$1-$$" ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1; }

# The payloads: what the devices call themselves, and the notice's text.
P_HOST='<script>alert("host")</script>'
P_VENDOR='"><img src=x onerror=alert(1)>'
P_FRIENDLY="<script>alert('friendly')</script><svg onload=alert(2)>"
P_NOTICE='<img src=x onerror=alert(3)>'

# The authority's feed: one notice for the camera's model and build.
mkdir -p "$W/feed" "$W/state"
(
	set -e
	cd "$W/feed"
	for k in a1 a2 a3 feedkey; do "$RECALL" keygen "$k" >/dev/null; done
	"$RECALL" anchors create --k 2 --epoch 1 -o anchors a1.pub a2.pub a3.pub >/dev/null
	python3 - "$P_NOTICE" >cam.json <<'PY'
import json, sys
print(json.dumps({
    "id": "RC-2021-36260", "expiry": "2099-01-01", "action": "quarantine",
    "severity": "critical", "refs": ["CVE-2021-36260"],
    "text": "Command injection in the camera's web server (CVE-2021-36260, in CISA's KEV "
            "catalogue); attackers take over the camera. " + sys.argv[1] +
            " Install firmware V5.5.0 or later.",
    "remedy": {"url": "https://www.hikvision.com/en/support/cybersecurity/security-advisory/"},
    "target": {"vendor": "Hikvision", "model": "DS-2CD2032-I",
               "versions": ["V5.4.0 build 160530"]}}))
PY
	"$RECALL" notice create cam.json >/dev/null
	"$RECALL" notice sign -k a1.key cam.notice >/dev/null
	"$RECALL" notice sign -k a2.key cam.notice >/dev/null
	"$RECALL" feed build -k feedkey.key -a anchors -o feed --serial 7 cam.notice >/dev/null
) || { bad "feed"; exit 1; }
conf() { # WEB-LISTEN
	cat >"$W/gate.conf" <<EOF
interface = br0
wan-interface = wan0
state-dir = $W/state
control-socket = $W/control
web-listen = $1
feed = $W/feed/feed
feed-key = $W/feed/feedkey.pub
anchors = $W/feed/anchors
responder = 192.0.2.53:7412 [2001:db8::53]:7412
vendors-map = $S/gate/data/vendors.map
oui-file = $S/gate/data/oui.txt
EOF
}
cat >"$W/lease-hook" <<EOF
#!/bin/sh
exec "$GATE" -c "$W/gate.conf" lease "\$@"
EOF
chmod +x "$W/lease-hook"

start_gate() {
	: >"$W/gate.log"
	ip netns exec "$GW" "$GATE" -c "$W/gate.conf" -f -v run >>"$W/gate.log" 2>&1 &
	GP=$!
	for _ in $(seq 50); do [ -S "$W/control" ] && sleep 0.3 && return 0; sleep 0.1; done
	bad "recall-gate did not start"
	cat "$W/gate.log"
	exit 1
}
stop_gate() { kill "$GP"; wait "$GP" 2>/dev/null; GP=""; rm -f "$W/control"; }
status() { ingw "$GATE" -c "$W/gate.conf" status --json; }
field() { # MAC KEY: a top-level value of a device in the status JSON
	status | python3 -c '
import json, sys
for d in json.load(sys.stdin)["devices"]:
    if d["mac"] == sys.argv[1]:
        print(d.get(sys.argv[2], ""))
        break
else:
    print("MISSING")' "$1" "$2"
}
# page_refused WHAT PATTERN: the daemon runs, the log explains, nothing listens on 8080
page_refused() {
	if grep -q "$2" "$W/gate.log" && ! ingw sh -c 'ss -Htln | grep -q ":8080 "'; then
		ok "page not started with $1: $(grep -o "web.*" "$W/gate.log" | head -1)"
	else
		bad "page with $1: expected '$2' in the log and no listener"
		cat "$W/gate.log"
	fi
}

# The page refuses a wildcard, a WAN address, and a missing password.
conf 0.0.0.0:8080
start_gate
page_refused "a wildcard address" "wildcard address"
stop_gate
conf 198.18.78.1:8080
start_gate
page_refused "a WAN address" "not an address of the LAN interface br0"
stop_gate
conf 192.168.78.1:8080
start_gate
page_refused "no password file" "run .recall-gate passwd."
stop_gate
PW='owner pass phrase 1'
printf '%s\n' "$PW" | "$GATE" -c "$W/gate.conf" passwd >/dev/null 2>&1 || bad "recall-gate passwd"
[ "$(stat -c %a "$W/state/password")" = 600 ] && ok "password file mode 0600" ||
	bad "password file mode $(stat -c %a "$W/state/password")"
start_gate

ip netns exec "$GW" dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface=br0 --bind-interfaces \
	--dhcp-range=192.168.78.100,192.168.78.199,255.255.255.0,1h --dhcp-leasefile="$W/leases" \
	--dhcp-script="$W/lease-hook" --user=root --group=root --log-dhcp >"$W/dnsmasq.log" 2>&1 &
PIDS="$PIDS $!"
sleep 1
M1=00:16:3e:00:03:01 M2=00:16:3e:00:03:02 M3=da:a1:19:00:03:03 M4=00:16:3e:00:03:04
client 1 $M1; client 2 $M2; client 3 $M3; client 4 $M4
dhcp 1 -V "$P_VENDOR" -x hostname:"$P_HOST"
dhcp 2 -x hostname:camera
dhcp 3 -x hostname:phone
dhcp 4 -x hostname:laptop
A1=$(addr_of 1) A2=$(addr_of 2)
# dnsmasq passes on only a valid hostname: the payload goes through the lease hook the way
# dnsmasq calls it (argv and DNSMASQ_* environment), as odhcpd or a patched dnsmasq might.
env DNSMASQ_VENDOR_CLASS="$P_VENDOR" DNSMASQ_INTERFACE=br0 \
	"$W/lease-hook" old "$M1" "$A1" "$P_HOST" || bad "lease hook"
LIFETIME=120 FRIENDLY="$P_FRIENDLY" ip netns exec "rcg3-c2-$$" \
	python3 "$S/tests/gate/devices.py" camera "$A2" Hikvision DS-2CD2032-I "V5.4.0 build 160530" &
PIDS="$PIDS $!"

for _ in $(seq 60); do [ "$(field $M2 state)" = quarantined ] && break; sleep 0.5; done
[ "$(field $M2 state)" = quarantined ] && ok "camera recalled and quarantined by the gate" ||
	bad "camera state '$(field $M2 state)' ($(status | grep -c mac) devices)"
for _ in $(seq 20); do status | grep -q 'alert(\\"host\\")' && break; sleep 0.5; done
status | grep -q 'onerror=alert(1)' && ok "payload vendor class in the inventory" ||
	bad "payload vendor class not in the inventory"

# LAN only: the laptop reaches the page; the WAN host, routing to the same address, does not.
URL=http://192.168.78.1:8080
inlap() { ip netns exec "rcg3-c4-$$" "$@"; }
code=$(inlap curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/login")
[ "$code" = 200 ] && ok "login page from the LAN" || bad "login page from the LAN: $code"
ip netns exec "$WAN" ping -c1 -W2 -q 192.168.78.1 >/dev/null 2>&1 &&
	ok "the WAN host routes to the LAN address" || bad "the WAN host cannot reach 192.168.78.1"
if ip netns exec "$WAN" curl -s -o /dev/null --max-time 3 "$URL/login"; then
	bad "the page answers the WAN host"
else
	ok "the page does not answer the WAN host"
fi
inlap curl -s -D "$W/h" -o /dev/null --max-time 5 "$URL/"
for h in "Location: /login" "Content-Security-Policy: default-src 'none'; style-src 'sha256-" \
	"form-action 'self'; frame-ancestors 'none'" "X-Content-Type-Options: nosniff" \
	"Referrer-Policy: no-referrer" "Cache-Control: no-store"; do
	grep -qF "$h" "$W/h" && ok "header $h" || bad "header $h missing"
done
code=$(inlap curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/api/devices")
[ "$code" = 401 ] && ok "API without a session: 401" || bad "API without a session: $code"
code=$(inlap curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Host: evil.example:8080" "$URL/login")
[ "$code" = 421 ] && ok "foreign Host (DNS rebinding): 421" || bad "foreign Host: $code"

echo "info: recall-gate before a login: $(grep -E '^Vm(RSS|HWM)' /proc/"$GP"/status | tr -s ' \t\n' ' ')"
# The JSON API through the real server: login, the devices, an action with the header token,
# a body over the cap.
J=$(inlap curl -s -c "$W/jar" --max-time 10 -H 'Content-Type: application/json' \
	-d "{\"password\": \"$PW\"}" "$URL/api/login")
TOKEN=$(printf '%s' "$J" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])' 2>/dev/null)
[ ${#TOKEN} -eq 64 ] && ok "API login: a CSRF token" || bad "API login: $J"
inlap curl -s -b "$W/jar" --max-time 10 "$URL/api/devices" >"$W/api.json"
python3 - "$W/api.json" "$M2" "$P_FRIENDLY" <<'PY' && ok "API: devices, payload name as data" || bad "API devices"
import json, sys
d = {x["mac"]: x for x in json.load(open(sys.argv[1]))["devices"]}
cam = d[sys.argv[2]]
assert len(d) >= 4 and cam["name"] == sys.argv[3] and cam["state"] == "quarantined", cam
assert cam["fields"]["friendly_name"]["source"] == "upnp" and cam["notice"]["remedy_linkable"]
PY
code=$(inlap curl -s -o /dev/null -w '%{http_code}' -b "$W/jar" --max-time 10 -X POST "$URL/api/devices/$M1/notify")
[ "$code" = 403 ] && ok "API action without X-CSRF-Token: 403" || bad "API action without token: $code"
code=$(inlap curl -s -o "$W/act.json" -w '%{http_code}' -b "$W/jar" --max-time 10 -X POST \
	-H "X-CSRF-Token: $TOKEN" "$URL/api/devices/$M1/notify")
[ "$code" = 200 ] && [ "$(field $M1 policy)" = notify ] && ok "API action notify: status --json policy notify" ||
	bad "API action: $code, policy $(field $M1 policy)"
head -c 5000 /dev/zero | tr '\0' x >"$W/big"
code=$(inlap curl -s -o /dev/null -w '%{http_code}' -b "$W/jar" --max-time 10 -X POST \
	-H "X-CSRF-Token: $TOKEN" --data-binary @"$W/big" "$URL/api/devices/$M1/confirm-fw")
[ "$code" = 413 ] && ok "5000-byte body: 413" || bad "5000-byte body: $code"

# The browser: log in, check the DOM, screenshot, click "Quarantine" for the phone.
printf '%s\n' "$P_HOST" "$P_VENDOR" "$P_FRIENDLY" "$P_NOTICE" >"$W/names"
[ "$(field $M3 state)" != quarantined ] || bad "phone quarantined before the click"
inlap timeout 180 python3 "$S/tests/netns/gate_web_browser.py" "$URL" "$PW" "$OUT" "$M3" \
	quarantine "$W/names" >"$W/browser.out" 2>&1
rc=$?
cat "$W/browser.out"
[ "$rc" -eq 0 ] && ok "Chromium: login, DOM checks, click" || bad "Chromium run: exit $rc"
python3 - "$OUT/devices.json" "$M1" "$M2" "$M3" "$M4" <<'PY' || bad "page devices"
import json, sys
devs = {d["mac"]: d for d in json.load(open(sys.argv[1]))}
m1, m2, m3, m4 = sys.argv[2:6]
missing = [m for m in (m1, m2, m3, m4) if m not in devs]
assert not missing, "not on the page: %s" % missing
assert devs[m2]["state"] == "quarantined", devs[m2]["state"]
assert "alert('friendly')" in devs[m2]["name"], devs[m2]["name"]
assert "CVE-2021-36260" in devs[m2]["text"] and "onerror=alert(3)" in devs[m2]["text"]
assert "(randomised)" in devs[m3]["text"]
print("ok: every device on the page; the camera quarantined with its notice")
PY
grep -q 'class="remedy" rel="noreferrer noopener" href="https://www.hikvision.com/' \
	"$OUT/page.html" && ok "remedy link" || bad "no remedy link in the DOM"
for _ in $(seq 10); do [ "$(field $M3 state)" = quarantined ] && break; sleep 0.3; done
[ "$(field $M3 state)" = quarantined ] && ok "status --json: phone quarantined by the click" ||
	bad "status --json: phone state '$(field $M3 state)' after the click"
[ "$(field $M1 state)" != quarantined ] && ok "the other devices untouched" ||
	bad "client 1 quarantined too"
[ -s "$OUT/page.png" ] && ok "screenshot $OUT/page.png ($(stat -c %s "$OUT/page.png") bytes)" ||
	bad "no screenshot"

# Memory after the logins (information, not a check): argon2id's 19 MiB are given back.
echo "info: recall-gate after the logins: $(grep -E '^Vm(RSS|HWM)' /proc/"$GP"/status | tr -s ' \t\n' ' ')"
# The gate stops cleanly (and, in a sanitizer build, without a report).
stop_gate
cp "$W/gate.log" "$OUT/gate.log"
if grep -qE "Sanitizer|runtime error" "$W/gate.log"; then
	bad "sanitizer report in gate.log"
else
	ok "gate stopped, no sanitizer report"
fi

if [ "$fails" -ne 0 ]; then
	echo "--- gate.log"; tail -40 "$W/gate.log"; echo "--- dnsmasq.log"; tail -20 "$W/dnsmasq.log"
	echo "gate_web: $fails failed"
	exit 1
fi
echo "gate_web: all passed"
