#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nftarpitctl status, metrics and top against a daemon holding real flows: status --json
# reports exactly the held flows (count and sources), metrics parse with the Prometheus
# client library and agree with status, top shows the flows under tmux and quits on q and
# on Ctrl-C leaving the terminal sane, counters survive a SIGHUP, and a garbage request, a
# half-open client and 1,000 concurrent status requests leave the held flows answered.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

TMUX_SOCK=
lib_init
# tmux's server socket inside the work directory, so the cleanup removes it too.
TMUX_SOCK=$WORK/tmux.sock
require_prog "$NFTARPITD" "$NFTARPITCTL" tmux
"$PY" -c 'import prometheus_client' 2>/dev/null ||
	fail "python3-prometheus-client missing (./quickstart installs it)"
trap 'rc=$?; set +e; tmux -S "$TMUX_SOCK" kill-server 2>/dev/null; (exit $rc); cleanup' EXIT
topo_up
postfix_start
ruleset_setup
lists_fill
SPAM4B=198.51.100.11
ip -n "$NS_CLI" addr add "$SPAM4B/32" dev veth0
# Held peers probe our zero window every second.
in_cli sysctl -qw net.ipv4.tcp_rto_max_ms=1000
cat >"$WORK/nftarpitd.conf" <<-CONF
[daemon]
smtp_interval = 1
ctl_group = nogroup
CONF
daemon_start -c "$WORK/nftarpitd.conf"
# The socket: owner root, the configured group, mode 0660.
[ "$(stat -c '%U:%G %a' "$CTL_SOCK")" = "root:nogroup 660" ] ||
	fail "control socket is $(stat -c '%U:%G %a' "$CTL_SOCK"), want root:nogroup 660"

ctl() {
	in_srv "$NFTARPITCTL" "$@"
}

# Three held flows: two IPv4 sources and one IPv6.
for src in $SPAM4 $SPAM4B $SPAM6; do
	dst=$SRV4
	case $src in *:*) dst=$SRV6 ;; esac
	client_bg "$WORK/held-$src.json" --src "$src" --dst "$dst" --banner-wait 2 --write 64 \
		--hold 0.5 --linger 120
done
held_count() {
	[ "$(ctl status --json -s "$CTL_SOCK" --no-sets | "$PY" -c \
		'import json, sys; print(json.load(sys.stdin)["flows_now"])')" = 3 ]
}
wait_until 15 held_count || fail "status does not show 3 held flows: $(ctl status -s "$CTL_SOCK")"

# status --json: exactly the flows we made, and what the kernel says.
ctl status --json -s "$CTL_SOCK" >"$WORK/status.json"
"$PY" - "$WORK/status.json" "$SPAM4 $SPAM4B $SPAM6" "$QUEUE" <<-'PYEOF' || fail "status --json: $(cat "$WORK/status.json")"
import json, sys
s = json.load(open(sys.argv[1]))
want = sorted(sys.argv[2].split())
got = sorted(f["src"] for f in s["flows"])
assert s["daemon"]["answered"], "daemon did not answer"
assert s["flows_now"] == 3, s["flows_now"]
assert got == want, (got, want)
assert all(f["dport"] == 25 and f["queue"] == int(sys.argv[3]) for f in s["flows"])
held = [f["held_s"] for f in s["flows"]]
assert held == sorted(held, reverse=True), "not longest held first: %s" % held
assert s["flows_by_state"]["held"] + s["flows_by_state"]["quiet"] == 3
assert s["ruleset"]["present"] and s["ruleset"]["queue"] == int(sys.argv[3])
assert s["ruleset"]["queue_expr"] in ("native", "xt")
assert s["sets"]["blocknet4"] == 1 and s["sets"]["blockhost4"] == 0, s["sets"]
assert s["sets"]["allowlist6"] == 1, s["sets"]
q = [k for k in s["kernel_queues"] if k["queue"] == int(sys.argv[3])]
assert q and q[0]["dropped"] == 0, s["kernel_queues"]
assert s["totals_since_start"]["synack_sent"] >= 3
print("status --json: flows %s, queue via %s" % (got, s["ruleset"]["queue_expr"]))
PYEOF
ctl status -s "$CTL_SOCK" >"$WORK/status.txt"
log "status:"
cat "$WORK/status.txt" >&2
grep -q '^longest held' "$WORK/status.txt" || fail "no flow table in status"
for src in $SPAM4 $SPAM4B $SPAM6; do
	grep -q "^  $src " "$WORK/status.txt" || fail "status does not list $src"
done

# metrics: parsed by prometheus_client, counters between two status readings around them,
# gauges equal to status's, and no per-address series.
ctl status --json -s "$CTL_SOCK" --no-sets >"$WORK/before.json"
ctl metrics -s "$CTL_SOCK" >"$WORK/metrics.txt"
ctl status --json -s "$CTL_SOCK" --no-sets >"$WORK/after.json"
ctl metrics -s "$CTL_SOCK" -o "$WORK/nftarpit.prom"
"$PY" - "$WORK/metrics.txt" "$WORK/before.json" "$WORK/after.json" "$WORK/nftarpit.prom" <<-'PYEOF' || fail "metrics disagree: $(cat "$WORK/metrics.txt")"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
m = {}
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        m[(s.name, tuple(sorted(s.labels.items())))] = s.value
        for v in s.labels.values():
            assert not v.startswith("198.51.") and ":" not in v, "per-address label %s" % v
b = json.load(open(sys.argv[2]))
a = json.load(open(sys.argv[3]))
def get(name, **labels):
    return m[(name, tuple(sorted(labels.items())))]
assert get("nftarpit_up") == 1
for metric, key, labels in [
        ("nftarpit_packets_total", "packets", {}),
        ("nftarpit_attacker_seconds_total", None, {}),
        ("nftarpit_replies_total", "synack_sent", {"kind": "synack"}),
        ("nftarpit_replies_total", "probes", {"kind": "probe_ack"}),
        ("nftarpit_flows_started_total", "flows_new", {}),
        ("nftarpit_smtp_bytes_total", "smtp_bytes", {})]:
    lo = b["attacker_seconds"] if key is None else b["totals_since_start"][key]
    hi = a["attacker_seconds"] if key is None else a["totals_since_start"][key]
    v = get(metric, **labels)
    assert lo <= v <= hi, (metric, lo, v, hi)
assert get("nftarpit_flows", state="held") + get("nftarpit_flows", state="quiet") == a["flows_now"] == 3
assert get("nftarpit_set_ranges", set="blocknet4") == 1
assert get("nftarpit_kernel_queue_dropped_total", queue="25") == 0
series = len(m)
assert series < 80, "%d series" % series
text = open(sys.argv[4]).read()
assert "nftarpit_up 1" in text
print("metrics: %d series, agree with status" % series)
PYEOF

# The HTTP listener: GET /metrics is the same exposition, anything else 404.
ip netns exec "$NS_SRV" "$NFTARPITCTL" metrics -s "$CTL_SOCK" --listen 127.0.0.1:9525 \
	2>"$WORK/http.log" &
HTTP_PID=$!
in_srv "$PY" - <<-'PYEOF' || fail "HTTP /metrics: $(cat "$WORK/http.log")"
import time, urllib.request, urllib.error
from prometheus_client.parser import text_string_to_metric_families
for _ in range(50):
    try:
        r = urllib.request.urlopen("http://127.0.0.1:9525/metrics", timeout=5)
        break
    except OSError:
        time.sleep(0.1)
assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
names = {s.name for f in text_string_to_metric_families(r.read().decode()) for s in f.samples}
assert "nftarpit_up" in names and "nftarpit_flows" in names, names
try:
    urllib.request.urlopen("http://127.0.0.1:9525/", timeout=5)
    raise SystemExit("/ answered")
except urllib.error.HTTPError as e:
    assert e.code == 404
print("HTTP /metrics: %d series names, / is 404" % len(names))
PYEOF
kill -TERM "$HTTP_PID"
wait "$HTTP_PID" || fail "metrics --listen exited $? on SIGTERM"

# Counters since start survive a reload.
pkts=$(stat_get packets)
kill -HUP "$DAEMON_PID"
wait_until 5 sh -c "printf 'stats\n' | socat -t 3 - UNIX-CONNECT:$CTL_SOCK | grep -qx reloads=1" ||
	fail "no reload counted"
after=$(stat_get packets)
[ "$after" -ge "$pkts" ] || fail "packets went from $pkts to $after across SIGHUP"
log "SIGHUP: reloads=1, packets $pkts -> $after"

# top under tmux: shows the flows, quits on q and on Ctrl-C, and leaves the terminal sane.
top_run() {
	local key=$1 name=top-$1
	tmux -S "$TMUX_SOCK" new-session -d -s "$name" -x 120 -y 30 \
		"ip netns exec $NS_SRV $NFTARPITCTL top -s $CTL_SOCK --interval 300; echo top-exit=\$?; stty -a | tr ' ;' '\n\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ' '; echo; sleep 60"
	tmux_has() {
		# Read the pane whole first: grep -q exiting early would fail the pipe (pipefail).
		grep -q -- "$1" <<<"$(tmux -S "$TMUX_SOCK" capture-pane -p -t "$name")"
	}
	wait_until 10 tmux_has "$SPAM6" || fail "top does not show $SPAM6: $(tmux -S "$TMUX_SOCK" capture-pane -p -t "$name")"
	for src in $SPAM4 $SPAM4B; do
		tmux_has "$src" || fail "top does not show $src"
	done
	tmux_has "held now 3" || fail "top does not say 3 held: $(tmux -S "$TMUX_SOCK" capture-pane -p -t "$name")"
	tmux -S "$TMUX_SOCK" capture-pane -p -t "$name" >"$WORK/top-$key.txt"
	tmux -S "$TMUX_SOCK" send-keys -t "$name" "$key"
	wait_until 10 tmux_has "top-exit=0" || fail "top did not quit on $key: $(tmux -S "$TMUX_SOCK" capture-pane -p -t "$name")"
	wait_until 5 tmux_has "icanon echo" || fail "terminal not restored after $key: $(tmux -S "$TMUX_SOCK" capture-pane -p -t "$name")"
	if tmux_has "$SPAM6"; then
		fail "top's screen is still shown after $key (alternate screen not left)"
	fi
	tmux -S "$TMUX_SOCK" kill-session -t "$name"
	log "top: flows shown, quit on $key, terminal sane"
}
top_run q
top_run C-c
cat "$WORK/top-q.txt" >&2

# A garbage request and an oversized one get an error line; a half-open client holds a
# slot and gets its error after 1 s, while others are served meanwhile.
out=$(printf 'GET / HTTP/1.0\r\n\r\n' | in_srv timeout 5 socat -t 3 - "UNIX-CONNECT:$CTL_SOCK")
[ "$out" = "error unknown request (try: stats, status [N], ping)" ] || fail "garbage: $out"
out=$(head -c 5000 /dev/zero | tr '\0' a | in_srv timeout 5 socat -t 3 - "UNIX-CONNECT:$CTL_SOCK")
[ "$out" = "error request too long" ] || fail "oversized: $out"
mkfifo "$WORK/fifo"
# The fifo's writer stays open and silent: the client connects and never sends a line.
exec 9<>"$WORK/fifo"
ip netns exec "$NS_SRV" socat -t 30 - "UNIX-CONNECT:$CTL_SOCK" <"$WORK/fifo" >"$WORK/halfopen.out" &
HALF_PID=$!
sleep 0.3
t0=$(date +%s%N)
[ "$(printf 'ping\n' | in_srv timeout 5 socat -t 3 - "UNIX-CONNECT:$CTL_SOCK")" = pong ] ||
	fail "ping beside a half-open client"
log "ping beside a half-open client: $((($(date +%s%N) - t0) / 1000000)) ms"
wait_until 5 grep -q 'error no request within 1 s' "$WORK/halfopen.out" ||
	fail "half-open client got no timeout error"
kill "$HALF_PID" 2>/dev/null || true
wait "$HALF_PID" 2>/dev/null || true
exec 9>&-

# 1,000 concurrent status requests; the held flows keep being answered meanwhile.
probes0=$(stat_get probes)
segs0=$(stat_get smtp_segments)
t0=$(date +%s)
in_srv "$PY" - "$CTL_SOCK" <<-'PYEOF' || fail "concurrent status requests failed"
import socket, sys, threading, time
path, n, ok, bad = sys.argv[1], 1000, [], []
def one(i):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(path)
        s.sendall(b"status 10\n")
        data = b""
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
        s.close()
        lines = data.decode().splitlines()
        if lines and lines[-1] == "end" and "snapshot_flows=3" in lines:
            ok.append(i)
        else:
            bad.append(data[:200])
    except Exception as e:
        bad.append(repr(e))
t = time.monotonic()
threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for th in threads:
    th.start()
for th in threads:
    th.join()
print("1000 concurrent status: %d ok, %d bad in %.1f s" % (len(ok), len(bad), time.monotonic() - t))
if bad:
    print(bad[:3])
sys.exit(0 if len(ok) == n else 1)
PYEOF
sleep 2
elapsed=$(($(date +%s) - t0))
probes1=$(stat_get probes)
segs1=$(stat_get smtp_segments)
log "during the storm ($elapsed s): probe ACKs +$((probes1 - probes0)), SMTP segments +$((segs1 - segs0))"
# Three peers probing about once a second each: at least one answer per flow per 2 s.
[ $((probes1 - probes0)) -ge $((elapsed * 3 / 2)) ] || fail "held flows not answered during the storm"
held_count || fail "held flows lost during the storm"
for src in $SPAM4 $SPAM4B $SPAM6; do
	out=$(cat "$WORK/held-$src.json")
	[ "$(json_get "$out" connected)" = true ] || fail "$src: not connected: $out"
done
ss_out=$(in_cli ss -tinoH state established '( dport = :25 )')
n=$(grep -c 'timer:(persist' <<<"$ss_out" || true)
[ "$n" -eq 3 ] || fail "expected 3 clients in persist, got $n: $ss_out"
log "PASS"
