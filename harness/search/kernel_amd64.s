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

// The AVX-512 kernel holds two documents in one ZMM register: lanes 0-7
// are document 2p's eight lane sums, lanes 8-15 document 2p+1's, and each
// query's 8-float chunk is duplicated into both halves (packed so by
// packQueriesAVX512), so every lane sums the same products in the same
// order as the AVX2 kernel (VMULPS then VADDPS: each product rounded, then
// added). Z15 is left alone (X15 is the zero register of Go's internal ABI).

// perm4x4 reorders the reduction's lanes (4j+0: query a doc j, 4j+1: a,
// j+4, 4j+2: query b doc j, 4j+3: b, j+4) into query a's docs 0-7, then
// query b's.
DATA perm4x4<>+0(SB)/4, $0
DATA perm4x4<>+4(SB)/4, $4
DATA perm4x4<>+8(SB)/4, $8
DATA perm4x4<>+12(SB)/4, $12
DATA perm4x4<>+16(SB)/4, $1
DATA perm4x4<>+20(SB)/4, $5
DATA perm4x4<>+24(SB)/4, $9
DATA perm4x4<>+28(SB)/4, $13
DATA perm4x4<>+32(SB)/4, $2
DATA perm4x4<>+36(SB)/4, $6
DATA perm4x4<>+40(SB)/4, $10
DATA perm4x4<>+44(SB)/4, $14
DATA perm4x4<>+48(SB)/4, $3
DATA perm4x4<>+52(SB)/4, $7
DATA perm4x4<>+56(SB)/4, $11
DATA perm4x4<>+60(SB)/4, $15
GLOBL perm4x4<>(SB), RODATA|NOPTR, $64

// MAC4 multiplies the query chunk Q by the four document pairs Z17-Z20 and
// adds the products to A0-A3.
#define MAC4(Q, A0, A1, A2, A3) \
	VMULPS Z17, Q, Z22; \
	VMULPS Z18, Q, Z23; \
	VMULPS Z19, Q, Z24; \
	VMULPS Z20, Q, Z25; \
	VADDPS Z22, A0, A0; \
	VADDPS Z23, A1, A1; \
	VADDPS Z24, A2, A2; \
	VADDPS Z25, A3, A3

// The reduction, three steps of the fixed order ((l0+l4)+(l2+l6)) +
// ((l1+l5)+(l3+l7)), each on twice the documents of the one before.
// STEP1: from accumulators A (documents x, y) and B (z, w), X's 128-bit
// lanes hold x, y, z, w's four sums l[i]+l[i+4]. Clobbers Y.
#define STEP1(A, B, X, Y) \
	VSHUFF32X4 $0x88, B, A, X; \
	VSHUFF32X4 $0xDD, B, A, Y; \
	VADDPS     Y, X, X

// STEP2: from P (documents 0-3 of a query, one per 128-bit lane) and Q
// (documents 4-7), lane j of U holds document j's and document 4+j's two
// sums (l0+l4)+(l2+l6), (l1+l5)+(l3+l7). Clobbers V.
#define STEP2(P, Q, U, V) \
	VSHUFPS $0x44, Q, P, U; \
	VSHUFPS $0xEE, Q, P, V; \
	VADDPS  V, U, U

// STEP3: from two queries' STEP2 results, lane j of W holds query a's
// documents j and 4+j, then query b's, summed. Clobbers Z.
#define STEP3(P, Q, W, Z) \
	VSHUFPS $0x88, Q, P, W; \
	VSHUFPS $0xDD, Q, P, Z; \
	VADDPS  Z, W, W

// REDUCE2 reduces queries a (accumulators A0-A3) and b (B0-B3) and stores
// their 16 sums, in document order, at off(DX). Uses Z17-Z24; Z25 holds
// perm4x4.
#define REDUCE2(A0, A1, A2, A3, B0, B1, B2, B3, off) \
	STEP1(A0, A1, Z17, Z18); \
	STEP1(A2, A3, Z18, Z19); \
	STEP2(Z17, Z18, Z19, Z20); \
	STEP1(B0, B1, Z20, Z21); \
	STEP1(B2, B3, Z21, Z22); \
	STEP2(Z20, Z21, Z22, Z23); \
	STEP3(Z19, Z22, Z23, Z24); \
	VPERMPS Z23, Z25, Z24; \
	VMOVUPS Z24, off(DX)

// func dot4x8AVX512(q *float32, d *float32, n int, out *[32]float32)
//
// out[8*i+j] = lane-wise dot product of query i (i < 4) and document j
// (j < 8) over the first n floats (n a multiple of 8, > 0). q is a packed
// panel of the four queries (packQueriesAVX512): for each 8-float chunk t,
// each query's chunk twice; d a packed panel of the eight documents
// (packPanelAVX512): for each chunk t, documents 0..7's chunk t in turn, so
// one 64-byte load gives a pair.
TEXT ·dot4x8AVX512(SB), NOSPLIT, $0-32
	MOVQ q+0(FP), SI
	MOVQ d+8(FP), DI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	MOVQ out+24(FP), DX
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
	VXORPS Z10, Z10, Z10
	VXORPS Z11, Z11, Z11
	VXORPS Z12, Z12, Z12
	VXORPS Z13, Z13, Z13
	VXORPS Z14, Z14, Z14
	VXORPS Z16, Z16, Z16

loop4x8:
	VMOVUPS 0(DI), Z17
	VMOVUPS 64(DI), Z18
	VMOVUPS 128(DI), Z19
	VMOVUPS 192(DI), Z20
	VMOVUPS 0(SI), Z21
	MAC4(Z21, Z0, Z1, Z2, Z3)
	VMOVUPS 64(SI), Z21
	MAC4(Z21, Z4, Z5, Z6, Z7)
	VMOVUPS 128(SI), Z21
	MAC4(Z21, Z8, Z9, Z10, Z11)
	VMOVUPS 192(SI), Z21
	MAC4(Z21, Z12, Z13, Z14, Z16)
	ADDQ    $256, SI
	ADDQ    $256, DI
	DECQ    CX
	JNZ     loop4x8

	VMOVUPS perm4x4<>(SB), Z25
	REDUCE2(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, 0)
	REDUCE2(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z16, 64)
	VZEROUPPER
	RET

// func packPanelAVX512(dst *float32, src *float32, lds int, n int)
//
// Packs the first n floats (a multiple of 8, > 0) of the eight rows
// src + r*lds (r < 8) for dot4x8AVX512: dst[64*t + 8*r : +8] = row r's
// floats 8t..8t+7.
TEXT ·packPanelAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), R8
	SHLQ $2, R8
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10

pack8:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3
	VMOVUPS (R10), Y4
	VMOVUPS (R10)(R8*1), Y5
	VMOVUPS (R10)(R8*2), Y6
	VMOVUPS (R10)(R9*1), Y7
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ    $32, SI
	ADDQ    $32, R10
	ADDQ    $256, DI
	DECQ    CX
	JNZ     pack8
	VZEROUPPER
	RET

// func packQueriesAVX512(dst *float32, src *float32, lds int, n int)
//
// Packs the first n floats (a multiple of 8, > 0) of the four rows
// src + i*lds (i < 4) for dot4x8AVX512: dst[64*t + 16*i : +8] and
// dst[64*t + 16*i + 8 : +8] = row i's floats 8t..8t+7.
TEXT ·packQueriesAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), R8
	SHLQ $2, R8
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	LEAQ (R8)(R8*2), R9

pack4:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y0, 32(DI)
	VMOVUPS Y1, 64(DI)
	VMOVUPS Y1, 96(DI)
	VMOVUPS Y2, 128(DI)
	VMOVUPS Y2, 160(DI)
	VMOVUPS Y3, 192(DI)
	VMOVUPS Y3, 224(DI)
	ADDQ    $32, SI
	ADDQ    $256, DI
	DECQ    CX
	JNZ     pack4
	VZEROUPPER
	RET

// func skipBelowAVX512(s *float32, n int, thr float32) int
//
// The index of the first of s[0:n] that is not below thr (NaN is not),
// looking at whole blocks of 16 only: n rounded down to 16 when every one
// of those is below.
TEXT ·skipBelowAVX512(SB), NOSPLIT, $0-32
	MOVQ         s+0(FP), SI
	MOVQ         n+8(FP), CX
	ANDQ         $-16, CX
	VBROADCASTSS thr+16(FP), Z0
	XORQ         AX, AX

skip16:
	CMPQ     AX, CX
	JGE      skipped
	VMOVUPS  (SI)(AX*4), Z1
	VCMPPS   $0x15, Z0, Z1, K1
	KORTESTW K1, K1
	JNZ      found
	ADDQ     $16, AX
	JMP      skip16

found:
	KMOVW  K1, DX
	BSFL   DX, DX
	ADDQ   DX, AX

skipped:
	MOVQ       AX, ret+24(FP)
	VZEROUPPER
	RET
