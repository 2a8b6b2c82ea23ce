#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Open many TCP connections at once from one process (non-blocking), wait until they are
all established, print one JSON line, then hold them until stdin closes or the limit.

A process here may hold at most 20,000 files, so a test that needs more connections runs
several of these, each with its own source address.
"""
import argparse
import errno
import json
import resource
import select
import socket
import sys
import time


def connect_nb(fam, src, dst, port):
    """A non-blocking connect from src: (socket, None), or (None, errno name)."""
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setblocking(False)
    s.bind((src, 0))
    err = s.connect_ex((dst, port))
    if err not in (0, errno.EINPROGRESS):
        s.close()
        return None, errno.errorcode.get(err, str(err))
    return s, None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("-n", type=int, required=True, help="connections (at most 19,000)")
    ap.add_argument("--wait", type=float, default=60, help="seconds to get them established")
    ap.add_argument("--limit", type=float, default=300, help="seconds to hold them at most")
    a = ap.parse_args()
    if not 0 < a.n <= 19000 or not 0 < a.wait <= 600 or not 0 < a.limit <= 3600:
        ap.error("out of range")
    resource.setrlimit(resource.RLIMIT_NOFILE, (a.n + 100, a.n + 100))
    fam = socket.AF_INET6 if ":" in a.dst else socket.AF_INET
    ep = select.epoll()
    socks = {}
    t0 = time.monotonic()
    for _ in range(a.n):
        s, err = connect_nb(fam, a.src, a.dst, a.port)
        if s is None:
            print(json.dumps({"error": err}), flush=True)
            return 1
        socks[s.fileno()] = s
        ep.register(s.fileno(), select.EPOLLOUT)
    pending = set(socks)
    failed = 0
    while pending and time.monotonic() - t0 < a.wait:
        for fd, ev in ep.poll(1.0):
            if fd in pending:
                pending.discard(fd)
                ep.unregister(fd)
                if socks[fd].getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    failed += 1
    print(json.dumps({"src": a.src, "asked": a.n, "established": a.n - len(pending) - failed,
                      "failed": failed, "seconds": round(time.monotonic() - t0, 1)}),
          flush=True)
    # Hold until the test closes our stdin (or the limit), then leave with resets.
    select.select([sys.stdin], [], [], a.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
