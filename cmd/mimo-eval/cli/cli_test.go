package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/internal/shareddata"
	"github.com/mimo-mlir/mimo/results"
	"github.com/mimo-mlir/mimo/tasks"
)

// hashEncoder is a deterministic stand-in model: vectors from sha256(text).
type hashEncoder struct{ name string }

func (h hashEncoder) Encode(_ context.Context, req adapters.Request) ([][]float32, error) {
	out := make([][]float32, len(req.Texts))
	for i, t := range req.Texts {
		s := sha256.Sum256([]byte(t))
		v := make([]float32, 8)
		for j := range v {
			v[j] = float32(s[j]) - 127.5
		}
		out[i] = v
	}
	return out, nil
}
func (h hashEncoder) Dim() int { return 8 }
func (h hashEncoder) Identity() adapters.Identity {
	return adapters.Identity{Name: h.name, Kind: "clitest", Dim: 8}
}
func (h hashEncoder) Close() error { return nil }

func init() {
	adapters.RegisterKind("clitest", func(_ context.Context, f adapters.Folder, _ adapters.Options) (adapters.Encoder, error) {
		return hashEncoder{name: f.Name}, nil
	})
}

type fixedTask struct{ meta tasks.Metadata }

func (f fixedTask) Metadata() tasks.Metadata { return f.meta }
func (f fixedTask) Load(context.Context, tasks.LoadOptions) ([]tasks.Dataset, error) {
	return []tasks.Dataset{{
		Split: "dev", Subset: "default",
		Queries: []tasks.Query{{ID: "q1", Text: "a", Lang: "en"}, {ID: "q2", Text: "b", Lang: "fr"}},
		Corpus:  []tasks.Doc{{ID: "d1", Text: "x", Lang: "en"}},
		Qrels:   tasks.Qrels{"q1": {"d1": 1}},
	}}, nil
}

func init() {
	tasks.Register(fixedTask{tasks.Metadata{Name: "CLIFixedRetrieval", Group: "clitest", MainScore: "ndcg_at_10",
		Languages: []string{"en", "fr"}, ExpectedQueries: 2, ExpectedCorpus: 1}})
}

func modelFolder(t *testing.T) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, adapters.FolderFile), []byte(`{"kind": "clitest", "name": "acme/hash-model"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestEvaluateLocalFolder(t *testing.T) {
	model := modelFolder(t)
	output := t.TempDir()
	runs := t.TempDir()
	report := filepath.Join(t.TempDir(), "report.md")
	args := []string{"--model", model, "--data-dir", "testdata/task", "--output", output,
		"--cache-dir", t.TempDir(), "--run-file", filepath.Join(runs, "{task}.run"), "--batch-size", "3",
		"--report", report}
	code, stdout, stderr := run(args...)
	if code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
	}
	for _, want := range []string{"TinyLocalRetrieval", "ndcg_at_20", "all", "de", "en"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	dir := filepath.Join(output, "acme__hash-model", results.NoRevision)
	for _, p := range []string{
		filepath.Join(dir, "TinyLocalRetrieval.json"),
		filepath.Join(dir, "model_meta.json"),
		filepath.Join(dir, results.ExtrasDir, "TinyLocalRetrieval.json"),
		filepath.Join(runs, "TinyLocalRetrieval.run"),
		report,
	} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("missing output: %v", err)
		}
	}
	// A second run reuses the result.
	code, _, stderr = run(args...)
	if code != 0 || !strings.Contains(stderr, "reusing") {
		t.Errorf("second run: exit %d, stderr:\n%s", code, stderr)
	}
	// score re-reads the run file against qrels written in TREC format.
	qrels := filepath.Join(t.TempDir(), "qrels")
	if err := os.WriteFile(qrels, []byte("en_q1 0 en_d1 1\nen_q1 0 de_d1 1\nde_q1 0 en_d1 1\nde_q1 0 de_d1 1\n"+
		"en_q2 0 en_d2 1\nen_q2 0 de_d2 1\nde_q2 0 en_d2 1\nde_q2 0 de_d2 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = run("score", "-m", "ndcg_cut.20", qrels, filepath.Join(runs, "TinyLocalRetrieval.run"))
	if code != 0 || !strings.Contains(stdout, "ndcg_cut_20") {
		t.Fatalf("score: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// trec_eval prints 4 decimals; the result file holds 5. They must agree.
	res, err := results.ReadResult(filepath.Join(dir, "TinyLocalRetrieval.json"))
	if err != nil {
		t.Fatal(err)
	}
	main := res.Scores["test"][0]["main_score"].(float64)
	fields := strings.Fields(stdout)
	got, err := strconv.ParseFloat(fields[len(fields)-1], 64)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-main) > 0.00006 {
		t.Errorf("trec_eval ndcg_cut_20 %v, result main_score %v", got, main)
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown-task", []string{"--tasks", "nope", "--cache-dir", "x"}, `unknown task or group "nope"`},
		{"stray-arg", []string{"evaluate"}, `unexpected argument "evaluate"`},
		{"bad-flag", []string{"--no-such-flag"}, "flag provided but not defined"},
		{"bad-depth", []string{"--tasks", "CLIFixed", "--depth", "5", "--cache-dir", "x"}, "exceeds the search depth 5"},
		{"missing-data-dir", []string{"--data-dir", "does/not/exist"}, "--data-dir"},
		{"missing-tasks-path", []string{"--tasks", "./does/not/exist"}, "--tasks: local tasks ./does/not/exist"},
		{"tasks-path-not-a-task", []string{"--tasks", "../../../cmd"}, "neither it nor a subfolder is a task folder"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	code, _, stderr := run("-help")
	if code != 0 || !strings.Contains(stderr, "Examples:") || !strings.Contains(stderr, "-model") {
		t.Errorf("exit %d, help:\n%s", code, stderr)
	}
}

func TestTasksAndStats(t *testing.T) {
	code, stdout, stderr := run("tasks", "--group", "clitest")
	if code != 0 || !strings.Contains(stdout, "CLIFixedRetrieval") || !strings.Contains(stdout, "ndcg_at_10") {
		t.Errorf("tasks: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = run("stats", "--tasks", "clifixed")
	if code != 0 {
		t.Fatalf("stats: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"CLIFixedRetrieval (split dev, subset default)", "expected", "fr"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stats output lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, _ = run("stats", "--data-dir", "testdata/task", "--langs", "de")
	if code != 0 || !strings.Contains(stdout, "TinyLocalRetrieval") {
		t.Errorf("stats --data-dir: exit %d\n%s", code, stdout)
	}
}

// TestStatsRealXQuAD reads the real XQuAD files through --source (skipped
// when the shared data is absent) and checks the paper's Table 7 sizes.
func TestStatsRealXQuAD(t *testing.T) {
	dir := shareddata.Require(t, "xquad")
	code, stdout, stderr := run("stats", "--tasks", "xquad", "--source", dir, "--source-flat")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var total []string
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(strings.NewReplacer("│", " ").Replace(line)); len(f) > 0 && f[0] == "all" {
			total = f
		}
	}
	if want := []string{"all", "9520", "1920", "76160", "76160"}; !slices.Equal(total, want) {
		t.Errorf("totals row %q, want %q\n%s", total, want, stdout)
	}
}

// TestDefaultTasks runs the defaults (the embedded mini benchmark) with the
// test model, so `mimo-eval` with no task flags works from Main alone.
func TestDefaultTasks(t *testing.T) {
	output := t.TempDir()
	code, stdout, stderr := run("--model", modelFolder(t), "--output", output, "--cache-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "MiniMLIR") {
		t.Errorf("table lacks the mini task:\n%s", stdout)
	}
}

// TestModelMetaCard: the folder's license and n_parameters reach
// model_meta.json (MTEB's fields); a folder without them writes null.
func TestModelMetaCard(t *testing.T) {
	for _, tc := range []struct {
		name, folder string
		license      any
		nParams      any
	}{
		{"declared", `{"kind": "clitest", "name": "acme/hash-model", "license": "apache-2.0", "n_parameters": 3502336}`, "apache-2.0", float64(3502336)},
		{"unknown", `{"kind": "clitest", "name": "acme/hash-model"}`, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			model := t.TempDir()
			if err := os.WriteFile(filepath.Join(model, adapters.FolderFile), []byte(tc.folder), 0o644); err != nil {
				t.Fatal(err)
			}
			output := t.TempDir()
			code, _, stderr := run("--model", model, "--data-dir", "testdata/task", "--output", output, "--cache-dir", t.TempDir())
			if code != 0 {
				t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
			}
			b, err := os.ReadFile(filepath.Join(output, "acme__hash-model", results.NoRevision, "model_meta.json"))
			if err != nil {
				t.Fatal(err)
			}
			var meta map[string]any
			if err := json.Unmarshal(b, &meta); err != nil {
				t.Fatal(err)
			}
			for key, want := range map[string]any{"license": tc.license, "n_parameters": tc.nParams} {
				got, ok := meta[key]
				if !ok || got != want {
					t.Errorf("model_meta.json %s = %v (present %v), want %v", key, got, ok, want)
				}
			}
		})
	}
}
