package builders

import (
	"context"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/tasks"
)

// TestParallelGroups: Belebele and MLQA documents carry their parallel
// group from the task's own structure (Belebele: the passage's link, the
// same across languages; MLQA: the contexts of one question id across
// languages), so the harness computes alignment for them (issue 15 item
// 5). On the fixtures (internal/cmd/buildersfixtures) the passage a doc is a
// version of is in its text; docs of the same passage share a group, and
// docs of different passages never do.
func TestParallelGroups(t *testing.T) {
	cases := []struct {
		task    string
		passage func(text string) string
	}{
		// "Passage A in deu_Latn." -> "A".
		{"BelebeleMLIR", func(s string) string { return strings.Fields(s)[1] }},
		// "P1 de." -> "P1"; m3's German context "P3 de." is a version of
		// the English "P1 en." (buildersfixtures: a duplicate English context).
		{"MLQAMLIR", func(s string) string {
			p := strings.Fields(s)[0]
			if p == "P3" {
				return "P1"
			}
			return p
		}},
	}
	for _, c := range cases {
		t.Run(c.task, func(t *testing.T) {
			task, err := New(c.task, tasks.DirSource{Root: fixtures})
			if err != nil {
				t.Fatal(err)
			}
			dss, err := task.Load(context.Background(), tasks.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			groupOf := map[string]string{}   // passage -> group
			passageOf := map[string]string{} // group -> passage
			langs := map[string]map[string]bool{}
			for _, d := range dss[0].Corpus {
				if d.Group == "" {
					t.Errorf("doc %s has no parallel group", d.ID)
					continue
				}
				p := c.passage(d.Text)
				if g, ok := groupOf[p]; ok && g != d.Group {
					t.Errorf("doc %s (passage %s) in group %q, other docs of the passage in %q", d.ID, p, d.Group, g)
				}
				if q, ok := passageOf[d.Group]; ok && q != p {
					t.Errorf("group %q holds passages %s and %s (doc %s)", d.Group, q, p, d.ID)
				}
				groupOf[p], passageOf[d.Group] = d.Group, p
				if langs[d.Group] == nil {
					langs[d.Group] = map[string]bool{}
				}
				langs[d.Group][d.Lang] = true
			}
			multi := 0
			for _, ls := range langs {
				if len(ls) > 1 {
					multi++
				}
			}
			if multi == 0 {
				t.Errorf("no group spans two languages: alignment would have nothing to pair")
			}
		})
	}
}
