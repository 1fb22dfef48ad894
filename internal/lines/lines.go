// Package lines reads outside text input (qrels, runs, JSONL, TSV, CSV)
// one line at a time with a bound on the length of a line, so that a file
// without newlines, an endless stream or a corrupt gzip member ends in an
// error that names the file, the line and the limit instead of exhausting
// memory or failing with bufio's bare "token too long".
//
// The mental model is bufio.Scanner with bufio.ScanLines: Scan advances to
// the next line; a line ends at '\n', one '\r' before it is dropped (CRLF
// files read like LF files), a last line without a newline is still a line
// and an empty file has none. Lines are numbered from 1, blank ones
// included, so numbers match what an editor shows.
//
// Every loader passes the limit documented for its input (DefaultLimit for
// all of them today; docs/decisions.md lists them). A user with longer
// lines, such as a corpus of whole books on one JSONL line each, sets the
// environment variable MIMO_MAX_LINE to a byte count ("268435456",
// "256MiB", "1GiB"); it replaces the limit of every reader.
package lines

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// DefaultLimit is the longest line, in bytes without its line ending, that
// the loaders accept unless MIMO_MAX_LINE says otherwise: 64 MiB, some
// hundred times the longest passage of the public MLIR corpora, small
// enough that a file without newlines fails in a fraction of a second.
const DefaultLimit = 64 << 20

// EnvLimit names the environment variable that replaces every limit.
const EnvLimit = "MIMO_MAX_LINE"

// ErrLineTooLong is matched (errors.Is) by every *TooLongError.
var ErrLineTooLong = errors.New("line too long")

// TooLongError reports a line longer than the reader's limit.
type TooLongError struct {
	Name  string // the file as the reader was told to show it
	Line  int    // 1-based number of the over-long line
	Limit int    // the limit in bytes, line ending not counted
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("%s:%d: %v: longer than the limit of %s; set %s to a larger byte count (e.g. %s=%s) to read it",
		e.Name, e.Line, ErrLineTooLong, FormatSize(e.Limit), EnvLimit, EnvLimit, FormatSize(suggest(e.Limit)))
}

// Unwrap makes errors.Is(err, ErrLineTooLong) hold.
func (e *TooLongError) Unwrap() error { return ErrLineTooLong }

// suggest is a larger limit to name in the error message.
func suggest(limit int) int {
	if limit > (1<<62)/4 {
		return limit
	}
	return limit * 4
}

// Reader reads the lines of r. It is not safe for concurrent use.
type Reader struct {
	br    *bufio.Reader
	name  string
	limit int
	line  int
	buf   []byte // holds a line that did not fit br's buffer
	tok   []byte
	err   error
	eof   bool
}

// bufSize is the size of the bufio.Reader put around r; lines longer
// than it are assembled in a separate buffer that grows up to the limit.
const bufSize = 64 << 10

// NewReader reads r, showing it as name in errors, with lines of at most
// limit bytes (line ending not counted) unless MIMO_MAX_LINE is set. A
// *bufio.Reader of at least 64 KiB is used as it is. An invalid
// MIMO_MAX_LINE or a non-positive limit is reported by the first Scan.
func NewReader(r io.Reader, name string, limit int) *Reader {
	lr := &Reader{br: bufio.NewReaderSize(r, bufSize), name: name}
	lr.limit, lr.err = resolve(name, limit)
	return lr
}

// resolve applies MIMO_MAX_LINE to a reader's limit and checks it.
func resolve(name string, limit int) (int, error) {
	if env, ok := os.LookupEnv(EnvLimit); ok {
		n, err := ParseSize(env)
		if err != nil {
			return limit, fmt.Errorf("%s: %s=%q: %w", name, EnvLimit, env, err)
		}
		limit = n
	}
	if limit <= 0 {
		return limit, fmt.Errorf("%s: line limit %d is not positive", name, limit)
	}
	return limit, nil
}

// Scan advances to the next line and reports whether there is one. After
// it returns false, Err says why (nil at the end of the input).
func (r *Reader) Scan() bool {
	r.tok = nil
	if r.err != nil || r.eof {
		return false
	}
	chunk, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		r.buf = append(r.buf[:0], chunk...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if len(r.buf) > r.limit+1 { // +1: a '\r' that may precede the '\n'
				r.err = &TooLongError{Name: r.name, Line: r.line + 1, Limit: r.limit}
				return false
			}
			chunk, err = r.br.ReadSlice('\n')
			r.buf = append(r.buf, chunk...)
		}
		chunk = r.buf
	}
	switch {
	case err == nil:
		chunk = chunk[:len(chunk)-1]
	case errors.Is(err, io.EOF):
		r.eof = true
		if len(chunk) == 0 {
			return false
		}
	default:
		r.err = fmt.Errorf("%s:%d: %w", r.name, r.line+1, err)
		return false
	}
	r.line++
	if n := len(chunk); n > 0 && chunk[n-1] == '\r' {
		chunk = chunk[:n-1]
	}
	if len(chunk) > r.limit {
		r.err = &TooLongError{Name: r.name, Line: r.line, Limit: r.limit}
		return false
	}
	r.tok = chunk
	return true
}

// Bytes returns the current line without its line ending. The slice is
// valid until the next Scan.
func (r *Reader) Bytes() []byte { return r.tok }

// Text returns a copy of the current line without its line ending.
func (r *Reader) Text() string { return string(r.tok) }

// Line returns the 1-based number of the current line (0 before the first
// Scan).
func (r *Reader) Line() int { return r.line }

// Limit returns the line limit in force (MIMO_MAX_LINE applied).
func (r *Reader) Limit() int { return r.limit }

// Err returns the error that stopped Scan, nil at the end of the input.
// It names the file and the line: a *TooLongError for an over-long line,
// the reader's error wrapped with %w otherwise.
func (r *Reader) Err() error { return r.err }

// ParseSize parses a positive byte count: digits with an optional binary
// suffix K/KiB, M/MiB or G/GiB (case-insensitive).
func ParseSize(s string) (int, error) {
	t := strings.TrimSpace(s)
	mult := 1
	lower := strings.ToLower(t)
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}} {
		if strings.HasSuffix(lower, u.suffix) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.Atoi(t)
	if err != nil || n <= 0 || n > int(^uint(0)>>1)/mult {
		return 0, errors.New("want a positive byte count such as 268435456 or 256MiB")
	}
	return n * mult, nil
}

// FormatSize prints a byte count as ParseSize reads it: "64MiB" when it is
// a whole number of MiB (or KiB, GiB), else the digits.
func FormatSize(n int) string {
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.Itoa(n/u.mult) + u.suffix
		}
	}
	return strconv.Itoa(n)
}

// Bound returns a reader over r that passes its bytes through unchanged
// and fails with a *TooLongError at the first line longer than limit
// (MIMO_MAX_LINE applied, line ending not counted). It is for parsers that
// read lines themselves, such as encoding/csv, whose records may span
// lines: it bounds each physical line, not a record.
func Bound(r io.Reader, name string, limit int) io.Reader {
	b := &bounded{r: r, name: name}
	b.limit, b.err = resolve(name, limit)
	return b
}

type bounded struct {
	r     io.Reader
	name  string
	limit int
	line  int  // 0-based number of the line being read
	cur   int  // bytes of it so far
	cr    bool // its last byte is '\r'
	err   error
}

func (b *bounded) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	for off := 0; off < n; {
		seg := p[off:n]
		i := bytes.IndexByte(seg, '\n')
		if i >= 0 {
			seg = seg[:i]
		}
		if len(seg) > 0 {
			b.cur += len(seg)
			b.cr = seg[len(seg)-1] == '\r'
		}
		if i < 0 {
			if b.cur > b.limit+1 {
				return b.fail(off)
			}
			break
		}
		if b.tooLong() {
			return b.fail(off)
		}
		b.line++
		b.cur, b.cr = 0, false
		off += i + 1
	}
	if errors.Is(err, io.EOF) && b.tooLong() {
		return b.fail(n)
	}
	return n, err
}

// tooLong reports whether the line read so far, taken as complete, is
// longer than the limit once a final '\r' is dropped.
func (b *bounded) tooLong() bool {
	return b.cur > b.limit && (b.cur != b.limit+1 || !b.cr)
}

// fail keeps the error for every later Read and returns the bytes of p
// before the offending line's part in it.
func (b *bounded) fail(i int) (int, error) {
	b.err = &TooLongError{Name: b.name, Line: b.line + 1, Limit: b.limit}
	return i, b.err
}
