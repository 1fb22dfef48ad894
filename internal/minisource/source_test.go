package minisource

import (
	"strings"
	"testing"
	"testing/fstest"
)

func item(id string, drop string) string {
	var p, q []string
	for _, l := range Langs {
		if l == drop {
			continue
		}
		p = append(p, `"`+l+`": "passage `+l+`"`)
		q = append(q, `"`+l+`": "question `+l+`"`)
	}
	return `{"id": "` + id + `", "passage": {` + strings.Join(p, ", ") + `}, "question": {` + strings.Join(q, ", ") + `}}`
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"missing language", map[string]string{"a.json": "[" + item("01", "ja") + "]"}, `item 01: passage in "ja" is missing or empty`},
		{"missing question language", map[string]string{"a.json": "[" + strings.Replace(item("01", ""), `"ja": "question ja", `, "", 1) + "]"}, `item 01: question in "ja" is missing or empty`},
		{"duplicate id", map[string]string{"a.json": "[" + item("01", "") + "]", "b.json": "[" + item("01", "") + "]"}, `b.json: item 1: id "01" already used in a.json`},
		{"bad id", map[string]string{"a.json": "[" + item("1", "") + "]"}, `id "1" is not two digits`},
		{"extra language", map[string]string{"a.json": "[" + strings.Replace(item("01", ""), `"en": "passage en"`, `"en": "passage en", "it": "x"`, 1) + "]"}, "passage has 9 languages"},
		{"unknown field", map[string]string{"a.json": `[{"id": "01", "answer": "x"}]`}, `unknown field "answer"`},
		{"no files", map[string]string{}, "no *.json files"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for k, v := range tc.files {
				fsys[k] = &fstest.MapFile{Data: []byte(v)}
			}
			_, err := Load(fsys)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestRender(t *testing.T) {
	items := []Item{{ID: "07", Passage: map[string]string{}, Question: map[string]string{}}}
	for _, l := range Langs {
		items[0].Passage[l] = "P " + l + " <&>"
		items[0].Question[l] = "Q " + l
	}
	q, c, r, err := Render(items)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(q), "\n"); got != 8 {
		t.Errorf("%d query lines, want 8", got)
	}
	if !strings.HasPrefix(string(q), `{"_id":"en_q07","text":"Q en","lang":"en","group":"q07"}`) {
		t.Errorf("queries start %q", string(q)[:60])
	}
	if !strings.HasPrefix(string(c), `{"en_p07":{"text":"P en <&>","lang":"en","group":"p07"}}`) {
		t.Errorf("corpus starts %q", string(c)[:60])
	}
	if !strings.HasPrefix(string(r), `{"en_q07":{"ar_p07":1,"de_p07":1,"en_p07":1,"es_p07":1,"fr_p07":1,"ja_p07":1,"ru_p07":1,"zh_p07":1}}`) {
		t.Errorf("qrels start %q", string(r))
	}
}
