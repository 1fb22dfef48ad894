// Package strictjson checks JSON text for what encoding/json accepts
// without a word: a key repeated in one object (encoding/json keeps the
// last value, so a repeated qrels key drops a query), invalid UTF-8 and
// lone surrogate escapes in strings (replaced by U+FFFD), and data after
// the value. Members then splits a checked object into its members with
// exact key matching, so a loader can refuse fields it does not know
// (encoding/json matches struct fields case-insensitively and ignores
// unknown ones).
//
// Every problem is an *Error naming the key where it was found, as a path
// from the top-level value ("q1"."d1", [2]."text"), and the byte offset;
// callers prefix the file and line. Errors match ErrSyntax,
// ErrDuplicateKey, ErrInvalidUTF8, ErrUnknownField or ErrNotObject with
// errors.Is.
//
// Check walks the tokens of encoding/json's Decoder, so what it accepts is
// exactly what encoding/json parses, minus the silent cases above.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The kinds of problem; every *Error wraps one.
var (
	ErrSyntax       = errors.New("invalid JSON")
	ErrDuplicateKey = errors.New("duplicate key")
	ErrInvalidUTF8  = errors.New("invalid UTF-8")
	ErrUnknownField = errors.New("unknown field")
	ErrNotObject    = errors.New("not a JSON object")
)

// MaxDepth bounds the nesting of arrays and objects, as encoding/json's
// own decoder does (10,000), so a line of brackets cannot grow the walk's
// stack without end.
const MaxDepth = 10000

// Error is one problem in a JSON text.
type Error struct {
	Err    error  // ErrSyntax, ErrDuplicateKey, ErrInvalidUTF8, ErrUnknownField or ErrNotObject
	Path   string // where: the keys (quoted) and array indexes from the top-level value down, e.g. `"q1"."d1"`; "" at the top level
	Key    string // the last key of Path, unquoted ("" when the problem is not under a key)
	Offset int64  // byte offset in the input where the problem was seen
	Detail string // more words, e.g. "first at byte 9"
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString("key ")
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Unwrap returns the kind of problem.
func (e *Error) Unwrap() error { return e.Err }

// frame is one open array or object of the walk.
type frame struct {
	obj     bool
	keys    map[string]int64 // object: key -> offset of its first use
	key     string           // object: the current key
	wantKey bool             // object: the next token is a key
	index   int              // array: index of the next element
}

// elem renders the frame's current position as one path element.
func (f *frame) elem() string {
	if f.obj {
		return strconv.Quote(f.key)
	}
	return "[" + strconv.Itoa(f.index) + "]"
}

// Check reports the first problem of the JSON text b, which must hold
// exactly one value (surrounding blanks allowed), or nil.
func Check(b []byte) error {
	if quickOK(b) {
		return nil
	}
	return walk(b)
}

// maxQuickKeys is the most keys per object quickOK compares pairwise;
// larger objects go to walk, which uses a map.
const maxQuickKeys = 64

// quickOK reports, fast, that b is valid JSON with valid UTF-8, no lone
// surrogate escape and no repeated key. false means "look closer": walk
// finds and names the problem (or, for keys written with escapes and very
// large objects, finds none).
func quickOK(b []byte) bool {
	if !utf8.Valid(b) || !json.Valid(b) {
		return false
	}
	var keys [][]byte // keys of the open objects, innermost last
	var open []int    // per open container: index into keys where its keys start; -1 for an array
	expectKey := false
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '{':
			open = append(open, len(keys))
			expectKey = true
		case '[':
			open = append(open, -1)
			expectKey = false
		case '}', ']':
			if top := open[len(open)-1]; top >= 0 {
				keys = keys[:top]
			}
			open = open[:len(open)-1]
			expectKey = false
		case ',':
			expectKey = open[len(open)-1] >= 0
		case '"':
			j, esc, uesc := i+1, false, false
			for ; b[j] != '"'; j++ {
				if b[j] == '\\' {
					esc = true
					uesc = uesc || b[j+1] == 'u'
					j++
				}
			}
			if uesc && checkString(b[i:j+1]) != "" {
				return false
			}
			if expectKey {
				top := open[len(open)-1]
				if esc || len(keys)-top >= maxQuickKeys {
					return false
				}
				k := b[i+1 : j]
				for _, o := range keys[top:] {
					if bytes.Equal(o, k) {
						return false
					}
				}
				keys = append(keys, k)
				expectKey = false
			}
			i = j
		}
	}
	return true
}

// walk is Check's careful path: the token walk that names the problem.
func walk(b []byte) error {
	w := &walker{b: b, dec: json.NewDecoder(bytes.NewReader(b))}
	w.dec.UseNumber()
	prev := int64(0)
	done := false // the top-level value is complete
	for {
		start := prev
		tok, err := w.dec.Token()
		if err == io.EOF {
			if !done {
				return w.fail(ErrSyntax, int64(len(b)), "unexpected end of JSON input")
			}
			return nil
		}
		if err != nil {
			return w.tokenError(err, done)
		}
		if done {
			return &Error{Err: ErrSyntax, Offset: start, Detail: "data after the JSON value"}
		}
		end := w.dec.InputOffset()
		prev = end
		raw := b[start:end]
		var top *frame
		if len(w.stack) > 0 {
			top = &w.stack[len(w.stack)-1]
		}
		switch tok := tok.(type) {
		case json.Delim:
			if tok == '}' || tok == ']' {
				w.stack = w.stack[:len(w.stack)-1]
				if len(w.stack) == 0 {
					done = true
				} else {
					advance(&w.stack[len(w.stack)-1])
				}
				continue
			}
			if len(w.stack) >= MaxDepth {
				return w.fail(ErrSyntax, start, fmt.Sprintf("nested deeper than %d", MaxDepth))
			}
			w.stack = append(w.stack, frame{obj: tok == '{', wantKey: tok == '{'})
			continue
		case string:
			isKey := top != nil && top.obj && top.wantKey
			if err := w.checkString(tok, raw, start, isKey); err != nil {
				return err
			}
			if isKey {
				if err := w.key(top, tok, raw, start); err != nil {
					return err
				}
				continue
			}
		}
		// A scalar value.
		if top == nil {
			done = true
			continue
		}
		advance(top)
	}
}

// walker is walk's state: the decoder over b and the open objects and
// arrays.
type walker struct {
	b     []byte
	dec   *json.Decoder
	stack []frame
}

// path is the dotted path to the current value and the key it is under
// ("" in an array, or between an object's members).
func (w *walker) path() (string, string) {
	var p strings.Builder
	key := ""
	for i := range w.stack {
		f := &w.stack[i]
		if f.obj {
			if f.wantKey && i == len(w.stack)-1 {
				break // between members: no current key
			}
			if p.Len() > 0 {
				p.WriteByte('.')
			}
			key = f.key
		} else {
			key = ""
		}
		p.WriteString(f.elem())
	}
	return p.String(), key
}

// fail is an *Error of kind at off, at the current path.
func (w *walker) fail(kind error, off int64, detail string) error {
	p, k := w.path()
	return &Error{Err: kind, Path: p, Key: k, Offset: off, Detail: detail}
}

// tokenError turns the decoder's error into an *Error with its offset; done
// says the top-level value was complete (so what follows is extra data).
func (w *walker) tokenError(err error, done bool) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return w.fail(ErrSyntax, int64(len(w.b)), "unexpected end of JSON input")
	}
	var se *json.SyntaxError
	off := w.dec.InputOffset()
	if errors.As(err, &se) {
		off = se.Offset
	}
	detail := strings.TrimPrefix(err.Error(), "json: ")
	if done {
		detail = "data after the JSON value"
	}
	return w.fail(ErrSyntax, off, detail)
}

// checkString refuses a string (a key when isKey) that is not valid UTF-8
// or holds an unpaired surrogate escape; raw is its bytes at start.
func (w *walker) checkString(s string, raw []byte, start int64, isKey bool) error {
	bad := checkString(raw)
	if bad == "" {
		return nil
	}
	if !isKey {
		return w.fail(ErrInvalidUTF8, start, bad)
	}
	p, _ := w.path()
	// The raw bytes, so the reader sees which byte is bad.
	tr := bytes.TrimRight(raw, " \t\r\n")
	q := strconv.Quote(string(tr[bytes.IndexByte(tr, '"')+1 : len(tr)-1]))
	if p != "" {
		q = p + "." + q
	}
	return &Error{Err: ErrInvalidUTF8, Path: q, Key: s, Offset: start, Detail: bad + " in the key"}
}

// key records key s of object top, at start; a key seen before in the same
// object is ErrDuplicateKey naming where it first was.
func (w *walker) key(top *frame, s string, raw []byte, start int64) error {
	if first, dup := top.keys[s]; dup {
		top.key, top.wantKey = s, false
		return w.fail(ErrDuplicateKey, start, fmt.Sprintf("first at byte %d", first))
	}
	if top.keys == nil {
		top.keys = map[string]int64{}
	}
	top.keys[s] = keyStart(raw, start)
	top.key = s
	top.wantKey = false
	return nil
}

// advance moves f past one complete member or element.
func advance(f *frame) {
	if f.obj {
		f.wantKey = true
	} else {
		f.index++
	}
}

// keyStart is the offset of the opening quote of the string token in raw.
func keyStart(raw []byte, start int64) int64 {
	return start + int64(bytes.IndexByte(raw, '"'))
}

// checkString returns what is wrong with the raw bytes of a string token
// (with the separators and blanks before it), or "".
func checkString(raw []byte) string {
	if !utf8.Valid(raw) {
		q := bytes.IndexByte(raw, '"')
		s := raw[q:]
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				return fmt.Sprintf("byte %#02x at byte %d of the string is not UTF-8", s[i], i)
			}
			i += n
		}
		return "not UTF-8"
	}
	if !bytes.Contains(raw, []byte(`\u`)) {
		return ""
	}
	// A \uD800-\uDFFF escape must be a high surrogate followed by a low one.
	s := raw[bytes.IndexByte(raw, '"'):]
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			continue
		}
		if i+1 < len(s) && s[i+1] != 'u' {
			i++ // \" \\ \n ...
			continue
		}
		if i+6 > len(s) {
			return ""
		}
		r, err := strconv.ParseUint(string(s[i+2:i+6]), 16, 32)
		if err != nil {
			return ""
		}
		switch {
		case r >= 0xD800 && r < 0xDC00:
			if i+12 <= len(s) && s[i+6] == '\\' && s[i+7] == 'u' {
				if lo, err := strconv.ParseUint(string(s[i+8:i+12]), 16, 32); err == nil && lo >= 0xDC00 && lo < 0xE000 {
					i += 11
					continue
				}
			}
			return fmt.Sprintf("lone surrogate escape %s", s[i:i+6])
		case r >= 0xDC00 && r < 0xE000:
			return fmt.Sprintf("lone surrogate escape %s", s[i:i+6])
		}
		i += 5
	}
	return ""
}

// Members returns the members of the JSON object b, keyed exactly as
// written. b must have passed Check (use Object otherwise). With allowed
// given, a key not among them is an ErrUnknownField error naming the
// first such key in the object; a value that is not an object is
// ErrNotObject.
func Members(b []byte, allowed ...string) (map[string]json.RawMessage, error) {
	m := map[string]json.RawMessage{}
	err := EachMember(b, func(key string, value []byte) error {
		if len(allowed) > 0 && !slices.Contains(allowed, key) {
			return &Error{Err: ErrUnknownField, Path: strconv.Quote(key), Key: key,
				Detail: "known: " + strings.Join(allowed, ", ")}
		}
		m[key] = value
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// EachMember calls fn with the key and the raw value of each member of
// the JSON object b, in order, and stops at the first error fn returns.
// b must have passed Check; a value that is not an object is ErrNotObject.
// value aliases b.
func EachMember(b []byte, fn func(key string, value []byte) error) error {
	i := skipBlank(b, 0)
	if i >= len(b) || b[i] != '{' {
		return &Error{Err: ErrNotObject, Detail: "got " + kindOf(b[i:])}
	}
	i++
	for {
		i = skipBlank(b, i)
		if b[i] == '}' {
			return nil
		}
		if b[i] == ',' {
			i = skipBlank(b, i+1)
		}
		end, esc := stringEnd(b, i)
		key := string(b[i+1 : end])
		if esc {
			if err := json.Unmarshal(b[i:end+1], &key); err != nil {
				return &Error{Err: ErrSyntax, Offset: int64(i), Detail: err.Error()}
			}
		}
		i = skipBlank(b, end+1) // at ':'
		i = skipBlank(b, i+1)
		v := i
		i = valueEnd(b, i)
		if err := fn(key, b[v:i]); err != nil {
			return err
		}
	}
}

func skipBlank(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// stringEnd returns the index of the closing quote of the string that
// starts at b[i] and whether it holds an escape.
func stringEnd(b []byte, i int) (int, bool) {
	esc := false
	for j := i + 1; ; j++ {
		switch b[j] {
		case '\\':
			esc = true
			j++
		case '"':
			return j, esc
		}
	}
}

// valueEnd returns the index just after the value that starts at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		e, _ := stringEnd(b, i)
		return e + 1
	case '{', '[':
		depth := 0
		for j := i; ; j++ {
			switch b[j] {
			case '"':
				j, _ = stringEnd(b, j)
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\r' && b[j] != '\n' {
		j++
	}
	return j
}

// Object is Check followed by Members.
func Object(b []byte, allowed ...string) (map[string]json.RawMessage, error) {
	if err := Check(b); err != nil {
		return nil, err
	}
	return Members(b, allowed...)
}

// kindOf names the JSON type that the text t starts.
func kindOf(t []byte) string {
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
