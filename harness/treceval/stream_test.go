package treceval

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestScoreFileMatchesCompute: the streaming scorer (ScoreFile, what Main
// uses) prints what ReadRun + Compute print, with chunks down to a few
// bytes (so queries and lines span chunk boundaries), for grouped runs and
// for a run whose queries are interleaved (the re-read path), and reports
// the same first error naming file:line.
func TestScoreFileMatchesCompute(t *testing.T) {
	defer func(n int) { chunkSize = n }(chunkSize)
	ms, err := ParseMeasures(allMeasures)
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	dir := t.TempDir()
	grouped, err := os.ReadFile("testdata/random/run")
	if err != nil {
		t.Fatal(err)
	}
	ls := strings.SplitAfter(string(grouped), "\n")
	var inter strings.Builder // odd lines, then even lines: every query twice
	for i := 0; i < len(ls); i += 2 {
		inter.WriteString(ls[i])
	}
	for i := 1; i < len(ls); i += 2 {
		inter.WriteString(ls[i])
	}
	runs := map[string]string{
		"grouped":     string(grouped),
		"interleaved": inter.String(),
		"bad line":    string(grouped) + "x Q0 d 1\n",
		"dup":         "1 Q0 a 1 0.5 r\n1 Q0 b 2 0.4 r\n1 Q0 a 3 0.1 r\n",
	}
	qrels, err := ReadQrels("testdata/random/qrels")
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range runs {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{1, 7, 64, 4096, 4 << 20} {
			chunkSize = size
			t.Run(name+"/"+filepath.Base(path), func(t *testing.T) {
				want, wantErr := func() (string, error) {
					run, err := ReadRun(path)
					if err != nil {
						return "", err
					}
					rep, err := Compute(qrels, run, ms, opts)
					if err != nil {
						return "", err
					}
					var b bytes.Buffer
					err = rep.Write(&b, true, false)
					return b.String(), err
				}()
				var got bytes.Buffer
				rep, err := ScoreFile(qrels, path, ms, opts)
				if err == nil {
					err = rep.Write(&got, true, false)
				}
				if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
					t.Fatalf("chunk %d: err = %v, want %v", size, err, wantErr)
				}
				if diff := cmp.Diff(want, got.String()); diff != "" {
					t.Errorf("chunk %d: output differs (-Compute +ScoreFile):\n%s", size, diff)
				}
			})
		}
	}
}
