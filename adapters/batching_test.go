package adapters

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBatches(t *testing.T) {
	for _, tc := range []struct {
		name          string
		lens          []int
		batch, budget int
		want          [][]int
	}{
		{"sorted longest first", []int{3, 9, 5}, 8, 100, [][]int{{1, 2, 0}}},
		{"batch size", []int{3, 9, 5, 4}, 2, 100, [][]int{{1, 2}, {3, 0}}},
		{"budget", []int{10, 10, 2, 2, 2}, 8, 20, [][]int{{0, 1}, {2, 3, 4}}},
		{"over budget alone", []int{50, 1}, 8, 20, [][]int{{0}, {1}}},
		{"empty", nil, 8, 20, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, Batches(tc.lens, tc.batch, tc.budget)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}
