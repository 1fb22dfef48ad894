package xquad

import (
	"slices"
	"testing"
)

// TestSplit pins the split: articles 3, 7, ..., 47 held out, 36 kept.
func TestSplit(t *testing.T) {
	held := HeldOutArticles(Articles)
	want := []int{3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47}
	if !slices.Equal(held, want) {
		t.Errorf("held out %v, want %v", held, want)
	}
	kept := 0
	for i := range Articles {
		if !HeldOut(i) {
			kept++
		}
	}
	if kept != 36 {
		t.Errorf("%d articles kept for training, want 36", kept)
	}
	if File("de") != "xquad.de.json" {
		t.Errorf("File(de) = %s", File("de"))
	}
}
