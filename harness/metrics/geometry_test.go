package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

func normalised(r *rand.Rand, n, d int) [][]float32 {
	vecs := make([][]float32, n)
	for i := range vecs {
		v := make([]float32, d)
		var s float64
		for j := range v {
			v[j] = float32(r.NormFloat64())
			s += float64(v[j]) * float64(v[j])
		}
		for j := range v {
			v[j] = float32(float64(v[j]) / math.Sqrt(s))
		}
		vecs[i] = v
	}
	return vecs
}

// naive formulas, in float64
func sq64(x, y []float32) float64 {
	var s float64
	for i := range x {
		d := float64(x[i]) - float64(y[i])
		s += d * d
	}
	return s
}

func naiveUniformity(vecs [][]float32, t float64) float64 {
	var sum float64
	var n int
	for i := range vecs {
		for j := range vecs {
			if i != j {
				sum += math.Exp(-t * sq64(vecs[i], vecs[j]))
				n++
			}
		}
	}
	return math.Log(sum / float64(n))
}

func TestUniformity(t *testing.T) {
	s := float32(math.Sqrt(0.5))
	tiny := [][]float32{{1, 0}, {0, 1}, {s, s}}
	// pairs: d^2 = 2, 2 - 2s, 2 - 2s
	d2 := 2 - 2*float64(s)
	wantTiny := math.Log((math.Exp(-4) + 2*math.Exp(-2*d2)) / 3)
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		vecs [][]float32
		want float64
	}{
		{"three 2-d vectors", tiny, wantTiny},
		{"random, several tiles and odd dim", normalised(r, 301, 7), math.NaN()},
		{"two identical", [][]float32{{1, 0}, {1, 0}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if math.IsNaN(want) {
				want = naiveUniformity(tt.vecs, 2)
			}
			if got := Uniformity(tt.vecs, 2); math.Abs(got-want) > 1e-6 {
				t.Errorf("Uniformity = %.9f, want %.9f", got, want)
			}
		})
	}
	for _, bad := range [][][]float32{nil, {{1}}, {{1, 0}, {1}}} {
		if got := Uniformity(bad, 2); !math.IsNaN(got) {
			t.Errorf("Uniformity(%v) = %v, want NaN", bad, got)
		}
	}
}

func TestUniformitySample(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	vecs := normalised(r, 400, 16)
	exact := Uniformity(vecs, 2)
	if got := UniformitySample(vecs[:10], 2, 45, 7); math.Abs(got-Uniformity(vecs[:10], 2)) > 1e-12 {
		t.Errorf("with maxPairs >= all pairs got %v, want the exact %v", got, Uniformity(vecs[:10], 2))
	}
	a := UniformitySample(vecs, 2, 20000, 7)
	b := UniformitySample(vecs, 2, 20000, 7)
	if a != b {
		t.Errorf("same seed gave %v and %v", a, b)
	}
	if math.Abs(a-exact) > 0.02 {
		t.Errorf("sampled %v too far from exact %v", a, exact)
	}
	if c := UniformitySample(vecs, 2, 20000, 8); c == a {
		t.Errorf("different seeds gave the same estimate %v", c)
	}
}

func TestAlignment(t *testing.T) {
	s := float32(math.Sqrt(0.5))
	tests := []struct {
		name   string
		groups [][][]float32
		want   float64
	}{
		{"one pair", [][][]float32{{{1, 0}, {0, 1}}}, 2},
		{"pooled over groups, singletons ignored", [][][]float32{
			{{1, 0}, {0, 1}, {s, s}}, // d^2: 2, 2-2s, 2-2s
			{{1, 0}},
			{{1, 0}, {1, 0}}, // 0
		}, (2 + 2*(2-2*float64(s))) / 4},
		{"no pairs", [][][]float32{{{1, 0}}}, math.NaN()},
		{"mixed dimensions", [][][]float32{{{1, 0}, {1}}}, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Alignment(tt.groups)
			if math.IsNaN(tt.want) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-tt.want) > 1e-6) {
				t.Errorf("Alignment = %v, want %v", got, tt.want)
			}
		})
	}
}
