#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# meson install into a DESTDIR lays out exactly the expected files under the build's
# prefix: binaries in sbin, the nftables include in share/nftarpit, the units, the
# config example and the man pages, and nothing outside DESTDIR.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
pkg_init

prefix=$(build_option prefix)
abs() {
	case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac
}
sbin=$(abs "$(build_option sbindir)")
share=$(abs "$(build_option datadir)")
man=$(abs "$(build_option mandir)")
# meson.build's default: the distribution's directory for prefix /usr, else under prefix.
unitdir=$(build_option systemdsystemunitdir)
if [ -z "$unitdir" ]; then
	unitdir=$prefix/lib/systemd/system
	if [ "$prefix" = /usr ]; then
		unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
	fi
fi

dest=$PKG_TMP/dest
destdir_install "$dest"

expected=$(sort <<-EOF
$sbin/nftarpitd
$sbin/nftarpitctl
$sbin/nftarpit-sync
$share/nftarpit/nftarpit.nft
$share/doc/nftarpit/examples/nftarpit.conf
$unitdir/nftarpitd.service
$unitdir/nftarpit-sync.service
$unitdir/nftarpit-sync-follow.service
$unitdir/nftarpit-sync.timer
$man/man8/nftarpitd.8
$man/man8/nftarpitctl.8
$man/man8/nftarpit-sync.8
$man/man5/nftarpit.conf.5
EOF
)
got=$(cd "$dest" && find . -type f -o -type l | sed 's|^\.||' | sort)
if [ "$got" != "$expected" ]; then
	diff <(echo "$expected") <(echo "$got") >&2 || true
	pkg_fail "installed files differ from the expected layout (< expected, > installed)"
fi
for p in nftarpitd nftarpitctl nftarpit-sync; do
	[ -x "$dest$sbin/$p" ] || pkg_fail "$sbin/$p is not executable"
done
# The units start the installed programs, not the build's.
grep -qx "ExecStart=$sbin/nftarpitd -f --cookie-key-file /var/lib/nftarpitd/cookie.key" "$dest$unitdir/nftarpitd.service" ||
	pkg_fail "nftarpitd.service does not start $sbin/nftarpitd"
grep -qx "ExecStartPre=+$sbin/nftarpitctl setup" "$dest$unitdir/nftarpitd.service" ||
	pkg_fail "nftarpitd.service does not run $sbin/nftarpitctl setup"
grep -q "^ExecStart=$sbin/nftarpit-sync -c " "$dest$unitdir/nftarpit-sync.service" ||
	pkg_fail "nftarpit-sync.service does not start $sbin/nftarpit-sync"
# The installed include is the ruleset the installed nftarpitctl prints by default.
"$dest$sbin/nftarpitctl" print-ruleset -c /dev/null | cmp -s - "$dest$share/nftarpit/nftarpit.nft" ||
	pkg_fail "nftarpit.nft differs from nftarpitctl print-ruleset"
pkg_log "$(echo "$got" | wc -l) files under DESTDIR, prefix $prefix, as expected:"
echo "$got" | sed 's/^/    /' >&2
pkg_log PASS
