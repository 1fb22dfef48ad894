package search

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// DefaultDepth is how many documents Search keeps per query: MTEB's largest k.
const DefaultDepth = 1000

// Hit is one retrieved document: its row in the corpus Matrix and its score.
type Hit struct {
	Doc   int32
	Score float32
}

// Options tunes Search. Zero values take the defaults.
type Options struct {
	// K is the depth kept per query (default DefaultDepth).
	K int
	// QueryBlock is how many query rows one work item scores together
	// (default 256: the corpus is read from memory once per block).
	QueryBlock int
	// Chunk is how many corpus rows are scored per tile (default 128, so
	// that a block's tile and the chunk's packed rows share the L2 cache).
	Chunk int
	// Workers is the number of goroutines (default GOMAXPROCS).
	Workers int
}

func (o Options) withDefaults() Options {
	if o.K <= 0 {
		o.K = DefaultDepth
	}
	if o.QueryBlock <= 0 {
		o.QueryBlock = 256
	}
	if o.Chunk <= 0 {
		o.Chunk = 128
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// TieOrder returns, for each id, its ordinal in byte-wise ascending order
// of ids; pass it to Search as order. Equal ids get equal ordinals.
func TieOrder(ids []string) []int32 {
	idx := make([]int, len(ids))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return ids[idx[a]] < ids[idx[b]] })
	out := make([]int32, len(ids))
	var ord int32
	for r, i := range idx {
		if r > 0 && ids[i] != ids[idx[r-1]] {
			ord++
		}
		out[i] = ord
	}
	return out
}

// Search returns, for every row of q, the top K rows of c by dot product,
// in canonical order: score descending, then order[doc] descending (which is
// document id descending when order comes from TieOrder). q and c must be
// normalised (see Normalized) for the scores to be cosines.
func Search(ctx context.Context, q, c Matrix, order []int32, opts Options) ([][]Hit, error) {
	o := opts.withDefaults()
	if err := checkShapes(q, c.Rows, c.Dim, len(c.Data), order); err != nil {
		return nil, err
	}
	out := make([][]Hit, q.Rows)
	if q.Rows == 0 || c.Rows == 0 {
		for i := range out {
			out[i] = []Hit{}
		}
		return out, ctx.Err()
	}
	p := newPlan(q, c, order, o, out)
	var wg sync.WaitGroup
	errs := make([]error, o.Workers)
	for w := 0; w < o.Workers && w < p.items; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = p.work(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
	}
	if p.segs > 1 {
		for i := range out {
			t := topK{k: o.K}
			for s := range p.partial {
				t.h = append(t.h, p.partial[s][i]...)
			}
			out[i] = toHits(t.result())
		}
	}
	return out, nil
}

// checkShapes validates the query matrix, the corpus's shape (cData: the
// length of its data; SearchStream has no Matrix) and the tie-break
// ordinals.
func checkShapes(q Matrix, cRows, cDim, cData int, order []int32) error {
	if q.Rows > 0 && cRows > 0 && q.Dim != cDim {
		return fmt.Errorf("search: query dimension %d, corpus dimension %d", q.Dim, cDim)
	}
	if len(order) != cRows {
		return fmt.Errorf("search: %d tie-break ordinals for %d corpus rows", len(order), cRows)
	}
	if len(q.Data) != q.Rows*q.Dim || cData != cRows*cDim {
		return fmt.Errorf("search: matrix data length does not match rows x dim")
	}
	if cRows > math.MaxInt32 {
		return fmt.Errorf("search: %d corpus rows exceed the int32 document index", cRows)
	}
	return nil
}

// plan is one Search's work: items are (query block, corpus segment),
// taken in turn by the workers. With fewer query blocks than workers the
// corpus is split into segments whose best candidates are merged at the
// end.
type plan struct {
	q, c         Matrix
	order        []int32
	o            Options
	out          [][]Hit
	segs, segLen int
	items        int
	next         atomic.Int64
	partial      [][][]ranked // [segment][query] -> best candidates, when segs > 1
}

func newPlan(q, c Matrix, order []int32, o Options, out [][]Hit) *plan {
	qBlocks := (q.Rows + o.QueryBlock - 1) / o.QueryBlock
	segs := 1
	if qBlocks < o.Workers {
		segs = min((o.Workers+qBlocks-1)/qBlocks, (c.Rows+o.Chunk-1)/o.Chunk)
	}
	p := &plan{q: q, c: c, order: order, o: o, out: out, segs: segs, segLen: (c.Rows + segs - 1) / segs, items: qBlocks * segs}
	if segs > 1 {
		p.partial = make([][][]ranked, segs)
		for s := range p.partial {
			p.partial[s] = make([][]ranked, q.Rows)
		}
	}
	return p
}

// work runs items until there are none left or ctx is done.
func (p *plan) work(ctx context.Context) error {
	o := p.o
	buf := make([]float32, o.QueryBlock*o.Chunk)
	heaps := make([]topK, o.QueryBlock)
	tiles := newTiler()
	for {
		it := int(p.next.Add(1) - 1)
		if it >= p.items {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		qb, s := it/p.segs, it%p.segs
		q0 := qb * o.QueryBlock
		nq := min(o.QueryBlock, p.q.Rows-q0)
		c0, c1 := s*p.segLen, min((s+1)*p.segLen, p.c.Rows)
		for i := 0; i < nq; i++ {
			heaps[i].reset(o.K) // reuses the buffer of the previous block
		}
		tiles.setQueries(p.q, q0, nq)
		for cs := c0; cs < c1; cs += o.Chunk {
			if (cs-c0)/o.Chunk%64 == 63 && ctx.Err() != nil {
				return ctx.Err()
			}
			nc := min(o.Chunk, c1-cs)
			tiles.score(buf, o.Chunk, p.c, cs, nc)
			for i := 0; i < nq; i++ {
				heaps[i].offer(buf[i*o.Chunk:i*o.Chunk+nc], p.order, int32(cs))
			}
		}
		for i := 0; i < nq; i++ {
			if p.segs == 1 {
				p.out[q0+i] = toHits(heaps[i].result())
			} else {
				p.partial[s][q0+i] = slices.Clone(heaps[i].best())
			}
		}
	}
}

func toHits(es []entry) []Hit {
	hits := make([]Hit, len(es))
	for r, e := range es {
		hits[r] = Hit{Doc: e.doc, Score: e.score}
	}
	return hits
}

// entry is one result of a topK: ord is the tie-break ordinal of doc.
type entry struct {
	score float32
	ord   int32
	doc   int32
}

// better reports whether a ranks before b: higher score, then higher ordinal.
func better(a, b entry) bool {
	return a.score > b.score || a.score == b.score && a.ord > b.ord
}

// ScoreKey maps a float32 score to a uint32 in the same order, so that
// rankings sort integers: -0 and +0 map to one key, as they compare equal.
// (NaN, which no ranking here holds, maps above +Inf or below -Inf.)
func ScoreKey(f float32) uint32 {
	if f == 0 {
		f = 0
	}
	b := math.Float32bits(f)
	if b>>31 != 0 {
		return ^b
	}
	return b | 1<<31
}

// ranked is a candidate as topK keeps it: key orders candidates by score,
// then ordinal, so that one integer comparison ranks them (ties of both,
// from equal ids, go by doc, so the result never depends on how the work
// was split).
type ranked struct {
	key   uint64
	doc   int32
	score float32
}

func rankOf(score float32, ord, doc int32) ranked {
	return ranked{uint64(ScoreKey(score))<<32 | uint64(uint32(ord)^1<<31), doc, score}
}

// before reports whether a ranks before b.
func (a ranked) before(b ranked) bool {
	return a.key > b.key || a.key == b.key && a.doc < b.doc
}

func (a ranked) entry() entry { return entry{a.score, int32(uint32(a.key) ^ 1<<31), a.doc} }

// topK keeps the best k candidates offered so far. Candidates go into a
// buffer of up to 2k; when it fills, a quickselect keeps the best k and
// the k-th becomes the admission threshold, so most later candidates are
// rejected by one float comparison and each admitted one costs amortised
// O(1) (cheaper than a heap's O(log k) sift for k = 1000).
type topK struct {
	k      int
	h      []ranked
	thr    ranked // the k-th best after the last compaction
	hasThr bool
	tmp    []ranked // result's sort buffer
	out    []entry
}

// reset empties t for a new query, keeping its buffers.
func (t *topK) reset(k int) {
	t.k, t.h, t.hasThr = k, t.h[:0], false
}

// offer considers scores[j] for corpus rows base+j.
func (t *topK) offer(scores []float32, order []int32, base int32) {
	if t.h == nil {
		t.h = make([]ranked, 0, min(2*t.k, 4096))
	}
	thr := float32(math.Inf(-1))
	if t.hasThr {
		thr = t.thr.score
	}
	for j := 0; j < len(scores); j++ {
		if skipBelow != nil && t.hasThr {
			if j += skipBelow(scores[j:], thr); j == len(scores) {
				break
			}
		}
		s := scores[j]
		if s < thr {
			continue
		}
		d := base + int32(j)
		e := rankOf(s, order[d], d)
		if t.hasThr && !e.before(t.thr) {
			continue
		}
		t.h = append(t.h, e)
		if len(t.h) >= 2*t.k {
			t.compact()
			thr = t.thr.score
		}
	}
}

// compact keeps the best k of the buffer (unordered) and sets the threshold.
func (t *topK) compact() {
	if len(t.h) <= t.k {
		return
	}
	selectBest(t.h, t.k)
	t.h = t.h[:t.k]
	worst := t.h[0]
	for _, e := range t.h[1:] {
		if worst.before(e) {
			worst = e
		}
	}
	t.thr, t.hasThr = worst, true
}

// best returns the best min(k, offered) candidates, in no order. It
// aliases t's buffer.
func (t *topK) best() []ranked {
	t.compact()
	return t.h
}

// result returns the best min(k, offered) entries in canonical order. It
// aliases t's buffers.
func (t *topK) result() []entry {
	t.compact()
	if cap(t.tmp) < len(t.h) {
		t.tmp = make([]ranked, len(t.h))
	}
	t.h, t.tmp = sortRanked(t.h, t.tmp[:len(t.h)])
	t.out = t.out[:0]
	for _, e := range t.h {
		t.out = append(t.out, e.entry())
	}
	return t.out
}

// sortRanked sorts h best first (key descending, then doc ascending) with
// a stable LSD radix sort on the keys, a byte at a time, skipping bytes
// every key shares, then sorts each run of equal keys by doc. tmp (of h's
// length) is scratch; it returns the sorted slice and the other buffer.
func sortRanked(h, tmp []ranked) (sorted, spare []ranked) {
	src, dst := h, tmp
	for shift := 0; shift < 64 && len(src) > 1; shift += 8 {
		var count [256]int
		for _, e := range src {
			count[^byte(e.key>>shift)]++
		}
		if count[^byte(src[0].key>>shift)] == len(src) {
			continue
		}
		sum := 0
		for b, c := range count {
			count[b] = sum
			sum += c
		}
		for _, e := range src {
			b := ^byte(e.key >> shift)
			dst[count[b]] = e
			count[b]++
		}
		src, dst = dst, src
	}
	for a := 0; a < len(src); {
		b := a + 1
		for b < len(src) && src[b].key == src[a].key {
			b++
		}
		if b-a > 1 {
			slices.SortFunc(src[a:b], func(x, y ranked) int { return int(x.doc) - int(y.doc) })
		}
		a = b
	}
	return src, dst
}

// selectBest reorders h so that its first k entries are the k best (in
// no order): a radix select on the keys from the top byte down, each pass
// counting only the candidates still undecided; candidates whose keys are
// all equal at the boundary are taken by doc.
func selectBest(h []ranked, k int) {
	lo, hi, need := 0, len(h), k // h[:lo] in, h[hi:] out, need more from h[lo:hi]
	for shift := 56; shift >= 0 && need > 0 && hi-lo > need; shift -= 8 {
		var count [256]int
		for _, e := range h[lo:hi] {
			count[byte(e.key>>shift)]++
		}
		above, b := 0, 255
		for ; above+count[b] < need; b-- {
			above += count[b]
		}
		// Three-way partition of h[lo:hi] by the byte: above b, b, below.
		i, j, m := lo, hi, lo
		for m < j {
			switch v := byte(h[m].key >> shift); {
			case v > byte(b):
				h[i], h[m] = h[m], h[i]
				i++
				m++
			case v < byte(b):
				j--
				h[m], h[j] = h[j], h[m]
			default:
				m++
			}
		}
		lo, hi, need = i, j, need-above
	}
	if need > 0 && hi-lo > need {
		slices.SortFunc(h[lo:hi], func(x, y ranked) int { return int(x.doc) - int(y.doc) })
	}
}
