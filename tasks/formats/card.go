package formats

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// Dataset cards: the README.md of a Hub dataset repository, whose YAML
// front matter names the data files of each config (the Hub's "configs"
// documentation), read by tasks/local for MTEB download folders and by
// the builders for repositories that document their files there
// (neuclir/bench).

// CardName is a dataset repository's card file.
const CardName = "README.md"

// Card is the part of a Hugging Face dataset card's YAML front matter the
// readers use: the `configs:` block (data files per config and split, and
// for CSV configs the reading options) and the `language:` list.
type Card struct {
	Configs  []CardConfig `yaml:"configs"`
	Language yaml.Node    `yaml:"language"`
}

// CardConfig is one entry of `configs:`. Format, Sep, Header and Names
// are the CSV builder's options (`format: csv`, `sep: "\t"`,
// `header: null`, `names: [id, query]`), empty when the card gives none.
type CardConfig struct {
	Name      string    `yaml:"config_name"`
	DataFiles yaml.Node `yaml:"data_files"`
	Default   bool      `yaml:"default"`
	Format    string    `yaml:"format"`
	Sep       *string   `yaml:"sep"`
	Header    yaml.Node `yaml:"header"`
	Names     []string  `yaml:"names"`
}

// Config returns the config named name.
func (c Card) Config(name string) (CardConfig, bool) {
	for _, cfg := range c.Configs {
		if cfg.Name == name {
			return cfg, true
		}
	}
	return CardConfig{}, false
}

// CardSplits maps each split of a config to its data-file patterns,
// Names in the card's order.
type CardSplits struct {
	Names    []string
	Patterns map[string][]string
}

// Add appends patterns to split, adding the split if new.
func (s *CardSplits) Add(split string, pats ...string) {
	if s.Patterns == nil {
		s.Patterns = map[string][]string{}
	}
	if _, ok := s.Patterns[split]; !ok {
		s.Names = append(s.Names, split)
	}
	s.Patterns[split] = append(s.Patterns[split], pats...)
}

// ParseCard reads the YAML front matter of a dataset card (README.md),
// the text between a first line "---" and the next; name is the file, for
// messages. ok is false when the card has no front matter.
func ParseCard(b []byte, name string) (card Card, ok bool, err error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	if !bytes.HasPrefix(b, []byte("---\n")) {
		return card, false, nil
	}
	rest := b[4:]
	end := bytes.Index(rest, []byte("\n---\n"))
	switch {
	case bytes.HasPrefix(rest, []byte("---\n")):
		end = -1
		rest = nil
	case end < 0 && bytes.HasSuffix(rest, []byte("\n---")):
		end = len(rest) - 4
	case end < 0:
		return card, false, fmt.Errorf("%s: the YAML front matter has no closing \"---\" line", name)
	}
	if end >= 0 {
		rest = rest[:end+1]
	}
	if err := yaml.Unmarshal(rest, &card); err != nil {
		return card, false, fmt.Errorf("%s: YAML front matter: %w", name, err)
	}
	return card, true, nil
}

// Splits reads a config's data_files in the forms the Hub accepts: a
// pattern, a list of patterns (split "train"), a list of {split, path}
// with path a pattern or a list, or a mapping from split to patterns.
func (c CardConfig) Splits(card string) (CardSplits, error) {
	var s CardSplits
	n := &c.DataFiles
	bad := func(what string) error {
		return fmt.Errorf("%s: config %q: data_files: %s (line %d)", card, c.Name, what, n.Line)
	}
	patterns := func(v *yaml.Node) ([]string, error) {
		switch v.Kind {
		case yaml.ScalarNode:
			return []string{v.Value}, nil
		case yaml.SequenceNode:
			var out []string
			for _, e := range v.Content {
				if e.Kind != yaml.ScalarNode {
					return nil, bad("want a pattern or a list of patterns")
				}
				out = append(out, e.Value)
			}
			return out, nil
		}
		return nil, bad("want a pattern or a list of patterns")
	}
	switch n.Kind {
	case 0:
		return s, bad("missing")
	case yaml.ScalarNode:
		s.Add("train", n.Value)
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p, err := patterns(n.Content[i+1])
			if err != nil {
				return s, err
			}
			s.Add(n.Content[i].Value, p...)
		}
	case yaml.SequenceNode:
		for _, e := range n.Content {
			if e.Kind == yaml.ScalarNode {
				s.Add("train", e.Value)
				continue
			}
			if e.Kind != yaml.MappingNode {
				return s, bad("want patterns or {split, path} entries")
			}
			split := "train"
			var pats []string
			for i := 0; i+1 < len(e.Content); i += 2 {
				k, v := e.Content[i].Value, e.Content[i+1]
				switch k {
				case "split":
					split = v.Value
				case "path":
					p, err := patterns(v)
					if err != nil {
						return s, err
					}
					pats = p
				default:
					return s, bad(fmt.Sprintf("unknown key %q in an entry (known: split, path)", k))
				}
			}
			if len(pats) == 0 {
				return s, bad(fmt.Sprintf("split %q has no path", split))
			}
			s.Add(split, pats...)
		}
	default:
		return s, bad("want a pattern, a list or a mapping")
	}
	return s, nil
}

// GlobMatch matches a data-file pattern against a relative path: path.Match
// per segment, and "**" for any number of segments.
func GlobMatch(pattern, name string) bool {
	return matchSegs(strings.Split(path.Clean(pattern), "/"), strings.Split(name, "/"))
}

func matchSegs(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if matchSegs(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, err := path.Match(pat[0], segs[0]); err != nil || !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// ResolvePatterns returns the files matching data-file patterns (GlobMatch),
// each once, in files' order.
func ResolvePatterns(files, patterns []string) []string {
	var out []string
	for _, f := range files {
		for _, p := range patterns {
			if GlobMatch(p, f) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}
