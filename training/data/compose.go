package data

import (
	"fmt"
	"math/rand/v2"
)

// Streams of the seeded generator, so that each decision has its own
// independent random sequence derived from the one run seed.
const (
	streamPairs    = 0x5041495253 // "PAIRS"
	streamPositive = 0x504f53     // "POS"
	streamOrder    = 0x4f52444552 // "ORDER"
)

// RoundRobin assigns one of k units to each of n rows: rows are dealt in
// cycles of k, and each cycle is a fresh seeded permutation of 0..k-1. Every
// unit gets floor(n/k) or floor(n/k)+1 rows (the n%k extra ones are the first
// entries of the last, partial cycle's permutation).
func RoundRobin(n, k int, seed, stream uint64) []int {
	out := make([]int, n)
	r := rand.New(rand.NewPCG(seed, stream))
	for start := 0; start < n; start += k {
		perm := r.Perm(k)
		copy(out[start:min(start+k, n)], perm)
	}
	return out
}

// LangPair is an ordered (first, second) language pair.
type LangPair struct{ A, B string }

// OrderedPairs are the len(langs)*(len(langs)-1) ordered pairs XX != YY
// (182 for the 14 languages), in langs order.
func OrderedPairs(langs []string) []LangPair {
	var out []LangPair
	for _, a := range langs {
		for _, b := range langs {
			if a != b {
				out = append(out, LangPair{a, b})
			}
		}
	}
	return out
}

// SameLanguagePairs are the (L, L) pairs (14 for the 14 languages).
func SameLanguagePairs(langs []string) []LangPair {
	out := make([]LangPair, len(langs))
	for i, l := range langs {
		out[i] = LangPair{l, l}
	}
	return out
}

// Example says which languages one row is used in.
//
//	InfoNCE, XLCO, MIMO stage 2: query in QLang, positive in PLang
//	LaKDA: queries in QLang and QLang2, positive in PLang
type Example struct {
	Row                  int
	QLang, QLang2, PLang string
}

// Method names the data compositions.
type Method string

const (
	MethodInfoNCE Method = "infonce"
	MethodXLCO    Method = "xlco"
	MethodLaKDA   Method = "lakda"
	MethodMIMO    Method = "mimo"
)

// Compose assigns languages to rows 0..n-1 for method over langs, seeded:
//
//   - xlco, mimo: the ordered pairs (XX, YY), XX != YY, round-robin;
//   - infonce: the same-language pairs (L, L), round-robin;
//   - lakda: the query pair (XX, YY) as for mimo, and the positive language
//     round-robin over langs on an independent stream.
func Compose(method Method, n int, langs []string, seed uint64) ([]Example, error) {
	if len(langs) < 2 && method != MethodInfoNCE {
		return nil, fmt.Errorf("compose %s: need at least two languages, have %v", method, langs)
	}
	if len(langs) == 0 {
		return nil, fmt.Errorf("compose %s: no languages", method)
	}
	out := make([]Example, n)
	switch method {
	case MethodXLCO, MethodMIMO:
		pairs := OrderedPairs(langs)
		for i, k := range RoundRobin(n, len(pairs), seed, streamPairs) {
			out[i] = Example{Row: i, QLang: pairs[k].A, PLang: pairs[k].B}
		}
	case MethodInfoNCE:
		pairs := SameLanguagePairs(langs)
		for i, k := range RoundRobin(n, len(pairs), seed, streamPairs) {
			out[i] = Example{Row: i, QLang: pairs[k].A, PLang: pairs[k].B}
		}
	case MethodLaKDA:
		pairs := OrderedPairs(langs)
		pos := RoundRobin(n, len(langs), seed, streamPositive)
		for i, k := range RoundRobin(n, len(pairs), seed, streamPairs) {
			out[i] = Example{Row: i, QLang: pairs[k].A, QLang2: pairs[k].B, PLang: langs[pos[i]]}
		}
	default:
		return nil, fmt.Errorf("compose: unknown method %q (want infonce, xlco, lakda or mimo)", method)
	}
	return out, nil
}

// Order is the seeded order in which one epoch visits n items.
func Order(n int, seed uint64) []int {
	return rand.New(rand.NewPCG(seed, streamOrder)).Perm(n)
}
