#!/usr/bin/env bash
# Runs every Go fuzz target of the repository (func FuzzXxx in a file named
# fuzz_test.go) for FUZZTIME each, one target per `go test` invocation (go
# test fuzzes one target per package per run), with one worker.
#
#   scripts/fuzz.sh                                   # every target, FUZZTIME=10s
#   FUZZTIME=5s scripts/fuzz.sh                       # what CI runs (make fuzz FUZZTIME=5s)
#   FUZZ_TARGETS="./harness/treceval:FuzzQrels" scripts/fuzz.sh
#
# A target fails when go test writes a failing input under the package's
# testdata/fuzz/FuzzXxx/ (keep it: fix the loader, commit the file as a
# regression seed) or fails for any reason other than the one below.
#
# Go 1.26's fuzzing coordinator sometimes fails a target that found nothing
# with a bare "context deadline exceeded" at the end of a duration
# -fuzztime (golang/go#75804, fixed in Go 1.27): such a run, with no
# failing input written and no other failure in its output, is reported as
# a flake and does not fail the job.
#
# FUZZMINTIME bounds the minimisation of each new input, default 0s (none):
# go test's default, 60s, makes a short run spend its time minimising the
# inputs that found new coverage instead of fuzzing (FuzzParse of
# tokenize ran 710 inputs in 30 s with 3s, 4,161 in 15 s with 0s).
# A failing input is then kept as found; minimise it locally with
# FUZZMINTIME=60s FUZZ_TARGETS=pkg:FuzzXxx scripts/fuzz.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10s}
FUZZMINTIME=${FUZZMINTIME:-0s}

targets=${FUZZ_TARGETS:-}
if [ -z "$targets" ]; then
	while IFS= read -r f; do
		dir=./$(dirname "${f#./}")
		for fn in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
			targets+=" $dir:$fn"
		done
	done < <(find . -name fuzz_test.go -not -path './third_party/*' -not -path './.git/*' | sort)
fi

pass=0 fail=0 flake=0
failed=()
start=$(date +%s)
for t in $targets; do
	pkg=${t%%:*} fn=${t##*:}
	corpus="$pkg/testdata/fuzz/$fn"
	before=$(ls "$corpus" 2>/dev/null | sort || true)
	log=$(mktemp)
	t0=$(date +%s)
	rc=0
	"$GO" test -run='^$' -fuzz="^${fn}\$" -fuzztime="$FUZZTIME" -fuzzminimizetime="$FUZZMINTIME" \
		-parallel=1 -timeout=10m "$pkg" >"$log" 2>&1 || rc=$?
	after=$(ls "$corpus" 2>/dev/null | sort || true)
	new=$(comm -13 <(echo "$before") <(echo "$after") | sed '/^$/d')
	took=$(($(date +%s) - t0))
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok    $pkg $fn (${took}s, $(grep -o 'execs: [0-9]*' "$log" | tail -1))"
	elif [ -z "$new" ] && grep -q '^    context deadline exceeded$' "$log" &&
		! grep -v -e '^fuzz: ' -e '^--- FAIL: ' -e '^    context deadline exceeded$' -e '^FAIL' -e '^exit status' -e '^$' "$log" | grep -q .; then
		flake=$((flake + 1))
		echo "flake $pkg $fn (${took}s): the Go 1.26 coordinator's deadline race (golang/go#75804), no failing input"
	else
		fail=$((fail + 1))
		failed+=("$pkg $fn")
		echo "FAIL  $pkg $fn (${took}s)"
		sed 's/^/      /' "$log" | tail -40
		for n in $new; do
			echo "      failing input kept as $corpus/$n"
		done
	fi
	rm -f "$log"
done
echo "fuzz: $pass passed, $fail failed, $flake flaked, FUZZTIME=$FUZZTIME each, $(($(date +%s) - start))s in all"
if [ "$fail" -gt 0 ]; then
	printf 'failed: %s\n' "${failed[@]}"
	exit 1
fi
