package strictjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		kind   error  // nil: valid
		path   string // want Error.Path
		key    string // want Error.Key
		substr string // in the message
	}{
		{"object", `{"_id": "q1", "text": "Wer schrieb \"Hamlet\"?", "n": [1, 2.5, true, null, {"x": {}}]}`, nil, "", "", ""},
		{"blanks around", " \t{\"a\": 1}\r\n", nil, "", "", ""},
		{"scalar", `"just a string"`, nil, "", "", ""},
		{"same key in sibling objects", `{"a": {"k": 1}, "b": {"k": 2}, "c": [{"k": 1}, {"k": 2}]}`, nil, "", "", ""},
		{"surrogate pair", `{"t": "\ud83d\ude00"}`, nil, "", "", ""},
		{"escaped backslash before u", `{"t": "C:\\ud800"}`, nil, "", "", ""},

		{"duplicate top key", `{"q1": {"d1": 1}, "q1": {"d2": 1}}`, ErrDuplicateKey, `"q1"`, "q1", `key "q1": duplicate key: first at byte 1`},
		{"duplicate nested key", `{"q1": {"d1": 1, "d1": 0}}`, ErrDuplicateKey, `"q1"."d1"`, "d1", `key "q1"."d1": duplicate key`},
		{"duplicate after escape", `{"a": 1, "\u0061": 2}`, ErrDuplicateKey, `"a"`, "a", "duplicate key"},
		{"duplicate in array element", `[{"x": 1}, {"y": 1, "y": 2}]`, ErrDuplicateKey, `[1]."y"`, "y", `key [1]."y": duplicate key`},

		{"invalid UTF-8 in a value", "{\"_id\": \"q1\", \"text\": \"caf\xe9\"}", ErrInvalidUTF8, `"text"`, "text", `key "text": invalid UTF-8: byte 0xe9 at byte 4 of the string`},
		{"invalid UTF-8 in a key", "{\"ok\": 1, \"t\xffx\": 2}", ErrInvalidUTF8, `"t\xffx"`, "t\ufffdx", `key "t\xffx": invalid UTF-8: byte 0xff at byte 2 of the string is not UTF-8 in the key`},
		{"invalid UTF-8 nested", "{\"d1\": {\"title\": \"\xc3\"}}", ErrInvalidUTF8, `"d1"."title"`, "title", "invalid UTF-8"},
		{"lone high surrogate", `{"t": "x\ud800y"}`, ErrInvalidUTF8, `"t"`, "t", `lone surrogate escape \ud800`},
		{"lone low surrogate", `{"t": "\udc00"}`, ErrInvalidUTF8, `"t"`, "t", `lone surrogate escape \udc00`},
		{"high then non-low", `{"t": "\ud800\u0041"}`, ErrInvalidUTF8, `"t"`, "t", "lone surrogate"},

		{"trailing object", `{"a": 1} {"b": 2}`, ErrSyntax, "", "", "data after the JSON value"},
		{"trailing garbage", `{"a": 1} x`, ErrSyntax, "", "", "data after the JSON value"},
		{"truncated", `{"a": "b"`, ErrSyntax, "", "", "unexpected end of JSON input"},
		{"empty", ``, ErrSyntax, "", "", "unexpected end of JSON input"},
		{"bad literal under key", `{"a": {"b": tru}}`, ErrSyntax, `"a"."b"`, "b", "invalid"},
		{"NaN", `{"a": NaN}`, ErrSyntax, `"a"`, "a", "invalid character"},
		{"too deep", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), ErrSyntax, "", "", "nested deeper than 10000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check([]byte(tt.in))
			if tt.kind == nil {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				if err := walk([]byte(tt.in)); err != nil {
					t.Fatalf("walk = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.kind) {
				t.Fatalf("Check = %v, want %v", err, tt.kind)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not an *Error", err)
			}
			if tt.name != "too deep" {
				if d := cmp.Diff([]string{tt.path, tt.key}, []string{e.Path, e.Key}); d != "" {
					t.Errorf("path, key (-want +got):\n%s", d)
				}
			}
			if !strings.Contains(err.Error(), tt.substr) {
				t.Errorf("error %q does not contain %q", err, tt.substr)
			}
		})
	}
}

// TestCheckAgreesWithEncodingJSON: what Check accepts, encoding/json
// parses; what encoding/json rejects, Check rejects.
func TestCheckAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{}`, `[]`, `1`, `-0.5e3`, `"x"`, `null`, `{"a":[1,{"b":null}]}`,
		`{`, `}`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{1: 2}`, `'x'`, `[1 2]`, "\"a\tb\"", `"\x"`,
	} {
		var v any
		jerr := json.Unmarshal([]byte(in), &v)
		cerr := Check([]byte(in))
		if (jerr == nil) != (cerr == nil) {
			t.Errorf("%q: encoding/json says %v, Check says %v", in, jerr, cerr)
		}
	}
}

func TestMembers(t *testing.T) {
	m, err := Object([]byte(`{"_id": "d1", "title": "T", "text": "x", "metadata": {}}`), "_id", "title", "text", "metadata")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]json.RawMessage{
		"_id": json.RawMessage(`"d1"`), "title": json.RawMessage(`"T"`), "text": json.RawMessage(`"x"`), "metadata": json.RawMessage(`{}`),
	}, m); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}

	// Exact keys: encoding/json would fill a "text" field from "Text".
	_, err = Object([]byte(`{"_id": "d1", "Text": "x", "zz": 1}`), "_id", "text")
	var e *Error
	if !errors.Is(err, ErrUnknownField) || !errors.As(err, &e) || e.Key != "Text" {
		t.Fatalf("err = %v, want unknown field Text", err)
	}
	if want := `key "Text": unknown field: known: _id, text`; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}

	for _, in := range []string{`[1]`, `"s"`, `3`, `null`, `true`} {
		if _, err := Object([]byte(in)); !errors.Is(err, ErrNotObject) {
			t.Errorf("%s: err = %v, want ErrNotObject", in, err)
		}
	}
	if _, err := Object([]byte(`{"a": 1, "a": 2}`)); !errors.Is(err, ErrDuplicateKey) {
		t.Errorf("Object does not Check: %v", err)
	}
	if m, err := Members([]byte(`{"any": 1}`)); err != nil || len(m) != 1 {
		t.Errorf("no allowed list: %v %v", m, err)
	}
}

func BenchmarkCheck(b *testing.B) {
	line := []byte(`{"_id": "doc_en_1234", "title": "A title", "text": "Passage number 1234 talks at some length about a topic, as passages do, with a few more words.", "metadata": {}}`)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if err := Check(line); err != nil {
			b.Fatal(err)
		}
	}
}

// TestQuickPathAgrees: the fast pre-check never accepts what the token
// walk rejects, and large objects still get their repeated keys found.
func TestQuickPathAgrees(t *testing.T) {
	var big strings.Builder
	big.WriteString("{")
	for i := range 200 {
		fmt.Fprintf(&big, `"k%d": %d, `, i, i)
	}
	big.WriteString(`"k7": 0}`)
	ins := []string{
		big.String(),
		`{"a": {"a": {"a": 1}}, "b": [{"a": 1, "b": 2}]}`,
		`{"x\"y": 1, "x\"y": 2}`,
		`{"k": "\ud83d\ude00", "k2": "\\u"}`,
		`{"a": [1, {"b": 2}], "a": 3}`,
	}
	for _, in := range ins {
		w := walk([]byte(in))
		if quickOK([]byte(in)) && w != nil {
			t.Errorf("%.60q: quick path accepts, walk says %v", in, w)
		}
		if c := Check([]byte(in)); (c == nil) != (w == nil) {
			t.Errorf("%.60q: Check %v, walk %v", in, c, w)
		}
	}
	if err := Check([]byte(big.String())); !errors.Is(err, ErrDuplicateKey) || !strings.Contains(err.Error(), `key "k7"`) {
		t.Errorf("201-key object: %v", err)
	}
	if err := Check([]byte(`{"x\"y": 1, "x\"y": 2}`)); !errors.Is(err, ErrDuplicateKey) {
		t.Errorf("escaped keys: %v", err)
	}
}

func TestEachMember(t *testing.T) {
	in := ` { "z": 1, "a\u00e9": {"x": [1, "]}"]}, "s": "a,b}" , "n": null,"e":[] } `
	if err := Check([]byte(in)); err != nil {
		t.Fatal(err)
	}
	var got [][2]string
	err := EachMember([]byte(in), func(k string, v []byte) error {
		got = append(got, [2]string{k, string(v)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"z", "1"}, {"aé", `{"x": [1, "]}"]}`}, {"s", `"a,b}"`}, {"n", "null"}, {"e", "[]"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
	stop := errors.New("stop")
	n := 0
	if err := EachMember([]byte(in), func(string, []byte) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("fn's error: %v after %d calls", err, n)
	}
	if err := EachMember([]byte(`{}`), func(string, []byte) error { t.Error("called"); return nil }); err != nil {
		t.Error(err)
	}
	if err := EachMember([]byte(` [1]`), nil); !errors.Is(err, ErrNotObject) || !strings.Contains(err.Error(), "got an array") {
		t.Errorf("array: %v", err)
	}
}
