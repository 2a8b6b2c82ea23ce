#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Drill: for random blocklists and allowlists, no allowlisted address is ever tarpitted.
# Three random draws (fixed seeds, so a failure can be replayed): nftarpit-sync loads them,
# then the kernel's blockhost4 and blocknet4 are checked exhaustively over the two /24s the draws use
# (every address: in the set exactly when blocklisted and not allowlisted, and every
# allowlisted one in allowlist4), and a sample of allowlisted addresses inside blocked
# ranges connect for real and get Postfix's own banner.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
NFTARPIT_SYNC=${NFTARPIT_SYNC:-$NFTARPIT_BUILD/tools/nftarpit-sync}

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL" "$NFTARPIT_SYNC"
topo_up
postfix_start
ruleset_setup
daemon_start

for seed in 11 22 33; do
	# The draw: block ranges and allow addresses/prefixes in 198.51.100.0/24 and
	# 203.0.113.0/24, written as list files; the model of what must be blocked.
	"$PY" - "$seed" "$WORK" <<-'PY'
	import ipaddress, random, sys
	rnd = random.Random(int(sys.argv[1]))
	work = sys.argv[2]
	nets = [ipaddress.ip_network("198.51.100.0/24"), ipaddress.ip_network("203.0.113.0/24")]
	block, allow = [], []
	for _ in range(12):
	    n = rnd.choice(nets)
	    plen = rnd.randint(26, 32)
	    base = int(n.network_address) + rnd.randrange(256)
	    block.append(ipaddress.ip_network((base >> (32 - plen) << (32 - plen), plen)))
	for _ in range(10):
	    n = rnd.choice(nets)
	    plen = rnd.choice([32, 32, 32, 30, 29])
	    base = int(n.network_address) + rnd.randrange(256)
	    allow.append(ipaddress.ip_network((base >> (32 - plen) << (32 - plen), plen)))
	with open(f"{work}/block.txt", "w") as f:
	    f.writelines(f"{b}\n" for b in block)
	with open(f"{work}/allow.txt", "w") as f:
	    f.writelines(f"{a}\n" for a in allow)
	blocked = set()
	for b in block:
	    blocked.update(int(a) for a in b)
	allowed = set()
	for a in allow:
	    allowed.update(int(x) for x in a)
	with open(f"{work}/want.txt", "w") as f:
	    f.writelines(f"{ipaddress.ip_address(a)}\n" for a in sorted(blocked - allowed))
	with open(f"{work}/allowed.txt", "w") as f:
	    f.writelines(f"{ipaddress.ip_address(a)}\n" for a in sorted(allowed))
	# Allowlisted addresses inside blocked ranges: the ones that matter.
	with open(f"{work}/sample.txt", "w") as f:
	    f.writelines(f"{ipaddress.ip_address(a)}\n" for a in sorted(allowed & blocked)[:4])
	PY
	in_srv "$NFTARPIT_SYNC" --state "$WORK/sync-$seed.state" --replace \
		--list "$WORK/block.txt" --allow "$WORK/allow.txt" >"$WORK/sync-$seed.log" 2>&1 ||
		fail "seed $seed: sync failed: $(cat "$WORK/sync-$seed.log")"
	# Every address of the two /24s against the kernel's sets, as nft reports them.
	in_srv nft -j list set inet nftarpit blockhost4 >"$WORK/h4.json"
	in_srv nft -j list set inet nftarpit blocknet4 >"$WORK/b4.json"
	in_srv nft -j list set inet nftarpit allowlist4 >"$WORK/a4.json"
	"$PY" - "$WORK" <<-'PY' || fail "seed $seed: the kernel's sets disagree with the model"
	import ipaddress, json, sys
	work = sys.argv[1]
	def members(path):
	    out = set()
	    for obj in json.load(open(path))["nftables"]:
	        for e in obj.get("set", {}).get("elem", []):
	            e = e.get("elem", {}).get("val", e) if isinstance(e, dict) and "elem" in e else e
	            if isinstance(e, str):
	                out.add(int(ipaddress.ip_address(e)))
	            elif "prefix" in e:
	                n = ipaddress.ip_network(f'{e["prefix"]["addr"]}/{e["prefix"]["len"]}')
	                out.update(int(a) for a in n)
	            elif "range" in e:
	                lo, hi = (int(ipaddress.ip_address(x)) for x in e["range"])
	                out.update(range(lo, hi + 1))
	    return out
	h4, n4 = members(f"{work}/h4.json"), members(f"{work}/b4.json")
	b4, a4 = h4 | n4, members(f"{work}/a4.json")
	want = {int(ipaddress.ip_address(l.strip())) for l in open(f"{work}/want.txt")}
	allowed = {int(ipaddress.ip_address(l.strip())) for l in open(f"{work}/allowed.txt")}
	bad = b4 & allowed
	if bad:
	    sys.exit(f"allowlisted in blockhost4/blocknet4: {sorted(ipaddress.ip_address(a) for a in bad)[:5]}")
	if b4 != want:
	    sys.exit(f"blockhost4/blocknet4 differ: missing {len(want - b4)}, extra {len(b4 - want)}")
	if not allowed <= a4:
	    sys.exit("allowlist4 misses allowlisted addresses")
	print(f"{len(b4)} blocked, {len(allowed)} allowed, sets exact")
	PY
	log "seed $seed: $(grep -c . "$WORK/want.txt") addresses blocked, $(grep -c . "$WORK/allowed.txt") allowlisted: kernel sets exact over 512 addresses"
	# Real connections from allowlisted addresses inside blocked ranges.
	while read -r a; do
		[ -n "$a" ] || continue
		ip -n "$NS_CLI" addr add "$a/32" dev veth0 2>/dev/null || true
		out=$(client --src "$a" --dst $SRV4 --banner-wait 3)
		real_banner "$out" || fail "seed $seed: allowlisted $a did not reach Postfix: $out"
		ip -n "$NS_CLI" addr del "$a/32" dev veth0 2>/dev/null || true
	done <"$WORK/sample.txt"
	log "seed $seed: $(grep -c . "$WORK/sample.txt") allowlisted addresses inside blocked ranges got Postfix's banner"
done
log "PASS"
