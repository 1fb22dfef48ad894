package metrics

import (
	"math"
	"testing"
)

// TestKruskalP checks against scipy.stats.kruskal, values computed by hand
// from its definition (H with midranks and the tie correction, chi2.sf):
//
//	[1] vs [2]:             H = 1,          p = chi2.sf(1, 1) = 0.31731051
//	[1,2] vs [3,4]:         H = 2.4,        p = chi2.sf(2.4, 1) = 0.12133525
//	[1] vs [2] vs [3]:      H = 2,          p = chi2.sf(2, 2) = exp(-1) = 0.36787944
//	[21,21] vs [21]:        identical: p = 1
//	[1,21] vs [21,21]:      ties: ranks 1, 3, 3, 3; R = 4, 6; H = (12/20)(8+18) - 15 = 0.6,
//	                        correction 1 - (27-3)/(64-4) = 0.6, H = 1, p = 0.31731051
func TestKruskalP(t *testing.T) {
	for _, tc := range []struct {
		name    string
		samples [][]float64
		want    float64
	}{
		{"two singletons", [][]float64{{1}, {2}}, 0.3173105078629141},
		{"two pairs", [][]float64{{1, 2}, {3, 4}}, 0.1213352503584821},
		{"three singletons", [][]float64{{1}, {2}, {3}}, math.Exp(-1)},
		{"identical", [][]float64{{21, 21}, {21}}, 1},
		{"ties", [][]float64{{1, 21}, {21, 21}}, 0.3173105078629141},
		{"one group", [][]float64{{1, 2, 3}}, 1},
		{"empty group ignored", [][]float64{{1}, {}, {2}}, 0.3173105078629141},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := KruskalP(tc.samples); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("KruskalP(%v) = %.15g, want %.15g", tc.samples, got, tc.want)
			}
		})
	}
}

// TestPEER runs the authors' compute_peer cases by hand: ranks capped at
// k+1, grouped by document language, one p per query with two or more
// languages, averaged.
func TestPEER(t *testing.T) {
	docLang := map[string]string{"en1": "en", "en2": "en", "de1": "de", "de2": "de", "fr1": "fr"}
	run := Run{
		"q1": {{ID: "en1"}, {ID: "de1"}, {ID: "x"}},                // en at 1, de at 2: p = 0.3173
		"q2": {{ID: "x"}, {ID: "y"}, {ID: "z"}},                    // none in the top 2: all k+1, p = 1
		"q3": {{ID: "en1"}, {ID: "en2"}, {ID: "de1"}},              // one language relevant: skipped
		"q4": {{ID: "en1"}, {ID: "en2"}, {ID: "de1"}, {ID: "de2"}}, // k=2: en 1,2 vs de 3,3 (capped)
	}
	qrels := Qrels{
		"q1": {"en1": 1, "de1": 1},
		"q2": {"en1": 1, "de1": 2},
		"q3": {"en1": 1, "en2": 1, "de2": 0}, // relevance 0 does not count
		"q4": {"en1": 1, "en2": 1, "de1": 1, "de2": 1},
	}
	mean, per, n := PEER(qrels, run, docLang, 2)
	// q4: values 1,2 | 3,3 -> ranks 1,2 | 3.5,3.5; R = 3, 7; H = (12/20)(4.5+24.5) - 15 = 2.4;
	// correction 1 - 6/60 = 0.9; H = 2.6667; p = chi2.sf(2.6667, 1) = 0.10247043.
	want := map[string]float64{"q1": 0.3173105078629141, "q2": 1, "q4": 0.1024704348597491}
	if n != 3 || len(per) != 3 {
		t.Fatalf("n = %d, per = %v; want q1, q2, q4", n, per)
	}
	for q, w := range want {
		if math.Abs(per[q]-w) > 1e-9 {
			t.Errorf("%s: p = %.12g, want %.12g", q, per[q], w)
		}
	}
	if w := (want["q1"] + want["q2"] + want["q4"]) / 3; math.Abs(mean-w) > 1e-12 {
		t.Errorf("mean = %g, want %g", mean, w)
	}
	if m, _, n := PEER(Qrels{"q3": qrels["q3"]}, run, docLang, 2); n != 0 || !math.IsNaN(m) {
		t.Errorf("no usable query: %g, %d; want NaN, 0", m, n)
	}
}
