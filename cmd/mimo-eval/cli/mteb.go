package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/harness"
	"github.com/mimo-mlir/mimo/harness/cache"
	"github.com/mimo-mlir/mimo/internal/textset"
	"github.com/mimo-mlir/mimo/lang"
)

// normalizeLangs accepts "de", "deu", "deu-Latn" and "DE" (lang.Normalize),
// as MTEB's -l takes ISO 639-3 codes; a code of no language the tasks know
// is an error naming it.
func normalizeLangs(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, l := range in {
		if !lang.Known(l) {
			var known []string
			for _, x := range lang.All() {
				known = append(known, lang.ISO3(x.Code))
			}
			sort.Strings(known)
			return nil, fmt.Errorf("language %q: unknown code (known ISO 639-3: %s)", l, strings.Join(known, " "))
		}
		out = append(out, lang.Normalize(l))
	}
	return out, nil
}

// describePrompts says which prompts the model's texts get, so a run
// without the prompts its family needs is visible.
func describePrompts(id adapters.Identity) string {
	q := id.PromptFor(adapters.RoleQuery, "")
	d := id.PromptFor(adapters.RoleDocument, "")
	if q == "" && d == "" && len(id.Prompts) == 0 {
		return "no prompts (texts are encoded as they are)"
	}
	s := fmt.Sprintf("query prompt %q, document prompt %q", q, d)
	n := 0
	for k := range id.Prompts {
		if strings.Contains(k, ":") {
			n++
		}
	}
	if n > 0 {
		s += fmt.Sprintf(" (and %d task-specific)", n)
	}
	return s
}

// readTrainingTexts reads dir's training-texts.mimoset, nil when absent.
func readTrainingTexts(dir string) (*textset.Set, error) {
	set, err := textset.Read(filepath.Join(dir, textset.FileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return set, err
}

// cacheDirOf names the embedding cache a run uses, for messages.
func cacheDirOf(o harness.Options) string {
	if o.CacheDir != "" {
		return o.CacheDir
	}
	if d, err := cache.DefaultDir(); err == nil {
		return d
	}
	return "the embedding cache"
}
