#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Print N distinct random IPv4 addresses (about 1 in 10 as a /24) in public-looking space,
# one per line: the blocklist the benchmarks and the scale tests load.
# usage: gen_list.py N [SEED] [--nft HOSTSET,NETSET]
#   --nft: an nft -f file (flush + add) in nftarpit's layout: single addresses into the hash
#   set HOSTSET, the /24s into the interval set NETSET.
import random
import sys


def main():
    n = int(sys.argv[1])
    seed = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 1
    nft = sys.argv[sys.argv.index("--nft") + 1] if "--nft" in sys.argv else None
    rnd = random.Random(seed)
    seen = set()
    out = []
    while len(out) < n:
        a = rnd.randrange(0x01000000, 0xdf000000)
        if a >> 24 in (10, 127):
            continue
        net = rnd.random() < 0.1
        if net:
            a &= 0xffffff00
        key = a >> 8
        if key in seen:
            continue
        seen.add(key)
        s = "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)
        out.append(s + "/24" if net else s)
    w = sys.stdout.write
    if nft:
        hostset, netset = nft.split(",")
        for name, elems in ((hostset, [e for e in out if "/" not in e]),
                            (netset, [e for e in out if "/" in e])):
            w("flush set inet nftarpit %s\n" % name)
            for i in range(0, len(elems), 5000):
                w("add element inet nftarpit %s { %s }\n" % (name, ", ".join(elems[i:i + 5000])))
    else:
        w("\n".join(out))
        w("\n")


main()
