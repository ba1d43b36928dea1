#!/usr/bin/env python3
"""Rebuild NVD CVE API 2.0 records (the "configurations" part only) from the hand-transcribed
cpeMatch extract in this directory, so that `recall import nvd` reads them like any NVD record.

Usage: cpematch2json.py EXTRACT.tsv OUTDIR  -> OUTDIR/<CVE>.json for every CVE in the extract.

Each (cve, config) group becomes one configuration: the firmware rows form the vulnerable OR
node; their running_on_hardware CPEs (';'-separated) form the non-vulnerable OR node, joined by
AND. A group without hardware becomes a single-node configuration. Nothing else is added: the
records have no descriptions, metrics or references (the extract has none).
"""
import csv
import json
import os
import sys

BOUNDS = ["versionStartIncluding", "versionStartExcluding",
          "versionEndIncluding", "versionEndExcluding"]


def main():
    src, out = sys.argv[1], sys.argv[2]
    groups = {}  # cve -> {config: {"fw": [...], "hw": [...]}}
    with open(src, newline="") as f:
        rows = [l for l in f if not l.startswith("#")]
    for row in csv.DictReader(rows, delimiter="\t"):
        cfg = groups.setdefault(row["cve"], {}).setdefault(int(row["config"]),
                                                           {"fw": [], "hw": []})
        m = {"vulnerable": True, "criteria": row["criteria"]}
        for b in BOUNDS:
            if row[b]:
                m[b] = row[b]
        cfg["fw"].append(m)
        for hw in filter(None, (row["running_on_hardware"] or "").split(";")):
            if hw not in cfg["hw"]:
                cfg["hw"].append(hw)
    for cve, cfgs in groups.items():
        configurations = []
        for n in sorted(cfgs):
            fw = {"operator": "OR", "negate": False, "cpeMatch": cfgs[n]["fw"]}
            if cfgs[n]["hw"]:
                hw = {"operator": "OR", "negate": False,
                      "cpeMatch": [{"vulnerable": False, "criteria": c} for c in cfgs[n]["hw"]]}
                configurations.append({"operator": "AND", "nodes": [fw, hw]})
            else:
                configurations.append({"nodes": [fw]})
        rec = {"id": cve, "configurations": configurations}
        with open(os.path.join(out, cve + ".json"), "w") as f:
            json.dump(rec, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
