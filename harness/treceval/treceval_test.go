package treceval

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGolden runs every testdata/cases/NAME.args command line (paths
// relative to testdata/) and compares the output byte for byte with
// NAME.want, which trec_eval 9.0.8 printed for the same command line (see
// testdata/README).
func TestGolden(t *testing.T) {
	t.Chdir("testdata")
	argsFiles, err := filepath.Glob("cases/*.args")
	if err != nil || len(argsFiles) == 0 {
		t.Fatalf("no golden cases found: %v", err)
	}
	for _, f := range argsFiles {
		name := strings.TrimSuffix(filepath.Base(f), ".args")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(f, ".args") + ".want")
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			if rc := Main(strings.Fields(string(raw)), &stdout, &stderr); rc != 0 {
				t.Fatalf("exit status %d, stderr: %s", rc, stderr.String())
			}
			if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(stdout.String(), "\n")); diff != "" {
				t.Errorf("output differs from trec_eval (-want +got):\n%s", diff)
			}
		})
	}
}
