#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Each program's man page: built by meson, readable by man without warnings, and its
# SYNOPSIS says exactly what the program's --help usage lines say.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
pkg_init

B=$NFTARPIT_BUILD
S=$NFTARPIT_SRC/doc
check() {
	/usr/bin/python3 "$(dirname "$0")/synopsis.py" "$@" >&2 ||
		pkg_fail "SYNOPSIS of $1 is out of date: copy the --help usage lines into it"
}
check "$S/nftarpitd.8.scd" "$B/daemon/nftarpitd"
check "$S/nftarpitctl.8.scd" "$B/tools/nftarpitctl"
check "$S/nftarpit-sync.8.scd" "$B/tools/nftarpit-sync"
for page in nftarpitd.8 nftarpitctl.8 nftarpit-sync.8 nftarpit.conf.5; do
	[ -s "$B/doc/$page" ] || pkg_fail "man page $page not built (scdoc missing?)"
	if command -v man >/dev/null; then
		# groff reports bad requests and unknown escapes on stderr.
		MANWIDTH=80 man --warnings -l "$B/doc/$page" >"$PKG_TMP/page" 2>"$PKG_TMP/warn" ||
			pkg_fail "man -l $page failed"
		[ ! -s "$PKG_TMP/warn" ] || { cat "$PKG_TMP/warn" >&2; pkg_fail "$page: groff warnings"; }
		grep -q '^SYNOPSIS' "$PKG_TMP/page" || pkg_fail "$page has no SYNOPSIS"
	fi
done
pkg_log PASS
