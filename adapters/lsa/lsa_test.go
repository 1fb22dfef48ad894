package lsa

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/internal/gztest"
)

// toyCorpus is a small English corpus with two topics whose words co-occur.
func toyCorpus() []string {
	cars := []string{"car", "automobile", "engine", "driver", "road", "wheel", "vehicle", "motor"}
	food := []string{"bread", "cheese", "bakery", "flour", "oven", "butter", "kitchen", "recipe"}
	var out []string
	for i := range 60 {
		topic := cars
		if i%2 == 1 {
			topic = food
		}
		var w []string
		for j := range 5 {
			w = append(w, topic[(i*3+j*5)%len(topic)])
		}
		out = append(out, "The "+strings.Join(w, " and the ")+fmt.Sprintf(" number %d.", i%7))
	}
	return out
}

func fitToy(t testing.TB, opts ...Option) *Model {
	t.Helper()
	m, err := Fit(context.Background(), toyCorpus(), append([]Option{Dims(6), MaxDF(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func encode(t testing.TB, m adapters.Encoder, texts ...string) [][]float32 {
	t.Helper()
	v, err := m.Encode(context.Background(), adapters.Request{Role: adapters.RoleDocument, Texts: texts})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func cos(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestFitEncodeToy(t *testing.T) {
	m := fitToy(t, Dims(2))
	v := encode(t, m, "a fast automobile", "the car driver", "cheese and butter", "", "zzzz qqqq")
	for i, x := range v[:3] {
		if n := math.Sqrt(cos(x, x)); math.Abs(n-1) > 1e-5 {
			t.Errorf("vector %d has norm %g", i, n)
		}
	}
	// Synonymy: "automobile" and "car driver" share no word, but their topic.
	if same, other := cos(v[0], v[1]), cos(v[0], v[2]); same < 0.9 || other > 0.5 {
		t.Errorf("cos(automobile, car driver) = %.3f, cos(automobile, cheese) = %.3f: topics not separated", same, other)
	}
	for i := 3; i < 5; i++ {
		if !slices.Equal(v[i], make([]float32, 2)) {
			t.Errorf("text %d without known features: got %v, want the zero vector", i, v[i])
		}
	}
	st := m.Stats()
	if st.Texts != 60 || st.WordTerms == 0 || st.CharColumns == 0 || len(st.Singular) != 2 || st.Explained <= 0 || st.Explained > 1 {
		t.Errorf("implausible stats %+v", st)
	}
	id := m.Identity()
	if id.Kind != "lsa" || id.Dim != 2 || !id.Normalize {
		t.Errorf("identity %+v", id)
	}
}

func TestFitDeterministic(t *testing.T) {
	a, b := fitToy(t), fitToy(t)
	if !slices.Equal(a.proj, b.proj) || !slices.Equal(a.mean, b.mean) || !slices.Equal(a.f.idf, b.f.idf) || !slices.Equal(a.f.terms, b.f.terms) {
		t.Error("two fits with the same seed differ")
	}
	// Without oversampling and power iterations the subspace found depends
	// on the random test matrix.
	c, d := fitToy(t, SVDParams(0, 0)), fitToy(t, SVDParams(0, 0), Seed(99))
	if slices.Equal(c.proj, d.proj) {
		t.Error("a different seed gave a bit-identical projection")
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opt  Option
		want string
	}{
		{"dims", Dims(0), "dims 0"},
		{"svd", SVDParams(-1, 2), "oversample -1"},
		{"min df", MinDF(0), "min df 0"},
		{"max df", MaxDF(1.5), "max df 1.5"},
		{"max features", MaxFeatures(0), "max features 0"},
		{"char range", CharNGrams(4, 3, 100), "char n-grams 4..3"},
		{"char buckets", CharNGrams(3, 5, 0), "char buckets 0"},
		{"char weight", CharWeight(math.NaN()), "char weight NaN"},
		{"name", Name(""), "empty name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Fit(context.Background(), toyCorpus(), tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
	t.Run("too many dims", func(t *testing.T) {
		_, err := Fit(context.Background(), toyCorpus()[:4], Dims(10), MaxDF(1), MinDF(1))
		if err == nil || !strings.Contains(err.Error(), "dims 10 exceeds") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no texts", func(t *testing.T) {
		if _, err := Fit(context.Background(), nil); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"default", nil},
		{"words only, uncentred", []Option{CharNGrams(0, 0, 0), Center(false), Bigrams(false)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := fitToy(t, append(tc.opts, Name("toy"))...)
			dir := t.TempDir()
			if err := m.Save(dir); err != nil {
				t.Fatal(err)
			}
			l, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.proj, l.proj) || !slices.Equal(m.mean, l.mean) || !slices.Equal(m.f.idf, l.f.idf) ||
				!slices.Equal(m.f.terms, l.f.terms) || !slices.Equal(m.f.charCol, l.f.charCol) || m.f.cfg != l.f.cfg {
				t.Fatal("loaded model differs from the saved one")
			}
			if diff := cmp.Diff(m.Identity(), l.Identity()); diff != "" {
				t.Errorf("identity differs (-saved +loaded):\n%s", diff)
			}
			if diff := cmp.Diff(m.Stats(), l.Stats()); diff != "" {
				t.Errorf("stats differ (-saved +loaded):\n%s", diff)
			}
			texts := append(toyCorpus()[:5], "automobile bakery", "")
			if diff := cmp.Diff(encode(t, m, texts...), encode(t, l, texts...)); diff != "" {
				t.Errorf("vectors differ after load:\n%s", diff)
			}
			// The registered kind opens it too.
			f, err := adapters.ReadFolder(dir)
			if err != nil {
				t.Fatal(err)
			}
			e, err := adapters.OpenFolder(context.Background(), f, adapters.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if diff := cmp.Diff(encode(t, m, texts...), encode(t, e, texts...)); diff != "" {
				t.Errorf("vectors differ through OpenFolder:\n%s", diff)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	m := fitToy(t)
	good := t.TempDir()
	if err := m.Save(good); err != nil {
		t.Fatal(err)
	}
	weights, _ := os.ReadFile(filepath.Join(good, WeightsFile))
	plain := gztest.Decompress(t, weights)
	var folder map[string]any
	js, _ := os.ReadFile(filepath.Join(good, adapters.FolderFile))
	if err := json.Unmarshal(js, &folder); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(folder map[string]any) []byte // returns the weights to write
		wantErr string
	}{
		{"truncated weights", func(map[string]any) []byte { return weights[:len(weights)/2] }, "lsa weights"},
		{"not gzip", func(map[string]any) []byte { return []byte("hello") }, "not gzip"},
		{"bad magic", func(map[string]any) []byte { return gztest.Compress(t, append([]byte("MIMOLSA0"), plain[8:]...)) }, "bad magic"},
		{"trailing bytes", func(map[string]any) []byte { return gztest.Compress(t, append(slices.Clone(plain), 0)) }, "field end of file: trailing bytes"},
		{"stream cut inside the projection", func(map[string]any) []byte { return gztest.Compress(t, plain[:len(plain)-100]) }, "field projection: unexpected EOF"},
		{"gzip checksum", func(map[string]any) []byte {
			w := slices.Clone(weights)
			w[len(w)-8] ^= 0xff // the CRC-32 in the gzip trailer
			return w
		}, "field end of file: gzip: invalid checksum"},
		{"duplicate word term", func(map[string]any) []byte { return gztest.Compress(t, duplicateSecondTerm(t, plain)) }, "field word term 1: duplicate"},
		{"bucket mismatch", func(f map[string]any) []byte {
			f["options"].(map[string]any)["char_buckets"] = 1024
			return weights
		}, "options.char_buckets says 1024"},
		{"unknown option", func(f map[string]any) []byte {
			f["options"].(map[string]any)["colour"] = "red"
			return weights
		}, "unknown field \"colour\""},
		{"dim mismatch", func(f map[string]any) []byte { f["dim"] = 7; return weights }, "field \"dim\" 7"},
		{"feature revision", func(f map[string]any) []byte {
			f["options"].(map[string]any)["feature_revision"] = "0"
			return weights
		}, "feature_revision \"0\""},
		{"centred flag", func(f map[string]any) []byte {
			f["options"].(map[string]any)["centered"] = false
			return weights
		}, "options.centered is false"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f map[string]any
			if err := json.Unmarshal(js, &f); err != nil { // a fresh copy
				t.Fatal(err)
			}
			w := tc.edit(f)
			dir := t.TempDir()
			b, _ := json.Marshal(f)
			if err := os.WriteFile(filepath.Join(dir, adapters.FolderFile), b, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, WeightsFile), w, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// duplicateSecondTerm rewrites a decompressed weights file so that its
// second word term repeats the first (magic, dim, term count, then each
// term as a length and its bytes).
func duplicateSecondTerm(t *testing.T, plain []byte) []byte {
	t.Helper()
	r := bytes.NewReader(plain[len(weightsMagic):])
	for range 2 { // dim, term count
		if _, err := binary.ReadUvarint(r); err != nil {
			t.Fatal(err)
		}
	}
	term := func() []byte {
		l, err := binary.ReadUvarint(r)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, l)
		if _, err := io.ReadFull(r, b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	firstAt := len(plain) - r.Len()
	term()
	secondAt := len(plain) - r.Len()
	term()
	rest := plain[len(plain)-r.Len():]
	out := slices.Clone(plain[:secondAt])
	out = append(out, plain[firstAt:secondAt]...)
	return append(out, rest...)
}

func TestCharGramsCountRunes(t *testing.T) {
	var got []uint32
	visitCharGrams("été", 3, 5, 1<<20, func(b uint32) { got = append(got, b) })
	// " été " has 5 runes: 3 trigrams, 2 four-grams, 1 five-gram.
	if len(got) != 6 {
		t.Errorf("got %d n-grams of \" été \", want 6", len(got))
	}
}
