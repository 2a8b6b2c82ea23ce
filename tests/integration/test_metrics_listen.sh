#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nftarpitctl metrics --listen is no single-lane road: ten clients dripping their request a
# byte a second (what once held the listener for hours, one read timeout per byte) do not
# delay a scrape, which is served in under a second each time; and each slow client is
# dropped at its one overall deadline, however it keeps trickling.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL"
netns_add "$NS_SRV"
daemon_start
ip netns exec "$NS_SRV" "$NFTARPITCTL" metrics -s "$CTL_SOCK" --listen 127.0.0.1:9525 \
	2>"$WORK/http.log" &
HTTP_PID=$!

in_srv "$PY" - <<-'PYEOF' >"$WORK/slow.json" || fail "$(cat "$WORK/slow.json") $(cat "$WORK/http.log")"
import json, socket, threading, time, urllib.request

URL = "http://127.0.0.1:9525/metrics"
for _ in range(50):
    try:
        urllib.request.urlopen(URL, timeout=5).read()
        break
    except OSError:
        time.sleep(0.1)
else:
    raise SystemExit("the listener never answered")

stop = time.monotonic() + 12
lives = []          # how long the server kept each slow connection
dripped = [0]
lock = threading.Lock()


def slow():
    # One byte a second of a request that never ends, reconnecting when dropped.
    while time.monotonic() < stop:
        s = socket.create_connection(("127.0.0.1", 9525), timeout=5)
        t0 = time.monotonic()
        try:
            for b in b"GET /metrics HTTP/1.1\r\nX-Slow: " + b"a" * 64:
                if time.monotonic() >= stop:
                    break
                s.send(bytes([b]))
                with lock:
                    dripped[0] += 1
                s.settimeout(1.0)
                try:
                    if s.recv(1) == b"":
                        break  # closed on us
                except socket.timeout:
                    pass
        except OSError:
            pass
        with lock:
            if time.monotonic() < stop:
                lives.append(time.monotonic() - t0)
        s.close()


threads = [threading.Thread(target=slow) for _ in range(10)]
for t in threads:
    t.start()
time.sleep(3)  # every slow client has its connection and is dripping
scrapes = []
for _ in range(6):
    t0 = time.monotonic()
    body = urllib.request.urlopen(URL, timeout=5).read().decode()
    scrapes.append(time.monotonic() - t0)
    assert "nftarpit_up 1" in body, body[:200]
    time.sleep(1)
for t in threads:
    t.join(30)
print(json.dumps({"scrapes_s": [round(x, 3) for x in scrapes], "dripped": dripped[0],
                  "slow_lives_s": sorted(round(x, 2) for x in lives)}))
PYEOF
res=$(cat "$WORK/slow.json")
log "$res"
"$PY" - "$res" <<-'PYEOF' || fail "metrics listener: $res"
import json, sys
r = json.loads(sys.argv[1])
assert r["dripped"] >= 50, "the slow clients did not drip"
# Served in under a second while the slow clients dripped.
assert max(r["scrapes_s"]) < 1.0, r["scrapes_s"]
# Each slow client dropped at its deadline (2 s) while it still trickled, not held for hours.
assert len(r["slow_lives_s"]) >= 10, r["slow_lives_s"]
assert max(r["slow_lives_s"]) < 4.0, r["slow_lives_s"]
PYEOF
kill -TERM "$HTTP_PID"
wait "$HTTP_PID" || fail "metrics --listen exited $? on SIGTERM"
log "PASS"
