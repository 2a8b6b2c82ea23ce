#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nftarpit-sync against its baselines, all in one run, in a fresh network namespace:
#  - replacing a full blocklist4 of N entries: nftarpit-sync --replace, `nft -f` with
#    flush set + add element, and the old per-IP loop (flush the nat table, one iptables
#    DNAT rule per address; up to 10k, it is quadratic);
#  - a 1% delta (0.5% out, 0.5% in) into the largest set: nftarpit-sync and `nft -f`;
#  - log parsing of one generated mail log: nftarpit-sync, grep|gawk|cut, fail2ban-regex.
# Prints Markdown tables for doc/BENCHMARKS.md. Root only.
# usage: bench/sync_bench.sh [SIZES...]   (default 1000 10000 100000 1000000)
set -euo pipefail

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
. "$(dirname "$0")/lib.sh"
bench_build
BUILD=$B
SYNC=$BUILD/tools/nftarpit-sync
CTL=$BUILD/tools/nftarpitctl
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 10000 100000 1000000)
LOOP_MAX=${LOOP_MAX:-10000}
# Which parts to run: any of replace, delta, parse.
SECTIONS=${SECTIONS:-replace delta parse}
LOG_MB=${LOG_MB:-200}
F2B_MB=${F2B_MB:-10}
NS=nftarpit-bench-$$
W=$(mktemp -d /tmp/nftarpit-bench.XXXXXX)

cleanup() {
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || { echo "bench: needs root" >&2; exit 1; }
for p in "$SYNC" "$CTL" nft iptables /usr/bin/time; do
	command -v "$p" >/dev/null || [ -x "$p" ] || { echo "bench: missing $p" >&2; exit 1; }
done
ip netns add "$NS"
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up
in_ns "$CTL" setup >/dev/null 2>&1


summary_field() {
	grep -o "$2=[^ ]*" "$W/$1.err" | tail -n 1 | cut -d= -f2
}

echo "# nftarpit-sync benchmark, $(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r), $(nproc) CPUs, $(nft --version), $(iptables -V)"
want() {
	case " $SECTIONS " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}

if want replace; then
echo
echo "## Replace a full blocklist4 of N entries (~10% /24, the rest single addresses)"
echo
echo "| N | tool | wall s | user s | sys s | peak RSS MB | notes |"
echo "|---|---|---|---|---|---|---|"
for n in "${SIZES[@]}"; do
	"$SRC/bench/gen_list.py" "$n" 1 >"$W/list$n"
	"$SRC/bench/gen_list.py" "$n" 2 --nft blocklist4 >"$W/nft$n"
	# Fill the set, then measure a replace of the full set by a different full set.
	"$SRC/bench/gen_list.py" "$n" 3 >"$W/fill$n"
	in_ns "$SYNC" --state "$W/state" --list "$W/fill$n" --replace 2>/dev/null
	run sync ip netns exec "$NS" "$SYNC" --state "$W/state" --list "$W/list$n" --replace
	echo "| $n | nftarpit-sync --replace | $T_WALL | $T_USER | $T_SYS | $T_RSS | transaction $(summary_field sync commit_ms) ms |"
	run nft ip netns exec "$NS" nft -f "$W/nft$n"
	echo "| $n | nft -f (flush + add) | $T_WALL | $T_USER | $T_SYS | $T_RSS | |"
	if [ "$n" -le "$LOOP_MAX" ]; then
		{
			echo 'iptables -t nat -F PREROUTING'
			sed 's|.*|iptables -t nat -A PREROUTING -s & -p tcp --dport 25 -j DNAT --to-destination 127.0.0.1:2525|' "$W/list$n"
		} >"$W/loop$n.sh"
		run loop ip netns exec "$NS" bash "$W/loop$n.sh"
		echo "| $n | per-IP iptables loop | $T_WALL | $T_USER | $T_SYS | $T_RSS | one process per rule |"
		in_ns iptables -t nat -F PREROUTING
	fi
done
fi

big=${SIZES[-1]}
if want delta; then
"$SRC/bench/gen_list.py" "$big" 1 >"$W/list$big"
echo
echo "## 1% delta into the $big-entry set (0.5% of the entries out, as many new ones in)"
echo
echo "| tool | wall s | user s | sys s | peak RSS MB | notes |"
echo "|---|---|---|---|---|---|"
/usr/bin/python3 - "$W/list$big" "$W/delta-list" <<'PYEOF'
import random, sys
lines = open(sys.argv[1]).read().split("\n")[:-1]
rnd = random.Random(9)
k = len(lines) // 200
gone = set(rnd.sample(range(len(lines)), k))
keep = [l for i, l in enumerate(lines) if i not in gone]
have = set(l.split("/")[0].rsplit(".", 1)[0] for l in lines)
new = []
while len(new) < k:
    a = rnd.randrange(0x01000000, 0xdf000000)
    s = "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)
    if a >> 24 in (10, 127) or s.rsplit(".", 1)[0] in have:
        continue
    have.add(s.rsplit(".", 1)[0])
    new.append(s)
open(sys.argv[2], "w").write("\n".join(keep + new) + "\n")
PYEOF
in_ns "$SYNC" --state "$W/state" --list "$W/list$big" --replace 2>/dev/null
# The same change for nft: the ranges nftarpit-sync's diff deletes and adds (the kernel
# holds merged ranges, so list lines cannot be deleted one by one).
in_ns "$SYNC" --state "$W/state" --list "$W/delta-list" --dry-run 2>/dev/null |
	awk '/^blocklist4:/ { on = 1; next } /^[a-z]/ { on = 0 }
	     on && $1 == "-" { d = d (d ? ", " : "") $2 } on && $1 == "+" { a = a (a ? ", " : "") $2 }
	     END { print "delete element inet nftarpit blocklist4 { " d " }";
		   print "add element inet nftarpit blocklist4 { " a " }" }' >"$W/delta-nft"
run delta ip netns exec "$NS" "$SYNC" --state "$W/state" --list "$W/delta-list"
echo "| nftarpit-sync (whole run: read the $big-line list, merge, diff, commit) | $T_WALL | $T_USER | $T_SYS | $T_RSS | transaction $(summary_field delta commit_ms) ms, added $(summary_field delta added), removed $(summary_field delta removed) |"
# Back to the full list, then the same delta through nft.
in_ns "$SYNC" --state "$W/state" --list "$W/list$big" 2>/dev/null
run nftdelta ip netns exec "$NS" nft -f "$W/delta-nft"
echo "| nft -f (delete + add the same ranges) | $T_WALL | $T_USER | $T_SYS | $T_RSS | |"
fi

if want parse; then
echo
echo "## Log parsing (${LOG_MB} MB generated mail log, 5% spam-source lines)"
echo
echo "| tool | MB | wall s | MB/s | peak RSS MB | sources found |"
echo "|---|---|---|---|---|---|"
"$SRC/bench/gen_maillog.py" "$LOG_MB" >"$W/mail.log"
mb=$(($(stat -c %s "$W/mail.log") / 1048576))
rm -f "$W/pstate"*
run parse ip netns exec "$NS" "$SYNC" --state "$W/pstate" --log "$W/mail.log" --dry-run
echo "| nftarpit-sync (parse, master list, merge, diff; --dry-run) | $mb | $T_WALL | $(echo "scale=0; $mb / $T_WALL" | bc) | $T_RSS | $(summary_field parse offenders) |"
cat >"$W/pipe.sh" <<'SHEOF'
# The old hourly recipe: grep the rejects, cut the client address out, unique.
grep -E 'NOQUEUE: reject: .* blocked using |PREGREET |Blocked SPAM' "$1" |
	gawk '{ if (match($0, /(from [^[ ]*|, )\[[0-9.]+\]/)) print substr($0, RSTART, RLENGTH) }' |
	cut -d[ -f2 | cut -d] -f1 | sort -u | wc -l
SHEOF
run pipe bash "$W/pipe.sh" "$W/mail.log"
echo "| grep \\| gawk \\| cut \\| sort -u | $mb | $T_WALL | $(echo "scale=0; $mb / $T_WALL" | bc) | $T_RSS | $(cat "$W/pipe.out") |"
if command -v fail2ban-regex >/dev/null; then
	head -c $((F2B_MB * 1048576)) "$W/mail.log" | sed '$d' >"$W/f2b.log"
	run f2b fail2ban-regex "$W/f2b.log" /etc/fail2ban/filter.d/postfix.conf
	echo "| fail2ban-regex (filter.d/postfix.conf, first ${F2B_MB} MB) | $F2B_MB | $T_WALL | $(echo "scale=2; $F2B_MB / $T_WALL" | bc) | $T_RSS | $(grep -o 'Lines: [0-9]* lines, [0-9]* ignored, [0-9]* matched' "$W/f2b.out" | head -n 1) |"
else
	echo "| fail2ban-regex | - | - | - | - | not installed |"
fi
fi
