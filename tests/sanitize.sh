#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The test suites under the sanitizers and valgrind (doc/DESIGN.md, "Hostile input and
# failure drills"). Run from anywhere in the source tree:
#   tests/sanitize.sh asan [SUITE...]   build/asan (ASan+UBSan, gcc), meson test --setup asan
#                                       for the unit suite, --setup asannoleak for the
#                                       integration suite (root, without suite long);
#                                       default: unit
#   tests/sanitize.sh valgrind          the unit suite of ./build under valgrind memcheck
# Every sanitizer report and every valgrind error fails its test.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

usage() {
	echo "usage: $0 asan [unit|integration]...|valgrind" >&2
	exit 2
}

# setup DIR ARGS...: a meson build in DIR, made once; a half-made one is made again.
setup() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		rm -rf "$dir"
		meson setup "$dir" "$@"
	fi
	meson compile -C "$dir"
}

[ $# -ge 1 ] || usage
mode=$1
shift
case $mode in
asan)
	# b_lundef=false: meson's default -Wl,--no-undefined does not mix with -fsanitize.
	# -fno-sanitize-recover: UBSan aborts at the first report, like ASan, instead of
	# printing it and going on (UBSAN_OPTIONS in the test setup says so too).
	setup build/asan -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all -Ddocs=disabled
	[ $# -gt 0 ] || set -- unit
	for suite in "$@"; do
		case $suite in
		unit) meson test -C build/asan --setup asan --suite unit --print-errorlogs ;;
		# Without the scenarios of suite 'long' (tests/integration/meson.build).
		integration) meson test -C build/asan --setup asannoleak --suite integration \
			--no-suite long --print-errorlogs ;;
		*) usage ;;
		esac
	done
	;;
valgrind)
	[ $# -eq 0 ] || usage
	command -v valgrind >/dev/null || { echo "$0: valgrind missing" >&2; exit 1; }
	if [ ! -f build/build.ninja ]; then
		meson setup build
	fi
	meson compile -C build
	meson test -C build --setup valgrind --suite unit --print-errorlogs
	;;
*)
	usage
	;;
esac
