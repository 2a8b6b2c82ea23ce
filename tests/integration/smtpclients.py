#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Mail clients of several kinds for the SMTP-holding test; each runs until it is released
or its time is up, then prints one JSON line: how long it was held and how it ended.

  smtplib   Python's smtplib: connect, EHLO, MAIL, a message (per-operation timeout)
  pregreet  a bot that talks before the greeting: EHLO right after connect, then reads
  scanner   SYN only (scapy): one SYN, the reply's flags, never completes the handshake
"""
import argparse
import json
import smtplib
import socket
import struct
import sys
import time


def run_smtplib(a):
    t0 = time.monotonic()
    out = {"client": "smtplib"}
    try:
        s = smtplib.SMTP(timeout=a.timeout, source_address=(a.src, 0))
        s.connect(a.dst, 25)
        out["greeting_s"] = round(time.monotonic() - t0, 2)
        s.ehlo("client.example.net")
        s.sendmail("a@example.net", ["postmaster@example.org"], "Subject: x\r\n\r\nx\r\n")
        out["result"] = "delivered"
    except Exception as e:  # released: timeout, reset, disconnect
        out["result"] = type(e).__name__
    out["held_s"] = round(time.monotonic() - t0, 1)
    return out


def run_pregreet(a):
    t0 = time.monotonic()
    out = {"client": "pregreet"}
    fam = socket.AF_INET6 if ":" in a.dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.bind((a.src, 0))
    s.settimeout(a.timeout)
    try:
        s.connect((a.dst, 25))
        s.send(b"EHLO bot.example.net\r\nMAIL FROM:<spam@example.net>\r\n")
        got = b""
        while time.monotonic() - t0 < a.limit:
            chunk = s.recv(512)
            if not chunk:
                out["result"] = "closed"
                break
            got += chunk
        else:
            out["result"] = "limit"
            # Leave with a reset, as a bot that gives up does: no FIN stuck behind our
            # unsent data.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        out["received"] = len(got)
        s.close()
    except Exception as e:
        out["result"] = type(e).__name__
    out["held_s"] = round(time.monotonic() - t0, 1)
    return out


def run_scanner(a):
    from scapy.all import IP, TCP, sr1, conf
    conf.verb = 0
    r = sr1(IP(src=a.src, dst=a.dst) / TCP(sport=40123, dport=25, flags="S", seq=1000),
            timeout=a.timeout)
    flags = str(r[TCP].flags) if r is not None and TCP in r else None
    return {"client": "scanner", "reply_flags": flags,
            "window": r[TCP].window if flags else None}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("kind", choices=["smtplib", "pregreet", "scanner"])
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--timeout", type=float, default=5.0, help="the client's own timeout")
    ap.add_argument("--limit", type=float, default=60.0, help="give up after this long")
    a = ap.parse_args()
    if not 0 < a.timeout <= 600 or not 0 < a.limit <= 3600:
        ap.error("timeouts out of range")
    fn = {"smtplib": run_smtplib, "pregreet": run_pregreet, "scanner": run_scanner}[a.kind]
    print(json.dumps(fn(a)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
