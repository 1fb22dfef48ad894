package local

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mimo-mlir/mimo/internal/strictjson"
)

// object checks one JSON line strictly (internal/strictjson: no repeated
// key, valid UTF-8, nothing after the value) and returns its members,
// refusing keys outside allowed.
func object(line []byte, allowed ...string) (map[string]json.RawMessage, error) {
	return strictjson.Object(line, allowed...)
}

// strField returns the string member key of m: present false when it is
// absent or null; an error naming the key when it is another JSON type.
func strField(m map[string]json.RawMessage, key string) (s string, present bool, err error) {
	raw, ok := m[key]
	if !ok {
		return "", false, nil
	}
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return "", false, nil
	}
	if len(raw) == 0 || raw[0] != '"' {
		return "", false, fmt.Errorf("key %q: want a string, got %s", key, clip(raw))
	}
	if body := raw[1 : len(raw)-1]; bytes.IndexByte(body, '\\') < 0 {
		// No escape: the bytes are the string (raw passed strictjson.Check,
		// so they are valid UTF-8 without control characters).
		return string(body), true, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, fmt.Errorf("key %q: %w", key, err)
	}
	return s, true, nil
}

// clip shortens raw JSON for a message.
func clip(raw []byte) string {
	const n = 40
	if len(raw) > n {
		return string(raw[:n]) + "..."
	}
	return string(raw)
}

// docText is the text MTEB embeds for a corpus row (mteb's
// _corpus_to_dict): (title + " " + text).strip() when the title is
// non-empty, else text.strip(), with Python's idea of white space.
func docText(title, text string) string {
	if title != "" {
		return pyStrip(title + " " + text)
	}
	return pyStrip(text)
}

// pyStrip trims what Python's str.strip() trims: Unicode white space and,
// as Python's str.isspace counts them, the separators U+001C..U+001F.
func pyStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f })
}

// record is one row of the BEIR and MTEB layouts: the members of a JSON
// line, or a Parquet row.
type record interface {
	has(key string) bool
	// str returns a string field; present is false when it is absent or
	// null, and another type is an error naming the key.
	str(key string) (s string, present bool, err error)
	// id returns an id field written as a string or an integer.
	id(key string) (string, error)
	// score returns an integral relevance score.
	score(key string) (int, error)
	// label names a key in messages: `key "text"` or `column "text"`.
	label(key string) string
}

// jsonRecord is a JSON object that passed strictjson.Check.
type jsonRecord map[string]json.RawMessage

func (r jsonRecord) has(key string) bool { _, ok := r[key]; return ok }
func (r jsonRecord) label(key string) string {
	return fmt.Sprintf("key %q", key)
}
func (r jsonRecord) str(key string) (string, bool, error) { return strField(r, key) }
func (r jsonRecord) id(key string) (string, error) {
	id, err := idOf(r[key])
	if err != nil {
		return "", fmt.Errorf("%s: %w", r.label(key), err)
	}
	return id, nil
}
func (r jsonRecord) score(key string) (int, error) {
	raw, ok := r[key]
	if !ok {
		return 0, fmt.Errorf("%s: missing", r.label(key))
	}
	n, err := relOf(raw)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", r.label(key), err)
	}
	return n, nil
}

// parquetRecord is a row as formats.ReadParquet gives it.
type parquetRecord map[string]any

func (r parquetRecord) has(key string) bool { _, ok := r[key]; return ok }
func (r parquetRecord) label(key string) string {
	return fmt.Sprintf("column %q", key)
}
func (r parquetRecord) str(key string) (string, bool, error) {
	v, ok := r[key]
	if !ok || v == nil {
		return "", false, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", false, fmt.Errorf("%s: want a string, got %T (%v)", r.label(key), v, v)
	}
	if !utf8.ValidString(s) {
		return "", false, fmt.Errorf("%s: %w", r.label(key), strictjson.ErrInvalidUTF8)
	}
	return s, true, nil
}
func (r parquetRecord) id(key string) (string, error) {
	switch v := r[key].(type) {
	case string:
		if !utf8.ValidString(v) {
			return "", fmt.Errorf("%s: %w", r.label(key), strictjson.ErrInvalidUTF8)
		}
		if v == "" {
			return "", fmt.Errorf("%s: empty", r.label(key))
		}
		return v, nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case nil:
		return "", fmt.Errorf("%s: missing or null", r.label(key))
	default:
		return "", fmt.Errorf("%s: want a string or an integer, got %T (%v)", r.label(key), v, v)
	}
}
func (r parquetRecord) score(key string) (int, error) {
	switch v := r[key].(type) {
	case int64:
		if v != int64(int32(v)) {
			return 0, fmt.Errorf("%s: %d does not fit MTEB's int32 score", r.label(key), v)
		}
		return int(v), nil
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > math.MaxInt32 {
			return 0, fmt.Errorf("%s: want an integer, got %v", r.label(key), v)
		}
		return int(v), nil
	case nil:
		return 0, fmt.Errorf("%s: missing or null", r.label(key))
	default:
		return 0, fmt.Errorf("%s: want an integer, got %T (%v)", r.label(key), v, v)
	}
}
