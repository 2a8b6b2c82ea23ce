#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Spoofed window probes at the tarpit, from sources that never made a handshake, with
acknowledgement numbers placed against the cookie ISN the daemon would have sent them.

The ISN is computed here from the daemon's key file (SipHash-2-4 through libsodium's
crypto_shorthash, as daemon/cookie.c documents it), so the test can aim exactly:
  outside  acks just past the drip's bound, just below the ISN, and random ones: the
           daemon must answer none of them
  inside   acks within the bound: a re-adoption each, as far as the reply budget allows
Prints one JSON line: how many segments were sent.
"""
import argparse
import ctypes
import ctypes.util
import json
import random
import socket
import struct

from scapy.all import IP, TCP, send

_sodium = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")


def cookie_hash(key, src, dst, sport, dport):
    data = bytes([socket.AF_INET]) + socket.inet_aton(src) + socket.inet_aton(dst) + \
        struct.pack(">HH", sport, dport)
    out = ctypes.create_string_buffer(8)
    if _sodium.crypto_shorthash(out, data, ctypes.c_ulonglong(len(data)), key) != 0:
        raise RuntimeError("crypto_shorthash failed")
    return struct.unpack("<Q", out.raw)[0] & 0xFFFFFFFF


def isn(h, peer_isn):
    return (h & 0xFFFFFF00) | ((h ^ peer_isn) & 0xFF)


def accepted(h, seq, ack, bound):
    """What the daemon accepts for a probe (no payload) on a tuple without a record."""
    below = (ack - 1 - isn(h, seq)) & 0xFFFFFFFF     # una = seq + 1: a probe
    at_una = (ack - 1 - isn(h, seq - 1)) & 0xFFFFFFFF  # una = seq: a handshake's ACK
    return below <= bound or at_una == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--key", required=True, help="the daemon's cookie_key_file")
    ap.add_argument("--dst", required=True)
    ap.add_argument("--dport", type=int, default=25)
    ap.add_argument("--net", required=True, help="source /24, e.g. 198.18.7")
    ap.add_argument("--bound", type=int, required=True, help="max(smtp_max_bytes, greeting)")
    ap.add_argument("--mode", choices=("outside", "inside"), required=True)
    ap.add_argument("-n", type=int, required=True)
    ap.add_argument("--seed", type=int, default=21)
    a = ap.parse_args()
    with open(a.key, "rb") as f:
        key = f.read()
    if len(key) != 16 or not 0 < a.n <= 100000:
        ap.error("bad key or count")
    rnd = random.Random(a.seed)
    pkts = []
    for i in range(a.n):
        src = "%s.%d" % (a.net, 1 + i % 250)
        sport = 1024 + rnd.randrange(60000)
        seq = rnd.randrange(1 << 32)
        h = cookie_hash(key, src, a.dst, sport, a.dport)
        base = isn(h, seq) + 1
        if a.mode == "inside":
            ack = base + rnd.randrange(1, a.bound + 1)
        else:
            while True:
                kind = i % 3
                if kind == 0:
                    ack = base + a.bound + 1 + rnd.randrange(100000)
                elif kind == 1:
                    ack = base - 1 - rnd.randrange(1000)
                else:
                    ack = rnd.randrange(1 << 32)
                if not accepted(h, seq, ack & 0xFFFFFFFF, a.bound):
                    break
        pkts.append(IP(src=src, dst=a.dst, ttl=64) /
                    TCP(sport=sport, dport=a.dport, flags="A", seq=seq, ack=ack & 0xFFFFFFFF,
                        window=64240))
    send(pkts, verbose=0)
    print(json.dumps({"mode": a.mode, "sent": len(pkts)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
