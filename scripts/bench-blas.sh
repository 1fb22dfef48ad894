# bench-blas.sh: sourced by the side-by-side benchmarks whose peer's speed is
# that of the BLAS it loads (numpy, faiss, Debian's PyTorch, which calls
# libblas.so.3). Debian's default libblas3 is the unoptimised reference BLAS
# (numpy's sgemm ~10x and a PyTorch training step ~3x slower than on
# OpenBLAS here), which would flatter mimo.
#
# find_openblas NAME PYTHON sets BLAS_DIR to a folder holding OpenBLAS's
# libblas.so.3 (empty: the system's BLAS is already OpenBLAS, or it could
# not be fetched, said on stderr with NAME). Unless PYTHON already loads
# OpenBLAS, it downloads Debian's libopenblas0-pthread with
# `apt-get download` (no install) and unpacks it under
# ${XDG_CACHE_HOME:-~/.cache}/mimo/openblas. BLAS_DIR=/some/dir set by the
# caller is kept; BLAS_DIR=system uses the system's BLAS as it is.
# with_blas CMD... runs CMD with LD_LIBRARY_PATH pointing at BLAS_DIR.
find_openblas() {
	local name=$1 py=$2 oblas
	if [ -z "${BLAS_DIR:-}" ]; then
		if "$py" -c 'import ctypes.util, sys; ctypes.CDLL("libblas.so.3"); sys.exit("openblas" not in open("/proc/self/maps").read())' 2> /dev/null; then
			BLAS_DIR=system
		else
			oblas="${XDG_CACHE_HOME:-$HOME/.cache}/mimo/openblas"
			BLAS_DIR="$oblas/usr/lib/x86_64-linux-gnu/openblas-pthread"
			if [ ! -e "$BLAS_DIR/libblas.so.3" ]; then
				mkdir -p "$oblas"
				if (cd "$oblas" && apt-get download libopenblas0-pthread > /dev/null 2>&1); then
					dpkg-deb -x "$oblas"/libopenblas0-pthread_*.deb "$oblas"
				else
					echo "$name: could not fetch OpenBLAS (apt-get download libopenblas0-pthread); the peer uses the system BLAS" >&2
					BLAS_DIR=system
				fi
			fi
		fi
	fi
	[ "$BLAS_DIR" = system ] && BLAS_DIR=
	return 0
}

with_blas() {
	LD_LIBRARY_PATH="${BLAS_DIR:-}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"
}
