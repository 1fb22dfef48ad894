//go:build !purego

#include "textflag.h"

// Horizontal sum of the 8 lanes of Y into the low float of X, in the fixed
// order ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)) that laneSum (kernel.go)
// reproduces. Clobbers X14.
#define HSUM(Y, X) \
	VEXTRACTF128 $1, Y, X14; \
	VADDPS       X14, X, X;  \
	VMOVHLPS     X, X, X14;  \
	VADDPS       X14, X, X;  \
	VMOVSHDUP    X, X14;     \
	VADDSS       X14, X, X

// func dot4x2AVX2(q *float32, ldq int, d *float32, ldd int, n int, out *[8]float32)
//
// out[2*i+j] = lane-wise dot product of query row i (q + i*ldq) and
// document row j (d + j*ldd) over the first n floats (n a multiple of 8):
// eight lane accumulators, each a running sum of separately rounded
// products (no FMA), reduced by HSUM.
TEXT ·dot4x2AVX2(SB), NOSPLIT, $0-48
	MOVQ q+0(FP), SI
	MOVQ ldq+8(FP), R8
	SHLQ $2, R8
	MOVQ d+16(FP), DI
	MOVQ ldd+24(FP), R9
	SHLQ $2, R9
	MOVQ n+32(FP), CX
	SHLQ $2, CX
	MOVQ out+40(FP), DX
	LEAQ (SI)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	LEAQ (DI)(R9*1), R13
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ AX, AX

loop4x2:
	CMPQ AX, CX
	JGE  done4x2
	VMOVUPS (DI)(AX*1), Y8
	VMOVUPS (R13)(AX*1), Y9
	VMOVUPS (SI)(AX*1), Y10
	VMULPS  Y8, Y10, Y11
	VMULPS  Y9, Y10, Y12
	VADDPS  Y11, Y0, Y0
	VADDPS  Y12, Y1, Y1
	VMOVUPS (R10)(AX*1), Y13
	VMULPS  Y8, Y13, Y11
	VMULPS  Y9, Y13, Y12
	VADDPS  Y11, Y2, Y2
	VADDPS  Y12, Y3, Y3
	VMOVUPS (R11)(AX*1), Y10
	VMULPS  Y8, Y10, Y11
	VMULPS  Y9, Y10, Y12
	VADDPS  Y11, Y4, Y4
	VADDPS  Y12, Y5, Y5
	VMOVUPS (R12)(AX*1), Y13
	VMULPS  Y8, Y13, Y11
	VMULPS  Y9, Y13, Y12
	VADDPS  Y11, Y6, Y6
	VADDPS  Y12, Y7, Y7
	ADDQ    $32, AX
	JMP     loop4x2

done4x2:
	HSUM(Y0, X0)
	VMOVSS X0, 0(DX)
	HSUM(Y1, X1)
	VMOVSS X1, 4(DX)
	HSUM(Y2, X2)
	VMOVSS X2, 8(DX)
	HSUM(Y3, X3)
	VMOVSS X3, 12(DX)
	HSUM(Y4, X4)
	VMOVSS X4, 16(DX)
	HSUM(Y5, X5)
	VMOVSS X5, 20(DX)
	HSUM(Y6, X6)
	VMOVSS X6, 24(DX)
	HSUM(Y7, X7)
	VMOVSS X7, 28(DX)
	VZEROUPPER
	RET

// func dot1AVX2(a, b *float32, n int) float32
//
// The same lane-wise dot product for one pair.
TEXT ·dot1AVX2(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	SHLQ $2, CX
	VXORPS Y0, Y0, Y0
	XORQ AX, AX

loop1:
	CMPQ AX, CX
	JGE  done1
	VMOVUPS (SI)(AX*1), Y1
	VMOVUPS (DI)(AX*1), Y2
	VMULPS  Y2, Y1, Y1
	VADDPS  Y1, Y0, Y0
	ADDQ    $32, AX
	JMP     loop1

done1:
	HSUM(Y0, X0)
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET
