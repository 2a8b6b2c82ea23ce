#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What bringing the lists back costs on a firewall reload, against the same reload without
# them, all in one run, in a fresh network namespace, for a blocklist of N entries
# (blockhost4 and blocknet4):
#  - nft -f of an nftables.conf (flush ruleset + include nftarpit.nft), nftarpit.nft's
#    include of the sync's lists file present (N entries) against absent (empty sets);
#  - nft flush ruleset, then nftarpitctl setup restoring the lists (N) against
#    setup --no-restore;
#  - a nftarpit-sync --replace run writing the lists file against lists_nft = none.
# Prints a Markdown table for doc/BENCHMARKS.md. Root only.
# usage: bench/reload_bench.sh [SIZES...]   (default 1000 100000 1000000)
set -euo pipefail

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
. "$(dirname "$0")/lib.sh"
bench_build
SYNC=$B/tools/nftarpit-sync
CTL=$B/tools/nftarpitctl
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 100000 1000000)
NS=nftarpit-rbench-$$
W=$(mktemp -d /tmp/nftarpit-rbench.XXXXXX)

cleanup() {
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

for p in "$SYNC" "$CTL" nft /usr/bin/time; do
	command -v "$p" >/dev/null || [ -x "$p" ] || { echo "bench: missing $p" >&2; exit 1; }
done
ip netns add "$NS"
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up
in_ns "$CTL" setup >"$W/setup.log" 2>&1

row() {
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$@"
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b < 0.005) b = 0.005; printf "%.1f", a / b }'
}
blocklist_size() {
	{ in_ns nft -j list set inet nftarpit blockhost4; in_ns nft -j list set inet nftarpit blocknet4; } |
		/usr/bin/python3 -c '
import json, sys
n = 0
for doc in sys.stdin:
    if doc.strip():
        n += sum(len(o["set"].get("elem", [])) for o in json.loads(doc)["nftables"] if "set" in o)
print(n)'
}

# The text ruleset as shipped, its include pointed at our lists file. A kernel without
# nft queue cannot load the queue statement (see test_ruleset.sh): it becomes drop there.
"$CTL" print-ruleset --lists-include "$W/lists.nft" >"$W/nftarpit.nft"
if ! grep -q 'via nft queue expression' "$W/setup.log"; then
	sed -i -E 's/ ?queue (flags [a-z,]+ )?to [0-9-]+$/ drop/' "$W/nftarpit.nft"
	QUEUE_NOTE="queue statement loaded as drop (kernel without nft queue)"
else
	QUEUE_NOTE="native queue"
fi
printf 'flush ruleset\ninclude "%s"\n' "$W/nftarpit.nft" >"$W/nftables.conf"
printf '[sync]\nstate = %s\nlist = %s\n' "$W/sync.state" "$W/list.txt" >"$W/with.conf"
printf '[sync]\nstate = %s\nlist = %s\nlists_nft = none\n' "$W/sync.state" "$W/list.txt" >"$W/none.conf"

echo "# reload benchmark, $(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r), $(nproc) CPUs, $(nft --version), $QUEUE_NOTE"
echo
row "N" "what" "wall s" "user s" "sys s" "peak RSS MB" "ratio to baseline (wall)"
row "---" "---" "---" "---" "---" "---" "---"
for n in "${SIZES[@]}"; do
	/usr/bin/python3 "$SRC/bench/gen_list.py" "$n" 7 >"$W/list.txt"
	rm -f "$W"/sync.state* "$W/lists.nft"
	in_ns nft flush ruleset
	in_ns "$CTL" setup --no-restore >/dev/null 2>&1

	# The sync's own cost of keeping the file: a --replace run with and without it.
	run sync-none ip netns exec "$NS" "$SYNC" -c "$W/none.conf" --replace
	base=$T_WALL
	row "$n" "nftarpit-sync --replace, lists_nft = none (baseline)" "$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" "1.0"
	run sync-with ip netns exec "$NS" "$SYNC" -c "$W/with.conf" --replace
	row "$n" "nftarpit-sync --replace, writing lists.nft ($(($(stat -c %s "$W/lists.nft") / 1024)) KiB)" \
		"$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" "$(ratio "$T_WALL" "$base")"

	# nft -f of the reload, without and with the lists file.
	mv "$W/lists.nft" "$W/lists.keep"
	run nft-without ip netns exec "$NS" nft -f "$W/nftables.conf"
	base=$T_WALL
	[ "$(blocklist_size)" = 0 ] || { echo "bench: elements without the lists file" >&2; exit 1; }
	row "$n" "nft -f nftables.conf, no lists file (baseline)" "$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" "1.0"
	mv "$W/lists.keep" "$W/lists.nft"
	run nft-with ip netns exec "$NS" nft -f "$W/nftables.conf"
	got=$(blocklist_size)
	row "$n" "nft -f nftables.conf, lists file included ($got elements)" "$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" "$(ratio "$T_WALL" "$base")"

	# flush ruleset, then setup: without and with the restore.
	in_ns nft flush ruleset
	run setup-without ip netns exec "$NS" "$CTL" setup --no-restore
	base=$T_WALL
	row "$n" "nftarpitctl setup --no-restore after flush ruleset (baseline)" "$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" "1.0"
	in_ns nft flush ruleset
	run setup-with ip netns exec "$NS" "$CTL" setup --state "$W/sync.state"
	got=$(blocklist_size)
	row "$n" "nftarpitctl setup restoring the lists ($got elements)" "$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" "$(ratio "$T_WALL" "$base")"
done
