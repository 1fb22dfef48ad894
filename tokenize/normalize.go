package tokenize

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites a text before pre-tokenisation.
type normalizer interface {
	normalize(s string) string
}

func parseNormalizer(raw json.RawMessage) (normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	typ, err := typeOf(raw)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "Sequence":
		seq, err := parseSequence(raw, "normalizers", parseNormalizer)
		return seqNormalizer(seq), err
	case "NFC":
		return formNormalizer{norm.NFC}, nil
	case "NFD":
		return formNormalizer{norm.NFD}, nil
	case "NFKC":
		return formNormalizer{norm.NFKC}, nil
	case "NFKD":
		return formNormalizer{norm.NFKD}, nil
	case "Lowercase":
		return lowercase{}, nil
	case "StripAccents":
		return stripAccents{}, nil
	case "Strip":
		var v struct {
			Left  bool `json:"strip_left"`
			Right bool `json:"strip_right"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		return strip{v.Left, v.Right}, nil
	case "Prepend":
		var v struct {
			Prepend string `json:"prepend"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		return prepend(v.Prepend), nil
	case "Replace":
		var v struct {
			Pattern pattern `json:"pattern"`
			Content string  `json:"content"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		re, err := v.Pattern.compile()
		if err != nil {
			return nil, err
		}
		return replace{re: re, lit: v.Pattern.literal(), with: v.Content}, nil
	case "BertNormalizer":
		v := struct {
			CleanText    bool  `json:"clean_text"`
			ChineseChars bool  `json:"handle_chinese_chars"`
			StripAccents *bool `json:"strip_accents"`
			Lowercase    bool  `json:"lowercase"`
		}{CleanText: true, ChineseChars: true, Lowercase: true}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		b := bertNormalizer{clean: v.CleanText, chinese: v.ChineseChars, lower: v.Lowercase, accents: v.Lowercase}
		if v.StripAccents != nil {
			b.accents = *v.StripAccents
		}
		return b, nil
	case "Precompiled":
		var v struct {
			Charsmap string `json:"precompiled_charsmap"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(v.Charsmap)
		if err != nil {
			return nil, fmt.Errorf("precompiled_charsmap: %w", err)
		}
		return newPrecompiled(b)
	}
	return nil, fmt.Errorf("normalizer type %q is not supported", typ)
}

type seqNormalizer []normalizer

func (q seqNormalizer) normalize(s string) string {
	for _, n := range q {
		s = n.normalize(s)
	}
	return s
}

type formNormalizer struct{ f norm.Form }

func (n formNormalizer) normalize(s string) string { return n.f.String(s) }

type lowercase struct{}

func (lowercase) normalize(s string) string { return strings.ToLower(s) }

type stripAccents struct{}

// normalize removes combining marks (tokenizers expects NFD input first).
func (stripAccents) normalize(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, s)
}

type strip struct{ left, right bool }

func (n strip) normalize(s string) string {
	if n.left {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if n.right {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	return s
}

type prepend string

func (p prepend) normalize(s string) string {
	if s == "" {
		return s
	}
	return string(p) + s
}

type replace struct {
	re   *regexp.Regexp // nil: literal
	lit  string
	with string
}

func (r replace) normalize(s string) string {
	if r.re == nil {
		return strings.ReplaceAll(s, r.lit, r.with)
	}
	return r.re.ReplaceAllLiteralString(s, r.with)
}

// bertNormalizer is BERT's: drop control characters and map whitespace to
// spaces, put spaces around CJK ideographs, strip accents, lowercase.
type bertNormalizer struct{ clean, chinese, lower, accents bool }

func (b bertNormalizer) normalize(s string) string {
	var sb strings.Builder
	for _, r := range s {
		if b.clean {
			if r == 0 || r == 0xFFFD || isBertControl(r) {
				continue
			}
			if isBertWhitespace(r) {
				r = ' '
			}
		}
		if b.chinese && isCJK(r) {
			sb.WriteByte(' ')
			sb.WriteRune(r)
			sb.WriteByte(' ')
			continue
		}
		sb.WriteRune(r)
	}
	s = sb.String()
	if b.accents {
		s = stripAccents{}.normalize(norm.NFD.String(s))
	}
	if b.lower {
		s = strings.ToLower(s)
	}
	return s
}

func isBertWhitespace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || unicode.Is(unicode.Zs, r)
}

func isBertControl(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs)
}

func isCJK(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF || r >= 0x20000 && r <= 0x2A6DF ||
		r >= 0x2A700 && r <= 0x2B73F || r >= 0x2B740 && r <= 0x2B81F || r >= 0x2B820 && r <= 0x2CEAF ||
		r >= 0xF900 && r <= 0xFAFF || r >= 0x2F800 && r <= 0x2FA1F
}

// precompiled is SentencePiece's normaliser: a double-array trie (darts-clone)
// over UTF-8 byte strings whose values point into a blob of NUL-terminated
// replacements. At every position the longest matching prefix is replaced;
// where nothing matches one character is copied (invalid UTF-8 becomes
// U+FFFD). This is SentencePiece's Normalizer::NormalizePrefix.
type precompiled struct {
	units []uint32
	blob  []byte
}

func newPrecompiled(b []byte) (*precompiled, error) {
	if len(b) == 0 {
		return &precompiled{}, nil
	}
	if len(b) < 4 {
		return nil, fmt.Errorf("precompiled_charsmap: %d bytes, too short", len(b))
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n%4 != 0 || 4+n > len(b) {
		return nil, fmt.Errorf("precompiled_charsmap: trie size %d does not fit in %d bytes", n, len(b))
	}
	units := make([]uint32, n/4)
	for i := range units {
		units[i] = binary.LittleEndian.Uint32(b[4+4*i:])
	}
	return &precompiled{units: units, blob: b[4+n:]}, nil
}

// longest returns the length of the longest key that prefixes s and its value.
func (p *precompiled) longest(s string) (n int, value uint32) {
	if len(p.units) == 0 {
		return 0, 0
	}
	u := p.units
	pos := uint32(0)
	unit := u[0]
	pos ^= dartsOffset(unit)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			break
		}
		pos ^= uint32(c)
		if int(pos) >= len(u) {
			break
		}
		unit = u[pos]
		if dartsLabel(unit) != uint32(c) {
			break
		}
		pos ^= dartsOffset(unit)
		if dartsHasLeaf(unit) {
			if int(pos) >= len(u) {
				break
			}
			n, value = i+1, u[pos]&0x7FFFFFFF
		}
	}
	return n, value
}

func dartsOffset(u uint32) uint32 { return (u >> 10) << ((u & (1 << 9)) >> 6) }
func dartsLabel(u uint32) uint32  { return u & ((1 << 31) | 0xFF) }
func dartsHasLeaf(u uint32) bool  { return (u>>8)&1 == 1 }

func (p *precompiled) normalize(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	for len(s) > 0 {
		n, v := p.longest(s)
		if n > 0 && int(v) < len(p.blob) {
			rep := p.blob[v:]
			if end := indexByte(rep, 0); end >= 0 {
				rep = rep[:end]
			}
			sb.Write(rep)
			s = s[n:]
			continue
		}
		r, size := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && size <= 1 {
			sb.WriteRune(utf8.RuneError)
			s = s[1:]
			continue
		}
		sb.WriteString(s[:size])
		s = s[size:]
	}
	return sb.String()
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// pattern is the {"String": ...} or {"Regex": ...} of Replace and Split.
type pattern struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

// compile returns nil for a literal pattern.
func (p pattern) compile() (*regexp.Regexp, error) {
	switch {
	case p.Regex != nil:
		re, err := regexp.Compile(translateRegex(*p.Regex))
		if err != nil {
			return nil, fmt.Errorf("regex %q: %w", *p.Regex, err)
		}
		return re, nil
	case p.String != nil:
		return nil, nil
	}
	return nil, fmt.Errorf("pattern has neither String nor Regex")
}

func (p pattern) literal() string {
	if p.String != nil {
		return *p.String
	}
	return ""
}

// Unicode classes: Oniguruma's (used by tokenizers) \s, \w, \d are Unicode
// aware, Go's RE2 ones are ASCII only.
const (
	uniSpace = `\t\n\v\f\r\x{85}\p{Z}`
	uniWord  = `\p{L}\p{M}\p{N}\p{Pc}`
	uniDigit = `\p{Nd}`
)

// translateRegex rewrites an Oniguruma pattern into an RE2 one with the same
// meaning for the patterns tokenizers use: \s \S \w \W \d \D become Unicode
// classes. The negative lookahead \s+(?!\S) is handled by splitRegex.
func translateRegex(p string) string {
	var sb strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '\\' && i+1 < len(p) {
			d := p[i+1]
			i++
			var in, out string
			switch d {
			case 's':
				in, out = uniSpace, "["+uniSpace+"]"
			case 'S':
				in, out = "", "[^"+uniSpace+"]"
			case 'w':
				in, out = uniWord, "["+uniWord+"]"
			case 'W':
				in, out = "", "[^"+uniWord+"]"
			case 'd':
				in, out = uniDigit, "["+uniDigit+"]"
			case 'D':
				in, out = "", "[^"+uniDigit+"]"
			default:
				sb.WriteByte('\\')
				sb.WriteByte(d)
				continue
			}
			if inClass && in != "" {
				sb.WriteString(in)
			} else if inClass {
				// A negated class inside a class: keep RE2's ASCII meaning.
				sb.WriteByte('\\')
				sb.WriteByte(d)
			} else {
				sb.WriteString(out)
			}
			continue
		}
		if c == '[' && !inClass {
			inClass = true
		} else if c == ']' && inClass {
			inClass = false
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// parseSequence reads the list field of a "Sequence" component (normalizers,
// pretokenizers), parsing each element with parse and dropping null ones.
func parseSequence[T comparable](raw json.RawMessage, field string, parse func(json.RawMessage) (T, error)) ([]T, error) {
	var v map[string]json.RawMessage
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	var items []json.RawMessage
	if err := json.Unmarshal(v[field], &items); err != nil && !isNull(v[field]) {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	var zero T
	var seq []T
	for i, r := range items {
		x, err := parse(r)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", field, i, err)
		}
		if x != zero {
			seq = append(seq, x)
		}
	}
	return seq, nil
}
