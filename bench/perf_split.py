#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Where a responder's CPU goes, from `perf script` of a `perf record -g` (pps.sh PROFILE=DIR).

Each sample is put in one class by the functions on its stack (kernel 6.x names):
softirq work run in the responder's context (the generator's receive of a reply on veth,
run at local_bh_enable; with GEN_RX=napi it should be gone), the reply sends (sendmmsg,
or sendto on a raw socket for the naive responder), the queue's receive, the verdicts,
and the rest (userland). Prints the share of samples per class.
   usage: perf script -i FILE.data | bench/perf_split.py   (or FILE.txt arguments)
"""
import collections
import sys


def samples(lines):
    cur = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if cur:
                yield cur
            cur = []
        elif line[0] in " \t":
            parts = line.split()
            cur.append(parts[1].split("+")[0] if len(parts) > 1 else "?")
        else:
            cur = []
    if cur:
        yield cur


def classify(stack):
    s = set(stack)
    if "handle_softirqs" in s:
        if "net_rx_action" in s or "nft_do_chain_netdev" in s or "veth_poll" in s:
            return "softirq: the peer's receive of replies (backlog, its ingress drop)"
        return "softirq: other (timers, rcu)"
    if "nfqnl_recv_verdict_batch" in s or "nfqnl_recv_verdict" in s or "netlink_sendmsg" in s:
        return "verdict (netlink send)"
    if "__sys_sendmmsg" in s:
        return "reply send: sendmmsg (without softirq)"
    if "__sys_sendto" in s and (
        "raw_sendmsg" in s or "rawv6_sendmsg" in s or "inet_sendmsg" in s or "inet6_sendmsg" in s
    ):
        return "reply send: sendto raw socket (without softirq)"
    if "__sys_sendto" in s:
        return "sendto, reply or verdict (the call's entry)"
    if "do_recvmmsg" in s or "__sys_recvfrom" in s or "__sys_recvmsg" in s:
        return "queue receive"
    if "do_syscall_64" in s:
        return "other system calls"
    return "userland and the rest"


def report(name, lines):
    c = collections.Counter(classify(st) for st in samples(lines))
    n = sum(c.values())
    print(f"{name}: {n} samples")
    for k, v in sorted(c.items(), key=lambda x: -x[1]):
        print(f"  {v / n * 100:5.1f}%  {k}")


if len(sys.argv) > 1:
    for f in sys.argv[1:]:
        with open(f) as fh:
            report(f, fh)
else:
    report("stdin", sys.stdin)
