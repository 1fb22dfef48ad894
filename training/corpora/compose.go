package corpora

import (
	"fmt"
	"strconv"

	"github.com/mimo-mlir/mimo/training/data"
)

// Compositions are the per-method language compositions of n rows over
// langs (data.Compose with seed): for mimo and xlco the ordered pairs
// (XX, YY), for infonce the same-language pairs, for lakda its query pairs
// and, apart, its positive languages. Each is checked against the
// round robin's arithmetic: with k units, n%k of them used n/k+1 times
// and the rest n/k times (for the paper's 415,938 rows and 182 pairs: 68
// pairs 2,286 times, 114 pairs 2,285 times).
func Compositions(n int, langs []string, seed uint64) (map[string]Composition, error) {
	out := map[string]Composition{}
	for _, m := range []data.Method{data.MethodMIMO, data.MethodXLCO, data.MethodInfoNCE, data.MethodLaKDA} {
		ex, err := data.Compose(m, n, langs, seed)
		if err != nil {
			return nil, fmt.Errorf("corpora: %w", err)
		}
		pairs, pos := map[[2]string]int{}, map[string]int{}
		for _, e := range ex {
			q2 := e.PLang
			if m == data.MethodLaKDA {
				q2 = e.QLang2
				pos[e.PLang]++
			}
			pairs[[2]string{e.QLang, q2}]++
		}
		units := len(data.OrderedPairs(langs))
		if m == data.MethodInfoNCE {
			units = len(langs)
		}
		name := string(m)
		if m == data.MethodLaKDA {
			name = "lakda-queries"
			c, err := composition(n, len(langs), pos)
			if err != nil {
				return nil, fmt.Errorf("corpora: lakda positives: %w", err)
			}
			out["lakda-positives"] = c
		}
		c, err := composition(n, units, pairs)
		if err != nil {
			return nil, fmt.Errorf("corpora: %s: %w", name, err)
		}
		out[name] = c
	}
	return out, nil
}

// composition histograms uses per unit and checks it against the round
// robin's floor/ceil arithmetic.
func composition[K comparable](n, units int, uses map[K]int) (Composition, error) {
	c := Composition{Units: units, Counts: map[string]int{}}
	for _, u := range uses {
		c.Counts[strconv.Itoa(u)]++
	}
	if unused := units - len(uses); unused > 0 {
		c.Counts["0"] += unused
	}
	want := RoundRobinCounts(n, units)
	if len(want) != len(c.Counts) {
		return c, fmt.Errorf("uses per unit %v, the round robin gives %v", c.Counts, want)
	}
	for k, v := range want {
		if c.Counts[k] != v {
			return c, fmt.Errorf("uses per unit %v, the round robin gives %v", c.Counts, want)
		}
	}
	return c, nil
}

// RoundRobinCounts is what a round robin of n over k units gives: n%k
// units used n/k+1 times, the others n/k times (as Composition.Counts).
func RoundRobinCounts(n, k int) map[string]int {
	out := map[string]int{}
	if k == 0 {
		return out
	}
	if r := n % k; r > 0 {
		out[strconv.Itoa(n/k+1)] = r
	}
	if k-n%k > 0 {
		out[strconv.Itoa(n/k)] += k - n%k
	}
	return out
}
