#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# The list sets of table inet nftarpit as text: "NAME:" then its elements one per line,
# sorted; timeouts and expiries left out (they tick). Without arguments: from one
# `nft -j list set inet nftarpit NAME` line per set on stdin. With T0_NS WANT: poll the
# kernel every 10 ms, up to 10 s, until that text equals WANT's, and print the ms since
# T0_NS (exit 1 on time out). Never the table as JSON: nft 1.0.6 does not know the persist
# flag setup gives the table on Linux 6.9+, and prints an orphan's flags as garbage.
import json, subprocess, sys, time
def text(v):
    if isinstance(v, str):
        return v
    if "prefix" in v:
        return "%s/%d" % (v["prefix"]["addr"], v["prefix"]["len"])
    if "range" in v:
        return "%s-%s" % tuple(v["range"])
    if "elem" in v:
        return text(v["elem"]["val"])
    raise SystemExit("unknown element %r" % (v,))
NAMES = ("blockhost4", "blocknet4", "blockhost6", "blocknet6", "allowlist4", "allowlist6")
def lists(doc):
    sets = {}
    for line in doc.splitlines():
        for o in json.loads(line)["nftables"]:
            if "set" in o and o["set"]["name"] != "ports":
                sets[o["set"]["name"]] = sorted(text(e) for e in o["set"].get("elem", []))
    out = ""
    for name in NAMES:
        out += name + ":\n" + "\n".join(sets[name]) + "\n"
    return out
if len(sys.argv) == 1:
    sys.stdout.write(lists(sys.stdin.read()))
    sys.exit(0)
t0, want = int(sys.argv[1]), open(sys.argv[2]).read()
end = time.time() + 10
while time.time() < end:
    rs = [subprocess.run(["nft", "-j", "list", "set", "inet", "nftarpit", n], capture_output=True, text=True) for n in NAMES]
    if all(r.returncode == 0 for r in rs) and lists("".join(r.stdout for r in rs)) == want:
        print((time.time_ns() - t0) // 1000000)
        sys.exit(0)
    time.sleep(0.01)
sys.exit(1)
