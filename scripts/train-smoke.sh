#!/usr/bin/env bash
# train-smoke: every training method runs a few optimiser steps on real data
# read at run time from the shared data folder (Tatoeba sentence pairs for
# MIMO stage 1, XQuAD training articles for the rest) with a tiny XLM-R
# student (adapters/onnx/testdata/tiny-xlmr; MIMO also with the tiny
# ModernBERT of transformer/testdata, mmBERT's architecture) and a
# lexical teacher, and each
# resulting model folder is evaluated on the mini benchmark when
# cmd/mimo-eval exists. Called by `make train-smoke`.
#
#   scripts/train-smoke.sh [OUT_DIR]
#
# Environment: MIMO_DATA (default ../shared/data relative to the repo root),
# SMOKE_STEPS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data=${MIMO_DATA:-$root/../shared/data}
steps=${SMOKE_STEPS:-2}
out=${1:-$(mktemp -d /tmp/mimo-train-smoke.XXXXXX)}
student=$root/adapters/onnx/testdata/tiny-xlmr
modernbert=$root/transformer/testdata/tiny-modernbert

for d in "$data/tatoeba" "$data/xquad"; do
  if [ ! -d "$d" ]; then
    echo "train-smoke: $d is absent; set MIMO_DATA to the shared data folder" >&2
    exit 1
  fi
done
if [ ! -f "$student/model.safetensors" ]; then
  echo "train-smoke: tiny student $student is missing" >&2
  exit 1
fi

mkdir -p "$out/bin" "$out/teacher-model"
export GOMLX_BACKEND=go
go build -o "$out/bin/" ./cmd/mimo-train ./cmd/mimo-export
have_eval=0
if [ -f cmd/mimo-eval/main.go ]; then
  go build -o "$out/bin/mimo-eval" ./cmd/mimo-eval && have_eval=1
fi

# A small lexical teacher (hashed character n-grams, 256-d): any encoder the
# harness supports can be the teacher; its English-side vectors are cached
# once under $out/teacher and shared by the runs below.
cat >"$out/teacher-model/mimo-model.json" <<JSON
{"kind": "lexical", "name": "lexical-256", "dim": 256}
JSON

common=(--steps "$steps" --batch 8 --mini-batch 4 --max-length 32
  --lr 1e-4 --warmup 0 --checkpoint-every 1 --quiet
  --teacher "$out/teacher-model" --teacher-cache "$out/teacher"
  --langs ar,de,en,es,hi,ru,vi,zh)
rows=(--rows "xquad:$data/xquad")
pairs=(--pairs "tatoeba:$data/tatoeba")

# run NAME [STUDENT] -- FLAGS...: one method, then its evaluation.
run() {
  local name=$1; shift
  local st=$student
  if [ "${1:-}" != "--" ]; then st=$1; shift; fi
  shift # --
  local t0=$SECONDS
  "$out/bin/mimo-train" --student "$st" "$@" "${common[@]}" --output "$out/$name" >"$out/$name.summary.json"
  test -f "$out/$name/mimo-model.json"
  local last
  last=$(tail -n 1 "$out/$name/train-log.jsonl")
  echo "train-smoke: $name trained in $((SECONDS - t0))s; last step: $last"
  if [ "$have_eval" = 1 ]; then
    if "$out/bin/mimo-eval" --model "$out/$name" --tasks mini --cache-dir "$out/cache" --output "$out/eval-$name" >"$out/eval-$name.log" 2>&1; then
      echo "train-smoke: $name evaluated on mini:"
      tail -n 12 "$out/eval-$name.log" | sed 's/^/    /'
    elif grep -q 'kind "native": unknown model kind' "$out/eval-$name.log"; then
      echo "train-smoke: WARNING: this tree's mimo-eval does not register model kind \"native\" (adapters/resolver must import adapters/native); $name not evaluated" >&2
    else
      echo "train-smoke: mimo-eval failed on $name:" >&2
      tail -n 20 "$out/eval-$name.log" >&2
      exit 1
    fi
  fi
}

run infonce -- --method infonce "${rows[@]}"
run xlco -- --method xlco "${rows[@]}"
run lakda -- --method lakda "${rows[@]}"
run mimo -- --method mimo "${rows[@]}" "${pairs[@]}"
run mimo-modernbert "$modernbert" -- --method mimo "${rows[@]}" "${pairs[@]}"

# The ModernBERT student as ONNX: the same scores through ONNX Runtime.
if [ "$have_eval" = 1 ]; then
  "$out/bin/mimo-export" --model "$out/mimo-modernbert" --output "$out/mimo-modernbert-onnx"
  "$out/bin/mimo-eval" --model "$out/mimo-modernbert-onnx" --tasks mini --cache-dir "$out/cache" --output "$out/eval-mimo-modernbert" >"$out/eval-mimo-modernbert-onnx.log" 2>&1
  native_score=$(grep -h '│     MiniMLIR' "$out/eval-mimo-modernbert.log" | tail -1)
  onnx_score=$(grep -h '│     MiniMLIR' "$out/eval-mimo-modernbert-onnx.log" | tail -1)
  echo "train-smoke: mimo-modernbert native: $native_score"
  echo "train-smoke: mimo-modernbert onnx:   $onnx_score"
  if [ "$native_score" != "$onnx_score" ]; then
    echo "train-smoke: the ONNX export scores differently from the native model" >&2
    exit 1
  fi
fi
echo "train-smoke: ok ($out)"
