#!/usr/bin/env bash
# Encoding throughput of mimo's ONNX encoder (Go, adapters/onnx) against
# onnxruntime-node's own Node.js binding: same ONNX Runtime 1.30.0 library,
# same model, same texts, batch 32, 128 tokens per text, best of ROUNDS.
#
# The model is a BERT-shaped encoder (hidden 384, 6 layers, 6 heads,
# intermediate 1536, token_type_ids input) generated at bench time by
# tools/tinymodel/gen.py --bench (not committed). Texts are multilingual
# Tatoeba sentences joined until >= 128 tokens and truncated to 128.
#
# Go is timed end to end (tokenisation + padding + ORT + mean pooling + L2);
# Node is given the ids pre-tokenised by our tokenizer (tokenisation is not
# timed on its side) and does padding, ORT, mean pooling and L2 in JS.
#
#   scripts/bench-encode.sh          # N=256 ROUNDS=3 THREADS=$(nproc)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
N="${N:-256}"
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-$(nproc)}"
work="$root/.cache/bench-encode"
mkdir -p "$work/node"

scripts/get-onnxruntime.sh >/dev/null
if [[ ! -s "$work/model/model.onnx" ]]; then
  echo "generating the bench model (needs /usr/bin/python3 with python3-torch)..." >&2
  /usr/bin/python3 tools/tinymodel/gen.py --bench "$work/model" >/dev/null 2>&1
fi
if [[ ! -d "$work/node/node_modules/onnxruntime-node" ]]; then
  (cd "$work/node" && [[ -f package.json ]] || echo '{"name":"mimo-bench","private":true}' > package.json
   cd "$work/node" && npm install --silent --ignore-scripts --no-audit --no-fund onnxruntime-node@1.30.0 >/dev/null)
fi
go build -o "$work/benchencode" ./internal/cmd/benchencode

echo "model: BERT 384x6 (generated), texts: $N x 128 tokens, batch 32, threads $THREADS, best of $ROUNDS"
go_line="$("$work/benchencode" -model "$work/model" -n "$N" -batch 32 -len 128 -ids "$work/ids.json" -threads "$THREADS" -rounds "$ROUNDS")"
node_line="$(node scripts/bench-encode.cjs "$work/node" "$work/model/model.onnx" "$work/ids.json" 32 "$THREADS" "$ROUNDS")"
echo "$go_line"
echo "$node_line"
go_tps="$(sed -n 's/.*texts\/s=\([0-9.]*\).*/\1/p' <<<"$go_line")"
node_tps="$(sed -n 's/.*texts\/s=\([0-9.]*\).*/\1/p' <<<"$node_line")"
awk -v g="$go_tps" -v n="$node_tps" 'BEGIN { printf "ratio go/node = %.3f\n", g / n }'
