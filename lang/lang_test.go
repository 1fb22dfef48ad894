package lang

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"de", "de"}, {"deu", "de"}, {"deu-Latn", "de"}, {"deu_Latn", "de"}, {"DE", "de"}, {" De ", "de"},
		{"DEU-LATN", "de"}, {"zh", "zh"}, {"zho", "zh"}, {"zho-Hans", "zh"}, {"cmn", "zh"}, {"cmn-Hans", "zh"},
		{"ko", "ko"}, {"kor", "ko"}, {"kor-Kore", "ko"}, {"kor-Hang", "ko"}, {"dt", "nl"}, {"nld", "nl"},
		{"ar", "ar"}, {"ara", "ar"}, {"arb-Arab", "ar"}, {"pt-BR", "pt"}, {"eng", "en"}, {"jpn-Jpan", "ja"},
		{"xx", "xx"}, {"XYZ", "xyz"}, {"", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := Normalize(tc.in); got != tc.want {
				t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestMTEBTags pins the tags against MTEB's task metadata
// (miracl_retrieval.py @ b095c407, x_qu_ad_retrieval.py @ 234cc7d6).
func TestMTEBTags(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ar", "ara-Arab"}, {"bn", "ben-Beng"}, {"de", "deu-Latn"}, {"el", "ell-Grek"}, {"en", "eng-Latn"},
		{"es", "spa-Latn"}, {"fa", "fas-Arab"}, {"fi", "fin-Latn"}, {"fr", "fra-Latn"}, {"hi", "hin-Deva"},
		{"id", "ind-Latn"}, {"it", "ita-Latn"}, {"ja", "jpn-Jpan"}, {"ko", "kor-Kore"}, {"nl", "nld-Latn"},
		{"pt", "por-Latn"}, {"ro", "ron-Latn"}, {"ru", "rus-Cyrl"}, {"sw", "swa-Latn"}, {"te", "tel-Telu"},
		{"th", "tha-Thai"}, {"tr", "tur-Latn"}, {"vi", "vie-Latn"}, {"yo", "yor-Latn"}, {"zh", "zho-Hans"},
		{"cmn", "zho-Hans"}, {"DEU", "deu-Latn"}, {"xx", "xx"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := MTEBTag(tc.in); got != tc.want {
				t.Errorf("MTEBTag(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestPaperListsKnown(t *testing.T) {
	lists := map[string][]string{"Paper": Paper, "Belebele": Belebele, "MLQA": MLQA, "XQuAD": XQuAD,
		"MultiEuP": MultiEuP, "NeuCLIR": NeuCLIR, "MIRACL": MIRACL, "MIRACLAll": MIRACLAll}
	for name, l := range lists {
		for _, c := range l {
			if Normalize(c) != c || !Known(c) {
				t.Errorf("%s: %q is not an internal code of the table", name, c)
			}
		}
	}
	if d := cmp.Diff([]string{"ar", "de", "nl", "en", "es", "fr", "hi", "id", "it", "ja", "pt", "ru", "vi", "zh"}, Paper); d != "" {
		t.Errorf("Paper (-want +got):\n%s", d)
	}
	seen := map[string]bool{}
	for _, l := range All() {
		for _, k := range []string{l.Code, l.ISO3} {
			if seen[k] {
				t.Errorf("code %q twice in the table", k)
			}
			seen[k] = true
		}
	}
}

// mtebTagRE is a language tag as MTEB writes it (ISO 639-3 + script).
var mtebTagRE = regexp.MustCompile(`^[a-z]{3}-[A-Z][a-z]{3}$`)

// TestOneLanguageTable checks that no package but lang holds a language
// table: no Go string literal outside lang/ is an MTEB language tag
// ("zho-Hans", "cmn-Hans", "kor-Hang" ...), and no map literal maps
// language codes to language codes (an ISO 639-1 <-> 639-3 table). Test
// files and testdata are exempt (they pin outputs).
func TestOneLanguageTable(t *testing.T) {
	root := ".."
	fset := token.NewFileSet()
	var bad []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			n := d.Name()
			if path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "third_party" || n == "bin" || n == "lang" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if s, err := strconv.Unquote(n.Value); err == nil && n.Kind == token.STRING && mtebTagRE.MatchString(s) {
					bad = append(bad, fset.Position(n.Pos()).String()+": language tag literal "+n.Value)
				}
			case *ast.CompositeLit:
				if codeMap(n) {
					bad = append(bad, fset.Position(n.Pos()).String()+": map of language codes")
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Errorf("%s: use package lang", b)
	}
}

// codeMap reports whether a composite literal is a map from language codes
// to language codes with at least three entries.
func codeMap(c *ast.CompositeLit) bool {
	if _, ok := c.Type.(*ast.MapType); !ok || len(c.Elts) < 3 {
		return false
	}
	for _, e := range c.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			return false
		}
		for _, x := range []ast.Expr{kv.Key, kv.Value} {
			lit, ok := x.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return false
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !Known(s) || strings.ContainsAny(s, "-_") {
				return false
			}
		}
	}
	return true
}
