//go:build !purego

#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// Four copies of each constant, for use as 256-bit memory operands.
#define QUAD(name, v) \
	DATA name+0(SB)/8, v; \
	DATA name+8(SB)/8, v; \
	DATA name+16(SB)/8, v; \
	DATA name+24(SB)/8, v; \
	GLOBL name(SB), RODATA|NOPTR, $32

QUAD(expMin<>, $-708.0)
QUAD(expMax<>, $709.0)
QUAD(expMask52<>, $0x000fffffffffffff)
QUAD(expMask6<>, $63)
QUAD(expBias<>, $1023)

// Scalars broadcast once: 64/ln2, 1.5*2^52, ln2/64 (head, tail), 1/120,
// 1/24, 1/6, 1/2, 1 (as in fastexp.go).
DATA expK<>+0(SB)/8, $0x40571547652b82fe
DATA expK<>+8(SB)/8, $0x4338000000000000
DATA expK<>+16(SB)/8, $0x3f862e42fe000000
DATA expK<>+24(SB)/8, $0x3dbf473de6af278f
DATA expK<>+32(SB)/8, $0x3f81111111111111
DATA expK<>+40(SB)/8, $0x3fa5555555555555
DATA expK<>+48(SB)/8, $0x3fc5555555555555
DATA expK<>+56(SB)/8, $0x3fe0000000000000
DATA expK<>+64(SB)/8, $0x3ff0000000000000
GLOBL expK<>(SB), RODATA|NOPTR, $72

// func expBlocksAVX2(dst, src []float64) int
//
// fastExp of four lanes at a time, operation for operation (so bit for bit):
//   z = fma(x, 64/ln2, shift); kf = z - shift
//   r = fma(-kf, ln2/64 head, x); r = fma(-kf, ln2/64 tail, r)
//   p = r (1 + r (1/2 + r (1/6 + r (1/24 + r/120))))   (Horner, fma)
//   n = bits(z) & (2^52-1); j = n & 63; scale = (n>>6 + 1023) << 52
//   exp = (t + fma(p, t, tl)) scale, t, tl = exp2Hi[j], exp2Lo[j]
// It stops before a block with an argument outside (-708, 709) or a NaN and
// returns the number of values done. len(dst) >= len(src).
TEXT ·expBlocksAVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	SHRQ $2, CX
	XORQ DX, DX
	LEAQ ·exp2Hi(SB), R8
	LEAQ ·exp2Lo(SB), R9
	VBROADCASTSD expK<>+0(SB), Y8
	VBROADCASTSD expK<>+8(SB), Y9
	VBROADCASTSD expK<>+16(SB), Y10
	VBROADCASTSD expK<>+24(SB), Y11
	VBROADCASTSD expK<>+32(SB), Y12
	VBROADCASTSD expK<>+40(SB), Y13
	VBROADCASTSD expK<>+48(SB), Y14
	VBROADCASTSD expK<>+56(SB), Y15
	VBROADCASTSD expK<>+64(SB), Y7
	TESTQ CX, CX
	JZ done

loop:
	VMOVUPD (SI)(DX*8), Y0
	// all four in range (ordered compares are false for NaN)?
	VCMPPD $0x1e, expMin<>(SB), Y0, Y1 // x > -708
	VCMPPD $0x11, expMax<>(SB), Y0, Y2 // x < 709
	VANDPD Y1, Y2, Y1
	VMOVMSKPD Y1, AX
	CMPL AX, $15
	JNE done

	VMOVAPD Y0, Y1
	VFMADD213PD Y9, Y8, Y1 // z
	VSUBPD Y9, Y1, Y2      // kf
	VMOVAPD Y0, Y3
	VFNMADD231PD Y10, Y2, Y3 // r
	VFNMADD231PD Y11, Y2, Y3
	VMOVAPD Y12, Y4
	VFMADD213PD Y13, Y3, Y4 // p
	VFMADD213PD Y14, Y3, Y4
	VFMADD213PD Y15, Y3, Y4
	VFMADD213PD Y7, Y3, Y4
	VMULPD Y3, Y4, Y4
	VPAND expMask52<>(SB), Y1, Y5 // n
	VPAND expMask6<>(SB), Y5, Y6  // j
	VPSRLQ $6, Y5, Y5
	VPADDQ expBias<>(SB), Y5, Y5
	VPSLLQ $52, Y5, Y5 // scale
	VPCMPEQQ Y1, Y1, Y1
	VGATHERQPD Y1, (R8)(Y6*8), Y2 // t
	VPCMPEQQ Y1, Y1, Y1
	VGATHERQPD Y1, (R9)(Y6*8), Y3 // tl
	VFMADD231PD Y2, Y4, Y3
	VADDPD Y3, Y2, Y3
	VMULPD Y5, Y3, Y3
	VMOVUPD Y3, (DI)(DX*8)

	ADDQ $4, DX
	DECQ CX
	JNZ loop

done:
	VZEROUPPER
	MOVQ DX, ret+48(FP)
	RET
