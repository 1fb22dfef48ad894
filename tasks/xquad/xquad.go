// Package xquad owns the one rule that splits XQuAD between training and
// evaluation, so that the two sides cannot drift apart: training
// (training/data.ReadXQuAD) reads the articles this rule keeps, the
// evaluation task XQuADHeldOut (tasks/heldout) the ones it holds out.
//
// XQuAD's 48 articles are split by article, never by question, so that no
// held-out paragraph (or a translation of it) is ever seen in training. The
// split is a pure function of the article's position in the files (the same
// in every language):
//
//	article i is held out  <=>  i % Every == Every-1
//
// i.e. articles 3, 7, 11, ..., 47: 12 of 48 held out, 36 for training.
// The files themselves are SQuAD-format JSON, read by tasks/formats.
package xquad

// Every is the split period.
const Every = 4

// Articles is the number of articles in XQuAD's release.
const Articles = 48

// File is the release's file name of language lang ("xquad.de.json").
func File(lang string) string { return "xquad." + lang + ".json" }

// HeldOut reports whether article index i (0-based, file order) is held
// out of training.
func HeldOut(i int) bool { return i%Every == Every-1 }

// HeldOutArticles lists the held-out article indices among n articles.
func HeldOutArticles(n int) []int {
	var out []int
	for i := range n {
		if HeldOut(i) {
			out = append(out, i)
		}
	}
	return out
}
