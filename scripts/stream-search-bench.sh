#!/usr/bin/env bash
# Search of a corpus beyond RAM (mimo-eval --search-block, issue 16 item 1),
# the numbers in docs/performance.md:
#
#  1. a corpus that fits (SMALL_N x DIM): the in-memory path (the whole
#     corpus loaded from the cache, then search.Search) and the streamed one
#     (search.SearchStream over the cache in BLOCK-row blocks), ROUNDS rounds
#     interleaved, min and median of the search seconds and their ratio;
#  2. the large corpus (BIG_N x DIM, 15 GB as float32 for 5M x 768), streamed
#     only, with its peak RSS.
#
# Both sides run with GOMAXPROCS=THREADS. Wall time and peak RSS come from
# /usr/bin/time -v; every run prints a digest of its hits, which must agree
# between the modes (bit-identical results). The corpus files are written
# under DIR (default: a temporary folder; it needs BIG_N x DIM x 4 bytes
# free) and removed at the end. BIG_N=0 skips part 2.
#
#   scripts/stream-search-bench.sh            # the full run (about 20 min here)
#   BIG_N=0 SMALL_N=100000 ROUNDS=1 scripts/stream-search-bench.sh   # a quick one
set -euo pipefail
cd "$(dirname "$0")/.."

SMALL_N=${SMALL_N:-500000}
BIG_N=${BIG_N:-5000000}
DIM=${DIM:-768}
QUERIES=${QUERIES:-1000}
ROUNDS=${ROUNDS:-3}
BLOCK=${BLOCK:-16384}
THREADS=${THREADS:-2}
DTYPE=${DTYPE:-}
export GOMAXPROCS=$THREADS

dir=${1:-}
if [ -z "$dir" ]; then
	dir=$(mktemp -d "${TMPDIR:-/tmp}/mimo-stream-bench.XXXXXX")
	trap 'rm -rf "$dir"' EXIT
else
	mkdir -p "$dir"
	trap 'rm -rf "$dir/small" "$dir/big" "$dir/benchstream" "$dir/lines.txt" "$dir/time.txt"' EXIT
fi

go build -o "$dir/benchstream" ./internal/cmd/benchstream
bs=$dir/benchstream

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GiB RAM, GOMAXPROCS=$THREADS, $(date -u +%F)"

# run MODE DIR N: one timed search; prints its result line plus rss_mb=,
# wall_s= and cpu_s= (user + system seconds of the whole process: less
# sensitive than wall time to other sessions on a shared machine).
run() {
	local out
	out=$(/usr/bin/time -v "$bs" search -dir "$2" -n "$3" -dim "$DIM" -dtype "$DTYPE" -queries "$QUERIES" -mode "$1" -block "$BLOCK" 2>"$dir/time.txt")
	echo "$out rss_mb=$(awk '/Maximum resident/{printf "%.0f", $6/1024}' "$dir/time.txt") wall_s=$(awk -F': ' '/Elapsed \(wall/{print $2}' "$dir/time.txt") cpu_s=$(awk -F': ' '/User time|System time/{s+=$2} END{printf "%.1f", s}' "$dir/time.txt")"
}

# summary MODE FIELD: min and median of FIELD (total_s: corpus read from the
# cache + search, wall clock; cpu_s: the process's CPU seconds) over the
# lines of MODE.
summary() {
	grep "mode=$1 " "$dir/lines.txt" | sed "s/.* $2=\([0-9.]*\).*/\1/" | sort -n |
		awk -v m="$1" -v f="$2" '{v[NR]=$1} END {printf "%s %s: min %.1f s, median %.1f s over %d rounds\n", m, f, v[1], (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2), NR}'
}

if [ "$SMALL_N" -gt 0 ]; then
	"$bs" gen -dir "$dir/small" -n "$SMALL_N" -dim "$DIM" -dtype "$DTYPE"
	: >"$dir/lines.txt"
	for r in $(seq "$ROUNDS"); do
		for mode in memory stream; do
			run "$mode" "$dir/small" "$SMALL_N" | tee -a "$dir/lines.txt"
		done
	done
	for f in total_s cpu_s; do
		summary memory $f
		summary stream $f
	done
	if [ "$(sed 's/.*hits_sha256=\([0-9a-f]*\).*/\1/' "$dir/lines.txt" | sort -u | wc -l)" -ne 1 ]; then
		echo "FAIL: the modes' hits differ" >&2
		exit 1
	fi
	echo "hits identical across modes and rounds"
	rm -rf "$dir/small"
fi

if [ "$BIG_N" -gt 0 ]; then
	"$bs" gen -dir "$dir/big" -n "$BIG_N" -dim "$DIM" -dtype "$DTYPE"
	du -sh "$dir/big"
	run stream "$dir/big" "$BIG_N"
	rm -rf "$dir/big"
fi
