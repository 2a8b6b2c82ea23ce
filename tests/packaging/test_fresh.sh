#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A brand-new Debian 12 runs the README's first command: a minimal root made by
# `mmdebstrap --variant=minbase bookworm` (apt and Debian's archive only, nothing cached
# from this machine), the project's committed HEAD cloned into it, and `./quickstart demo`
# run there in a chroot on this machine's kernel (namespaces and nftables work as on the
# host). Every package the build and the demo need must come from quickstart's install
# step: one missing and the demo fails, and so does this test.
#
# The chroot runs in a mount and a PID namespace of its own: its mounts (proc, sysfs, a
# devpts instance, tmpfs on /dev/shm and /run) are never seen by the host and are undone
# by a trap, and whatever it started dies with it. Nothing in it touches the host's
# ruleset: the demo works in network namespaces it creates.
#
# FRESH_COMMAND runs something else there instead, e.g. FRESH_COMMAND='./quickstart test'
# checks the whole list by hand (half an hour; not in CI).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# inside ROOT CMD...: CMD chrooted in ROOT, run as PID 1 of the new PID namespace, in the
# new mount namespace.
inside() {
	local root=$1
	shift
	trap root_umount EXIT
	root_mounts "$root"
	root_mount -t sysfs sysfs "$root/sys"
	chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root CI="${CI:-}" "$@"
}

if [ "${1:-}" = --inside ]; then
	shift
	inside "$@"
	exit
fi

cmd=${FRESH_COMMAND:-./quickstart demo}
pkg_init
[ "$(id -u)" -eq 0 ] || pkg_skip "needs root (mmdebstrap, chroot, mounts)"
for t in mmdebstrap unshare chroot git apt-cache; do
	command -v "$t" >/dev/null || pkg_skip "needs $t (package mmdebstrap, util-linux, git, apt)"
done
git -C "$NFTARPIT_SRC" rev-parse --verify -q HEAD >/dev/null ||
	pkg_skip "$NFTARPIT_SRC is not a git clone: the test clones its committed HEAD"

root=$PKG_TMP/root
t0=$(date +%s)
debian_root "$root"
t1=$(date +%s)
# Daemons that packages start when installed would run in the host's network namespace;
# the standard guard for chroots keeps them stopped (the demo starts its own).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

# The committed HEAD, as `git clone` gives it to a user (the chroot needs no git).
rev=$(git -C "$NFTARPIT_SRC" rev-parse HEAD)
git init -q "$root/root/nftarpit"
git -C "$root/root/nftarpit" fetch -q "$NFTARPIT_SRC" HEAD
git -C "$root/root/nftarpit" checkout -q FETCH_HEAD
[ -z "$(git -C "$NFTARPIT_SRC" status --porcelain --untracked-files=no)" ] ||
	pkg_log "note: uncommitted changes in $NFTARPIT_SRC are not part of this run"
pkg_log "cloned ${rev:0:12} into the root"

# A new PID namespace (--kill-child: nothing outlives the test) and mount namespace;
# bounded below meson's timeout so the log above is still printed.
limit=1000
[ -z "${FRESH_COMMAND:-}" ] || limit=3600
timeout --kill-after=10 $limit unshare --mount --pid --fork --kill-child bash "$0" --inside "$root" \
	bash -c "cd /root/nftarpit && $cmd" >"$PKG_TMP/demo.log" 2>&1 ||
	{ tail -n 60 "$PKG_TMP/demo.log" >&2; pkg_fail "$cmd failed in the fresh root"; }
t2=$(date +%s)
sed 's/^/    /' "$PKG_TMP/demo.log" | grep -vE '^    (Get|Preparing|Unpacking|Selecting|Setting up|Processing)' >&2
pkg_log "$cmd in the fresh root: $((t2 - t1)) s (whole test $((t2 - t0)) s)"
pkg_log PASS
