#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Stand in for systemd's notify socket: receive sd_notify datagrams at PATH and write
each one to LOG as a single line (fields joined by spaces), until killed."""
import os
import socket
import sys

path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
# The daemon sends as an unprivileged user.
os.chmod(path, 0o666)
with open(log, "a", buffering=1) as f:
    while True:
        msg = s.recv(4096).decode(errors="replace")
        f.write(" ".join(msg.split("\n")) + "\n")
