// Package treceval re-implements what `trec_eval 9.0.8 -q -m ...` does for
// TREC qrels and runs, down to its output bytes, so that mimo can re-score
// any run file without the C tool and so that its numbers can be checked
// against trec_eval's.
//
// The mental model follows trec_eval's own: qrels and run lines are grouped
// by query id; the queries of the run are visited in byte-wise id order,
// skipping those without qrels; each query's results are ranked by score
// (parsed with C's atof, then narrowed to float32) descending, ties by
// document id descending byte-wise; the ranking becomes a list of relevance
// values (-1 for documents absent from the qrels, -2 for documents judged
// with a negative value) from which every measure is computed; per-query
// values are printed with -q, and the "all" line averages them over the
// evaluated queries (or over all qrels queries with -c). Measures are
// printed in trec_eval's fixed table order, not in command-line order.
package treceval

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mimo-mlir/mimo/internal/lines"
)

// Judgment is one qrels line.
type Judgment struct {
	Doc  string
	Rel  int64
	Line int // 1-based line in the qrels file
}

// Qrels holds the judgments of a qrels file, by query, each query's list
// sorted by document id.
type Qrels struct {
	File    string
	Queries map[string][]Judgment
}

// Result is one run line.
type Result struct {
	Doc  string
	Sim  float32
	Line int // 1-based line in the run file
}

// Run holds a TREC run, by query, in file order.
type Run struct {
	File    string
	Queries map[string][]Result
	// RunID is the tag of the last line, which is what trec_eval prints.
	RunID string
}

// cIsSpace is C's isspace in the "C" locale.
func cIsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// fields appends the C-whitespace-separated fields of line to dst[:0].
func fields(dst [][]byte, line []byte) [][]byte {
	dst = dst[:0]
	i := 0
	for i < len(line) {
		for i < len(line) && cIsSpace(line[i]) {
			i++
		}
		j := i
		for j < len(line) && !cIsSpace(line[j]) {
			j++
		}
		if j > i {
			dst = append(dst, line[i:j])
		}
		i = j
	}
	return dst
}

// LineLimit is the longest qrels or run line read (lines.DefaultLimit,
// which MIMO_MAX_LINE replaces). trec_eval itself has none; a TREC line
// holds four or six short fields, so only a broken file comes near it.
const LineLimit = lines.DefaultLimit

// MaxRelevance is the largest relevance value accepted in qrels: 2^31-1.
// trec_eval 9.0.8 keeps one counter per level from 0 to the largest
// relevance of a query, and its ndcg sorts the gains with a comparator
// that returns their difference as a C int, which overflows beyond it.
// mimo counts levels sparsely, so values up to this cost nothing extra;
// larger ones, and values that overflow the C long atol reads into, are an
// error naming the line. Negative values of any size mean "judged but not
// in the pool" (trec_eval's RELVALUE_UNJUDGED), as in trec_eval.
const MaxRelevance = math.MaxInt32

// readFile opens path and calls parse on it; an empty file is an error, as
// trec_eval refuses one.
func readFile[T any](path string, parse func(string, io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, fmt.Errorf("treceval: %w", err)
	}
	defer f.Close()
	return parse(path, f)
}

// ReadQrels reads a qrels file: lines "qid iter docno rel", exactly four
// whitespace-separated fields (trec_eval rejects blank lines and extra
// fields in qrels). rel is read like C's atol and must be at most
// MaxRelevance.
func ReadQrels(path string) (*Qrels, error) {
	return readFile(path, ReadQrelsFrom)
}

// ParseQrels parses qrels text; name is used in error messages.
func ParseQrels(name string, data []byte) (*Qrels, error) {
	return ReadQrelsFrom(name, bytes.NewReader(data))
}

// ReadQrelsFrom reads qrels from r; name is used in error messages.
// Docnos are copied into a few large strings as they are read, and every
// Judgment's Doc is a substring of one; the judgments of all queries
// share one array, each query's in file order and then sorted by docno.
func ReadQrelsFrom(name string, r io.Reader) (*Qrels, error) {
	var (
		rows [][]qrelsRow // in blocks, never copied to grow
		docs docArena
		qids []string
		last []byte // the qid of the previous line
		cur  int    // its index in qids
		qi   = map[string]int{}
		f    [][]byte
		nrow int
	)
	lr := lines.NewReader(r, name, LineLimit)
	for lr.Scan() {
		n := lr.Line()
		f = fields(f, lr.Bytes())
		if len(f) != 4 {
			return nil, fmt.Errorf("treceval: %s:%d: malformed qrels line (want 4 fields \"qid iter docno rel\", got %d)", name, n, len(f))
		}
		rel, ok := cStrtol(f[3])
		if !ok {
			return nil, fmt.Errorf("treceval: %s:%d: relevance %q overflows a C long (trec_eval reads it with atol)", name, n, f[3])
		}
		if rel > MaxRelevance {
			return nil, fmt.Errorf("treceval: %s:%d: relevance %q is above %d, the largest trec_eval 9.0.8 can score", name, n, f[3], MaxRelevance)
		}
		if nrow == 0 || !bytes.Equal(f[0], last) {
			i, ok := qi[string(f[0])]
			if !ok {
				i = len(qids)
				qids = append(qids, string(f[0]))
				qi[qids[i]] = i
			}
			cur, last = i, append(last[:0], f[0]...)
		}
		if nrow%qrelsBlock == 0 {
			rows = append(rows, make([]qrelsRow, 0, qrelsBlock))
		}
		blk, off := docs.add(f[2])
		rows[len(rows)-1] = append(rows[len(rows)-1], qrelsRow{q: cur, blk: blk, off: off, n: len(f[2]), rel: rel, line: n})
		nrow++
	}
	if err := lr.Err(); err != nil {
		return nil, fmt.Errorf("treceval: %w", err)
	}
	if lr.Line() == 0 {
		return nil, fmt.Errorf("treceval: %s: empty file", name)
	}
	return groupQrels(name, qids, rows, docs.done(), nrow), nil
}

// qrelsRow is one qrels line as ReadQrelsFrom keeps it until the end.
type qrelsRow struct {
	q, blk, off, n int // query index; docno at blocks[blk][off:off+n]
	rel            int64
	line           int
}

// qrelsBlock is how many rows a block of ReadQrelsFrom's holds.
const qrelsBlock = 1 << 13

// docArena copies docnos into blocks of about 1 MiB that become strings
// when full, so that a qrels file costs a few allocations, not one per
// line.
type docArena struct {
	blocks []string
	cur    []byte
}

// add copies b into the arena: it will be blocks[blk][off:off+len(b)].
func (a *docArena) add(b []byte) (blk, off int) {
	if len(a.cur)+len(b) > cap(a.cur) {
		if len(a.cur) > 0 {
			a.blocks = append(a.blocks, string(a.cur))
		}
		a.cur = make([]byte, 0, max(1<<20, len(b)))
	}
	off = len(a.cur)
	a.cur = append(a.cur, b...)
	return len(a.blocks), off
}

// done returns the arena's blocks.
func (a *docArena) done() []string {
	if len(a.cur) > 0 {
		a.blocks = append(a.blocks, string(a.cur))
		a.cur = nil
	}
	return a.blocks
}

// groupQrels makes the Qrels of nrow rows over the docno blocks: every
// query's judgments in one array, in file order, then sorted.
func groupQrels(name string, qids []string, rows [][]qrelsRow, blocks []string, nrow int) *Qrels {
	start := make([]int, len(qids)+1)
	for _, blk := range rows {
		for _, rw := range blk {
			start[rw.q+1]++
		}
	}
	for i := range qids {
		start[i+1] += start[i]
	}
	all := make([]Judgment, nrow)
	next := slices.Clone(start[:len(qids)])
	for _, blk := range rows {
		for _, rw := range blk {
			all[next[rw.q]] = Judgment{Doc: blocks[rw.blk][rw.off : rw.off+rw.n], Rel: rw.rel, Line: rw.line}
			next[rw.q]++
		}
	}
	q := &Qrels{File: name, Queries: make(map[string][]Judgment, len(qids))}
	for i, qid := range qids {
		q.Queries[qid] = all[start[i]:start[i+1]:start[i+1]]
	}
	sortJudgments(all, start)
	return q
}

// sortJudgments sorts each query's judgments (all[start[i]:start[i+1]])
// by docno, stably (so a document judged twice keeps its lines in file
// order), on all cores.
func sortJudgments(all []Judgment, start []int) {
	nq := len(start) - 1
	workers := min(runtime.GOMAXPROCS(0), max(1, nq/64))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= nq {
					return
				}
				js := all[start[i]:start[i+1]]
				byDoc := func(a, b Judgment) int { return strings.Compare(a.Doc, b.Doc) }
				if !slices.IsSortedFunc(js, byDoc) {
					slices.SortStableFunc(js, byDoc)
				}
			}
		}()
	}
	wg.Wait()
}

// ReadRun reads a TREC run: lines "qid Q0 docno rank score tag" with at
// least six whitespace-separated fields (more are ignored, rank is
// ignored); lines of only white space are skipped. score is read like C's
// atof and narrowed to float32, as trec_eval stores it. A NaN score is an
// error (trec_eval's order is undefined for it).
func ReadRun(path string) (*Run, error) {
	return readFile(path, ReadRunFrom)
}

// ParseRun parses run text; name is used in error messages.
func ParseRun(name string, data []byte) (*Run, error) {
	return ReadRunFrom(name, bytes.NewReader(data))
}

// ReadRunFrom reads a run from r; name is used in error messages. The
// chunks of r are parsed on all cores (see scanRunChunks); docnos, qids
// and the tag are substrings of the chunk they were read in.
func ReadRunFrom(name string, rd io.Reader) (*Run, error) {
	r := &Run{File: name, Queries: map[string][]Result{}}
	nonBlank := false
	err := scanRunChunks(name, rd, parseWorkers(), parseText(name), func(c *runChunk) error {
		for _, s := range c.segs {
			if prev, ok := r.Queries[s.qid]; ok {
				r.Queries[s.qid] = append(prev, s.res...)
			} else {
				r.Queries[s.qid] = s.res // capacity clipped: a later append copies
			}
		}
		if c.nonBlank {
			nonBlank = true
			r.RunID = c.tag
		}
		return nil
	})
	if errors.Is(err, errEmptyRun) {
		return nil, fmt.Errorf("treceval: %s: empty file", name)
	}
	if err != nil {
		return nil, err
	}
	if !nonBlank {
		return nil, fmt.Errorf("treceval: %s: no run lines", name)
	}
	return r, nil
}
