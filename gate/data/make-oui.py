#!/usr/bin/env python3
"""Writes oui.txt, the gate's subset of the IEEE MA-L registry: the assignments of the vendors
in recall's data (tests/data firmware lists, KEV device vendors, the lab's devices), from the
oui.csv of Debian's ieee-data package (IEEE registry data, public domain).
Usage: gate/data/make-oui.py /usr/share/ieee-data/oui.csv > gate/data/oui.txt"""
import csv
import sys

# canonical vendor (as vendors.map) -> substring of the IEEE organisation name (lowercase)
VENDORS = [
    ("hikvision", "hangzhou hikvision"), ("dahua", "zhejiang dahua"),
    ("d-link", "d-link"), ("tp-link", "tp-link"), ("netgear", "netgear"),
    ("zyxel", "zyxel"), ("asus", "asustek"), ("draytek", "draytek"),
    ("tenda", "tenda technology"), ("geovision", "geovision"), ("reolink", "reolink"),
    ("unitronics", "unitronics"), ("qnap", "qnap"), ("synology", "synology"),
    ("ubiquiti", "ubiquiti"), ("mikrotik", "routerboard.com"), ("axis", "axis communications"),
    ("huawei", "huawei technologies"), ("realtek", "realtek semiconductor"),
]

rows = []
with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
    for r in csv.DictReader(f):
        if r["Registry"] != "MA-L":
            continue
        org = " ".join(r["Organization Name"].split())
        for canon, pat in VENDORS:
            if pat in org.lower():
                rows.append((r["Assignment"].upper(), canon, org))
                break
print("# IEEE MA-L assignments of the vendors recall-gate maps (gate/data/make-oui.py;")
print("# source: Debian ieee-data oui.csv, IEEE registry data, public domain).")
print("# OUI<TAB>canonical vendor<TAB>IEEE organisation name")
for a, c, o in sorted(rows, key=lambda x: (x[1], x[0])):
    print(f"{a}\t{c}\t{o}")
