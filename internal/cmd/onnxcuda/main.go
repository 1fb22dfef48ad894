// Command onnxcuda checks the ONNX Runtime CUDA path (mimo-eval --device
// cuda) against the CPU: it encodes a fixed text set with one ONNX model
// folder on the CPU and on a CUDA device and compares the vectors, for
// scripts/gpu-check.sh.
//
//	onnxcuda -model adapters/onnx/testdata/tiny-xlmr -device cuda:0
//
// Tolerance: every CUDA vector must have a cosine of at least -cos with its
// CPU twin and differ from it by at most -abs in every component (both
// L2-normalised first). Equality is not expected: the CUDA kernels sum in
// other orders, and ONNX Runtime's CUDA provider may use TF32 matrix
// products on Ampere and later GPUs (10-bit mantissa), which the default
// tolerance allows for.
//
// Exit status: 0 within tolerance, 1 outside it or on an error, 3 when the
// CUDA provider cannot be used (onnx.ErrNoCUDA: a CPU build of the library,
// no GPU, missing CUDA libraries), with the reason on stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/onnx"
)

// texts is the fixed set: several scripts and lengths, one long enough to
// be truncated by small models.
var texts = []string{
	"The quick brown fox jumps over the lazy dog.",
	"Der schnelle braune Fuchs springt über den faulen Hund.",
	"敏捷的棕色狐狸跳过了懒狗。",
	"Быстрая бурая лиса перепрыгивает через ленивую собаку.",
	"ثعلب بني سريع يقفز فوق الكلب الكسول",
	"query: what is the capital of France?",
	"a",
	"Retrieval evaluation compares ranked lists with relevance judgements; " +
		"multilingual retrieval asks the same of queries and documents in many languages, " +
		"where a model may prefer documents in the query's own language over better ones in another.",
}

func main() {
	model := flag.String("model", "adapters/onnx/testdata/tiny-xlmr", "ONNX model folder (kind onnx)")
	device := flag.String("device", "cuda:0", "the CUDA device to compare with the CPU")
	lib := flag.String("ort-lib", "", "libonnxruntime.so (default $ONNXRUNTIME_LIB, then the project's)")
	minCos := flag.Float64("cos", 0.9999, "least cosine between a CPU vector and its CUDA twin")
	maxAbs := flag.Float64("abs", 2e-3, "largest difference in any component of normalised vectors")
	flag.Parse()
	code, err := run(*model, *device, *lib, *minCos, *maxAbs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "onnxcuda:", err)
	}
	os.Exit(code)
}

func run(model, device, lib string, minCos, maxAbs float64) (int, error) {
	ctx := context.Background()
	f, err := adapters.ReadFolder(model)
	if err != nil {
		return 1, err
	}
	encode := func(dev string) ([][]float32, error) {
		e, err := onnx.Open(ctx, f, adapters.Options{Device: dev, ORTLibrary: lib})
		if err != nil {
			return nil, err
		}
		defer e.Close()
		return e.Encode(ctx, adapters.Request{Role: adapters.RoleDocument, Texts: texts})
	}
	cpu, err := encode("cpu")
	if err != nil {
		return 1, fmt.Errorf("cpu: %w", err)
	}
	gpu, err := encode(device)
	if errors.Is(err, onnx.ErrNoCUDA) {
		return 3, err
	}
	if err != nil {
		return 1, fmt.Errorf("%s: %w", device, err)
	}
	worstCos, worstAbs := 1.0, 0.0
	for i := range texts {
		c, a := compare(cpu[i], gpu[i])
		worstCos, worstAbs = min(worstCos, c), max(worstAbs, a)
	}
	fmt.Printf("onnx %s vs cpu: %d texts, dim %d, min cosine %.7f (tolerance >= %g), max |diff| %.2e (tolerance <= %g)\n",
		device, len(texts), len(cpu[0]), worstCos, minCos, worstAbs, maxAbs)
	if worstCos < minCos || worstAbs > maxAbs || math.IsNaN(worstCos) {
		return 1, errors.New("CUDA vectors outside the tolerance")
	}
	return 0, nil
}

// compare is the cosine of a and b and the largest component difference
// of the two normalised.
func compare(a, b []float32) (cos, maxAbs float64) {
	if len(a) != len(b) {
		return math.NaN(), math.Inf(1)
	}
	var na, nb, dot float64
	for i := range a {
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
		dot += float64(a[i]) * float64(b[i])
	}
	na, nb = math.Sqrt(na), math.Sqrt(nb)
	for i := range a {
		maxAbs = max(maxAbs, math.Abs(float64(a[i])/na-float64(b[i])/nb))
	}
	return dot / (na * nb), maxAbs
}
