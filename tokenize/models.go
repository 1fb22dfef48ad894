package tokenize

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"unicode/utf8"
)

// model turns one pre-tokenised word into ids.
type model interface {
	tokenize(word string) ([]int64, error)
	vocabulary() map[string]int // a fresh copy
}

func parseModel(raw json.RawMessage) (model, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("missing")
	}
	typ, err := typeOf(raw)
	if err != nil {
		return nil, err
	}
	if typ == "" {
		// Old files omit the model type; guess from the fields.
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(raw, &probe); err != nil {
			return nil, err
		}
		switch {
		case probe["merges"] != nil:
			typ = "BPE"
		case probe["continuing_subword_prefix"] != nil:
			typ = "WordPiece"
		case probe["unk_id"] != nil:
			typ = "Unigram"
		}
	}
	switch typ {
	case "Unigram":
		return newUnigram(raw)
	case "WordPiece":
		return newWordPiece(raw)
	case "BPE":
		return newBPE(raw)
	}
	return nil, fmt.Errorf("model type %q is not supported", typ)
}

func copyVocab(v map[string]int) map[string]int {
	out := make(map[string]int, len(v))
	for k, id := range v {
		out[k] = id
	}
	return out
}

// byteFallbackIDs returns the ids of <0xXX> tokens for the bytes of s, or
// false if the vocabulary lacks one of them.
func byteFallbackIDs(vocab map[string]int, s string) ([]int64, bool) {
	ids := make([]int64, 0, len(s))
	for i := 0; i < len(s); i++ {
		id, ok := vocab[fmt.Sprintf("<0x%02X>", s[i])]
		if !ok {
			return nil, false
		}
		ids = append(ids, int64(id))
	}
	return ids, true
}

// ---------------------------------------------------------------- Unigram

// unigram is SentencePiece's Unigram model: the segmentation of a word into
// vocabulary pieces with the highest total log-probability (Viterbi). A
// character that no piece covers is <unk> with score min_score - 10;
// consecutive unknowns fuse into one <unk> (or become <0xXX> bytes with
// byte_fallback). Ties keep the earlier-found path, as SentencePiece does.
type unigram struct {
	vocab        map[string]int
	scores       []float64
	unkID        int
	byteFallback bool
	maxPieceLen  int // bytes
	unkScore     float64
}

func newUnigram(raw json.RawMessage) (*unigram, error) {
	var v struct {
		UnkID        *int     `json:"unk_id"`
		Vocab        [][2]any `json:"vocab"`
		ByteFallback bool     `json:"byte_fallback"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	u := &unigram{vocab: make(map[string]int, len(v.Vocab)), scores: make([]float64, len(v.Vocab)), byteFallback: v.ByteFallback, unkID: -1}
	minScore := math.Inf(1)
	for i, pair := range v.Vocab {
		piece, ok1 := pair[0].(string)
		score, ok2 := pair[1].(float64)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("vocab[%d]: want [piece, score], got %v", i, pair)
		}
		if _, dup := u.vocab[piece]; !dup {
			u.vocab[piece] = i
		}
		u.scores[i] = score
		minScore = math.Min(minScore, score)
		u.maxPieceLen = max(u.maxPieceLen, len(piece))
	}
	if v.UnkID != nil {
		u.unkID = *v.UnkID
		if u.unkID < 0 || u.unkID >= len(v.Vocab) {
			return nil, fmt.Errorf("unk_id %d outside the vocabulary of %d", u.unkID, len(v.Vocab))
		}
	}
	u.unkScore = minScore - 10
	return u, nil
}

func (u *unigram) vocabulary() map[string]int { return copyVocab(u.vocab) }

func (u *unigram) tokenize(w string) ([]int64, error) {
	type node struct {
		score float64
		start int // byte offset where the best piece ending here starts; -1 unreached
		id    int // -1 for <unk>
	}
	best := make([]node, len(w)+1)
	for i := range best {
		best[i].start = -1
	}
	best[0] = node{start: 0}
	for start := 0; start < len(w); {
		_, first := utf8.DecodeRuneInString(w[start:])
		if best[start].start < 0 && start != 0 {
			start += first
			continue
		}
		base := best[start].score
		single := false
		for end := start + first; end <= len(w) && end-start <= u.maxPieceLen; {
			if id, ok := u.vocab[w[start:end]]; ok {
				if end == start+first {
					single = true
				}
				s := base + u.scores[id]
				if best[end].start < 0 || s > best[end].score {
					best[end] = node{score: s, start: start, id: id}
				}
			}
			if end == len(w) {
				break
			}
			_, n := utf8.DecodeRuneInString(w[end:])
			end += n
		}
		if !single {
			end := start + first
			s := base + u.unkScore
			if best[end].start < 0 || s > best[end].score {
				best[end] = node{score: s, start: start, id: -1}
			}
		}
		start += first
	}
	// Walk back.
	type piece struct {
		a, b, id int
	}
	var rev []piece
	for end := len(w); end > 0; {
		n := best[end]
		rev = append(rev, piece{n.start, end, n.id})
		end = n.start
	}
	var ids []int64
	prevUnk := false
	for i := len(rev) - 1; i >= 0; i-- {
		p := rev[i]
		if p.id >= 0 {
			ids = append(ids, int64(p.id))
			prevUnk = false
			continue
		}
		if u.byteFallback {
			if b, ok := byteFallbackIDs(u.vocab, w[p.a:p.b]); ok {
				ids = append(ids, b...)
				prevUnk = false
				continue
			}
		}
		if u.unkID < 0 {
			return nil, fmt.Errorf("%q is not in the vocabulary and the model has no unk_id", w[p.a:p.b])
		}
		if !prevUnk {
			ids = append(ids, int64(u.unkID))
		}
		prevUnk = true
	}
	return ids, nil
}

// ---------------------------------------------------------------- WordPiece

// wordPiece is BERT's greedy longest-match-first segmentation; pieces after
// the first carry the continuing_subword_prefix (##). A word with a
// character no piece covers, or longer than max_input_chars_per_word, is
// one [UNK].
type wordPiece struct {
	vocab    map[string]int
	unk      int
	prefix   string
	maxChars int
}

func newWordPiece(raw json.RawMessage) (*wordPiece, error) {
	v := struct {
		UnkToken string         `json:"unk_token"`
		Prefix   *string        `json:"continuing_subword_prefix"`
		MaxChars int            `json:"max_input_chars_per_word"`
		Vocab    map[string]int `json:"vocab"`
	}{UnkToken: "[UNK]", MaxChars: 100}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	w := &wordPiece{vocab: v.Vocab, prefix: "##", maxChars: v.MaxChars}
	if v.Prefix != nil {
		w.prefix = *v.Prefix
	}
	unk, ok := v.Vocab[v.UnkToken]
	if !ok {
		return nil, fmt.Errorf("unk_token %q is not in the vocabulary", v.UnkToken)
	}
	w.unk = unk
	return w, nil
}

func (w *wordPiece) vocabulary() map[string]int { return copyVocab(w.vocab) }

func (w *wordPiece) tokenize(word string) ([]int64, error) {
	if utf8.RuneCountInString(word) > w.maxChars {
		return []int64{int64(w.unk)}, nil
	}
	var ids []int64
	for start := 0; start < len(word); {
		found := -1
		end := len(word)
		for end > start {
			sub := word[start:end]
			if start > 0 {
				sub = w.prefix + sub
			}
			if id, ok := w.vocab[sub]; ok {
				found = id
				break
			}
			_, n := utf8.DecodeLastRuneInString(word[start:end])
			end -= n
		}
		if found < 0 {
			return []int64{int64(w.unk)}, nil
		}
		ids = append(ids, int64(found))
		start = end
	}
	return ids, nil
}

// ---------------------------------------------------------------- BPE

// bpe starts from the characters of a word (or <0xXX> bytes for unknown ones
// with byte_fallback) and applies the merges, lowest rank first, leftmost
// first among equal ranks. Words are cached.
type bpe struct {
	vocab        map[string]int
	ranks        map[[2]string]int
	unk          string
	prefix       string
	suffix       string
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool

	mu    sync.Mutex
	cache map[string][]int64
}

const bpeCacheMax = 50000

func newBPE(raw json.RawMessage) (*bpe, error) {
	var v struct {
		Vocab        map[string]int    `json:"vocab"`
		Merges       []json.RawMessage `json:"merges"`
		UnkToken     *string           `json:"unk_token"`
		Prefix       *string           `json:"continuing_subword_prefix"`
		Suffix       *string           `json:"end_of_word_suffix"`
		FuseUnk      bool              `json:"fuse_unk"`
		ByteFallback bool              `json:"byte_fallback"`
		IgnoreMerges bool              `json:"ignore_merges"`
		Dropout      *float64          `json:"dropout"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	if v.Dropout != nil && *v.Dropout > 0 {
		return nil, fmt.Errorf("BPE dropout %g: only deterministic BPE is supported", *v.Dropout)
	}
	b := &bpe{vocab: v.Vocab, ranks: make(map[[2]string]int, len(v.Merges)), fuseUnk: v.FuseUnk,
		byteFallback: v.ByteFallback, ignoreMerges: v.IgnoreMerges, cache: map[string][]int64{}}
	if v.UnkToken != nil {
		b.unk = *v.UnkToken
	}
	if v.Prefix != nil {
		b.prefix = *v.Prefix
	}
	if v.Suffix != nil {
		b.suffix = *v.Suffix
	}
	for i, m := range v.Merges {
		var pair [2]string
		var s string
		if err := json.Unmarshal(m, &s); err == nil {
			a, c, ok := strings.Cut(s, " ")
			if !ok {
				return nil, fmt.Errorf("merges[%d] %q: want \"a b\"", i, s)
			}
			pair = [2]string{a, c}
		} else if err := json.Unmarshal(m, &pair); err != nil {
			return nil, fmt.Errorf("merges[%d]: %w", i, err)
		}
		if _, dup := b.ranks[pair]; !dup {
			b.ranks[pair] = i
		}
	}
	return b, nil
}

func (b *bpe) vocabulary() map[string]int { return copyVocab(b.vocab) }

func (b *bpe) tokenize(w string) ([]int64, error) {
	b.mu.Lock()
	if ids, ok := b.cache[w]; ok {
		b.mu.Unlock()
		return ids, nil
	}
	b.mu.Unlock()
	ids, err := b.merge(w)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	if len(b.cache) >= bpeCacheMax {
		clear(b.cache)
	}
	b.cache[w] = ids
	b.mu.Unlock()
	return ids, nil
}

func (b *bpe) merge(w string) ([]int64, error) {
	if b.ignoreMerges {
		if id, ok := b.vocab[w]; ok {
			return []int64{int64(id)}, nil
		}
	}
	// Symbols: one per character, with prefix/suffix decorations.
	type sym struct {
		s   string
		ids []int64 // set for byte-fallback or unk symbols, which never merge
	}
	var syms []sym
	n := utf8.RuneCountInString(w)
	k := 0
	prevUnk := false
	for _, r := range w {
		s := string(r)
		if k > 0 && b.prefix != "" {
			s = b.prefix + s
		}
		if k == n-1 && b.suffix != "" {
			s += b.suffix
		}
		k++
		if _, ok := b.vocab[s]; ok {
			syms = append(syms, sym{s: s})
			prevUnk = false
			continue
		}
		if b.byteFallback {
			if ids, ok := byteFallbackIDs(b.vocab, string(r)); ok {
				syms = append(syms, sym{ids: ids})
				prevUnk = false
				continue
			}
		}
		unk, ok := b.vocab[b.unk]
		if !ok {
			return nil, fmt.Errorf("character %q is not in the vocabulary and the model has no unk_token", r)
		}
		if b.fuseUnk && prevUnk {
			continue
		}
		syms = append(syms, sym{ids: []int64{int64(unk)}})
		prevUnk = true
	}
	for len(syms) > 1 {
		bestRank, at := math.MaxInt, -1
		for i := 0; i+1 < len(syms); i++ {
			if syms[i].ids != nil || syms[i+1].ids != nil {
				continue
			}
			if r, ok := b.ranks[[2]string{syms[i].s, syms[i+1].s}]; ok && r < bestRank {
				bestRank, at = r, i
			}
		}
		if at < 0 {
			break
		}
		merged := syms[at].s + strings.TrimPrefix(syms[at+1].s, b.prefix)
		if _, ok := b.vocab[merged]; !ok {
			return nil, fmt.Errorf("merge %q+%q gives %q, which is not in the vocabulary", syms[at].s, syms[at+1].s, merged)
		}
		syms[at] = sym{s: merged}
		syms = append(syms[:at+1], syms[at+2:]...)
	}
	ids := make([]int64, 0, len(syms))
	for _, s := range syms {
		if s.ids != nil {
			ids = append(ids, s.ids...)
			continue
		}
		ids = append(ids, int64(b.vocab[s.s]))
	}
	return ids, nil
}
