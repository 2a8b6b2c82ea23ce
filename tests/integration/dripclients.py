#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Many SMTP clients held by the drip, from one process, each keeping every byte it reads.

Connections are opened in waves (so their drips stand at different offsets); each writes
its EHLO once it has the greeting line, which sticks in the tarpit's zero window so its
kernel keeps probing. Commands on stdin, one per line, each answered with one JSON line:
  dump   how many connections are open, established and closed, the bytes each has
         read, and the connections whose bytes are not an exact prefix of the drip's
         stream (computed here, independently of the daemon's C code)
  quit   close everything and leave
"""
import argparse
import json
import resource
import select
import socket
import sys
import time

from manyconn import connect_nb

# The EHLO reply the daemon drips, as daemon/smtp.c documents it: the greeting, the first
# line naming the host, then these lines over and over, never a final "250 " line.
LINES = [b"250-PIPELINING\r\n", b"250-SIZE 10240000\r\n", b"250-VRFY\r\n", b"250-ETRN\r\n",
         b"250-STARTTLS\r\n", b"250-ENHANCEDSTATUSCODES\r\n", b"250-8BITMIME\r\n",
         b"250-DSN\r\n", b"250-SMTPUTF8\r\n", b"250-CHUNKING\r\n"]


def drip_stream(host, n):
    out = b"220 %s ESMTP\r\n250-%s\r\n" % (host.encode(), host.encode())
    cycle = b"".join(LINES)
    while len(out) < n:
        out += cycle
    return out[:n]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--host", required=True, help="the daemon's smtp_hostname")
    ap.add_argument("-n", type=int, required=True, help="connections (at most 10,000)")
    ap.add_argument("--waves", type=int, default=10)
    ap.add_argument("--gap", type=float, default=1.0, help="seconds between waves")
    ap.add_argument("--limit", type=float, default=600, help="seconds to run at most")
    a = ap.parse_args()
    if not 0 < a.n <= 10000 or not 0 < a.waves <= a.n or not 0 <= a.gap <= 60 or \
            not 0 < a.limit <= 3600:
        ap.error("out of range")
    resource.setrlimit(resource.RLIMIT_NOFILE, (a.n + 100, a.n + 100))
    fam = socket.AF_INET6 if ":" in a.dst else socket.AF_INET
    ep = select.epoll()
    ep.register(sys.stdin.fileno(), select.EPOLLIN)
    conns = {}  # fd -> [socket, bytes read, EHLO sent, state]
    per_wave = (a.n + a.waves - 1) // a.waves
    opened = 0
    t0 = time.monotonic()
    next_wave = t0
    stdin_buf = b""
    while time.monotonic() - t0 < a.limit:
        now = time.monotonic()
        while opened < a.n and now >= next_wave:
            for _ in range(min(per_wave, a.n - opened)):
                s, err = connect_nb(fam, a.src, a.dst, a.port)
                if s is None:
                    print(json.dumps({"error": err}), flush=True)
                    return 1
                conns[s.fileno()] = [s, bytearray(), False, "connecting"]
                ep.register(s.fileno(), select.EPOLLOUT | select.EPOLLIN)
                opened += 1
            next_wave += a.gap
        for fd, ev in ep.poll(0.2):
            if fd == sys.stdin.fileno():
                chunk = sys.stdin.buffer.raw.read(4096)
                if not chunk:
                    return 0
                stdin_buf += chunk
                while b"\n" in stdin_buf:
                    line, stdin_buf = stdin_buf.split(b"\n", 1)
                    cmd = line.strip().decode()
                    if cmd == "quit":
                        return 0
                    if cmd == "dump":
                        dump(a, conns)
                continue
            c = conns[fd]
            if c[3] == "connecting" and ev & (select.EPOLLOUT | select.EPOLLERR):
                if c[0].getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    c[3] = "failed"
                    ep.unregister(fd)
                    continue
                c[3] = "established"
                ep.modify(fd, select.EPOLLIN)
            if ev & (select.EPOLLIN | select.EPOLLHUP | select.EPOLLERR):
                try:
                    data = c[0].recv(65536)
                except OSError:
                    data = b""
                if not data:
                    c[3] = "closed"
                    ep.unregister(fd)
                    continue
                c[1] += data
                if not c[2] and b"\r\n" in c[1]:
                    # Into the zero window: the kernel holds it and probes.
                    c[0].send(b"EHLO spam.example.net\r\n")
                    c[2] = True
    return 0


def dump(a, conns):
    longest = max((len(c[1]) for c in conns.values()), default=0)
    want = drip_stream(a.host, longest)
    bad = []
    for c in conns.values():
        if bytes(c[1]) != want[:len(c[1])]:
            bad.append({"sport": c[0].getsockname()[1], "got": bytes(c[1]).decode("latin-1")})
    states = {}
    for c in conns.values():
        states[c[3]] = states.get(c[3], 0) + 1
    out = {"opened": len(conns), "states": states,
           "lens": {str(c[0].getsockname()[1]): len(c[1]) for c in conns.values()},
           "bad": bad[:5], "nbad": len(bad)}
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
