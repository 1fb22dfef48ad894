package adapters

import (
	"sort"
)

// DefaultTokenBudget is the ids a batch may hold once padded (32 texts of
// 512 tokens), for encoders that batch by a token budget.
const DefaultTokenBudget = 32 * 512

// Batches orders texts of the given token lengths longest first and cuts
// them into batches of at most batchSize texts and at most budget ids once
// padded to the batch's longest text (a text longer than the budget goes
// alone). It returns the indices of each batch. Longest first: a batch that
// does not fit in memory fails at once, not at the end of a long run.
func Batches(lengths []int, batchSize, budget int) [][]int {
	order := make([]int, len(lengths))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return lengths[order[a]] > lengths[order[b]] })
	var out [][]int
	var cur []int
	curMax := 0
	for _, i := range order {
		n := lengths[i]
		m := max(curMax, n)
		if len(cur) > 0 && (len(cur) >= batchSize || m*(len(cur)+1) > budget) {
			out = append(out, cur)
			cur, m = nil, n
		}
		cur = append(cur, i)
		curMax = m
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
