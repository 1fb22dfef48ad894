package builders

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mimo-mlir/mimo/lang"
	"github.com/mimo-mlir/mimo/tasks"
)

// Belebele: multiple-choice reading comprehension over FLORES-200 passages,
// 900 questions per language, each passage carrying one or two questions.
// The MLIR build turns each question into a query and pools the passages
// (de-duplicated) of 14 languages; a question's relevant set is its passage
// in all 14 languages. (link, question_number) identifies a question across
// languages, link a passage.

// BelebeleLangs are the task's languages, in the paper's order.
var BelebeleLangs = lang.Belebele

// BelebeleFlores maps the paper's codes to the FLORES-200 codes the authors
// used. Arabic is acm_Arab (Mesopotamian Arabic), as in the paper; set
// LoadOptions.Variant["belebele_arabic"] = "arb_Arab" for Modern Standard
// Arabic.
var BelebeleFlores = map[string]string{
	"ar": "acm_Arab", "de": "deu_Latn", "nl": "nld_Latn", "en": "eng_Latn", "es": "spa_Latn",
	"fr": "fra_Latn", "hi": "hin_Deva", "id": "ind_Latn", "it": "ita_Latn", "ja": "jpn_Jpan",
	"pt": "por_Latn", "ru": "rus_Cyrl", "vi": "vie_Latn", "zh": "zho_Hans",
}

// BelebeleArabicVariant is the LoadOptions.Variant key choosing the FLORES
// code read for "ar" (default acm_Arab).
const BelebeleArabicVariant = "belebele_arabic"

// BelebeleRef is facebook/belebele at the revision MTEB pins.
var BelebeleRef = Ref{Repo: "facebook/belebele", Revision: "75b399394a9803252cfec289d103de462763db7c"}

func init() {
	register(func() *Task {
		return &Task{
			meta: tasks.Metadata{
				Name:    "BelebeleMLIR",
				Aliases: []string{"BelebeleRetrieval"},
				Group:   "mlir",
				Description: "Belebele as multilingual retrieval: 900 questions in each of 14 languages against the " +
					"de-duplicated FLORES passages of all 14; every language version of the gold passage is relevant. " +
					"Arabic is acm_Arab as in the paper (Variant belebele_arabic=arb_Arab for MSA).",
				Languages:       BelebeleLangs,
				MainScore:       "ndcg_at_20",
				License:         "CC-BY-SA-4.0",
				Reference:       "https://arxiv.org/abs/2308.16884",
				ExpectedQueries: 12600,
				ExpectedCorpus:  6832,
				ExpectedQrels:   12600 * 14,
			},
			refs: []Ref{BelebeleRef},
			build: func(ctx context.Context, src tasks.Source, refs []Ref, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
				return BuildBelebele(ctx, src, refs[0], opts)
			},
		}
	})
}

// beleRow is one Belebele question row.
type beleRow struct {
	Link     string
	QNum     string // question_number as written in the JSON (e.g. "1")
	Passage  string
	Question string
}

type beleLang struct {
	Lang   string
	Flores string
	Rows   []beleRow
}

// belebeleCode returns the FLORES code read for lang under opts.
func belebeleCode(lang string, opts tasks.LoadOptions) (string, error) {
	if lang == "ar" {
		if v := opts.Variant[BelebeleArabicVariant]; v != "" {
			if v != "acm_Arab" && v != "arb_Arab" {
				return "", fmt.Errorf("Variant %s=%q: want acm_Arab or arb_Arab", BelebeleArabicVariant, v)
			}
			return v, nil
		}
	}
	return BelebeleFlores[lang], nil
}

// BuildBelebele builds BelebeleMLIR from ref: data/{flores}.jsonl for
// each language (the Hub's layout; a folder holding the release's
// {flores}.jsonl at its root is read as well). With LoadOptions.Langs set
// only the files of those languages are read, so a folder holding just
// them is enough; a selected language whose file is absent is an error
// naming every missing file (wrapping tasks.ErrNotFound). Doc numbers
// ("doc_{lang}_{n}") count over the languages read, so a subset build's
// doc ids are not those of the full build (its texts and relevant sets are).
func BuildBelebele(ctx context.Context, src tasks.Source, ref Ref, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
	if err := checkLangs("BelebeleMLIR", BelebeleLangs, opts.Langs); err != nil {
		return nil, err
	}
	in := input{src: src, ref: ref}
	sel := newLangFilter(opts.Langs)
	type want struct{ lang, code, file string }
	var wants []want
	for _, lang := range BelebeleLangs {
		if !sel.Keep(lang) {
			continue
		}
		code, err := belebeleCode(lang, opts)
		if err != nil {
			return nil, err
		}
		wants = append(wants, want{lang: lang, code: code, file: "data/" + code + ".jsonl"})
	}
	// Find every selected file before reading any, so that one error names
	// all the missing ones. A Source that cannot list is read blind.
	if files, err := in.list(ctx); err == nil {
		have := map[string]bool{}
		for _, f := range files {
			have[f] = true
		}
		var missing []string
		for i, w := range wants {
			switch {
			case have[w.file]:
			case have[w.code+".jsonl"]:
				wants[i].file = w.code + ".jsonl"
			default:
				missing = append(missing, fmt.Sprintf("%s (%s)", w.file, w.lang))
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("%s@%s: %d of the %d selected language files missing: %s (select the languages present with --langs): %w",
				ref.Repo, ref.Revision, len(missing), len(wants), strings.Join(missing, ", "), tasks.ErrNotFound)
		}
	}
	var langs []beleLang
	for _, w := range wants {
		l := beleLang{Lang: w.lang, Flores: w.code}
		err := in.readJSONL(ctx, w.file, func(line int, raw json.RawMessage) error {
			r, err := parseBeleRow(raw)
			if err != nil {
				return err
			}
			l.Rows = append(l.Rows, r)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(l.Rows) == 0 {
			return nil, fmt.Errorf("%s: no rows", in.where(w.file))
		}
		langs = append(langs, l)
	}
	ds := buildBelebele(langs)
	tag := func(l string) string {
		for _, bl := range langs {
			if bl.Lang == l {
				return strings.ReplaceAll(bl.Flores, "_", "-")
			}
		}
		return mtebTag(l)
	}
	finish(&ds, opts, "query_without_positive", BelebeleLangs, tag)
	return []tasks.Dataset{ds}, nil
}

func parseBeleRow(raw json.RawMessage) (beleRow, error) {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return beleRow{}, fmt.Errorf("not a JSON object: %w", err)
	}
	get := func(field string) (string, error) {
		v, ok := m[field]
		if !ok {
			return "", fmt.Errorf("field %q missing: %w", field, errColumn)
		}
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			if s == "" {
				return "", fmt.Errorf("field %q empty: %w", field, errColumn)
			}
			return s, nil
		}
		var n json.Number
		if err := json.Unmarshal(v, &n); err == nil {
			return n.String(), nil
		}
		return "", fmt.Errorf("field %q: want a string or number, got %s: %w", field, v, errColumn)
	}
	var r beleRow
	var err error
	if r.Link, err = get("link"); err != nil {
		return r, err
	}
	if r.QNum, err = get("question_number"); err != nil {
		return r, err
	}
	if r.Passage, err = get("flores_passage"); err != nil {
		return r, err
	}
	if r.Question, err = get("question"); err != nil {
		return r, err
	}
	return r, nil
}

// belebeleQueryHash is the first 8 hex digits of md5("{link}_{question_number}").
func belebeleQueryHash(link, qnum string) string {
	sum := md5.Sum([]byte(link + "_" + qnum))
	return hex.EncodeToString(sum[:])[:8]
}

// buildBelebele is the pure build. Docs: "doc_{lang}_{n}", one per distinct
// passage text of a language, n counting over the whole corpus in language
// then row order. Queries: "{lang}_q_{hash}". Relevant: the passage with the
// question's link in every language.
func buildBelebele(langs []beleLang) tasks.Dataset {
	ds := tasks.Dataset{Subset: "default", Split: "test", Qrels: tasks.Qrels{}}
	// passageOf[lang][link] = doc id.
	passageOf := make(map[string]map[string]string, len(langs))
	type qref struct{ id, link string }
	var qs []qref
	for _, l := range langs {
		byText := map[string]string{}
		byLink := map[string]string{}
		passageOf[l.Lang] = byLink
		seenQ := map[string]bool{}
		for _, r := range l.Rows {
			doc, ok := byText[r.Passage]
			if !ok {
				doc = fmt.Sprintf("doc_%s_%d", l.Lang, len(ds.Corpus))
				byText[r.Passage] = doc
				ds.Corpus = append(ds.Corpus, tasks.Doc{ID: doc, Text: r.Passage, Lang: l.Lang, Group: r.Link})
			}
			if _, ok := byLink[r.Link]; !ok {
				byLink[r.Link] = doc
			}
			h := belebeleQueryHash(r.Link, r.QNum)
			id := l.Lang + "_q_" + h
			if seenQ[id] {
				skip(&ds, "duplicate_question", 1)
				continue
			}
			seenQ[id] = true
			ds.Queries = append(ds.Queries, tasks.Query{ID: id, Text: r.Question, Lang: l.Lang, Group: h})
			qs = append(qs, qref{id: id, link: r.Link})
		}
	}
	for _, q := range qs {
		rel := map[string]int{}
		for _, l := range langs {
			if d, ok := passageOf[l.Lang][q.link]; ok {
				rel[d] = 1
			} else {
				skip(&ds, "passage_missing_in_language", 1)
			}
		}
		ds.Qrels[q.id] = rel
	}
	return ds
}
