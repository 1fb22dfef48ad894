package treceval

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// The streaming scorer (ScoreFile) parses a chunk's bytes in place: a
// run line becomes a rec (where its docno lies in the bytes, its score),
// consecutive lines of one query a span, and nothing is allocated per
// line. What it accepts and the errors it gives are ReadRun's (see
// runChunk.parse, which ReadRun keeps: its Results hold strings).

// rec is one run line: its docno is data[doc:doc+dlen] of the bytes it was
// parsed from.
type rec struct {
	doc, dlen uint32
	sim       float32
}

// span is a run of consecutive lines of one query in a chunk's bytes.
type span struct {
	qlo, qhi   int // its qid: data[qlo:qhi]
	lo, hi     int // its recs
	start, end int // its bytes: whole lines, blank lines after it included
	line       int // number of the line at start
}

// runBytes is what parse made of a chunk's bytes; its slices are reused
// from one chunk to the next.
type runBytes struct {
	recs         []rec
	spans        []span
	tagLo, tagHi int   // the tag of the last run line
	nonBlank     bool  // a run line was read
	err          error // the first malformed line, naming file and line
}

// sepBits has bit c set for each separator c (fieldSep: C's isspace in
// the "C" locale, all below 0x21); lineSepBits the same without '\n',
// which ends a line.
const (
	sepBits     = 1<<' ' | 1<<'\t' | 1<<'\n' | 1<<'\v' | 1<<'\f' | 1<<'\r'
	lineSepBits = sepBits &^ (1 << '\n')
)

// parse reads the run lines of data, whose first line is number
// firstLine; the first span starts at byte 0 (blank lines before its first
// run line included), so that the lines of a span's bytes, counted from
// its line, keep their numbers.
func (p *runBytes) parse(name string, data []byte, firstLine int) {
	p.recs, p.spans, p.nonBlank, p.err = p.recs[:0], p.spans[:0], false, nil
	line := firstLine - 1
	var cur []byte // qid of the open span
	for pos := 0; pos < len(data); {
		line++
		l := data[pos:]
		var fs, fe [6]int // fields, as offsets in l
		nf, j := 0, 0
		for ; nf < 6; nf++ {
			for j < len(l) && l[j] <= ' ' && lineSepBits>>l[j]&1 != 0 {
				j++
			}
			if j == len(l) || l[j] == '\n' {
				break
			}
			fs[nf] = j
			// The field's end, eight bytes at a time while eight remain,
			// then one at a time. In a word x, (x - 0x21...) &^ x & 0x80...
			// flags the bytes below 0x21 exactly up to the first one (a
			// borrow can only flag bytes above it), and every separator is
			// below 0x21; a flagged byte that is not a separator (a control
			// character) is passed.
			for j+8 <= len(l) {
				x := binary.LittleEndian.Uint64(l[j:])
				t := (x - 0x2121212121212121) &^ x & 0x8080808080808080
				if t == 0 {
					j += 8
					continue
				}
				tz := bits.TrailingZeros64(t) // the flagged byte's high bit
				j += tz / 8
				if c := byte(x >> (tz &^ 7)); sepBits>>c&1 != 0 {
					break
				}
				j++
			}
			for j < len(l) && (l[j] > ' ' || sepBits>>l[j]&1 == 0) {
				j++
			}
			fe[nf] = j
		}
		// The next line: after the '\n' at j, or after one further on
		// (more fields, trailing blanks).
		next := len(data)
		if j < len(l) && l[j] == '\n' {
			next = pos + j + 1
		} else if nl := bytes.IndexByte(l[j:], '\n'); nl >= 0 {
			next = pos + j + nl + 1
		}
		if nf == 0 {
			pos = next
			continue
		}
		if nf < 6 {
			p.err = malformedRunLine(name, line, nf)
			return
		}
		score := l[fs[4]:fe[4]]
		sim, ok := decimalScore(score)
		if !ok {
			sim = float32(cAtof(score))
		}
		if sim != sim {
			p.err = nanScore(name, line, score)
			return
		}
		if q := l[fs[0]:fe[0]]; len(p.spans) == 0 || !bytes.Equal(q, cur) {
			start, at := pos, line
			if n := len(p.spans); n > 0 {
				p.spans[n-1].hi, p.spans[n-1].end = len(p.recs), pos
			} else {
				start, at = 0, firstLine
			}
			p.spans = append(p.spans, span{qlo: pos + fs[0], qhi: pos + fe[0], lo: len(p.recs), start: start, line: at})
			cur = q
		}
		p.recs = append(p.recs, rec{doc: uint32(pos + fs[2]), dlen: uint32(fe[2] - fs[2]), sim: sim})
		p.tagLo, p.tagHi, p.nonBlank = pos+fs[5], pos+fe[5], true
		pos = next
	}
	if n := len(p.spans); n > 0 {
		p.spans[n-1].hi, p.spans[n-1].end = len(p.recs), len(data)
	}
}

// pow10 holds the powers of ten that a float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// decimalScore reads a score written as an optional sign, digits and at
// most one '.', with at most 15 digits in all (what run writers print),
// as cAtof narrowed to float32 does; ok is false for anything else, which
// the caller gives to cAtof. The digits make an integer m below 2^53 and
// there are f <= 15 of them after the point, so m and 10^f are exact
// doubles and the one correctly rounded division m/10^f is the correctly
// rounded value of the text, which is what strtod returns.
func decimalScore(s []byte) (float32, bool) {
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 16 {
		return 0, false
	}
	var m uint64
	dot := -1
	for i, c := range s {
		if d := c - '0'; d <= 9 {
			m = m*10 + uint64(d)
		} else if c == '.' && dot < 0 {
			dot = i
		} else {
			return 0, false
		}
	}
	frac := 0
	if dot >= 0 {
		if len(s) == 1 {
			return 0, false // "." alone
		}
		frac = len(s) - 1 - dot
	} else if len(s) > 15 {
		return 0, false
	}
	v := float64(m) / pow10[frac]
	if neg {
		v = -v
	}
	return float32(v), true
}
