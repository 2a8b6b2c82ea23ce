#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# House-style checks that a reviewer would otherwise do by hand: every C file as
# clang-format formats it (.clang-format), none of the banned functions (STYLE.md), no
# trailing white space (.editorconfig). Prints what is off; exits 1 if anything is.
set -u
cd "$(dirname "$0")/.."
if git rev-parse --git-dir >/dev/null 2>&1; then
	files=$(git ls-files '*.c' '*.h')
else
	files=$(find daemon lib tools tests bench -name '*.[ch]')
fi
rc=0
for f in $files; do
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "lint: $f: not clang-formatted (clang-format -i $f)"
		rc=1
	fi
done
# Banned: sprintf, strcpy, strcat, gets, strtok, atoi (comments aside).
if grep -n -E '\<(sprintf|strcpy|strcat|gets|strtok|atoi)[[:space:]]*\(' $files |
	grep -v -E '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*)'; then
	echo "lint: banned functions above (see STYLE.md)"
	rc=1
fi
if grep -n -E '[[:space:]]+$' $files meson.build quickstart .ci/run; then
	echo "lint: trailing white space above"
	rc=1
fi
[ $rc -eq 0 ] && echo "lint: $(echo "$files" | wc -l) C files clean"
exit $rc
