package adapters

import "math"

// Normalize scales v to unit L2 norm in place, computing the norm in float64
// (a zero vector stays zero). Encoders with normalize=true call it on every
// vector they return.
func Normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := 1 / math.Sqrt(s)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
}
