package cli

import (
	"strings"
	"testing"
)

// builderFixtures are tasks/builders' fixture repositories, laid out as
// --source reads them (DIR/<org>/<dataset>/<files>).
const builderFixtures = "../../../tasks/builders/testdata/hub/datasets"

// TestSourceAndRevisionFlags: --source is handed to each selected builder
// task explicitly (no package-wide default), and --dataset-revision pins a
// repository a selected task reads: NeuCLIR builds from a local copy with
// or without a pin for neuclir/bench (from the Hub an unpinned branch is
// pinned to its current commit first: builders' TestPinBranches), and a
// pin that no selected task reads, or that is not a commit, is a usage
// error.
func TestSourceAndRevisionFlags(t *testing.T) {
	const commit = "0123456789abcdef0123456789abcdef01234567"
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"xquad from --source", []string{"--tasks", "xquad"}, 0, []string{"XQuADMLIR", "all"}, nil},
		{"neuclir unpinned from a local copy", []string{"--tasks", "neuclir2022"}, 0,
			[]string{"NeuCLIR2022MLIR (split test, subset default)"}, nil},
		{"neuclir pinned", []string{"--tasks", "neuclir2022", "--dataset-revision", "neuclir/bench@" + commit}, 0,
			[]string{"NeuCLIR2022MLIR (split test, subset default)"}, nil},
		{"pin read by no selected task", []string{"--tasks", "xquad", "--dataset-revision", "neuclir/bench@" + commit}, 2, nil,
			[]string{"no selected task reads neuclir/bench"}},
		{"pin not a commit", []string{"--tasks", "neuclir2023", "--dataset-revision", "neuclir/bench@main"}, 2, nil,
			[]string{`revision "main" is not a 40-hex commit`}},
		{"pin without @", []string{"--tasks", "neuclir2023", "--dataset-revision", "neuclir/bench"}, 2, nil,
			[]string{"want REPO@COMMIT"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := run(append([]string{"stats", "--source", builderFixtures}, c.args...)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, stdout, stderr)
			}
			for _, w := range c.stdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range c.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}
