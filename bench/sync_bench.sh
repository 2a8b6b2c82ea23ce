#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nftarpit-sync against its baselines, all in one run, in a fresh network namespace:
#  - replacing a full blocklist of N entries (single addresses in blockhost4, /24s in
#    blocknet4): nftarpit-sync --replace, `nft -f` of the same layout with flush set + add
#    element, and the old per-IP loop (flush the nat table, one iptables
#    DNAT rule per address; up to 10k, it is quadratic);
#  - a 1% delta (0.5% out, 0.5% in) into the largest set: nftarpit-sync and `nft -f`;
#  - nftarpit-sync --follow with the largest set loaded: a log line until its address is in
#    the kernel (polled with nft get element every 10 ms);
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
# Which parts to run: any of replace, delta, follow, parse.
SECTIONS=${SECTIONS:-replace delta follow parse}
LOG_MB=${LOG_MB:-200}
F2B_MB=${F2B_MB:-10}
NS=nftarpit-bench-$$
W=$(mktemp -d /tmp/nftarpit-bench.XXXXXX)

FOLLOW_PID=
cleanup() {
	[ -z "$FOLLOW_PID" ] || kill "$FOLLOW_PID" 2>/dev/null || true
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
echo "## Replace a full blocklist of N entries (~10% /24 in blocknet4, the rest single addresses in blockhost4)"
echo
echo "| N | tool | wall s | user s | sys s | peak RSS MB | notes |"
echo "|---|---|---|---|---|---|---|"
for n in "${SIZES[@]}"; do
	"$SRC/bench/gen_list.py" "$n" 1 >"$W/list$n"
	"$SRC/bench/gen_list.py" "$n" 2 --nft blockhost4,blocknet4 >"$W/nft$n"
	# Fill the set, then measure a replace of the full set by a different full set.
	"$SRC/bench/gen_list.py" "$n" 3 >"$W/fill$n"
	in_ns "$SYNC" --state "$W/state" --list "$W/fill$n" --replace 2>/dev/null
	run sync ip netns exec "$NS" "$SYNC" --state "$W/state" --list "$W/list$n" --replace
	s_wall=$T_WALL s_rss=$T_RSS
	echo "| $n | nftarpit-sync --replace | $T_WALL | $T_USER | $T_SYS | $T_RSS | transaction $(summary_field sync commit_ms) ms |"
	run nft ip netns exec "$NS" nft -f "$W/nft$n"
	echo "| $n | nft -f (flush + add) | $T_WALL | $T_USER | $T_SYS | $T_RSS | $(awk -v a="$T_WALL" -v b="$s_wall" -v c="$T_RSS" -v d="$s_rss" 'BEGIN { if (b > 0 && d > 0) printf "%.2f times nftarpit-sync'"'"'s wall, %.1f times its RSS", a / b, c / d }') |"
	# The kernel's share of nft's run: the same replace once more (the set refilled
	# first), its batch's sendmsg timed by strace -T (the transaction alone, as commit_ms).
	if command -v strace >/dev/null; then
		in_ns "$SYNC" --state "$W/state" --list "$W/fill$n" --replace 2>/dev/null
		ip netns exec "$NS" strace --seccomp-bpf -f -T -e trace=sendmsg -o "$W/nft.strace" \
			nft -f "$W/nft$n"
		echo "| $n | nft -f, again: its transaction alone | | | | | transaction $(grep -o '<[0-9.]*>$' "$W/nft.strace" | tr -d '<>' | sort -n | tail -n 1 | awk '{ printf "%d", $1 * 1000 }') ms (sendmsg under strace -T) |"
	fi
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
	awk '/^block(host|net)4:/ { set = substr($1, 1, length($1) - 1); next } /^[a-z]/ { set = "" }
	     set != "" && $1 == "-" { d[set] = d[set] (d[set] ? ", " : "") $2 }
	     set != "" && $1 == "+" { a[set] = a[set] (a[set] ? ", " : "") $2 }
	     END { for (s in d) print "delete element inet nftarpit " s " { " d[s] " }";
		   for (s in a) print "add element inet nftarpit " s " { " a[s] " }" }' >"$W/delta-nft"
run delta ip netns exec "$NS" "$SYNC" --state "$W/state" --list "$W/delta-list"
echo "| nftarpit-sync (whole run: read the $big-line list, merge, diff, commit) | $T_WALL | $T_USER | $T_SYS | $T_RSS | transaction $(summary_field delta commit_ms) ms, added $(summary_field delta added), removed $(summary_field delta removed) |"
# Back to the full list, then the same delta through nft.
in_ns "$SYNC" --state "$W/state" --list "$W/list$big" 2>/dev/null
run nftdelta ip netns exec "$NS" nft -f "$W/delta-nft"
echo "| nft -f (delete + add the same ranges) | $T_WALL | $T_USER | $T_SYS | $T_RSS | |"
fi

if want follow; then
echo
echo "## --follow with the $big-entry set loaded: a log line until its address is in the kernel"
echo
"$SRC/bench/gen_list.py" "$big" 1 >"$W/list$big"
in_ns "$SYNC" --state "$W/fstate" --list "$W/list$big" --replace 2>/dev/null
: >"$W/follow-mail.log"
printf '[sync]\nfull_interval = 1h\n' >"$W/follow.conf"
: >"$W/follow.err"
ip netns exec "$NS" "$SYNC" -c "$W/follow.conf" --state "$W/fstate" --list "$W/list$big" \
	--log "$W/follow-mail.log" --follow 2>"$W/follow.err" &
FOLLOW_PID=$!
for ((i = 0; i < 1200; i++)); do
	grep -q "follow started" "$W/follow.err" && break
	sleep 0.1
done
grep -q "follow started" "$W/follow.err" || { echo "bench: --follow did not start" >&2; exit 1; }
echo "| offender | log line to acked commit ms (file poll every 200 ms included) | follow's commit |"
echo "|---|---|---|"
# The commit's ack is the kernel's word that the element is in: timed from the log line to
# follow's "follow commit" line, polled every 5 ms. (Polling the set with nft get element
# instead reads the whole million back, each time, and would measure that.)
n=0
for a in 192.0.2.11 192.0.2.12 192.0.2.13 192.0.2.14 192.0.2.15; do
	t0=$(date +%s%N)
	printf '%s mx postfix/smtpd[4242]: NOQUEUE: reject: RCPT from unknown[%s]: 554 5.7.1 Service unavailable; Client host [%s] blocked using zen.spamhaus.org; from=<a@example.net> to=<b@example.org> proto=ESMTP helo=<x>\n' \
		"$(date '+%b %e %H:%M:%S')" "$a" "$a" >>"$W/follow-mail.log"
	n=$((n + 1))
	got=
	for ((i = 0; i < 2000; i++)); do
		if [ "$(grep -c 'follow commit hosts=1 ranges=0 ms=[0-9]* exit=0' "$W/follow.err")" -ge "$n" ]; then
			got=$((($(date +%s%N) - t0) / 1000000))
			break
		fi
		sleep 0.005
	done
	[ -n "$got" ] || { echo "bench: no commit for $a within 10 s" >&2; exit 1; }
	echo "| $a | $got | $(grep -o 'follow commit hosts=1 ranges=0 ms=[0-9]*' "$W/follow.err" | tail -n 1) |"
	sleep 0.5
done
# Once, at the end: all five are in the kernel (this reads the set back: slow at 1M).
in_ns nft get element inet nftarpit blockhost4 "{ 192.0.2.11, 192.0.2.12, 192.0.2.13, 192.0.2.14, 192.0.2.15 }" >/dev/null ||
	{ echo "bench: the banned addresses are not all in blockhost4" >&2; exit 1; }
echo
echo "All five are in blockhost4 (nft get element, once, after the run)."
kill "$FOLLOW_PID"
wait "$FOLLOW_PID" || true
FOLLOW_PID=
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
