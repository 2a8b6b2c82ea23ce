#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Loading a CrowdSec Local API's decisions into the kernel: nftarpit-sync against Debian's
# crowdsec-firewall-bouncer (nftables mode), same run, same LAPI, same decisions.
# One LAPI (crowdsec -no-cs, a folder of ours, its own namespace) gets N decisions with
# `cscli decisions import` (default 100,000: 65,536 IPv4 addresses, every other one of
# 198.18.0.0/15, so that no two are adjacent and merge into one range, and the rest IPv6
# in 2001:db8::/32). Then each contender starts in a fresh namespace of its own (the
# bouncer's tables never reach the host's ruleset) and the clock runs until every
# decision is an element of the kernel's sets; peak RSS from GNU time. Prints a Markdown
# table with the ratio. Root only.
# usage: bench/crowdsec_bench.sh [N]
set -euo pipefail

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
. "$(dirname "$0")/lib.sh"
bench_build
SYNC=$B/tools/nftarpit-sync
CTL=$B/tools/nftarpitctl
N=${1:-100000}
# Seconds a contender may take before it is stopped and its progress reported.
LIMIT=${LIMIT:-900}
BOUNCER=${BOUNCER:-crowdsec-firewall-bouncer}
PY=/usr/bin/python3
NS_CS=nftarpit-bcs-$$
NS_N=nftarpit-bn-$$
NS_F=nftarpit-bf-$$
W=$(mktemp -d /tmp/nftarpit-bench.XXXXXX)
chmod 755 "$W"
LAPI_PID=

# wait_until and fail from the tests' helpers; crowdsec.sh runs the LAPI.
. "$SRC/tests/integration/lib.sh"
. "$SRC/tests/integration/crowdsec.sh"

cleanup() {
	local ns pids
	set +e
	for ns in "$NS_N" "$NS_F" "$NS_CS"; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
HAVE=0

[ "$(id -u)" -eq 0 ] || fail "needs root"
for p in "$SYNC" "$CTL" "$BOUNCER" "$CROWDSEC" "$CSCLI" nft /usr/bin/time; do
	command -v "$p" >/dev/null || [ -x "$p" ] || fail "missing $p"
done
[ "$N" -ge 65537 ] && [ "$N" -le 1000000 ] || fail "N must be 65537..1000000"

# Topology: the LAPI reachable from both contenders' namespaces, nothing else.
for ns in "$NS_CS" "$NS_N" "$NS_F"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip -n "$NS_N" link add v type veth peer name cn netns "$NS_CS"
ip -n "$NS_F" link add v type veth peer name cf netns "$NS_CS"
ip -n "$NS_N" addr add 198.51.100.2/30 dev v
ip -n "$NS_F" addr add 198.51.100.6/30 dev v
ip -n "$NS_CS" addr add 198.51.100.1/30 dev cn
ip -n "$NS_CS" addr add 198.51.100.5/30 dev cf
for l in "$NS_N v" "$NS_F v" "$NS_CS cn" "$NS_CS cf"; do
	set -- $l
	ip -n "$1" link set "$2" up
done

lapi_config "$W/lapi" 0.0.0.0:8080
lapi_start "$NS_CS" "$W/lapi" http://127.0.0.1:8080
lapi_cscli "$NS_CS" "$W/lapi" bouncers add nftarpit -o raw >"$W/n.key"
lapi_cscli "$NS_CS" "$W/lapi" bouncers add firewall -o raw >"$W/f.key"

# The decisions: CSV with a header line, as cscli decisions import reads it.
"$PY" - "$N" >"$W/decisions.csv" <<'PYEOF'
import ipaddress, sys
n = int(sys.argv[1])
print("duration,scope,type,value")
base = int(ipaddress.IPv4Address("198.18.0.0"))
for i in range(65536):
    print("4h,ip,ban,%s" % ipaddress.IPv4Address(base + 2 * i))
for i in range(n - 65536):
    print("4h,ip,ban,2001:db8:%x:%x::1" % (i >> 16, i & 0xffff))
PYEOF
t0=$(date +%s%N)
lapi_cscli "$NS_CS" "$W/lapi" decisions import -i "$W/decisions.csv" --reason bench \
	>"$W/import.log" 2>&1 || { cat "$W/import.log" >&2; fail "cscli decisions import"; }
echo "imported $N decisions in $((($(date +%s%N) - t0) / 1000000)) ms" >&2
# The LAPI's own share: the startup answer fetched alone (a third bouncer key).
lapi_cscli "$NS_CS" "$W/lapi" bouncers add curl -o raw >"$W/c.key"
t0=$(date +%s%N)
ip netns exec "$NS_CS" curl -sf -o "$W/startup.json" -H "X-Api-Key: $(cat "$W/c.key")" \
	'http://127.0.0.1:8080/v1/decisions/stream?startup=true' || fail "curl of the stream"
CURL_MS=$((($(date +%s%N) - t0) / 1000000))

# count NS TABLE SET: elements of one set.
count() {
	ip netns exec "$1" nft -j list set "$2" "$3" 2>/dev/null | "$PY" -c '
import json, sys
n = 0
for o in json.load(sys.stdin)["nftables"]:
    n += len((o.get("set") or {}).get("elem", []))
print(n)' 2>/dev/null || echo 0
}

# run NAME NS CHECK CMD...: start CMD under GNU time in NS, poll CHECK every 0.2 s until
# it succeeds (at most LIMIT seconds), stop CMD if it still runs; sets MS, RSS_KB and DONE
# (what CHECK last counted: "all", or how many elements were in the sets at the limit).
run() {
	local name=$1 ns=$2 check=$3 pid t0 end
	shift 3
	t0=$(date +%s%N)
	end=$((t0 + LIMIT * 1000000000))
	ip netns exec "$ns" /usr/bin/time -f '%M' -o "$W/$name.rss" "$@" >"$W/$name.log" 2>&1 &
	pid=$!
	DONE=
	while [ "$(date +%s%N)" -lt $end ]; do
		if $check; then
			DONE=all
			break
		fi
		sleep 0.2
	done
	MS=$((($(date +%s%N) - t0) / 1000000))
	[ -n "$DONE" ] || DONE="$HAVE of $N"
	# ip netns exec execs GNU time: $pid is time, its child the contender.
	pkill -TERM -P "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	RSS_KB=$(tail -n 1 "$W/$name.rss")
}

# all_in NS TABLE4 SET4 TABLE6 SET6: both sets hold every decision; HAVE says how many.
all_in() {
	local a b
	a=$(count "$1" "$2" "$3")
	b=$(count "$1" "$4" "$5")
	HAVE=$((a + b))
	[ "$a" -ge 65536 ] && [ "$b" -ge $((N - 65536)) ]
}
nftarpit_done() {
	all_in "$NS_N" "inet nftarpit" blockhost4 "inet nftarpit" blockhost6
}
firewall_done() {
	all_in "$NS_F" "ip crowdsec" crowdsec-blacklists "ip6 crowdsec6" crowdsec6-blacklists
}

# nftarpit-sync, one-shot (the timer's run), into the sets of its ruleset.
ip netns exec "$NS_N" "$CTL" setup >/dev/null
cat >"$W/n.conf" <<CONF
[crowdsec]
url = http://198.51.100.1:8080
bouncer_key_file = $W/n.key
CONF
run nftarpit "$NS_N" nftarpit_done "$SYNC" -c "$W/n.conf" --state "$W/n.state"
N_MS=$MS
N_RSS=$RSS_KB
N_DONE=$DONE
grep 'nftarpit-sync: sync ' "$W/nftarpit.log" >&2 || true

# The firewall bouncer: Debian's config with nftables mode, our LAPI and key, in the
# foreground, logging to stdout, no metrics listener, the same 1 s poll as nftarpit's.
sed -e 's|^mode: .*|mode: nftables|' -e "s|^api_key: .*|api_key: $(cat "$W/f.key")|" \
	-e 's|^api_url: .*|api_url: http://198.51.100.5:8080/|' -e 's|^daemonize: .*|daemonize: false|' \
	-e 's|^log_mode: .*|log_mode: stdout|' -e "s|^pid_dir: .*|pid_dir: $W/|" \
	-e 's|^update_frequency: .*|update_frequency: 1s|' -e "s|^log_dir: .*|log_dir: $W/|" \
	-e 's|^  enabled: true$|  enabled: false|' \
	/etc/crowdsec/bouncers/crowdsec-firewall-bouncer.yaml >"$W/f.yaml"
# The sed above turned off prometheus too; the nftables families must stay on.
"$PY" - "$W/f.yaml" <<'PYEOF'
import sys, yaml
p = sys.argv[1]
c = yaml.safe_load(open(p))
c["nftables"]["ipv4"]["enabled"] = True
c["nftables"]["ipv6"]["enabled"] = True
c["prometheus"]["enabled"] = False
yaml.safe_dump(c, open(p, "w"))
PYEOF
run firewall "$NS_F" firewall_done "$BOUNCER" -c "$W/f.yaml"
F_MS=$MS
F_RSS=$RSS_KB
F_DONE=$DONE

ratio() {
	"$PY" -c "import sys; print('%.1f' % (float(sys.argv[1]) / max(float(sys.argv[2]), 1)))" "$1" "$2"
}
echo
echo "$N CrowdSec decisions ($((N - 65536)) IPv6) from one LAPI into the kernel's sets, $(nproc) CPUs:"
echo
echo "| contender | in the sets | wall time | peak RSS |"
echo "|---|---|---:|---:|"
printf '| nftarpit-sync (one-shot) | %s | %d ms | %d KiB |\n' "$N_DONE" "$N_MS" "$N_RSS"
printf '| crowdsec-firewall-bouncer %s (nftables) | %s | %d ms | %d KiB |\n' \
	"$(dpkg-query -W -f='${Version}' crowdsec-firewall-bouncer 2>/dev/null || echo '?')" \
	"$F_DONE" "$F_MS" "$F_RSS"
printf '| (the LAPI alone: curl of the startup answer, %d bytes) | | %d ms | |\n' \
	"$(stat -c %s "$W/startup.json")" "$CURL_MS"
echo
if [ "$F_DONE" = all ] && [ "$N_DONE" = all ]; then
	echo "ratio: the bouncer takes $(ratio "$F_MS" "$N_MS")x nftarpit-sync's wall time and $(ratio "$F_RSS" "$N_RSS")x its peak RSS"
else
	echo "ratio: at least $(ratio "$F_MS" "$N_MS")x nftarpit-sync's wall time (a contender was stopped at ${LIMIT} s, see the table), $(ratio "$F_RSS" "$N_RSS")x its peak RSS"
fi
