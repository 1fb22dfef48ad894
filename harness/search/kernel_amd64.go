//go:build !purego

package search

import "golang.org/x/sys/cpu"

//go:noescape
func dot4x2AVX2(q *float32, ldq int, d *float32, ldd int, n int, out *[8]float32)

//go:noescape
func dot1AVX2(a, b *float32, n int) float32

//go:noescape
func dot4x8AVX512(q, d *float32, n int, out *[32]float32)

//go:noescape
func packPanelAVX512(dst, src *float32, lds int, n int)

//go:noescape
func packQueriesAVX512(dst, src *float32, lds int, n int)

//go:noescape
func skipBelowAVX512(s *float32, n int, thr float32) int

func init() {
	if cpu.X86.HasAVX2 {
		kernelName = "avx2"
		lanes1 = func(a, b []float32, n int) float32 {
			if n == 0 {
				return 0
			}
			_, _ = a[n-1], b[n-1]
			return dot1AVX2(&a[0], &b[0], n)
		}
		lanes4x2 = func(out *[8]float32, q []float32, ldq int, d []float32, ldd int, n int) {
			if n == 0 {
				*out = [8]float32{}
				return
			}
			_, _ = q[3*ldq+n-1], d[ldd+n-1]
			dot4x2AVX2(&q[0], ldq, &d[0], ldd, n, out)
		}
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ {
		kernelName = "avx512"
		newTiler = func() tiler { return &tiler4x8{} }
		lanes4x8 = func(out *[32]float32, qp, panel []float32, n int) {
			_, _ = qp[8*n-1], panel[8*n-1]
			dot4x8AVX512(&qp[0], &panel[0], n, out)
		}
		packPanel = func(panel, d []float32, ldd, n int) {
			_, _ = panel[8*n-1], d[7*ldd+n-1]
			packPanelAVX512(&panel[0], &d[0], ldd, n)
		}
		skipBelow = func(s []float32, thr float32) int {
			if len(s) < 16 {
				return 0
			}
			return skipBelowAVX512(&s[0], len(s), thr)
		}
		packQueries = func(qp, q []float32, ldq, n int) {
			_, _ = qp[8*n-1], q[3*ldq+n-1]
			packQueriesAVX512(&qp[0], &q[0], ldq, n)
		}
	}
}
