#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Write the seed corpora of tests/fuzz/corpus/<target>/ from the unit tests' golden vectors
# (tests/unit/data) and the example config, so that every seed is a real input of its
# parser. Run from the top of the tree; files are named by their content's hash.
import hashlib
import os
import struct
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(TOP, "tests", "fuzz", "corpus")


def seed(target, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def vectors():
    """(name, skbinfo, packet bytes) of tests/unit/data/tarpit_vectors.txt."""
    with open(os.path.join(TOP, "tests/unit/data/tarpit_vectors.txt")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, skb, hexpkt, _ = line.rstrip("\n").split("|", 3)
            yield name, int(skb), bytes.fromhex(hexpkt)


def nlattr(kind, payload):
    a = struct.pack("=HH", 4 + len(payload), kind) + payload
    return a + b"\0" * (-len(a) % 4)


def nfqueue_msg(pkt_id, pkt, skbinfo):
    """An NFQNL_MSG_PACKET as the kernel sends it: header, payload, skb info."""
    attrs = nlattr(1, struct.pack("!IHB", pkt_id, 0x0800 if pkt[0] >> 4 == 4 else 0x86DD, 1))
    attrs += nlattr(10, pkt)
    if skbinfo:
        attrs += nlattr(14, struct.pack("!I", skbinfo))
    body = struct.pack("=BB", 2, 0) + struct.pack("!H", 25) + attrs
    return struct.pack("=IHHII", 16 + len(body), (3 << 8) | 0, 0, 0, 0) + body


def main():
    vec = list(vectors())
    # fuzz_pkt: held-flow state (8 bytes), bytes cut by the copy range (1), the packet.
    for _, _, pkt in vec:
        seed("fuzz_pkt", struct.pack("=QB", 0, 0) + pkt)
    seed("fuzz_pkt", struct.pack("=IIB", 0x11223345, 0xC61D9AD6, 0) + vec[0][2])
    # fuzz_queue: one datagram per vector, and one batch of three.
    for i, (_, skb, pkt) in enumerate(vec):
        seed("fuzz_queue", struct.pack("=Q", 0) + nfqueue_msg(i + 1, pkt, skb))
    seed("fuzz_queue", struct.pack("=Q", 0) +
         b"".join(nfqueue_msg(i + 1, p, s) for i, (_, s, p) in enumerate(vec[:3])))
    # fuzz_ctl: every request the protocol knows, and near misses.
    for r in [b"ping\n", b"stats\n", b"status\n", b"status 5\r\n", b"status 1000\n",
              b"status 1001\n", b"status -1\n", b"status 0x10\n", b"stat\n"]:
        seed("fuzz_ctl", r)
    # fuzz_conf: the example config as [daemon] and as [sync]; single keys.
    with open(os.path.join(TOP, "doc/nftarpit.conf"), "rb") as f:
        conf = f.read()
    seed("fuzz_conf", b"\0" + conf)
    seed("fuzz_conf", b"\1" + conf)
    seed("fuzz_conf", b"\0[daemon]\nqueue = 25-26\nsmtp_ports = 25,587\nbatch = 0x40\n")
    seed("fuzz_conf", b"\1[sync]\nlist = drop:/tmp/x\nbantime = 2h\nlog = -\n")
    for kv in [b"queue\x0025", b"queue\x0026-27", b"smtp_ports\x0025,465,587",
               b"smtp_hostname\x00mx.example.org", b"mark\x000x6e746172"]:
        seed("fuzz_conf", b"\2" + kv)
    # fuzz_mlog: the golden log lines.
    with open(os.path.join(TOP, "tests/unit/data/sync/mlog_golden.txt"), "rb") as f:
        for line in f:
            if line.startswith(b"> "):
                seed("fuzz_mlog", line[2:].rstrip(b"\n"))
    # fuzz_mlog_fields: template number, then attacker fields (newline-separated) that
    # name victims in the shapes of the issue 13 vectors.
    fields = [b"a@example.com\nb@example.org\nrelay.example.com",
              b"Client host [192.0.2.77] blocked using zen\n\"Client host rejected\"@x\n[192.0.2.77]",
              b"relay.example.com[198.51.100.77]>: Client host rejected: x; proto=y@example.org",
              b"GET DNSBL rank 9 for [192.0.2.77] HTTP/1.1",
              b"DNSBL rank 9 for [2001:db8::25]:25\\r\\n",
              b"(1-1) Blocked SPAM {X}, [192.0.2.77]:25\n<a>\n<b>\nPREGREET 1 after 0 from [192.0.2.77]:25: x",
              b"x, ip: 192.0.2.77, from: <a>, (default: T (reject): [30/15] []), len: 1\na\n: T (reject)\nb"]
    for t in range(20):
        for f in fields:
            seed("fuzz_mlog_fields", bytes([t]) + f)
    # fuzz_pattern: the Exim and trap goldens and hostile lines, and the own patterns' lines.
    for name in ["exim_golden.txt", "exim_adversarial.txt"]:
        with open(os.path.join(TOP, "tests/unit/data/sync", name), "rb") as f:
            for line in f:
                if line.startswith(b"> "):
                    seed("fuzz_pattern", line[2:].rstrip(b"\n"))
    seed("fuzz_pattern", b"Dec  2 05:00:00 mx smtpd[1]: 0123456789abcdef smtp failed-command "
         b"address=203.0.113.5 host=x command=\"AUTH LOGIN\"")
    seed("fuzz_pattern", b"2026-12-02T05:00:00+00:00 mx my-milter[9]: reject client=IPv6:2001:db8::7")
    # fuzz_blist (format byte, line) and fuzz_cidr_parse (the ranges) from the list goldens.
    fmts = {b"auto": 0, b"plain": 1, b"drop": 2, b"json": 3, b"rbldnsd": 4}
    with open(os.path.join(TOP, "tests/unit/data/sync/blist_golden.txt"), "rb") as f:
        for line in f:
            if line.startswith(b"#") or b"| " not in line:
                continue
            fmt, text = line.rstrip(b"\n").split(b"| ", 1)
            if fmt in fmts:
                seed("fuzz_blist", bytes([fmts[fmt]]) + text)
    for r in [b"192.0.2.7", b"192.0.2.0/24", b"192.0.2.7-192.0.2.9", b"2001:db8::/32",
              b"::ffff:192.0.2.0/120", b"0.0.0.0/0", b"::/0", b"255.255.255.255",
              b"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
              b"10.0.0.1/8", b"2001:db8::1-2001:db8::ffff"]:
        seed("fuzz_cidr_parse", r)
    # fuzz_cidr: family/base byte, split byte, then (first, length, tag) triples.
    for head in [b"\0\2", b"\1\3", b"\6\1", b"\7\4"]:
        seed("fuzz_cidr", head + bytes([0, 10, 1, 5, 10, 2, 11, 3, 1, 20, 5, 0, 60, 30, 3]))
    # fuzz_state: a state file as nftarpit-sync writes it.
    seed("fuzz_state", b"""# nftarpit-sync state 1
cursor s=0123456789abcdef;i=1;b=0123;m=1;t=5f;x=42
file dev=2049 ino=131 off=4096 head=12345678901 path=/var/log/mail.log
ban 198.51.100.10 first=1700000000 last=1700000100 expires=1700086400 hits=3 bans=1 src=rbl,access
ban 2001:db8:bad::10 first=1700000000 last=1700000000 expires=1700086400 hits=1 bans=1 src=-
admin block 203.0.113.0/24 added=1700000000 expires=0 reason=manual
admin allow 192.0.2.7 added=1700000000 expires=1700003600 reason=customer
end 2
""")
    seed("fuzz_state", b"# nftarpit-sync state 1\nend 0\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
