package harness

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/adapters/registry"
	"github.com/mimo-mlir/mimo/results"
	"github.com/mimo-mlir/mimo/tasks"
)

// TestDeclaredTraining: a registered model whose MTEB metadata declares
// MIRACL among its training datasets gets MIRACLRetrievalHardNegatives
// flagged in the extras and the table, and a task it does not declare is
// not; model_meta.json lists the declared names; the encoder settings
// (what stored results and cache keys are compared on) do not change.
func TestDeclaredTraining(t *testing.T) {
	m, ok := registry.Lookup("intfloat/multilingual-e5-large")
	if !ok {
		t.Fatal("multilingual-e5-large is not registered")
	}
	miracl, _ := handTask()
	miracl.meta.Name = "MIRACLRetrievalHardNegatives"
	other, enc := handTask()

	plain := testOptions(t)
	base, err := Evaluate(context.Background(), enc, []tasks.Task{other}, plain)
	if err != nil {
		t.Fatal(err)
	}

	opts := testOptions(t)
	opts.TrainingDatasets = m.TrainingDatasets
	outs, err := Evaluate(context.Background(), enc, []tasks.Task{miracl, other}, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := &results.DeclaredTraining{Declared: true, Dataset: "MIRACLRetrievalHardNegatives", Splits: []string{"train"}}
	if diff := cmp.Diff(want, outs[0].Extras.DeclaredTraining); diff != "" {
		t.Errorf("MIRACL task declared training (-want +got):\n%s", diff)
	}
	if got := outs[1].Extras.DeclaredTraining; got != nil {
		t.Errorf("TinyRetrieval flagged as declared: %+v", got)
	}
	if diff := cmp.Diff(base[0].Extras.Settings, outs[1].Extras.Settings); diff != "" {
		t.Errorf("declared datasets changed the run settings (-without +with):\n%s", diff)
	}
	// Read back from disk, as a reused result is.
	xpath, err := results.ExtrasPath(strings.TrimSuffix(outs[0].Path, "/MIRACLRetrievalHardNegatives.json"), "MIRACLRetrievalHardNegatives")
	if err != nil {
		t.Fatal(err)
	}
	x, err := results.ReadExtras(xpath)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, x.DeclaredTraining); diff != "" {
		t.Errorf("extras file declared training (-want +got):\n%s", diff)
	}

	dir := strings.TrimSuffix(outs[0].Path, "/MIRACLRetrievalHardNegatives.json")
	b, err := os.ReadFile(results.ModelMetaPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		TrainingDatasets []string `json:"training_datasets"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(meta.TrainingDatasets, "MIRACLRetrievalHardNegatives") || !slices.IsSorted(meta.TrainingDatasets) ||
		len(meta.TrainingDatasets) != len(m.TrainingDatasets) {
		t.Errorf("model_meta.json training_datasets = %v", meta.TrainingDatasets)
	}

	var buf strings.Builder
	if err := WriteTable(&buf, outs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	if !strings.Contains(buf.String(), "seen in training") {
		t.Fatalf("table lacks the seen-in-training column:\n%s", buf.String())
	}
	for _, l := range lines {
		switch {
		case strings.Contains(l, "MIRACLRetrievalHardNegatives") && !strings.Contains(l, "declared"):
			t.Errorf("MIRACL row not marked declared: %q", l)
		case strings.Contains(l, "TinyRetrieval") && strings.Contains(l, "declared"):
			t.Errorf("TinyRetrieval row marked declared: %q", l)
		}
	}
}

// TestDeclaredTrainingAbsent: without declared datasets model_meta.json's
// training_datasets stays null (MTEB's "unknown") and nothing is flagged.
func TestDeclaredTrainingAbsent(t *testing.T) {
	task, enc := handTask()
	outs, err := Evaluate(context.Background(), enc, []tasks.Task{task}, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if outs[0].Extras.DeclaredTraining != nil {
		t.Errorf("flagged without declared datasets: %+v", outs[0].Extras.DeclaredTraining)
	}
	b, err := os.ReadFile(results.ModelMetaPath(strings.TrimSuffix(outs[0].Path, "/TinyRetrieval.json")))
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	if v, ok := meta["training_datasets"]; !ok || v != nil {
		t.Errorf("model_meta.json training_datasets = %v (present %v), want null", v, ok)
	}
}
