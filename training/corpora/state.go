package corpora

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mimo-mlir/mimo/adapters/digest"
	"github.com/mimo-mlir/mimo/internal/atomicfile"
	"github.com/mimo-mlir/mimo/internal/filelock"
	"github.com/mimo-mlir/mimo/training/data"
)

// File names in a build folder.
const (
	ProgressFile = "progress.json"
	ManifestFile = "manifest.json"
	LockFile     = "build.lock"
	partsDir     = "parts"
)

// ErrOtherBuild is returned when the folder holds a build (finished or
// not) made with other options.
var ErrOtherBuild = errors.New("the folder holds a build with other options")

// Part is one finished unit of a build (a language, the id pairs): the
// files it wrote (relative to the build folder) with their SHA-256, and its
// counts.
type Part struct {
	Key    string            `json:"key"`
	Files  map[string]string `json:"files"`
	Counts map[string]int    `json:"counts,omitempty"`
}

// progress is OUT/progress.json: the options of the build, the commit its
// files are read at, and the parts finished so far, in order.
type progress struct {
	Options json.RawMessage `json:"options"`
	Commit  string          `json:"commit,omitempty"`
	Parts   []Part          `json:"parts"`
}

// build is the state of one build folder.
type build struct {
	dir  string
	prog progress
}

// openBuild reads OUT/progress.json when there is one, refusing one made
// with other options (unless overwrite, which removes the folder's build
// files first). A part whose files are gone or changed is forgotten, with
// every part after it, and redone.
func openBuild(dir string, options any, overwrite bool, notes io.Writer) (*build, error) {
	opts, err := json.Marshal(options)
	if err != nil {
		return nil, fmt.Errorf("corpora: %w", err)
	}
	b := &build{dir: dir, prog: progress{Options: opts}}
	if overwrite {
		for _, p := range []string{ProgressFile, ManifestFile, partsDir} {
			if err := os.RemoveAll(filepath.Join(dir, p)); err != nil {
				return nil, fmt.Errorf("corpora: %w", err)
			}
		}
		return b, nil
	}
	raw, err := os.ReadFile(filepath.Join(dir, ProgressFile))
	if errors.Is(err, fs.ErrNotExist) {
		return b, nil
	}
	if err != nil {
		return nil, fmt.Errorf("corpora: %w", err)
	}
	var old progress
	if err := json.Unmarshal(raw, &old); err != nil {
		return nil, fmt.Errorf("corpora: %s: %w", filepath.Join(dir, ProgressFile), err)
	}
	if !bytes.Equal(compact(old.Options), compact(opts)) {
		return nil, fmt.Errorf("corpora: %s: options %s, this build's %s: %w (another folder, or --overwrite)", dir, old.Options, opts, ErrOtherBuild)
	}
	b.prog.Commit = old.Commit
	for _, p := range old.Parts {
		if why := b.check(p); why != "" {
			fmt.Fprintf(notes, "corpora: part %s is redone: %s\n", p.Key, why)
			break
		}
		b.prog.Parts = append(b.prog.Parts, p)
	}
	return b, nil
}

func compact(b []byte) []byte {
	var out bytes.Buffer
	if json.Compact(&out, b) != nil {
		return b
	}
	return out.Bytes()
}

// check says why a recorded part cannot be reused ("" when it can).
func (b *build) check(p Part) string {
	for rel, sum := range p.Files {
		got, err := digest.File(filepath.Join(b.dir, rel))
		if err != nil {
			return err.Error()
		}
		if got != sum {
			return fmt.Sprintf("%s changed (SHA-256 %s, recorded %s)", rel, got, sum)
		}
	}
	return ""
}

// done returns the recorded part of key, if finished.
func (b *build) done(key string) (Part, bool) {
	for _, p := range b.prog.Parts {
		if p.Key == key {
			return p, true
		}
	}
	return Part{}, false
}

// record hashes the part's files (already written atomically) and appends
// it to progress.json, atomically.
func (b *build) record(key, commit string, counts map[string]int, files ...string) (Part, error) {
	p := Part{Key: key, Files: map[string]string{}, Counts: counts}
	for _, rel := range files {
		sum, err := digest.File(filepath.Join(b.dir, rel))
		if err != nil {
			return p, fmt.Errorf("corpora: %w", err)
		}
		p.Files[rel] = sum
	}
	b.prog.Commit = commit
	b.prog.Parts = append(b.prog.Parts, p)
	return p, writeJSON(filepath.Join(b.dir, ProgressFile), b.prog)
}

// writeJSON writes v, indented, atomically.
func writeJSON(path string, v any) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	})
}

// readManifest reads OUT/manifest.json into m; found is false when there
// is none.
func readManifest(dir string, m any) (found bool, err error) {
	raw, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("corpora: %w", err)
	}
	if err := json.Unmarshal(raw, m); err != nil {
		return false, fmt.Errorf("corpora: %s: %w", filepath.Join(dir, ManifestFile), err)
	}
	return true, nil
}

// concat writes the files rels (relative to dir), one after the other, to
// out atomically.
func concat(dir, out string, rels []string) error {
	return atomicfile.Write(filepath.Join(dir, out), 0o644, func(w io.Writer) error {
		for _, rel := range rels {
			f, err := os.Open(filepath.Join(dir, rel))
			if err != nil {
				return err
			}
			_, err = io.Copy(w, f)
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
		}
		return nil
	})
}

// sameOptions refuses a finished build of other options.
func sameOptions(dir string, had, want any) error {
	a, err := json.Marshal(had)
	if err != nil {
		return fmt.Errorf("corpora: %w", err)
	}
	b, err := json.Marshal(want)
	if err != nil {
		return fmt.Errorf("corpora: %w", err)
	}
	if !bytes.Equal(a, b) {
		return fmt.Errorf("corpora: %s: finished with options %s, asked for %s: %w (another folder, or --overwrite)", dir, a, b, ErrOtherBuild)
	}
	return nil
}

// checkOutput verifies a finished build's output against its manifest.
func checkOutput(dir, rel, sum string) error {
	got, err := fileSum(dir, rel)
	if err != nil {
		return err
	}
	if got != sum {
		return fmt.Errorf("corpora: %s: SHA-256 %s, the manifest says %s: the file changed after the build (rebuild with --overwrite)", filepath.Join(dir, rel), got, sum)
	}
	return nil
}

func fileSum(dir, rel string) (string, error) {
	sum, err := digest.File(filepath.Join(dir, rel))
	if err != nil {
		return "", fmt.Errorf("corpora: %w", err)
	}
	return sum, nil
}

// writePairs writes stage-1 pairs in data.ReadPairsJSONL's format, atomically.
func writePairs(path string, ps []data.SentencePair) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for i, p := range ps {
			if err := enc.Encode(p); err != nil {
				return fmt.Errorf("pair %d: %w", i, err)
			}
		}
		return nil
	})
}

// lockDir keeps a second build out of dir while this one runs (another
// holder is a *filelock.HeldError naming its pid).
func lockDir(dir string) (*filelock.Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("corpora: %w", err)
	}
	l, err := filelock.Acquire(filepath.Join(dir, LockFile))
	if err != nil {
		return nil, fmt.Errorf("corpora: %s: %w", dir, err)
	}
	return l, nil
}

// manifest is what reuse needs of a build's manifest.
type manifest interface {
	opts() any
	output() (rel, sha256 string)
}

// begin locks dir and reads its state: finished is true when dir holds a
// finished build of options (m is then read and its output verified);
// otherwise the revision is checked and the build opened (resuming a
// stopped one), with a fetcher bound to the commit it started at. The
// caller closes the lock.
func begin(dir string, m manifest, options any, repo, rev string, allowBranch, overwrite bool, src Source, notes io.Writer) (
	lock *filelock.Lock, b *build, f *fetcher, finished bool, err error) {
	held, err := lockDir(dir)
	if err != nil {
		return nil, nil, nil, false, err
	}
	defer func() {
		if err != nil {
			held.Close() // the named results are nil by now
		}
	}()
	found, err := readManifest(dir, m)
	if err != nil {
		return nil, nil, nil, false, err
	}
	if found && !overwrite {
		if err := sameOptions(dir, m.opts(), options); err != nil {
			return nil, nil, nil, false, err
		}
		rel, sum := m.output()
		return held, nil, nil, true, checkOutput(dir, rel, sum)
	}
	if err := checkRevision(repo, rev, allowBranch); err != nil {
		return nil, nil, nil, false, err
	}
	if b, err = openBuild(dir, options, overwrite, notes); err != nil {
		return nil, nil, nil, false, err
	}
	return held, b, &fetcher{src: src, repo: repo, rev: rev, commit: b.prog.Commit}, false, nil
}
