package cli

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/results"
)

// TestEvaluateBEIRAndMTEBFolders evaluates the BEIR and MTEB fixture
// folders of tasks/local (their upstream layouts, no conversion) end to
// end, through --tasks PATH and --data-dir, and checks each main score
// (nDCG@10, MTEB's) against trec_eval's on the run file and the qrels.
func TestEvaluateBEIRAndMTEBFolders(t *testing.T) {
	const fixtures = "../../../tasks/local/testdata"
	tests := []struct {
		name  string
		flag  string
		dir   string
		qrels string // the test split's qrels in TREC format
		lang  string
	}{
		{"BEIR", "--tasks", fixtures + "/beir/scifact-mini",
			"1 0 4983 1\n3 0 5836 1\n5 0 18670 1\n5 0 31715818 1\n36 0 7912 2\n36 0 5836 0\n", "und"},
		{"MTEB JSON lines", "--data-dir", fixtures + "/mteb/nfcorpus-mini",
			"PLAIN-2 0 MED-10 2\nPLAIN-2 0 MED-14 1\nPLAIN-12 0 MED-118 1\nPLAIN-23 0 MED-14 0\n", "eng"},
		{"MTEB parquet", "--tasks", fixtures + "/mteb/greennode-mini",
			"q1 0 c1 1\nq2 0 c2 1\n", "vie"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			output, runs := t.TempDir(), t.TempDir()
			name := filepath.Base(tt.dir)
			code, stdout, stderr := run("--model", modelFolder(t), tt.flag, tt.dir, "--output", output,
				"--cache-dir", t.TempDir(), "--run-file", filepath.Join(runs, "{task}.run"))
			if code != 0 {
				t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
			}
			for _, want := range []string{name, "ndcg_at_10", tt.lang} {
				if !strings.Contains(stdout, want) {
					t.Errorf("table lacks %q:\n%s", want, stdout)
				}
			}
			res, err := results.ReadResult(filepath.Join(output, "acme__hash-model", results.NoRevision, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			sc := res.Scores["test"]
			if len(sc) != 1 {
				t.Fatalf("scores %v, want one test subset", res.Scores)
			}
			main := sc[0]["main_score"].(float64)
			if sc[0]["ndcg_at_10"].(float64) != main {
				t.Errorf("main score %v is not ndcg_at_10 %v", main, sc[0]["ndcg_at_10"])
			}
			qrels := filepath.Join(t.TempDir(), "qrels")
			if err := os.WriteFile(qrels, []byte(tt.qrels), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr = run("score", "-m", "ndcg_cut.10", qrels, filepath.Join(runs, name+".run"))
			if code != 0 {
				t.Fatalf("score: exit %d\n%s%s", code, stdout, stderr)
			}
			fields := strings.Fields(stdout)
			got, err := strconv.ParseFloat(fields[len(fields)-1], 64)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-main) > 0.00006 {
				t.Errorf("trec_eval ndcg_cut_10 %v, result main_score %v", got, main)
			}
		})
	}
}
