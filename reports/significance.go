package reports

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// The paired randomisation test's defaults: those of the Python script
// docs/paper-mini used before it moved here (scripts/paired-test.py, removed after 0770d84: 20,000
// draws, numpy.random.default_rng(12345)).
const (
	DefaultDraws = 20000
	DefaultSeed  = 12345
)

// PairedResult is a paired randomisation test of two models' per-query
// scores on one task.
type PairedResult struct {
	// N is the number of queries both models scored (the test's pairs).
	N int
	// MeanDiff is the mean of a - b over those queries (NaN when N = 0).
	MeanDiff float64
	// P is the two-sided p-value, (count + 1) / (draws + 1), where count
	// is the number of draws whose |sum of sign-flipped differences| is at
	// least the observed |sum| (less 1e-12, for rounding); NaN when N = 0.
	P     float64
	Draws int
	Seed  uint64
}

// PairedTest is the two-sided paired sign-flip randomisation test of a
// against b over the query ids both hold: each of draws draws flips the
// sign of every per-query difference a - b with probability 1/2, and the
// p-value counts the draws at least as extreme as the observed sum.
//
// It is scripts/paired-test.py's test (the script docs/paper-mini used),
// bit for bit: the differences are taken in sorted query-id order, and
// draw r's sign for query j is numpy's
// default_rng(seed).integers(0, 2, size=(draws, n))[r, j] * 2 - 1, from
// a generator seeded afresh for each test (numpyRNG), so each p-value is
// reproducible on its own, whatever else a report compares.
func PairedTest(a, b map[string]float64, draws int, seed uint64) PairedResult {
	var ids []string
	for id := range a {
		if _, ok := b[id]; ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	res := PairedResult{N: len(ids), Draws: draws, Seed: seed, MeanDiff: math.NaN(), P: math.NaN()}
	if len(ids) == 0 || draws <= 0 {
		return res
	}
	d := make([]float64, len(ids))
	sum := 0.0
	for i, id := range ids {
		d[i] = a[id] - b[id]
		sum += d[i]
	}
	res.MeanDiff = sum / float64(len(d))
	obs := math.Abs(sum) - 1e-12
	rng := newNumpyRNG(seed)
	count := 0
	for range draws {
		s := 0.0
		for _, x := range d {
			// integers(0, 2): Lemire's bounded draw on a 32-bit output
			// with range 2 is its top bit (never rejected); 1 -> +1.
			if rng.next32()>>31 == 1 {
				s += x
			} else {
				s -= x
			}
		}
		if math.Abs(s) >= obs {
			count++
		}
	}
	res.P = float64(count+1) / float64(draws+1)
	return res
}

// FormatP shows a p-value as the script printed it: "< 0.0001" below
// 1e-4, else four decimals; "–" when there is none.
func FormatP(p float64) string {
	switch {
	case math.IsNaN(p):
		return Missing.Text
	case p < 1e-4:
		return "< 0.0001"
	}
	return strconv.FormatFloat(p, 'f', 4, 64)
}

// numpyRNG is numpy's default generator, numpy.random.default_rng(seed):
// PCG64 (128-bit LCG, XSL-RR output) seeded through SeedSequence, with
// numpy's 32-bit draws (each 64-bit output serves two, low half first).
type numpyRNG struct {
	hi, lo       uint64 // state
	incHi, incLo uint64 // increment (odd)
	half         uint32 // the high half of the last output, unused yet
	hasHalf      bool
}

// PCG64's multiplier, 0x2360ed051fc65da44385df649fccf645.
const pcgMulHi, pcgMulLo = 0x2360ed051fc65da4, 0x4385df649fccf645

func newNumpyRNG(seed uint64) *numpyRNG {
	// SeedSequence(seed).generate_state(4, uint64).
	entropy := []uint32{uint32(seed)}
	if seed>>32 != 0 {
		entropy = append(entropy, uint32(seed>>32))
	}
	w := seedSequence(entropy, 8)
	v := func(i int) uint64 { return uint64(w[2*i]) | uint64(w[2*i+1])<<32 }
	// pcg64_set_seed: state seed = v0:v1, sequence = v2:v3 (high:low);
	// pcg_setseq_128_srandom_r.
	r := &numpyRNG{}
	r.incHi = v(2)<<1 | v(3)>>63
	r.incLo = v(3)<<1 | 1
	r.step()
	var c uint64
	r.lo, c = bits.Add64(r.lo, v(1), 0)
	r.hi, _ = bits.Add64(r.hi, v(0), c)
	r.step()
	return r
}

func (r *numpyRNG) step() {
	hi, lo := bits.Mul64(r.lo, pcgMulLo)
	hi += r.hi*pcgMulLo + r.lo*pcgMulHi
	var c uint64
	r.lo, c = bits.Add64(lo, r.incLo, 0)
	r.hi, _ = bits.Add64(hi, r.incHi, c)
}

// next64 is pcg64_random_r: advance, then the XSL-RR output of the state.
func (r *numpyRNG) next64() uint64 {
	r.step()
	return bits.RotateLeft64(r.hi^r.lo, -int(r.hi>>58))
}

// next32 is numpy's pcg64_next32.
func (r *numpyRNG) next32() uint32 {
	if r.hasHalf {
		r.hasHalf = false
		return r.half
	}
	x := r.next64()
	r.half, r.hasHalf = uint32(x>>32), true
	return uint32(x)
}

// seedSequence is numpy's SeedSequence (pool of 4 words, no spawn key):
// mix the entropy words into the pool, then draw n words from it.
func seedSequence(entropy []uint32, n int) []uint32 {
	const (
		initA, multA = 0x43b0d7e5, 0x931e8875
		initB, multB = 0x8b51f9dd, 0x58f38ded
		mixL, mixR   = 0xca01f9dd, 0x4973f715
		poolSize     = 4
	)
	hc := uint32(initA)
	hashmix := func(v uint32) uint32 {
		v ^= hc
		hc *= multA
		v *= hc
		return v ^ v>>16
	}
	mix := func(x, y uint32) uint32 {
		r := mixL*x - mixR*y
		return r ^ r>>16
	}
	var pool [poolSize]uint32
	for i := range pool {
		var e uint32
		if i < len(entropy) {
			e = entropy[i]
		}
		pool[i] = hashmix(e)
	}
	for src := range pool {
		for dst := range pool {
			if src != dst {
				pool[dst] = mix(pool[dst], hashmix(pool[src]))
			}
		}
	}
	for src := poolSize; src < len(entropy); src++ {
		for dst := range pool {
			pool[dst] = mix(pool[dst], hashmix(entropy[src]))
		}
	}
	out := make([]uint32, n)
	hb := uint32(initB)
	for i := range out {
		v := pool[i%poolSize]
		v ^= hb
		hb *= multB
		v *= hb
		out[i] = v ^ v>>16
	}
	return out
}

// significance writes, per task, paired randomisation tests of one model
// (Options.Baseline, else the task's best by main score) against every
// other model with per-query scores on it (results.SubsetExtras.PerQuery;
// and the cross-language scope's, when the task has one).
func (p *builder) significance(rs []*row, opts Options) {
	for _, task := range allTasks(rs) {
		var use []*row
		for _, r := range rs {
			if s := first(r.entries[task]); s != nil && len(s.PerQuery) > 0 {
				use = append(use, r)
			}
		}
		if len(use) < 2 {
			continue
		}
		base := -1
		for i, r := range use {
			if opts.Baseline != "" && matchesModel(r, opts.Baseline) {
				base = i
				break
			}
		}
		chosen := "named with --baseline"
		if base < 0 {
			chosen = "the best main score on the task"
			for i, r := range use {
				if base < 0 || r.entries[task].MainScore() > use[base].entries[task].MainScore() {
					base = i
				}
			}
		}
		b := first(use[base].entries[task])
		cross := b.CrossLanguage != nil && len(b.CrossLanguage.PerQuery) > 0
		metric := metricLabel(use[base].entries[task].MainMetric)
		t := Table{Header: []string{"Model", "Difference", "p", "Queries"}, Best: map[int]Best{}}
		if cross {
			t.Header = append(t.Header, "Cross-language difference", "p", "Queries")
		}
		cells := func(x PairedResult) []Cell {
			diff := Missing
			if !math.IsNaN(x.MeanDiff) {
				diff = Cell{Text: fmt.Sprintf("%+.2f", 100*x.MeanDiff), Value: 100 * x.MeanDiff, IsNum: true}
			}
			pc := Cell{Text: FormatP(x.P), Value: x.P, IsNum: !math.IsNaN(x.P)}
			return []Cell{diff, pc, Txt(strconv.Itoa(x.N))}
		}
		for i, r := range use {
			if i == base {
				continue
			}
			s := first(r.entries[task])
			row := append([]Cell{Txt(r.label)}, cells(PairedTest(b.PerQuery, s.PerQuery, opts.Draws, opts.Seed))...)
			if cross {
				var other map[string]float64
				if s.CrossLanguage != nil {
					other = s.CrossLanguage.PerQuery
				}
				row = append(row, cells(PairedTest(b.CrossLanguage.PerQuery, other, opts.Draws, opts.Seed))...)
			}
			t.Rows = append(t.Rows, row)
		}
		p.task = task
		p.h(2, "%s: significance against %s (%s)", task, use[base].label, metric)
		scope := ""
		if cross {
			scope = " Cross-language: the same test on the cross-language scores (each query's relevant documents restricted to other languages than its own)."
		}
		p.para("Difference: %s minus each model, mean over the queries both scored, x100 (%s). p: two-sided paired randomisation test, each query's difference sign-flipped at random in each of %d draws (numpy's PCG64 seeded %d, afresh per test), p = (count + 1) / (draws + 1).%s",
			use[base].label, chosen, opts.Draws, opts.Seed, scope)
		p.table(t)
	}
}

// matchesModel says whether name names the row: its label, its model, or
// the last part of either after "/" or "__".
func matchesModel(r *row, name string) bool {
	for _, s := range []string{r.label, r.model} {
		if s == name || strings.HasSuffix(s, "/"+name) || strings.HasSuffix(s, "__"+name) {
			return true
		}
	}
	return false
}
