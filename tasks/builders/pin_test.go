package builders

import (
	"context"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/hub/hubtest"
	"github.com/mimo-mlir/mimo/tasks"
)

// TestPinBranches: an unpinned repository read from the Hub is pinned to
// the commit its branch points at (the server's X-Repo-Commit), the
// metadata records that commit, a note says how to pin it, and the pinned
// task builds; a local copy is left as it is.
func TestPinBranches(t *testing.T) {
	ctx := context.Background()
	srv := hubtest.NewServer(t, hubRoot)
	task, err := New("NeuCLIR2023MLIR", HubSource{Client: hubtest.NewClient(t, srv)})
	if err != nil {
		t.Fatal(err)
	}
	pinned, notes, err := task.PinBranches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pinned.Metadata().Revision, NeuCLIR2023Ref.Revision+" + "+testBenchRev; got != want {
		t.Errorf("pinned Revision = %q, want %q", got, want)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "--dataset-revision neuclir/bench@"+testBenchRev) {
		t.Errorf("notes = %q, want one naming the pin", notes)
	}
	if _, err := pinned.Load(ctx, tasks.LoadOptions{}); err != nil {
		t.Errorf("Load after PinBranches: %v", err)
	}
	if srv.Count("", "neuclir/bench/resolve/main/README.md") == 0 {
		t.Error("the branch was not asked for")
	}

	local, err := New("NeuCLIR2023MLIR", tasks.DirSource{Root: fixtures})
	if err != nil {
		t.Fatal(err)
	}
	same, notes, err := local.PinBranches(ctx)
	if err != nil || same != local || len(notes) != 0 {
		t.Errorf("local copy: %v, %q, same task %v; want it untouched", err, notes, same == local)
	}
}
