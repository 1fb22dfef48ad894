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
	"slices"
	"strings"

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
func ReadQrelsFrom(name string, r io.Reader) (*Qrels, error) {
	q := &Qrels{File: name, Queries: map[string][]Judgment{}}
	var f [][]byte
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
		qid := string(f[0])
		q.Queries[qid] = append(q.Queries[qid], Judgment{Doc: string(f[2]), Rel: rel, Line: n})
	}
	if err := lr.Err(); err != nil {
		return nil, fmt.Errorf("treceval: %w", err)
	}
	if lr.Line() == 0 {
		return nil, fmt.Errorf("treceval: %s: empty file", name)
	}
	for _, js := range q.Queries {
		slices.SortStableFunc(js, func(a, b Judgment) int { return strings.Compare(a.Doc, b.Doc) })
	}
	return q, nil
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
	err := scanRunChunks(name, rd, parseWorkers(), nil, func(c *runChunk) error {
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
