package corpora

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/hub/hubtest"
	"github.com/mimo-mlir/mimo/internal/filelock"
	"github.com/mimo-mlir/mimo/lang"
	"github.com/mimo-mlir/mimo/training/data"
)

// fixtureHub serves testdata/hub (written by internal/cmd/corporafixtures in the
// layouts of Helsinki-NLP/opus-100 and unicamp-dl/mmarco; testdata/README.md).
func fixtureHub(t *testing.T) HubSource {
	t.Helper()
	srv := hubtest.NewServer(t, "testdata/hub")
	return HubSource{Client: hubtest.NewClient(t, srv)}
}

// fixtureCap is the paper's 500,000 per language at fixture scale.
const fixtureCap = 20

func fixtureOPUS() OPUSOptions {
	o := PaperOPUS(42)
	o.Filter.PerLanguage = fixtureCap
	return o
}

// opusWant is what the fixture's construction (internal/cmd/corporafixtures,
// opusRows) gives, counted by hand: per language the clean pairs G (30,
// or ja 12, vi 15, hi 9, zh 4) plus 2 short, 1 long, 2 ratio >= 3, 1
// repeated English and, after ar, 2 English texts of ar's; the cap keeps
// 20; English gets the 9 x 10 pairs the caps dropped, capped to 20.
func opusWant() map[string]map[string]int {
	row := func(in, dup, capped, out int) map[string]int {
		return map[string]int{"in": in, "length": 3, "ratio": 2, "duplicate": dup, "capped": capped, "out": out}
	}
	w := map[string]map[string]int{
		"ar": row(36, 1, 10, 20),
		"hi": row(17, 3, 0, 9), "ja": row(20, 3, 0, 12), "vi": row(23, 3, 0, 15), "zh": row(12, 3, 0, 4),
		"en": {"in": 90, "capped": 70, "out": 20},
	}
	for _, l := range []string{"de", "nl", "es", "fr", "id", "it", "pt", "ru"} {
		w[l] = row(38, 3, 10, 20)
	}
	return w
}

func TestOPUSCounts(t *testing.T) {
	dir := t.TempDir()
	m, err := BuildOPUS(context.Background(), fixtureHub(t), dir, fixtureOPUS(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(opusWant(), m.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if m.Total != 240 {
		t.Errorf("total %d, want 9*20 + 9+12+15+4 + 20 = 240", m.Total)
	}
	if m.Paper != nil || m.PaperDiff != nil {
		t.Errorf("a scaled cap compared with Table 5: %v %v", m.Paper, m.PaperDiff)
	}
	pairs, err := data.ReadPairsJSONL(filepath.Join(dir, OPUSOutput))
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != m.Total {
		t.Fatalf("%d pairs in the file, manifest says %d", len(pairs), m.Total)
	}
	// Language by language equals the paper's filter applied at once to
	// every language's rows in build order.
	var raw []data.SentencePair
	for _, l := range m.Options.Langs {
		ps, err := readOPUS(filepath.Join("testdata/hub/datasets", OPUSRepo, OPUSTrainFile(l)), l)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, ps...)
	}
	f := data.PaperFilter(42)
	f.PerLanguage = fixtureCap
	want, _ := f.Apply(raw)
	if diff := cmp.Diff(want, pairs[:len(want)]); diff != "" {
		t.Errorf("stage-1 pairs differ from data.Filter.Apply on all languages (-want +got):\n%s", diff)
	}
	anchors := map[string]bool{}
	for _, p := range pairs {
		if anchors[p.En] {
			t.Errorf("English anchor %q appears twice", p.En)
		}
		anchors[p.En] = true
		if p.Lang == "en" && p.Text != p.En {
			t.Errorf("English pair is not an identity pair: %+v", p)
		}
	}
}

func TestTable5(t *testing.T) {
	sum := 0
	for _, l := range lang.Paper {
		sum += Table5[l]
	}
	if sum != 5_647_936 || len(Table5) != 14 {
		t.Errorf("Table 5 sums to %d over %d languages, the paper says 5,647,936 over 14", sum, len(Table5))
	}
	// At the paper's cap the fixture is far below Table 5 everywhere, and
	// the manifest says so language by language.
	m, err := BuildOPUS(context.Background(), fixtureHub(t), t.TempDir(), PaperOPUS(42), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Table5, m.Paper); diff != "" {
		t.Errorf("paper column (-want +got):\n%s", diff)
	}
	if len(m.PaperDiff) != 14 {
		t.Errorf("paper differences %v, want all 14 languages", m.PaperDiff)
	}
}

func TestMMARCOCounts(t *testing.T) {
	dir := t.TempDir()
	m, err := BuildMMARCO(context.Background(), fixtureHub(t), dir, PaperMMARCO(42), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// internal/cmd/corporafixtures: 200 queries in 401 triples, 201 unique
	// (query, positive) pairs; hi lacks passage 5007, ja query 1009.
	want := map[string]map[string]int{"pairs": {"triples": 401, "pairs": 201}}
	for _, l := range lang.Paper {
		want[l] = map[string]int{"rows": 201, "missing": 0}
	}
	want["hi"] = map[string]int{"rows": 200, "missing": 1}
	want["ja"] = map[string]int{"rows": 200, "missing": 1}
	if diff := cmp.Diff(want, m.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if m.Rows != 199 {
		t.Errorf("rows %d, want 201 - 2 = 199", m.Rows)
	}
	// 199 rows: 182 pairs, 17 of them twice; 14 languages, 3 of them 15 times.
	wantComp := map[string]Composition{
		"mimo": {182, map[string]int{"2": 17, "1": 165}}, "xlco": {182, map[string]int{"2": 17, "1": 165}},
		"lakda-queries": {182, map[string]int{"2": 17, "1": 165}},
		"infonce":       {14, map[string]int{"15": 3, "14": 11}}, "lakda-positives": {14, map[string]int{"15": 3, "14": 11}},
	}
	if diff := cmp.Diff(wantComp, m.Compositions); diff != "" {
		t.Errorf("compositions (-want +got):\n%s", diff)
	}
	rows, err := data.ReadRowsJSONL(filepath.Join(dir, MMARCOOutput))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]data.ParallelRow{}
	for _, r := range rows {
		ids[r.ID] = r
		if len(data.CommonLanguages([]data.ParallelRow{r})) != 14 {
			t.Errorf("row %s has languages %v", r.ID, data.CommonLanguages([]data.ParallelRow{r}))
		}
	}
	for _, id := range []string{"1007-5007", "1009-5009"} {
		if _, ok := ids[id]; ok {
			t.Errorf("row %s is missing in one language and was kept", id)
		}
	}
	r, ok := ids["1005-5500"]
	if !ok || !strings.HasPrefix(r.Positive["en"], "Some say ") || r.Query["de"] == r.Query["en"] {
		t.Errorf("second positive of query 1005: %+v", r)
	}
	if rows[0].ID != "1000-5000" || rows[len(rows)-1].ID != "1199-5199" {
		t.Errorf("rows not in the triples' order: first %s, last %s", rows[0].ID, rows[len(rows)-1].ID)
	}
}

// TestPaperComposition: the paper's 415,938 rows over the 14 languages
// give 68 pairs 2,286 times and 114 pairs 2,285 times (the paper rounds
// to "2,286 each"); InfoNCE 12 languages 29,710 times and 2 29,709 times.
func TestPaperComposition(t *testing.T) {
	c, err := Compositions(PaperMMARCORows, lang.Paper, 42)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Composition{
		"mimo": {182, map[string]int{"2286": 68, "2285": 114}}, "xlco": {182, map[string]int{"2286": 68, "2285": 114}},
		"lakda-queries": {182, map[string]int{"2286": 68, "2285": 114}},
		"infonce":       {14, map[string]int{"29710": 12, "29709": 2}}, "lakda-positives": {14, map[string]int{"29710": 12, "29709": 2}},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestUnpinned(t *testing.T) {
	src := &countingSource{src: fixtureHub(t)}
	o := fixtureOPUS()
	o.Revision = "main"
	if _, err := BuildOPUS(context.Background(), src, t.TempDir(), o, io.Discard); !errors.Is(err, ErrUnpinned) {
		t.Fatalf("a branch was not refused: %v", err)
	}
	if src.total() != 0 {
		t.Errorf("%d files fetched before refusing", src.total())
	}
	o.AllowUnpinned = true
	m, err := BuildOPUS(context.Background(), src, t.TempDir(), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if m.Commit != hubtest.Commit(OPUSRepo) || m.Revision != "main" {
		t.Errorf("manifest revision %s commit %s, want main at the server's X-Repo-Commit %s", m.Revision, m.Commit, hubtest.Commit(OPUSRepo))
	}
}

// countingSource counts fetches per path and can fail the n-th one, as a
// build killed while downloading.
type countingSource struct {
	src    Source
	failAt int // 1-based; 0: never
	mu     sync.Mutex
	n      int
	paths  map[string]int
}

var errKilled = errors.New("killed")

func (c *countingSource) Fetch(ctx context.Context, repo, rev, path string) (string, string, error) {
	c.mu.Lock()
	c.n++
	if c.paths == nil {
		c.paths = map[string]int{}
	}
	c.paths[path]++
	n := c.n
	c.mu.Unlock()
	if n == c.failAt {
		return "", "", errKilled
	}
	return c.src.Fetch(ctx, repo, rev, path)
}

func (c *countingSource) total() int { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

func readAll(t *testing.T, dir string, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		out[n] = string(b)
	}
	return out
}

// TestResume: a build stopped while fetching (here the 5th language's
// file, or mMARCO's 3rd language) resumes where it stopped: the finished
// languages are not fetched again, and the folder ends byte for byte as an
// uninterrupted build's. A part changed after it was recorded is redone.
func TestResume(t *testing.T) {
	hubSrc := fixtureHub(t)
	cases := []struct {
		name  string
		build func(Source, string) error
		fail  int
		again []string // paths the resumed build must not fetch
	}{
		{"opus", func(s Source, d string) error {
			_, err := BuildOPUS(context.Background(), s, d, fixtureOPUS(), io.Discard)
			return err
		}, 5, []string{OPUSTrainFile("ar"), OPUSTrainFile("de"), OPUSTrainFile("nl"), OPUSTrainFile("es")}},
		{"mmarco", func(s Source, d string) error {
			_, err := BuildMMARCO(context.Background(), s, d, PaperMMARCO(42), io.Discard)
			return err
		}, 6, []string{MMARCOTriples, MMARCOPrefix + "/queries/train/arabic_queries.train.tsv", MMARCOPrefix + "/collections/german_collection.tsv"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			whole := t.TempDir()
			if err := c.build(hubSrc, whole); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := c.build(&countingSource{src: hubSrc, failAt: c.fail}, dir); !errors.Is(err, errKilled) {
				t.Fatalf("first build: %v, want the injected failure", err)
			}
			if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err == nil {
				t.Fatal("a manifest after a failed build")
			}
			again := &countingSource{src: hubSrc}
			if err := c.build(again, dir); err != nil {
				t.Fatal(err)
			}
			for _, p := range c.again {
				if again.paths[p] != 0 {
					t.Errorf("%s fetched again after the resume", p)
				}
			}
			files := []string{ManifestFile, ProgressFile, OPUSOutput}
			if c.name == "mmarco" {
				files[2] = MMARCOOutput
			}
			if diff := cmp.Diff(readAll(t, whole, files...), readAll(t, dir, files...)); diff != "" {
				t.Errorf("resumed build differs from an uninterrupted one (-whole +resumed):\n%s", diff)
			}
		})
	}
	t.Run("changed-part", func(t *testing.T) {
		whole, dir := t.TempDir(), t.TempDir()
		if _, err := BuildOPUS(context.Background(), hubSrc, whole, fixtureOPUS(), io.Discard); err != nil {
			t.Fatal(err)
		}
		if _, err := BuildOPUS(context.Background(), &countingSource{src: hubSrc, failAt: 4}, dir, fixtureOPUS(), io.Discard); !errors.Is(err, errKilled) {
			t.Fatal(err)
		}
		// de's part is damaged after it was recorded: de and everything after it is redone.
		if err := os.WriteFile(filepath.Join(dir, partFile("de", ".jsonl")), []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		var notes strings.Builder
		again := &countingSource{src: hubSrc}
		if _, err := BuildOPUS(context.Background(), again, dir, fixtureOPUS(), &notes); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(notes.String(), "part de is redone") || again.paths[OPUSTrainFile("ar")] != 0 || again.paths[OPUSTrainFile("de")] != 1 {
			t.Errorf("notes %q, fetches %v", notes.String(), again.paths)
		}
		files := []string{ManifestFile, OPUSOutput}
		if diff := cmp.Diff(readAll(t, whole, files...), readAll(t, dir, files...)); diff != "" {
			t.Errorf("(-whole +repaired):\n%s", diff)
		}
	})
}

// TestWrittenOnce: a finished folder is reused as it is for the same
// options (no fetch), refused for others, and rebuilt with Overwrite.
func TestWrittenOnce(t *testing.T) {
	hubSrc := fixtureHub(t)
	dir := t.TempDir()
	if _, err := BuildOPUS(context.Background(), hubSrc, dir, fixtureOPUS(), io.Discard); err != nil {
		t.Fatal(err)
	}
	src := &countingSource{src: hubSrc}
	m, err := BuildOPUS(context.Background(), src, dir, fixtureOPUS(), io.Discard)
	if err != nil || !m.Reused || src.total() != 0 {
		t.Fatalf("second build: reused %v, %d fetches, %v", m != nil && m.Reused, src.total(), err)
	}
	other := fixtureOPUS()
	other.Filter.PerLanguage = 10
	if _, err := BuildOPUS(context.Background(), src, dir, other, io.Discard); !errors.Is(err, ErrOtherBuild) {
		t.Fatalf("other options: %v, want ErrOtherBuild", err)
	}
	other.Overwrite = true
	m, err = BuildOPUS(context.Background(), src, dir, other, io.Discard)
	if err != nil || m.Reused || m.Counts["ar"]["out"] != 10 {
		t.Fatalf("overwrite: %+v, %v", m, err)
	}
	// A file edited after the build is an error, not silently reused.
	if err := os.WriteFile(filepath.Join(dir, OPUSOutput), []byte("\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	other.Overwrite = false
	if _, err := BuildOPUS(context.Background(), src, dir, other, io.Discard); err == nil || !strings.Contains(err.Error(), "changed after the build") {
		t.Fatalf("edited output: %v", err)
	}
}

// TestDirSource: the fixture folder read as a folder (what
// `mimo-train data --hub-dir` and the miniature recipe do) builds the same
// bytes as through the Hub server.
func TestDirSource(t *testing.T) {
	viaHub, viaDir := t.TempDir(), t.TempDir()
	if _, err := BuildMMARCO(context.Background(), fixtureHub(t), viaHub, PaperMMARCO(42), io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := BuildMMARCO(context.Background(), DirSource{Root: "testdata/hub"}, viaDir, PaperMMARCO(42), io.Discard); err != nil {
		t.Fatal(err)
	}
	files := []string{MMARCOOutput, ManifestFile}
	if diff := cmp.Diff(readAll(t, viaHub, files...), readAll(t, viaDir, files...)); diff != "" {
		t.Errorf("(-hub +dir):\n%s", diff)
	}
	if _, _, err := (DirSource{Root: "testdata/hub"}).Fetch(context.Background(), MMARCORepo, MMARCORevision, "../../../etc/passwd"); err == nil {
		t.Error("a path out of the folder was served")
	}
}

// movingSource answers each file at a new commit, as a branch that moves
// during the build.
type movingSource struct {
	src Source
	n   int
}

func (m *movingSource) Fetch(ctx context.Context, repo, rev, path string) (string, string, error) {
	p, _, err := m.src.Fetch(ctx, repo, rev, path)
	m.n++
	return p, strings.Repeat(string(rune('a'+m.n%6)), 40), err
}

func TestBranchMoved(t *testing.T) {
	o := fixtureOPUS()
	o.Revision, o.AllowUnpinned = "main", true
	_, err := BuildOPUS(context.Background(), &movingSource{src: fixtureHub(t)}, t.TempDir(), o, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "the branch moved during the build") {
		t.Fatalf("files from two commits: %v", err)
	}
}

// TestOneBuilder: a folder another build holds is refused, naming it.
func TestOneBuilder(t *testing.T) {
	dir := t.TempDir()
	l, err := filelock.Acquire(filepath.Join(dir, LockFile))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = BuildOPUS(context.Background(), fixtureHub(t), dir, fixtureOPUS(), io.Discard)
	var held *filelock.HeldError
	if !errors.As(err, &held) {
		t.Fatalf("second builder: %v, want a *filelock.HeldError", err)
	}
}
