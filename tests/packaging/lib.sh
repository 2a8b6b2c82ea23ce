# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the packaging scenarios: where the build and the sources are, how to fail,
# and a DESTDIR install of the build. Source it from bash.

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
NFTARPIT_SRC=${NFTARPIT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
NFTARPIT_BUILD=${NFTARPIT_BUILD:-$NFTARPIT_SRC/build}
PKG_NAME=$(basename "$0" .sh)
PKG_TMP=

pkg_log() {
	printf '%s: %s\n' "$PKG_NAME" "$*" >&2
}

pkg_fail() {
	pkg_log "FAIL: $*"
	exit 1
}

# A missing tool is a skip for a developer, a failure in CI (quickstart installs it).
pkg_skip() {
	if [ "${CI:-}" = true ]; then
		pkg_log "cannot run ($*) and CI=true: failing instead of skipping"
		exit 1
	fi
	pkg_log "SKIP: $*"
	exit 77
}

pkg_cleanup() {
	if [ -n "$PKG_TMP" ]; then
		rm -rf "$PKG_TMP"
	fi
}

pkg_init() {
	PKG_TMP=$(mktemp -d /tmp/nftarpit-pkg.XXXXXX)
	trap pkg_cleanup EXIT
}

# build_option NAME: a meson option of the build (prefix, sbindir, ...).
build_option() {
	meson introspect --buildoptions "$NFTARPIT_BUILD" |
		/usr/bin/python3 -c 'import json, sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]))' "$1"
}

# destdir_install DIR: meson install of the build into DIR, without rebuilding.
destdir_install() {
	meson install -C "$NFTARPIT_BUILD" --no-rebuild --quiet --destdir "$1" >"$PKG_TMP/install.log" 2>&1 ||
		{ cat "$PKG_TMP/install.log" >&2; pkg_fail "meson install --destdir $1 failed"; }
}
