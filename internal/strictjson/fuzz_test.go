package strictjson

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzCheck: the fast path never accepts what the token walk refuses;
// what Check accepts is valid JSON of valid UTF-8 that encoding/json
// parses; EachMember and Members never panic on a checked object and see
// its keys once each.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		`{"a": 1, "b": [1, {"c": "\u00e9"}]}`, `{"a": 1, "a": 2}`, `{"\u0061": 1, "a": 2}`,
		`{"t": "\ud83d\ude00"}`, `{"t": "\ud800"}`, "{\"t\": \"\xff\"}", `[{"x": {}}, "s", null]`,
		`{"a":{"b":{"c":[]}}} x`, `{"k\"": "v\\"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		w := walk(b)
		if quickOK(b) && w != nil {
			t.Fatalf("quickOK accepts %q, walk says %v", b, w)
		}
		if err := Check(b); err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if !json.Valid(b) || !utf8.Valid(b) {
			t.Fatalf("Check accepts %q: json.Valid %v, utf8.Valid %v", b, json.Valid(b), utf8.Valid(b))
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber() // 2e400 is JSON, not a float64
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("Check accepts %q, encoding/json: %v", b, err)
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		seen := map[string]bool{}
		err := EachMember(b, func(k string, val []byte) error {
			if seen[k] {
				t.Fatalf("key %q twice in %q", k, b)
			}
			seen[k] = true
			if !json.Valid(val) {
				t.Fatalf("member %q of %q: value %q is not JSON", k, b, val)
			}
			return nil
		})
		if err != nil || len(seen) != len(obj) {
			t.Fatalf("EachMember(%q): %v, %d keys, want %d", b, err, len(seen), len(obj))
		}
	})
}
