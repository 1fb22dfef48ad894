// Package source reads the hand-written source of the mini benchmark (one
// JSON file per topic under tasks/mini/source, every passage and question
// with all its translations side by side) and renders it into the local task
// layout (queries.jsonl, corpus.jsonl, qrels.jsonl) that tasks/mini embeds.
package minisource

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Langs are the languages of the mini benchmark, in corpus order: English,
// three more Latin-script languages, and four other scripts (Cyrillic, Han,
// Japanese kana+kanji, Arabic).
var Langs = []string{"en", "de", "es", "fr", "ru", "zh", "ja", "ar"}

// Item is one passage with the one question it answers, in every language.
type Item struct {
	ID       string            `json:"id"` // two digits, "01".."99"
	Topic    string            `json:"-"`  // the source file's name
	Passage  map[string]string `json:"passage"`
	Question map[string]string `json:"question"`
}

var idRe = regexp.MustCompile(`^[0-9]{2}$`)

// Load reads every *.json file of fsys (sorted by name) and checks that each
// item has a unique two-digit id and a non-empty passage and question in
// every language of Langs, and no other language. Items come back sorted by id.
func Load(fsys fs.FS) ([]Item, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("mini source: no *.json files")
	}
	sort.Strings(names)
	seen := map[string]string{}
	var out []Item
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var items []Item
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&items); err != nil {
			return nil, fmt.Errorf("mini source %s: %w", name, err)
		}
		topic := strings.TrimSuffix(path.Base(name), ".json")
		for i, it := range items {
			it.Topic = topic
			if !idRe.MatchString(it.ID) {
				return nil, fmt.Errorf("mini source %s: item %d: id %q is not two digits", name, i+1, it.ID)
			}
			if prev, dup := seen[it.ID]; dup {
				return nil, fmt.Errorf("mini source %s: item %d: id %q already used in %s", name, i+1, it.ID, prev)
			}
			seen[it.ID] = name
			// Passage before question, always: a map literal here would make
			// the reported field depend on map iteration order.
			for _, f := range []struct {
				name string
				m    map[string]string
			}{{"passage", it.Passage}, {"question", it.Question}} {
				field, m := f.name, f.m
				for _, l := range Langs {
					if strings.TrimSpace(m[l]) == "" {
						return nil, fmt.Errorf("mini source %s: item %s: %s in %q is missing or empty", name, it.ID, field, l)
					}
				}
				if len(m) != len(Langs) {
					return nil, fmt.Errorf("mini source %s: item %s: %s has %d languages, want exactly %v", name, it.ID, field, len(m), Langs)
				}
			}
			out = append(out, it)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Render writes the items in the local task layout, the paper's MLIR way:
// a query "{lang}_q{ID}" per item and language (group "q{ID}"), one pooled
// corpus with a doc "{lang}_p{ID}" per item and language (group "p{ID}"),
// and every language version of an item's passage relevant (1) to each of
// its queries. Output is deterministic.
func Render(items []Item) (queries, corpus, qrels []byte, err error) {
	var qb, cb, rb bytes.Buffer
	line := func(buf *bytes.Buffer, v any) {
		if err != nil {
			return
		}
		enc := json.NewEncoder(buf) // Encode ends the line
		enc.SetEscapeHTML(false)
		err = enc.Encode(v)
	}
	type query struct {
		ID    string `json:"_id"`
		Text  string `json:"text"`
		Lang  string `json:"lang"`
		Group string `json:"group"`
	}
	type doc struct {
		Text  string `json:"text"`
		Lang  string `json:"lang"`
		Group string `json:"group"`
	}
	for _, l := range Langs {
		for _, it := range items {
			line(&qb, query{ID: l + "_q" + it.ID, Text: it.Question[l], Lang: l, Group: "q" + it.ID})
		}
	}
	for _, l := range Langs {
		for _, it := range items {
			line(&cb, map[string]doc{l + "_p" + it.ID: {Text: it.Passage[l], Lang: l, Group: "p" + it.ID}})
		}
	}
	for _, ql := range Langs {
		for _, it := range items {
			rel := map[string]int{}
			for _, dl := range Langs {
				rel[dl+"_p"+it.ID] = 1
			}
			line(&rb, map[string]map[string]int{ql + "_q" + it.ID: rel})
		}
	}
	return qb.Bytes(), cb.Bytes(), rb.Bytes(), err
}
