package metrics

import "math"

//go:generate sh -c "cc -O0 -fno-builtin -o /tmp/genlog2 internal/genlog2/genlog2.c -lm && /tmp/genlog2 4097 > log2_table.go && gofmt -w log2_table.go"

// Log2 returns log2(n) exactly as glibc's log2 computes it for the integer
// n, which is what trec_eval (and so pytrec_eval and MTEB) divides each
// gain by. Go's math.Log2 is not correctly rounded and differs from glibc in
// the last bit for some integers (3 is one), which changes nDCG in the 16th
// digit and, rarely, a rounded score. For 0 <= n < len(log2Bits) the value
// comes from a table generated once by internal/genlog2 (a C program calling
// glibc); beyond the table it falls back to math.Log2.
func Log2(n int) float64 {
	if n >= 0 && n < len(log2Bits) {
		return math.Float64frombits(log2Bits[n])
	}
	return math.Log2(float64(n))
}

// Log2TableSize is the number of integers n (0..Log2TableSize-1) for which
// Log2 is bit-identical to glibc.
const Log2TableSize = len(log2Bits)
