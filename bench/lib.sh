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

# run NAME CMD...: wall s, user s, sys s, peak RSS MB of CMD into $T_* (/usr/bin/time);
# its output goes to $W/NAME.out and $W/NAME.err, $W being the script's work directory.
run() {
	local name=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$W/time" "$@" >"$W/$name.out" 2>"$W/$name.err" ||
		{ echo "bench: $name failed:" >&2; tail -n 5 "$W/$name.err" >&2; exit 1; }
	read -r T_WALL T_USER T_SYS T_RSS <"$W/time"
	T_RSS=$((T_RSS / 1024))
}
