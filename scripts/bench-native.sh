#!/usr/bin/env bash
# bench-native: a native model folder evaluated by mimo-eval on its two
# engines, side by side: the GoMLX graph (--engine gomlx, pure-Go backend)
# and ONNX Runtime on the folder's cached ONNX export (the default). The
# model is the embedded default (adapters/mimo, mimo-mini) on the mini
# group (MiniMLIR, and XQuADHeldOut when ../shared/data or $MIMO_DATA has
# XQuAD), no embedding cache. Both sides run with BENCH_THREADS threads
# (default 2): GOMAXPROCS for Go (the GoMLX workers), and the folder option
# intra_op_threads for ONNX Runtime (a copy of the folder carries it).
# ROUNDS rounds (default 3) interleave the two; prints min and median wall
# seconds, the ratio (gomlx time / onnxruntime time: above 1 = ONNX Runtime
# faster), the one-time export cost, and checks that every task's scores
# are identical on both engines.
#
#   scripts/bench-native.sh        # needs the ONNX Runtime library (make ort)
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${BENCH_THREADS:-2}
rounds=${ROUNDS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/mimo-eval" ./cmd/mimo-eval
mkdir "$work/model"
cp adapters/mimo/{config.json,model.safetensors,tokenizer.json,training-texts.mimoset,training.json} "$work/model/"
python3 - "$work/model" "$threads" <<'PY'
import json, sys
f = json.load(open("adapters/mimo/mimo-model.json"))
f["options"] = {"intra_op_threads": int(sys.argv[2])}
json.dump(f, open(sys.argv[1] + "/mimo-model.json", "w"), indent=1)
PY
export XDG_CACHE_HOME=$work/cache   # a fresh export cache, the user's untouched
echo "bench-native: GOMAXPROCS=$threads (both), ONNX Runtime intra_op_threads=$threads, $rounds rounds, $(nproc) cores" >&2
run() { # engine out -> seconds
  local t0 t1
  t0=$(date +%s.%N)
  GOMAXPROCS=$threads "$work/mimo-eval" --model "$work/model" --no-cache --engine "$1" --output-folder "$2" >/dev/null 2>"$2.log" \
    || { cat "$2.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
export_s=$(run onnxruntime "$work/first")
echo "first run on onnxruntime (exports into the cache): ${export_s}s" >&2
g=() o=()
for r in $(seq "$rounds"); do
  g+=("$(run gomlx "$work/g$r")")
  o+=("$(run onnxruntime "$work/o$r")")
  echo "round $r: gomlx ${g[-1]}s, onnxruntime ${o[-1]}s" >&2
done
python3 - "$work" "$rounds" "${g[*]}" "${o[*]}" "$export_s" <<'PY'
import glob, json, os, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
g = [float(x) for x in sys.argv[3].split()]
o = [float(x) for x in sys.argv[4].split()]
def scores(d):
    out = {}
    for p in sorted(glob.glob(d + "/*/*/*.json")):
        if os.path.basename(p) == "model_meta.json":
            continue
        out[os.path.basename(p)] = json.load(open(p))["scores"]
    return out
ref = scores(work + "/g1")
same = all(scores(work + f"/{s}{r}") == ref for s in "go" for r in range(1, rounds + 1))
print("| engine | min s | median s |")
print("|---|---|---|")
print(f"| gomlx (pure-Go backend) | {min(g):.2f} | {statistics.median(g):.2f} |")
print(f"| onnxruntime (cached export) | {min(o):.2f} | {statistics.median(o):.2f} |")
print(f"ratio gomlx/onnxruntime: {min(g)/min(o):.2f}x (min), {statistics.median(g)/statistics.median(o):.2f}x (median); "
      f"first onnxruntime run, export included: {float(sys.argv[5]):.2f}s")
print(f"scores identical on both engines in every round ({len(ref)} tasks): {same}")
print(f"TABLE|native model folder (mimo-mini, mimo-eval on mini): default engine (ONNX Runtime on the cached export) vs the GoMLX graph|{min(g)/min(o):.2f}x min / {statistics.median(g)/statistics.median(o):.2f}x median, scores identical: {same}|2 threads each")
sys.exit(0 if same else 1)
PY
