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
)

// iso6393 maps MTEB's ISO 639-3 codes (what `mteb run -l` takes) to the
// ISO 639-1 codes the tasks tag their queries and documents with, for
// every language of the paper's tasks.
var iso6393 = map[string]string{
	"ara": "ar", "ben": "bn", "deu": "de", "ell": "el", "eng": "en", "spa": "es",
	"fas": "fa", "fin": "fi", "fra": "fr", "hin": "hi", "ind": "id", "ita": "it",
	"jpn": "ja", "kor": "ko", "nld": "nl", "pol": "pl", "por": "pt", "ron": "ro",
	"rus": "ru", "swa": "sw", "tel": "te", "tha": "th", "tur": "tr", "vie": "vi",
	"yor": "yo", "zho": "zh", "cmn": "zh",
}

// normalizeLangs accepts "de", "deu", "deu-Latn" and "DE", returning the
// 639-1 code; an unknown three-letter code is an error naming it.
func normalizeLangs(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, l := range in {
		code := strings.ToLower(l)
		code, _, _ = strings.Cut(code, "-")
		code, _, _ = strings.Cut(code, "_")
		if len(code) == 3 {
			two, ok := iso6393[code]
			if !ok {
				known := make([]string, 0, len(iso6393))
				for k := range iso6393 {
					known = append(known, k)
				}
				sort.Strings(known)
				return nil, fmt.Errorf("language %q: unknown ISO 639-3 code (known: %s)", l, strings.Join(known, " "))
			}
			code = two
		}
		out = append(out, code)
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
