#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd units as meson installs them: systemd-analyze verify passes on each with
# no message at all (their programs and man pages taken from a DESTDIR install), every
# directive has a comment line above it, none uses PrivateUsers= or PrivateNetwork=, and
# systemd-analyze security --offline=yes scores each service "OK" or better.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
pkg_init
command -v systemd-analyze >/dev/null || pkg_skip "needs systemd-analyze (package systemd)"

dest=$PKG_TMP/dest
destdir_install "$dest"
units=$(find "$dest" -path '*/systemd/system/*' -type f | sort)
[ "$(echo "$units" | wc -l)" -eq 4 ] || pkg_fail "expected 4 installed units, got: $units"

# verify checks that ExecStart= programs exist where the unit says and runs man for
# Documentation=: point both at the DESTDIR copies.
prefix=$(build_option prefix)
mkdir "$PKG_TMP/units"
for u in $units; do
	# ExecStartPre=+/usr/...: an exec prefix may stand between = and the path.
	sed -E "s,=([-+!@:]*)$prefix/,=\\1$dest$prefix/,g" "$u" >"$PKG_TMP/units/$(basename "$u")"
done
man=$(find "$dest" -type d -name man -path '*/share/man' | head -1)
rc=0
MANPATH=$man systemd-analyze verify "$PKG_TMP/units/"* >"$PKG_TMP/verify.log" 2>&1 || rc=$?
if [ $rc -ne 0 ] || [ -s "$PKG_TMP/verify.log" ]; then
	cat "$PKG_TMP/verify.log" >&2
	pkg_fail "systemd-analyze verify: exit $rc, or messages above"
fi
pkg_log "systemd-analyze verify: $(cd "$PKG_TMP/units" && echo *): clean"

for u in $units; do
	name=$(basename "$u")
	# House style: a comment line right above every directive.
	bad=$(awk '/^[A-Za-z]+=/ && prev !~ /^#/ { print FILENAME ":" NR ": " $0 } { prev = $0 }' "$u")
	[ -z "$bad" ] || pkg_fail "directives without a comment above them:"$'\n'"$bad"
	# Capabilities must act on the host's netfilter.
	if grep -Eq '^(PrivateUsers|PrivateNetwork)=' "$u"; then
		pkg_fail "$name uses PrivateUsers= or PrivateNetwork="
	fi
	case $name in *.service) ;; *) continue ;; esac
	systemd-analyze security --offline=yes --no-pager "$PKG_TMP/units/$name" \
		>"$PKG_TMP/security.log" 2>&1 || true
	line=$(grep 'Overall exposure level' "$PKG_TMP/security.log" || true)
	[ -n "$line" ] || { cat "$PKG_TMP/security.log" >&2; pkg_fail "$name: no score"; }
	score=$(sed -E 's/.*: ([0-9.]+) ([A-Z]+).*/\1/' <<<"$line")
	level=$(sed -E 's/.*: ([0-9.]+) ([A-Z]+).*/\2/' <<<"$line")
	case $level in
	PERFECT | SAFE | OK) ;;
	*) cat "$PKG_TMP/security.log" >&2; pkg_fail "$name scores $score $level, not OK or better" ;;
	esac
	pkg_log "systemd-analyze security: $name $score $level"
done
# The daemon's unit holds exactly the two capabilities and the four address families.
d=$PKG_TMP/units/nftarpitd.service
grep -qx 'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW' "$d" || pkg_fail "daemon bounding set"
grep -qx 'AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW' "$d" || pkg_fail "daemon ambient set"
grep -qx 'RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6 AF_PACKET' "$d" || pkg_fail "daemon families"
s=$PKG_TMP/units/nftarpit-sync.service
grep -qx 'CapabilityBoundingSet=CAP_NET_ADMIN' "$s" || pkg_fail "sync bounding set"
grep -qx 'RestrictAddressFamilies=AF_UNIX AF_NETLINK' "$s" || pkg_fail "sync families"
pkg_log PASS
