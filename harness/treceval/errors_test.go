package treceval

import (
	"math"
	"testing"
)

func TestCAtofAtol(t *testing.T) {
	floats := []struct {
		in   string
		want float64
	}{
		{"0.5", 0.5}, {".25", 0.25}, {"5.", 5}, {"+0.25", 0.25}, {"-2.5e-1", -0.25},
		{"0x1p-2", 0.25}, {"0x10", 16}, {"1.5abc", 1.5}, {"junk", 0}, {"1e", 1},
		{"1e+", 1}, {"-", 0}, {"INF", math.Inf(1)}, {"-infinity", math.Inf(-1)}, {"1e400", math.Inf(1)},
	}
	for _, tt := range floats {
		if got := cAtof([]byte(tt.in)); got != tt.want {
			t.Errorf("cAtof(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := cAtof([]byte("nan")); !math.IsNaN(got) {
		t.Errorf("cAtof(nan) = %v", got)
	}
	longs := []struct {
		in   string
		want int64
	}{{"3", 3}, {"-1", -1}, {"+2", 2}, {"1.9", 1}, {"x", 0}, {"99999999999999999999", math.MaxInt64}}
	for _, tt := range longs {
		if got := cAtol([]byte(tt.in)); got != tt.want {
			t.Errorf("cAtol(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
