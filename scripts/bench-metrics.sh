#!/usr/bin/env bash
# bench-metrics.sh: `mimo-eval score` (harness/treceval) against trec_eval
# on one generated large case, side by side (issue 14).
#
#   scripts/bench-metrics.sh [QUERIES] [DEPTH]     (default 20000 x 1000)
#   ROUNDS=5 TREC_EVAL=/path/to/trec_eval scripts/bench-metrics.sh
#
# The case is realistic, so that the measures' code is exercised: graded
# qrels (3-50 relevant documents per query at levels 1-3, 20-100 judged
# non-relevant, about 5% of judgments -1), runs that retrieve about 70% of
# the judged documents with the relevant ones scored higher, unjudged
# documents filling each query to DEPTH, 6-digit scores with ties; 28
# measures printed per query (-q). Both programs run ROUNDS times (default
# 3), interleaved (mimo, trec_eval, mimo, ...); wall time and peak RSS come
# from /usr/bin/time; the script prints every round, then min and median
# and the ratios trec_eval / mimo (above 1: mimo faster). Every round's
# output is compared byte for byte with trec_eval's; a difference fails.
#
# Threads: mimo-eval uses GOMAXPROCS goroutines (MIMO_THREADS, default the
# number of cores); trec_eval is single-threaded C. Both are printed.
#
# trec_eval is $TREC_EVAL or the one on PATH. Its Makefile builds without
# optimisation (-g only), which would flatter mimo, so the script reads the
# compiler flags DWARF records in the binary (gcc's DW_AT_producer) and
# refuses a binary built without -O2 or -O3, or one whose flags it cannot
# read (no debug info) unless TREC_EVAL_OPT names them (e.g.
# TREC_EVAL_OPT=-O3, which is then printed as declared, not checked).
# Without any trec_eval only mimo's timings are printed.
set -euo pipefail

nq=${1:-20000}
depth=${2:-1000}
rounds=${ROUNDS:-3}
threads=${MIMO_THREADS:-$(nproc)}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! [ -x /usr/bin/time ]; then
	echo "bench-metrics: /usr/bin/time is missing (apt-get install -y time)" >&2
	exit 1
fi

echo "building mimo-eval ..."
(cd "$root" && go build -o "$tmp/mimo-eval" ./cmd/mimo-eval)

te=${TREC_EVAL:-$(command -v trec_eval || true)}
te_opt=""
if [ -n "$te" ]; then
	if ! command -v readelf > /dev/null; then
		echo "bench-metrics: readelf is missing to check how $te was built (apt-get install -y binutils)" >&2
		exit 1
	fi
	producer=$(readelf --debug-dump=info "$te" 2>/dev/null | grep -m1 -o 'GNU C.*' || true)
	if [ -n "$producer" ]; then
		te_opt=$(echo "$producer" | grep -o -- '-O[0-9s]*' | tail -1 || true)
		case "$te_opt" in
		-O2 | -O3) te_opt="$te_opt (checked: $producer)" ;;
		*)
			echo "bench-metrics: $te was built without -O2/-O3 (compiler flags: $producer);" >&2
			echo "  trec_eval's Makefile builds with -g only: rebuild it with -O3 to compare fairly" >&2
			exit 1
			;;
		esac
	elif [ -n "${TREC_EVAL_OPT:-}" ]; then
		te_opt="$TREC_EVAL_OPT (declared by TREC_EVAL_OPT, not checked: no DWARF producer in $te)"
	else
		echo "bench-metrics: cannot tell how $te was optimised (no debug info to read its compiler flags);" >&2
		echo "  rebuild it with -O3 -g, or set TREC_EVAL_OPT=-O3 to declare how it was built" >&2
		exit 1
	fi
fi

echo "generating $nq queries x $depth docs ..."
awk -v nq="$nq" -v depth="$depth" -v qrels="$tmp/qrels" -v run="$tmp/run" 'BEGIN {
	srand(14)
	for (q = 1; q <= nq; q++) {
		delete seen
		nrel = 3 + int(rand() * 48); nj = nrel + 20 + int(rand() * 80); n = 0
		for (i = 0; i < nj; i++) {
			do d = 2 * int(rand() * 5000000) + 1; while (d in seen) # odd: judged
			seen[d] = 1
			rel = 0
			if (i < nrel) rel = 1 + int(rand() * 3)
			else if (rand() < 0.05) rel = -1
			printf "%d 0 D%07d %d\n", q, d, rel > qrels
			if (rand() < 0.7 && n < depth) {
				s = rand() * 0.6 + (rel > 0 ? 0.15 * rel : 0)
				printf "%d Q0 D%07d %d %.6f mimo-bench\n", q, d, ++n, int(s * 200000) / 200000 > run
			}
		}
		while (n < depth) {
			do d = 2 * int(rand() * 5000000); while (d in seen) # even: unjudged
			seen[d] = 1
			printf "%d Q0 D%07d %d %.6f mimo-bench\n", q, d, ++n, int(rand() * 0.6 * 200000) / 200000 > run
		}
	}
}'
echo "run: $(wc -l < "$tmp/run") lines ($(du -m "$tmp/run" | cut -f1) MB), qrels: $(wc -l < "$tmp/qrels") lines"

measures=(-q -m ndcg_cut.5,10,20,100 -m map_cut.10,100,1000 -m P.5,10,20,100 -m recall.5,10,20,100,1000
	-m success.1,5,10 -m map -m ndcg -m recip_rank -m Rprec -m bpref -m num_ret -m num_rel -m num_rel_ret -m gm_map)

# timed NAME OUT CMD...: runs CMD with stdout to OUT, appends "NAME wall rss_kb user sys" to $tmp/times.
timed() {
	local name=$1 out=$2
	shift 2
	/usr/bin/time -o "$tmp/t" -f '%e %M %U %S' "$@" > "$out"
	echo "$name $(cat "$tmp/t")" >> "$tmp/times"
}

echo "threads: mimo-eval GOMAXPROCS=$threads; trec_eval 1 (single-threaded)${te:+; trec_eval: $te, $te_opt}"
: > "$tmp/times"
for r in $(seq "$rounds"); do
	timed mimo "$tmp/ours.txt" env GOMAXPROCS="$threads" "$tmp/mimo-eval" score "${measures[@]}" "$tmp/qrels" "$tmp/run"
	line="round $r: mimo $(tail -1 "$tmp/times" | awk '{printf "%.2f s (cpu %.2f s), %.0f MB", $2, $4 + $5, $3 / 1024}')"
	if [ -n "$te" ]; then
		timed trec_eval "$tmp/theirs.txt" "$te" "${measures[@]}" "$tmp/qrels" "$tmp/run"
		line="$line; trec_eval $(tail -1 "$tmp/times" | awk '{printf "%.2f s (cpu %.2f s), %.0f MB", $2, $4 + $5, $3 / 1024}')"
		if ! cmp -s "$tmp/ours.txt" "$tmp/theirs.txt"; then
			echo "$line; outputs DIFFER:" >&2
			diff "$tmp/theirs.txt" "$tmp/ours.txt" | head -20 >&2
			exit 1
		fi
		line="$line; outputs identical ($(wc -l < "$tmp/ours.txt") lines)"
	fi
	echo "$line"
done
grep -E '^(P_10|recall_100|ndcg_cut_10|map)[[:space:]]+all' "$tmp/ours.txt" | awk '{printf "%s=%s ", $1, $3} END {print "(all queries)"}' || true

# stats NAME: "min median max_rss_kb" of NAME's rounds.
stats() {
	grep "^$1 " "$tmp/times" | awk '{print $2, $3}' | sort -g | awk '
		{ t[NR] = $1; if ($2 > m) m = $2 }
		END { printf "%s %s %s\n", t[1], (NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2), m }'
}
read -r ours_min ours_med ours_rss < <(stats mimo)
printf 'mimo-eval score: min %.2f s, median %.2f s, peak RSS %.0f MB (%d rounds)\n' "$ours_min" "$ours_med" "$(echo "$ours_rss / 1024" | bc -l)" "$rounds"
if [ -z "$te" ]; then
	echo "trec_eval: skipped (set TREC_EVAL or put trec_eval on PATH)"
	printf 'TABLE|mimo-eval score, %d q x %d docs, 28 measures, vs trec_eval|not measured: no trec_eval (set TREC_EVAL)|GOMAXPROCS=%d\n' "$nq" "$depth" "$threads"
	exit 0
fi
read -r te_min te_med te_rss < <(stats trec_eval)
printf 'trec_eval:       min %.2f s, median %.2f s, peak RSS %.0f MB\n' "$te_min" "$te_med" "$(echo "$te_rss / 1024" | bc -l)"
# CPU time (user + sys) is steadier than wall time on a shared machine,
# where a two-thread program loses more to other load than a one-thread one.
cpu_min() { grep "^$1 " "$tmp/times" | awk '{print $4 + $5}' | sort -g | head -1; }
printf 'cpu time (user+sys), min: mimo %.2f s, trec_eval %.2f s: trec_eval / mimo %.2fx\n' "$(cpu_min mimo)" "$(cpu_min trec_eval)" "$(echo "$(cpu_min trec_eval) / $(cpu_min mimo)" | bc -l)"
ratio_min=$(echo "$te_min / $ours_min" | bc -l)
ratio_med=$(echo "$te_med / $ours_med" | bc -l)
mem=$(echo "$ours_rss / $te_rss" | bc -l)
printf 'ratio trec_eval / mimo: %.2fx (min), %.2fx (median); memory mimo / trec_eval: %.2fx\n' "$ratio_min" "$ratio_med" "$mem"
printf 'TABLE|mimo-eval score, %d q x %d docs, 28 measures, vs trec_eval %s|%.2fx min / %.2fx median, memory %.2fx|GOMAXPROCS=%d vs 1\n' \
	"$nq" "$depth" "${te_opt%% *}" "$ratio_min" "$ratio_med" "$mem" "$threads"
