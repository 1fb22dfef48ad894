package textset

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"  Hello\t\tWorld \n": "hello world",
		"Cafe\u0301":          "café", // NFD e + combining acute -> NFC é
		"ÄRGER":               "ärger",
		"":                    "",
		"北京\u3000大学":          "北京 大学", // ideographic space is white space
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRoundTripAndContains(t *testing.T) {
	var b Builder
	b.Add("What is the capital of France?", "Paris is the capital.", "", "what is the  capital of france?")
	s := b.Set()
	if s.Len() != 2 {
		t.Fatalf("Len = %d, want 2 (a duplicate after normalisation, an empty text)", s.Len())
	}
	path := filepath.Join(t.TempDir(), FileName)
	if err := s.Write(path); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]bool{
		"WHAT IS THE CAPITAL OF FRANCE?": true,
		"Paris is the capital.":          true,
		"Berlin is the capital.":         false,
	} {
		if got.Contains(text) != want {
			t.Errorf("Contains(%q) = %v", text, !want)
		}
	}
}

func TestDamaged(t *testing.T) {
	var b Builder
	b.Add("a", "b", "c")
	path := filepath.Join(t.TempDir(), FileName)
	if err := b.Set().Write(path); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	for name, data := range map[string][]byte{
		"empty":     {},
		"truncated": good[:len(good)-1],
		"bit flip":  append(append([]byte{}, good[:9]...), append([]byte{good[9] ^ 1}, good[10:]...)...),
		"no magic":  append([]byte("XXXXXXXX"), good[8:]...),
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x")
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Read(p); !errors.Is(err, ErrDamaged) {
				t.Errorf("err = %v, want ErrDamaged", err)
			}
		})
	}
}
