#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Compare a man page's SYNOPSIS (scdoc source) with the usage lines of --help.

usage: synopsis.py PAGE.scd PROGRAM [HELP-ARGS...]

Both sides become a list of commands, each a list of words: the man page's SYNOPSIS
paragraphs without scdoc markup (*bold*, _underline_), and the help's "usage:" line with
its continuation lines (indented, starting with "[" or the program's name). Exit 0 when
they are equal, 1 with both printed when not.
"""
import re
import subprocess
import sys


def man_synopsis(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    start = lines.index("# SYNOPSIS") + 1
    out = []
    for line in lines[start:]:
        if line.startswith("# "):
            break
        line = line.strip()
        if not line:
            continue
        line = re.sub(r"[*_]", "", line.replace("\\", "").replace("++", ""))
        out.append(line.split())
    return out


def help_usage(prog, args):
    text = subprocess.run([prog] + args, capture_output=True, text=True, check=True).stdout
    name = prog.rsplit("/", 1)[-1]
    lines = text.split("\n")
    first = next(i for i, l in enumerate(lines) if l.startswith("usage: "))
    words = lines[first][len("usage: "):].split()
    for line in lines[first + 1:]:
        s = line.strip()
        if not line[:1].isspace() or not (s.startswith("[") or s.startswith(name + " ")):
            break
        words += s.split()
    cmds = []
    for w in words:
        if w == name:
            cmds.append([])
        cmds[-1].append(w)
    return cmds


def main():
    page, prog, args = sys.argv[1], sys.argv[2], sys.argv[3:] or ["--help"]
    man = man_synopsis(page)
    usage = help_usage(prog, args)
    if man == usage:
        print("%s: SYNOPSIS matches --help (%d command%s)" % (page.rsplit("/", 1)[-1], len(man), "" if len(man) == 1 else "s"))
        return 0
    print("%s: SYNOPSIS differs from %s --help" % (page, prog))
    print("man:  " + "\n      ".join(" ".join(c) for c in man))
    print("help: " + "\n      ".join(" ".join(c) for c in usage))
    return 1


if __name__ == "__main__":
    sys.exit(main())
