package treceval

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// errNotGrouped: a query's lines are not all consecutive in the run, so it
// cannot be scored while the file is read.
var errNotGrouped = errors.New("treceval: run queries are not grouped")

// scored is one query's values (or error) from the streaming scorer;
// judged says it has qrels (and so was scored).
type scored struct {
	qid    string
	vals   []float64
	err    error
	judged bool
}

// ScoreFile reads qrels and a run from their files and scores them, as
// ReadQrels, ReadRun and Compute do, but with the run streamed: when the
// lines of each query are consecutive (as in every run trec_eval or
// mimo writes), each query is scored as soon as it has been read and only
// the chunks being parsed are in memory. A run whose queries are
// interleaved is read a second time, whole (the path must name a file
// that can be read twice).
func ScoreFile(qrels *Qrels, runPath string, ms []*Measure, opts Options) (*Report, error) {
	if err := checkMaxDocs(opts.MaxDocs); err != nil {
		return nil, err
	}
	rep, err := scoreStream(qrels, runPath, ms, opts)
	if !errors.Is(err, errNotGrouped) {
		return rep, err
	}
	run, err := ReadRun(runPath)
	if err != nil {
		return nil, err
	}
	return Compute(qrels, run, ms, opts)
}

func scoreStream(qrels *Qrels, path string, ms []*Measure, opts Options) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("treceval: %w", err)
	}
	defer f.Close()
	return scoreReader(qrels, path, f, ms, opts)
}

// scoreReader is the streaming scorer over r (see ScoreFile); it returns
// errNotGrouped when a query's lines are not consecutive.
func scoreReader(qrels *Qrels, name string, r io.Reader, ms []*Measure, opts Options) (*Report, error) {
	st := newStream(qrels, name, ms, opts)
	err := scanRunChunks(name, r, len(st.workers), st.work, st.take)
	if err == nil {
		err = st.closeOpen()
	}
	if errors.Is(err, errEmptyRun) {
		return nil, fmt.Errorf("treceval: %s: empty file", name)
	}
	if err != nil {
		return nil, err
	}
	if !st.nonBlank {
		return nil, fmt.Errorf("treceval: %s: no run lines", name)
	}
	slices.SortFunc(st.out, func(a, b scored) int { return strings.Compare(a.qid, b.qid) })
	rep := &Report{measures: ms, runID: st.runID}
	for _, m := range ms {
		rep.Names = append(rep.Names, m.names...)
	}
	for _, s := range st.out {
		if s.err != nil {
			return nil, s.err
		}
		rep.Queries = append(rep.Queries, s.qid)
		rep.PerQuery = append(rep.PerQuery, s.vals)
	}
	return rep.summarize(qrels, opts)
}

// edge is a query at the start or end of a chunk, which may go on in the
// neighbouring chunk: a copy of its lines, the first one numbered line.
type edge struct {
	qid  string
	text []byte
	line int
}

// stream is the state of one streaming scorer: what each worker reuses,
// and what the consumer (take, in file order) has seen.
type stream struct {
	qrels *Qrels
	name  string
	ms    []*Measure
	opts  Options
	nvals int

	workers []streamWorker

	// The consumer's.
	own      streamWorker        // parses and scores the queries that cross chunks
	out      []scored            // queries with qrels, scored
	closed   map[string]struct{} // queries whose lines have all been read
	open     *edge               // the last query read, perhaps not complete
	runID    string
	nonBlank bool
}

// streamWorker is what one goroutine reuses from chunk to chunk.
type streamWorker struct {
	ev evaluator
	rb runBytes
}

func newStream(qrels *Qrels, name string, ms []*Measure, opts Options) *stream {
	st := &stream{qrels: qrels, name: name, ms: ms, opts: opts, closed: map[string]struct{}{}}
	for _, m := range ms {
		st.nvals += len(m.names)
	}
	st.workers = make([]streamWorker, parseWorkers())
	return st
}

// score scores the query qid, whose results are recs over data (the
// span sp): it has qrels.
func (st *stream) score(w *streamWorker, qid string, judged []Judgment, data []byte, recs []rec, sp span) scored {
	vals := make([]float64, st.nvals)
	err := w.ev.queryBytes(st.qrels.File, st.name, qid, judged, data, recs, sp, st.ms, st.opts, vals)
	return scored{qid: qid, vals: vals, err: err, judged: true}
}

// work is a worker's part of a chunk: its bytes parsed, the queries
// inside it scored, its first and last queries copied out.
func (st *stream) work(wi int, c *runChunk) {
	w := &st.workers[wi]
	rb := &w.rb
	rb.parse(st.name, c.data, c.firstLine)
	if rb.err != nil {
		c.err = rb.err
		return
	}
	if !rb.nonBlank {
		return
	}
	c.nonBlank, c.tag = true, string(c.data[rb.tagLo:rb.tagHi])
	sps := rb.spans
	cut := func(sp span) *edge {
		return &edge{qid: string(c.data[sp.qlo:sp.qhi]), text: slices.Clone(c.data[sp.start:sp.end]), line: sp.line}
	}
	c.first = cut(sps[0])
	if len(sps) == 1 {
		return
	}
	c.last = cut(sps[len(sps)-1])
	c.inner = make([]scored, 0, len(sps)-2)
	for _, sp := range sps[1 : len(sps)-1] {
		qid := string(c.data[sp.qlo:sp.qhi])
		judged, ok := st.qrels.Queries[qid]
		if !ok {
			c.inner = append(c.inner, scored{qid: qid})
			continue
		}
		c.inner = append(c.inner, st.score(w, qid, judged, c.data, rb.recs[sp.lo:sp.hi], sp))
	}
}

// take is the consumer's part of a chunk, in file order: its first query
// joins the open one or closes it; with more queries, the inner ones are
// recorded and the last one is open.
func (st *stream) take(c *runChunk) error {
	if c.nonBlank {
		st.nonBlank, st.runID = true, c.tag
	}
	if c.first == nil {
		return nil
	}
	if st.open != nil && st.open.qid == c.first.qid {
		st.open.text = append(st.open.text, c.first.text...)
	} else {
		if err := st.closeOpen(); err != nil {
			return err
		}
		st.open = c.first
	}
	if c.last == nil {
		return nil
	}
	if err := st.closeOpen(); err != nil {
		return err
	}
	for _, s := range c.inner {
		if err := st.closeQuery(s.qid); err != nil {
			return err
		}
		if s.judged {
			st.out = append(st.out, s)
		}
	}
	st.open = c.last
	return nil
}

// closeQuery records that every line of qid has been read: errNotGrouped
// when that was already so.
func (st *stream) closeQuery(qid string) error {
	if _, dup := st.closed[qid]; dup {
		return errNotGrouped
	}
	st.closed[qid] = struct{}{}
	return nil
}

// closeOpen closes the open query and scores it when it has qrels.
func (st *stream) closeOpen() error {
	o := st.open
	if o == nil {
		return nil
	}
	st.open = nil
	if err := st.closeQuery(o.qid); err != nil {
		return err
	}
	judged, ok := st.qrels.Queries[o.qid]
	if !ok {
		return nil
	}
	rb := &st.own.rb
	rb.parse(st.name, o.text, o.line) // parsed once already: no error, one span
	sp := rb.spans[0]
	st.out = append(st.out, st.score(&st.own, o.qid, judged, o.text, rb.recs[sp.lo:sp.hi], sp))
	return nil
}
