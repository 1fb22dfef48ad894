package local

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

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

// idField reads an id member that BEIR files write as a string or a
// number (the number's text is the id, as Python's str() of an int).
func idField(m map[string]json.RawMessage, key string) (string, error) {
	raw, ok := m[key]
	if !ok {
		return "", fmt.Errorf("key %q: missing", key)
	}
	id, err := idOf(raw)
	if err != nil {
		return "", fmt.Errorf("key %q: %w", key, err)
	}
	return id, nil
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
