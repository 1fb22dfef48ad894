#!/usr/bin/env bash
# bench-encode.sh: what mimo adds to a model's own run time, in two
# side-by-side measurements (issue 14), interleaved rounds, min and median.
#
# 1. Overhead over the raw ONNX Runtime session. mimo's ONNX encoder
#    (adapters/onnx, through internal/cmd/benchencode) is timed end to end
#    on N texts of 128 tokens, batch 32: tokenisation, batching, padding,
#    the session, mean pooling, L2. Two baselines for the model's own time:
#    (a) in the same process, the time spent inside ONNX Runtime's Run for
#    those batches (Encoder.SessionTime): overhead = encode / in-run - 1,
#    exactly what mimo adds around the model (goal <= 5%); (b) in another
#    runtime, session.run alone for the same batches of the same ids with
#    onnxruntime-node (the same ONNX Runtime 1.30.0 library, same model,
#    same intra-op threads), which checks that mimo's session is not itself
#    slower than a plain binding's: ratio = mimo encode / node session - 1.
#    Both sides check they compute the same vectors. The model is a
#    BERT-shaped encoder (hidden 384, 6 layers) generated at bench time by
#    tools/tinymodel/gen.py --bench (needs python3-torch; not committed).
# 2. Tokenisation against SentencePiece's own encoder: Debian's spm_encode
#    (C++) and mimo's tokenizer (tokenize/, on the tokenizer.json
#    exported from the same spm.model) each read the same Tatoeba lines and
#    print their ids, one process per round, one thread each; the token
#    counts per line must agree. Ratio = spm_encode time / mimo time
#    (above 1: mimo faster).
#
#   scripts/bench-encode.sh          # N=256 ROUNDS=3 THREADS=$(nproc) LINES=260000 PARTS="session tokenize"
#
# Each part says why it is skipped when what it needs is missing
# (python3-torch, node/npm, Debian's sentencepiece package).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
N="${N:-256}"
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-$(nproc)}"
LINES="${LINES:-260000}"
PARTS="${PARTS:-session tokenize}"
TATOEBA="${TATOEBA:-/work/shared/data/tatoeba}"
work="$root/.cache/bench-encode"
mkdir -p "$work/node"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# stat FILE: "min median" of the numbers in FILE.
stat() {
	sort -g "$1" | awk '{ v[NR] = $1 } END { printf "%s %s\n", v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

session_part() {
	if ! /usr/bin/python3 -c 'import torch' 2> /dev/null; then
		echo "session overhead: skipped: the bench model is generated with PyTorch and /usr/bin/python3 has no torch (apt-get install -y python3-torch)"
		printf 'TABLE|mimo ONNX encoder overhead over the raw ONNX Runtime session|not measured: python3-torch missing|\n'
		return
	fi
	if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
		echo "session overhead: skipped: node and npm are needed for onnxruntime-node (apt-get install -y nodejs npm)"
		printf 'TABLE|mimo ONNX encoder overhead over the raw ONNX Runtime session|not measured: node missing|\n'
		return
	fi
	scripts/get-onnxruntime.sh > /dev/null
	if [[ ! -s "$work/model/model.onnx" ]]; then
		echo "generating the bench model ..." >&2
		/usr/bin/python3 tools/tinymodel/gen.py --bench "$work/model" > "$tmp/gen.log" 2>&1 || {
			echo "session overhead: skipped: tools/tinymodel/gen.py --bench failed:" >&2
			tail -5 "$tmp/gen.log" >&2
			return
		}
	fi
	if [[ ! -d "$work/node/node_modules/onnxruntime-node" ]]; then
		(cd "$work/node" && { [[ -f package.json ]] || echo '{"name":"mimo-bench","private":true}' > package.json; } &&
			npm install --silent --ignore-scripts --no-audit --no-fund onnxruntime-node@1.30.0 > /dev/null)
	fi
	go build -o "$work/benchencode" ./internal/cmd/benchencode
	echo "session overhead: model BERT 384x6 (generated), $N texts x 128 tokens, batch 32, ORT intra-op threads $THREADS on both sides"
	: > "$tmp/mimo"
	: > "$tmp/inrun"
	: > "$tmp/session"
	for r in $(seq "$ROUNDS"); do
		go_line="$("$work/benchencode" -model "$work/model" -n "$N" -batch 32 -len 128 -ids "$work/ids.json" -threads "$THREADS" -rounds 1)"
		node_line="$(node scripts/bench-encode.cjs "$work/node" "$work/model/model.onnx" "$work/ids.json" 32 "$THREADS" 1)"
		g=$(sed -n 's/.*encode_s=\([0-9.]*\).*/\1/p' <<< "$go_line")
		i=$(sed -n 's/.*session_s=\([0-9.]*\).*/\1/p' <<< "$go_line")
		s=$(sed -n 's/.*session_s=\([0-9.]*\).*/\1/p' <<< "$node_line")
		echo "$g" >> "$tmp/mimo"
		echo "$i" >> "$tmp/inrun"
		echo "$s" >> "$tmp/session"
		echo "round $r: $go_line | $node_line"
	done
	read -r g_min g_med < <(stat "$tmp/mimo")
	read -r i_min i_med < <(stat "$tmp/inrun")
	read -r s_min s_med < <(stat "$tmp/session")
	# Per round, the overhead over the same round's in-run time.
	paste "$tmp/mimo" "$tmp/inrun" | awk '{ printf "%.6f\n", 100 * ($1 / $2 - 1) }' > "$tmp/over"
	read -r o_min o_med < <(stat "$tmp/over")
	printf 'mimo encode min %.3f s median %.3f s; inside ONNX Runtime Run (same process) min %.3f s median %.3f s; overhead %+.1f%% (min) %+.1f%% (median)\n' \
		"$g_min" "$g_med" "$i_min" "$i_med" "$o_min" "$o_med"
	printf 'onnxruntime-node session.run alone min %.3f s median %.3f s; mimo end to end vs it %+.1f%% (min) %+.1f%% (median)\n' \
		"$s_min" "$s_med" "$(echo "100 * ($g_min / $s_min - 1)" | bc -l)" "$(echo "100 * ($g_med / $s_med - 1)" | bc -l)"
	printf 'TABLE|mimo ONNX encoder overhead over its own ONNX Runtime Run time (tokenise, batch, pad, pool)|%+.1f%% min / %+.1f%% median|ORT %s intra-op threads\n' \
		"$o_min" "$o_med" "$THREADS"
	printf 'TABLE|mimo ONNX encoder end to end vs onnxruntime-node session.run alone|%+.1f%% min / %+.1f%% median|ORT %s intra-op threads each\n' \
		"$(echo "100 * ($g_min / $s_min - 1)" | bc -l)" "$(echo "100 * ($g_med / $s_med - 1)" | bc -l)" "$THREADS"
}

tokenize_part() {
	spm_model=tokenize/testdata/spm-unigram/spm.model
	tok_json=tokenize/testdata/spm-unigram/tokenizer.json
	if ! command -v spm_encode > /dev/null; then
		echo "tokenisation: skipped: spm_encode not found (Debian's sentencepiece package: apt-get install -y sentencepiece)"
		printf 'TABLE|tokenisation vs SentencePiece spm_encode|not measured: spm_encode missing|\n'
		return
	fi
	# Tatoeba lines of several languages, no blank lines, repeated until
	# there are LINES of them (the files hold ~26,000: one pass takes
	# ~0.1 s, too close to the timer's 10 ms resolution).
	for f in "$TATOEBA"/tatoeba.*-eng.*; do
		cat "$f"
	done | awk 'NF' > "$tmp/once"
	if [[ ! -s "$tmp/once" ]]; then
		echo "tokenisation: no Tatoeba lines under $TATOEBA (set TATOEBA)" >&2
		exit 1
	fi
	: > "$tmp/texts"
	while [[ $(wc -l < "$tmp/texts") -lt "$LINES" ]]; do
		cat "$tmp/once" >> "$tmp/texts"
	done
	head -n "$LINES" "$tmp/texts" > "$tmp/texts.n" && mv "$tmp/texts.n" "$tmp/texts"
	# mimo's side: a tiny main over tokenize/ through a build
	# overlay, so nothing is written into the repository.
	cat > "$tmp/main.go" << 'GO'
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"

	"github.com/mimo-mlir/mimo/tokenize"
)

// Reads lines from stdin and prints each line's content ids (no special
// tokens), space-separated, as spm_encode --output_format=id does.
func main() {
	tok, err := tokenize.Load(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	var b []byte
	for in.Scan() {
		ids, err := tok.Tokens(in.Text())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		b = b[:0]
		for i, id := range ids {
			if i > 0 {
				b = append(b, ' ')
			}
			b = strconv.AppendInt(b, id, 10)
		}
		b = append(b, '\n')
		out.Write(b)
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out.Flush()
}
GO
	printf '{"Replace":{"%s/internal/benchtokenize/main.go":"%s/main.go"}}' "$root" "$tmp" > "$tmp/overlay.json"
	go build -overlay "$tmp/overlay.json" -o "$tmp/tokenize" ./internal/benchtokenize
	echo "tokenisation: $(wc -l < "$tmp/texts") Tatoeba lines ($(du -k "$tmp/texts" | cut -f1) KB), $spm_model; one thread each (GOMAXPROCS=1; spm_encode is single-threaded)"
	: > "$tmp/t.mimo"
	: > "$tmp/t.spm"
	for r in $(seq "$ROUNDS"); do
		/usr/bin/time -o "$tmp/t" -f %e env GOMAXPROCS=1 "$tmp/tokenize" "$tok_json" < "$tmp/texts" > "$tmp/ids.mimo"
		cat "$tmp/t" >> "$tmp/t.mimo"
		/usr/bin/time -o "$tmp/t" -f %e spm_encode --model="$spm_model" --output_format=id < "$tmp/texts" > "$tmp/ids.spm"
		cat "$tmp/t" >> "$tmp/t.spm"
		if ! cmp -s <(awk '{ print NF }' "$tmp/ids.mimo") <(awk '{ print NF }' "$tmp/ids.spm"); then
			echo "tokenisation: token counts per line differ from spm_encode's" >&2
			exit 1
		fi
		echo "round $r: mimo $(tail -1 "$tmp/t.mimo") s, spm_encode $(tail -1 "$tmp/t.spm") s, token counts equal on every line ($(awk '{ n += NF } END { print n }' "$tmp/ids.spm") tokens)"
	done
	read -r m_min m_med < <(stat "$tmp/t.mimo")
	read -r p_min p_med < <(stat "$tmp/t.spm")
	printf 'tokenisation: mimo min %s s median %s s, spm_encode min %s s median %s s; throughput mimo/spm_encode %.2fx (min) %.2fx (median)\n' \
		"$m_min" "$m_med" "$p_min" "$p_med" "$(echo "$p_min / $m_min" | bc -l)" "$(echo "$p_med / $m_med" | bc -l)"
	printf 'TABLE|tokenisation vs SentencePiece spm_encode %s, same lines|%.2fx min / %.2fx median|1 thread each\n' \
		"$(spm_encode --version 2> /dev/null | head -1 || true)" "$(echo "$p_min / $m_min" | bc -l)" "$(echo "$p_med / $m_med" | bc -l)"
}

for part in $PARTS; do
	case "$part" in
	session) session_part ;;
	tokenize) tokenize_part ;;
	*)
		echo "bench-encode: unknown part $part in PARTS (want session, tokenize)" >&2
		exit 2
		;;
	esac
done
