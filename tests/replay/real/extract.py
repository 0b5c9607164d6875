#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Cuts exchanges out of a public real-card trace (../shared/realcards/<dir>/trace.txt,
# ">> cmd" / "<< resp" lines) into this project's replay format (apdu/replay.hpp), keeping a
# provenance header. VERIFY commands become ">!" lines (sensitive: never printed by the
# player; the data are the published test PINs of those test cards).
#
#   extract.py REALCARDS_DIR/trace.txt FIRST_LINE LAST_LINE "name" "source note" > out.apdu
import sys

path, first, last, name, note = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
lines = open(path, encoding="utf-8").read().splitlines()
print(f"# name: {name}")
print(f"# source: {note}")
print(f"# extracted with tests/replay/real/extract.py from realcards {path.split('realcards/')[-1]} lines {first}-{last}")
for line in lines[first - 1:last]:
    if line.startswith(">> "):
        body = line[3:].strip()
        sensitive = body.upper().startswith("00 20 ") and len(body.split()) > 5
        print((">! " if sensitive else "> ") + body)
    elif line.startswith("<< "):
        print("< " + line[3:].strip())
    elif line.startswith("#"):
        print("# " + line.lstrip("# ").strip())
