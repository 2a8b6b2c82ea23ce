#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Instructions per packet in userland, counted by callgrind (the same on any machine,
# whatever else it is doing): bench/replay hands N in-memory NFQUEUE messages to
# nftarpitd's own code and to the naive responder's, for SYNs and for window probes. Only
# replay_run() is counted, so building the messages is left out. The kernel's share (the
# system calls, the packet's way through the stack) is not here: bench/pps.sh counts the
# system calls per packet and times the whole.
#   usage: bench/instr.sh [N]   (default 200000; about 30 s)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
N=${1:-200000}
case $N in '' | *[!0-9]*) echo "N: a number" >&2; exit 2 ;; esac
[ "$N" -ge 1000 ] && [ "$N" -le 10000000 ] || { echo "N: 1000..10000000" >&2; exit 2; }
bench_build
[ -x "$B/bench/replay" ] || { echo "$B/bench/replay missing: build first" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind missing: apt-get install valgrind" >&2; exit 2; }
WORK=$(mktemp -d /tmp/nftarpit-instr.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

printf '%-10s %-6s %12s %16s %10s\n' responder kind packets "instructions/pkt" replies
declare -A IPP
for kind in syn probe; do
	for who in naive nftarpitd; do
		valgrind --tool=callgrind --toggle-collect=replay_run \
			--callgrind-out-file="$WORK/cg.$who.$kind" \
			"$B/bench/replay" $who $kind "$N" >"$WORK/out" 2>"$WORK/vg.log" ||
			{ cat "$WORK/vg.log" >&2; exit 1; }
		ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$WORK/cg.$who.$kind")
		replies=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["replies"])' "$WORK/out")
		IPP[$who.$kind]=$((ir / N))
		printf '%-10s %-6s %12s %16s %10s\n' $who $kind "$N" "$((ir / N))" "$replies"
	done
done
for kind in syn probe; do
	echo "$kind: nftarpitd $(/usr/bin/python3 -c "print(f'{${IPP[nftarpitd.$kind]} / ${IPP[naive.$kind]}:.2f}')") x the naive responder's userland instructions per packet"
done
