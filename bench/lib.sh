# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the bench/ scripts. bench_build sets SRC (the checkout) and B (the build
# directory): NFTARPIT_BUILD if set, else ./build, made by `./quickstart build` (installs
# the Debian packages, sets up and compiles; quick when there is nothing to do), so each
# benchmark runs with one command from a fresh clone.
bench_build() {
	SRC=$(cd "$(dirname "${BASH_SOURCE[1]}")/.." && pwd)
	[ "$(id -u)" = 0 ] || { echo "$(basename "${BASH_SOURCE[1]}"): run as root" >&2; exit 2; }
	if [ -n "${NFTARPIT_BUILD:-}" ]; then
		B=$NFTARPIT_BUILD
		return 0
	fi
	B=$SRC/build
	"$SRC/quickstart" build >&2
}
