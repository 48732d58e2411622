//go:build amd64 && !purego

#include "textflag.h"

// AVX2 kernels for the LSTM (see kern_amd64.go). They use separate multiply
// and add (no FMA) in the same order as the Go code they replace, so their
// results are bit-for-bit those of the portable versions.

// func gemmAccAVX(out, a, w []float64, rows, k, n, sRow, sK int)
//
// out[i*n+c] += Σ_kk a[i*sRow+kk*sK] · w[kk*n+c], kk ascending; n % 16 == 0.
TEXT ·gemmAccAVX(SB), NOSPLIT, $0-112
	MOVQ out_base+0(FP), DI
	MOVQ a_base+24(FP), SI
	MOVQ w_base+48(FP), DX
	MOVQ rows+72(FP), R8
	MOVQ k+80(FP), R9
	MOVQ n+88(FP), R13
	MOVQ sRow+96(FP), R11
	MOVQ sK+104(FP), R12
	SHLQ $3, R11
	SHLQ $3, R12
	SHLQ $3, R13
	TESTQ R8, R8
	JLE  gdone
	TESTQ R9, R9
	JLE  gdone
	TESTQ R13, R13
	JLE  gdone

growloop:
	XORQ CX, CX

gcolloop:
	VMOVUPD 0(DI)(CX*1), Y0
	VMOVUPD 32(DI)(CX*1), Y1
	VMOVUPD 64(DI)(CX*1), Y2
	VMOVUPD 96(DI)(CX*1), Y3
	MOVQ    SI, AX
	LEAQ    (DX)(CX*1), BX
	MOVQ    R9, R14

gkloop:
	VBROADCASTSD (AX), Y4
	VMULPD       0(BX), Y4, Y5
	VMULPD       32(BX), Y4, Y6
	VMULPD       64(BX), Y4, Y7
	VMULPD       96(BX), Y4, Y8
	VADDPD       Y5, Y0, Y0
	VADDPD       Y6, Y1, Y1
	VADDPD       Y7, Y2, Y2
	VADDPD       Y8, Y3, Y3
	ADDQ         R12, AX
	ADDQ         R13, BX
	DECQ         R14
	JNZ          gkloop

	VMOVUPD Y0, 0(DI)(CX*1)
	VMOVUPD Y1, 32(DI)(CX*1)
	VMOVUPD Y2, 64(DI)(CX*1)
	VMOVUPD Y3, 96(DI)(CX*1)
	ADDQ    $128, CX
	CMPQ    CX, R13
	JLT     gcolloop

	ADDQ R13, DI
	ADDQ R11, SI
	DECQ R8
	JNZ  growloop

gdone:
	VZEROUPPER
	RET

// func dotRowsAVX(out, a, w []float64, rows, k, n int)
//
// out[r*k+j] += Σ_i a[r*n+i]·w[j*n+i] for k % 4 == 0, n % 4 == 0, n > 0,
// summed as gonum's DotUnitary does: four partial sums by i mod 4, then
// (s0+s2) + (s1+s3).
TEXT ·dotRowsAVX(SB), NOSPLIT, $0-96
	MOVQ out_base+0(FP), DI
	MOVQ a_base+24(FP), SI
	MOVQ w_base+48(FP), DX
	MOVQ rows+72(FP), R8
	MOVQ k+80(FP), R9
	MOVQ n+88(FP), R10
	SHLQ $3, R10
	SHRQ $2, R9
	TESTQ R8, R8
	JLE  ddone
	TESTQ R9, R9
	JLE  ddone
	TESTQ R10, R10
	JLE  ddone

drowloop:
	MOVQ DX, BX
	MOVQ R9, R11

djloop:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	LEAQ   (BX)(R10*1), R12
	LEAQ   (R12)(R10*1), R13
	LEAQ   (R13)(R10*1), R14
	XORQ   CX, CX

diloop:
	VMOVUPD (SI)(CX*1), Y4
	VMULPD  (BX)(CX*1), Y4, Y5
	VMULPD  (R12)(CX*1), Y4, Y6
	VMULPD  (R13)(CX*1), Y4, Y7
	VMULPD  (R14)(CX*1), Y4, Y8
	VADDPD  Y5, Y0, Y0
	VADDPD  Y6, Y1, Y1
	VADDPD  Y7, Y2, Y2
	VADDPD  Y8, Y3, Y3
	ADDQ    $32, CX
	CMPQ    CX, R10
	JLT     diloop

	VEXTRACTF128 $1, Y0, X5
	VADDPD       X5, X0, X0
	VHADDPD      X0, X0, X0
	VADDSD       0(DI), X0, X0
	VMOVSD       X0, 0(DI)
	VEXTRACTF128 $1, Y1, X5
	VADDPD       X5, X1, X1
	VHADDPD      X1, X1, X1
	VADDSD       8(DI), X1, X1
	VMOVSD       X1, 8(DI)
	VEXTRACTF128 $1, Y2, X5
	VADDPD       X5, X2, X2
	VHADDPD      X2, X2, X2
	VADDSD       16(DI), X2, X2
	VMOVSD       X2, 16(DI)
	VEXTRACTF128 $1, Y3, X5
	VADDPD       X5, X3, X3
	VHADDPD      X3, X3, X3
	VADDSD       24(DI), X3, X3
	VMOVSD       X3, 24(DI)

	ADDQ $32, DI
	LEAQ (R14)(R10*1), BX
	DECQ R11
	JNZ  djloop

	ADDQ R10, SI
	DECQ R8
	JNZ  drowloop

ddone:
	VZEROUPPER
	RET

// EXPV sets Y0 = e^Y0 for |Y0| ≤ 708 exactly as exp in activ.go does.
// Clobbers Y1–Y6.
#define EXPV \
	VMULPD  clog2e<>(SB), Y0, Y1 \
	VADDPD  cround<>(SB), Y1, Y1 \
	VSUBPD  cround<>(SB), Y1, Y2 \
	VMULPD  cln2hi<>(SB), Y2, Y3 \
	VSUBPD  Y3, Y0, Y0 \
	VMULPD  cln2lo<>(SB), Y2, Y3 \
	VSUBPD  Y3, Y0, Y0 \
	VMULPD  Y0, Y0, Y2 \
	VMULPD  Y2, Y2, Y3 \
	VMULPD  c6<>(SB), Y0, Y4 \
	VADDPD  chalf<>(SB), Y4, Y4 \
	VMULPD  Y2, Y4, Y4 \
	VADDPD  cone<>(SB), Y0, Y5 \
	VADDPD  Y4, Y5, Y4 \
	VMULPD  c120<>(SB), Y0, Y5 \
	VADDPD  c24<>(SB), Y5, Y5 \
	VMULPD  c5040<>(SB), Y0, Y6 \
	VADDPD  c720<>(SB), Y6, Y6 \
	VMULPD  Y2, Y6, Y6 \
	VADDPD  Y6, Y5, Y5 \
	VMULPD  Y3, Y5, Y5 \
	VADDPD  Y5, Y4, Y4 \
	VMULPD  c362880<>(SB), Y0, Y5 \
	VADDPD  c40320<>(SB), Y5, Y5 \
	VMULPD  c39916800<>(SB), Y0, Y6 \
	VADDPD  c3628800<>(SB), Y6, Y6 \
	VMULPD  Y2, Y6, Y6 \
	VADDPD  Y6, Y5, Y5 \
	VMULPD  Y3, Y3, Y3 \
	VMULPD  Y3, Y5, Y5 \
	VADDPD  Y5, Y4, Y4 \
	VPAND   cmask52<>(SB), Y1, Y1 \
	VPADDQ  cbias<>(SB), Y1, Y1 \
	VPSLLQ  $52, Y1, Y1 \
	VMULPD  Y4, Y1, Y0

// func sigmRowAVX(v []float64): v[i] = 1/(1+e^−v[i]); len(v) % 4 == 0.
TEXT ·sigmRowAVX(SB), NOSPLIT, $0-24
	MOVQ    v_base+0(FP), DI
	MOVQ    v_len+8(FP), CX
	SHRQ    $2, CX
	JZ      sdone
	VMOVUPD cone<>(SB), Y7

sloop:
	VMOVUPD 0(DI), Y0
	VXORPD  cneg<>(SB), Y0, Y0
	VMINPD  c708<>(SB), Y0, Y0
	VMAXPD  cm708<>(SB), Y0, Y0
	EXPV
	VADDPD  Y7, Y0, Y0
	VDIVPD  Y0, Y7, Y0
	VMOVUPD Y0, 0(DI)
	ADDQ    $32, DI
	DECQ    CX
	JNZ     sloop

sdone:
	VZEROUPPER
	RET

// func tanhRowAVX(v []float64): v[i] = 1 − 2/(e^{2v[i]}+1); len(v) % 4 == 0.
TEXT ·tanhRowAVX(SB), NOSPLIT, $0-24
	MOVQ    v_base+0(FP), DI
	MOVQ    v_len+8(FP), CX
	SHRQ    $2, CX
	JZ      tdone
	VMOVUPD cone<>(SB), Y7
	VMOVUPD ctwo<>(SB), Y8

tloop:
	VMOVUPD 0(DI), Y0
	VADDPD  Y0, Y0, Y0
	VMINPD  c708<>(SB), Y0, Y0
	VMAXPD  cm708<>(SB), Y0, Y0
	EXPV
	VADDPD  Y7, Y0, Y0
	VDIVPD  Y0, Y8, Y0
	VSUBPD  Y0, Y7, Y0
	VMOVUPD Y0, 0(DI)
	ADDQ    $32, DI
	DECQ    CX
	JNZ     tloop

tdone:
	VZEROUPPER
	RET

DATA c708<>+0(SB)/8, $0x4086200000000000
DATA c708<>+8(SB)/8, $0x4086200000000000
DATA c708<>+16(SB)/8, $0x4086200000000000
DATA c708<>+24(SB)/8, $0x4086200000000000
GLOBL c708<>(SB), RODATA|NOPTR, $32

DATA cm708<>+0(SB)/8, $0xc086200000000000
DATA cm708<>+8(SB)/8, $0xc086200000000000
DATA cm708<>+16(SB)/8, $0xc086200000000000
DATA cm708<>+24(SB)/8, $0xc086200000000000
GLOBL cm708<>(SB), RODATA|NOPTR, $32

DATA clog2e<>+0(SB)/8, $0x3ff71547652b82fe
DATA clog2e<>+8(SB)/8, $0x3ff71547652b82fe
DATA clog2e<>+16(SB)/8, $0x3ff71547652b82fe
DATA clog2e<>+24(SB)/8, $0x3ff71547652b82fe
GLOBL clog2e<>(SB), RODATA|NOPTR, $32

DATA cround<>+0(SB)/8, $0x4338000000000000
DATA cround<>+8(SB)/8, $0x4338000000000000
DATA cround<>+16(SB)/8, $0x4338000000000000
DATA cround<>+24(SB)/8, $0x4338000000000000
GLOBL cround<>(SB), RODATA|NOPTR, $32

DATA cln2hi<>+0(SB)/8, $0x3fe62e42fee00000
DATA cln2hi<>+8(SB)/8, $0x3fe62e42fee00000
DATA cln2hi<>+16(SB)/8, $0x3fe62e42fee00000
DATA cln2hi<>+24(SB)/8, $0x3fe62e42fee00000
GLOBL cln2hi<>(SB), RODATA|NOPTR, $32

DATA cln2lo<>+0(SB)/8, $0x3dea39ef35793c76
DATA cln2lo<>+8(SB)/8, $0x3dea39ef35793c76
DATA cln2lo<>+16(SB)/8, $0x3dea39ef35793c76
DATA cln2lo<>+24(SB)/8, $0x3dea39ef35793c76
GLOBL cln2lo<>(SB), RODATA|NOPTR, $32

DATA cone<>+0(SB)/8, $0x3ff0000000000000
DATA cone<>+8(SB)/8, $0x3ff0000000000000
DATA cone<>+16(SB)/8, $0x3ff0000000000000
DATA cone<>+24(SB)/8, $0x3ff0000000000000
GLOBL cone<>(SB), RODATA|NOPTR, $32

DATA ctwo<>+0(SB)/8, $0x4000000000000000
DATA ctwo<>+8(SB)/8, $0x4000000000000000
DATA ctwo<>+16(SB)/8, $0x4000000000000000
DATA ctwo<>+24(SB)/8, $0x4000000000000000
GLOBL ctwo<>(SB), RODATA|NOPTR, $32

DATA chalf<>+0(SB)/8, $0x3fe0000000000000
DATA chalf<>+8(SB)/8, $0x3fe0000000000000
DATA chalf<>+16(SB)/8, $0x3fe0000000000000
DATA chalf<>+24(SB)/8, $0x3fe0000000000000
GLOBL chalf<>(SB), RODATA|NOPTR, $32

DATA c6<>+0(SB)/8, $0x3fc5555555555555
DATA c6<>+8(SB)/8, $0x3fc5555555555555
DATA c6<>+16(SB)/8, $0x3fc5555555555555
DATA c6<>+24(SB)/8, $0x3fc5555555555555
GLOBL c6<>(SB), RODATA|NOPTR, $32

DATA c24<>+0(SB)/8, $0x3fa5555555555555
DATA c24<>+8(SB)/8, $0x3fa5555555555555
DATA c24<>+16(SB)/8, $0x3fa5555555555555
DATA c24<>+24(SB)/8, $0x3fa5555555555555
GLOBL c24<>(SB), RODATA|NOPTR, $32

DATA c120<>+0(SB)/8, $0x3f81111111111111
DATA c120<>+8(SB)/8, $0x3f81111111111111
DATA c120<>+16(SB)/8, $0x3f81111111111111
DATA c120<>+24(SB)/8, $0x3f81111111111111
GLOBL c120<>(SB), RODATA|NOPTR, $32

DATA c720<>+0(SB)/8, $0x3f56c16c16c16c17
DATA c720<>+8(SB)/8, $0x3f56c16c16c16c17
DATA c720<>+16(SB)/8, $0x3f56c16c16c16c17
DATA c720<>+24(SB)/8, $0x3f56c16c16c16c17
GLOBL c720<>(SB), RODATA|NOPTR, $32

DATA c5040<>+0(SB)/8, $0x3f2a01a01a01a01a
DATA c5040<>+8(SB)/8, $0x3f2a01a01a01a01a
DATA c5040<>+16(SB)/8, $0x3f2a01a01a01a01a
DATA c5040<>+24(SB)/8, $0x3f2a01a01a01a01a
GLOBL c5040<>(SB), RODATA|NOPTR, $32

DATA c40320<>+0(SB)/8, $0x3efa01a01a01a01a
DATA c40320<>+8(SB)/8, $0x3efa01a01a01a01a
DATA c40320<>+16(SB)/8, $0x3efa01a01a01a01a
DATA c40320<>+24(SB)/8, $0x3efa01a01a01a01a
GLOBL c40320<>(SB), RODATA|NOPTR, $32

DATA c362880<>+0(SB)/8, $0x3ec71de3a556c734
DATA c362880<>+8(SB)/8, $0x3ec71de3a556c734
DATA c362880<>+16(SB)/8, $0x3ec71de3a556c734
DATA c362880<>+24(SB)/8, $0x3ec71de3a556c734
GLOBL c362880<>(SB), RODATA|NOPTR, $32

DATA c3628800<>+0(SB)/8, $0x3e927e4fb7789f5c
DATA c3628800<>+8(SB)/8, $0x3e927e4fb7789f5c
DATA c3628800<>+16(SB)/8, $0x3e927e4fb7789f5c
DATA c3628800<>+24(SB)/8, $0x3e927e4fb7789f5c
GLOBL c3628800<>(SB), RODATA|NOPTR, $32

DATA c39916800<>+0(SB)/8, $0x3e5ae64567f544e4
DATA c39916800<>+8(SB)/8, $0x3e5ae64567f544e4
DATA c39916800<>+16(SB)/8, $0x3e5ae64567f544e4
DATA c39916800<>+24(SB)/8, $0x3e5ae64567f544e4
GLOBL c39916800<>(SB), RODATA|NOPTR, $32

DATA cmask52<>+0(SB)/8, $0x000fffffffffffff
DATA cmask52<>+8(SB)/8, $0x000fffffffffffff
DATA cmask52<>+16(SB)/8, $0x000fffffffffffff
DATA cmask52<>+24(SB)/8, $0x000fffffffffffff
GLOBL cmask52<>(SB), RODATA|NOPTR, $32

DATA cbias<>+0(SB)/8, $0xfff80000000003ff
DATA cbias<>+8(SB)/8, $0xfff80000000003ff
DATA cbias<>+16(SB)/8, $0xfff80000000003ff
DATA cbias<>+24(SB)/8, $0xfff80000000003ff
GLOBL cbias<>(SB), RODATA|NOPTR, $32

DATA cneg<>+0(SB)/8, $0x8000000000000000
DATA cneg<>+8(SB)/8, $0x8000000000000000
DATA cneg<>+16(SB)/8, $0x8000000000000000
DATA cneg<>+24(SB)/8, $0x8000000000000000
GLOBL cneg<>(SB), RODATA|NOPTR, $32

