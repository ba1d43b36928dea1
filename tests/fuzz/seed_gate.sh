#!/bin/sh
# Writes the seed corpora of the recall-gate fuzz targets (fuzz_gate_*.c) into corpus/gate_*/:
# the samples of tests/data/gate (written for recall, real-world-shaped; see tests/data/SOURCES),
# the packets and documents the unit tests build (test_gate_parse, test_gate_input write them
# through RECALL_WRITE_SEEDS), and small hand-written inputs for the refusal paths.
# Usage: tests/fuzz/seed_gate.sh BUILD_DIR   (a build with the unit tests)
set -eu
B=$(cd "$1" && pwd)
cd "$(dirname "$0")"
C=corpus
D=../data/gate
for c in gate_ssdp gate_upnp gate_mdns gate_dhcp gate_mud gate_announce; do
	rm -rf "${C:?}/$c"
	mkdir -p "$C/$c"
done
RECALL_WRITE_SEEDS=$(pwd)/$C "$B/tests/unit/test_gate_parse" >/dev/null 2>&1
RECALL_WRITE_SEEDS=$(pwd)/$C "$B/tests/unit/test_gate_input" >/dev/null 2>&1

# --- SSDP: refusals
s=$C/gate_ssdp
printf 'NOTIFY * HTTP/1.1\r\nLOCATION: http://192.168.1.64/a\r\nLocation: http://192.168.1.65/b\r\n\r\n' >"$s/bad-two-locations.txt"
printf 'NOTIFY * HTTP/1.1\r\nA: b\r\n c\r\n\r\n' >"$s/bad-folded.txt"
printf 'NOTIFY * HTTP/1.1\nLOCATION: http://user@192.168.1.64:80/d.xml\n\n' >"$s/userinfo-lf.txt"
printf 'NOTIFY * HTTP/1.1\r\nLOCATION: http://192.168.1.64/\033[2J\342\200\256\r\n\r\n' >"$s/controls.txt"

# --- UPnP: the samples, entity tricks included
for f in "$D"/upnp-*.xml; do cp "$f" "$C/gate_upnp/${f##*/upnp-}"; done
printf '<root xmlns="urn:schemas-upnp-org:device-1-0"><device><manufacturer>A</manufacturer><modelName>B</modelName><firmwareVersion>1.0</firmwareVersion><deviceList><device><modelName>C</modelName></device></deviceList></device></root>' >"$C/gate_upnp/small.xml"

# --- mDNS: a compression loop and a truncated TXT (the good packets come from the test)
printf '\000\000\204\000\000\000\000\001\000\000\000\000\300\014\000\020\000\001\000\000\000\170\000\001\000' >"$C/gate_mdns/bad-loop.bin"
printf '\000\000\204\000\000\000\000\001\000\000\000\000\001a\000\000\020\000\001\000\000\000\170\000\011\003md=' >"$C/gate_mdns/bad-trunc.bin"

# --- DHCP: dnsmasq argv + env (LF separated, empty line between), odhcpd lines
d=$C/gate_dhcp
printf 'add\n44:47:cc:12:34:56\n192.168.1.64\ncam\n\nDNSMASQ_SUPPLIED_HOSTNAME=HIKVISION-CAM\nDNSMASQ_VENDOR_CLASS=udhcp 1.36.1\nDNSMASQ_REQUESTED_OPTIONS=1,3,6,12,15,28,42\nDNSMASQ_MUD_URL=https://lighting.example.com/lightbulb2000\nDNSMASQ_INTERFACE=br-lan' >"$d/dnsmasq-add.txt"
printf 'del\n44:47:cc:12:34:56\n192.168.1.64\n\nDNSMASQ_INTERFACE=br-lan' >"$d/dnsmasq-del.txt"
printf 'add\n00:01:00:01:2c:1f:aa:bb:44:47:cc:12:34:56\n2001:db8::64\n\nDNSMASQ_MAC=44:47:cc:12:34:56\nDNSMASQ_IAID=12345\nDNSMASQ_VENDOR_CLASS_ID=4491\nDNSMASQ_VENDOR_CLASS0=docsis3.0' >"$d/dnsmasq-v6.txt"
printf 'add\n44:47:cc:12:34:56\n192.168.1.64\n\nDNSMASQ_MUD_URL=http://user@192.168.1.1/x\nDNSMASQ_MUD_URL=https://b.example/' >"$d/bad-twice.txt"
printf 'add\n44:47:cc:12:34:56\n192.168.1.64\n\nDNSMASQ_MUD_URL=https://b.example/@' >"$d/at-in-mud-path.txt"
printf '# br-lan 4447cc123456 ipv4 cam 1795412961 c0a80140 32 192.168.1.64/32\n' >"$d/odhcpd-v4.txt"
printf '# br-lan 000100012c1faabb4447cc123456 1a2b3c - 1795412961 64 128 2001:db8::64/128 2001:db8::65/128\n' >"$d/odhcpd-v6.txt"

# --- MUD: the sample plus refusals
cp "$D/mud-lightbulb.json" "$C/gate_mud/lightbulb.json"
printf '{"ietf-mud:mud":{"mud-version":1,"mud-url":"https://a.example/m","software-rev":"1.0","model-name":"M","mfg-name":"Hikvision Digital Technology Co., Ltd."}}' >"$C/gate_mud/software-rev.json"
printf '{"ietf-mud:mud":{"mud-version":1,"mud-url":"https://a.example/m","model-name":"a","model-name":"b"}}' >"$C/gate_mud/bad-duplicate.json"

# --- announcements: the sample plus refusals
cp "$D/announce-recalled.json" "$C/gate_announce/recalled.json"
printf '{"recall-agent":1,"event":"reminder","state":"normal","vendor":"acme","model":"cam","hwrev":"","fwver":"1.0"}' >"$C/gate_announce/reminder.json"
printf '{"recall-agent":1,"state":"normal","vendor":"TP-Link","model":"b","fwver":"1"}' >"$C/gate_announce/bad-canonical.json"
