# shellcheck shell=bash
# recall-gate in the lab's home (issue 10 item 7), sourced after lab/lab.sh and
# lab/scenario.sh by lab/demo and tests/netns/lab_gate.sh. The gateway gw runs recall-gate in
# feed mode (the private default: the authority's feed is copied to the gateway, no check-in
# per device) with dnsmasq's --dhcp-script feeding it every lease, its nftables table
# inet recall_gate, and its owner page on the LAN address. The devices here run no agent:
#   gcam  a PTZOptics PT30X-NDI camera, firmware 6.3.34 (CVE-2024-8956, in CISA KEV), that
#         answers SSDP with a UPnP description (tests/gate/devices.py camera)
#   gmud  a PTZOptics PT30X-SDI whose DHCP request carries a MUD URL (option 161, busybox
#         udhcpc -x 0xa1:...); its MUD file names firmware 6.3.30 and is served over https by
#         nginx on the Internet host inet, with a certificate from a lab CA
#   gsil  a silent device: DHCP only (a fingerprint: parameter request list, vendor class) and
#         a D-Link OUI MAC; gate/data/dhcp-fingerprints.txt names it a D-Link DIR-605L (model
#         only), which a notice targets: "possibly affected", never blocked
#   gpho  a phone with a randomised (locally administered) MAC
#   gmdn  a second PT30X-NDI that names its vendor and model over mDNS but no firmware build:
#         "possibly affected", never blocked
# recall-gate has no CA or resolver option: libcurl uses the system CA bundle and resolver. The
# gate therefore runs in a mount namespace of its own where the lab CA is appended to a copy of
# /etc/ssl/certs/ca-certificates.crt and the MUD server's name is in a copy of /etc/hosts, both
# bind-mounted over the originals (stand-ins for a public CA and the Internet's DNS).

GATE=${GATE:-}
LAB_GATE_PW=lab-owner-password
LAB_GATE_WEB=$LAB_LAN4.1:8080
LAB_MUD_HOST=mud.ptzoptics.example

# MAC of gate device $1 (gcam, gmud: an OUI not in oui.txt; gsil: a D-Link OUI; gpho: locally
# administered bit set).
lab_gate_mac() {
	case $1 in
	gcam) echo 00:50:c2:50:0c:01 ;;
	gmud) echo 00:50:c2:50:0c:02 ;;
	gsil) echo 00:1b:11:50:0c:03 ;;
	gpho) echo 5a:3e:91:50:0c:04 ;;
	gmdn) echo 00:50:c2:50:0c:05 ;;
	*) return 1 ;;
	esac
}

# The lab CA and the MUD server's certificate (openssl), in $LAB_DIR/pki.
lab_gate_pki() {
	local p=$LAB_DIR/pki
	mkdir -p "$p"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=recall lab CA" -keyout "$p/ca.key" -out "$p/ca.crt" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
		>/dev/null 2>&1 || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$LAB_MUD_HOST" \
		-keyout "$p/mud.key" -out "$p/mud.csr" >/dev/null 2>&1 || return 1
	printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$LAB_MUD_HOST" >"$p/ext"
	openssl x509 -req -in "$p/mud.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial \
		-days 2 -extfile "$p/ext" -out "$p/mud.crt" >/dev/null 2>&1 || return 1
	chmod 644 "$p/mud.key"
}

# nginx on the Internet host: https://$LAB_MUD_HOST/ (the vendor's MUD server).
lab_gate_nginx() {
	local n=$LAB_DIR/nginx
	mkdir -p "$n/www/mud" "$n/tmp"
	cat >"$n/www/mud/pt30x-sdi.json" <<EOF
{
  "ietf-mud:mud": {
    "mud-version": 1,
    "mud-url": "https://$LAB_MUD_HOST/mud/pt30x-sdi.json",
    "last-update": "2024-09-01T00:00:00+00:00",
    "cache-validity": 48,
    "is-supported": true,
    "systeminfo": "PTZOptics PT30X-SDI PTZ camera",
    "mfg-name": "PTZOptics",
    "model-name": "PT30X-SDI",
    "firmware-rev": "6.3.30",
    "from-device-policy": {"access-lists": {"access-list": []}},
    "to-device-policy": {"access-lists": {"access-list": []}}
  }
}
EOF
	cat >"$n/nginx.conf" <<EOF
worker_processes 1;
pid $n/nginx.pid;
error_log $n/error.log;
events { worker_connections 16; }
http {
	access_log $n/access.log;
	client_body_temp_path $n/tmp;
	proxy_temp_path $n/tmp;
	fastcgi_temp_path $n/tmp;
	uwsgi_temp_path $n/tmp;
	scgi_temp_path $n/tmp;
	default_type application/mud+json;
	server {
		listen $LAB_INET4:443 ssl;
		server_name $LAB_MUD_HOST;
		ssl_certificate $LAB_DIR/pki/mud.crt;
		ssl_certificate_key $LAB_DIR/pki/mud.key;
		root $n/www;
	}
}
EOF
	(ip netns exec "$LAB-inet" nginx -c "$n/nginx.conf" -g 'daemon off;' >"$n/nginx.out" 2>&1 &)
	sc_wait 50 lx inet sh -c "ss -ltn | grep -q '$LAB_INET4:443'"
}

# recall-gate's files on gw: configuration, the authority's feed (copied: feed mode), the CA
# bundle and hosts file of its mount namespace, the lease hook dnsmasq runs.
lab_gate_conf() {
	local A=$1 g=$LAB_DIR/gw
	mkdir -p "$g/state"
	cp "$A/feed" "$A/feed.pub" "$A/anchors.cbor" "$g/"
	cat >"$g/recall-gate.conf" <<EOF
interface = br0
wan-interface = gwr
state-dir = $g/state
control-socket = $g/control
web-listen = $LAB_GATE_WEB
check-mode = feed
feed = $g/feed
feed-key = $g/feed.pub
anchors = $g/anchors.cbor
responder = $LAB_ANYCAST4:7412 [$LAB_ANYCAST6]:7412
vendors-map = $LAB_SRC/gate/data/vendors.map
oui-file = $LAB_SRC/gate/data/oui.txt
dhcp-fingerprints = $LAB_SRC/gate/data/dhcp-fingerprints.txt
EOF
	cat /etc/ssl/certs/ca-certificates.crt "$LAB_DIR/pki/ca.crt" >"$g/ca-certificates.crt"
	{
		cat /etc/hosts
		echo "$LAB_INET4 $LAB_MUD_HOST"
	} >"$g/hosts"
	cat >"$g/lease-hook" <<EOF
#!/bin/sh
exec "$GATE" -c "$g/recall-gate.conf" lease "\$@"
EOF
	chmod 755 "$g/lease-hook"
	printf '%s\n' "$LAB_GATE_PW" | lab_gate_ctl passwd >/dev/null
}

lab_gate_ctl() { lx gw "$GATE" -c "$LAB_DIR/gw/recall-gate.conf" "$@"; }

# Start recall-gate on gw (in its own mount namespace, see above) and wait for its socket.
lab_gate_run() {
	local g=$LAB_DIR/gw
	(ip netns exec "$LAB-gw" unshare -m sh -c "mount --bind '$g/ca-certificates.crt' \
		/etc/ssl/certs/ca-certificates.crt && mount --bind '$g/hosts' /etc/hosts &&
		exec '$GATE' -c '$g/recall-gate.conf' -f -v run" >>"$g/gate.log" 2>&1 &)
	sc_wait 100 test -S "$g/control"
}

# The whole gateway part: PKI, MUD server, recall-gate, dnsmasq again with the lease hook
# (dnsmasq reports every lease it holds to the hook at start).
lab_gate_up() {
	GATE=$SC_B/gate/recall-gate
	[ -x "$GATE" ] || return 1
	lab_gate_pki && lab_gate_nginx && lab_gate_conf "$1" && lab_gate_run || return 1
	kill "$(cat "$LAB_DIR/dnsmasq.pid")" 2>/dev/null
	sc_wait 50 sh -c "! kill -0 $(cat "$LAB_DIR/dnsmasq.pid") 2>/dev/null"
	rm -f "$LAB_DIR/dnsmasq.pid"
	LAB_DHCP_SCRIPT=$LAB_DIR/gw/lease-hook lab_dnsmasq
	sc_wait 50 test -s "$LAB_DIR/dnsmasq.pid"
}

# A device without the agent: namespace, MAC, DHCP with udhcpc ARGS (one-shot, then the
# lease is configured by lab/udhcpc.script). Does not wait for SLAAC.
lab_gate_device() {
	local d=$1 mac
	shift
	mac=$(lab_gate_mac "$d") || return 1
	lab_addns "$d"
	lab_lan_port "$d"
	lx "$d" ip link set dev "${d}l" down
	lx "$d" ip link set dev "${d}l" address "$mac"
	lx "$d" ip link set dev "${d}l" up
	LAB_DHCP_LOG="$LAB_DIR/$d.dhcp" lx "$d" busybox udhcpc -i "${d}l" -q -n -t 10 -T 1 \
		-s "$LAB_SRC/lab/udhcpc.script" "$@" >>"$LAB_DIR/$d.udhcpc.log" 2>&1
}
lab_gate_addr() { lx "$1" ip -4 -o addr show dev "${1}l" | awk '{print $4}' | cut -d/ -f1; }

# The four devices; the camera answers SSDP for LIFETIME seconds.
lab_gate_devices() {
	local mud hex
	lab_gate_device gcam -x hostname:garden-cam || return 1
	(LIFETIME=${LAB_GATE_LIFETIME:-600} FRIENDLY="Garden camera" ip netns exec "$LAB-gcam" \
		python3 "$LAB_SRC/tests/gate/devices.py" camera "$(lab_gate_addr gcam)" PTZOptics \
		PT30X-NDI 6.3.34 >"$LAB_DIR/gcam.ssdp.log" 2>&1 &)
	mud=https://$LAB_MUD_HOST/mud/pt30x-sdi.json
	hex=$(printf %s "$mud" | od -An -tx1 | tr -d ' \n')
	lab_gate_device gmud -x 0xa1:"$hex" -x hostname:studio-cam || return 1
	# the silent device: a D-Link DIR-605L's busybox udhcpc fingerprint, nothing else
	lab_gate_device gsil -V "udhcp 1.19.4" -O 33 -O 121 || return 1
	lab_gate_device gpho -x hostname:phone || return 1
	lab_gate_device gmdn -x hostname:hall-cam || return 1
	(LIFETIME=${LAB_GATE_LIFETIME:-600} ip netns exec "$LAB-gmdn" python3 \
		"$LAB_SRC/tests/gate/devices.py" mdns "$(lab_gate_addr gmdn)" hall-cam "Hall camera" \
		PTZOptics PT30X-NDI "" >"$LAB_DIR/gmdn.mdns.log" 2>&1 &)
}

# Field of gate device $1 (a MAC) from `recall-gate status --json`: PATH like "state" or
# "fields.manufacturer.value" or "identity.fwver".
lab_gate_field() {
	lab_gate_ctl status --json | python3 -c '
import json, sys
mac, path = sys.argv[1], sys.argv[2].split(".")
for d in json.load(sys.stdin)["devices"]:
    if d["mac"] == mac:
        v = d
        for p in path:
            v = v.get(p, "") if isinstance(v, dict) else ""
        print(v if not isinstance(v, (dict, list)) else json.dumps(v))
        break' "$1" "$2"
}
lab_gate_is() { [ "$(lab_gate_field "$(lab_gate_mac "$1")" "$2")" = "$3" ]; }
lab_gate_wait() { sc_wait $((${4:-20} * 10)) lab_gate_is "$1" "$2" "$3"; }
lab_gate_in_table() { lx gw nft list set inet recall_gate "$1" 2>/dev/null | grep -qi "$2"; }

# recall-gate status as a table (one status call), one line per device of the gate's list $@.
lab_gate_table() {
	local d macs=''
	for d in "$@"; do macs="$macs $d=$(lab_gate_mac "$d")"; done
	# shellcheck disable=SC2086 # $macs: one word a device
	lab_gate_ctl status --json | python3 -c '
import json, sys
devs = {d["mac"]: d for d in json.load(sys.stdin)["devices"]}
fmt = "%-5s %-18s %-10s %-12s %-32s %s"
print(fmt % ("dev", "mac", "confidence", "state", "identity", "notice"))
for a in sys.argv[1:]:
    name, mac = a.split("=")
    d = devs.get(mac, {})
    i = d.get("identity") or {}
    ident = " ".join(i.get(k, "") for k in ("vendor", "model", "fwver")).strip() or "-"
    print(fmt % (name, mac, d.get("confidence", "?"), d.get("state", "absent"), ident,
                 d.get("notice") or "-"))' $macs
}

# The owner page in headless Chromium from the LAN host nas: log in, screenshot, click ACTION
# ($2) for device $1 (the form carries the page's CSRF token). Output in $LAB_DIR/gate-page.
lab_gate_browser() {
	mkdir -p "$LAB_DIR/gate-page"
	lx nas timeout 180 python3 "$LAB_SRC/tests/netns/gate_web_browser.py" "http://$LAB_GATE_WEB" \
		"$LAB_GATE_PW" "$LAB_DIR/gate-page" "$(lab_gate_mac "$1")" "$2" \
		>"$LAB_DIR/gate-page/browser.out" 2>&1
}

# ---------------------------------------------------------------------------------------------
# The demo's gateway section (lab/demo): $1 = the authority's directory. The agents' devices of
# the demo are on the LAN too; the gateway learns them like any device.
lab_gate_demo() {
	local A=$1 d
	# shellcheck disable=SC2034 # read by expect (lab/scenario.sh)
	SC_GROUP=gateway
	say_h "10. The home gateway: recall-gate protects the devices that run no agent"
	say "recall-gate on gw in feed mode (the private default): the authority's feed is copied"
	say "to the gateway and checked there, so the ISP learns nothing per device; dnsmasq's"
	say "--dhcp-script is recall-gate's lease hook; the owner page listens on $LAB_GATE_WEB"
	expect "recall-gate runs on gw, dnsmasq restarted with the lease hook" lab_gate_up "$A"
	grep -E 'installed|page|started' "$LAB_DIR/gw/gate.log" | say_block
	say "five devices without the agent join the LAN:"
	say "  gcam  PTZOptics PT30X-NDI 6.3.34 (CVE-2024-8956, in CISA KEV): answers SSDP, UPnP description"
	say "  gmud  PTZOptics PT30X-SDI: DHCP option 161 = https://$LAB_MUD_HOST/mud/pt30x-sdi.json"
	say "        (nginx on the Internet host, certificate from the lab CA), MUD file: firmware 6.3.30"
	say "  gsil  a silent device: a DHCP fingerprint and a D-Link OUI, nothing else (a D-Link"
	say "        DIR-605L, a model the feed recalls per hardware revision: CVE-2014-8361 ...)"
	say "  gpho  a phone with a randomised MAC"
	say "  gmdn  another PT30X-NDI that gives vendor and model over mDNS, but no firmware build"
	expect "the five devices get their leases (busybox udhcpc)" lab_gate_devices
	expect "gcam: firmware 6.3.34 from its UPnP description" lab_gate_wait gcam fields.fwver.source upnp
	expect "gmud: firmware 6.3.30 from its MUD file (https)" lab_gate_wait gmud fields.fwver.source mud
	expect "gcam: recalled by the gateway and quarantined" lab_gate_wait gcam state quarantined
	expect "gmud: recalled by the gateway and quarantined" lab_gate_wait gmud state quarantined
	say "the inventory (recall-gate status), the devices without the agent:"
	expect "gmdn: model only, possibly affected" lab_gate_wait gmdn state possible
	expect "gsil: model only from its DHCP fingerprint and OUI, possibly affected" \
		lab_gate_wait gsil state possible
	for d in gcam gmud gsil gpho gmdn; do
		lab_gate_ctl status | awk -v m="$(lab_gate_mac "$d")" '
			/^[0-9a-f][0-9a-f]:/ { p = ($1 == m) } p' | grep -v '^  addresses'
	done | cut -c1-110 | say_block
	say "summary:"
	lab_gate_table gcam gmud gsil gpho gmdn | say_block
	expect "gcam: notice $(sc_dev_notice cam), identity described (UPnP)" \
		lab_gate_is gcam notice "$(sc_dev_notice cam)"
	expect "gmud: identity declared by its MUD file" lab_gate_is gmud confidence declared
	expect "gpho: randomised MAC recognised" lab_gate_is gpho mac_random True
	say "gsil is known only by DHCP (option 60 \"$(lab_gate_field "$(lab_gate_mac gsil)" \
		fields.vendor_class.value)\", option 55 $(lab_gate_field "$(lab_gate_mac gsil)" \
		fields.dhcp_prl.value)) and its OUI; the fingerprint table names the model:"
	lab_gate_field "$(lab_gate_mac gsil)" mapping | say_block
	expect "gsil: identity d-link dir-605l, model only" lab_gate_is gsil confidence model
	say "gsil: the notice shown: $(lab_gate_field "$(lab_gate_mac gsil)" notice) (the feed has a"
	say "DIR-605L notice per hardware revision; a model-only identity has none: the first is shown)"
	say "the gateway's nftables table (blocked MACs and addresses):"
	lx gw nft list set inet recall_gate q_mac | grep -E 'elements|:' | say_block
	for d in gcam gmud; do
		say "$d, probes from inside the device:"
		expect "$d: LAN host $LAB_NAS4 answers" lab_reach "$d" "$LAB_NAS4"
		expect "$d: firmware server $LAB_FW4 (remedy endpoint) answers" lab_reach "$d" "$LAB_FW4"
		expect_not "$d: Internet host $LAB_INET4 does not answer" lab_reach "$d" "$LAB_INET4"
	done
	say "never blocked on a guess: gsil and gmdn (possibly affected: the owner is asked for the"
	say "firmware version on the page), gpho:"
	expect "gsil: Internet host answers" lab_reach gsil "$LAB_INET4"
	expect "gmdn: Internet host answers" lab_reach gmdn "$LAB_INET4"
	expect "gpho: Internet host answers" lab_reach gpho "$LAB_INET4"
	say "the owner opens the page on the LAN (headless Chromium on nas), logs in and clicks"
	say "Release for gcam (a form submission carrying the page's CSRF token):"
	expect "owner page: login, DOM checks (no script, escaped names), Release clicked" \
		lab_gate_browser gcam release
	grep -v '^$' "$LAB_DIR/gate-page/browser.out" | cut -c1-110 | say_block
	say "screenshot: $LAB_DIR/gate-page/page.png (kept after the demo with LAB_KEEP=1)"
	expect "screenshot saved" test -s "$LAB_DIR/gate-page/page.png"
	expect "gcam: released by the owner (recalled, policy notify)" lab_gate_wait gcam state recalled
	expect "gcam: Internet host answers again" sc_wait 30 lab_reach gcam "$LAB_INET4"
	expect_not "gmud: still blocked" lab_reach gmud "$LAB_INET4"
}
