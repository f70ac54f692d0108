//go:build !purego

#include "textflag.h"

// Four copies of an integer constant, for use as a 256-bit memory operand.
#define QUAD(name, v) \
	DATA name+0(SB)/8, v; \
	DATA name+8(SB)/8, v; \
	DATA name+16(SB)/8, v; \
	DATA name+24(SB)/8, v; \
	GLOBL name(SB), RODATA|NOPTR, $32

QUAD(expMask52<>, $0x000fffffffffffff)
QUAD(expMask4<>, $15)
QUAD(expBias<>, $1023)

// Scalars to broadcast (as in fastexp.go): -708, 709, 16/ln2, 1.5*2^52,
// ln2/16 (head, tail), 1/5040, 1/720, 1/120, 1/24, 1/6, 1/2, 1, 1/16.
DATA expK<>+0(SB)/8, $0xc086200000000000
DATA expK<>+8(SB)/8, $0x4086280000000000
DATA expK<>+16(SB)/8, $0x40371547652b82fe
DATA expK<>+24(SB)/8, $0x4338000000000000
DATA expK<>+32(SB)/8, $0x3fa62e42fe000000
DATA expK<>+40(SB)/8, $0x3ddf473de6af278f
DATA expK<>+48(SB)/8, $0x3f2a01a01a01a01a
DATA expK<>+56(SB)/8, $0x3f56c16c16c16c17
DATA expK<>+64(SB)/8, $0x3f81111111111111
DATA expK<>+72(SB)/8, $0x3fa5555555555555
DATA expK<>+80(SB)/8, $0x3fc5555555555555
DATA expK<>+88(SB)/8, $0x3fe0000000000000
DATA expK<>+96(SB)/8, $0x3ff0000000000000
DATA expK<>+104(SB)/8, $0x3fb0000000000000
GLOBL expK<>(SB), RODATA|NOPTR, $112

// Both kernels do fastExp's operations in its order, lane by lane:
//   z = fma(x, 16/ln2, shift); kf = z - shift
//   r = fma(-kf, ln2/16 head, x); r = fma(-kf, ln2/16 tail, r)
//   p = r (1 + r (1/2 + ... + r/5040))  (Horner, fma)
//   t, tl = exp2Hi[j], exp2Lo[j] with j = n mod 16, n = kf
//   exp = (t + fma(p, t, tl)) 2^floor(n/16)
// They stop before a block with an argument outside (-708, 709) or a NaN
// (ordered compares are false for NaN) and return the number of values
// done. len(dst) >= len(src).

// func expBlocksAVX2(dst, src []float64) int
//
// The table lookups load each lane's pair exp2Pairs[2j], exp2Pairs[2j+1]
// (exp2Hi[j], exp2Lo[j]) with ordinary loads and transpose them: gathers
// are slow on some processors (AMD Zen 2: two of them took half the time).
TEXT ·expBlocksAVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	SHRQ $2, CX
	XORQ DX, DX
	LEAQ ·exp2Pairs(SB), R8
	VBROADCASTSD expK<>+16(SB), Y8
	VBROADCASTSD expK<>+24(SB), Y9
	VBROADCASTSD expK<>+32(SB), Y10
	VBROADCASTSD expK<>+40(SB), Y11
	VBROADCASTSD expK<>+48(SB), Y12
	VBROADCASTSD expK<>+56(SB), Y13
	VBROADCASTSD expK<>+64(SB), Y14
	VBROADCASTSD expK<>+72(SB), Y15
	TESTQ CX, CX
	JZ done2

loop2:
	VMOVUPD (SI)(DX*8), Y0
	VBROADCASTSD expK<>+0(SB), Y1
	VCMPPD $0x1e, Y1, Y0, Y1 // x > -708
	VBROADCASTSD expK<>+8(SB), Y2
	VCMPPD $0x11, Y2, Y0, Y2 // x < 709
	VANDPD Y1, Y2, Y1
	VMOVMSKPD Y1, AX
	CMPL AX, $15
	JNE done2

	VMOVAPD Y0, Y1
	VFMADD213PD Y9, Y8, Y1 // z
	VSUBPD Y9, Y1, Y2      // kf
	VPAND expMask4<>(SB), Y1, Y6 // j
	VPSLLQ $4, Y6, Y6            // byte offset of the pair
	VMOVQ X6, AX
	VPEXTRQ $1, X6, BX
	VEXTRACTI128 $1, Y6, X7
	VMOVQ X7, R10
	VPEXTRQ $1, X7, R11
	VMOVAPD Y0, Y3
	VFNMADD231PD Y10, Y2, Y3 // r
	VFNMADD231PD Y11, Y2, Y3
	VMOVAPD Y12, Y4
	VFMADD213PD Y13, Y3, Y4 // p
	VFMADD213PD Y14, Y3, Y4
	VFMADD213PD Y15, Y3, Y4
	VBROADCASTSD expK<>+80(SB), Y6
	VFMADD213PD Y6, Y3, Y4
	VBROADCASTSD expK<>+88(SB), Y6
	VFMADD213PD Y6, Y3, Y4
	VBROADCASTSD expK<>+96(SB), Y6
	VFMADD213PD Y6, Y3, Y4
	VMULPD Y3, Y4, Y4
	VMOVUPD (R8)(AX*1), X6            // t0 tl0
	VINSERTF128 $1, (R8)(R10*1), Y6, Y6 // t0 tl0 t2 tl2
	VMOVUPD (R8)(BX*1), X7            // t1 tl1
	VINSERTF128 $1, (R8)(R11*1), Y7, Y7 // t1 tl1 t3 tl3
	VUNPCKLPD Y7, Y6, Y2 // t
	VUNPCKHPD Y7, Y6, Y3 // tl
	VPAND expMask52<>(SB), Y1, Y5 // n + 2^51
	VPSRLQ $4, Y5, Y5
	VPADDQ expBias<>(SB), Y5, Y5
	VPSLLQ $52, Y5, Y5 // scale
	VFMADD231PD Y2, Y4, Y3
	VADDPD Y3, Y2, Y3
	VMULPD Y5, Y3, Y3
	VMOVUPD Y3, (DI)(DX*8)

	ADDQ $4, DX
	DECQ CX
	JNZ loop2

done2:
	VZEROUPPER
	MOVQ DX, ret+48(FP)
	RET

// func expBlocksAVX512(dst, src []float64) int
//
// The table lookups are register permutes (the low four bits of the index
// select one of 16 entries in two registers) and the scaling is VSCALEFPD
// by floor(kf/16), exact for the normal results of the range.
TEXT ·expBlocksAVX512(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	SHRQ $3, CX
	XORQ DX, DX
	VBROADCASTSD expK<>+0(SB), Z20
	VBROADCASTSD expK<>+8(SB), Z21
	VBROADCASTSD expK<>+16(SB), Z8
	VBROADCASTSD expK<>+24(SB), Z9
	VBROADCASTSD expK<>+32(SB), Z10
	VBROADCASTSD expK<>+40(SB), Z11
	VBROADCASTSD expK<>+48(SB), Z12
	VBROADCASTSD expK<>+56(SB), Z13
	VBROADCASTSD expK<>+64(SB), Z14
	VBROADCASTSD expK<>+72(SB), Z15
	VBROADCASTSD expK<>+80(SB), Z16
	VBROADCASTSD expK<>+88(SB), Z17
	VBROADCASTSD expK<>+96(SB), Z18
	VBROADCASTSD expK<>+104(SB), Z19
	VMOVUPD ·exp2Hi+0(SB), Z24
	VMOVUPD ·exp2Hi+64(SB), Z25
	VMOVUPD ·exp2Lo+0(SB), Z26
	VMOVUPD ·exp2Lo+64(SB), Z27
	TESTQ CX, CX
	JZ done8

loop8:
	VMOVUPD (SI)(DX*8), Z0
	VCMPPD $0x1e, Z20, Z0, K1 // x > -708
	VCMPPD $0x11, Z21, Z0, K2 // x < 709
	KANDW K1, K2, K1
	KMOVW K1, AX
	CMPL AX, $0xff
	JNE done8

	VMOVAPD Z0, Z1
	VFMADD213PD Z9, Z8, Z1 // z
	VSUBPD Z9, Z1, Z2      // kf
	VMOVAPD Z0, Z3
	VFNMADD231PD Z10, Z2, Z3 // r
	VFNMADD231PD Z11, Z2, Z3
	VMOVAPD Z12, Z4
	VFMADD213PD Z13, Z3, Z4 // p
	VFMADD213PD Z14, Z3, Z4
	VFMADD213PD Z15, Z3, Z4
	VFMADD213PD Z16, Z3, Z4
	VFMADD213PD Z17, Z3, Z4
	VFMADD213PD Z18, Z3, Z4
	VMULPD Z3, Z4, Z4
	VMOVAPD Z1, Z5
	VPERMI2PD Z25, Z24, Z5 // t (index: low bits of z)
	VMOVAPD Z1, Z6
	VPERMI2PD Z27, Z26, Z6 // tl
	VFMADD231PD Z5, Z4, Z6
	VADDPD Z6, Z5, Z6
	VMULPD Z19, Z2, Z2 // kf/16
	VSCALEFPD Z2, Z6, Z6
	VMOVUPD Z6, (DI)(DX*8)

	ADDQ $8, DX
	DECQ CX
	JNZ loop8

done8:
	VZEROUPPER
	MOVQ DX, ret+48(FP)
	RET
