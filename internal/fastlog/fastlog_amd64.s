//go:build !purego

#include "textflag.h"

// Four copies of a 64-bit constant, for use as a 256-bit memory operand.
#define QUAD(name, v) \
	DATA name+0(SB)/8, v; \
	DATA name+8(SB)/8, v; \
	DATA name+16(SB)/8, v; \
	DATA name+24(SB)/8, v; \
	GLOBL name(SB), RODATA|NOPTR, $32

QUAD(logMant<>, $0x000fffffffffffff)
QUAD(logHalf<>, $0x3fe0000000000000)   // 0.5
QUAD(logOne<>, $0x3ff0000000000000)    // 1
QUAD(logTwo<>, $0x4000000000000000)    // 2
QUAD(logE2047<>, $2047)
QUAD(logKBits<>, $0x4337fffffffffc02)  // bits of 1.5*2^52, minus 1022
QUAD(logKMagic<>, $0x4338000000000000) // 1.5*2^52
QUAD(logHSqrt2<>, $0x3fe6a09e667f3bcd) // sqrt(2)/2
QUAD(logLn2Hi<>, $0x3fe62e42fee00000)
QUAD(logLn2Lo<>, $0x3dea39ef35793c76)
QUAD(logL1<>, $0x3fe5555555555593)
QUAD(logL2<>, $0x3fd999999997fa04)
QUAD(logL3<>, $0x3fd2492494229359)
QUAD(logL4<>, $0x3fcc71c51d8e78af)
QUAD(logL5<>, $0x3fc7466496cb03de)
QUAD(logL6<>, $0x3fc39a09d078c69f)
QUAD(logL7<>, $0x3fc2f112df3e5244)

// The operations of math/log_amd64.s, lane by lane (IEEE products and sums
// commute, so only their grouping matters, and it is the same):
//   f1 = mantissa(x) | 0.5; k = exponent field - 1022
//   if f1 <= sqrt(2)/2 { f1 *= 2; k -= 1 }  (f1 * (1 + 1), k - 1; else * 1, - 0)
//   f = f1 - 1; s = f / (2 + f); s2 = s*s; s4 = s2*s2
//   t1 = s2 * (L1 + s4*(L3 + s4*(L5 + s4*L7))); t2 = s4 * (L2 + s4*(L4 + s4*L6))
//   R = t1 + t2; hfsq = 0.5*f*f
//   log = k*Ln2Hi - ((hfsq - (s*(hfsq+R) + k*Ln2Lo)) - f)
// A lane whose sign and exponent field (x >> 52) is not in 1..2046 (zero,
// subnormal, negative, infinite, NaN) stops the loop before its block.

// func logBlocksAVX2(dst, src []float64) int
TEXT ·logBlocksAVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	SHRQ $2, CX
	XORQ DX, DX
	VPXOR Y15, Y15, Y15
	VMOVDQU logE2047<>(SB), Y14
	TESTQ CX, CX
	JZ done

loop:
	VMOVDQU (SI)(DX*8), Y0
	VPSRLQ $52, Y0, Y1         // sign and exponent field
	VPCMPGTQ Y15, Y1, Y2       // > 0
	VPCMPGTQ Y1, Y14, Y3       // < 2047
	VPAND Y2, Y3, Y2
	VMOVMSKPD Y2, AX
	CMPL AX, $15
	JNE done

	VPAND logMant<>(SB), Y0, Y2
	VPOR logHalf<>(SB), Y2, Y2 // f1
	VPADDQ logKBits<>(SB), Y1, Y1
	VSUBPD logKMagic<>(SB), Y1, Y1 // k
	VCMPPD $0x02, logHSqrt2<>(SB), Y2, Y3 // f1 <= sqrt(2)/2
	VANDPD logOne<>(SB), Y3, Y3           // 0 or 1
	VSUBPD Y3, Y1, Y1                     // k
	VADDPD logOne<>(SB), Y3, Y3           // 1 or 2
	VMULPD Y3, Y2, Y2
	VSUBPD logOne<>(SB), Y2, Y2 // f
	VADDPD logTwo<>(SB), Y2, Y0
	VDIVPD Y0, Y2, Y3 // s
	VMULPD Y3, Y3, Y4 // s2
	VMULPD Y4, Y4, Y5 // s4
	VMULPD logL7<>(SB), Y5, Y6
	VADDPD logL5<>(SB), Y6, Y6
	VMULPD Y5, Y6, Y6
	VADDPD logL3<>(SB), Y6, Y6
	VMULPD Y5, Y6, Y6
	VADDPD logL1<>(SB), Y6, Y6
	VMULPD Y6, Y4, Y4 // t1
	VMULPD logL6<>(SB), Y5, Y6
	VADDPD logL4<>(SB), Y6, Y6
	VMULPD Y5, Y6, Y6
	VADDPD logL2<>(SB), Y6, Y6
	VMULPD Y6, Y5, Y5 // t2
	VADDPD Y5, Y4, Y4 // R
	VMULPD logHalf<>(SB), Y2, Y0
	VMULPD Y2, Y0, Y0 // hfsq
	VADDPD Y0, Y4, Y4 // hfsq + R
	VMULPD Y4, Y3, Y3 // s*(hfsq+R)
	VMULPD logLn2Lo<>(SB), Y1, Y4
	VADDPD Y4, Y3, Y3
	VSUBPD Y3, Y0, Y0 // hfsq - (...)
	VSUBPD Y2, Y0, Y0 // - f
	VMULPD logLn2Hi<>(SB), Y1, Y1
	VSUBPD Y0, Y1, Y1
	VMOVUPD Y1, (DI)(DX*8)

	ADDQ $4, DX
	DECQ CX
	JNZ loop

done:
	VZEROUPPER
	MOVQ DX, ret+48(FP)
	RET
