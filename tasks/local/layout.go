package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Layout is one of the folder layouts this package reads.
type Layout int

// The layouts.
const (
	// LayoutMIMO is the MIMO authors' layout: queries.jsonl with "lang",
	// corpus.jsonl as {"docid": {...}}, qrels.jsonl.
	LayoutMIMO Layout = iota + 1
	// LayoutBEIR is BEIR's: corpus.jsonl, queries.jsonl, qrels/{split}.tsv.
	LayoutBEIR
	// LayoutMTEB is MTEB's Hugging Face retrieval layout (a local
	// download): configs corpus, queries and default/qrels.
	LayoutMTEB
)

func (l Layout) String() string {
	switch l {
	case LayoutMIMO:
		return "MIMO"
	case LayoutBEIR:
		return "BEIR"
	case LayoutMTEB:
		return "MTEB"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// ErrNoLayout is wrapped by DetectLayout's error for a folder that holds
// none of the layouts.
var ErrNoLayout = errors.New("not a task folder")

// DetectLayout tells which layout the folder dir of fsys holds, by its
// files:
//
//   - qrels.jsonl (or .gz) at the top: the authors' layout;
//   - qrels/ holding .tsv files: BEIR;
//   - a README.md whose YAML has `configs:`, or corpus/queries/qrels data
//     files in MTEB's conventional places: MTEB;
//   - queries.jsonl alone: the authors' layout (Read then names the
//     missing file).
//
// A folder with both qrels.jsonl and qrels/*.tsv is an error, as is one
// with none of these (wrapping ErrNoLayout).
func DetectLayout(fsys fs.FS, dir string) (Layout, error) {
	isFile := func(name string) bool {
		st, err := fs.Stat(fsys, path.Join(dir, name))
		return err == nil && st.Mode().IsRegular()
	}
	mimo := isFile(QrelsFile) || isFile(QrelsFile+".gz")
	beir := false
	if splits, err := qrelsSplits(fsys, dir); err == nil && len(splits) > 0 {
		beir = true
	}
	switch {
	case mimo && beir:
		return 0, fmt.Errorf("both %s (the MIMO authors' layout) and %s/*.tsv (BEIR's): remove one", QrelsFile, BEIRQrelsDir)
	case mimo:
		return LayoutMIMO, nil
	case beir:
		return LayoutBEIR, nil
	}
	card, ok, err := readCard(fsys, dir)
	if err != nil {
		return 0, err
	}
	if ok && len(card.Configs) > 0 {
		return LayoutMTEB, nil
	}
	if files, err := listFiles(fsys, dir); err == nil {
		// Found but faulty (two formats of one split) is still MTEB's:
		// opening it says what is wrong.
		if _, err := conventionalParts(files); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return LayoutMTEB, nil
		}
	}
	if isFile(QueriesFile) || isFile(QueriesFile+".gz") {
		return LayoutMIMO, nil
	}
	return 0, fmt.Errorf("%w: no %s, %s/*.tsv or %s with configs (want the MIMO authors' layout, BEIR's or MTEB's)", ErrNoLayout, QrelsFile, BEIRQrelsDir, CardFile)
}

// IsTaskDir reports whether dir holds a local task in one of the layouts
// (or a folder DetectLayout finds ambiguous, so that opening it says why).
func IsTaskDir(dir string) bool {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return false
	}
	_, err = DetectLayout(os.DirFS(dir), ".")
	return !errors.Is(err, ErrNoLayout)
}

// OpenAll opens dir as one task when it is a task folder, else every
// immediate subfolder that is one (the authors' MMLIR/ folder holds
// Belebele_test, XQuAD_test, ...; a BEIR download folder holds scifact/,
// nfcorpus/, ...), sorted by name.
func OpenAll(dir string, opts ...Option) ([]*Task, error) {
	if IsTaskDir(dir) {
		t, err := Open(dir, opts...)
		if err != nil {
			return nil, err
		}
		return []*Task{t}, nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("local tasks %s: %w", dir, err)
	}
	var out []*Task
	for _, e := range ents { // ReadDir sorts by name
		sub := filepath.Join(dir, e.Name())
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || !IsTaskDir(sub) {
			continue
		}
		t, err := Open(sub, opts...)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("local tasks %s: neither it nor a subfolder is a task folder (the MIMO authors' %s, BEIR's %s/*.tsv or MTEB's %s configs): %w", dir, QrelsFile, BEIRQrelsDir, CardFile, ErrNoLayout)
	}
	return out, nil
}
