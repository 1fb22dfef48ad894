package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/internal/shareddata"
)

// realResults is ../shared/data/mteb-results: 53 JSON files exactly as MTEB
// wrote them (39 task results, 14 model_meta.json), read where they lie.
// Absent data is a failure, not a skip: CI has shared/.
func realResults(t *testing.T) string {
	t.Helper()
	return shareddata.Require(t, "mteb-results")
}

// TestRealMTEBResults reads every real MTEB file: none is skipped (bare
// NaN and all), models and revisions are counted apart, and the report is
// pinned by a golden file (go test ./reports -update rewrites it).
func TestRealMTEBResults(t *testing.T) {
	dir := realResults(t)
	entries, problems, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("skipped %s", p)
	}
	if len(entries) != 39 {
		t.Errorf("read %d task result files, want all 39", len(entries))
	}
	res, err := LoadResults(dir)
	if err != nil {
		t.Fatal(err)
	}
	models, revs, onlyMeta := map[string]bool{}, map[string]bool{}, 0
	for _, e := range res.Entries {
		models[e.Model] = true
		revs[e.Model+"@"+e.Revision] = true
	}
	for _, m := range res.Metas {
		if m.TaskFiles == 0 {
			onlyMeta++
		}
	}
	got := []int{len(res.Entries), len(res.Metas), onlyMeta, len(models), len(revs)}
	want := []int{39, 14, 4, 6, 10}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("[task files, model_meta files, meta-only folders, models, revisions] (-want +got):\n%s", diff)
	}

	var buf bytes.Buffer
	if err := RenderResults(&buf, res, nil, Options{Title: "MTEB results (shared data)"}); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "mteb-results.golden.md"), buf.String())
}

func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("report differs from %s (-want +got):\n%s", golden, diff)
	}
}
