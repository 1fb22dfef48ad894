package tasks

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFilterLangs: the one language filter keeps the kept languages'
// queries and documents, removes judgements of dropped documents (not of
// documents never in the corpus), drops a query left without a positive
// and counts judgements naming no query; the input is left untouched.
func TestFilterLangs(t *testing.T) {
	in := Dataset{
		Queries: []Query{{ID: "en1", Lang: "en"}, {ID: "de1", Lang: "de"}, {ID: "en2", Lang: "en"}},
		Corpus:  []Doc{{ID: "d_en", Lang: "en"}, {ID: "d_de", Lang: "de"}},
		Qrels: Qrels{
			"en1":   {"d_en": 1, "d_de": 1, "never": 1},
			"de1":   {"d_de": 1},
			"en2":   {"d_de": 1}, // loses its only positive
			"ghost": {"d_en": 1, "d_de": 0},
		},
	}
	before := cmp.Diff(Dataset{}, in)
	got := FilterLangs(in, []string{" EN "}, "")
	want := Dataset{
		Queries: []Query{{ID: "en1", Lang: "en"}},
		Corpus:  []Doc{{ID: "d_en", Lang: "en"}},
		Qrels:   Qrels{"en1": {"d_en": 1, "never": 1}},
		Skipped: map[string]int{SkipDocLang: 1, SkipQueryLang: 1, SkipQrelsDocLang: 2, SkipNoPositiveDef: 1, SkipQrelsNoQuery: 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if after := cmp.Diff(Dataset{}, in); after != before {
		t.Errorf("the input changed:\n%s", after)
	}
	// No languages: every query keeps its positive; only the orphans go.
	if all := FilterLangs(in, nil, "x"); len(all.Queries) != 3 || !cmp.Equal(all.Skipped, map[string]int{SkipQrelsNoQuery: 2}) {
		t.Errorf("no languages: %d queries, skipped %v; want 3 and the two orphan judgements", len(all.Queries), all.Skipped)
	}
}
