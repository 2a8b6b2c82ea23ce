#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the libFuzzer targets (clang, ASan+UBSan, every library instrumented) in build/fuzz
# and run each for SECONDS on a copy of its seed corpus in tests/fuzz/corpus/<target>/.
#   tests/fuzz/run.sh SECONDS [TARGET...]
# A crash, a sanitizer report or a broken invariant stops with the reproducer saved as
# build/fuzz/artifacts/<target>/crash-* and exits 1; a summary line per target otherwise:
#   fuzz_pkt: runs=123456 cov=812 ft=2330 corpus=97 secs=5
# New inputs stay in build/fuzz/corpus/<target>; to grow the committed seeds, merge them
# with <target> -merge=1 tests/fuzz/corpus/<target> build/fuzz/corpus/<target>.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."

TARGETS=(fuzz_pkt fuzz_queue fuzz_ctl fuzz_conf fuzz_cidr fuzz_cidr_parse fuzz_mlog
	fuzz_blist fuzz_state fuzz_mlog_fields fuzz_pattern)
B=build/fuzz

[ $# -ge 1 ] && [[ $1 =~ ^[0-9]+$ ]] || { echo "usage: $0 SECONDS [TARGET...]" >&2; exit 2; }
secs=$1
shift
[ $# -eq 0 ] || TARGETS=("$@")

# -fsanitize=fuzzer-no-link instruments the libraries for coverage; only the targets link
# libFuzzer's main. No -Werror here: this build checks behaviour, the gcc build warnings.
if [ ! -f $B/build.ninja ]; then
	rm -rf $B
	CC=clang meson setup $B -Dfuzz=true -Dtests=false -Ddocs=disabled -Dwerror=false \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all' >$B.setup.log 2>&1 ||
		{ cat $B.setup.log >&2; exit 1; }
fi
meson compile -C $B "${TARGETS[@]}" >/dev/null

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
rc=0
for t in "${TARGETS[@]}"; do
	mkdir -p "$B/corpus/$t" "$B/artifacts/$t"
	seeds=tests/fuzz/corpus/$t
	[ -d "$seeds" ] || { echo "$t: no seed corpus $seeds" >&2; exit 1; }
	# -close_fd_mask=2: the parsers' own error lines are noise here; libFuzzer keeps a
	# copy of stderr for the sanitizers' reports. One process per target: -fork would
	# double the load on shared machines.
	if ! "$B/tests/fuzz/$t" -max_total_time="$secs" -close_fd_mask=2 -max_len=4096 \
		-timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix="$B/artifacts/$t/" "$B/corpus/$t" "$seeds" \
		>"$B/$t.log" 2>&1; then
		echo "$t: FAILED, see $B/$t.log and $B/artifacts/$t/" >&2
		grep -E 'ERROR|invariant|SUMMARY|Test unit written' "$B/$t.log" >&2 || tail -20 "$B/$t.log" >&2
		rc=1
		continue
	fi
	awk -v t="$t" '
		/stat::number_of_executed_units/ { runs = $2 }
		/INITED|DONE/ { for (i = 1; i <= NF; i++) { if ($i == "cov:") cov = $(i + 1); if ($i == "ft:") ft = $(i + 1); if ($i == "corp:") { split($(i + 1), c, "/"); corp = c[1] } } }
		END { printf "%s: runs=%s cov=%s ft=%s corpus=%s secs='"$secs"'\n", t, runs, cov, ft, corp }
	' "$B/$t.log"
done
exit $rc
