package reports

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/results"
)

func paperEntry(model, task string, scores map[string]float64) Entry {
	var subs []map[string]any
	for sub, v := range scores {
		subs = append(subs, map[string]any{"hf_subset": sub, "main_score": v, "ndcg_at_10": v, "ndcg_at_20": v})
	}
	return Entry{Model: model, Task: task, Extras: &results.Extras{TaskName: task, Model: model}, // written by mimo-eval
		Result: results.TaskResult{TaskName: task, Scores: map[string][]map[string]any{"test": subs}}}
}

// tableRow returns the cells of the row whose first cells are key in the
// table under the heading that starts with heading.
func tableRow(t *testing.T, rep *Report, heading string, key ...string) []string {
	t.Helper()
	in := false
	for _, b := range rep.Blocks {
		if b.Kind == BlockHeading {
			in = strings.HasPrefix(b.Text, heading)
		}
		if !in || b.Kind != BlockTable {
			continue
		}
	rows:
		for _, r := range b.Table.Rows {
			for i, k := range key {
				if r[i].Text != k {
					continue rows
				}
			}
			var out []string
			for _, c := range r[len(key):] {
				out = append(out, c.Text)
			}
			return out
		}
	}
	t.Fatalf("no row %v under %q", key, heading)
	return nil
}

func TestPaperTables(t *testing.T) {
	var res Results
	// MIMO on xlm-roberta-large: all six tasks (0.50 ... 0.55), MIRACL in
	// every language, and the miniature's extra task.
	for i, task := range MLIRTasks {
		res.Entries = append(res.Entries, paperEntry("mimo-xlmr-large-mini", task.Name, map[string]float64{"default": 0.50 + float64(i)/100}))
	}
	miracl := map[string]float64{}
	for _, l := range MIRACLLangs {
		miracl[l] = 0.40
	}
	res.Entries = append(res.Entries,
		paperEntry("mimo-xlmr-large-mini", MIRACLTask, miracl),
		paperEntry("mimo-xlmr-large-mini", "MiniMLIR", map[string]float64{"default": 0.25}),
		paperEntry("xlco-mmbert-base-mini", "XQuADMLIR", map[string]float64{"default": 0.70}),
		paperEntry("mimo-lambda0.0-xlmr-large-mini", "MiniMLIR", map[string]float64{"default": 0.10}),
		paperEntry("BAAI/bge-m3", "BelebeleMLIR", map[string]float64{"default": 0.80}),
		paperEntry("lexical", "MiniMLIR", map[string]float64{"default": 0.35}),
		// Not the recipe's suffix: not a cell.
		paperEntry("mimo-xlmr-large", "BelebeleMLIR", map[string]float64{"default": 0.99}),
	)
	// Geometry and MRC come from the extras of the first task that has
	// them (Belebele's in the paper; here the miniature's).
	align, unif := 0.5, -2.0
	mini := &res.Entries[len(MLIRTasks)+1]
	mini.Extras.Subsets = []results.SubsetExtras{{Alignment: &align, Uniformity: &unif,
		MRC: map[string]map[string]float64{"mrc_at_10": {"de": -40, "en": -30, "mean": -35}}}}
	rep := PaperTables(res, PaperSetup{Suffix: "-mini", Lambdas: []float64{0.0, 0.2}}, "t")
	cases := []struct {
		heading string
		key     []string
		want    []string
	}{
		{"Table 2", []string{"xlm-roberta-large", "MIMO"},
			[]string{"50.00 (84.18)", "51.00 (49.83)", "52.00 (86.05)", "53.00 (47.06)", "54.00 (55.40)", "55.00 (41.62)", "52.50 (60.69)", "25.00"}},
		{"Table 2", []string{"mmBERT-base", "XLCO"},
			[]string{"– (70.70)", "– (40.21)", "70.00 (76.00)", "– (35.97)", "– (45.28)", "– (39.34)", "– (51.25)", "–"}},
		{"Table 3", []string{"Stage 1 + Stage 2"},
			[]string{"50.00 (84.39)", "51.00 (49.86)", "52.00 (86.41)", "53.00 (46.99)", "54.00 (55.40)", "55.00 (41.62)", "52.50 (60.78)", "25.00"}},
		{"Table 4", []string{"xlm-roberta-large", "MIMO"},
			[]string{"40.00 (53.40)", "40.00 (43.81)", "40.00 (42.72)", "40.00 (43.10)", "40.00 (43.46)", "40.00 (41.19)", "40.00 (39.51)", "40.00 (44.11)", "40.00 (47.54)", "40.00 (42.78)", "40.00 (44.16)"}},
		{"Table 8", []string{"bge-m3"},
			[]string{"80.00 (84.02)", "– (57.33)", "– (89.89)", "– (43.77)", "– (43.19)", "– (40.03)", "– (59.71)", "–"}},
		{"Figures 2 and 3", []string{"0.0"}, []string{"–", "–", "–", "–", "–", "–", "–", "10.00", "–", "–"}},
		{"Figures 2 and 3", []string{"0.2"}, []string{"50.00 (84.18)", "51.00 (49.83)", "52.00 (86.05)", "53.00 (47.06)", "54.00 (55.40)", "55.00 (41.62)", "52.50 (60.69)", "25.00", "0.50", "-2.00"}},
		{"Table 8", []string{"lexical (not in the paper)"}, []string{"–", "–", "–", "–", "–", "–", "–", "35.00"}},
		{"Figure 5", []string{"XLCO"}, []string{"– (0.19)", "– (-3.37)"}},
		{"Figure 5", []string{"MIMO"}, []string{"0.50 (0.15)", "-2.00 (-3.57)"}},
		{"Figure 4", []string{"MIMO"}, []string{"-40.00", "-30.00", "-35.00"}},
	}
	for _, c := range cases {
		t.Run(c.heading+"/"+strings.Join(c.key, "/"), func(t *testing.T) {
			if diff := cmp.Diff(c.want, tableRow(t, rep, c.heading, c.key...)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for l, want := range map[float64]string{0: "mimo-lambda0.0", 0.25: "mimo-lambda0.25", 1: "mimo-lambda1.0", 0.2: "mimo"} {
		if got := lambdaKey(l); got != want {
			t.Errorf("lambdaKey(%v) = %q, want %q", l, got, want)
		}
	}
	if _, err := ParseLambdas("0.0,1.5"); err == nil {
		t.Error("lambda 1.5 accepted")
	}
}
