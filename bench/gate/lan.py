#!/usr/bin/env python3
"""A simulated LAN of N UPnP devices for bench/gate/gate_250.sh (they are devices, not the gate).

  lan.py PREFIX FIRST N SECONDS

Device i (0 <= i < N) has the address PREFIX.(FIRST + i) on its own macvlan interface (made by
the bench, so each has its own MAC). For each, one SSDP NOTIFY to 239.255.255.250:1900 sent from
its address (IP_MULTICAST_IF), at most 50 a second; one HTTP server on port 8000 answers every
device's /desc.xml with the description of the device whose address the connection came to:
ACME "Cam 1", firmware 1.2.3 (recalled by tests/helpers/example_feed.sh) for every tenth device,
1.2.4 otherwise. Runs for SECONDS, then exits."""
import http.server
import socket
import sys
import threading
import time

prefix, first, n, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])


def desc(addr):
    i = int(addr.rsplit(".", 1)[1]) - first
    fw = "1.2.3" if i % 10 == 0 else "1.2.4"
    return f"""<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
 <specVersion><major>1</major><minor>0</minor></specVersion>
 <device>
  <deviceType>urn:schemas-upnp-org:device:Basic:1</deviceType>
  <friendlyName>Camera {i}</friendlyName>
  <manufacturer>ACME</manufacturer>
  <modelName>Cam 1</modelName>
  <firmwareVersion>{fw}</firmwareVersion>
  <UDN>uuid:00000000-0000-0000-0000-{i:012d}</UDN>
 </device>
</root>
""".encode()


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = desc(self.connection.getsockname()[0])
        self.send_response(200 if self.path == "/desc.xml" else 404)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("0.0.0.0", 8000), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
end = time.time() + seconds
sent = 0
for i in range(n):
    addr = f"{prefix}.{first + i}"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 2)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(addr))
    s.bind((addr, 0))
    msg = ("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\n"
           "NTS: ssdp:alive\r\nCACHE-CONTROL: max-age=1800\r\n"
           f"LOCATION: http://{addr}:8000/desc.xml\r\nSERVER: Linux UPnP/1.0 cam/1\r\n"
           f"USN: uuid:00000000-0000-0000-0000-{i:012d}::upnp:rootdevice\r\n\r\n").encode()
    s.sendto(msg, ("239.255.255.250", 1900))
    s.close()
    sent += 1
    time.sleep(0.02)
print(f"lan.py: {sent} SSDP NOTIFY sent", flush=True)
while time.time() < end:
    time.sleep(0.5)
