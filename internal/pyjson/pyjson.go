// Package pyjson reads JSON as Python's json module does: with the three
// non-JSON tokens it writes by default (NaN, Infinity, -Infinity), which
// MTEB's result files hold. One owner for the rule: the report reader and
// the harness's reuse of result files both decode through it.
package pyjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"unicode/utf8"
)

// Python's json module (what MTEB reads and writes result files with)
// accepts and writes three tokens that are not JSON: NaN, Infinity and
// -Infinity (json.dump's allow_nan=True is the default). MTEB's files hold
// bare NaN wherever a score is undefined (the nauc_* fields of a subset
// whose queries all have the same score, for one). Go's decoder rejects
// them, so result files are decoded here the way json.load reads them.

// ErrInvalidJSON marks a file that Python's json.load would reject too.
var ErrInvalidJSON = errors.New("invalid JSON")

// pyConstants are the non-JSON tokens json.load accepts, exactly as it
// spells them (it accepts no other spelling: not nan, inf, +Infinity or -NaN).
var pyConstants = []struct {
	token string
	value float64
}{
	{"-Infinity", math.Inf(-1)},
	{"Infinity", math.Inf(1)},
	{"NaN", math.NaN()},
}

// Decode decodes b as Python's json.loads does, into Go's generic
// values (map[string]any, []any, string, float64, bool, nil), with NaN,
// Infinity and -Infinity outside strings read as math.NaN() and ±Inf.
// Strings are never touched: a string value "NaN" stays the string "NaN".
// Like MTEB's reader (which opens files as UTF-8), invalid UTF-8 is an
// error. Numbers are float64, as Python's floats are; integers above 2^53
// lose precision, which no result or model_meta field reaches.
func Decode(b []byte) (any, error) {
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%w: not valid UTF-8 (at byte %d)", ErrInvalidJSON, invalidUTF8At(b))
	}
	// Each token is replaced by a string sentinel Go's decoder accepts; after
	// decoding, sentinels are mapped back to floats. A document that holds a
	// string equal to the sentinel is detected by counting, and the next
	// sentinel is tried, so no string is ever taken for a number.
	for attempt := 0; attempt < 8; attempt++ {
		prefix := fmt.Sprintf("\x00mimo-pyconst-%d:", attempt)
		replaced, shifts := replacePyConstants(b, prefix)
		n := len(shifts)
		v, err := decodeStrict(replaced)
		if err != nil {
			return nil, syntaxAt(b, shifts, err)
		}
		if n == 0 {
			return v, nil
		}
		seen := 0
		v = restorePyConstants(v, prefix, &seen)
		if seen == n {
			return v, nil
		}
	}
	return nil, fmt.Errorf("%w: strings collide with every NaN sentinel", ErrInvalidJSON)
}

// shift records one rewrite: where it ends in the rewritten bytes and how
// many bytes longer than the token it is.
type shift struct{ end, grow int }

// replacePyConstants rewrites the bare tokens outside strings into quoted
// sentinels prefix+token, returning the new bytes and one shift per rewrite.
func replacePyConstants(b []byte, prefix string) ([]byte, []shift) {
	var out bytes.Buffer
	out.Grow(len(b))
	var shifts []shift
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			out.WriteByte(c)
			switch c {
			case '\\':
				if i+1 < len(b) {
					i++
					out.WriteByte(b[i])
				}
			case '"':
				inString = false
			}
			continue
		}
		if c == '"' {
			inString = true
			out.WriteByte(c)
			continue
		}
		if c == 'N' || c == 'I' || c == '-' && i+1 < len(b) && b[i+1] == 'I' {
			matched := false
			for _, pc := range pyConstants {
				if bytes.HasPrefix(b[i:], []byte(pc.token)) {
					q, _ := json.Marshal(prefix + pc.token)
					out.Write(q)
					shifts = append(shifts, shift{end: out.Len(), grow: len(q) - len(pc.token)})
					i += len(pc.token) - 1
					matched = true
					break
				}
			}
			if matched {
				continue
			}
		}
		out.WriteByte(c)
	}
	return out.Bytes(), shifts
}

// restorePyConstants maps sentinel strings back to their float values,
// counting them in seen.
func restorePyConstants(v any, prefix string, seen *int) any {
	switch x := v.(type) {
	case string:
		if len(x) > len(prefix) && x[:len(prefix)] == prefix {
			for _, pc := range pyConstants {
				if x[len(prefix):] == pc.token {
					*seen++
					return pc.value
				}
			}
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = restorePyConstants(e, prefix, seen)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = restorePyConstants(e, prefix, seen)
		}
		return x
	default:
		return v
	}
}

// decodeStrict decodes one JSON value and rejects trailing data, as
// json.loads does ("Extra data").
func decodeStrict(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &extraDataError{offset: end}
	}
	return v, nil
}

// extraDataError is json.loads' "Extra data": something after the value.
type extraDataError struct{ offset int64 }

func (e *extraDataError) Error() string { return "extra data after the JSON value" }

// syntaxAt turns a decoding error into one naming the line and column of
// the original file (the rewritten bytes are longer than the original).
func syntaxAt(orig []byte, shifts []shift, err error) error {
	var se *json.SyntaxError
	var xe *extraDataError
	switch {
	case errors.As(err, &se):
		// Offset counts the offending byte: point at it.
		line, col := lineCol(orig, originalOffset(shifts, int(se.Offset)-1))
		return fmt.Errorf("%w: line %d, column %d: %w", ErrInvalidJSON, line, col, err)
	case errors.As(err, &xe):
		line, col := lineCol(orig, originalOffset(shifts, int(xe.offset)))
		return fmt.Errorf("%w: line %d, column %d: %w", ErrInvalidJSON, line, col, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: unexpected end of file", ErrInvalidJSON)
	}
	return fmt.Errorf("%w: %w", ErrInvalidJSON, err)
}

// originalOffset maps an offset in the rewritten bytes back to the
// original, given where each rewrite ended (in the rewritten bytes) and by
// how much it lengthened the text.
func originalOffset(shifts []shift, off int) int {
	delta := 0
	for _, s := range shifts {
		if s.end > off {
			break
		}
		delta += s.grow
	}
	return off - delta
}

func lineCol(b []byte, off int) (int, int) {
	if off > len(b) {
		off = len(b)
	}
	line, col := 1, 1
	for _, c := range b[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// Unmarshal decodes b into v as Decode reads it: NaN, Infinity and
// -Infinity are accepted where v holds an interface value (any, as in a
// result file's score maps) and come back as math.NaN() and ±Inf there;
// in a typed float field they are an error, as any other string would be.
func Unmarshal(b []byte, v any) error {
	if !utf8.Valid(b) {
		return fmt.Errorf("%w: not valid UTF-8 (at byte %d)", ErrInvalidJSON, invalidUTF8At(b))
	}
	for attempt := 0; attempt < 8; attempt++ {
		prefix := fmt.Sprintf("\x00mimo-pyconst-%d:", attempt)
		replaced, shifts := replacePyConstants(b, prefix)
		if err := json.Unmarshal(replaced, v); err != nil {
			return syntaxAt(b, shifts, err)
		}
		if len(shifts) == 0 {
			return nil
		}
		seen := 0
		restoreValue(reflect.ValueOf(v), prefix, &seen)
		if seen == len(shifts) {
			return nil
		}
	}
	return fmt.Errorf("%w: strings collide with every NaN sentinel", ErrInvalidJSON)
}

// restoreValue walks v (pointers, structs, maps, slices, interfaces) and
// maps sentinel strings held in interface values back to floats.
func restoreValue(v reflect.Value, prefix string, seen *int) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			restoreValue(v.Elem(), prefix, seen)
		}
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		if r := restorePyConstants(v.Elem().Interface(), prefix, seen); v.CanSet() {
			v.Set(reflect.ValueOf(r))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				restoreValue(v.Field(i), prefix, seen)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			restoreValue(v.Index(i), prefix, seen)
		}
	case reflect.Map:
		if v.Type().Elem().Kind() == reflect.Interface {
			for _, k := range v.MapKeys() {
				e := v.MapIndex(k)
				if !e.IsNil() {
					v.SetMapIndex(k, reflect.ValueOf(restorePyConstants(e.Elem().Interface(), prefix, seen)))
				}
			}
			return
		}
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			restoreValue(e, prefix, seen)
			v.SetMapIndex(k, e)
		}
	}
}
