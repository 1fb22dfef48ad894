package treceval

import (
	"bytes"
	"hash/maphash"
	"math"
	"slices"

	"github.com/mimo-mlir/mimo/harness/search"
)

// The fast path of trec_eval's te_form_res_rels. The reference path
// (evaluator.resRels) sorts a query's docnos byte-wise, finds duplicates
// among neighbours and merges them with the docno-sorted qrels; that sort
// of strings was a third of the time of a large run. Here the query's
// judged docnos and then its results go into one small open-addressing
// hash table, which gives every result its relevance and finds a repeated
// docno at once; results are ranked by a stable radix sort on their score
// keys, and only runs of equal scores are sorted by docno (descending, as
// trec_eval breaks ties). Whatever is unusual (a document retrieved or
// judged twice) goes to the reference path, which owns the errors and
// their wording, so both paths give the same ranking and the same values.

// docSeed is the seed of the docno hash; values never depend on it.
var docSeed = maphash.MakeSeed()

// Table entries: the high 32 bits of the docno's hash (its low bits pick
// the slot) in the high 32 bits; in the low ones
// j+1 for judgment j or ^i (as an int32, negative) for result i; 0 is a
// free slot.
const freeSlot = 0

// fastRels is resRels for a query whose results are recs over data; ok is
// false when the reference path must decide (a docno retrieved or judged
// twice, which may be an error).
func (e *evaluator) fastRels(data []byte, recs []rec, judged []Judgment, opts Options) (rr *resRels, ok bool) {
	maxRel := int64(-1)
	for i, j := range judged {
		if i > 0 && judged[i-1].Doc == j.Doc {
			return nil, false
		}
		maxRel = max(maxRel, j.Rel)
	}
	relAt, ok := e.lookupRels(data, recs, judged)
	if !ok {
		return nil, false
	}
	keys := e.keys[:0]
	for i, r := range recs {
		keys = append(keys, uint64(^search.ScoreKey(r.sim))<<32|uint64(^uint32(i)))
	}
	if cap(e.tmp) < len(keys) {
		e.tmp = make([]uint64, len(keys))
	}
	keys, e.tmp = radixSortHigh(keys, e.tmp[:len(keys)])
	breakTies(keys, data, recs)
	e.keys = keys
	if int64(len(keys)) > opts.MaxDocs {
		keys = keys[:opts.MaxDocs]
	}
	return e.fill(keys, relAt, judged, maxRel, opts), true
}

// lookupRels gives each result its relevance value (as the reference
// merge does: relNonPool when not judged, relUnjudged when judged
// negative); ok is false when a docno is retrieved twice.
func (e *evaluator) lookupRels(data []byte, recs []rec, judged []Judgment) (relAt []int64, ok bool) {
	size := 16
	for size < 2*(len(recs)+len(judged)) {
		size *= 2
	}
	if cap(e.slots) < size {
		e.slots = make([]uint64, size)
	}
	slots := e.slots[:size]
	clear(slots)
	mask := uint64(size - 1)
	for j, jd := range judged {
		h := maphash.String(docSeed, jd.Doc)
		s := h & mask
		for slots[s] != freeSlot {
			s = (s + 1) & mask
		}
		slots[s] = h&^0xffffffff | uint64(j+1)
	}
	matched := slices.Grow(e.matched[:0], len(judged))[:len(judged)]
	clear(matched)
	e.matched = matched
	relAt = slices.Grow(e.relAt[:0], len(recs))[:len(recs)]
	e.relAt = relAt
	for i, r := range recs {
		d := data[r.doc : r.doc+r.dlen]
		h := maphash.Bytes(docSeed, d)
		s := h & mask
		v := int64(relNonPool)
		for ; slots[s] != freeSlot; s = (s + 1) & mask {
			if slots[s]>>32 != h>>32 {
				continue
			}
			if at := int32(slots[s]); at > 0 {
				if jd := &judged[at-1]; jd.Doc == string(d) {
					if matched[at-1] {
						return nil, false
					}
					matched[at-1] = true
					v = jd.Rel
					if v < 0 {
						v = relUnjudged
					}
					break
				}
			} else if o := recs[^at]; bytes.Equal(data[o.doc:o.doc+o.dlen], d) {
				return nil, false
			}
		}
		if v == relNonPool {
			slots[s] = h&^0xffffffff | uint64(uint32(^int32(i)))
		}
		relAt[i] = v
	}
	return relAt, true
}

// radixSortHigh sorts keys by their high 32 bits, stably (an LSD radix
// sort, a byte at a time, skipping bytes every key shares), using tmp (of
// the same length) as scratch; it returns the sorted keys and the other
// buffer. Short lists are sorted by comparisons on the whole key, which
// orders equal high halves by their low ones instead: callers order those
// themselves.
func radixSortHigh(keys, tmp []uint64) (sorted, spare []uint64) {
	if len(keys) < 256 {
		slices.Sort(keys)
		return keys, tmp
	}
	src, dst := keys, tmp
	for shift := 32; shift < 64; shift += 8 {
		var count [256]int
		for _, k := range src {
			count[byte(k>>shift)]++
		}
		if count[byte(src[0]>>shift)] == len(src) {
			continue
		}
		sum := 0
		for b, c := range count {
			count[b] = sum
			sum += c
		}
		for _, k := range src {
			b := byte(k >> shift)
			dst[count[b]] = k
			count[b]++
		}
		src, dst = dst, src
	}
	return src, dst
}

// breakTies sorts every run of keys with equal scores (high halves) by
// docno descending, byte-wise, as trec_eval ranks tied documents.
func breakTies(keys []uint64, data []byte, recs []rec) {
	doc := func(k uint64) []byte {
		r := recs[^uint32(k)]
		return data[r.doc : r.doc+r.dlen]
	}
	for a := 0; a < len(keys); {
		b := a + 1
		for b < len(keys) && keys[b]>>32 == keys[a]>>32 {
			b++
		}
		if b-a > 1 {
			slices.SortFunc(keys[a:b], func(x, y uint64) int { return bytes.Compare(doc(y), doc(x)) })
		}
		a = b
	}
}

// packResults lays results out as recs over one byte slice (the
// evaluator's buffers), so that a run read whole takes the fast path too;
// ok is false when their docnos do not fit a uint32 offset.
func (e *evaluator) packResults(results []Result) (data []byte, recs []rec, ok bool) {
	data, recs = e.pdata[:0], e.precs[:0]
	for _, r := range results {
		if len(data)+len(r.Doc) > math.MaxUint32 {
			return nil, nil, false
		}
		recs = append(recs, rec{doc: uint32(len(data)), dlen: uint32(len(r.Doc)), sim: r.Sim})
		data = append(data, r.Doc...)
	}
	e.pdata, e.precs = data, recs
	return data, recs, true
}
