#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Print a synthetic Postfix/postscreen/amavisd mail log of about MB megabytes, in the real
# syslog formats: mostly ordinary traffic, about 5% rejects that name a spam source. The
# same file feeds nftarpit-sync, the old grep|gawk|cut pipeline and fail2ban-regex.
# usage: gen_maillog.py MB [SEED]
import random
import sys


def ip(rnd):
    return "%d.%d.%d.%d" % (rnd.randrange(1, 223), rnd.randrange(256), rnd.randrange(256),
                            rnd.randrange(1, 255))


def main():
    mb = float(sys.argv[1])
    rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    target = int(mb * 1024 * 1024)
    size = 0
    out = sys.stdout
    qid = 0x4A000
    while size < target:
        t = "Nov 26 %02d:%02d:%02d mx1" % (rnd.randrange(24), rnd.randrange(60), rnd.randrange(60))
        a = ip(rnd)
        pid = rnd.randrange(1000, 30000)
        qid += 1
        r = rnd.random()
        if r < 0.03:
            line = ("%s postfix/smtpd[%d]: NOQUEUE: reject: RCPT from unknown[%s]:%d: 554 5.7.1 "
                    "Service unavailable; Client host [%s] blocked using zen.spamhaus.org; "
                    "from=<spam@example.net> to=<user@example.org> proto=ESMTP helo=<spam.example.net>"
                    % (t, pid, a, rnd.randrange(1024, 65535), a))
        elif r < 0.04:
            line = ("%s postfix/postscreen[%d]: PREGREET 14 after 0.08 from [%s]:%d: EHLO spam\\r\\n"
                    % (t, pid, a, rnd.randrange(1024, 65535)))
        elif r < 0.05:
            line = ("%s amavis[%d]: (%d-09) Blocked SPAM {DiscardedInbound,Quarantined}, [%s]:%d "
                    "[%s] <spam@example.net> -> <user@example.org>, Queue-ID: %X, Hits: 9.6"
                    % (t, pid, pid, a, rnd.randrange(1024, 65535), ip(rnd), qid))
        elif r < 0.35:
            line = "%s postfix/smtpd[%d]: connect from mail.example.net[%s]" % (t, pid, a)
        elif r < 0.65:
            line = ("%s postfix/smtpd[%d]: %X: client=mail.example.net[%s]" % (t, pid, qid, a))
        elif r < 0.85:
            line = ("%s postfix/qmgr[%d]: %X: from=<news@example.net>, size=%d, nrcpt=1 (queue active)"
                    % (t, pid, qid, rnd.randrange(1000, 90000)))
        else:
            line = ("%s postfix/smtp[%d]: %X: to=<user@example.org>, relay=127.0.0.1[127.0.0.1]:10024, "
                    "delay=0.4, delays=0.1/0/0/0.3, dsn=2.0.0, status=sent (250 2.0.0 Ok)"
                    % (t, pid, qid))
        out.write(line + "\n")
        size += len(line) + 1


main()
