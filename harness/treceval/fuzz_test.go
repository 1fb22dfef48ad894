package treceval

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Fuzz targets for the qrels and run readers and for scoring what they
// read (issue 12, "Fuzzing, in CI"). The invariant: no panic, no hang, no
// allocation that grows with a number in the input rather than its size;
// an error is non-empty and names the file. Seeds: the f.Add calls below
// and testdata/fuzz/FuzzXxx/ (regression inputs, "go test fuzz v1").

// fuzzMaxInput bounds the inputs the targets look at; larger ones are
// skipped so that a run measures the parser, not the copying of megabytes.
const fuzzMaxInput = 1 << 20

// fuzzSeedFile adds the first fuzzMaxInput bytes of a testdata file as a
// seed, so that the corpus starts from the files the golden tests use.
func fuzzSeedFile(f *testing.F, path string) []byte {
	f.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	if len(b) > 4096 {
		b = b[:4096] // a prefix is enough to seed the structure
		if i := bytes.LastIndexByte(b, '\n'); i > 0 {
			b = b[:i+1]
		}
	}
	return b
}

// checkFuzzErr fails on an error that says nothing or does not name the
// input.
func checkFuzzErr(t *testing.T, err error, name string) {
	t.Helper()
	msg := err.Error()
	if strings.TrimSpace(msg) == "" {
		t.Fatalf("empty error %#v", err)
	}
	if !strings.Contains(msg, name) {
		t.Fatalf("error %q does not name the input %q", msg, name)
	}
}

// formatQrels writes q back as qrels text, queries and documents in
// byte-wise order.
func formatQrels(q *Qrels) []byte {
	var b bytes.Buffer
	qids := make([]string, 0, len(q.Queries))
	for qid := range q.Queries {
		qids = append(qids, qid)
	}
	sort.Strings(qids)
	for _, qid := range qids {
		for _, j := range q.Queries[qid] {
			fmt.Fprintf(&b, "%s 0 %s %d\n", qid, j.Doc, j.Rel)
		}
	}
	return b.Bytes()
}

// formatRun writes r back as run text (scores in the shortest form that
// reads back to the same float64, hence the same float32).
func formatRun(r *Run) []byte {
	var b bytes.Buffer
	qids := make([]string, 0, len(r.Queries))
	for qid := range r.Queries {
		qids = append(qids, qid)
	}
	sort.Strings(qids)
	for _, qid := range qids {
		for i, res := range r.Queries[qid] {
			fmt.Fprintf(&b, "%s Q0 %s %d %s %s\n", qid, res.Doc, i+1, strconv.FormatFloat(float64(res.Sim), 'g', -1, 64), r.RunID)
		}
	}
	return b.Bytes()
}

// qrelsView is q without line numbers, which a rewrite changes.
func qrelsView(q *Qrels) map[string][]Judgment {
	out := map[string][]Judgment{}
	for qid, js := range q.Queries {
		for _, j := range js {
			j.Line = 0
			out[qid] = append(out[qid], j)
		}
	}
	return out
}

func runView(r *Run) map[string][]Result {
	out := map[string][]Result{}
	for qid, rs := range r.Queries {
		for _, res := range rs {
			res.Line = 0
			out[qid] = append(out[qid], res)
		}
	}
	return out
}

func FuzzQrels(f *testing.F) {
	f.Add([]byte("1 0 doc1 1\n1 0 doc2 0\n2 0 doc1 2\n"))
	f.Add([]byte("q1\t0\td1\t3\r\nq1\t0\td2\t-1\r\n"))
	f.Add([]byte("1 0 a 99999999999999999999\n"))
	f.Add([]byte("1 0 a 2147483647\n1 0 b -9223372036854775808\n"))
	f.Add([]byte("1 0 a\n"))
	f.Add([]byte("\n"))
	f.Add([]byte("1 0 a 1 extra\n"))
	f.Add([]byte("1 0 a +0x10\n1 0 b 1e3\n"))
	f.Add(fuzzSeedFile(f, "testdata/random/qrels"))
	f.Add(fuzzSeedFile(f, "testdata/ties/qrels"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzMaxInput {
			t.Skip()
		}
		const name = "fuzz.qrels"
		q, err := ParseQrels(name, data)
		if err != nil {
			checkFuzzErr(t, err, name)
			return
		}
		for qid, js := range q.Queries {
			for _, j := range js {
				if j.Rel > MaxRelevance {
					t.Fatalf("query %q doc %q: relevance %d above MaxRelevance accepted", qid, j.Doc, j.Rel)
				}
				if j.Line < 1 {
					t.Fatalf("query %q doc %q: line %d", qid, j.Doc, j.Line)
				}
			}
		}
		// Round trip: what was read, written back, reads the same.
		q2, err := ParseQrels(name, formatQrels(q))
		if err != nil {
			t.Fatalf("rewritten qrels do not parse: %v", err)
		}
		if diff := cmp.Diff(qrelsView(q), qrelsView(q2)); diff != "" {
			t.Fatalf("round trip differs (-first +second):\n%s", diff)
		}
	})
}

func FuzzRun(f *testing.F) {
	f.Add([]byte("1 Q0 doc1 1 0.9 run\n1 Q0 doc2 2 0.8 run\n2 Q0 doc1 1 0.5 run\n"))
	f.Add([]byte("1 Q0 a 1 nan r\n"))
	f.Add([]byte("1 Q0 a 1 -inf r\n1 Q0 b 2 0x1.8p3 r\n1 Q0 c 3 1e400 r\n"))
	f.Add([]byte("   \n1 Q0 a 1 0.5 r extra fields\n"))
	f.Add([]byte("1 Q0 a 1 0.5\n"))
	f.Add([]byte(""))
	f.Add(fuzzSeedFile(f, "testdata/random/run"))
	f.Add(fuzzSeedFile(f, "testdata/ties/run"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzMaxInput {
			t.Skip()
		}
		const name = "fuzz.run"
		r, err := ParseRun(name, data)
		if err != nil {
			checkFuzzErr(t, err, name)
			return
		}
		for qid, rs := range r.Queries {
			for _, res := range rs {
				if res.Sim != res.Sim {
					t.Fatalf("query %q doc %q: NaN score accepted", qid, res.Doc)
				}
			}
		}
		r2, err := ParseRun(name, formatRun(r))
		if err != nil {
			t.Fatalf("rewritten run does not parse: %v", err)
		}
		if diff := cmp.Diff(runView(r), runView(r2)); diff != "" {
			t.Fatalf("round trip differs (-first +second):\n%s", diff)
		}
		if r.RunID != r2.RunID {
			t.Fatalf("run id %q became %q", r.RunID, r2.RunID)
		}
	})
}

// FuzzEvaluate scores a fuzzed run against fuzzed qrels with fuzzed -m
// arguments and options: whatever the readers accept must score without a
// panic, and the output must be written.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte("1 0 a 1\n1 0 b 0\n1 0 c 2\n"), []byte("1 Q0 a 1 0.9 r\n1 Q0 c 2 0.8 r\n"), "official", int64(1), int64(1000), uint8(0))
	f.Add([]byte("1 0 a 2147483647\n1 0 b -3\n"), []byte("1 Q0 b 1 0.9 r\n1 Q0 a 2 0.8 r\n1 Q0 z 3 0.1 r\n"), "ndcg ndcg_cut.1,3 P.1,3,32 map_cut.1 success.1 recip_rank recall.5", int64(1), int64(2147483647), uint8(1))
	f.Add([]byte("1 0 a 1\n"), []byte("1 Q0 a 1 0.9 r\n1 Q0 a 2 0.8 r\n"), "map", int64(0), int64(0), uint8(7))
	f.Add([]byte("1 0 a 1\n1 0 a 0\n"), []byte("1 Q0 a 1 0.9 r\n"), "iprec_at_recall.0.5,0.1 bpref Rprec gm_map", int64(-1), int64(-5), uint8(2))
	f.Add(fuzzSeedFile(f, "testdata/random/qrels"), fuzzSeedFile(f, "testdata/random/run"), "official", int64(1), int64(1000), uint8(4))
	f.Fuzz(func(t *testing.T, qrelsText, runText []byte, measures string, level, maxDocs int64, flags uint8) {
		if len(qrelsText)+len(runText)+len(measures) > fuzzMaxInput {
			t.Skip()
		}
		qrels, err := ParseQrels("fuzz.qrels", qrelsText)
		if err != nil {
			return // FuzzQrels checks the errors
		}
		run, err := ParseRun("fuzz.run", runText)
		if err != nil {
			return
		}
		ms, err := ParseMeasures(strings.Fields(measures))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error from ParseMeasures")
			}
			return
		}
		opts := DefaultOptions()
		opts.PerQuery = flags&1 != 0
		opts.Complete = flags&2 != 0
		opts.JudgedOnly = flags&4 != 0
		opts.NoSummary = flags&8 != 0
		opts.RelevanceLevel = level
		opts.MaxDocs = maxDocs
		if err := Evaluate(qrels, run, ms, opts, io.Discard); err != nil && err.Error() == "" {
			t.Fatal("empty error from Evaluate")
		}
	})
}
