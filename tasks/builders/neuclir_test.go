package builders

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/hub/hubtest"
	"github.com/mimo-mlir/mimo/tasks"
)

// TestNeuCLIRBenchPinned: without a 40-hex commit for neuclir/bench the
// NeuCLIR tasks refuse to build from the Hub (ErrUnpinned; PinBranches
// pins the branch first) and their metadata says "unpinned"; a local copy
// builds as it is; WithRevision takes only a commit of one of the task's
// repositories, and the metadata (which results record) names it.
func TestNeuCLIRBenchPinned(t *testing.T) {
	task, err := New("NeuCLIR2022MLIR", tasks.DirSource{Root: fixtures})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := task.Metadata().Revision, NeuCLIR2022Ref.Revision+" + unpinned"; got != want {
		t.Errorf("unpinned Revision = %q, want %q", got, want)
	}
	if _, err := task.Load(context.Background(), tasks.LoadOptions{}); err != nil {
		t.Errorf("unpinned Load of a local copy: %v", err)
	}
	fromHub, err := New("NeuCLIR2022MLIR", HubSource{Client: hubtest.NewClient(t, hubtest.NewServer(t, hubRoot))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = fromHub.Load(context.Background(), tasks.LoadOptions{})
	if !errors.Is(err, ErrUnpinned) {
		t.Fatalf("unpinned Load: %v, want ErrUnpinned", err)
	}
	for _, w := range []string{"neuclir/bench", "not a 40-hex commit", "--dataset-revision neuclir/bench@COMMIT"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	for _, c := range []struct{ repo, rev, want string }{
		{"neuclir/bench", "main", "not a 40-hex commit"},
		{"neuclir/bench", strings.Repeat("a", 39), "not a 40-hex commit"},
		{"neuclir/other", testBenchRev, "reads no repository neuclir/other"},
	} {
		if _, err := task.WithRevision(c.repo, c.rev); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("WithRevision(%s, %s) = %v, want an error saying %q", c.repo, c.rev, err, c.want)
		}
	}
	pinned, err := task.WithRevision("neuclir/bench", testBenchRev)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pinned.Metadata().Revision, NeuCLIR2022Ref.Revision+" + "+testBenchRev; got != want {
		t.Errorf("pinned Revision = %q, want %q", got, want)
	}
	if task.Metadata().Revision != NeuCLIR2022Ref.Revision+" + unpinned" {
		t.Error("WithRevision changed the task it was called on")
	}
}

// TestNeuCLIRBenchResolvedCommit: through the Hub, the commit the server
// answers (X-Repo-Commit) must be the pin; a server answering another
// commit for it is an error naming both, so a result never records a
// commit whose files were not the ones read.
func TestNeuCLIRBenchResolvedCommit(t *testing.T) {
	srv := hubtest.NewServer(t, hubRoot)
	task, err := New("NeuCLIR2023MLIR", HubSource{Client: hubtest.NewClient(t, srv)})
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Repeat("ab", 20)
	task, err = task.WithRevision(NeuCLIRBenchRef.Repo, other)
	if err != nil {
		t.Fatal(err)
	}
	_, err = task.Load(context.Background(), tasks.LoadOptions{})
	if !errors.Is(err, ErrRevisionMismatch) {
		t.Fatalf("Load: %v, want ErrRevisionMismatch", err)
	}
	for _, w := range []string{"asked for commit " + other, "X-Repo-Commit " + testBenchRev} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if srv.Count("", "neuclir/bench/resolve/"+other+"/README.md") == 0 {
		t.Errorf("the card was not read at the pinned revision")
	}
}

// TestNeuCLIRBenchCard: the files come from the card's configs, not from
// assumed names: a card naming moved files builds the same golden; a card
// whose separator or columns differ from the ones read, or naming a file
// the repository lacks, or no card at all, is an error naming README.md.
func TestNeuCLIRBenchCard(t *testing.T) {
	card, err := os.ReadFile(filepath.Join(fixtures, "neuclir", "bench", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(fixtures, "neuclir", "bench", filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	moved := bytes.ReplaceAll(card, []byte("path: data/news.eng.tsv"), []byte("path: topics/eng/*.tsv"))
	moved = bytes.ReplaceAll(moved, []byte("path: data/qrels.zho.gains.txt"), []byte("path: qrels/zho.txt"))
	t.Run("moved files", func(t *testing.T) {
		src := overlay{base: tasks.DirSource{Root: fixtures}, repo: "neuclir/bench", files: map[string][]byte{
			"README.md": moved, "data/news.eng.tsv": nil, "data/qrels.zho.gains.txt": nil,
			"topics/eng/news.tsv": read("data/news.eng.tsv"), "qrels/zho.txt": read("data/qrels.zho.gains.txt"),
		}}
		task, err := newTask("NeuCLIR2022MLIR", src)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := task.Load(context.Background(), tasks.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(readGolden(t, "neuclir2022.json"), toGolden(ds)); diff != "" {
			t.Errorf("neuclir2022.json (-golden +got):\n%s", diff)
		}
	})
	for _, c := range []struct {
		name  string
		files map[string][]byte
		is    error
		want  []string
	}{
		{"qrels separator changed", map[string][]byte{"README.md": bytes.Replace(card, []byte("sep: ' '"), []byte("sep: ','"), 1)}, errColumn,
			[]string{"README.md: config \"qrels\"", `want format csv, sep " "`, `sep ","`}},
		{"query columns changed", map[string][]byte{"README.md": bytes.Replace(card, []byte("      - query\n"), []byte("      - text\n"), 1)}, errColumn,
			[]string{"config \"queries\"", "names [id query]", "names [id text]"}},
		{"card names a missing file", map[string][]byte{"data/news.eng.tsv": nil}, tasks.ErrNotFound,
			[]string{"config \"queries\" split \"eng\"", "data/news.eng.tsv matches 0 files"}},
		{"no eng split", map[string][]byte{"README.md": bytes.Replace(card, []byte("split: eng"), []byte("split: english"), 1)}, errColumn,
			[]string{`no split "eng"`, "english"}},
		{"no card", map[string][]byte{"README.md": nil}, tasks.ErrNotFound, []string{"neuclir/bench@" + testBenchRev, "README.md"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			task, err := newTask("NeuCLIR2022MLIR", overlay{base: tasks.DirSource{Root: fixtures}, repo: "neuclir/bench", files: c.files})
			if err != nil {
				t.Fatal(err)
			}
			_, err = task.Load(context.Background(), tasks.LoadOptions{})
			if !errors.Is(err, c.is) {
				t.Fatalf("error %v, want %v", err, c.is)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
