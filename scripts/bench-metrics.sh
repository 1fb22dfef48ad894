#!/usr/bin/env bash
# bench-metrics.sh: times mimo's trec_eval re-implementation
# (harness/treceval) against trec_eval itself on one generated large qrels +
# run, checks that both print the same bytes, and prints the time ratio.
#
#   scripts/bench-metrics.sh [QUERIES] [DEPTH]     (default 5000 x 1000)
#
# trec_eval is taken from $TREC_EVAL or PATH; without it only our timing is
# printed. Everything is written under a temporary folder, removed on exit.
set -euo pipefail

nq=${1:-5000}
depth=${2:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Build a tiny main around treceval.Main through a build overlay, so nothing
# is written into the repository.
cat > "$tmp/main.go" <<'GO'
package main

import (
	"os"

	"github.com/mimo-mlir/mimo/harness/treceval"
)

func main() { os.Exit(treceval.Main(os.Args[1:], os.Stdout, os.Stderr)) }
GO
printf '{"Replace":{"%s/internal/benchscore/main.go":"%s/main.go"}}' "$root" "$tmp" > "$tmp/overlay.json"
(cd "$root" && go build -overlay "$tmp/overlay.json" -o "$tmp/score" ./internal/benchscore)

echo "generating $nq queries x $depth docs ..."
awk -v nq="$nq" -v depth="$depth" -v qrels="$tmp/qrels" -v run="$tmp/run" 'BEGIN {
	srand(42)
	for (q = 0; q < nq; q++) {
		for (i = 0; i < depth; i++) {
			# scores on a coarse grid: many ties, broken by docno
			printf "q%d Q0 d%d %d %.3f bench\n", q, int(rand() * 50 * depth), i + 1, int(rand() * 2000) / 1000 >> run
		}
		nrel = 1 + int(rand() * 10)
		for (j = 0; j < nrel; j++)
			printf "q%d 0 d%d %d\n", q, int(rand() * 50 * depth), int(rand() * 4) >> qrels
	}
}'
# drop duplicate docnos within a query (trec_eval rejects them)
awk '!seen[$1 " " $3]++' "$tmp/run" > "$tmp/run.u" && mv "$tmp/run.u" "$tmp/run"
awk '!seen[$1 " " $3]++' "$tmp/qrels" > "$tmp/qrels.u" && mv "$tmp/qrels.u" "$tmp/qrels"
echo "run: $(wc -l < "$tmp/run") lines, qrels: $(wc -l < "$tmp/qrels") lines"

measures=(-q -m ndcg_cut.10,20,100 -m map_cut.100 -m P.10 -m recall.100)

now() { date +%s.%N; }
t0=$(now)
"$tmp/score" "${measures[@]}" "$tmp/qrels" "$tmp/run" > "$tmp/ours.txt"
t1=$(now)
ours=$(echo "$t1 - $t0" | bc -l)
printf 'mimo treceval: %.3f s\n' "$ours"

te=${TREC_EVAL:-$(command -v trec_eval || true)}
if [ -z "$te" ]; then
	echo "trec_eval: skipped (set TREC_EVAL or put trec_eval on PATH)"
	exit 0
fi
t0=$(now)
"$te" "${measures[@]}" "$tmp/qrels" "$tmp/run" > "$tmp/theirs.txt"
t1=$(now)
theirs=$(echo "$t1 - $t0" | bc -l)
printf 'trec_eval:     %.3f s (%s)\n' "$theirs" "$te"
if cmp -s "$tmp/ours.txt" "$tmp/theirs.txt"; then
	echo "outputs: identical ($(wc -l < "$tmp/ours.txt") lines)"
else
	echo "outputs: DIFFER" >&2
	diff "$tmp/theirs.txt" "$tmp/ours.txt" | head -20 >&2
	exit 1
fi
printf 'ratio trec_eval / mimo: %.2f\n' "$(echo "$theirs / $ours" | bc -l)"
