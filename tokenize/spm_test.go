package tokenize

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goldenID is one line of testdata/spm-unigram/golden_ids.json: ids from the
// C++ SentencePiece encoder (spm_encode) mapped to the XLM-R layout by
// tools/tinymodel/gen.py.
type goldenID struct {
	Lang string  `json:"lang"`
	Text string  `json:"text"`
	IDs  []int64 `json:"ids"`
}

func readGoldenIDs(t testing.TB) []goldenID {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "spm-unigram", "golden_ids.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g []goldenID
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestUnigramMatchesSentencePiece compares our ids with spm_encode's on
// held-out Tatoeba sentences of 14 languages and whitespace/NFKC edge cases.
func TestUnigramMatchesSentencePiece(t *testing.T) {
	tok, err := Load(filepath.Join("testdata", "spm-unigram", "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	perLang := map[string]int{}
	for i, g := range readGoldenIDs(t) {
		perLang[g.Lang]++
		t.Run(g.Lang+"/"+itoa(i), func(t *testing.T) {
			e, err := tok.Encode(g.Text, 0)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(g.IDs, e.IDs); d != "" {
				t.Errorf("text %q: ids differ from spm_encode (-want +got):\n%s", g.Text, d)
			}
		})
	}
	for _, lang := range []string{"eng", "cmn", "jpn", "ara", "hin", "rus", "deu", "vie", "edge"} {
		if perLang[lang] == 0 {
			t.Errorf("golden has no %s sentences", lang)
		}
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// TestTruncationIsAPrefix: truncated encodings are the golden ids cut to
// max length (the early stop of tokens must not change the first ids).
func TestTruncationIsAPrefix(t *testing.T) {
	tok, err := Load(filepath.Join("testdata", "spm-unigram", "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i, g := range readGoldenIDs(t) {
		for _, maxLen := range []int{2, 3, 8} {
			if len(g.IDs) <= maxLen {
				continue
			}
			checked++
			want := append(append([]int64{}, g.IDs[:maxLen-1]...), g.IDs[len(g.IDs)-1])
			e, err := tok.Encode(g.Text, maxLen)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, e.IDs); d != "" {
				t.Errorf("golden %d %q, max length %d (-want +got):\n%s", i, g.Text, maxLen, d)
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d truncations checked", checked)
	}
}
