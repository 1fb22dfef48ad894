//go:build !purego

package search

import "golang.org/x/sys/cpu"

//go:noescape
func dot4x2AVX2(q *float32, ldq int, d *float32, ldd int, n int, out *[8]float32)

//go:noescape
func dot1AVX2(a, b *float32, n int) float32

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
}
