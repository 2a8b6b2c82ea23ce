#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Drill: a set that hits its element limit, which is also a netlink error in the middle of
# a batch (the kernel refuses one element message after accepting the ones before it). The
# sync must say which element and why, exit 2, count the refusal, and leave the old set
# exactly as it was; with room again, the next run succeeds. Nothing is stuck.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
NFTARPIT_SYNC=${NFTARPIT_SYNC:-$NFTARPIT_BUILD/tools/nftarpit-sync}

lib_init
require_prog "$NFTARPIT_SYNC"
netns_add "$NS_SRV"
# The table as setup makes it, but blockhost4 (single addresses, one element each) limited
# to 64 elements; the chains do not matter here.
in_srv nft -f - <<-'NFT'
table inet nftarpit {
	set blockhost4 { type ipv4_addr; flags timeout; size 64; }
	set blocknet4 { type ipv4_addr; flags interval, timeout; }
	set blockhost6 { type ipv6_addr; flags timeout; }
	set blocknet6 { type ipv6_addr; flags interval, timeout; }
	set allowlist4 { type ipv4_addr; flags interval; }
	set allowlist6 { type ipv6_addr; flags interval; }
	set ports { type inet_service; flags interval; elements = { 25 } }
}
NFT
set4() {
	in_srv nft list set inet nftarpit blockhost4 | sed -n '/elements/,/}/p'
}
# 20 single addresses fit.
"$PY" -c 'import sys; [print(f"198.51.100.{4*i + 1}") for i in range(20)]' >"$WORK/small.txt"
in_srv "$NFTARPIT_SYNC" --state "$WORK/s.state" --list "$WORK/small.txt" >"$WORK/run1.log" 2>&1 ||
	fail "the first run failed: $(cat "$WORK/run1.log")"
set4 >"$WORK/set-before"
grep -q '198.51.100.77' "$WORK/set-before" || fail "the first list is not in the set"

# 60 addresses do not fit: the kernel refuses an element part-way through the batch.
"$PY" -c 'import sys; [print(f"203.0.113.{4*i + 1}") for i in range(60)]' >"$WORK/big.txt"
rc=0
in_srv "$NFTARPIT_SYNC" --state "$WORK/s.state" --list "$WORK/small.txt" --list "$WORK/big.txt" \
	>"$WORK/run2.log" 2>&1 || rc=$?
log "over the limit: exit $rc: $(grep -v ' sync ' "$WORK/run2.log" | head -2 | tr '\n' ' ')"
[ "$rc" -eq 2 ] || fail "exit $rc, expected 2 (the kernel refused): $(cat "$WORK/run2.log")"
grep -qE 'element 203\.0\.113\.[0-9]+' "$WORK/run2.log" || fail "the error does not name the element"
grep -q 'refused=' "$WORK/run2.log" || fail "no summary line with the refusal"
set4 | cmp -s - "$WORK/set-before" || fail "the set changed although the transaction was refused"

# Room again (a smaller list): the next run applies, nothing was left half-done.
"$PY" -c 'import sys; [print(f"203.0.113.{4*i + 1}") for i in range(10)]' >"$WORK/big.txt"
in_srv "$NFTARPIT_SYNC" --state "$WORK/s.state" --list "$WORK/small.txt" --list "$WORK/big.txt" \
	>"$WORK/run3.log" 2>&1 || fail "no recovery: $(cat "$WORK/run3.log")"
set4 | grep -q '203.0.113.37' || fail "the recovered run's entries are not in the set"
log "PASS"
