#!/usr/bin/env bash
# bench.sh (make bench): runs every side-by-side benchmark (bench-search,
# bench-metrics, bench-encode, bench-train, bench-native), keeps their full output in
# .cache/bench.log and prints one table of their TABLE| lines: measure,
# ratio (mimo / peer throughput unless the row says otherwise: above 1 is
# mimo faster), threads on each side. A benchmark that fails gets a row
# saying so.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache
log=.cache/bench.log
: > "$log"
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
for b in search metrics encode train native; do
	echo "== bench-$b" | tee -a "$log"
	bash "scripts/bench-$b.sh" 2>&1 | tee -a "$log"
	if [ "${PIPESTATUS[0]}" != 0 ]; then
		echo "TABLE|bench-$b|FAILED, see $log|" >> "$log"
	fi
	sed -n "/^== bench-$b\$/,\$p" "$log" | grep '^TABLE|' >> "$rows" || true
done
echo
echo "Side by side on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(date -u +%F):"
echo
echo "| measure | mimo vs peer | threads |"
echo "|---|---|---|"
sed 's/^TABLE|//; s/|/ | /g; s/^/| /; s/ *$/ |/' "$rows"
