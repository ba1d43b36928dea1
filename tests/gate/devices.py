#!/usr/bin/env python3
"""Simulated LAN devices for recall-gate's namespace tests (they are devices, not the gate).

  devices.py camera ADDR MANUFACTURER MODEL FWVER   SSDP NOTIFY + M-SEARCH replies, and an
                                                    HTTP server with the UPnP description
  devices.py mdns ADDR HOST INSTANCE MFG MODEL FW   unsolicited mDNS responses (PTR, TXT, A)
  devices.py announce JSON                          recall-agent announcements (docs/ANNOUNCE.md)

The camera's friendlyName is FRIENDLY (environment, default "Garden camera"; XML-escaped like
every value, so it may be any text, e.g. a script-injection payload for the owner's page).
Each runs for at most LIFETIME seconds (environment, default 120) and repeats its message
every 2 s, so that the gate hears it whenever it starts listening."""
import http.server
import os
import socket
import struct
import sys
import threading
import time
from xml.sax.saxutils import escape

LIFETIME = float(os.environ.get("LIFETIME", "120"))
SSDP = ("239.255.255.250", 1900)


def mcast_socket(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 2)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(addr))
    return s


def camera(addr, mfg, model, fw):
    friendly = escape(os.environ.get("FRIENDLY", "Garden camera"))
    mfg, model, fw = escape(mfg), escape(model), escape(fw)
    desc = f"""<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
 <specVersion><major>1</major><minor>0</minor></specVersion>
 <device>
  <deviceType>urn:schemas-upnp-org:device:Basic:1</deviceType>
  <friendlyName>{friendly}</friendlyName>
  <manufacturer>{mfg}</manufacturer>
  <modelName>{model}</modelName>
  <modelNumber>{model}</modelNumber>
  <firmwareVersion>{fw}</firmwareVersion>
  <UDN>uuid:2f402f80-da50-11e1-9b23-00176e0000aa</UDN>
 </device>
</root>
""".encode()

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/desc.xml" else 404)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(desc)))
            self.end_headers()
            self.wfile.write(desc)

        def log_message(self, *a):
            pass

    # HTTP_DELAY (seconds, default 0): the description server comes up this long after the
    # first SSDP message, as on a device still booting (the gate must try the fetch again).
    def serve():
        time.sleep(float(os.environ.get("HTTP_DELAY", "0")))
        http.server.HTTPServer((addr, 8000), H).serve_forever()
    threading.Thread(target=serve, daemon=True).start()
    loc = f"http://{addr}:8000/desc.xml"
    hdr = (f"CACHE-CONTROL: max-age=1800\r\nLOCATION: {loc}\r\n"
           "SERVER: Linux/3.0 UPnP/1.0 IPCamera/1.0\r\n"
           "USN: uuid:2f402f80-da50-11e1-9b23-00176e0000aa::upnp:rootdevice\r\n")
    notify = ("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\n"
              "NTS: ssdp:alive\r\n" + hdr + "\r\n").encode()
    reply = ("HTTP/1.1 200 OK\r\nEXT:\r\nST: upnp:rootdevice\r\n" + hdr + "\r\n").encode()
    lst = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("", 1900))
    lst.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                   socket.inet_aton(SSDP[0]) + socket.inet_aton(addr))
    lst.settimeout(0.5)
    out = mcast_socket(addr)
    end, nxt = time.time() + LIFETIME, 0.0
    while time.time() < end:
        if time.time() >= nxt:
            out.sendto(notify, SSDP)
            nxt = time.time() + 2
        try:
            data, peer = lst.recvfrom(2048)
        except socket.timeout:
            continue
        if data.startswith(b"M-SEARCH"):
            out.sendto(reply, peer)


def dns_name(n):
    return b"".join(bytes([len(p)]) + p.encode() for p in n.rstrip(".").split(".")) + b"\0"


def rr(name, rtype, rdata, ttl=120):
    return dns_name(name) + struct.pack("!HHIH", rtype, 0x8001, ttl, len(rdata)) + rdata


def mdns(addr, host, inst, mfg, model, fw):
    svc = "_http._tcp.local"
    full = f"{inst}.{svc}"
    txt = b"".join(bytes([len(s)]) + s for s in
                   (f"mfg={mfg}".encode(), f"md={model}".encode(), f"fw={fw}".encode()))
    recs = [rr(svc, 12, dns_name(full)), rr(full, 16, txt),
            rr(f"{host}.local", 1, socket.inet_aton(addr))]
    pkt = struct.pack("!HHHHHH", 0, 0x8400, 0, len(recs), 0, 0) + b"".join(recs)
    s = mcast_socket(addr)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    end = time.time() + LIFETIME
    while time.time() < end:
        s.sendto(pkt, ("224.0.0.251", 5353))
        time.sleep(2)


def announce(body):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    end = time.time() + LIFETIME
    while time.time() < end:
        s.sendto(body.encode(), ("239.255.74.12", 7413))
        time.sleep(2)


if __name__ == "__main__":
    kind, args = sys.argv[1], sys.argv[2:]
    {"camera": camera, "mdns": mdns, "announce": announce}[kind](*args)
