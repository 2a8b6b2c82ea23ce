#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden vectors for nftarpitd's packet path, built with scapy and a pure-Python SipHash:
an implementation independent of the daemon's C code. Run with Debian's /usr/bin/python3
(python3-scapy) and redirect to tarpit_vectors.txt; the file is checked in, so the unit
tests need neither scapy nor Python.

Each line: name|skbinfo|input hex|expectation[|open hex|after], where expectation is one of
  status:<parse status>   the parser rejects the packet (nothing sent)
  bad_csum                the checksum is wrong and the kernel asked us to verify it
  silent:<reason>         parsed, no reply, for that reason
  reply:<hex>             exactly these bytes are sent back
The held-flow lines (RFC 5961's rules) first open a record with the handshake's ACK (open
hex), then send the input; after says whether the record is still "held" or "ended".
"""
import struct

from scapy.all import IP, IPv6, TCP, UDP, IPv6ExtHdrHopByHop, IPv6ExtHdrFragment, raw

KEY = bytes(range(16))  # the unit test uses the same key
MSS_CFG = 1460
CSUMNOTREADY, CSUM_NOTVERIFIED = 1, 4
M64 = (1 << 64) - 1


def rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & M64


def siphash24(key, data):
    k0, k1 = struct.unpack("<QQ", key)
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573

    def rnd():
        nonlocal v0, v1, v2, v3
        v0 = (v0 + v1) & M64; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
        v2 = (v2 + v3) & M64; v3 = rotl(v3, 16); v3 ^= v2
        v0 = (v0 + v3) & M64; v3 = rotl(v3, 21); v3 ^= v0
        v2 = (v2 + v1) & M64; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)

    b = (len(data) & 0xFF) << 56
    tail = len(data) - len(data) % 8
    for i in range(0, tail, 8):
        m = struct.unpack("<Q", data[i:i + 8])[0]
        v3 ^= m; rnd(); rnd(); v0 ^= m
    for i, c in enumerate(data[tail:]):
        b |= c << (8 * i)
    v3 ^= b; rnd(); rnd(); v0 ^= b
    v2 ^= 0xFF
    for _ in range(4):
        rnd()
    return v0 ^ v1 ^ v2 ^ v3


def addr_bytes(fam, a):
    import socket
    return socket.inet_pton(socket.AF_INET if fam == 4 else socket.AF_INET6, a)


def cookie_hash(fam, src, dst, sport, dport):
    import socket
    famval = socket.AF_INET if fam == 4 else socket.AF_INET6
    data = bytes([famval]) + addr_bytes(fam, src) + addr_bytes(fam, dst) + struct.pack(">HH", sport, dport)
    return siphash24(KEY, data) & 0xFFFFFFFF


def isn(fam, src, dst, sport, dport, peer_seq):
    h = cookie_hash(fam, src, dst, sport, dport)
    return (h & 0xFFFFFF00) | ((h ^ peer_seq) & 0xFF)


V4 = ("198.51.100.10", "192.0.2.1")
V6 = ("2001:db8:bad::10", "2001:db8::1")


def ipl(fam, src, dst, **kw):
    if fam == 4:
        return IP(src=src, dst=dst, ttl=61, id=4242, **kw)
    return IPv6(src=src, dst=dst, hlim=61, **kw)


def reply(fam, p_src, p_dst, sport, dport, seq, ack, flags, window, mss=None, tos=0):
    opts = [("MSS", mss)] if mss else []
    tcp = TCP(sport=dport, dport=sport, seq=seq, ack=ack, flags=flags, window=window, options=opts)
    if fam == 4:
        ip = IP(src=p_dst, dst=p_src, ttl=64, id=0, flags="DF", tos=tos & 0xFC)
    else:
        ip = IPv6(src=p_dst, dst=p_src, hlim=64, tc=tos & 0xFC, fl=0)
    return raw(ip / tcp).hex()


cases = []


def add(name, pkt, expect, skbinfo=0, opener=None, after=None):
    data = pkt if isinstance(pkt, bytes) else raw(pkt)
    line = f"{name}|{skbinfo}|{data.hex()}|{expect}"
    if opener is not None:
        line += f"|{raw(opener).hex()}|{after}"
    cases.append(line)


for fam, (src, dst) in ((4, V4), (6, V6)):
    f = f"v{fam}"
    sp, dp, pseq = 51514, 25, 0x11223344
    our = isn(fam, src, dst, sp, dp, pseq)
    una = pseq + 1

    def seg(flags, seq=pseq, ack=0, load=b"", opts=None, **kw):
        t = TCP(sport=sp, dport=dp, seq=seq, ack=ack, flags=flags, window=64240, options=opts or [])
        p = ipl(fam, src, dst, **kw) / t
        return p / load if load else p

    linux_opts = [("MSS", 1400), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)]
    add(f"{f}_syn_no_options", seg("S"),
        "reply:" + reply(fam, src, dst, sp, dp, our, pseq + 1, "SA", 0))
    add(f"{f}_syn_linux_options", seg("S", opts=linux_opts),
        "reply:" + reply(fam, src, dst, sp, dp, our, pseq + 1, "SA", 0, mss=1400))
    add(f"{f}_syn_jumbo_mss", seg("S", opts=[("MSS", 9000)]),
        "reply:" + reply(fam, src, dst, sp, dp, our, pseq + 1, "SA", 0, mss=MSS_CFG))
    tos = {"tos": 0x2B} if fam == 4 else {"tc": 0x2B}
    add(f"{f}_syn_dscp_ecn", seg("S", **tos),
        "reply:" + reply(fam, src, dst, sp, dp, our, pseq + 1, "SA", 0, tos=0x2B))
    add(f"{f}_syn_verified_csum", seg("S"),
        "reply:" + reply(fam, src, dst, sp, dp, our, pseq + 1, "SA", 0), skbinfo=CSUM_NOTVERIFIED)
    bad = bytearray(raw(seg("S")))
    l4 = 20 if fam == 4 else 40
    bad[l4 + 16] ^= 0x55
    add(f"{f}_syn_bad_csum_notverified", bytes(bad), "bad_csum", skbinfo=CSUM_NOTVERIFIED)
    add(f"{f}_syn_bad_csum_partial", bytes(bad),
        "reply:" + reply(fam, src, dst, sp, dp, our, pseq + 1, "SA", 0), skbinfo=CSUMNOTREADY)
    add(f"{f}_synack_spoofed", seg("SA", ack=0xDEADBEEF),
        "reply:" + reply(fam, src, dst, sp, dp, 0xDEADBEEF, 0, "R", 0))
    add(f"{f}_rst", seg("R"), "silent:rst")
    add(f"{f}_rst_ack", seg("RA", ack=our + 1), "silent:rst")
    add(f"{f}_syn_rst", seg("SR"), "silent:rst")
    add(f"{f}_fin_ack", seg("FA", seq=una, ack=our + 1), "silent:fin")
    add(f"{f}_syn_fin", seg("SF"), "silent:fin")
    add(f"{f}_null", seg(""), "silent:noflags")
    add(f"{f}_psh_urg", seg("PU"), "silent:noflags")
    add(f"{f}_ack_handshake", seg("A", seq=una, ack=our + 1), "silent:pure_ack")
    add(f"{f}_ack_linux_probe", seg("A", seq=una - 1, ack=our + 1),
        "reply:" + reply(fam, src, dst, sp, dp, our + 1, una, "A", 0))
    add(f"{f}_ack_bsd_probe", seg("A", seq=una, ack=our + 1, load=b"E"),
        "reply:" + reply(fam, src, dst, sp, dp, our + 1, una, "A", 0))
    add(f"{f}_ack_data", seg("PA", seq=una, ack=our + 1, load=b"EHLO spam.example\r\n"),
        "reply:" + reply(fam, src, dst, sp, dp, our + 1, una, "A", 0))
    add(f"{f}_ack_keepalive_garbage", seg("A", seq=una - 1, ack=our + 1, load=b"\0"),
        "reply:" + reply(fam, src, dst, sp, dp, our + 1, una, "A", 0))
    add(f"{f}_ack_out_of_window", seg("A", seq=una + 5000, ack=our + 1), "silent:out_of_window")
    add(f"{f}_ack_bad_cookie", seg("A", seq=una - 1, ack=(our ^ 0x01000000) + 1), "silent:cookie_bad")
    other = ipl(fam, src, dst) / TCP(sport=sp, dport=587, seq=una - 1, ack=our + 1, flags="A")
    add(f"{f}_ack_to_other_port", other, "silent:cookie_bad")
    full = raw(seg("S", opts=linux_opts))
    add(f"{f}_truncated_l3", full[: (10 if fam == 4 else 30)], "status:truncated")
    add(f"{f}_truncated_tcp", full[: l4 + 10], "status:truncated")
    add(f"{f}_truncated_options", full[: l4 + 22], "status:truncated")
    doff = bytearray(raw(seg("S")))
    doff[l4 + 12] = 0x40  # data offset 4 words
    add(f"{f}_doff_too_small", bytes(doff), "status:malformed")
    doff[l4 + 12] = 0xF0  # 60 bytes in a 20-byte segment
    add(f"{f}_doff_too_large", bytes(doff), "status:malformed")
    udp = ipl(fam, src, dst) / UDP(sport=53, dport=25)
    add(f"{f}_udp", udp, "status:not_tcp")
    bcast_src = "255.255.255.255" if fam == 4 else "ff02::1"
    add(f"{f}_multicast_source", ipl(fam, bcast_src, dst) / TCP(sport=sp, dport=dp, flags="S"), "silent:badaddr")
    lo_src = "127.0.0.1" if fam == 4 else "::1"
    add(f"{f}_loopback_source", ipl(fam, lo_src, dst) / TCP(sport=sp, dport=dp, flags="S"), "silent:badaddr")

# Held flows: a record opened by the handshake's ACK, then one segment on its tuple. Only
# the exact sequence number (rcv_nxt = una; our window is 0) ends the flow; every other
# RST or FIN, and a SYN, is answered with a challenge ACK (RFC 5961) and ends nothing.
for fam, (src, dst) in ((4, V4), (6, V6)):
    f = f"v{fam}_held"
    sp, dp, pseq = 51514, 25, 0x11223344
    our = isn(fam, src, dst, sp, dp, pseq)
    una = pseq + 1

    def seg(flags, seq=una, ack=our + 1, load=b"", to=dst):
        t = TCP(sport=sp, dport=dp, seq=seq, ack=ack, flags=flags, window=64240)
        p = ipl(fam, src, to) / t
        return p / load if load else p

    opener = seg("A")
    challenge = "reply:" + reply(fam, src, dst, sp, dp, our + 1, una, "A", 0)

    def held(name, pkt, expect, after):
        add(f"{f}_{name}", pkt, expect, opener=opener, after=after)

    held("rst_in_seq", seg("R", ack=0), "silent:rst", "ended")
    held("rst_ack_in_seq", seg("RA"), "silent:rst", "ended")
    held("fin_ack_in_seq", seg("FA"), "silent:fin", "ended")
    held("rst_off_path", seg("R", seq=una + 1000, ack=0), challenge, "held")
    held("rst_probe_seq", seg("R", seq=una - 1, ack=0), challenge, "held")
    held("rst_ack_off_path", seg("RA", seq=una + 0x10000), challenge, "held")
    held("fin_ack_off_path", seg("FA", seq=una + 1), challenge, "held")
    held("fin_ack_old_seq", seg("FA", seq=pseq - 5000), challenge, "held")
    held("syn_new_isn", seg("S", seq=0x55667788, ack=0), challenge, "held")
    held("syn_same_isn", seg("S", seq=pseq, ack=0), challenge, "held")
    held("synack", seg("SA", seq=pseq), "silent:syn_acked", "held")
    held("probe", seg("A", seq=una - 1), challenge, "held")
    held("ack_out_of_window", seg("A", seq=una + 5000), "silent:out_of_window", "held")
    held("null", seg("", ack=0), "silent:noflags", "held")
    # The local address is part of the flow key: the same peer tuple to another of our
    # addresses is another flow (here none, so the stateless path), and ends nothing.
    dst2 = "192.0.2.2" if fam == 4 else "2001:db8::2"
    our2 = isn(fam, src, dst2, sp, dp, pseq)
    held("rst_to_other_local", seg("R", ack=0, to=dst2), "silent:rst", "held")
    held("syn_to_other_local", seg("S", seq=pseq, ack=0, to=dst2),
         "reply:" + reply(fam, src, dst2, sp, dp, our2, pseq + 1, "SA", 0), "held")

# IPv4 only: options, fragments, bad lengths, wrong version.
src, dst = V4
sp, dp, pseq = 51514, 25, 0x11223344
our = isn(4, src, dst, sp, dp, pseq)
add("v4_ip_options_syn", IP(src=src, dst=dst, ttl=61, id=4242, options=b"\x01\x01\x01\x00") / TCP(sport=sp, dport=dp, seq=pseq, flags="S", window=64240),
    "reply:" + reply(4, src, dst, sp, dp, our, pseq + 1, "SA", 0))
add("v4_first_fragment", IP(src=src, dst=dst, flags="MF", id=7) / TCP(sport=sp, dport=dp, seq=pseq, flags="S"), "status:fragment")
add("v4_later_fragment", IP(src=src, dst=dst, frag=3, id=7, proto=6) / (b"x" * 16), "status:fragment")
ihl = bytearray(raw(IP(src=src, dst=dst) / TCP(sport=sp, dport=dp, flags="S")))
ihl[0] = 0x44
add("v4_ihl_too_small", bytes(ihl), "status:malformed")
tl = bytearray(raw(IP(src=src, dst=dst) / TCP(sport=sp, dport=dp, flags="S")))
tl[2:4] = (10).to_bytes(2, "big")
add("v4_total_length_short", bytes(tl), "status:malformed")
ver = bytearray(raw(IP(src=src, dst=dst) / TCP(sport=sp, dport=dp, flags="S")))
ver[0] = 0x55
add("v5_version", bytes(ver), "status:malformed")

# IPv6 only: extension headers.
src, dst = V6
our = isn(6, src, dst, sp, dp, pseq)
add("v6_hopbyhop_syn", IPv6(src=src, dst=dst, hlim=61) / IPv6ExtHdrHopByHop() / TCP(sport=sp, dport=dp, seq=pseq, flags="S", window=64240),
    "reply:" + reply(6, src, dst, sp, dp, our, pseq + 1, "SA", 0))
add("v6_fragment_header", IPv6(src=src, dst=dst) / IPv6ExtHdrFragment(m=1, id=9) / TCP(sport=sp, dport=dp, seq=pseq, flags="S"), "status:fragment")
chain = IPv6(src=src, dst=dst)
for _ in range(9):
    chain = chain / IPv6ExtHdrHopByHop()
add("v6_too_many_exthdrs", chain / TCP(sport=sp, dport=dp, flags="S"), "status:malformed")

print("# Generated by gen_tarpit_vectors.py (scapy + pure-Python SipHash); key = 00 01 .. 0f.")
print("# name|skbinfo|input hex|expectation")
for c in cases:
    print(c)
