#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package: dpkg-buildpackage -b -us -uc builds it from a copy of the source
# tree, its contents are exactly the expected files (binaries, units, conffile, include,
# man pages, docs), its maintainer scripts enable the daemon and the timer, it installs,
# removes (keeping an edited conffile) and purges (leaving nothing) cleanly, and lintian
# reports no errors. Prints the contents and lintian's output.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
pkg_init
for t in dpkg-buildpackage dh lintian dpkg-deb; do
	command -v "$t" >/dev/null || pkg_skip "needs $t (packages dpkg-dev, debhelper, lintian)"
done
(cd "$NFTARPIT_SRC" && dpkg-checkbuilddeps) 2>"$PKG_TMP/deps" ||
	{ cat "$PKG_TMP/deps" >&2; pkg_skip "build dependencies missing"; }

deb_build
deb=$DEB

# Contents: exactly these files (directories aside).
dpkg-deb -c "$deb" >"$PKG_TMP/contents"
sed 's/^/    /' "$PKG_TMP/contents" >&2
got=$(awk '$1 !~ /^d/ { print $6 }' "$PKG_TMP/contents" | sed 's|^\./|/|' | sort)
expected=$(sort <<-'EOF'
/etc/nftarpit/nftarpit.conf
/lib/systemd/system/nftarpit-sync-follow.service
/lib/systemd/system/nftarpit-sync.service
/lib/systemd/system/nftarpit-sync.timer
/lib/systemd/system/nftarpitd.service
/usr/sbin/nftarpit-sync
/usr/sbin/nftarpitctl
/usr/sbin/nftarpitd
/usr/share/doc/nftarpit/DESIGN.md.gz
/usr/share/doc/nftarpit/README.md.gz
/usr/share/doc/nftarpit/changelog.gz
/usr/share/doc/nftarpit/copyright
/usr/share/doc/nftarpit/examples/nftarpit.conf
/usr/share/man/man5/nftarpit.conf.5.gz
/usr/share/man/man8/nftarpit-sync.8.gz
/usr/share/man/man8/nftarpitctl.8.gz
/usr/share/man/man8/nftarpitd.8.gz
/usr/share/lintian/overrides/nftarpit
/usr/share/nftarpit/nftarpit.nft
EOF
)
if [ "$got" != "$expected" ]; then
	diff <(echo "$expected") <(echo "$got") >&2 || true
	pkg_fail "package contents differ (< expected, > in the package)"
fi
# The conffile is the commented example, the units start /usr/sbin programs.
dpkg-deb -x "$deb" "$PKG_TMP/x"
cmp -s "$PKG_TMP/x/etc/nftarpit/nftarpit.conf" "$NFTARPIT_SRC/doc/nftarpit.conf" ||
	pkg_fail "conffile differs from doc/nftarpit.conf"
dpkg-deb -e "$deb" "$PKG_TMP/ctrl"
grep -qx /etc/nftarpit/nftarpit.conf "$PKG_TMP/ctrl/conffiles" || pkg_fail "nftarpit.conf is not a conffile"
grep -qx 'ExecStart=/usr/sbin/nftarpitd -f --cookie-key-file /var/lib/nftarpitd/cookie.key' "$PKG_TMP/x/lib/systemd/system/nftarpitd.service" ||
	pkg_fail "nftarpitd.service does not start /usr/sbin/nftarpitd"
grep -q "nftarpitd.service" "$PKG_TMP/ctrl/postinst" && grep -q "nftarpit-sync.timer" "$PKG_TMP/ctrl/postinst" ||
	pkg_fail "postinst does not enable nftarpitd.service and nftarpit-sync.timer"
grep -q "deb-systemd-helper purge .*'nftarpitd.service'" "$PKG_TMP/ctrl/postrm" || pkg_fail "postrm does not purge the unit state"
grep -q "rm -rf /var/lib/nftarpit" "$PKG_TMP/ctrl/postrm" || pkg_fail "postrm does not purge the state"
pkg_log "contents: $(echo "$got" | wc -l) files as expected; conffile, units and maintainer scripts checked"

# Install, remove, purge on this machine, unless nftarpit is installed or its table is
# loaded here (a developer's own setup stays untouched). systemd is not PID 1 here, so
# the maintainer scripts enable the units (symlinks) but start nothing.
if dpkg-query -W -f='${Status}' nftarpit 2>/dev/null | grep -q 'installed' ||
	nft list table inet nftarpit >/dev/null 2>&1; then
	pkg_log "nftarpit is installed or its table loaded on this machine: install cycle skipped"
else
	units=/etc/systemd/system
	DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >"$PKG_TMP/dpkg.log" 2>&1 ||
		{ cat "$PKG_TMP/dpkg.log" >&2; dpkg -P nftarpit >/dev/null 2>&1; pkg_fail "dpkg -i failed"; }
	[ -L "$units/multi-user.target.wants/nftarpitd.service" ] &&
		[ -L "$units/timers.target.wants/nftarpit-sync.timer" ] ||
		{ dpkg -P nftarpit >/dev/null 2>&1; pkg_fail "nftarpitd.service or the timer not enabled"; }
	[ ! -e "$units/multi-user.target.wants/nftarpit-sync-follow.service" ] ||
		{ dpkg -P nftarpit >/dev/null 2>&1; pkg_fail "the follow service got enabled"; }
	# A changed conffile survives remove; purge takes it, the state and the links.
	echo "# edited" >>/etc/nftarpit/nftarpit.conf
	dpkg -r nftarpit >>"$PKG_TMP/dpkg.log" 2>&1 || { dpkg -P nftarpit >/dev/null 2>&1; pkg_fail "dpkg -r failed"; }
	grep -q '^# edited$' /etc/nftarpit/nftarpit.conf ||
		{ dpkg -P nftarpit >/dev/null 2>&1; pkg_fail "remove lost the edited conffile"; }
	[ ! -e /usr/sbin/nftarpitd ] || pkg_fail "remove left /usr/sbin/nftarpitd"
	mkdir -p /var/lib/private/nftarpit
	ln -sfn private/nftarpit /var/lib/nftarpit
	touch /var/lib/private/nftarpit/sync.state
	dpkg -P nftarpit >>"$PKG_TMP/dpkg.log" 2>&1 || pkg_fail "dpkg -P failed"
	left=$(ls -d /etc/nftarpit /var/lib/nftarpit /var/lib/private/nftarpit \
		"$units"/*/nftarpit* /var/lib/systemd/deb-systemd-helper-enabled/*nftarpit* 2>/dev/null || true)
	[ -z "$left" ] || pkg_fail "purge left: $left"
	pkg_log "dpkg -i enabled nftarpitd.service and the timer; -r kept the edited conffile; -P left nothing"
fi

# lintian: no errors (warnings and infos are shown).
lintian --tag-display-limit 0 "$deb" >"$PKG_TMP/lintian" 2>&1 || true
sed 's/^/    lintian: /' "$PKG_TMP/lintian" >&2
if grep -q '^E: ' "$PKG_TMP/lintian"; then
	pkg_fail "lintian reports errors"
fi
pkg_log "lintian: $(grep -c '^E: ' "$PKG_TMP/lintian" || true) errors, $(grep -c '^W: ' "$PKG_TMP/lintian" || true) warnings"
pkg_log PASS
