#!/usr/bin/env python3
"""Listen for recall-agent LAN announcements (docs/ANNOUNCE.md) as a home gateway or a phone
app would: join 239.255.74.12 and ff02::7412 on one interface, port 7413, and append every
datagram as one line "<unix time> <source> <json>" to a file. Bounded: exits after --seconds.

usage: announce_listen.py IFACE OUTFILE [--seconds N]
"""
import argparse
import select
import socket
import struct
import time

GROUP4, GROUP6, PORT = "239.255.74.12", "ff02::7412", 7413


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iface")
    ap.add_argument("out")
    ap.add_argument("--seconds", type=float, default=900.0)
    a = ap.parse_args()
    ifindex = socket.if_nametoindex(a.iface)

    s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s4.bind((GROUP4, PORT))
    mreqn = struct.pack("=4s4si", socket.inet_aton(GROUP4), socket.inet_aton("0.0.0.0"), ifindex)
    s4.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)

    s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s6.bind(("::", PORT))
    mreq6 = socket.inet_pton(socket.AF_INET6, GROUP6) + struct.pack("=I", ifindex)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq6)

    end = time.monotonic() + a.seconds
    with open(a.out, "a", buffering=1) as out:
        out.write(f"{time.time():.3f} - listening on {a.iface} {GROUP4} [{GROUP6}]:{PORT}\n")
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([s4, s6], [], [], min(left, 1.0))
            for s in r:
                data, src = s.recvfrom(2048)
                text = data.decode("utf-8", "replace").replace("\n", " ")
                out.write(f"{time.time():.3f} {src[0]} {text}\n")


if __name__ == "__main__":
    main()
