package metrics

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRestrictQrels(t *testing.T) {
	qlang := map[string]string{"q_en": "en", "q_de": "de", "q_none": ""}
	dlang := map[string]string{"en1": "en", "de1": "de", "fr1": "fr", "en0": "en"}
	qrels := Qrels{
		"q_en":   {"en1": 1, "de1": 1, "fr1": 2, "en0": 0},
		"q_de":   {"de1": 1},           // no cross-language gold: dropped from cross
		"q_none": {"en1": 1, "de1": 1}, // no query language: dropped from both
	}
	cross := RestrictQrels(qrels, qlang, dlang, CrossLanguage)
	if diff := cmp.Diff(Qrels{"q_en": {"de1": 1, "fr1": 2}}, cross); diff != "" {
		t.Errorf("cross (-want +got):\n%s", diff)
	}
	same := RestrictQrels(qrels, qlang, dlang, SameLanguage)
	if diff := cmp.Diff(Qrels{"q_en": {"en1": 1, "en0": 0}, "q_de": {"de1": 1}}, same); diff != "" {
		t.Errorf("same (-want +got):\n%s", diff)
	}
}

// TestCrossLanguageScore: a lexical-like ranking that puts the same-language
// gold first scores 1 on same-language nDCG and less on cross-language
// nDCG, where that first document counts as non-relevant.
func TestCrossLanguageScore(t *testing.T) {
	qlang := map[string]string{"q": "en"}
	dlang := map[string]string{"en1": "en", "de1": "de", "x": "en"}
	qrels := Qrels{"q": {"en1": 1, "de1": 1}}
	run := Run{"q": {{ID: "en1", Score: 3}, {ID: "x", Score: 2}, {ID: "de1", Score: 1}}}
	score := func(q Qrels) float64 {
		t.Helper()
		per, err := Evaluate(q, run, []int{10}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return per["q"]["ndcg_at_10"]
	}
	if got := score(RestrictQrels(qrels, qlang, dlang, SameLanguage)); got != 1 {
		t.Errorf("same-language nDCG@10 = %g, want 1", got)
	}
	if got, want := score(RestrictQrels(qrels, qlang, dlang, CrossLanguage)), 0.5; got != want {
		t.Errorf("cross-language nDCG@10 = %g, want 1/log2(4) = %g", got, want)
	}
}

func TestLangMatrix(t *testing.T) {
	qlang := map[string]string{"q1": "en", "q2": "en", "q3": "de"}
	dlang := map[string]string{"en1": "en", "de1": "de", "de2": "de", "en2": "en"}
	qrels := Qrels{
		"q1": {"en1": 1, "de1": 1},
		"q2": {"en2": 1, "de2": 1},
		"q3": {"de1": 1, "en1": 0},
	}
	run := Run{
		"q1": {{ID: "en1"}, {ID: "de1"}},
		"q2": {{ID: "en2"}, {ID: "x"}, {ID: "de2"}},
		"q3": {{ID: "x"}, {ID: "de1"}},
	}
	want := map[string]map[string]float64{
		"en": {"en": 1, "de": 0.5},
		"de": {"de": 1},
	}
	if diff := cmp.Diff(want, LangMatrix(qrels, run, qlang, dlang, 2)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
