#!/usr/bin/env python3
"""Flash and RAM of a Cortex-M3 image by part, from its GNU ld map file (recall-m3*.map).

Each input section is counted for the object it came from: text (.text, .vectors, .ARM.exidx),
rodata, data (initial values in flash, the variables in RAM) and bss (.bss, .tbss, COMMON);
the stack is not counted here (the image paints it and prints its peak). --by-file splits every
part by source file (object).
Usage: port/cortex-m/sizes.py [--by-file] IMAGE.map"""
import re
import sys


def part(obj, by_file):
    member = re.search(r"\(([^)]*)\)$", obj)  # archive(member)
    base = re.sub(r"\.c\.obj$", ".c", member.group(1) if member else obj.rsplit("/", 1)[-1])
    if "recall_m3_core" in obj:
        return "core: lib/" + base if by_file else "core (lib/)"
    if "recall_m3_glue.dir" in obj or base in ("scenario.c", "device.c"):
        if base == "vectors.c":
            return "anchors and test notices (vectors.c)"
        return "port: " + base if by_file else "port (port/cortex-m/*.c)"
    for lib, name in (("libsodium.a", "libsodium"), ("libcbor.a", "libcbor"),
                      ("libc.a", "picolibc"), ("libsemihost.a", "picolibc"),
                      ("libgcc.a", "libgcc")):
        if lib in obj:
            return name + ": " + re.sub(r"^libsodium_la-|\.o$", "", base) if by_file else name
    return "other"


def kind(sec):
    if sec.startswith((".text", ".vectors", ".ARM.exidx")):
        return "text"
    if sec.startswith(".rodata"):
        return "rodata"
    if sec.startswith((".data", ".tdata")):
        return "data"
    if sec.startswith((".bss", ".tbss", "COMMON")):
        return "bss"
    return None


def main(argv):
    by_file = "--by-file" in argv
    path = [a for a in argv[1:] if not a.startswith("--")][0]
    lines = open(path).read().split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("Linker script and memory map"))
    sizes = {}
    pending = None
    entry = re.compile(r"^ (\S+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+) (\S.*)$")
    for l in lines[start:]:
        if l.startswith("/DISCARD/"):
            break
        m = entry.match(l)
        if not m:
            m2 = re.match(r"^ (\.\S+|COMMON)$", l)
            pending = m2.group(1) if m2 else None
            continue
        sec = m.group(1) or pending
        pending = None
        k = kind(sec or "")
        size = int(m.group(3), 16)
        if not k or not size or int(m.group(2), 16) == 0 and k != "text":
            continue
        p = part(m.group(4).strip(), by_file)
        sizes.setdefault(p, {"text": 0, "rodata": 0, "data": 0, "bss": 0})[k] += size
    cols = ("text", "rodata", "data", "bss")
    print("| part | text | rodata | data | bss | flash | RAM |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    tot = dict.fromkeys(cols, 0)
    for p in sorted(sizes, key=lambda p: -sum(sizes[p].values())):
        s = sizes[p]
        for c in cols:
            tot[c] += s[c]
        print("| %s | %d | %d | %d | %d | %d | %d |" % (p, *(s[c] for c in cols),
              s["text"] + s["rodata"] + s["data"], s["data"] + s["bss"]))
    print("| **whole image** | %d | %d | %d | %d | %d | %d |" % (*(tot[c] for c in cols),
          tot["text"] + tot["rodata"] + tot["data"], tot["data"] + tot["bss"]))


if __name__ == "__main__":
    main(sys.argv)
