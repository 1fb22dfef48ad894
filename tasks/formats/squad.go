package formats

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// SQuAD is a SQuAD-v1.1 JSON file (also XQuAD's and MLQA's release format):
// articles, each with paragraphs, each with its questions.
type SQuAD struct {
	Version SQuADVersion   `json:"version"`
	Data    []SQuADArticle `json:"data"`
}

// SQuADVersion is the file's "version": SQuAD writes a string ("1.1");
// other releases in the format are read whether they write a string or a
// number (1.0), kept as written.
type SQuADVersion string

// UnmarshalJSON accepts a JSON string, a number or null.
func (v *SQuADVersion) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = SQuADVersion(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*v = SQuADVersion(n.String())
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	return fmt.Errorf("version: want a string or a number, got %s", b)
}

// SQuADArticle is one article (a Wikipedia page in SQuAD).
type SQuADArticle struct {
	Title      string           `json:"title"`
	Paragraphs []SQuADParagraph `json:"paragraphs"`
}

// SQuADParagraph is one context passage with the questions asked on it.
type SQuADParagraph struct {
	Context string    `json:"context"`
	QAs     []SQuADQA `json:"qas"`
}

// SQuADQA is one question. ID is unique within a file.
type SQuADQA struct {
	ID       string        `json:"id"`
	Question string        `json:"question"`
	Answers  []SQuADAnswer `json:"answers"`
}

// SQuADAnswer is one answer span; AnswerStart is a character (not byte)
// offset into the context, as Python counts it.
type SQuADAnswer struct {
	Text        string `json:"text"`
	AnswerStart int    `json:"answer_start"`
}

// MaxDocumentBytes bounds a whole-document JSON file (SQuAD format) after
// decompression.
var MaxDocumentBytes int64 = 1 << 30

var errTooLarge = errors.New("document too large")

// capped reads at most left bytes, then fails with errTooLarge.
type capped struct {
	r    io.Reader
	left int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// ReadSQuAD decodes a SQuAD-v1.1 JSON document (gzip detected by magic
// bytes) and checks what retrieval builders rely on: at least one article,
// every question has a non-empty id and text, ids are unique, every
// paragraph has a context, and nothing follows the document. Errors name
// the file and the article/paragraph/question position
// ("xquad.de.json: data[3].paragraphs[1].qas[0]: empty id").
func ReadSQuAD(r io.Reader, name string) (*SQuAD, error) {
	br, closeFn, err := maybeGunzip(r, name)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	if err := skipBOM(br); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// The whole document is one JSON value, held in memory while decoded:
	// bound it (after decompression, so a small gzip bomb cannot expand
	// without limit). Real SQuAD-format files are under 50 MB.
	dec := json.NewDecoder(&capped{r: br, left: MaxDocumentBytes})
	var sq SQuAD
	if err := dec.Decode(&sq); err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, fmt.Errorf("%s: larger than %d bytes (decompressed): not a SQuAD file this reader takes (MaxDocumentBytes)", name, MaxDocumentBytes)
		}
		return nil, fmt.Errorf("%s: decoding SQuAD JSON (byte %d): %w", name, dec.InputOffset(), err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: unexpected data after the JSON document (byte %d)", name, dec.InputOffset())
	}
	if len(sq.Data) == 0 {
		return nil, fmt.Errorf("%s: no articles under \"data\"", name)
	}
	ids := map[string]string{}
	for a, art := range sq.Data {
		for p, par := range art.Paragraphs {
			at := fmt.Sprintf("data[%d].paragraphs[%d]", a, p)
			if par.Context == "" {
				return nil, fmt.Errorf("%s: %s: empty context", name, at)
			}
			for q, qa := range par.QAs {
				qat := fmt.Sprintf("%s.qas[%d]", at, q)
				switch {
				case qa.ID == "":
					return nil, fmt.Errorf("%s: %s: empty id", name, qat)
				case qa.Question == "":
					return nil, fmt.Errorf("%s: %s (id %q): empty question", name, qat, qa.ID)
				}
				if prev, dup := ids[qa.ID]; dup {
					return nil, fmt.Errorf("%s: %s: id %q already used at %s", name, qat, qa.ID, prev)
				}
				ids[qa.ID] = qat
				for i, ans := range qa.Answers {
					if ans.AnswerStart < 0 {
						return nil, fmt.Errorf("%s: %s.answers[%d] (id %q): negative answer_start %d", name, qat, i, qa.ID, ans.AnswerStart)
					}
				}
			}
		}
	}
	return &sq, nil
}
