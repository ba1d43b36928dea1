#!/usr/bin/env python3
# terminal_safe.py [--oneline] FILE...: exit 1, naming each offence, if a file holds anything
# that may move the cursor, recolour, reorder or hide text on a terminal or in a log: invalid
# UTF-8, C0 controls other than TAB and LF (with --oneline: LF only, as line ends), DEL, C1
# controls, bidirectional controls, line/paragraph separators, invisible format characters and
# tag characters. Used by the integration tests on program output; independent of lib/text.c.
import sys

BAD = set(range(0x00, 0x20)) - {0x09, 0x0A} | {0x7F} | set(range(0x80, 0xA0))
BAD |= {0x061C, 0x180E, 0x200B, 0x200E, 0x200F, 0x2028, 0x2029, 0xFEFF}
BAD |= set(range(0x202A, 0x202F)) | set(range(0x2060, 0x2070)) | set(range(0xFFF9, 0xFFFC))
BAD |= set(range(0xE0000, 0xE0080))

args = sys.argv[1:]
oneline = args[:1] == ["--oneline"]
if oneline:
    args = args[1:]
    BAD.add(0x09)
ok = True
for path in args:
    data = open(path, "rb").read()
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        print("%s: invalid UTF-8 at byte %d" % (path, e.start))
        ok = False
        continue
    for i, ch in enumerate(text):
        if ord(ch) in BAD:
            print("%s: U+%04X at character %d" % (path, ord(ch), i))
            ok = False
sys.exit(0 if ok else 1)
