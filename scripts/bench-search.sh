#!/usr/bin/env bash
# Times harness/search against numpy's exact top-k (matrix product +
# argpartition + sort) on the same random normalised matrices, and prints
# the throughput ratio ours/numpy (> 1: we are faster).
#
#   scripts/bench-search.sh                 # 1k queries x 100k docs x 384-d, k=1000 and k=10
#   NQ=256 NC=20000 DIM=768 KS="100" scripts/bench-search.sh
#
# Needs Debian's python3-numpy at /usr/bin/python3 (apt-get install -y python3-numpy).
# numpy's speed is that of the BLAS it loads, and Debian's default libblas3 is
# the unoptimised reference BLAS (about 10x slower than OpenBLAS here), which
# would flatter us. So by default the script compares against OpenBLAS: it
# downloads Debian's libopenblas0-pthread with `apt-get download` (no install,
# the system is unchanged), unpacks it under ${XDG_CACHE_HOME:-~/.cache}/mimo/openblas
# and points numpy at it with LD_LIBRARY_PATH. BLAS_DIR=/some/dir overrides
# the folder holding libblas.so.3; BLAS_DIR=system uses the system's BLAS.
set -euo pipefail
cd "$(dirname "$0")/.."

NQ=${NQ:-1000}
NC=${NC:-100000}
DIM=${DIM:-384}
KS=${KS:-"1000 10"}
REPEAT=${REPEAT:-3}
PY=${PYTHON:-/usr/bin/python3}

if ! "$PY" -c 'import numpy' 2>/dev/null; then
	echo "bench-search: numpy missing for $PY; install it with: apt-get install -y python3-numpy" >&2
	exit 1
fi

if [ -z "${BLAS_DIR:-}" ]; then
	oblas="${XDG_CACHE_HOME:-$HOME/.cache}/mimo/openblas"
	BLAS_DIR="$oblas/usr/lib/x86_64-linux-gnu/openblas-pthread"
	if [ ! -e "$BLAS_DIR/libblas.so.3" ]; then
		mkdir -p "$oblas"
		if (cd "$oblas" && apt-get download libopenblas0-pthread >/dev/null 2>&1); then
			dpkg-deb -x "$oblas"/libopenblas0-pthread_*.deb "$oblas"
		else
			echo "bench-search: could not fetch OpenBLAS (apt-get download libopenblas0-pthread); numpy uses the system BLAS" >&2
			BLAS_DIR=system
		fi
	fi
fi
[ "$BLAS_DIR" = system ] && BLAS_DIR=

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/benchsearch" ./internal/cmd/benchsearch

echo "matrices: ${NQ} queries x ${NC} docs x ${DIM}-d float32, $(nproc) cores"
first=1
for k in $KS; do
	if [ "$first" = 1 ]; then
		gos=$("$tmp/benchsearch" -nq "$NQ" -nc "$NC" -dim "$DIM" -k "$k" -repeat "$REPEAT" -out "$tmp" | sed -n 's/^go_seconds=//p')
		first=0
	else
		gos=$("$tmp/benchsearch" -nq "$NQ" -nc "$NC" -dim "$DIM" -k "$k" -repeat "$REPEAT" | sed -n 's/^go_seconds=//p')
	fi
	npout=$(LD_LIBRARY_PATH="${BLAS_DIR:-}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$PY" scripts/bench_search_numpy.py "$tmp" "$k" "$REPEAT")
	nps=$(echo "$npout" | sed -n 's/^numpy_seconds=//p')
	info=$(echo "$npout" | sed -n 's/^numpy_version=//p')
	ratio=$(awk -v a="$gos" -v b="$nps" 'BEGIN { printf "%.2f", b / a }')
	echo "k=${k}: mimo ${gos}s, numpy ${nps}s (numpy ${info}); throughput ratio mimo/numpy = ${ratio}"
done
