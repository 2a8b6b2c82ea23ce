#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""One TCP client for the integration tests: connect from a given source address, wait
for a banner, optionally write bytes, and print what happened as one JSON object.

Everything is bounded in time: the connect, the banner wait, the hold and the linger.
Standard library only, so it runs wherever /usr/bin/python3 does.
"""

import argparse
import errno
import json
import socket
import struct
import sys
import time

TCP_STATES = {
    1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
    6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN",
    11: "CLOSING",
}


def tcp_info(sock):
    """The fields of struct tcp_info (linux/tcp.h) the tests look at."""
    raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    info = {
        "state": TCP_STATES.get(raw[0], str(raw[0])),
        # Unanswered zero-window probes in a row; an answered probe resets it.
        "probes_out": raw[3],
        "backoff": raw[4],
    }
    (info["unacked"],) = struct.unpack_from("I", raw, 24)
    if len(raw) >= 148:
        (info["notsent_bytes"],) = struct.unpack_from("I", raw, 144)
    if len(raw) >= 232:
        (info["snd_wnd"],) = struct.unpack_from("I", raw, 228)
    return info


def peer_state(sock):
    """'open', 'reset' or 'closed', without blocking and without consuming data."""
    sock.setblocking(False)
    try:
        data = sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return "open"
    except ConnectionResetError:
        return "reset"
    except OSError as e:
        return "error: " + errno.errorcode.get(e.errno, str(e))
    return "open" if data else "closed"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--src", required=True, help="source address to bind")
    ap.add_argument("--dst", required=True, help="server address")
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--connect-timeout", type=float, default=5.0)
    ap.add_argument("--banner-wait", type=float, default=3.0,
                    help="seconds to wait for a first line from the server")
    ap.add_argument("--write", type=int, default=0, metavar="N",
                    help="write N bytes after the banner wait")
    ap.add_argument("--hold", type=float, default=0.0,
                    help="seconds to keep the connection after writing, then report")
    ap.add_argument("--linger", type=float, default=0.0,
                    help="seconds to keep the connection open after the report")
    a = ap.parse_args()
    for name in ("connect_timeout", "banner_wait", "hold", "linger"):
        if not 0 <= getattr(a, name) <= 600:
            ap.error(name + " must be within 0..600 s")

    fam = socket.AF_INET6 if ":" in a.dst else socket.AF_INET
    out = {"src": a.src, "dst": a.dst, "port": a.port, "connected": False,
           "error": None, "banner": None}
    sock = socket.socket(fam, socket.SOCK_STREAM)
    sock.bind((a.src, 0))
    sock.settimeout(a.connect_timeout)
    t0 = time.monotonic()
    try:
        sock.connect((a.dst, a.port))
        out["connected"] = True
    except OSError as e:
        out["error"] = "timeout" if isinstance(e, socket.timeout) else \
            errno.errorcode.get(e.errno, str(e))
    out["connect_ms"] = round((time.monotonic() - t0) * 1000, 3)

    if out["connected"]:
        banner = b""
        deadline = time.monotonic() + a.banner_wait
        while b"\n" not in banner:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                chunk = sock.recv(512)
            except socket.timeout:
                break
            except OSError as e:
                out["error"] = errno.errorcode.get(e.errno, str(e))
                break
            if not chunk:
                break
            banner += chunk
        if banner:
            out["banner"] = banner.decode("latin-1").rstrip("\r\n")

        if a.write > 0:
            sock.setblocking(False)
            written = 0
            try:
                written = sock.send(b"x" * a.write)
            except BlockingIOError:
                pass
            out["written"] = written

        deadline = time.monotonic() + a.hold
        while time.monotonic() < deadline:
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        out["peer"] = peer_state(sock)
        out.update(tcp_info(sock))

    print(json.dumps(out), flush=True)

    if out["connected"] and a.linger > 0:
        time.sleep(a.linger)
    # Leave with a RST: nothing waits in FIN_WAIT1 for a peer that never opens its window.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
