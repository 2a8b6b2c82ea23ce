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

# deb_build: dpkg-buildpackage -b -us -uc of a copy of the tracked and new files only (no
# build directories, nothing written into the source tree; the .deb lands next to the
# copy, in $PKG_TMP). Sets DEB to the package's path.
deb_build() {
	local src=$PKG_TMP/nftarpit-0.1.0 start
	mkdir "$src"
	if git -C "$NFTARPIT_SRC" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$NFTARPIT_SRC" ls-files -z --cached --others --exclude-standard |
			(cd "$NFTARPIT_SRC" && xargs -0 cp --parents -t "$src" 2>/dev/null || true)
	else
		tar -C "$NFTARPIT_SRC" --exclude=./build --exclude='./obj-*' -cf - . | tar -C "$src" -xf -
	fi
	[ -f "$src/debian/rules" ] || pkg_fail "no debian/rules in the copy"
	start=$(date +%s)
	(cd "$src" && dpkg-buildpackage -b -us -uc) >"$PKG_TMP/build.log" 2>&1 ||
		{ tail -n 60 "$PKG_TMP/build.log" >&2; pkg_fail "dpkg-buildpackage failed"; }
	DEB=$(ls "$PKG_TMP"/nftarpit_*.deb)
	pkg_log "built $(basename "$DEB") in $(($(date +%s) - start)) s"
}

# debian_root ROOT [MMDEBSTRAP-OPTION...]: a minimal Debian 12 root made by mmdebstrap
# --variant=minbase from Debian's archive as this machine's apt reaches it (the mirror its
# sources name, for every suite of origin Debian: bookworm, -updates, -security). Only
# addresses are taken from here, no package lists and no packages; mmdebstrap empties
# the root's package lists at the end, as on a new machine.
debian_root() {
	local root=$1 start
	shift
	apt-cache policy | awk '
		/^ *[0-9]+ [a-z]+:\/\/[^ ]+ [^ ]+\/[^ ]+ / { uri = $2; split($3, sc, "/"); next }
		/^ *release / && uri != "" { if ($0 ~ /o=Debian,/) print "deb " uri " " sc[1] " " sc[2]; uri = "" }' |
		sort -u >"$PKG_TMP/sources.list"
	grep -q ' bookworm main' "$PKG_TMP/sources.list" ||
		pkg_fail "no Debian bookworm source in this machine's apt configuration (apt-cache policy)"
	sed 's/^/    /' "$PKG_TMP/sources.list" >&2
	start=$(date +%s)
	# No fsync per file: the root is thrown away after the test.
	mmdebstrap --variant=minbase --dpkgopt=force-unsafe-io "$@" bookworm "$root" "$PKG_TMP/sources.list" \
		>"$PKG_TMP/mmdebstrap.log" 2>&1 ||
		{ tail -n 30 "$PKG_TMP/mmdebstrap.log" >&2; pkg_fail "mmdebstrap failed"; }
	pkg_log "minimal Debian 12 root: $(du -sh "$root" | cut -f1) in $(($(date +%s) - start)) s"
}

# Mounts for a root, made inside a mount namespace of the caller's own (unshare --mount),
# so the host's mount table never sees them; root_umount undoes them in reverse order
# (the namespace would drop them anyway when its last process ends).
ROOT_MOUNTS=()
root_mount() {
	mount "$@"
	ROOT_MOUNTS+=("${!#}")
}

root_umount() {
	local i
	for ((i = ${#ROOT_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${ROOT_MOUNTS[i]}" || true
	done
	ROOT_MOUNTS=()
}

# root_mounts ROOT: the root a mount point of its own (`ip netns exec` makes / a slave
# mount), a /proc of the caller's PID namespace, a devpts instance of its own, tmpfs on
# /dev/shm and on /run (empty as after a boot; Debian's /var/run is a link to it). The
# device nodes are the few mmdebstrap made in the root. /sys is the caller's choice.
root_mounts() {
	local root=$1
	mount --make-rprivate /
	root_mount --bind "$root" "$root"
	root_mount -t proc proc "$root/proc"
	root_mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$root/dev/pts"
	root_mount --bind "$root/dev/pts/ptmx" "$root/dev/ptmx"
	root_mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"
	root_mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$root/run"
}
