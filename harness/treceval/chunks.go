package treceval

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"

	"github.com/mimo-mlir/mimo/internal/lines"
)

// Run files are read in chunks of about chunkSize bytes cut at newlines,
// into buffers that are reused once a chunk's worker is done with it, and
// chunks are parsed on all cores: ReadRun copies each chunk once into a
// string (every docno and qid is a substring of it), the streaming scorer
// parses the bytes in place (fastparse.go). Their results are consumed in
// file order, so line numbers and the first error are those of a
// sequential read. At most 2*workers+1 chunks are held at a time.
var chunkSize = 4 << 20 // a variable so that tests can cut small chunks

// segment is a run of consecutive lines of one query inside a chunk.
type segment struct {
	qid string
	res []Result
}

// runChunk is one chunk of a run file and what its worker made of it.
type runChunk struct {
	data      []byte // the chunk's bytes, whole lines; only while its worker runs
	firstLine int    // number of its first line
	readErr   error
	ready     chan struct{}

	text     string    // ReadRun: data copied, which segs point into
	segs     []segment // ReadRun: its lines grouped by query
	err      error     // first parse error, naming file and line
	tag      string    // tag of its last run line
	nonBlank bool      // it holds a run line

	// The streaming scorer's view (see scoreReader): the chunk's first
	// and last queries, which may go on in the neighbouring chunks, as
	// copies of their lines (last is nil when the chunk holds one query),
	// and the queries between them, scored.
	first, last *edge
	inner       []scored
}

// fieldSep is C's isspace in the "C" locale, as a table.
var fieldSep = [256]bool{' ': true, '\t': true, '\n': true, '\v': true, '\f': true, '\r': true}

// parse splits c.text into run lines (see ReadRun) and groups them into
// segments of consecutive lines of one query.
func (c *runChunk) parse(name string) {
	s := c.text
	res := make([]Result, 0, len(s)/24)
	segStart := 0
	curQid := ""
	line := c.firstLine - 1
	var f [6]string
	for len(s) > 0 {
		line++
		var l string
		if nl := strings.IndexByte(s, '\n'); nl >= 0 {
			l, s = s[:nl], s[nl+1:]
		} else {
			l, s = s, ""
		}
		nf := 0
		for i := 0; i < len(l) && nf < 6; {
			for i < len(l) && fieldSep[l[i]] {
				i++
			}
			j := i
			for j < len(l) && !fieldSep[l[j]] {
				j++
			}
			if j > i {
				f[nf] = l[i:j]
				nf++
			}
			i = j
		}
		if nf == 0 {
			continue
		}
		if nf < 6 {
			c.err = malformedRunLine(name, line, nf)
			break
		}
		sim := float32(cAtof(f[4]))
		if sim != sim {
			c.err = nanScore(name, line, f[4])
			break
		}
		if f[0] != curQid || len(res) == 0 {
			if len(res) > segStart {
				c.segs = append(c.segs, segment{qid: curQid, res: res[segStart:len(res):len(res)]})
			}
			segStart = len(res)
			curQid = f[0]
		}
		res = append(res, Result{Doc: f[2], Sim: sim, Line: line})
		c.tag = f[5]
		c.nonBlank = true
	}
	if len(res) > segStart {
		c.segs = append(c.segs, segment{qid: curQid, res: res[segStart:len(res):len(res)]})
	}
}

// malformedRunLine is the error for a run line of nf < 6 fields.
func malformedRunLine(name string, line, nf int) error {
	return fmt.Errorf("treceval: %s:%d: malformed run line (want 6 fields \"qid Q0 docno rank score tag\", got %d)", name, line, nf)
}

// nanScore is the error for a NaN score.
func nanScore[T ~string | ~[]byte](name string, line int, score T) error {
	return fmt.Errorf("treceval: %s:%d: score %q is NaN", name, line, score)
}

// errEmptyRun marks a run file of zero bytes.
var errEmptyRun = errors.New("empty file")

// parseText is the work of ReadRun's workers: the chunk copied into a
// string and parsed into segments pointing into it.
func parseText(name string) func(int, *runChunk) {
	return func(_ int, c *runChunk) {
		c.text = string(c.data)
		c.parse(name)
	}
}

// scanRunChunks reads the run r in chunks, calls work on each in one of
// workers goroutines (with the goroutine's number; work sets c.err on a
// parse error and must not keep c.data, whose buffer is reused once it
// returns) and calls done on each chunk in file order. It stops at the
// first error of done, of a chunk's work or of reading. A zero-byte input
// gives errEmptyRun.
func scanRunChunks(name string, r io.Reader, workers int, work func(w int, c *runChunk), done func(c *runChunk) error) error {
	br := lines.Bound(r, name, LineLimit)
	jobs := make(chan *runChunk)
	order := make(chan *runChunk, 2*workers)
	stop := make(chan struct{})
	free := make(chan []byte, 2*workers+2) // buffers to reuse
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				if c.err == nil {
					work(w, c)
				}
				if buf := c.data; cap(buf) <= 2*chunkSize {
					select {
					case free <- buf[:0]:
					default:
					}
				}
				c.data = nil
				close(c.ready)
			}
		}()
	}
	var total int64
	go readChunks(br, free, order, jobs, stop, &total)
	var err error
	for c := range order {
		<-c.ready
		if err != nil {
			continue
		}
		switch {
		case c.err != nil:
			err = c.err
		default:
			err = done(c)
		}
		if err == nil && c.readErr != nil {
			err = c.readErr
		}
		if err != nil {
			close(stop)
		}
	}
	wg.Wait()
	if err == nil && total == 0 {
		err = errEmptyRun
	}
	return err
}

// readChunks reads br in chunks of about chunkSize bytes cut at newlines,
// numbers their lines and sends each to order, then to jobs (both closed
// at the end), until the input ends, reading fails (the chunk of the
// complete lines before the failure carries the error) or stop is closed.
// It counts the bytes read in total. Buffers come from free when there
// are some.
func readChunks(br io.Reader, free chan []byte, order, jobs chan<- *runChunk, stop <-chan struct{}, total *int64) {
	defer close(order)
	defer close(jobs)
	buf := make([]byte, 0, 2*chunkSize)
	line := 1
	for {
		n, err := io.ReadAtLeast(br, buf[len(buf):cap(buf)], 1)
		buf = buf[:len(buf)+n]
		*total += int64(n)
		last := err != nil
		failed := last && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF)
		cut := len(buf)
		if !last {
			cut = bytes.LastIndexByte(buf, '\n') + 1
			if cut == 0 || len(buf) < chunkSize { // a long line or a short read: read on
				if len(buf) == cap(buf) {
					buf = append(buf, 0)[:len(buf)] // grow; lines.Bound bounds the line
				}
				continue
			}
		} else if failed {
			// Keep the complete lines before the error (a
			// *lines.TooLongError names the line after them).
			cut = bytes.LastIndexByte(buf, '\n') + 1
		}
		c := &runChunk{data: buf[:cut], firstLine: line, ready: make(chan struct{})}
		if failed {
			c.readErr = fmt.Errorf("treceval: %w", err)
		}
		line += bytes.Count(c.data, []byte{'\n'})
		var next []byte
		if !last {
			next = nextBuffer(free, len(buf)-cut)
			next = append(next, buf[cut:]...)
		}
		select {
		case order <- c:
		case <-stop:
			return
		}
		jobs <- c
		if last {
			return
		}
		buf = next
	}
}

// nextBuffer is an empty buffer of capacity 2*chunkSize (or more, to hold
// rest bytes and another chunk after them): a reused one when there is
// one.
func nextBuffer(free chan []byte, rest int) []byte {
	if rest < chunkSize {
		select {
		case b := <-free:
			return b
		default:
		}
	}
	return make([]byte, 0, max(2*chunkSize, rest+chunkSize))
}

// parseWorkers is how many goroutines parse a run.
func parseWorkers() int { return max(1, runtime.GOMAXPROCS(0)) }
