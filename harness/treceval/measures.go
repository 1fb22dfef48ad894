package treceval

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mimo-mlir/mimo/harness/metrics"
)

// Relevance values of retrieved documents that are not plain judgments.
const (
	relNonPool   = -1 // not in the qrels
	relUnjudged  = -2 // in the qrels with a negative judgment
	minGeoMean   = .00001
	maxDocsLimit = 2147483647 // trec_eval's MAXLONG default for -M
)

// resRels is one query's ranking turned into relevance values
// (trec_eval's RES_RELS).
type resRels struct {
	rels         []int64 // relevance per rank (0-based)
	numRet       int64
	numRel       int64 // judged >= relevance level
	numRelRet    int64
	levels       []relLevel // judged levels >= 0 with their counts, ascending
	numRelLevels int64      // largest judged level + 1 (0: none judged >= 0)
}

// relLevel is a relevance level >= 0 judged n > 0 times in a query.
type relLevel struct{ rel, n int64 }

type valueKind int

const (
	kindFloat valueKind = iota // printed %6.4f
	kindLong                   // printed %ld
	kindRunID                  // the run's tag, summary only
)

type avgKind int

const (
	avgMean   avgKind = iota // sum / number of queries
	avgSum                   // summary is the sum (num_ret, num_rel_ret)
	avgNumQ                  // number of queries
	avgNumRel                // sum, or all qrels rel > 0 with -c
	avgGeo                   // exp(mean of logs)
)

type paramKind int

const (
	paramNone paramKind = iota
	paramLongCuts
	paramFloatCuts
)

// measureDef is one row of trec_eval's measure table (measures.c).
type measureDef struct {
	name        string
	kind        valueKind
	avg         avgKind
	params      paramKind
	defLong     []int64
	defFloat    []float64
	printSingle bool
	calc        func(rr *resRels, level int64, m *Measure, vals []float64)
}

var defaultCuts = []int64{5, 10, 15, 20, 30, 100, 200, 500, 1000}

// table is the supported subset of trec_eval 9.0.8's te_trec_measures, in
// its order (which is the output order).
var table = []*measureDef{
	{name: "runid", kind: kindRunID},
	{name: "num_q", kind: kindLong, avg: avgNumQ, calc: func(rr *resRels, _ int64, _ *Measure, v []float64) { v[0] = 1 }},
	{name: "num_ret", kind: kindLong, avg: avgSum, printSingle: true, calc: func(rr *resRels, _ int64, _ *Measure, v []float64) { v[0] = float64(rr.numRet) }},
	{name: "num_rel", kind: kindLong, avg: avgNumRel, printSingle: true, calc: func(rr *resRels, _ int64, _ *Measure, v []float64) { v[0] = float64(rr.numRel) }},
	{name: "num_rel_ret", kind: kindLong, avg: avgSum, printSingle: true, calc: func(rr *resRels, _ int64, _ *Measure, v []float64) { v[0] = float64(rr.numRelRet) }},
	{name: "map", printSingle: true, calc: calcMap},
	{name: "gm_map", avg: avgGeo, calc: calcGmMap},
	{name: "Rprec", printSingle: true, calc: calcRprec},
	{name: "bpref", printSingle: true, calc: calcBpref},
	{name: "recip_rank", printSingle: true, calc: calcRecipRank},
	{name: "iprec_at_recall", params: paramFloatCuts, defFloat: []float64{0, .1, .2, .3, .4, .5, .6, .7, .8, .9, 1}, printSingle: true, calc: calcIprec},
	{name: "P", params: paramLongCuts, defLong: defaultCuts, printSingle: true, calc: calcP},
	{name: "recall", params: paramLongCuts, defLong: defaultCuts, printSingle: true, calc: calcRecall},
	{name: "ndcg", printSingle: true, calc: calcNDCG},
	{name: "ndcg_cut", params: paramLongCuts, defLong: defaultCuts, printSingle: true, calc: calcNDCGCut},
	{name: "map_cut", params: paramLongCuts, defLong: defaultCuts, printSingle: true, calc: calcMapCut},
	{name: "success", params: paramLongCuts, defLong: []int64{1, 5, 10}, printSingle: true, calc: calcSuccess},
}

// nicknames are trec_eval's measure groups that this package can fully
// honour.
var nicknames = map[string][]string{
	"official": {"runid", "num_q", "num_ret", "num_rel", "num_rel_ret", "map", "gm_map", "Rprec", "bpref", "recip_rank", "iprec_at_recall", "P"},
}

// Measure is a requested trec_eval measure with its parameters resolved;
// build them with ParseMeasures.
type Measure struct {
	def    *measureDef
	cuts   []int64   // paramLongCuts, ascending
	fcuts  []float64 // paramFloatCuts, ascending
	names  []string  // one per value
	offset int       // index of its first value in a query's value vector
}

// ParseMeasures resolves trec_eval -m arguments ("ndcg_cut.10,20",
// "P.10", "map", "official") into the measures to compute, in trec_eval's
// table order. As in trec_eval, when a measure is given parameters twice
// the first wins, cutoffs are sorted and must be positive and distinct.
// No argument at all means "official".
func ParseMeasures(args []string) ([]*Measure, error) {
	if len(args) == 0 {
		args = []string{"official"}
	}
	marked := map[string]bool{}
	params := map[string]string{}
	for _, arg := range args {
		name, param, hasParam := strings.Cut(arg, ".")
		if hasParam {
			if param == "" {
				return nil, fmt.Errorf("treceval: improper measure in parameter %q", arg)
			}
			if _, seen := params[name]; !seen {
				params[name] = param
			}
		}
		if group, ok := nicknames[name]; ok {
			for _, n := range group {
				marked[n] = true
			}
			continue
		}
		if findDef(name) == nil {
			return nil, fmt.Errorf("treceval: illegal or unsupported measure %q", arg)
		}
		marked[name] = true
	}
	var out []*Measure
	offset := 0
	for _, def := range table {
		if !marked[def.name] {
			continue
		}
		m := &Measure{def: def}
		p, hasParam := params[def.name]
		switch def.params {
		case paramLongCuts:
			m.cuts = def.defLong
			if hasParam {
				cuts, err := longCutoffs(p)
				if err != nil {
					return nil, fmt.Errorf("treceval: measure %s.%s: %w", def.name, p, err)
				}
				m.cuts = cuts
			}
			for _, c := range m.cuts {
				m.names = append(m.names, fmt.Sprintf("%s_%d", def.name, c))
			}
		case paramFloatCuts:
			m.fcuts = def.defFloat
			if hasParam {
				cuts, err := floatCutoffs(p)
				if err != nil {
					return nil, fmt.Errorf("treceval: measure %s.%s: %w", def.name, p, err)
				}
				m.fcuts = cuts
			}
			for _, c := range m.fcuts {
				m.names = append(m.names, fmt.Sprintf("%s_%3.2f", def.name, c))
			}
		default:
			if hasParam && def.name == "ndcg" {
				return nil, fmt.Errorf("treceval: measure ndcg.%s: gain parameters are not supported", p)
			}
			// trec_eval ignores parameters of measures that take none.
			m.names = []string{def.name}
		}
		m.offset = offset
		offset += len(m.names)
		out = append(out, m)
	}
	return out, nil
}

func findDef(name string) *measureDef {
	for _, d := range table {
		if d.name == name {
			return d
		}
	}
	return nil
}

func longCutoffs(p string) ([]int64, error) {
	var cuts []int64
	for _, s := range strings.Split(p, ",") {
		cuts = append(cuts, cAtol([]byte(s)))
	}
	slices.Sort(cuts)
	if cuts[0] <= 0 {
		return nil, fmt.Errorf("cutoff %d is not positive", cuts[0])
	}
	for i := 1; i < len(cuts); i++ {
		if cuts[i] == cuts[i-1] {
			return nil, fmt.Errorf("duplicate cutoff %d", cuts[i])
		}
	}
	return cuts, nil
}

func floatCutoffs(p string) ([]float64, error) {
	var cuts []float64
	for _, s := range strings.Split(p, ",") {
		cuts = append(cuts, cAtof([]byte(s)))
	}
	slices.Sort(cuts)
	for i := 1; i < len(cuts); i++ {
		if cuts[i] == cuts[i-1] {
			return nil, fmt.Errorf("duplicate cutoff %v", cuts[i])
		}
	}
	return cuts, nil
}

// The calc functions below transcribe trec_eval 9.0.8's m_*.c, keeping the
// order of floating-point operations. vals holds the measure's slots,
// zeroed.

func calcMap(rr *resRels, level int64, _ *Measure, v []float64) {
	var sum float64
	var relSoFar int64
	for i, rel := range rr.rels {
		if rel >= level {
			relSoFar++
			sum += float64(relSoFar) / float64(i+1)
		}
	}
	if relSoFar > 0 {
		v[0] = sum / float64(rr.numRel)
	}
}

func calcGmMap(rr *resRels, level int64, m *Measure, v []float64) {
	var sum float64
	var relSoFar int64
	for i, rel := range rr.rels {
		if rel >= level {
			relSoFar++
			sum += float64(relSoFar) / float64(i+1)
		}
	}
	if relSoFar > 0 {
		sum /= float64(rr.numRel)
	}
	v[0] = math.Log(max(sum, minGeoMean))
}

func calcRprec(rr *resRels, level int64, _ *Measure, v []float64) {
	n := min(rr.numRet, rr.numRel)
	if n == 0 {
		return
	}
	var relSoFar int64
	for _, rel := range rr.rels[:n] {
		if rel >= level {
			relSoFar++
		}
	}
	v[0] = float64(relSoFar) / float64(rr.numRel)
}

func calcBpref(rr *resRels, level int64, _ *Measure, v []float64) {
	var numNonrel int64
	for _, l := range rr.levels {
		if l.rel >= level {
			break
		}
		numNonrel += l.n
	}
	var nonrelSoFar, relSoFar int64
	var bpref float64
	for _, rel := range rr.rels {
		if rel == relNonPool || rel == relUnjudged {
			continue
		}
		if rel >= 0 && rel < level {
			nonrelSoFar++
			continue
		}
		relSoFar++
		if nonrelSoFar > 0 {
			bpref += 1.0 - float64(min(nonrelSoFar, rr.numRel))/float64(min(numNonrel, rr.numRel))
		} else {
			bpref += 1.0
		}
	}
	if rr.numRel > 0 {
		bpref /= float64(rr.numRel)
	}
	v[0] = bpref
}

func calcRecipRank(rr *resRels, level int64, _ *Measure, v []float64) {
	for i, rel := range rr.rels {
		if rel >= level {
			v[0] = 1.0 / float64(i+1)
			return
		}
	}
}

func calcIprec(rr *resRels, level int64, m *Measure, v []float64) {
	cuts := make([]int64, len(m.fcuts))
	for i, p := range m.fcuts {
		cuts[i] = int64(p*float64(rr.numRel) + 0.9)
	}
	cur := len(cuts) - 1
	for cur >= 0 && cuts[cur] > rr.numRelRet {
		cur--
	}
	precis := float64(rr.numRelRet) / float64(rr.numRet)
	intPrecis := precis
	relSoFar := rr.numRelRet
	for i := rr.numRet; i > 0 && relSoFar > 0; i-- {
		precis = float64(relSoFar) / float64(i)
		if intPrecis < precis {
			intPrecis = precis
		}
		if rr.rels[i-1] >= level {
			for cur >= 0 && relSoFar == cuts[cur] {
				v[cur] = intPrecis
				cur--
			}
			relSoFar--
		}
	}
	for ; cur >= 0; cur-- {
		v[cur] = intPrecis
	}
}

// cutLoop runs trec_eval's common cutoff loop: at each rank i equal to a
// cutoff it calls emit(cutoff index, i) before looking at rank i; cutoffs
// beyond the ranking are emitted at the end.
func cutLoop(rr *resRels, cuts []int64, step func(i int, rel int64), emit func(ci int)) {
	ci := 0
	for i, rel := range rr.rels {
		if int64(i) == cuts[ci] {
			emit(ci)
			if ci++; ci == len(cuts) {
				return
			}
		}
		step(i, rel)
	}
	for ; ci < len(cuts); ci++ {
		emit(ci)
	}
}

func calcP(rr *resRels, level int64, m *Measure, v []float64) {
	var relSoFar int64
	ci := 0
	for i, rel := range rr.rels {
		if int64(i) == m.cuts[ci] {
			v[ci] = float64(relSoFar) / float64(i)
			if ci++; ci == len(m.cuts) {
				return
			}
		}
		if rel >= level {
			relSoFar++
		}
	}
	for ; ci < len(m.cuts); ci++ {
		v[ci] = float64(relSoFar) / float64(m.cuts[ci])
	}
}

func calcRecall(rr *resRels, level int64, m *Measure, v []float64) {
	if rr.numRel == 0 {
		return
	}
	var relSoFar int64
	cutLoop(rr, m.cuts,
		func(_ int, rel int64) {
			if rel >= level {
				relSoFar++
			}
		},
		func(ci int) { v[ci] = float64(relSoFar) / float64(rr.numRel) })
}

func calcSuccess(rr *resRels, level int64, m *Measure, v []float64) {
	var relSoFar int64
	cutLoop(rr, m.cuts,
		func(_ int, rel int64) {
			if rel >= level {
				relSoFar++
			}
		},
		func(ci int) {
			if relSoFar > 0 {
				v[ci] = 1
			}
		})
}

func calcMapCut(rr *resRels, level int64, m *Measure, v []float64) {
	if rr.numRel == 0 {
		return
	}
	var relSoFar int64
	var sum float64
	cutLoop(rr, m.cuts,
		func(i int, rel int64) {
			if rel >= level {
				relSoFar++
				sum += float64(relSoFar) / float64(i+1)
			}
		},
		func(ci int) { v[ci] = sum / float64(rr.numRel) })
}

func calcNDCGCut(rr *resRels, _ int64, m *Measure, v []float64) {
	var sum float64
	cutLoop(rr, m.cuts,
		func(i int, rel int64) {
			if rel > 0 {
				sum += float64(rel) / metrics.Log2(i+2)
			}
		},
		func(ci int) { v[ci] = sum })
	// Ideal DCG, walking the judged levels from the highest down (trec_eval
	// walks every level, but one judged zero times is passed at once).
	ci := 0
	cur := len(rr.levels) - 1
	var lvlCount int64
	var ideal float64
	for i := 0; ; i++ {
		lvlCount++
		for cur >= 0 && rr.levels[cur].rel > 0 && lvlCount > rr.levels[cur].n {
			cur--
			lvlCount = 1
		}
		if cur < 0 || rr.levels[cur].rel <= 0 {
			break
		}
		if int64(i) == m.cuts[ci] {
			if ideal > 0 {
				v[ci] /= ideal
			}
			if ci++; ci == len(m.cuts) {
				break
			}
		}
		ideal += float64(rr.levels[cur].rel) / metrics.Log2(i+2)
	}
	for ; ci < len(m.cuts); ci++ {
		if ideal > 0 {
			v[ci] /= ideal
		}
	}
}

// calcNDCG is trec_eval's ndcg with default gains (gain = relevance level).
func calcNDCG(rr *resRels, _ int64, _ *Measure, v []float64) {
	// Gains sorted increasing are the levels 0..numRelLevels-1 themselves;
	// the ideal ranking walks the judged ones from the highest down.
	gainOf := func(rel int64) float64 {
		if rel >= 0 && rel < rr.numRelLevels {
			return float64(rel)
		}
		return 0
	}
	cur := len(rr.levels) - 1
	gainAt := func(cur int) float64 {
		if cur >= 0 {
			return float64(rr.levels[cur].rel)
		}
		return 0
	}
	idealGain := gainAt(cur)
	var dcg, ideal float64
	var numAtLevel int64
	advance := func() {
		numAtLevel++
		for cur >= 0 && numAtLevel > rr.levels[cur].n {
			numAtLevel = 1
			cur--
			idealGain = gainAt(cur)
		}
	}
	i := 0
	n := len(rr.rels)
	for ; i < n && idealGain > 0; i++ {
		if g := gainOf(rr.rels[i]); g != 0 {
			dcg += g / metrics.Log2(i+2)
		}
		advance()
		if idealGain > 0 {
			ideal += idealGain / metrics.Log2(i+2)
		}
	}
	for ; i < n; i++ {
		if g := gainOf(rr.rels[i]); g != 0 {
			dcg += g / metrics.Log2(i+2)
		}
	}
	for ; idealGain > 0; i++ {
		advance()
		if idealGain > 0 {
			ideal += idealGain / metrics.Log2(i+2)
		}
	}
	if ideal > 0 {
		v[0] = dcg / ideal
	}
}
