package main

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEntry(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  source
		raw  string
		want []Pair
	}{{
		name: "freedict XX-en with numbered senses",
		src:  source{"freedict-spa-eng", "es", false},
		raw:  "fabricar /fˌaβɾikˈaɾ/\n1. fabricate, manufacture\n2. to make\n",
		want: []Pair{
			{"es", "fabricar", "fabricate", "freedict-spa-eng"},
			{"es", "fabricar", "manufacture", "freedict-spa-eng"},
			{"es", "fabricar", "make", "freedict-spa-eng"},
		},
	}, {
		name: "freedict drops see/notes, domains and part of speech",
		src:  source{"freedict-deu-eng", "de", false},
		raw:  "Wasser /vˈasɐ/ <n, neut>\n [chem.] water <n>\n         Note: H2O\n see: {Wässer}\n",
		want: []Pair{{"de", "Wasser", "water", "freedict-deu-eng"}},
	}, {
		name: "long phrases are not word pairs",
		src:  source{"freedict-deu-eng", "de", false},
		raw:  "mit jdm. klarkommen /ipa/ <v>\nbe able to deal with sb. <v>\n",
		want: nil,
	}, {
		name: "en-XX keeps the first three glosses",
		src:  source{"mueller7", "ru", true},
		raw:  "moon\n   [↗mu:n] _n.\n   1) луна, месяц\n   2) _поэт. спутник\n   3) бродить\n",
		want: []Pair{
			{"ru", "луна", "moon", "mueller7"},
			{"ru", "месяц", "moon", "mueller7"},
			{"ru", "спутник", "moon", "mueller7"},
		},
	}, {
		name: "JMdict: first written form of a common word",
		src:  source{"freedict-jpn-eng", "ja", false},
		raw:  " [ichi1]  [news1] 機体 /ipa/,  [ichi1] きたい /kitˈäi/\n(noun (common) (futsuumeishi))\nfuselage, airframe\n",
		want: []Pair{
			{"ja", "機体", "fuselage", "freedict-jpn-eng"},
			{"ja", "機体", "airframe", "freedict-jpn-eng"},
		},
	}, {
		name: "JMdict: no priority tag, no pairs",
		src:  source{"freedict-jpn-eng", "ja", false},
		raw:  "急性感染症 /ipa/, きゅうせいかんせんしょう /ipa/\n(noun (common))\nacute infection\n",
		want: nil,
	}, {
		name: "Cyrillic gloss required for Russian",
		src:  source{"freedict-eng-rus", "ru", true},
		raw:  "north /nɔːθ/\nсевер, north\n",
		want: []Pair{{"ru", "север", "north", "freedict-eng-rus"}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := Entry([]byte(tc.raw), tc.src)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Entry (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSelectRanksByDictionaryCountAndCaps(t *testing.T) {
	all := []Pair{
		{"de", "Furunkel", "boil", "a"},
		{"de", "Wasser", "water", "a"},
		{"de", "Wasser", "water", "b"},
		{"de", "Gewässer", "water", "a"},
		{"de", "Welle", "water", "c"},
		{"fr", "eau", "water", "d"},
		{"de", "kochen", "boil", "b"},
	}
	freq := Freq{"de": {"welle": 5}}
	got := Select(all, 3, freq)
	// water is in 4 dictionaries, boil in 2; per English phrase at most 2
	// translations: Welle (frequent in the text), then Wasser (two
	// dictionaries agree) before Gewässer; then boil's best.
	want := []Pair{
		{"de", "Welle", "water", "c"},
		{"de", "Wasser", "water", "a"},
		{"de", "Furunkel", "boil", "a"},
		{"fr", "eau", "water", "d"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Select (-want +got):\n%s", diff)
	}
}

func TestReadDictd(t *testing.T) {
	dir := t.TempDir()
	body := "00-database-short\nFreeDict\n" + "colline /kɔlin/ <n, fem>\nhill\n" + "inde /ɛ̃d/ <n>\nIndia\n"
	off := len("00-database-short\nFreeDict\n")
	size := len("colline /kɔlin/ <n, fem>\nhill\n")
	writeGzip(t, filepath.Join(dir, "x.dict.dz"), body)
	idx := "00-database-short\tA\t" + enc64(off) + "\n" +
		"colline\t" + enc64(off) + "\t" + enc64(size) + "\n" +
		"inde\t" + enc64(off+size) + "\t" + enc64(len(body)-off-size) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "x.index"), []byte(idx), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readDictd(filepath.Join(dir, "x"), source{"x", "fr", false})
	if err != nil {
		t.Fatal(err)
	}
	want := []Pair{{"fr", "colline", "hill", "x"}, {"fr", "inde", "India", "x"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("readDictd (-want +got):\n%s", diff)
	}

	// An offset past the body names the index line.
	bad := "colline\t" + enc64(len(body)) + "\tB\n"
	if err := os.WriteFile(filepath.Join(dir, "x.index"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readDictd(filepath.Join(dir, "x"), source{"x", "fr", false}); err == nil || !strings.Contains(err.Error(), "x.index:1") {
		t.Errorf("bad offset: got %v, want an error naming x.index:1", err)
	}
}

func TestReadCEDICT(t *testing.T) {
	p := filepath.Join(t.TempDir(), "all.js")
	js := `export default {"all":[["水","水","Shui3","surname Shui",[],[]],` +
		`["水","水","shui3",["water","(after a name) ... River","classifier for washings"],[],[]],` +
		`["沙漠","沙漠","sha1 mo4","desert/CL:片",[],[]]]}`
	if err := os.WriteFile(p, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readCEDICT(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []Pair{{"zh", "水", "water", "cc-cedict"}, {"zh", "沙漠", "desert", "cc-cedict"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("readCEDICT (-want +got):\n%s", diff)
	}
}

func TestFreq(t *testing.T) {
	f := Freq{}
	f.add("de", "Das Wasser kocht. Wasser!")
	f.add("zh", "水开了水")
	for _, tc := range []struct {
		lang, phrase string
		want         int
	}{{"de", "Wasser", 2}, {"de", "das wasser", 1}, {"zh", "水", 2}, {"zh", "开了", 1}, {"ja", "水", 0}} {
		if got := f.Of(tc.lang, tc.phrase); got != tc.want {
			t.Errorf("Of(%s, %q) = %d, want %d", tc.lang, tc.phrase, got, tc.want)
		}
	}
}

func writeGzip(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func enc64(n int) string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	if n == 0 {
		return "A"
	}
	var b []byte
	for ; n > 0; n /= 64 {
		b = append([]byte{alpha[n%64]}, b...)
	}
	return string(b)
}
