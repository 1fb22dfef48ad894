package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --report picks the rendering from the extension.
func TestWriteReportByExtension(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, prefix string }{{"r.html", "<!DOCTYPE html>"}, {"r.HTM", "<!DOCTYPE html>"}, {"r.md", "# Retrieval report"}} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name)
			if _, err := writeReport(out, "../../../reports/testdata/results"); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(b), tc.prefix) {
				t.Errorf("%s starts %.60q, want %q", tc.name, b, tc.prefix)
			}
		})
	}
}
