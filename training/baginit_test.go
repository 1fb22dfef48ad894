package training

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/adapters"
	_ "github.com/mimo-mlir/mimo/adapters/lexical"
	"github.com/mimo-mlir/mimo/transformer"
)

// bagLexicon is a toy German-English lexicon: the German words share
// hardly any character n-grams with their translations, so only what InitBag
// learns from the pairs can match them.
var bagLexicon = [][2]string{
	{"Wasser", "water"}, {"Feuer", "fire"}, {"Baum", "tree"}, {"Hund", "dog"},
	{"Katze", "cat"}, {"Vogel", "bird"}, {"Stadt", "city"}, {"Fluss", "river"},
	{"Berg", "mountain"}, {"Himmel", "sky"}, {"Sonne", "sun"}, {"Mond", "moon"},
	{"Stern", "star"}, {"Regen", "rain"}, {"Schnee", "snow"}, {"Wolke", "cloud"},
	{"Kind", "child"}, {"Frau", "woman"}, {"Mann", "man"}, {"Brot", "bread"},
	{"Milch", "milk"}, {"Apfel", "apple"}, {"Tisch", "table"}, {"Stuhl", "chair"},
}

// bagSetup writes a tiny stage-1 problem (three-word sentences of the
// lexicon, every word seen only inside sentences), a fresh 1-layer student
// and a lexical teacher, and returns its Setup run.
func bagSetup(t *testing.T, dir string) *Run {
	t.Helper()
	var b strings.Builder
	n := len(bagLexicon)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 6*n; i++ {
		p := rng.Perm(n)
		w := [3][2]string{bagLexicon[i%n], bagLexicon[p[0]], bagLexicon[p[1]]}
		de := w[0][0] + " " + w[1][0] + " " + w[2][0]
		en := w[0][1] + " " + w[1][1] + " " + w[2][1]
		line, _ := json.Marshal(map[string]string{"lang": "de", "en": en, "text": de})
		b.Write(append(line, '\n'))
	}
	pairs := filepath.Join(dir, "pairs.jsonl")
	must(t, os.WriteFile(pairs, []byte(b.String()), 0o644))

	tiny := "../adapters/onnx/testdata/tiny-xlmr"
	var cfg map[string]any
	raw, err := os.ReadFile(filepath.Join(tiny, "config.json"))
	must(t, err)
	must(t, json.Unmarshal(raw, &cfg))
	cfg["num_hidden_layers"] = 1
	cfg["max_position_embeddings"] = 66
	raw, _ = json.Marshal(cfg)
	studentCfg := filepath.Join(dir, "student-config.json")
	must(t, os.WriteFile(studentCfg, raw, 0o644))

	teacher := filepath.Join(dir, "teacher")
	must(t, os.MkdirAll(teacher, 0o755))
	must(t, os.WriteFile(filepath.Join(teacher, "mimo-model.json"), []byte(`{"kind": "lexical", "name": "lexical-64", "dim": 64}`), 0o644))

	c := Default()
	c.Stage = 1
	c.Stage1 = Hyper{LR: 1e-3, Batch: 8, MaxLen: 32, Epochs: 1, MaxSteps: 1}
	c.MiniBatch = 8
	c.NoFilter = true
	c.Pairs = []string{"jsonl:" + pairs}
	c.StudentConfig = studentCfg
	c.Tokenizer = filepath.Join(tiny, "tokenizer.json")
	c.Teacher = teacher
	c.TeacherCache = filepath.Join(dir, "teacher-cache")
	c.Output = filepath.Join(dir, "out")
	c.Quiet = true
	c.Backend = "go"
	r, closer, err := Setup(context.Background(), c)
	must(t, err)
	t.Cleanup(func() { closer.Close() })
	return r
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestInitBag checks the three claims of InitBag's mental model: the
// written student folder computes the bag the solve fitted (its encoder,
// through psi, reproduces the reported fit), that bag translates words it
// only saw inside sentences, and mimo-train starts from the fitted psi.
func TestInitBag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a student and trains a step")
	}
	ctx := context.Background()
	dir := t.TempDir()
	r := bagSetup(t, dir)
	bag := filepath.Join(dir, "bag")
	rep, err := r.InitBag(ctx, bag, BagInitOptions{})
	must(t, err)
	t.Logf("%+v", rep)
	if rep.Rows < 10*len(bagLexicon) || rep.FitCos < 0.9 || rep.FactorCos < 0.85 {
		t.Fatalf("report %+v: want at least %d rows and a close fit", rep, 10*len(bagLexicon))
	}

	// 1. The folder's encoder, through psi, is the fitted bag.
	f, err := adapters.ReadFolder(bag)
	must(t, err)
	enc, err := adapters.OpenFolder(ctx, f, adapters.Options{})
	must(t, err)
	defer enc.Close()
	ts, err := transformer.ReadTensors(filepath.Join(bag, PsiFile))
	must(t, err)
	var psi transformer.Tensor
	for _, x := range ts {
		if x.Name == "psi.weight" {
			psi = x
		}
	}
	h, tdim := psi.Shape[0], psi.Shape[1]
	texts := []string{bagLexicon[0][0] + " " + bagLexicon[5][0], bagLexicon[3][1] + " " + bagLexicon[9][1] + " " + bagLexicon[2][1]}
	targets := []string{bagLexicon[0][1] + " " + bagLexicon[5][1], texts[1]}
	got, err := enc.Encode(ctx, adapters.Request{Role: adapters.RoleDocument, Texts: texts})
	must(t, err)
	lex, err := adapters.OpenFolder(ctx, mustFolder(t, filepath.Join(dir, "teacher")), adapters.Options{})
	must(t, err)
	defer lex.Close()
	want, err := lex.Encode(ctx, adapters.Request{Role: adapters.RoleDocument, Texts: targets})
	must(t, err)
	for i := range texts {
		proj := make([]float32, tdim)
		for k := 0; k < h; k++ {
			for j := 0; j < tdim; j++ {
				proj[j] += got[i][k] * psi.Data[k*tdim+j]
			}
		}
		if c := cosine(proj, want[i]); c < 0.8 {
			t.Errorf("psi(student(%q)) has cosine %.3f with the teacher's %q; want the fitted bag (>= 0.8)", texts[i], c, targets[i])
		}
	}

	// 2. Single words, never seen alone, find their translations.
	de, en := make([]string, len(bagLexicon)), make([]string, len(bagLexicon))
	for i, p := range bagLexicon {
		de[i], en[i] = p[0], p[1]
	}
	dv, err := enc.Encode(ctx, adapters.Request{Role: adapters.RoleQuery, Texts: de})
	must(t, err)
	ev, err := enc.Encode(ctx, adapters.Request{Role: adapters.RoleDocument, Texts: en})
	must(t, err)
	hits := 0
	for i := range dv {
		best, bi := -2.0, -1
		for j := range ev {
			if c := cosine(dv[i], ev[j]); c > best {
				best, bi = c, j
			}
		}
		if bi == i {
			hits++
		}
	}
	// The last LayerNorm removes the constant every token carries through
	// the embedding LayerNorm: unrelated words are not all alike.
	var mean float64
	for i := range dv {
		for j := range dv {
			if i != j {
				mean += cosine(dv[i], dv[j]) / float64(len(dv)*(len(dv)-1))
			}
		}
	}
	if mean > 0.5 {
		t.Errorf("mean cosine between different words %.3f: the constant coordinate is not cancelled", mean)
	}
	t.Logf("word translation accuracy %d/%d; mean cosine between different words %.3f", hits, len(bagLexicon), mean)
	if hits < len(bagLexicon)*3/4 {
		t.Errorf("word translation accuracy %d/%d; want at least 3/4", hits, len(bagLexicon))
	}

	// 3. Training from the folder starts from its psi: the first step's
	// distillation loss is near 1 - the fit, far below a random psi's.
	first := func(withPsi bool) float64 {
		t.Helper()
		d := filepath.Join(dir, fmt.Sprintf("student-%v", withPsi))
		must(t, os.MkdirAll(d, 0o755))
		for _, name := range []string{"config.json", "model.safetensors", "tokenizer.json", "mimo-model.json", PsiFile} {
			if name == PsiFile && !withPsi {
				continue
			}
			b, err := os.ReadFile(filepath.Join(bag, name))
			must(t, err)
			must(t, os.WriteFile(filepath.Join(d, name), b, 0o644))
		}
		c := r.Cfg
		c.Student, c.StudentConfig, c.Tokenizer = d, "", ""
		c.Output = filepath.Join(dir, fmt.Sprintf("train-%v", withPsi))
		c.Stage1.LR = 1e-9
		run, closer, err := Setup(ctx, c)
		must(t, err)
		defer closer.Close()
		var log bytes.Buffer
		run.Log = &log
		_, err = run.Train(ctx)
		must(t, err)
		logs := readLog(t, &log)
		if len(logs) == 0 {
			t.Fatal("no step logged")
		}
		return logs[0].Terms["distill"]
	}
	warm, cold := first(true), first(false)
	t.Logf("first distillation loss: warm psi %.4f, random psi %.4f", warm, cold)
	if warm > 1-rep.FactorCos+0.1 || warm > cold/2 {
		t.Errorf("first distillation loss %.4f from the warm psi (fit %.4f), %.4f from a random one; want ~1-fit and far below", warm, rep.FactorCos, cold)
	}
}

func mustFolder(t *testing.T, dir string) adapters.Folder {
	t.Helper()
	f, err := adapters.ReadFolder(dir)
	must(t, err)
	return f
}

func cosine(a, b []float32) float64 {
	var d, aa, bb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return d / math.Sqrt(aa*bb)
}
