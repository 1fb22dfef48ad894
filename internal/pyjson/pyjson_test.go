package pyjson

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The cases follow what Python's json.loads does with the same text
// (checked with python3: json.loads accepts NaN, Infinity, -Infinity and
// nothing else of the kind).
func TestDecodePythonJSON(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name string
		in   string
		want any
	}{
		{"plain JSON", `{"a": [1, 2.5, "x", true, null]}`, map[string]any{"a": []any{1.0, 2.5, "x", true, nil}}},
		{"bare NaN", `{"nauc_recall_at_1_max": NaN}`, map[string]any{"nauc_recall_at_1_max": nan}},
		{"Infinity and -Infinity", `[Infinity, -Infinity, 0]`, []any{inf, -inf, 0.0}},
		{"in a list without spaces", `[NaN,NaN,-Infinity]`, []any{nan, nan, -inf}},
		{"top-level NaN", `NaN`, nan},
		{"string NaN untouched", `{"x": "NaN", "y": "Infinity", "z": "-Infinity"}`, map[string]any{"x": "NaN", "y": "Infinity", "z": "-Infinity"}},
		{"NaN inside a longer string untouched", `{"note": "score is NaN here", "v": NaN}`, map[string]any{"note": "score is NaN here", "v": nan}},
		{"key named NaN", `{"NaN": NaN}`, map[string]any{"NaN": nan}},
		{"escaped quote before NaN text", `{"s": "a \" NaN \\", "v": Infinity}`, map[string]any{"s": `a " NaN \`, "v": inf}},
		{"string that looks like the sentinel", "{\"s\": \"\\u0000mimo-pyconst-0:NaN\", \"v\": NaN}",
			map[string]any{"s": "\x00mimo-pyconst-0:NaN", "v": nan}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateNaNs()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodePythonJSONRejects(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"lower-case nan", `{"v": nan}`, "line 1, column 8"},
		{"-NaN", `[-NaN]`, "line 1"},
		{"+Infinity", `[+Infinity]`, "line 1"},
		{"NaN glued to a word", `[NaNa]`, "line 1"},
		{"inf", `[inf]`, "line 1"},
		{"error after NaNs names the original line and column", "{\"a\": NaN,\n \"b\": NaN,\n \"c\": x}", "line 3, column 7"},
		{"trailing data", `{"a": 1} {"b": 2}`, "extra data"},
		{"truncated", `{"a": NaN`, "unexpected end"},
		{"invalid UTF-8", "{\"a\": \"\xff\"}", "not valid UTF-8 (at byte 7)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.in))
			if err == nil {
				t.Fatal("accepted; Python's json.loads rejects it")
			}
			if !errors.Is(err, ErrInvalidJSON) {
				t.Errorf("error %v does not wrap ErrInvalidJSON", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

// TestUnmarshalIntoStruct: NaN and ±Infinity held in interface values of a
// typed document (a result file's score maps) come back as floats; a string
// "NaN" stays a string.
func TestUnmarshalIntoStruct(t *testing.T) {
	var doc struct {
		Name   string                      `json:"name"`
		Scores map[string][]map[string]any `json:"scores"`
		Extra  any                         `json:"extra"`
	}
	in := `{"name": "NaN", "scores": {"test": [{"nauc": NaN, "hi": Infinity, "lo": -Infinity, "s": "NaN", "x": 0.5}]}, "extra": [NaN]}`
	if err := Unmarshal([]byte(in), &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Scores["test"][0]
	if v, ok := m["nauc"].(float64); !ok || !math.IsNaN(v) {
		t.Errorf("nauc = %#v", m["nauc"])
	}
	if m["hi"] != math.Inf(1) || m["lo"] != math.Inf(-1) || m["s"] != "NaN" || m["x"] != 0.5 || doc.Name != "NaN" {
		t.Errorf("scores %#v, name %q", m, doc.Name)
	}
	if e, ok := doc.Extra.([]any); !ok || len(e) != 1 || !math.IsNaN(e[0].(float64)) {
		t.Errorf("extra %#v", doc.Extra)
	}
	var typed struct {
		F float64 `json:"f"`
	}
	if err := Unmarshal([]byte(`{"f": NaN}`), &typed); err == nil {
		t.Error("NaN accepted in a typed float field")
	}
}
