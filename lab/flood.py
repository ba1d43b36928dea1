#!/usr/bin/env python3
"""Garbage flood for the lab's flood test: UDP datagrams of random bytes and awkward sizes
(short, exactly the check-in size, one byte over, jumbo) sent as fast as one socket can to
ADDRESS:PORT. Bounded: stops after --count datagrams or --seconds, whichever comes first
(or on SIGTERM/SIGINT).
Refuses any destination outside the lab's documentation ranges (192.0.2.0/24, 2001:db8::/32)
and loopback. Prints one line: sent=N seconds=S rate=R errors=E.

usage: flood.py ADDRESS [--port 7412] [--count N] [--seconds S] [--rate PPS]
"""
import argparse
import ipaddress
import os
import signal
import socket
import sys
import time

SIZES = (1, 8, 64, 300, 1199, 1200, 1200, 1201, 1472)
LAB_NETS = [ipaddress.ip_network(n) for n in
            ("192.0.2.0/24", "2001:db8::/32", "127.0.0.0/8", "::1/128")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("address")
    ap.add_argument("--port", type=int, default=7412)
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rate", type=float, default=0.0, help="datagrams per second (0: no cap)")
    a = ap.parse_args()
    addr = ipaddress.ip_address(a.address)
    if not any(addr in n for n in LAB_NETS):
        sys.exit(f"flood.py: {addr} is not a lab address (192.0.2.0/24, 2001:db8::/32, loopback)")
    if not (0 < a.count <= 10_000_000 and 0 < a.seconds <= 120):
        sys.exit("flood.py: --count must be 1..10000000 and --seconds 0..120")
    fam = socket.AF_INET6 if addr.version == 6 else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.connect((str(addr), a.port))
    # A pool of garbage datagrams, built once.
    pool = [os.urandom(SIZES[i % len(SIZES)]) for i in range(256)]
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    sent = errors = 0
    t0 = time.monotonic()
    end = t0 + a.seconds
    while sent < a.count:
        for p in pool[: min(256, a.count - sent)]:
            try:
                s.send(p)
            except OSError:
                errors += 1
            sent += 1
        now = time.monotonic()
        if stop or now >= end:
            break
        if a.rate > 0:
            ahead = sent / a.rate - (now - t0)
            if ahead > 0:
                time.sleep(min(ahead, end - now))
    dt = time.monotonic() - t0
    print(f"sent={sent} seconds={dt:.2f} rate={sent / dt:.0f} errors={errors}")


if __name__ == "__main__":
    main()
