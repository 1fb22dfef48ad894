package tokenize

import (
	"encoding/json"
	"fmt"
)

// postProcessor adds the special tokens around one sequence (single-text
// encoding; pairs are not used by embedding models).
type postProcessor interface {
	process(ids []int64) (out, typeIDs []int64)
	added() int // ids added to a single sequence
}

func parsePostProcessor(raw json.RawMessage, vocab map[string]int) (postProcessor, error) {
	if isNull(raw) {
		return nil, nil
	}
	typ, err := typeOf(raw)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "TemplateProcessing":
		return newTemplate(raw)
	case "BertProcessing", "RobertaProcessing":
		var v struct {
			Sep [2]any `json:"sep"`
			Cls [2]any `json:"cls"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		cls, ok1 := v.Cls[1].(float64)
		sep, ok2 := v.Sep[1].(float64)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%s: cls/sep must be [token, id]", typ)
		}
		return template{{special: []int64{int64(cls)}}, {seq: true}, {special: []int64{int64(sep)}}}, nil
	case "ByteLevel":
		return template{{seq: true}}, nil // offsets only
	case "Sequence":
		var v struct {
			Processors []json.RawMessage `json:"processors"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		var seq seqPost
		for i, r := range v.Processors {
			p, err := parsePostProcessor(r, vocab)
			if err != nil {
				return nil, fmt.Errorf("processors[%d]: %w", i, err)
			}
			if p != nil {
				seq = append(seq, p)
			}
		}
		return seq, nil
	}
	return nil, fmt.Errorf("post_processor type %q is not supported", typ)
}

// template is the "single" template of TemplateProcessing: special tokens
// and the sequence, each with its type id.
type template []templatePart

type templatePart struct {
	special []int64
	seq     bool
	typeID  int64
}

func newTemplate(raw json.RawMessage) (template, error) {
	var v struct {
		Single []struct {
			SpecialToken *struct {
				ID     string `json:"id"`
				TypeID int64  `json:"type_id"`
			} `json:"SpecialToken"`
			Sequence *struct {
				ID     string `json:"id"`
				TypeID int64  `json:"type_id"`
			} `json:"Sequence"`
		} `json:"single"`
		SpecialTokens map[string]struct {
			IDs []int64 `json:"ids"`
		} `json:"special_tokens"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	var t template
	for i, p := range v.Single {
		switch {
		case p.SpecialToken != nil:
			st, ok := v.SpecialTokens[p.SpecialToken.ID]
			if !ok {
				return nil, fmt.Errorf("single[%d]: special token %q is not in special_tokens", i, p.SpecialToken.ID)
			}
			t = append(t, templatePart{special: st.IDs, typeID: p.SpecialToken.TypeID})
		case p.Sequence != nil:
			t = append(t, templatePart{seq: true, typeID: p.Sequence.TypeID})
		default:
			return nil, fmt.Errorf("single[%d]: neither SpecialToken nor Sequence", i)
		}
	}
	return t, nil
}

func (t template) process(ids []int64) ([]int64, []int64) {
	out := make([]int64, 0, len(ids)+t.added())
	types := make([]int64, 0, cap(out))
	for _, p := range t {
		if p.seq {
			out = append(out, ids...)
			for range ids {
				types = append(types, p.typeID)
			}
			continue
		}
		out = append(out, p.special...)
		for range p.special {
			types = append(types, p.typeID)
		}
	}
	return out, types
}

func (t template) added() int {
	n := 0
	for _, p := range t {
		n += len(p.special)
	}
	return n
}

type seqPost []postProcessor

func (q seqPost) process(ids []int64) ([]int64, []int64) {
	var types []int64
	for _, p := range q {
		ids, types = p.process(ids)
	}
	if types == nil {
		types = make([]int64, len(ids))
	}
	return ids, types
}

func (q seqPost) added() int {
	n := 0
	for _, p := range q {
		n += p.added()
	}
	return n
}
