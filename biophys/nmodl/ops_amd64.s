//go:build !purego

#include "textflag.h"

// Elementwise AVX2 kernels of the NMODL executor (ops_amd64.go): four
// instances at a time, one IEEE operation each, so the bits equal the
// Go loops'. Each returns how many elements it did (whole blocks of four);
// Go does the rest.

// func vvAddAVX2(dst, x, y []float64) int
TEXT ·vvAddAVX2(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), R8
	SHRQ $2, CX
	XORQ DX, DX
	TESTQ CX, CX
	JZ vvAdd_done
vvAdd_loop:
	VMOVUPD (SI)(DX*8), Y0
	VMOVUPD (R8)(DX*8), Y1
	VADDPD Y1, Y0, Y0
	VMOVUPD Y0, (DI)(DX*8)
	ADDQ $4, DX
	DECQ CX
	JNZ vvAdd_loop
vvAdd_done:
	VZEROUPPER
	MOVQ DX, ret+72(FP)
	RET

// func vsAddAVX2(dst, x []float64, s float64) int
TEXT ·vsAddAVX2(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSD s+48(FP), Y1
	SHRQ $2, CX
	XORQ DX, DX
	TESTQ CX, CX
	JZ vsAdd_done
vsAdd_loop:
	VMOVUPD (SI)(DX*8), Y0
	VADDPD Y1, Y0, Y0
	VMOVUPD Y0, (DI)(DX*8)
	ADDQ $4, DX
	DECQ CX
	JNZ vsAdd_loop
vsAdd_done:
	VZEROUPPER
	MOVQ DX, ret+56(FP)
	RET

// func vvSubAVX2(dst, x, y []float64) int
TEXT ·vvSubAVX2(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), R8
	SHRQ $2, CX
	XORQ DX, DX
	TESTQ CX, CX
	JZ vvSub_done
vvSub_loop:
	VMOVUPD (SI)(DX*8), Y0
	VMOVUPD (R8)(DX*8), Y1
	VSUBPD Y1, Y0, Y0
	VMOVUPD Y0, (DI)(DX*8)
	ADDQ $4, DX
	DECQ CX
	JNZ vvSub_loop
vvSub_done:
	VZEROUPPER
	MOVQ DX, ret+72(FP)
	RET

// func vsSubAVX2(dst, x []float64, s float64) int
TEXT ·vsSubAVX2(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSD s+48(FP), Y1
	SHRQ $2, CX
	XORQ DX, DX
	TESTQ CX, CX
	JZ vsSub_done
vsSub_loop:
	VMOVUPD (SI)(DX*8), Y0
	VSUBPD Y1, Y0, Y0
	VMOVUPD Y0, (DI)(DX*8)
	ADDQ $4, DX
	DECQ CX
	JNZ vsSub_loop
vsSub_done:
	VZEROUPPER
	MOVQ DX, ret+56(FP)
	RET

// func svSubAVX2(dst []float64, s float64, y []float64) int
TEXT ·svSubAVX2(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	VBROADCASTSD s+24(FP), Y1
	MOVQ y_base+32(FP), SI
	SHRQ $2, CX
	XORQ DX, DX
	TESTQ CX, CX
	JZ svSub_done
svSub_loop:
	VMOVUPD (SI)(DX*8), Y0
	VSUBPD Y0, Y1, Y0
	VMOVUPD Y0, (DI)(DX*8)
	ADDQ $4, DX
	DECQ CX
	JNZ svSub_loop
svSub_done:
	VZEROUPPER
	MOVQ DX, ret+56(FP)
	RET

// func vvMulAVX2(dst, x, y []float64) int
TEXT ·vvMulAVX2(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), R8
	SHRQ $2, CX
	XORQ DX, DX
	TESTQ CX, CX
	JZ vvMul_done
vvMul_loop:
	VMOVUPD (SI)(DX*8), Y0
	VMOVUPD (R8)(DX*8), Y1
	VMULPD Y1, Y0, Y0
	VMOVUPD Y0, (DI)(DX*8)
	ADDQ $4, DX
	DECQ CX
	JNZ vvMul_loop
vvMul_done:
	VZEROUPPER
	MOVQ DX, ret+72(FP)
	RET

// func vsMulAVX2(dst, x []float64, s float64) int
TEXT ·vsMulAVX2(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSD s+48(FP), Y1
	SHRQ $2, CX
	XORQ DX, DX
	TESTQ CX, CX
	JZ vsMul_done
vsMul_loop:
	VMOVUPD (SI)(DX*8), Y0
	VMULPD Y1, Y0, Y0
	VMOVUPD Y0, (DI)(DX*8)
	ADDQ $4, DX
	DECQ CX
	JNZ vsMul_loop
vsMul_done:
	VZEROUPPER
	MOVQ DX, ret+56(FP)
	RET

// func vvDivAVX2(dst, x, y []float64) int
TEXT ·vvDivAVX2(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), R8
	SHRQ $2, CX
	XORQ DX, DX
	TESTQ CX, CX
	JZ vvDiv_done
vvDiv_loop:
	VMOVUPD (SI)(DX*8), Y0
	VMOVUPD (R8)(DX*8), Y1
	VDIVPD Y1, Y0, Y0
	VMOVUPD Y0, (DI)(DX*8)
	ADDQ $4, DX
	DECQ CX
	JNZ vvDiv_loop
vvDiv_done:
	VZEROUPPER
	MOVQ DX, ret+72(FP)
	RET

// func vsDivAVX2(dst, x []float64, s float64) int
TEXT ·vsDivAVX2(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSD s+48(FP), Y1
	SHRQ $2, CX
	XORQ DX, DX
	TESTQ CX, CX
	JZ vsDiv_done
vsDiv_loop:
	VMOVUPD (SI)(DX*8), Y0
	VDIVPD Y1, Y0, Y0
	VMOVUPD Y0, (DI)(DX*8)
	ADDQ $4, DX
	DECQ CX
	JNZ vsDiv_loop
vsDiv_done:
	VZEROUPPER
	MOVQ DX, ret+56(FP)
	RET

// func svDivAVX2(dst []float64, s float64, y []float64) int
TEXT ·svDivAVX2(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	VBROADCASTSD s+24(FP), Y1
	MOVQ y_base+32(FP), SI
	SHRQ $2, CX
	XORQ DX, DX
	TESTQ CX, CX
	JZ svDiv_done
svDiv_loop:
	VMOVUPD (SI)(DX*8), Y0
	VDIVPD Y0, Y1, Y0
	VMOVUPD Y0, (DI)(DX*8)
	ADDQ $4, DX
	DECQ CX
	JNZ svDiv_loop
svDiv_done:
	VZEROUPPER
	MOVQ DX, ret+56(FP)
	RET

// func outsideAVX2(x []float64, lo, hi float64) int
// returns 1 if some element of the whole blocks of four is < lo or > hi
// (NaN is neither), else 0; the caller checks the tail.
TEXT ·outsideAVX2(SB), NOSPLIT, $0-48
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VBROADCASTSD lo+24(FP), Y1
	VBROADCASTSD hi+32(FP), Y2
	VXORPD Y3, Y3, Y3
	SHRQ $2, CX
	XORQ DX, DX
	TESTQ CX, CX
	JZ outside_done
outside_loop:
	VMOVUPD (SI)(DX*8), Y0
	VCMPPD $0x11, Y1, Y0, Y4
	VCMPPD $0x1e, Y2, Y0, Y5
	VORPD Y4, Y3, Y3
	VORPD Y5, Y3, Y3
	ADDQ $4, DX
	DECQ CX
	JNZ outside_loop
outside_done:
	VMOVMSKPD Y3, AX
	VZEROUPPER
	MOVQ AX, ret+40(FP)
	RET

// func cnexpAVX2(x, a, b, e []float64) int
// x = x + (1 - e) * ((-a) / b - x), four at a time.
TEXT ·cnexpAVX2(SB), NOSPLIT, $0-104
	MOVQ x_base+0(FP), DI
	MOVQ x_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ b_base+48(FP), R8
	MOVQ e_base+72(FP), R9
	MOVQ $0x3ff0000000000000, AX
	MOVQ AX, X6
	VBROADCASTSD X6, Y6
	MOVQ $0x8000000000000000, AX
	MOVQ AX, X7
	VBROADCASTSD X7, Y7
	SHRQ $2, CX
	XORQ DX, DX
	TESTQ CX, CX
	JZ cnexp_done
cnexp_loop:
	VMOVUPD (SI)(DX*8), Y0
	VXORPD Y7, Y0, Y0
	VMOVUPD (R8)(DX*8), Y1
	VDIVPD Y1, Y0, Y0
	VMOVUPD (DI)(DX*8), Y2
	VSUBPD Y2, Y0, Y0
	VMOVUPD (R9)(DX*8), Y3
	VSUBPD Y3, Y6, Y3
	VMULPD Y0, Y3, Y3
	VADDPD Y3, Y2, Y2
	VMOVUPD Y2, (DI)(DX*8)
	ADDQ $4, DX
	DECQ CX
	JNZ cnexp_loop
cnexp_done:
	VZEROUPPER
	MOVQ DX, ret+96(FP)
	RET
