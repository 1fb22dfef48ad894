package teacher

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/adapters"
)

// fakeEncoder returns [len(prompt+text), number of 'a's, 1] and records
// what it saw.
type fakeEncoder struct {
	prompts map[string]string
	seen    []string
}

func (f *fakeEncoder) Encode(_ context.Context, req adapters.Request) ([][]float32, error) {
	p := f.Identity().PromptFor(req.Role, req.Task)
	out := make([][]float32, len(req.Texts))
	for i, t := range req.Texts {
		s := p + t
		f.seen = append(f.seen, s)
		out[i] = []float32{float32(len(s)), float32(strings.Count(s, "a")), 1}
	}
	return out, nil
}
func (f *fakeEncoder) Dim() int { return 3 }
func (f *fakeEncoder) Identity() adapters.Identity {
	return adapters.Identity{Name: "fake", Kind: "test", Dim: 3, Prompts: f.prompts}
}
func (f *fakeEncoder) Close() error { return nil }

func TestComputePrompts(t *testing.T) {
	cases := []struct {
		name    string
		prompts map[string]string
		opts    Options
		want    []string
	}{
		{"query-own-prompt", map[string]string{"query": "q: "}, Options{Role: adapters.RoleQuery, QueryPrompt: "Instruct: "}, []string{"q: aa", "q: b"}},
		{"query-explicit-prompt", nil, Options{Role: adapters.RoleQuery, QueryPrompt: "Instruct: "}, []string{"Instruct: aa", "Instruct: b"}},
		{"document-no-prompt", nil, Options{Role: adapters.RoleDocument, QueryPrompt: "Instruct: "}, []string{"aa", "b"}},
		{"stage1-no-prompt", map[string]string{"query": "q: "}, Options{Role: adapters.RoleQuery, NoPrompt: true}, []string{"aa", "b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc := &fakeEncoder{prompts: c.prompts}
			m, err := Compute(context.Background(), enc, []string{"b", "aa", "b"}, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, enc.seen); diff != "" {
				t.Fatalf("teacher saw (-want +got):\n%s", diff)
			}
			if m.Len() != 2 {
				t.Fatalf("%d vectors, want 2 (duplicates encoded once)", m.Len())
			}
			v, _ := m.Lookup("aa")
			if int(v[0]) != len(c.want[0]) {
				t.Fatalf("vector of %q is %v", "aa", v)
			}
		})
	}
}

func TestBuildCacheIncremental(t *testing.T) {
	path := filepath.Join(t.TempDir(), "query.mvec")
	enc := &fakeEncoder{}
	o := Options{Role: adapters.RoleQuery, QueryPrompt: "P: ", BatchSize: 2}
	n, err := BuildCache(context.Background(), enc, []string{"a", "ba", "cab"}, o, path)
	if err != nil || n != 3 {
		t.Fatalf("first build: %d encoded, %v", n, err)
	}
	n, err = BuildCache(context.Background(), enc, []string{"a", "ba", "cab", "dddd"}, o, path)
	if err != nil || n != 1 {
		t.Fatalf("second build: %d encoded (want 1), %v", n, err)
	}
	c, err := OpenCache(path, adapters.RoleQuery)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Len() != 4 || c.Dim() != 3 {
		t.Fatalf("cache has %d texts of dim %d", c.Len(), c.Dim())
	}
	v, ok := c.Lookup("dddd")
	if !ok || v[0] != float32(len("P: dddd")) {
		t.Fatalf("lookup dddd: %v %v", v, ok)
	}
	got, err := Gather(c, []string{"a", "cab"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float32{4, 1, 1, 6, 1, 1}, got); diff != "" {
		t.Fatal(diff)
	}
	if _, err := Gather(c, []string{"zzz"}); err == nil || !strings.Contains(err.Error(), "zzz") {
		t.Fatalf("want an error naming the missing text, got %v", err)
	}
}
