// Package lang owns the project's languages: the internal code of every
// language the paper and the tasks use (ISO 639-1, as the paper writes
// them: ar de nl en ...), its ISO 639-3 code and script, the tag MTEB
// writes in result files ("deu-Latn", "zho-Hans", "kor-Kore"), Normalize
// for codes from outside ("de", "deu", "deu-Latn", "deu_Latn", "DE", mMARCO's
// "dt"), and the paper's language lists.
//
// It is a leaf: it imports nothing of the project, so tasks, harness,
// training and reports all read the one table. No other package holds a
// language table (lang_test.go checks the source).
package lang

import "strings"

// Language is one language of the table.
type Language struct {
	Code   string // the project's internal code: ISO 639-1 ("de")
	ISO3   string // ISO 639-3 as MTEB writes it ("deu"; "zho" for Chinese, not "cmn")
	Script string // ISO 15924 ("Latn")
	Name   string // English name
}

// MTEB is the language tag MTEB writes: ISO 639-3 + "-" + script.
func (l Language) MTEB() string { return l.ISO3 + "-" + l.Script }

// table is every language the paper, the tasks (MIRACL's 18, MTEB's XQuAD
// 12) and the training data use. Tags follow MTEB's current task metadata
// (mteb/tasks/retrieval/multilingual/miracl_retrieval.py @ b095c407:
// "zho-Hans", "kor-Kore", "ara-Arab"; x_qu_ad_retrieval.py @ 234cc7d6 for
// el, ro, tr); docs/decisions.md, "One language table".
var table = []Language{
	{"ar", "ara", "Arab", "Arabic"},
	{"bn", "ben", "Beng", "Bengali"},
	{"de", "deu", "Latn", "German"},
	{"el", "ell", "Grek", "Greek"},
	{"en", "eng", "Latn", "English"},
	{"es", "spa", "Latn", "Spanish"},
	{"fa", "fas", "Arab", "Persian"},
	{"fi", "fin", "Latn", "Finnish"},
	{"fr", "fra", "Latn", "French"},
	{"hi", "hin", "Deva", "Hindi"},
	{"id", "ind", "Latn", "Indonesian"},
	{"it", "ita", "Latn", "Italian"},
	{"ja", "jpn", "Jpan", "Japanese"},
	{"ko", "kor", "Kore", "Korean"},
	{"nl", "nld", "Latn", "Dutch"},
	{"pt", "por", "Latn", "Portuguese"},
	{"ro", "ron", "Latn", "Romanian"},
	{"ru", "rus", "Cyrl", "Russian"},
	{"sw", "swa", "Latn", "Swahili"},
	{"te", "tel", "Telu", "Telugu"},
	{"th", "tha", "Thai", "Thai"},
	{"tr", "tur", "Latn", "Turkish"},
	{"vi", "vie", "Latn", "Vietnamese"},
	{"yo", "yor", "Latn", "Yoruba"},
	{"zh", "zho", "Hans", "Chinese"},
}

// aliases are other codes the project's inputs use for a language of the
// table: mMARCO's "dt" for Dutch (the authors' build scripts use it),
// Tatoeba's "cmn" (Mandarin) and FLORES/XQuAD's "arb" (Standard Arabic),
// and the ISO 639-2/B codes some corpora write.
var aliases = map[string]string{
	"dt": "nl", "cmn": "zh", "arb": "ar", "ger": "de", "dut": "nl", "fre": "fr",
	"per": "fa", "chi": "zh", "gre": "el", "rum": "ro", "swh": "sw",
}

var byCode = func() map[string]Language {
	m := make(map[string]Language, 2*len(table))
	for _, l := range table {
		m[l.Code] = l
		m[l.ISO3] = l
	}
	for a, c := range aliases {
		m[a] = m[c]
	}
	return m
}()

// Lookup returns the language a code names, in any form Normalize accepts.
func Lookup(code string) (Language, bool) {
	l, ok := byCode[base(code)]
	return l, ok
}

// base lower-cases code and drops a script or region part ("deu-Latn",
// "deu_Latn", "pt-BR" -> "deu", "deu", "pt").
func base(code string) string {
	c := strings.ToLower(strings.TrimSpace(code))
	if i := strings.IndexAny(c, "-_"); i > 0 {
		c = c[:i]
	}
	return c
}

// Normalize returns the project's internal code of a language given as ISO
// 639-1 or 639-3, with or without a script ("de", "deu", "deu-Latn",
// "deu_Latn", "DE" -> "de"). A code not in the table is returned trimmed
// and lower-cased, so callers can report it.
func Normalize(code string) string {
	if l, ok := Lookup(code); ok {
		return l.Code
	}
	return strings.ToLower(strings.TrimSpace(code))
}

// Known reports whether code names a language of the table.
func Known(code string) bool {
	_, ok := Lookup(code)
	return ok
}

// MTEBTag returns the tag MTEB writes for a language ("de", "deu" ->
// "deu-Latn"); a code not in the table is returned as given.
func MTEBTag(code string) string {
	if l, ok := Lookup(code); ok {
		return l.MTEB()
	}
	return code
}

// ISO3 returns the ISO 639-3 code of a language ("zh" -> "zho"); a code
// not in the table is returned as given.
func ISO3(code string) string {
	if l, ok := Lookup(code); ok {
		return l.ISO3
	}
	return code
}

// All returns every language of the table, sorted by internal code.
func All() []Language { return append([]Language(nil), table...) }

// The paper's language lists (MIMO paper, Table 7 and section 4), in the
// paper's order. Callers must not modify them.
var (
	// Paper: the 14 mMARCO languages of the training data and of Belebele.
	Paper = []string{"ar", "de", "nl", "en", "es", "fr", "hi", "id", "it", "ja", "pt", "ru", "vi", "zh"}
	// Belebele: the task's 14 languages (Paper).
	Belebele = Paper
	// MLQA: the 7 MLQA languages (English first, as the builder numbers
	// contexts).
	MLQA = []string{"en", "ar", "de", "es", "hi", "vi", "zh"}
	// XQuAD: the 8 XQuAD languages the paper uses.
	XQuAD = []string{"ar", "de", "en", "es", "hi", "ru", "vi", "zh"}
	// MultiEuP: MultiEuP-v2's languages the paper keeps (Dutch is lost to
	// the authors' "dt" code).
	MultiEuP = []string{"de", "en", "es", "fr", "it", "pt"}
	// NeuCLIR: English queries, Russian and Chinese documents pooled
	// (Persian excluded).
	NeuCLIR = []string{"en", "ru", "zh"}
	// MIRACL: the paper's ten MIRACL languages (Table 4).
	MIRACL = []string{"ar", "de", "en", "es", "fr", "hi", "id", "ja", "ru", "zh"}
	// MIRACLAll: every MIRACL language (MTEB's 18 subsets).
	MIRACLAll = []string{"ar", "bn", "de", "en", "es", "fa", "fi", "fr", "hi", "id", "ja", "ko", "ru", "sw", "te", "th", "yo", "zh"}
)
