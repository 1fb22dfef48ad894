package metrics

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// simTable is a similarity function backed by a table qid -> doc -> score.
type simTable map[string]map[string]float32

func (s simTable) sim(qid, doc string) (float32, error) {
	v, ok := s[qid][doc]
	if !ok {
		return 0, fmt.Errorf("no score for %s/%s", qid, doc)
	}
	return v, nil
}

// topFrom ranks every query's scores and keeps them all.
func (s simTable) topFrom() map[string][]Scored {
	out := map[string][]Scored{}
	for qid, docs := range s {
		for d, v := range docs {
			out[qid] = append(out[qid], Scored{d, v})
		}
		Rank(out[qid])
	}
	return out
}

func TestMRC(t *testing.T) {
	base := map[string]float32{"d1": 0.9, "d2": 0.7, "d3": 0.5, "d4": 0.1}
	rev := map[string]float32{}
	for d, v := range base {
		rev[d] = -v
	}
	tests := []struct {
		name     string
		groups   map[string]map[string]string
		sims     simTable
		k        int
		wantLang map[string]float64
		wantMean float64
	}{
		{
			name:     "identical rankings",
			groups:   map[string]map[string]string{"g": {"en": "qe", "de": "qd"}},
			sims:     simTable{"qe": base, "qd": base},
			k:        2,
			wantLang: map[string]float64{"en": 100, "de": 100},
			wantMean: 100,
		},
		{
			name:     "reversed rankings",
			groups:   map[string]map[string]string{"g": {"en": "qe", "de": "qd"}},
			sims:     simTable{"qe": base, "qd": rev},
			k:        4,
			wantLang: map[string]float64{"en": -100, "de": -100},
			wantMean: -100,
		},
		{
			name: "en = de, fr reversed; single-language group ignored",
			groups: map[string]map[string]string{
				"g":    {"en": "qe", "de": "qd", "fr": "qf"},
				"solo": {"en": "qs"},
			},
			sims:     simTable{"qe": base, "qd": base, "qf": rev, "qs": rev},
			k:        3,
			wantLang: map[string]float64{"en": 0, "de": 0, "fr": -100},
			wantMean: -100.0 / 3,
		},
		{
			// U = {d1, d2, d3, d4}: x = ranks of (1,2,2,3) -> (1,2.5,2.5,4)
			// against y = (1,2,3,4): scipy.stats.spearmanr gives
			// 0.9486832980505138.
			name:   "average ranks for ties",
			groups: map[string]map[string]string{"g": {"en": "qe", "de": "qd"}},
			sims: simTable{
				"qe": {"d1": 1, "d2": 2, "d3": 2, "d4": 3},
				"qd": {"d1": 1, "d2": 2, "d3": 3, "d4": 4},
			},
			k:        4,
			wantLang: map[string]float64{"en": 94.86832980505138, "de": 94.86832980505138},
			wantMean: 94.86832980505138,
		},
		{
			// Group a is identical (100); group b is reversed (-100), its U
			// being all four docs: the mean over the two groups is 0.
			name: "mean over groups",
			groups: map[string]map[string]string{
				"a": {"en": "a-en", "de": "a-de"},
				"b": {"en": "b-en", "de": "b-de"},
			},
			sims:     simTable{"a-en": base, "a-de": base, "b-en": base, "b-de": rev},
			k:        2,
			wantLang: map[string]float64{"en": 0, "de": 0},
			wantMean: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			per, mean, err := MRC(tt.groups, tt.sims.topFrom(), tt.k, tt.sims.sim)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantLang, per, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Errorf("per language (-want +got):\n%s", diff)
			}
			if math.Abs(mean-tt.wantMean) > 1e-9 {
				t.Errorf("mean = %v, want %v", mean, tt.wantMean)
			}
		})
	}
}

func TestMRCErrors(t *testing.T) {
	sims := simTable{"qe": {"d1": 1, "d2": 0.5}, "qd": {"d1": 1, "d2": 0.5}}
	tests := []struct {
		name    string
		groups  map[string]map[string]string
		top     map[string][]Scored
		k       int
		wantErr string
	}{
		{"missing ranked list", map[string]map[string]string{"g": {"en": "qe", "de": "qx"}}, sims.topFrom(), 2, `query "qx" has no ranked list`},
		{"only single-language groups", map[string]map[string]string{"g": {"en": "qe"}}, sims.topFrom(), 2, "no group with two languages"},
		{"union of one doc is skipped", map[string]map[string]string{"g": {"en": "qe", "de": "qd"}}, sims.topFrom(), 1, "no group with two languages"},
		{"sim error is wrapped", map[string]map[string]string{"g": {"en": "qe", "de": "qd"}},
			map[string][]Scored{"qe": {{"d1", 1}, {"zz", 0}}, "qd": {{"d1", 1}}}, 2, `sim("qd", "zz"): no score`},
		{"bad k", map[string]map[string]string{}, nil, 0, "not positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := MRC(tt.groups, tt.top, tt.k, sims.sim)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLangPreference(t *testing.T) {
	top := map[string][]Scored{
		"q1": {{"a", 3}, {"b", 2}, {"c", 1}},
		"q2": {{"c", 3}, {"a", 2}},
		"q3": {{"x", 1}},
	}
	qlang := map[string]string{"q1": "en", "q2": "en", "q3": "de"}
	dlang := map[string]string{"a": "en", "b": "de", "c": "fr"}
	got := LangPreference(top, qlang, dlang, 2)
	want := map[string]map[string]float64{
		"en": {"en": 0.5, "de": 0.25, "fr": 0.25},
		"de": {"unknown": 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LangPreference (-want +got):\n%s", diff)
	}
}
