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

// scored is one query's values (or error) from the streaming scorer.
type scored struct {
	qid  string
	vals []float64
	err  error
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
	nvals := 0
	for _, m := range ms {
		nvals += len(m.names)
	}
	workers := parseWorkers()
	evs := make([]evaluator, workers)
	score := func(ev *evaluator, qid string, res []Result) ([]float64, error) {
		vals := make([]float64, nvals)
		err := ev.query(qrels.File, name, qid, qrels.Queries[qid], res, ms, opts, vals)
		return vals, err
	}
	work := func(w int, c *runChunk) {
		for k := range len(c.segs) - 1 { // the last one may go on in the next chunk
			s := &c.segs[k]
			if _, ok := qrels.Queries[s.qid]; ok {
				s.vals, s.err = score(&evs[w], s.qid, s.res)
			}
			s.done = true
		}
	}
	var (
		out      []scored
		closed   = map[string]struct{}{}
		open     *segment // the last query read, perhaps not complete
		mainEv   evaluator
		runID    string
		nonBlank bool
	)
	closeOpen := func() error {
		if open == nil {
			return nil
		}
		s := open
		open = nil
		if _, dup := closed[s.qid]; dup {
			return errNotGrouped
		}
		s.qid = strings.Clone(s.qid) // a substring would keep its whole chunk alive
		closed[s.qid] = struct{}{}
		if _, ok := qrels.Queries[s.qid]; !ok {
			return nil
		}
		if !s.done {
			s.vals, s.err = score(&mainEv, s.qid, s.res)
		}
		out = append(out, scored{qid: s.qid, vals: s.vals, err: s.err})
		return nil
	}
	err := scanRunChunks(name, r, workers, work, func(c *runChunk) error {
		for k := range c.segs {
			s := &c.segs[k]
			if k == 0 && open != nil && open.qid == s.qid {
				open.res = append(slices.Clip(open.res), s.res...)
				open.done = false
				if k < len(c.segs)-1 {
					if err := closeOpen(); err != nil {
						return err
					}
				}
				continue
			}
			if err := closeOpen(); err != nil {
				return err
			}
			seg := *s
			seg.res = slices.Clip(seg.res)
			open = &seg
			if k < len(c.segs)-1 {
				if err := closeOpen(); err != nil {
					return err
				}
			}
		}
		if c.nonBlank {
			nonBlank = true
			runID = c.tag
		}
		return nil
	})
	if err == nil {
		err = closeOpen()
	}
	if errors.Is(err, errEmptyRun) {
		return nil, fmt.Errorf("treceval: %s: empty file", name)
	}
	if err != nil {
		return nil, err
	}
	if !nonBlank {
		return nil, fmt.Errorf("treceval: %s: no run lines", name)
	}
	slices.SortFunc(out, func(a, b scored) int { return strings.Compare(a.qid, b.qid) })
	rep := &Report{measures: ms, runID: runID}
	for _, m := range ms {
		rep.Names = append(rep.Names, m.names...)
	}
	for _, s := range out {
		if s.err != nil {
			return nil, s.err
		}
		rep.Queries = append(rep.Queries, s.qid)
		rep.PerQuery = append(rep.PerQuery, s.vals)
	}
	return rep.summarize(qrels, opts)
}
