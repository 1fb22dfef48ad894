package tokenize

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// preTokenizer splits a normalised text into words that the model tokenises
// independently. first says whether the text starts the input (Metaspace's
// prepend_scheme "first").
type preTokenizer interface {
	split(s string, first bool) []string
}

func parsePreTokenizer(raw json.RawMessage) (preTokenizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	typ, err := typeOf(raw)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "Sequence":
		seq, err := parseSequence(raw, "pretokenizers", parsePreTokenizer)
		return seqPreTokenizer(seq), err
	case "Metaspace":
		v := struct {
			Replacement    string  `json:"replacement"`
			PrependScheme  string  `json:"prepend_scheme"`
			AddPrefixSpace *bool   `json:"add_prefix_space"`
			Split          *bool   `json:"split"`
			StrRep         *string `json:"str_rep"`
		}{Replacement: "\u2581"}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		m := metaspace{replacement: v.Replacement, scheme: v.PrependScheme, splitWords: true}
		if m.scheme == "" {
			m.scheme = "always"
			if v.AddPrefixSpace != nil && !*v.AddPrefixSpace {
				m.scheme = "never"
			}
		}
		if m.scheme != "always" && m.scheme != "first" && m.scheme != "never" {
			return nil, fmt.Errorf("Metaspace prepend_scheme %q", m.scheme)
		}
		if v.Split != nil {
			m.splitWords = *v.Split
		}
		return m, nil
	case "BertPreTokenizer":
		return bertPreTokenizer{}, nil
	case "Whitespace":
		return regexSplit{re: regexp.MustCompile(`[` + uniWord + `]+|[^` + uniWord + uniSpace + `]+`), behavior: "Removed", invert: true}, nil
	case "WhitespaceSplit":
		return whitespaceSplit{}, nil
	case "Punctuation":
		v := struct {
			Behavior string `json:"behavior"`
		}{Behavior: "Isolated"}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		return punctuation{behavior: v.Behavior}, nil
	case "Digits":
		var v struct {
			Individual bool `json:"individual_digits"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		if v.Individual {
			return regexSplit{re: regexp.MustCompile(`\p{Nd}`), behavior: "Isolated"}, nil
		}
		return regexSplit{re: regexp.MustCompile(`\p{Nd}+`), behavior: "Isolated"}, nil
	case "Split":
		var v struct {
			Pattern  pattern `json:"pattern"`
			Behavior string  `json:"behavior"`
			Invert   bool    `json:"invert"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		return newRegexSplit(v.Pattern, v.Behavior, v.Invert)
	case "ByteLevel":
		v := struct {
			AddPrefixSpace bool `json:"add_prefix_space"`
			UseRegex       bool `json:"use_regex"`
		}{UseRegex: true}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		b := byteLevel{addPrefixSpace: v.AddPrefixSpace}
		if v.UseRegex {
			p := gpt2Pattern
			rs, err := newRegexSplit(pattern{Regex: &p}, "Isolated", false)
			if err != nil {
				return nil, err
			}
			b.re = &rs
		}
		return b, nil
	}
	return nil, fmt.Errorf("pre_tokenizer type %q is not supported", typ)
}

const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

type seqPreTokenizer []preTokenizer

func (q seqPreTokenizer) split(s string, first bool) []string {
	words := []string{s}
	for _, p := range q {
		var next []string
		for i, w := range words {
			next = append(next, p.split(w, first && i == 0)...)
		}
		words = next
	}
	return words
}

// metaspace replaces spaces by ▁, prepends ▁ and splits before each ▁.
type metaspace struct {
	replacement string
	scheme      string // always, first, never
	splitWords  bool
}

func (m metaspace) split(s string, first bool) []string {
	if s == "" {
		return nil // tokenizers' NormalizedString.prepend is a no-op on ""
	}
	s = strings.ReplaceAll(s, " ", m.replacement)
	if (m.scheme == "always" || m.scheme == "first" && first) && !strings.HasPrefix(s, m.replacement) {
		s = m.replacement + s
	}
	if !m.splitWords {
		return []string{s}
	}
	// MergedWithNext on the replacement: every word starts with ▁.
	var out []string
	start := 0
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], m.replacement)
		if j < 0 {
			break
		}
		at := i + j
		if at > start {
			out = append(out, s[start:at])
			start = at
		}
		i = at + len(m.replacement)
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// bertPreTokenizer splits on whitespace and isolates each punctuation character.
type bertPreTokenizer struct{}

func (bertPreTokenizer) split(s string, _ bool) []string {
	var out []string
	start := -1
	for i, r := range s {
		switch {
		case unicode.IsSpace(r):
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		case isBertPunct(r):
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
			out = append(out, string(r))
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

func isBertPunct(r rune) bool {
	if r >= 33 && r <= 47 || r >= 58 && r <= 64 || r >= 91 && r <= 96 || r >= 123 && r <= 126 {
		return true
	}
	return unicode.IsPunct(r)
}

type whitespaceSplit struct{}

func (whitespaceSplit) split(s string, _ bool) []string { return strings.Fields(s) }

type punctuation struct{ behavior string }

func (p punctuation) split(s string, _ bool) []string {
	var spans [][2]int
	for i, r := range s {
		if isBertPunct(r) {
			spans = append(spans, [2]int{i, i + utf8.RuneLen(r)})
		}
	}
	return applyBehavior(s, cover(s, spans), p.behavior)
}

// regexSplit is the Split pre-tokeniser: matches of the pattern (or, with
// invert, the text between them) are the delimiters, kept according to the
// behaviour. Oniguruma's \s+(?!\S) (GPT-2, Qwen) has no RE2 equivalent: it is
// compiled as a marked \s+ group whose match gives back its last character
// when a non-space follows, which is what the lookahead does.
type regexSplit struct {
	re       *regexp.Regexp
	lit      string
	behavior string
	invert   bool
	wsGroup  int // submatch index of the emulated \s+(?!\S), 0 if none
}

const lookahead = `\s+(?!\S)`

func newRegexSplit(p pattern, behavior string, invert bool) (regexSplit, error) {
	switch behavior {
	case "Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous":
	default:
		return regexSplit{}, fmt.Errorf("Split behavior %q", behavior)
	}
	r := regexSplit{behavior: behavior, invert: invert}
	if p.Regex == nil {
		if p.String == nil {
			return r, fmt.Errorf("Split pattern has neither String nor Regex")
		}
		r.lit = *p.String
		return r, nil
	}
	src := *p.Regex
	src = strings.Replace(src, lookahead, `(?P<mimows>\s+)`, 1)
	if strings.Contains(src, "(?=") || strings.Contains(src, "(?!") || strings.Contains(src, "(?<") && !strings.Contains(src, "(?P<") {
		return r, fmt.Errorf("Split regex %q: lookaround other than %s is not supported", *p.Regex, lookahead)
	}
	re, err := regexp.Compile(translateRegex(src))
	if err != nil {
		return r, fmt.Errorf("Split regex %q: %w", *p.Regex, err)
	}
	r.re = re
	r.wsGroup = re.SubexpIndex("mimows")
	if r.wsGroup < 0 {
		r.wsGroup = 0
	}
	return r, nil
}

// matches returns the [start, end) spans of the pattern in s.
func (r regexSplit) matches(s string) [][2]int {
	var spans [][2]int
	if r.re == nil {
		if r.lit == "" {
			return nil
		}
		for off := 0; ; {
			i := strings.Index(s[off:], r.lit)
			if i < 0 {
				return spans
			}
			spans = append(spans, [2]int{off + i, off + i + len(r.lit)})
			off += i + len(r.lit)
		}
	}
	for pos := 0; pos <= len(s); {
		loc := r.re.FindStringSubmatchIndex(s[pos:])
		if loc == nil {
			break
		}
		start, end := pos+loc[0], pos+loc[1]
		if r.wsGroup > 0 && loc[2*r.wsGroup] >= 0 && end < len(s) {
			// \s+(?!\S): give back the last space when a non-space follows.
			next, _ := utf8.DecodeRuneInString(s[end:])
			if !isUniSpace(next) {
				_, last := utf8.DecodeLastRuneInString(s[start:end])
				if end-last > start {
					end -= last
				}
			}
		}
		if end == start {
			_, size := utf8.DecodeRuneInString(s[end:])
			pos = end + max(size, 1)
			continue
		}
		spans = append(spans, [2]int{start, end})
		pos = end
	}
	return spans
}

func isUniSpace(r rune) bool {
	return r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r' || r == 0x85 || unicode.In(r, unicode.Z)
}

func (r regexSplit) split(s string, _ bool) []string {
	pieces := cover(s, r.matches(s))
	if r.invert {
		// The matches are the words; the text between them is the delimiter.
		for i := range pieces {
			pieces[i].delim = !pieces[i].delim
		}
	}
	return applyBehavior(s, pieces, r.behavior)
}

// piece is a span of the text, a delimiter or not.
type piece struct {
	a, b  int
	delim bool
}

// cover turns delimiter spans into pieces covering all of s.
func cover(s string, spans [][2]int) []piece {
	var pieces []piece
	prev := 0
	for _, sp := range spans {
		if sp[0] > prev {
			pieces = append(pieces, piece{prev, sp[0], false})
		}
		pieces = append(pieces, piece{sp[0], sp[1], true})
		prev = sp[1]
	}
	if prev < len(s) {
		pieces = append(pieces, piece{prev, len(s), false})
	}
	return pieces
}

// applyBehavior cuts s into words at its delimiter pieces, as tokenizers'
// SplitDelimiterBehavior does.
func applyBehavior(s string, pieces []piece, behavior string) []string {
	var out []string
	switch behavior {
	case "Removed":
		for _, p := range pieces {
			if !p.delim {
				out = append(out, s[p.a:p.b])
			}
		}
	case "Isolated":
		for _, p := range pieces {
			out = append(out, s[p.a:p.b])
		}
	case "MergedWithPrevious":
		start := 0
		for _, p := range pieces {
			if p.delim {
				out = append(out, s[start:p.b])
				start = p.b
			}
		}
		if start < len(s) {
			out = append(out, s[start:])
		}
	case "MergedWithNext":
		start := 0
		for _, p := range pieces {
			if p.delim && p.a > start {
				out = append(out, s[start:p.a])
				start = p.a
			}
		}
		if start < len(s) {
			out = append(out, s[start:])
		}
	case "Contiguous":
		// Runs of adjacent delimiters become one word.
		for i := 0; i < len(pieces); {
			j := i
			for pieces[i].delim && j+1 < len(pieces) && pieces[j+1].delim {
				j++
			}
			out = append(out, s[pieces[i].a:pieces[j].b])
			i = j + 1
		}
	}
	return out
}

// byteLevel maps every byte to a printable character (GPT-2's
// bytes_to_unicode), after an optional GPT-2 regex split.
type byteLevel struct {
	addPrefixSpace bool
	re             *regexSplit
}

var byteToRune = func() [256]rune {
	var t [256]rune
	n := 0
	for b := 0; b < 256; b++ {
		if b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF {
			t[b] = rune(b)
		} else {
			t[b] = rune(256 + n)
			n++
		}
	}
	return t
}()

func (b byteLevel) split(s string, _ bool) []string {
	if b.addPrefixSpace && !strings.HasPrefix(s, " ") {
		s = " " + s
	}
	words := []string{s}
	if b.re != nil {
		words = b.re.split(s, false)
	}
	out := make([]string, 0, len(words))
	for _, w := range words {
		var sb strings.Builder
		for i := 0; i < len(w); i++ {
			sb.WriteRune(byteToRune[w[i]])
		}
		out = append(out, sb.String())
	}
	return out
}
