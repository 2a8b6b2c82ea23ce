#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Craft TCP segments on the tuple of a live connection, as an attacker would: find the
connection's handshake in a capture (its SYN gives the client's sequence number, the
SYN-ACK ours), then send segments with chosen flags at chosen offsets from the client's
next sequence number (rcv_nxt on the server). Offset 0 is the in-window number; anything
else is what an off-path sender who guessed the tuple but not the number can send.

Prints one JSON object: the numbers found and how many segments were sent.
Needs scapy (python3-scapy); run it in the client's network namespace.
"""

import argparse
import json
import sys

from scapy.all import IP, IPv6, TCP, conf, rdpcap


def handshake(pcap, src, sport, dst, dport):
    """(client ISN, server ISN) of the connection src:sport -> dst:dport, or None."""
    cli = srv = None
    for p in rdpcap(pcap):
        ip = p.getlayer(IP) or p.getlayer(IPv6)
        t = p.getlayer(TCP)
        if ip is None or t is None:
            continue
        if (ip.src, t.sport, ip.dst, t.dport) == (src, sport, dst, dport) and t.flags == "S":
            cli = t.seq
        if (ip.src, t.sport, ip.dst, t.dport) == (dst, dport, src, sport) and t.flags == "SA":
            srv = t.seq
    return None if cli is None or srv is None else (cli, srv)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--sport", type=int, required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--dport", type=int, default=25)
    ap.add_argument("--flags", required=True, help="scapy TCP flags, e.g. R, RA, FA, S")
    ap.add_argument("--offsets", required=True,
                    help="comma-separated offsets from the client's next sequence number")
    a = ap.parse_args()
    found = handshake(a.pcap, a.src, a.sport, a.dst, a.dport)
    if found is None:
        print(json.dumps({"error": "handshake not in the capture"}))
        return 1
    cli, srv = found
    una = (cli + 1) & 0xFFFFFFFF
    ipl = IPv6(src=a.src, dst=a.dst) if ":" in a.dst else IP(src=a.src, dst=a.dst)
    s = conf.L3socket6() if ":" in a.dst else conf.L3socket()
    offsets = [int(o) for o in a.offsets.split(",")]
    if len(offsets) > 1000:
        ap.error("at most 1000 segments")
    for off in offsets:
        ack = (srv + 1) if "A" in a.flags else 0
        s.send(ipl / TCP(sport=a.sport, dport=a.dport, flags=a.flags,
                         seq=(una + off) & 0xFFFFFFFF, ack=ack, window=64240))
    print(json.dumps({"una": una, "isn": srv, "sent": len(offsets)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
