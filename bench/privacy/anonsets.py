#!/usr/bin/env python3
"""Anonymity sets of private check-ins (docs/PRIVACY.md).

A device in private mode sends only the first B bits of a hash of part of its identity. This
script measures, for each candidate key and B, how many known identities share a prefix and what
an observer (ISP, responder) learns from the prefix, on two populations:

  real  identities named by the records in tests/data: the Hikvision firmware archive (model,
        hardware version, firmware version), the CPE names of the NVD records and their
        cpeMatch extract, the affected products of the CVE 5 records, and the (vendor, product)
        pairs of the KEV catalogue (no version there: model-level rows only);
  gen   a generated catalogue of about 1,000,000 builds (see catalogue() for the distribution),
        each build with a Zipf-distributed number of installed units.

Keys: vmf = (vendor, model, fwver), vm = (vendor, model), v = vendor.
Hash: SHA-256("recall-private-v1" 00 vendor 00 model [00 fwver]); prefix = its first B bits.

Columns (over the population's devices; "uniform" weighs every known identity alike, "installs"
weighs each by its installed units):
  sets      number of non-empty prefixes
  k_min, k_p1, k_med  anonymity set (identities sharing the device's prefix): minimum, 1st
            percentile and median over identities
  uniq%     share of identities alone under their prefix (the prefix names them)
  learned   bits the observer learns = H(prefix) (the prefix is a function of the identity)
  H|p       Shannon entropy of the identity left given the prefix (uniform prior)
  Hmin|p    average min-entropy left (-log2 sum_p max_x P(x,p)), installs-weighted prior: the
            observer's best single guess of the device's key
Usage: bench/privacy/anonsets.py [--seed N] [--builds N]
"""
import argparse
import glob
import hashlib
import json
import math
import os
import random
import re
import sys
from collections import Counter, defaultdict

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DATA = os.path.join(ROOT, "tests", "data")
KEEP = set(b"abcdefghijklmnopqrstuvwxyz0123456789._+-")


def canon(s):
    """rc_name_canon (docs/PROTOCOL.md 5.2)."""
    out = []
    for c in s.strip(" \t\n\v\f\r").encode():
        if 65 <= c <= 90:
            c += 32
        out.append(chr(c) if c in KEEP else "%%%02x" % c)
    return "".join(out)


def real_identities():
    """(vendor, model, fwver) from tests/data; fwver None where a record names no version."""
    ids = set()
    path = os.path.join(DATA, "firmware-versions", "hikvision_fw_archive_extract.tsv")
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or line.startswith("model\t"):
                continue
            p = line.rstrip("\n").split("\t")
            if len(p) >= 3 and p[0] and p[2]:
                ids.add(("hikvision", canon(p[0]), p[2]))
    cpe = re.compile(r"cpe:2\.3:[oha]:([^:]+):([^:]+):([^:\"\t;]+)")
    for path in glob.glob(os.path.join(DATA, "nvd", "*")):
        if path.endswith(".py"):
            continue
        with open(path, encoding="utf-8") as f:
            for m in cpe.finditer(f.read()):
                ver = None if m.group(3) in ("*", "-") else m.group(3)
                ids.add((canon(m.group(1)), canon(m.group(2).replace("_firmware", "")), ver))
    for path in glob.glob(os.path.join(DATA, "cve5", "*.json")):
        with open(path, encoding="utf-8") as f:
            rec = json.load(f)
        for a in rec.get("containers", {}).get("cna", {}).get("affected", []):
            v, p = a.get("vendor", ""), a.get("product", "")
            if not v or not p or v == "n/a" or p == "n/a":
                continue
            vers = [x.get("version") for x in a.get("versions", []) if x.get("version")]
            for ver in vers or [None]:
                ids.add((canon(v), canon(p), None if ver in ("n/a", "0", "*") else ver))
    with open(os.path.join(DATA, "kev", "kev_known_exploited_vulnerabilities.json")) as f:
        for v in json.load(f)["vulnerabilities"]:
            ids.add((canon(v["vendorProject"]), canon(v["product"]), None))
    return sorted(ids, key=lambda t: (t[0], t[1], t[2] or ""))


def zipf_weights(n, s):
    return [1.0 / (i + 1) ** s for i in range(n)]


def catalogue(rng, nbuilds):
    """A generated catalogue: 2,000 vendors whose model counts follow Zipf(1.0) (a few vendors
    with thousands of models, a long tail with one or two), ~nbuilds/10 models in all, builds per
    model 1 + geometric with mean 9 (so ~10 on average, a long tail of models with 40+), versions
    written like the real corpus (V<maj>.<min>.<patch>_<yymmdd> or <maj>.<min>.<patch>). Installed
    units per build: Zipf(1.2) over a random order of builds, so a few builds have most units."""
    nvendors = 2000
    nmodels = max(1, nbuilds // 10)
    vw = zipf_weights(nvendors, 1.0)
    vendors = rng.choices(range(nvendors), weights=vw, k=nmodels)
    builds = []
    for m, v in enumerate(vendors):
        nv = 1
        while rng.random() < 0.9 and nv < 200:
            nv += 1
        for j in range(nv):
            if len(builds) >= nbuilds:
                break
            if rng.random() < 0.5:
                ver = "V%d.%d.%d_%02d%02d%02d" % (
                    1 + j // 20, (j // 5) % 4, j % 5, 18 + j % 8, 1 + j % 12, 1 + j % 28)
            else:
                ver = "%d.%d.%d" % (1 + j // 10, j % 10, rng.randrange(100))
            builds.append(("vendor-%d" % v, "model-%d-%d" % (v, m), ver))
        if len(builds) >= nbuilds:
            break
    order = list(range(len(builds)))
    rng.shuffle(order)
    units = [0.0] * len(builds)
    for rank, i in enumerate(order):
        units[i] = 1.0 / (rank + 1) ** 1.2
    return builds, units


def keyhash(parts):
    h = hashlib.sha256(b"recall-private-v1")
    for p in parts:
        h.update(b"\0" + p.encode())
    return int.from_bytes(h.digest()[:4], "big")


def table(name, ids, weights, out):
    """One block of rows: ids are (vendor, model, fwver|None); weights per id (installs)."""
    keys = {
        "vmf": lambda t: (t[0], t[1], t[2] or ""),
        "vm": lambda t: (t[0], t[1]),
        "v": lambda t: (t[0],),
    }
    for kname, kf in keys.items():
        # Distinct key values, their hash and their summed weight.
        kw = defaultdict(float)
        for t, w in zip(ids, weights):
            kw[kf(t)] += w
        kv = list(kw.keys())
        hv = [keyhash(k) for k in kv]
        total = sum(kw.values())
        n = len(kv)
        out.write("%s key=%s: %d distinct values, H(key) uniform %.1f bits, installs %.1f bits\n" % (
            name, kname, n, math.log2(n),
            -sum(w / total * math.log2(w / total) for w in kw.values() if w > 0)))
        out.write("  %4s %9s %7s %6s %7s %6s %8s %7s %8s\n" % (
            "bits", "sets", "k_min", "k_p1", "k_med", "uniq%", "learned", "H|p", "Hmin|p"))
        for b in (8, 12, 16, 20, 24):
            if kname == "v" and b > 16:
                continue
            cnt = Counter(h >> (32 - b) for h in hv)
            sizes = sorted(cnt[h >> (32 - b)] for h in hv)
            hp = -sum(c / n * math.log2(c / n) for c in cnt.values())
            hleft = sum(c / n * math.log2(c) for c in cnt.values())
            best = defaultdict(float)
            for k, h in zip(kv, hv):
                p = h >> (32 - b)
                best[p] = max(best[p], kw[k] / total)
            hmin = -math.log2(sum(best.values()))
            out.write("  %4d %9d %7d %6d %7d %6.2f %8.1f %7.1f %8.1f\n" % (
                b, len(cnt), sizes[0], sizes[len(sizes) // 100], sizes[len(sizes) // 2],
                100.0 * sum(1 for s in sizes if s == 1) / n, hp, hleft, hmin))
        # Without the prefix the observer's best guess:
        out.write("  none: Hmin %.1f bits (installs prior, no prefix)\n" % (
            -math.log2(max(kw.values()) / total)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--builds", type=int, default=1000000)
    a = ap.parse_args()
    real = real_identities()
    vm = {(t[0], t[1]) for t in real}
    out = sys.stdout
    out.write("# real: %d identities (%d with a version), %d (vendor, model), %d vendors\n" % (
        len(real), sum(1 for t in real if t[2]), len(vm), len({t[0] for t in real})))
    table("real", real, [1.0] * len(real), out)
    rng = random.Random(a.seed)
    builds, units = catalogue(rng, a.builds)
    out.write("# gen: %d builds, %d (vendor, model), %d vendors (seed %d)\n" % (
        len(builds), len({(t[0], t[1]) for t in builds}), len({t[0] for t in builds}), a.seed))
    table("gen", builds, units, out)


if __name__ == "__main__":
    main()
