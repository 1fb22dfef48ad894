package treceval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// randomQuery is one query's judgments (sorted by docno, as ReadQrels
// leaves them) and results: docnos from a small pool so that many are
// judged, scores on a coarse grid so that ties are common, and, when dups
// says so, a docno retrieved twice or judged twice.
func randomQuery(rng *rand.Rand, dups bool) ([]Judgment, []Result) {
	pool := 5 + rng.IntN(300)
	doc := func() string { return fmt.Sprintf("d%d", rng.IntN(pool)) }
	var judged []Judgment
	seen := map[string]bool{}
	for range rng.IntN(60) {
		d := doc()
		if seen[d] {
			continue
		}
		seen[d] = true
		judged = append(judged, Judgment{Doc: d, Rel: rng.Int64N(6) - 2, Line: len(judged) + 1})
	}
	n := rng.IntN(600)
	var results []Result
	got := map[string]bool{}
	for len(results) < n && len(got) < pool {
		d := doc()
		if got[d] {
			continue
		}
		got[d] = true
		results = append(results, Result{Doc: d, Sim: float32(rng.IntN(20)) / 4, Line: len(results) + 1})
	}
	if dups && len(results) > 1 && rng.IntN(2) == 0 {
		r := results[rng.IntN(len(results))]
		r.Line = len(results) + 1
		results = append(results, r)
	} else if dups && len(judged) > 0 {
		judged = append(judged, judged[rng.IntN(len(judged))])
	}
	sortJudgments(judged, []int{0, len(judged)})
	return judged, results
}

// TestFastPathMatchesReference: the hash-table and radix-sort path
// (fastRels, what scoring uses) gives bit-identical values to the
// reference path (byte-wise docno sort and merge) on random queries with
// many ties, under every option that changes the ranking or the
// relevance, and hands every query with a docno retrieved or judged twice
// to the reference path, which gives the same error.
func TestFastPathMatchesReference(t *testing.T) {
	ms, err := ParseMeasures(allMeasures)
	if err != nil {
		t.Fatal(err)
	}
	nvals := 0
	for _, m := range ms {
		nvals += len(m.names)
	}
	variants := map[string]func(*Options){
		"default":     func(*Options) {},
		"judged only": func(o *Options) { o.JudgedOnly = true },
		"level 2":     func(o *Options) { o.RelevanceLevel = 2 },
		"level 0":     func(o *Options) { o.RelevanceLevel = 0 },
		"max 0":       func(o *Options) { o.MaxDocs = 0 },
		"max 7":       func(o *Options) { o.MaxDocs = 7 },
		"max 300":     func(o *Options) { o.MaxDocs = 300 },
	}
	for name, set := range variants {
		t.Run(name, func(t *testing.T) {
			opts := DefaultOptions()
			set(&opts)
			rng := rand.New(rand.NewPCG(14, uint64(len(name))))
			var fast, ref evaluator
			fastHits := 0
			for trial := range 400 {
				judged, results := randomQuery(rng, trial%4 == 0)
				want := make([]float64, nvals)
				wantErr := ref.referenceQuery("qrels", "run", "q", judged, results, ms, opts, want)
				got := make([]float64, nvals)
				gotErr := fast.query("qrels", "run", "q", judged, results, ms, opts, got)
				if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
					t.Fatalf("trial %d: err = %v, want %v", trial, gotErr, wantErr)
				}
				if diff := cmp.Diff(valueBits(want), valueBits(got)); diff != "" {
					t.Fatalf("trial %d: values differ (-reference +fast):\n%s", trial, diff)
				}
				data, recs, _ := fast.packResults(results)
				if _, ok := fast.fastRels(data, recs, judged, opts); ok {
					fastHits++
				} else if trial%4 != 0 {
					t.Fatalf("trial %d: a query without repeated docnos left the fast path", trial)
				}
			}
			if fastHits < 250 {
				t.Errorf("fast path taken %d times of 400", fastHits)
			}
		})
	}
}

// valueBits is vals as bit patterns, so that comparisons are exact (NaN too).
func valueBits(vals []float64) []uint64 {
	out := make([]uint64, len(vals))
	for i, v := range vals {
		out[i] = math.Float64bits(v)
	}
	return out
}

// TestRadixSortHigh: the radix sort orders by the high halves and keeps
// the input order of equal ones, for lengths on both sides of its switch
// to a comparison sort (which orders equal halves by the low ones).
func TestRadixSortHigh(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 5, 255, 256, 257, 1000, 5000} {
		for _, spread := range []uint64{1, 3, 1 << 8, 1 << 24, 1 << 32} {
			keys := make([]uint64, n)
			for i := range keys {
				keys[i] = rng.Uint64N(spread)<<32 | uint64(rng.Uint32())
			}
			want := slices.Clone(keys)
			if n < 256 {
				slicesSort(want)
			} else {
				stableByHigh(want)
			}
			got, _ := radixSortHigh(keys, make([]uint64, n))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("n %d spread %d: (-want +got):\n%s", n, spread, diff)
			}
		}
	}
}

func slicesSort(k []uint64) {
	for i := 1; i < len(k); i++ {
		for j := i; j > 0 && k[j] < k[j-1]; j-- {
			k[j], k[j-1] = k[j-1], k[j]
		}
	}
}

func stableByHigh(k []uint64) {
	for i := 1; i < len(k); i++ {
		for j := i; j > 0 && k[j]>>32 < k[j-1]>>32; j-- {
			k[j], k[j-1] = k[j-1], k[j]
		}
	}
}

// TestDecimalScore: the fast score reader gives cAtof's value narrowed to
// float32, bit for bit, on what run writers print, and declines anything
// else (exponents, inf, nan, hex, trailing junk, too many digits).
func TestDecimalScore(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var cases []string
	for range 20000 {
		v := (rng.Float64() - 0.3) * math.Pow(10, float64(rng.IntN(12)-4))
		cases = append(cases, strconv.FormatFloat(v, 'f', rng.IntN(12), 64))
	}
	cases = append(cases, "0", "-0", "+0.5", "-0.000000", ".5", "5.", "-.25", "007.50",
		"123456789012345", "0.00000000000001", "999999999999999", "9007199254740993",
		"1234567890123456", "0.1234567890123456", "1e5", "inf", "nan", "0x1p3", "1.5x", "1.2.3", "-", "+", ".", "")
	for _, s := range cases {
		got, ok := decimalScore([]byte(s))
		want := float32(cAtof(s))
		digits := 0
		for _, c := range s {
			if c >= '0' && c <= '9' {
				digits++
			}
		}
		plain := s != "" && strings.Trim(s, "+-.0123456789") == "" && strings.Count(s, ".") <= 1 &&
			strings.LastIndexAny(s, "+-") <= 0 && digits > 0 && digits <= 15
		if ok != plain {
			t.Errorf("%q: ok = %v, want %v", s, ok, plain)
		}
		if ok && math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("%q: %v (%#x), want cAtof's %v (%#x)", s, got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
}

// TestParseBytesMatchesParse: parsing a chunk's bytes in place (the
// streaming scorer's) reads the same lines, scores and queries, with the
// same line numbers and the same first error, as ReadRun's parse.
func TestParseBytesMatchesParse(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	seps := []string{" ", "\t", "  ", " \r", "\v", "\f"}
	sep := func() string { return seps[rng.IntN(len(seps))] }
	for trial := range 300 {
		var b strings.Builder
		for range rng.IntN(40) {
			switch rng.IntN(30) {
			case 0:
				b.WriteString(sep() + "\n") // blank
			case 1:
				b.WriteString("q1 Q0 d 1\n") // malformed
			case 2:
				b.WriteString("q1 Q0 d 1 nan t\n")
			default:
				// Docnos long enough to be scanned a word at a time, some
				// with control characters (not separators) and UTF-8.
				doc := []string{"d%d", "document-%d-abcdefghijklmnop", "x\x01y\x1fz%d\x7f", "é文%d-ü", "%d\x00\x08abcdefgh"}[rng.IntN(5)]
				fmt.Fprintf(&b, "%sq%d%sQ0%s"+doc+"%s%d%s%s%stag\x02long-tag%s", sep(), rng.IntN(3), sep(), sep(), rng.IntN(50), sep(), rng.IntN(9),
					sep(), []string{"0.5", "-1.25", "1e-3", "0x1p-2", "7", ".5abc", "1.2.3"}[rng.IntN(7)], sep(), []string{"\n", "\r\n", " extra\n"}[rng.IntN(3)])
			}
		}
		text := b.String()
		if rng.IntN(4) == 0 {
			text = strings.TrimSuffix(text, "\n")
		}
		first := 1 + rng.IntN(100)
		ref := runChunk{text: text, firstLine: first}
		ref.parse("run")
		var rb runBytes
		data := []byte(text)
		rb.parse("run", data, first)
		if fmt.Sprint(rb.err) != fmt.Sprint(ref.err) {
			t.Fatalf("trial %d: err = %v, want %v\n%q", trial, rb.err, ref.err, text)
		}
		if ref.err != nil {
			continue
		}
		type line struct {
			Qid, Doc string
			Sim      uint32
			Line     int
		}
		var want, got []line
		for _, s := range ref.segs {
			for _, r := range s.res {
				want = append(want, line{s.qid, r.Doc, math.Float32bits(r.Sim), r.Line})
			}
		}
		for _, sp := range rb.spans {
			// Re-parsing a span's bytes from its line gives its lines' numbers.
			again := runChunk{text: string(data[sp.start:sp.end]), firstLine: sp.line}
			again.parse("run")
			for i, r := range rb.recs[sp.lo:sp.hi] {
				got = append(got, line{string(data[sp.qlo:sp.qhi]), string(data[r.doc : r.doc+r.dlen]), math.Float32bits(r.sim), again.segs[0].res[i].Line})
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("trial %d: (-parse +parse bytes):\n%s\n%q", trial, diff, text)
		}
		if len(rb.spans) != len(ref.segs) || (ref.nonBlank && string(data[rb.tagLo:rb.tagHi]) != ref.tag) || rb.nonBlank != ref.nonBlank {
			t.Fatalf("trial %d: %d spans, tag %q; want %d, %q", trial, len(rb.spans), data[rb.tagLo:rb.tagHi], len(ref.segs), ref.tag)
		}
	}
}
