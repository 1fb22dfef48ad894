#!/usr/bin/env bash
# bench-search.sh: harness/search's exact top-k against numpy (matrix
# product + argpartition + sort) and faiss IndexFlatIP on the same random
# normalised matrices, beside the BLAS sgemm ceiling (the same products
# without the selection, and a 4096^3 product), with the same thread
# count on every side, interleaved rounds, min and median (issue 14).
#
#   scripts/bench-search.sh                 # 1k queries x 100k docs x 384-d, k=1000 and k=10
#   NQ=256 NC=20000 DIM=768 KS="100" ROUNDS=5 THREADS=1 scripts/bench-search.sh
#
# Ratios are throughputs mimo / peer (above 1: mimo faster); mimo's GFLOP/s
# (2 x queries x docs x dim / time) is also given as a share of the sgemm
# peak measured in the same rounds.
#
# Threads: THREADS (default: the number of cores) is GOMAXPROCS for mimo
# and OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / MKL_NUM_THREADS plus
# faiss.omp_set_num_threads for the peers; each prints what it used.
#
# Needs Debian's python3-numpy (apt-get install -y python3-numpy) and, for
# faiss, python3-faiss (apt-get install -y python3-faiss; without it the
# faiss rows say so). numpy's speed is that of the BLAS it loads, and
# Debian's default libblas3 is the unoptimised reference BLAS (about 10x
# slower than OpenBLAS here), which would flatter us: scripts/bench-blas.sh
# points the peers at OpenBLAS (fetched with `apt-get download` when the
# system lacks it). BLAS_DIR=/some/dir overrides the folder holding
# libblas.so.3; BLAS_DIR=system uses the system's BLAS.
set -euo pipefail
cd "$(dirname "$0")/.."

NQ=${NQ:-1000}
NC=${NC:-100000}
DIM=${DIM:-384}
KS=${KS:-"1000 10"}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-$(nproc)}
PY=${PYTHON:-/usr/bin/python3}

if ! "$PY" -c 'import numpy' 2>/dev/null; then
	echo "bench-search: numpy missing for $PY; install it with: apt-get install -y python3-numpy" >&2
	exit 1
fi

# shellcheck source=scripts/bench-blas.sh
source scripts/bench-blas.sh
find_openblas bench-search "$PY"
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS

faiss_ok=1
if ! "$PY" -c 'import faiss' 2> /dev/null; then
	faiss_ok=0
	avail=$(apt-cache policy python3-faiss 2> /dev/null | sed -n 's/^ *Candidate: //p')
	echo "faiss: not available: python3-faiss is not installed (Debian candidate: ${avail:-none}); install it with apt-get install -y python3-faiss"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/benchsearch" ./internal/cmd/benchsearch

# peer MODE K: one timed run of a peer; sets $secs, $gflops, $used, $lib.
peer() {
	local out
	out=$(with_blas "$PY" scripts/bench_search_numpy.py "$1" "$tmp" "$2" "$THREADS")
	secs=$(echo "$out" | sed -n 's/^seconds=//p')
	gflops=$(echo "$out" | sed -n 's/^gflops=//p')
	used=$(echo "$out" | sed -n 's/^threads=//p')
	lib=$(echo "$out" | sed -n 's/^lib=//p')
}

# mimo K: one timed run of harness/search; sets $secs.
mimo() {
	secs=$(GOMAXPROCS=$THREADS "$tmp/benchsearch" -nq "$NQ" -nc "$NC" -dim "$DIM" -k "$1" -repeat 1 ${2:+-out "$2"} | sed -n 's/^go_seconds=//p')
}

# stat FILE: "min median" of the numbers in FILE.
stat() {
	sort -g "$1" | awk '{ v[NR] = $1 } END { printf "%s %s\n", v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

echo "matrices: ${NQ} queries x ${NC} docs x ${DIM}-d float32; $(nproc) cores; threads: mimo GOMAXPROCS=$THREADS, peers OMP/OPENBLAS/MKL_NUM_THREADS=$THREADS"
mimo 10 "$tmp" # writes q.npy and c.npy (and warms up)
flops=$(echo "2 * $NQ * $NC * $DIM" | bc)
for k in $KS; do
	: > "$tmp/mimo.$k"
	: > "$tmp/numpy.$k"
	: > "$tmp/faiss.$k"
	: > "$tmp/sgemm"
	: > "$tmp/peak"
	for r in $(seq "$ROUNDS"); do
		mimo "$k"
		echo "$secs" >> "$tmp/mimo.$k"
		line="k=$k round $r: mimo ${secs}s"
		peer numpy "$k"
		echo "$secs" >> "$tmp/numpy.$k"
		line="$line, numpy ${secs}s ($used)"
		numpy_lib=$lib
		if [ "$faiss_ok" = 1 ]; then
			peer faiss "$k"
			echo "$secs" >> "$tmp/faiss.$k"
			line="$line, faiss ${secs}s ($used)"
			faiss_lib=$lib
		fi
		peer sgemm "$k"
		echo "$gflops" >> "$tmp/sgemm"
		line="$line, sgemm on this shape ${gflops} GFLOP/s"
		peer peak "$k"
		echo "$gflops" >> "$tmp/peak"
		echo "$line, sgemm 4096^3 ${gflops} GFLOP/s"
	done
	read -r m_min m_med < <(stat "$tmp/mimo.$k")
	read -r n_min n_med < <(stat "$tmp/numpy.$k")
	# the ceilings: the best rounds
	sg=$(sort -g "$tmp/sgemm" | tail -1)
	pk=$(sort -g "$tmp/peak" | tail -1)
	m_gf=$(echo "$flops / $m_min / 1000000000" | bc -l)
	printf 'k=%s: mimo min %.3f s median %.3f s (%.1f GFLOP/s); numpy min %.3f s median %.3f s (%s)\n' "$k" "$m_min" "$m_med" "$m_gf" "$n_min" "$n_med" "$numpy_lib"
	printf 'k=%s: throughput mimo/numpy %.2fx (min) %.2fx (median)\n' "$k" "$(echo "$n_min / $m_min" | bc -l)" "$(echo "$n_med / $m_med" | bc -l)"
	printf 'TABLE|exact top-k %s q x %s docs x %s-d, k=%s, vs numpy+OpenBLAS|%.2fx min / %.2fx median|%s threads each\n' \
		"$NQ" "$NC" "$DIM" "$k" "$(echo "$n_min / $m_min" | bc -l)" "$(echo "$n_med / $m_med" | bc -l)" "$THREADS"
	if [ "$faiss_ok" = 1 ]; then
		read -r f_min f_med < <(stat "$tmp/faiss.$k")
		printf 'k=%s: faiss IndexFlatIP min %.3f s median %.3f s (%s); throughput mimo/faiss %.2fx (min) %.2fx (median)\n' \
			"$k" "$f_min" "$f_med" "$faiss_lib" "$(echo "$f_min / $m_min" | bc -l)" "$(echo "$f_med / $m_med" | bc -l)"
		printf 'TABLE|same, k=%s, vs faiss IndexFlatIP|%.2fx min / %.2fx median|%s threads each\n' \
			"$k" "$(echo "$f_min / $m_min" | bc -l)" "$(echo "$f_med / $m_med" | bc -l)" "$THREADS"
	else
		printf 'TABLE|same, k=%s, vs faiss IndexFlatIP|not measured: python3-faiss not installed|\n' "$k"
	fi
	printf 'k=%s: sgemm ceiling (best round) %.1f GFLOP/s on this shape, %.1f GFLOP/s on 4096^3; mimo at %.0f%% / %.0f%% of them\n' \
		"$k" "$sg" "$pk" "$(echo "100 * $m_gf / $sg" | bc -l)" "$(echo "100 * $m_gf / $pk" | bc -l)"
	printf 'TABLE|same, k=%s, as a share of OpenBLAS sgemm (4096^3, same rounds)|%.0f%% (%.0f of %.0f GFLOP/s)|%s threads each\n' \
		"$k" "$(echo "100 * $m_gf / $pk" | bc -l)" "$m_gf" "$pk" "$THREADS"
done
