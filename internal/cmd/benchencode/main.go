// Command benchencode measures the encoding throughput of mimo's ONNX
// encoder (adapters/onnx) on a model folder, for scripts/bench-encode.sh.
//
// It builds the bench inputs from Tatoeba: texts of at least -len tokens
// (sentences of several languages concatenated), truncated to -len tokens by
// the encoder, so every batch is exactly [batch, len]. With -ids it also
// writes the token ids of those texts (JSON, [][]int64), so that another
// runtime (the Node.js onnxruntime binding) can run the same inputs, and
// the first vectors to <ids>.vectors.json for it to compare with.
//
//	benchencode -model DIR -n 256 -batch 32 -len 128 -ids ids.json -rounds 3
//
// Output: one line "go texts/s=<x> encode_s=<seconds> session_s=<seconds>
// tokenize_s=<seconds>": encode_s is the best round's wall time of Encode,
// session_s the time the same round spent inside ONNX Runtime's Run
// (Encoder.SessionTime), so encode_s/session_s - 1 is mimo's overhead over
// the model measured in one process.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/onnx"
	textlines "github.com/mimo-mlir/mimo/internal/lines"
)

func main() {
	model := flag.String("model", "", "model folder (kind onnx)")
	n := flag.Int("n", 256, "number of texts")
	batch := flag.Int("batch", 32, "batch size")
	length := flag.Int("len", 128, "tokens per text (texts are built longer and truncated)")
	idsOut := flag.String("ids", "", "write the token ids of the texts here (JSON)")
	rounds := flag.Int("rounds", 3, "timed passes over the texts (the best is reported)")
	threads := flag.Int("threads", 0, "ONNX Runtime intra-op threads (0: its default)")
	tatoeba := flag.String("tatoeba", "/work/shared/data/tatoeba", "Tatoeba folder")
	flag.Parse()
	if err := run(*model, *n, *batch, *length, *idsOut, *rounds, *threads, *tatoeba); err != nil {
		fmt.Fprintln(os.Stderr, "benchencode:", err)
		os.Exit(1)
	}
}

func run(model string, n, batch, length int, idsOut string, rounds, threads int, tatoeba string) error {
	ctx := context.Background()
	f, err := adapters.ReadFolder(model)
	if err != nil {
		return err
	}
	f.Prompts = nil
	if threads > 0 {
		if f.Options == nil {
			f.Options = map[string]any{}
		}
		f.Options["intra_op_threads"] = float64(threads)
	}
	// The token budget must not split a batch of `batch` texts.
	if f.Options == nil {
		f.Options = map[string]any{}
	}
	f.Options["token_budget"] = float64(batch * length)
	enc, err := onnx.Open(ctx, f, adapters.Options{BatchSize: batch, MaxLength: length})
	if err != nil {
		return err
	}
	defer enc.Close()
	texts, err := benchTexts(tatoeba, n, length, enc)
	if err != nil {
		return err
	}
	t0 := time.Now()
	encs, err := enc.Tokenizer().EncodeBatch(texts, length)
	if err != nil {
		return err
	}
	tokSecs := time.Since(t0).Seconds()
	if idsOut != "" {
		ids := make([][]int64, len(encs))
		for i, e := range encs {
			if len(e.IDs) != length {
				return fmt.Errorf("text %d has %d tokens, want %d", i, len(e.IDs), length)
			}
			ids[i] = e.IDs
		}
		b, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		if err := os.WriteFile(idsOut, b, 0o644); err != nil {
			return err
		}
	}
	req := adapters.Request{Role: adapters.RoleDocument}
	// Warm-up: one batch. Its first vectors go beside the ids, so that the
	// other runtime can check that it computes the same thing.
	req.Texts = texts[:min(batch, len(texts))]
	warm, err := enc.Encode(ctx, req)
	if err != nil {
		return err
	}
	if idsOut != "" {
		b, err := json.Marshal(warm[:min(4, len(warm))])
		if err != nil {
			return err
		}
		if err := os.WriteFile(strings.TrimSuffix(idsOut, ".json")+".vectors.json", b, 0o644); err != nil {
			return err
		}
	}
	best, bestSession := 0.0, 0.0
	for range rounds {
		req.Texts = texts
		in0 := enc.SessionTime()
		t := time.Now()
		if _, err := enc.Encode(ctx, req); err != nil {
			return err
		}
		s := time.Since(t).Seconds()
		if best == 0 || s < best {
			best, bestSession = s, (enc.SessionTime() - in0).Seconds()
		}
	}
	fmt.Printf("go texts/s=%.2f encode_s=%.4f session_s=%.4f tokenize_s=%.3f\n", float64(len(texts))/best, best, bestSession, tokSecs)
	return nil
}

// benchTexts joins Tatoeba sentences of rotating languages until each text
// has at least length tokens.
func benchTexts(dir string, n, length int, enc *onnx.Encoder) ([]string, error) {
	var lines []string
	for _, lang := range []string{"ara", "cmn", "deu", "hin", "jpn", "rus", "vie", "spa"} {
		for _, side := range []string{lang, "eng"} {
			p := filepath.Join(dir, fmt.Sprintf("tatoeba.%s-eng.%s", lang, side))
			file, err := os.Open(p)
			if err != nil {
				return nil, fmt.Errorf("bench texts: %w", err)
			}
			lr := textlines.NewReader(file, p, textlines.DefaultLimit)
			for lr.Scan() {
				if s := strings.TrimSpace(lr.Text()); s != "" {
					lines = append(lines, s)
				}
			}
			file.Close()
			if err := lr.Err(); err != nil {
				return nil, fmt.Errorf("bench texts: %w", err)
			}
		}
	}
	out := make([]string, 0, n)
	k := 0
	for len(out) < n {
		var sb strings.Builder
		for {
			sb.WriteString(lines[(k*7919)%len(lines)]) // a prime stride scatters languages
			sb.WriteByte(' ')
			k++
			ids, err := enc.Tokenizer().Tokens(sb.String())
			if err != nil {
				return nil, err
			}
			if len(ids) >= length {
				break
			}
		}
		out = append(out, sb.String())
	}
	return out, nil
}
