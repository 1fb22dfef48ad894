package treceval

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mimo-mlir/mimo/harness/search"
)

// Options are trec_eval's evaluation flags.
type Options struct {
	PerQuery       bool  // -q: print each query's values before "all"
	Complete       bool  // -c: average over every qrels query, not only those in the run
	NoSummary      bool  // -n: do not print the "all" lines
	JudgedOnly     bool  // -J: drop retrieved docs absent from the qrels (or judged negative)
	RelevanceLevel int64 // -l: minimum relevance counted as relevant (trec_eval default 1)
	// MaxDocs (-M) is how many of each query's ranked documents are
	// evaluated: trec_eval's default is 2147483647 (its MAXLONG), 0
	// evaluates none (every query then retrieves nothing), and a negative
	// value is an error (trec_eval 9.0.8 crashes on one).
	MaxDocs int64
}

// DefaultOptions are trec_eval's defaults.
func DefaultOptions() Options { return Options{RelevanceLevel: 1, MaxDocs: maxDocsLimit} }

// Check refuses options trec_eval cannot score with (a negative MaxDocs).
func (o Options) Check() error { return checkMaxDocs(o.MaxDocs) }

// checkMaxDocs refuses a negative -M.
func checkMaxDocs(n int64) error {
	if n < 0 {
		return fmt.Errorf("treceval: -M %d: the number of documents evaluated per query must be 0 or more (trec_eval 9.0.8 crashes on a negative one)", n)
	}
	return nil
}

// ErrNoQueries is returned when no run query has qrels (trec_eval exit 7).
var ErrNoQueries = errors.New("treceval: no queries with both results and relevance info")

// Report is a computed evaluation: every evaluated query's values and the
// summary, in the layout of Names.
type Report struct {
	// Names of the values, in trec_eval's output order ("P_10", "map", ...).
	Names []string
	// Queries evaluated (run queries with qrels), in byte-wise id order.
	Queries []string
	// PerQuery[i] holds the values of Queries[i], aligned with Names.
	PerQuery [][]float64
	// All holds the summary values, aligned with Names.
	All []float64

	measures []*Measure
	runID    string
}

// Compute scores run against qrels with the measures from ParseMeasures.
// It returns ErrNoQueries when no run query has qrels.
func Compute(qrels *Qrels, run *Run, ms []*Measure, opts Options) (*Report, error) {
	if err := checkMaxDocs(opts.MaxDocs); err != nil {
		return nil, err
	}
	rep := &Report{measures: ms, runID: run.RunID}
	for _, m := range ms {
		rep.Names = append(rep.Names, m.names...)
	}
	nvals := len(rep.Names)
	qids := make([]string, 0, len(run.Queries))
	for qid := range run.Queries {
		qids = append(qids, qid)
	}
	sort.Strings(qids)

	for _, qid := range qids {
		if _, ok := qrels.Queries[qid]; ok {
			rep.Queries = append(rep.Queries, qid)
		}
	}
	// Queries are independent: score them on all cores, then accumulate in
	// query order so the sums are those of trec_eval's sequential loop.
	rep.PerQuery = make([][]float64, len(rep.Queries))
	errs := make([]error, len(rep.Queries))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(1, len(rep.Queries)/32)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ev evaluator
			for {
				i := int(next.Add(1) - 1)
				if i >= len(rep.Queries) {
					return
				}
				qid := rep.Queries[i]
				vals := make([]float64, nvals)
				if err := ev.query(qrels.File, run.File, qid, qrels.Queries[qid], run.Queries[qid], ms, opts, vals); err != nil {
					errs[i] = err
					continue
				}
				rep.PerQuery[i] = vals
			}
		}()
	}
	wg.Wait()
	for i := range rep.Queries {
		if errs[i] != nil {
			return nil, errs[i]
		}
	}
	return rep.summarize(qrels, opts)
}

// summarize sets r.All from r.PerQuery, summing in query order as
// trec_eval's sequential loop does; ErrNoQueries when there is no query.
func (r *Report) summarize(qrels *Qrels, opts Options) (*Report, error) {
	ms := r.measures
	accum := make([]float64, len(r.Names))
	for i := range r.Queries {
		for j, v := range r.PerQuery[i] {
			accum[j] += v
		}
	}
	numQ := len(r.Queries)
	if numQ == 0 {
		return nil, ErrNoQueries
	}
	denom := numQ
	if opts.Complete {
		denom = len(qrels.Queries)
	}
	for _, m := range ms {
		a := accum[m.offset : m.offset+len(m.names)]
		switch m.def.avg {
		case avgMean:
			for j := range a {
				a[j] /= float64(denom)
			}
		case avgNumQ:
			a[0] = float64(denom)
		case avgNumRel:
			if opts.Complete {
				a[0] = float64(countPositive(qrels))
			}
		case avgGeo:
			sum := a[0]
			if opts.Complete {
				sum += float64(denom-numQ) * math.Log(minGeoMean)
			}
			a[0] = math.Exp(sum / float64(denom))
		}
	}
	r.All = accum
	return r, nil
}

// Write prints the report as trec_eval does: with perQuery (-q) each
// query's lines, measures in table order, then the "all" lines unless
// noSummary (-n).
func (r *Report) Write(w io.Writer, perQuery, noSummary bool) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	if perQuery {
		for i, qid := range r.Queries {
			for _, m := range r.measures {
				if !m.def.printSingle {
					continue
				}
				for j, name := range m.names {
					writeLine(bw, name, qid, m.def.kind, r.PerQuery[i][m.offset+j])
				}
			}
		}
	}
	if !noSummary {
		for _, m := range r.measures {
			if m.def.kind == kindRunID {
				fmt.Fprintf(bw, "%-22s\t%s\t%s\n", "runid", "all", r.runID)
				continue
			}
			for j, name := range m.names {
				writeLine(bw, name, "all", m.def.kind, r.All[m.offset+j])
			}
		}
	}
	return bw.Flush()
}

// Evaluate computes the report and writes it to w (see Compute, Write).
func Evaluate(qrels *Qrels, run *Run, ms []*Measure, opts Options, w io.Writer) error {
	rep, err := Compute(qrels, run, ms, opts)
	if err != nil {
		return err
	}
	return rep.Write(w, opts.PerQuery, opts.NoSummary)
}

// countPositive counts judgments with rel > 0 over all qrels queries (what
// trec_eval's num_rel reports with -c, whatever -l says).
func countPositive(q *Qrels) int {
	n := 0
	for _, js := range q.Queries {
		for _, j := range js {
			if j.Rel > 0 {
				n++
			}
		}
	}
	return n
}

// writeLine prints "%-22s\t%s\t%6.4f\n" (or %ld for counts) like trec_eval.
func writeLine(w *bufio.Writer, name, qid string, kind valueKind, v float64) {
	w.WriteString(name)
	for i := len(name); i < 22; i++ {
		w.WriteByte(' ')
	}
	w.WriteByte('\t')
	w.WriteString(qid)
	w.WriteByte('\t')
	if kind == kindLong {
		w.WriteString(strconv.FormatInt(int64(v), 10))
	} else {
		w.WriteString(cFloat(v))
	}
	w.WriteByte('\n')
}

// cFloat formats like C's printf("%6.4f").
func cFloat(v float64) string {
	var s string
	switch {
	case math.IsNaN(v):
		s = "nan"
		if math.Signbit(v) {
			s = "-nan"
		}
	case math.IsInf(v, 1):
		s = "inf"
	case math.IsInf(v, -1):
		s = "-inf"
	default:
		s = strconv.FormatFloat(v, 'f', 4, 64)
	}
	for len(s) < 6 {
		s = " " + s
	}
	return s
}

// evaluator holds buffers reused across queries.
type evaluator struct {
	byDoc []int32  // result indices in byte-wise docno order
	keys  []uint64 // rank sort keys: score descending, then docno descending
	tmp   []uint64 // the radix sort's other buffer
	relAt []int64  // relevance value per result (reference path: per position of byDoc)
	rr    resRels
	dense [denseLevels]int64 // per-level counts when every level is small
	vals  []int64            // judged values to sort when one is not

	slots   []uint64 // the fast path's docno table (rank.go)
	matched []bool   // per judgment: a result has its docno
	pdata   []byte   // a query's Results laid out for the fast path
	precs   []rec
}

// resRels ranks one query's results and maps them to relevance values,
// like trec_eval's te_form_res_rels: the reference path, which the fast
// one (fastRels) hands every unusual query to. Docnos are sorted once
// byte-wise; their positions then break score ties inside one integer
// key, so the ranking is a sort of uint64s, and the qrels (sorted by
// docno) are matched by a merge, not a map.
func (e *evaluator) resRels(qrelsFile, runFile, qid string, judged []Judgment, results []Result, opts Options) (*resRels, error) {
	keys, err := e.rankByDoc(runFile, qid, results, opts)
	if err != nil {
		return nil, err
	}
	maxRel := int64(-1)
	for i, j := range judged {
		if i > 0 && judged[i-1].Doc == j.Doc {
			return nil, fmt.Errorf("treceval: %s:%d: query %s: document %s judged twice (also line %d)", qrelsFile, j.Line, qid, j.Doc, judged[i-1].Line)
		}
		maxRel = max(maxRel, j.Rel)
	}
	// Relevance of every result, by a merge of two docno-sorted lists.
	relAt := e.relAt[:0]
	j := 0
	for _, i := range e.byDoc {
		d := results[i].Doc
		for j < len(judged) && judged[j].Doc < d {
			j++
		}
		v := int64(relNonPool)
		if j < len(judged) && judged[j].Doc == d {
			v = judged[j].Rel
			if v < 0 {
				v = relUnjudged
			}
		}
		relAt = append(relAt, v)
	}
	e.relAt = relAt
	return e.fill(keys, relAt, judged, maxRel, opts), nil
}

// rankByDoc sorts the results' docnos byte-wise into e.byDoc and returns
// the ranking's keys (score descending, then docno descending, the low
// half ^position in byDoc), cut to opts.MaxDocs; it fails on a document
// retrieved twice among those kept, naming the first rank that repeats an
// earlier one, as trec_eval's order of checks does.
func (e *evaluator) rankByDoc(runFile, qid string, results []Result, opts Options) ([]uint64, error) {
	n := len(results)
	byDoc := e.byDoc[:0]
	for i := range n {
		byDoc = append(byDoc, int32(i))
	}
	slices.SortFunc(byDoc, func(a, b int32) int { return strings.Compare(results[a].Doc, results[b].Doc) })
	keys := e.keys[:0]
	for p, i := range byDoc {
		keys = append(keys, uint64(^search.ScoreKey(results[i].Sim))<<32|uint64(^uint32(p)))
	}
	slices.Sort(keys)
	e.byDoc, e.keys = byDoc, keys
	if int64(len(keys)) > opts.MaxDocs {
		keys = keys[:opts.MaxDocs]
	}
	// Equal docnos are neighbours in byDoc.
	dup := false
	if len(keys) == n {
		for p := 1; p < n; p++ {
			if results[byDoc[p]].Doc == results[byDoc[p-1]].Doc {
				dup = true
				break
			}
		}
	} else if len(keys) > 1 {
		kept := make(map[string]struct{}, len(keys))
		for _, k := range keys {
			d := results[byDoc[^uint32(k)]].Doc
			if _, ok := kept[d]; ok {
				dup = true
				break
			}
			kept[d] = struct{}{}
		}
	}
	if dup {
		seen := make(map[string]int, len(keys))
		for _, k := range keys {
			r := results[byDoc[^uint32(k)]]
			if line, ok := seen[r.Doc]; ok {
				return nil, fmt.Errorf("treceval: %s:%d: query %s: document %s retrieved twice (also line %d)", runFile, r.Line, qid, r.Doc, line)
			}
			seen[r.Doc] = r.Line
		}
	}
	return keys, nil
}

// fill sets e.rr from the ranking's keys (each one's low half is ^index
// into relAt, the relevance of that result) and the query's judgments,
// whose largest value is maxRel.
func (e *evaluator) fill(keys []uint64, relAt []int64, judged []Judgment, maxRel int64, opts Options) *resRels {
	rr := &e.rr
	e.countLevels(judged, maxRel)
	rr.rels = rr.rels[:0]
	rr.numRelRet = 0
	for _, k := range keys {
		v := relAt[^uint32(k)]
		if opts.JudgedOnly && v < 0 {
			continue
		}
		if v >= 0 && v >= opts.RelevanceLevel {
			rr.numRelRet++
		}
		rr.rels = append(rr.rels, v)
	}
	rr.numRet = int64(len(rr.rels))
	rr.numRel = 0
	rr.numRelLevels = 0
	for _, l := range rr.levels {
		if l.rel >= opts.RelevanceLevel {
			rr.numRel += l.n
		}
	}
	if len(rr.levels) > 0 {
		rr.numRelLevels = rr.levels[len(rr.levels)-1].rel + 1
	}
	return rr
}

// query computes one query's values (len(vals) slots, zeroed) for ms.
func (e *evaluator) query(qrelsFile, runFile, qid string, judged []Judgment, results []Result, ms []*Measure, opts Options, vals []float64) error {
	if data, recs, ok := e.packResults(results); ok {
		if rr, ok := e.fastRels(data, recs, judged, opts); ok {
			measure(rr, ms, opts, vals)
			return nil
		}
	}
	return e.referenceQuery(qrelsFile, runFile, qid, judged, results, ms, opts, vals)
}

// referenceQuery is query on the reference path.
func (e *evaluator) referenceQuery(qrelsFile, runFile, qid string, judged []Judgment, results []Result, ms []*Measure, opts Options, vals []float64) error {
	rr, err := e.resRels(qrelsFile, runFile, qid, judged, results, opts)
	if err != nil {
		return err
	}
	measure(rr, ms, opts, vals)
	return nil
}

// queryBytes is query for the results recs of the span sp of a chunk's
// bytes data (the streaming scorer's): the span's lines are parsed again
// into Results, with their line numbers, only for the reference path.
func (e *evaluator) queryBytes(qrelsFile, runFile, qid string, judged []Judgment, data []byte, recs []rec, sp span, ms []*Measure, opts Options, vals []float64) error {
	if rr, ok := e.fastRels(data, recs, judged, opts); ok {
		measure(rr, ms, opts, vals)
		return nil
	}
	c := runChunk{text: string(data[sp.start:sp.end]), firstLine: sp.line}
	c.parse(runFile) // the same lines, parsed once already: no error
	var results []Result
	for _, s := range c.segs {
		results = append(results, s.res...)
	}
	return e.referenceQuery(qrelsFile, runFile, qid, judged, results, ms, opts, vals)
}

// measure computes the measures ms of rr into vals.
func measure(rr *resRels, ms []*Measure, opts Options, vals []float64) {
	for _, m := range ms {
		if m.def.calc != nil {
			m.def.calc(rr, opts.RelevanceLevel, m, vals[m.offset:m.offset+len(m.names)])
		}
	}
}

// denseLevels bounds the relevance values counted in a per-level array;
// queries with larger values (rare: qrels use 0-4 almost everywhere) sort
// their values instead, so memory never depends on how large they are.
const denseLevels = 1024

// countLevels sets e.rr.levels to the judged levels >= 0 of the query and
// their counts, ascending: what trec_eval's rel_levels array holds, without
// its zero entries. maxRel is the largest judgment (-1 or less: none).
func (e *evaluator) countLevels(judged []Judgment, maxRel int64) {
	rr := &e.rr
	rr.levels = rr.levels[:0]
	if maxRel < 0 {
		return
	}
	if maxRel >= denseLevels {
		e.sortLevels(judged)
		return
	}
	counts := e.dense[:maxRel+1]
	clear(counts)
	for _, j := range judged {
		if j.Rel >= 0 {
			counts[j.Rel]++
		}
	}
	for lvl, n := range counts {
		if n > 0 {
			rr.levels = append(rr.levels, relLevel{rel: int64(lvl), n: n})
		}
	}
}

// sortLevels is countLevels for any relevance values: it sorts them and
// counts the runs, O(n log n) for n judgments whatever their size.
func (e *evaluator) sortLevels(judged []Judgment) {
	rr := &e.rr
	rr.levels = rr.levels[:0]
	vals := e.vals[:0]
	for _, j := range judged {
		if j.Rel >= 0 {
			vals = append(vals, j.Rel)
		}
	}
	slices.Sort(vals)
	for i := 0; i < len(vals); {
		k := i + 1
		for k < len(vals) && vals[k] == vals[i] {
			k++
		}
		rr.levels = append(rr.levels, relLevel{rel: vals[i], n: int64(k - i)})
		i = k
	}
	e.vals = vals
}
