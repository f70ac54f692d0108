//go:build !purego

#include "textflag.h"

// Vector versions of Exp32, Sigmoid32 and Tanh32 (fastmath.go) for the
// stream's activations: the same range reduction, polynomial and small-x
// branch of tanh, with fused multiply-adds, and 1/d as a reciprocal
// estimate refined by one Newton step (about 1 ulp) instead of a division.
//
// Constants, each repeated in eight lanes (memory operands of the AVX2
// code; the AVX-512 code broadcasts them into Z15..Z31):
// 0(+0): 88
DATA actV<>+0(SB)/4, $0x42b00000
DATA actV<>+4(SB)/4, $0x42b00000
DATA actV<>+8(SB)/4, $0x42b00000
DATA actV<>+12(SB)/4, $0x42b00000
DATA actV<>+16(SB)/4, $0x42b00000
DATA actV<>+20(SB)/4, $0x42b00000
DATA actV<>+24(SB)/4, $0x42b00000
DATA actV<>+28(SB)/4, $0x42b00000
// 1(+32): -87
DATA actV<>+32(SB)/4, $0xc2ae0000
DATA actV<>+36(SB)/4, $0xc2ae0000
DATA actV<>+40(SB)/4, $0xc2ae0000
DATA actV<>+44(SB)/4, $0xc2ae0000
DATA actV<>+48(SB)/4, $0xc2ae0000
DATA actV<>+52(SB)/4, $0xc2ae0000
DATA actV<>+56(SB)/4, $0xc2ae0000
DATA actV<>+60(SB)/4, $0xc2ae0000
// 2(+64): log2 e
DATA actV<>+64(SB)/4, $0x3fb8aa3b
DATA actV<>+68(SB)/4, $0x3fb8aa3b
DATA actV<>+72(SB)/4, $0x3fb8aa3b
DATA actV<>+76(SB)/4, $0x3fb8aa3b
DATA actV<>+80(SB)/4, $0x3fb8aa3b
DATA actV<>+84(SB)/4, $0x3fb8aa3b
DATA actV<>+88(SB)/4, $0x3fb8aa3b
DATA actV<>+92(SB)/4, $0x3fb8aa3b
// 3(+96): ln 2 head
DATA actV<>+96(SB)/4, $0x3f318000
DATA actV<>+100(SB)/4, $0x3f318000
DATA actV<>+104(SB)/4, $0x3f318000
DATA actV<>+108(SB)/4, $0x3f318000
DATA actV<>+112(SB)/4, $0x3f318000
DATA actV<>+116(SB)/4, $0x3f318000
DATA actV<>+120(SB)/4, $0x3f318000
DATA actV<>+124(SB)/4, $0x3f318000
// 4(+128): ln 2 tail
DATA actV<>+128(SB)/4, $0xb95e8083
DATA actV<>+132(SB)/4, $0xb95e8083
DATA actV<>+136(SB)/4, $0xb95e8083
DATA actV<>+140(SB)/4, $0xb95e8083
DATA actV<>+144(SB)/4, $0xb95e8083
DATA actV<>+148(SB)/4, $0xb95e8083
DATA actV<>+152(SB)/4, $0xb95e8083
DATA actV<>+156(SB)/4, $0xb95e8083
// 5(+160): 1/720
DATA actV<>+160(SB)/4, $0x3ab60b61
DATA actV<>+164(SB)/4, $0x3ab60b61
DATA actV<>+168(SB)/4, $0x3ab60b61
DATA actV<>+172(SB)/4, $0x3ab60b61
DATA actV<>+176(SB)/4, $0x3ab60b61
DATA actV<>+180(SB)/4, $0x3ab60b61
DATA actV<>+184(SB)/4, $0x3ab60b61
DATA actV<>+188(SB)/4, $0x3ab60b61
// 6(+192): 1/120
DATA actV<>+192(SB)/4, $0x3c088889
DATA actV<>+196(SB)/4, $0x3c088889
DATA actV<>+200(SB)/4, $0x3c088889
DATA actV<>+204(SB)/4, $0x3c088889
DATA actV<>+208(SB)/4, $0x3c088889
DATA actV<>+212(SB)/4, $0x3c088889
DATA actV<>+216(SB)/4, $0x3c088889
DATA actV<>+220(SB)/4, $0x3c088889
// 7(+224): 1/24
DATA actV<>+224(SB)/4, $0x3d2aaaab
DATA actV<>+228(SB)/4, $0x3d2aaaab
DATA actV<>+232(SB)/4, $0x3d2aaaab
DATA actV<>+236(SB)/4, $0x3d2aaaab
DATA actV<>+240(SB)/4, $0x3d2aaaab
DATA actV<>+244(SB)/4, $0x3d2aaaab
DATA actV<>+248(SB)/4, $0x3d2aaaab
DATA actV<>+252(SB)/4, $0x3d2aaaab
// 8(+256): 1/6
DATA actV<>+256(SB)/4, $0x3e2aaaab
DATA actV<>+260(SB)/4, $0x3e2aaaab
DATA actV<>+264(SB)/4, $0x3e2aaaab
DATA actV<>+268(SB)/4, $0x3e2aaaab
DATA actV<>+272(SB)/4, $0x3e2aaaab
DATA actV<>+276(SB)/4, $0x3e2aaaab
DATA actV<>+280(SB)/4, $0x3e2aaaab
DATA actV<>+284(SB)/4, $0x3e2aaaab
// 9(+288): 1/2
DATA actV<>+288(SB)/4, $0x3f000000
DATA actV<>+292(SB)/4, $0x3f000000
DATA actV<>+296(SB)/4, $0x3f000000
DATA actV<>+300(SB)/4, $0x3f000000
DATA actV<>+304(SB)/4, $0x3f000000
DATA actV<>+308(SB)/4, $0x3f000000
DATA actV<>+312(SB)/4, $0x3f000000
DATA actV<>+316(SB)/4, $0x3f000000
// 10(+320): 1
DATA actV<>+320(SB)/4, $0x3f800000
DATA actV<>+324(SB)/4, $0x3f800000
DATA actV<>+328(SB)/4, $0x3f800000
DATA actV<>+332(SB)/4, $0x3f800000
DATA actV<>+336(SB)/4, $0x3f800000
DATA actV<>+340(SB)/4, $0x3f800000
DATA actV<>+344(SB)/4, $0x3f800000
DATA actV<>+348(SB)/4, $0x3f800000
// 11(+352): 127 (integer)
DATA actV<>+352(SB)/4, $0x0000007f
DATA actV<>+356(SB)/4, $0x0000007f
DATA actV<>+360(SB)/4, $0x0000007f
DATA actV<>+364(SB)/4, $0x0000007f
DATA actV<>+368(SB)/4, $0x0000007f
DATA actV<>+372(SB)/4, $0x0000007f
DATA actV<>+376(SB)/4, $0x0000007f
DATA actV<>+380(SB)/4, $0x0000007f
// 12(+384): 1/256
DATA actV<>+384(SB)/4, $0x3b800000
DATA actV<>+388(SB)/4, $0x3b800000
DATA actV<>+392(SB)/4, $0x3b800000
DATA actV<>+396(SB)/4, $0x3b800000
DATA actV<>+400(SB)/4, $0x3b800000
DATA actV<>+404(SB)/4, $0x3b800000
DATA actV<>+408(SB)/4, $0x3b800000
DATA actV<>+412(SB)/4, $0x3b800000
// 13(+416): -1/3
DATA actV<>+416(SB)/4, $0xbeaaaaab
DATA actV<>+420(SB)/4, $0xbeaaaaab
DATA actV<>+424(SB)/4, $0xbeaaaaab
DATA actV<>+428(SB)/4, $0xbeaaaaab
DATA actV<>+432(SB)/4, $0xbeaaaaab
DATA actV<>+436(SB)/4, $0xbeaaaaab
DATA actV<>+440(SB)/4, $0xbeaaaaab
DATA actV<>+444(SB)/4, $0xbeaaaaab
// 14(+448): 2/15
DATA actV<>+448(SB)/4, $0x3e088889
DATA actV<>+452(SB)/4, $0x3e088889
DATA actV<>+456(SB)/4, $0x3e088889
DATA actV<>+460(SB)/4, $0x3e088889
DATA actV<>+464(SB)/4, $0x3e088889
DATA actV<>+468(SB)/4, $0x3e088889
DATA actV<>+472(SB)/4, $0x3e088889
DATA actV<>+476(SB)/4, $0x3e088889
// 15(+480): sign bit
DATA actV<>+480(SB)/4, $0x80000000
DATA actV<>+484(SB)/4, $0x80000000
DATA actV<>+488(SB)/4, $0x80000000
DATA actV<>+492(SB)/4, $0x80000000
DATA actV<>+496(SB)/4, $0x80000000
DATA actV<>+500(SB)/4, $0x80000000
DATA actV<>+504(SB)/4, $0x80000000
DATA actV<>+508(SB)/4, $0x80000000
GLOBL actV<>(SB), RODATA|NOPTR, $512

// Eight all-ones then eight zero lanes: the 32 bytes at 4*(8-n) mask the first n lanes.
DATA actMask<>+0(SB)/4, $0xffffffff
DATA actMask<>+4(SB)/4, $0xffffffff
DATA actMask<>+8(SB)/4, $0xffffffff
DATA actMask<>+12(SB)/4, $0xffffffff
DATA actMask<>+16(SB)/4, $0xffffffff
DATA actMask<>+20(SB)/4, $0xffffffff
DATA actMask<>+24(SB)/4, $0xffffffff
DATA actMask<>+28(SB)/4, $0xffffffff
DATA actMask<>+32(SB)/4, $0
DATA actMask<>+36(SB)/4, $0
DATA actMask<>+40(SB)/4, $0
DATA actMask<>+44(SB)/4, $0
DATA actMask<>+48(SB)/4, $0
DATA actMask<>+52(SB)/4, $0
DATA actMask<>+56(SB)/4, $0
DATA actMask<>+60(SB)/4, $0
GLOBL actMask<>(SB), RODATA|NOPTR, $64

// AVX-512: constants in registers. Z15 sign bit, Z16 88, Z17 -87,
// Z18 log2 e, Z19/Z20 ln 2 head/tail, Z21..Z25 1/720, 1/120, 1/24, 1/6,
// 1/2, Z26 1, Z27 127, Z28 1/256, Z30 -1/3, Z31 2/15.
#define LOADK512 \
	VBROADCASTSS actV<>+480(SB), Z15; \
	VBROADCASTSS actV<>+0(SB), Z16; \
	VBROADCASTSS actV<>+32(SB), Z17; \
	VBROADCASTSS actV<>+64(SB), Z18; \
	VBROADCASTSS actV<>+96(SB), Z19; \
	VBROADCASTSS actV<>+128(SB), Z20; \
	VBROADCASTSS actV<>+160(SB), Z21; \
	VBROADCASTSS actV<>+192(SB), Z22; \
	VBROADCASTSS actV<>+224(SB), Z23; \
	VBROADCASTSS actV<>+256(SB), Z24; \
	VBROADCASTSS actV<>+288(SB), Z25; \
	VBROADCASTSS actV<>+320(SB), Z26; \
	VBROADCASTSS actV<>+352(SB), Z27; \
	VBROADCASTSS actV<>+384(SB), Z28; \
	VBROADCASTSS actV<>+416(SB), Z30; \
	VBROADCASTSS actV<>+448(SB), Z31

// x = exp(x) (x clamped to [-87, 88]); clobbers t, p.
#define EXP512(x, t, p) \
	VMINPS Z16, x, x; \
	VMAXPS Z17, x, x; \
	VMULPS Z18, x, t; \
	VCVTPS2DQ t, t; \
	VCVTDQ2PS t, p; \
	VFNMADD231PS Z19, p, x; \
	VFNMADD231PS Z20, p, x; \
	VPADDD Z27, t, t; \
	VPSLLD $23, t, t; \
	VMOVAPS Z21, p; \
	VFMADD213PS Z22, x, p; \
	VFMADD213PS Z23, x, p; \
	VFMADD213PS Z24, x, p; \
	VFMADD213PS Z25, x, p; \
	VFMADD213PS Z26, x, p; \
	VFMADD213PS Z26, x, p; \
	VMULPS t, p, x

// out = 1/d, d unchanged; clobbers t.
#define RCP512(d, out, t) \
	VRCP14PS d, out; \
	VMOVAPS Z26, t; \
	VFNMADD231PS out, d, t; \
	VFMADD231PS t, out, out

// out = sigmoid(x); clobbers x, t.
#define SIGMOID512(x, out, t) \
	VPXORD Z15, x, x; \
	EXP512(x, out, t); \
	VADDPS Z26, x, x; \
	RCP512(x, out, t)

// out = tanh(x); clobbers x, t, u and K2.
#define TANH512(x, out, t, u) \
	VMOVAPS x, u; \
	VADDPS x, x, x; \
	EXP512(x, out, t); \
	VADDPS Z26, x, x; \
	RCP512(x, out, t); \
	VADDPS out, out, out; \
	VSUBPS out, Z26, out; \
	VMULPS u, u, x; \
	VMOVAPS Z31, t; \
	VFMADD213PS Z30, x, t; \
	VFMADD213PS Z26, x, t; \
	VMULPS u, t, t; \
	VCMPPS $1, Z28, x, K2; \
	VMOVAPS t, K2, out

// AVX2: constants from memory.
#define EXP256(x, t, p) \
	VMINPS actV<>+0(SB), x, x; \
	VMAXPS actV<>+32(SB), x, x; \
	VMULPS actV<>+64(SB), x, t; \
	VCVTPS2DQ t, t; \
	VCVTDQ2PS t, p; \
	VFNMADD231PS actV<>+96(SB), p, x; \
	VFNMADD231PS actV<>+128(SB), p, x; \
	VPADDD actV<>+352(SB), t, t; \
	VPSLLD $23, t, t; \
	VMOVUPS actV<>+160(SB), p; \
	VFMADD213PS actV<>+192(SB), x, p; \
	VFMADD213PS actV<>+224(SB), x, p; \
	VFMADD213PS actV<>+256(SB), x, p; \
	VFMADD213PS actV<>+288(SB), x, p; \
	VFMADD213PS actV<>+320(SB), x, p; \
	VFMADD213PS actV<>+320(SB), x, p; \
	VMULPS t, p, x

#define RCP256(d, out, t) \
	VRCPPS d, out; \
	VMOVUPS actV<>+320(SB), t; \
	VFNMADD231PS out, d, t; \
	VFMADD231PS t, out, out

#define SIGMOID256(x, out, t) \
	VXORPS actV<>+480(SB), x, x; \
	EXP256(x, out, t); \
	VADDPS actV<>+320(SB), x, x; \
	RCP256(x, out, t)

#define TANH256(x, out, t, u) \
	VMOVAPS x, u; \
	VADDPS x, x, x; \
	EXP256(x, out, t); \
	VADDPS actV<>+320(SB), x, x; \
	RCP256(x, out, t); \
	VADDPS out, out, out; \
	VMOVUPS actV<>+320(SB), t; \
	VSUBPS out, t, out; \
	VMULPS u, u, x; \
	VMOVUPS actV<>+448(SB), t; \
	VFMADD213PS actV<>+416(SB), x, t; \
	VFMADD213PS actV<>+320(SB), x, t; \
	VMULPS u, t, t; \
	VCMPPS $1, actV<>+384(SB), x, x; \
	VBLENDVPS x, t, out, out

// K3 = the lanes of a row's last, partial 16-lane chunk, for rows of BX
// values (none if BX is a multiple of 16); clobbers CX, R11.
#define TAILMASK512 \
	MOVQ BX, CX; \
	ANDQ $15, CX; \
	MOVQ $1, R11; \
	SHLQ CX, R11; \
	DECQ R11; \
	KMOVW R11, K3

// K1 = lanes of this 16-lane chunk inside the row (R13 values left; K3
// holds the mask of the last, partial chunk).
#define CHUNKMASK512 \
	KXNORW K1, K1, K1; \
	CMPQ R13, $16; \
	JGE 2(PC); \
	KMOVW K3, K1

// Y15 = lanes of this 8-lane chunk inside the row (R13 values left).
#define CHUNKMASK256 \
	MOVQ R13, R11; \
	MOVQ $8, R12; \
	CMPQ R11, R12; \
	CMOVQGT R12, R11; \
	NEGQ R11; \
	LEAQ actMask<>+32(SB), R12; \
	VMOVDQU (R12)(R11*4), Y15

// func lstmRowsAVX512(rows, hd int, gates *float32, ldg int, b *float32, c *float32, ldc int, h *float32, ldh int)
//
// For each of rows rows: with the gate pre-activations g[0:4hd] (i, f, g,
// o) plus the bias b[0:4hd], the cell state c[0:hd] becomes
// sigmoid(f) c + sigmoid(i) tanh(g) and h[0:hd] = sigmoid(o) tanh(c).
// g, c and h advance by ldg, ldc and ldh values per row. hd >= 1.
TEXT ·lstmRowsAVX512(SB), NOSPLIT, $0-72
	LOADK512
	MOVQ hd+8(FP), BX
	TAILMASK512
	MOVQ rows+0(FP), AX
	MOVQ gates+16(FP), SI
	MOVQ b+32(FP), R9
	MOVQ c+40(FP), DI
	MOVQ h+56(FP), R8
	MOVQ BX, DX
	SHLQ $2, DX
	LEAQ (DX)(DX*2), R10
	TESTQ AX, AX
	JEQ lstm512_done

lstm512_row:
	XORQ CX, CX
	MOVQ BX, R13

lstm512_col:
	CHUNKMASK512
	LEAQ (SI)(CX*1), R14
	LEAQ (R9)(CX*1), R15
	// input gate -> Z5
	VMOVUPS.Z (R14), K1, Z0
	VMOVUPS.Z (R15), K1, Z1
	VADDPS Z1, Z0, Z0
	SIGMOID512(Z0, Z5, Z2)
	// cell gate -> Z1; Z5 = i g
	VMOVUPS.Z (R14)(DX*2), K1, Z0
	VMOVUPS.Z (R15)(DX*2), K1, Z1
	VADDPS Z1, Z0, Z0
	TANH512(Z0, Z1, Z2, Z3)
	VMULPS Z1, Z5, Z5
	// forget gate -> Z1; Z5 = f c + i g
	VMOVUPS.Z (R14)(DX*1), K1, Z0
	VMOVUPS.Z (R15)(DX*1), K1, Z1
	VADDPS Z1, Z0, Z0
	SIGMOID512(Z0, Z1, Z2)
	VMOVUPS.Z (DI)(CX*1), K1, Z6
	VFMADD231PS Z6, Z1, Z5
	VMOVUPS Z5, K1, (DI)(CX*1)
	// output gate -> Z4; h = o tanh(c)
	VMOVUPS.Z (R14)(R10*1), K1, Z0
	VMOVUPS.Z (R15)(R10*1), K1, Z1
	VADDPS Z1, Z0, Z0
	SIGMOID512(Z0, Z4, Z2)
	VMOVAPS Z5, Z0
	TANH512(Z0, Z1, Z2, Z3)
	VMULPS Z1, Z4, Z1
	VMOVUPS Z1, K1, (R8)(CX*1)
	ADDQ $64, CX
	SUBQ $16, R13
	JG lstm512_col

	MOVQ ldg+24(FP), R11
	LEAQ (SI)(R11*4), SI
	MOVQ ldc+48(FP), R11
	LEAQ (DI)(R11*4), DI
	MOVQ ldh+64(FP), R11
	LEAQ (R8)(R11*4), R8
	DECQ AX
	JNZ lstm512_row

lstm512_done:
	VZEROUPPER
	RET

// func lstmRowsAVX2(rows, hd int, gates *float32, ldg int, b *float32, c *float32, ldc int, h *float32, ldh int)
//
// lstmRowsAVX512 on eight lanes, partial chunks with VMASKMOVPS.
TEXT ·lstmRowsAVX2(SB), NOSPLIT, $0-72
	MOVQ hd+8(FP), BX
	MOVQ rows+0(FP), AX
	MOVQ gates+16(FP), SI
	MOVQ b+32(FP), R9
	MOVQ c+40(FP), DI
	MOVQ h+56(FP), R8
	MOVQ BX, DX
	SHLQ $2, DX
	LEAQ (DX)(DX*2), R10
	TESTQ AX, AX
	JEQ lstm256_done

lstm256_row:
	XORQ CX, CX
	MOVQ BX, R13

lstm256_col:
	CHUNKMASK256
	LEAQ (SI)(CX*1), R14
	LEAQ (R9)(CX*1), R15
	VMASKMOVPS (R14), Y15, Y0
	VMASKMOVPS (R15), Y15, Y1
	VADDPS Y1, Y0, Y0
	SIGMOID256(Y0, Y5, Y2)
	VMASKMOVPS (R14)(DX*2), Y15, Y0
	VMASKMOVPS (R15)(DX*2), Y15, Y1
	VADDPS Y1, Y0, Y0
	TANH256(Y0, Y1, Y2, Y3)
	VMULPS Y1, Y5, Y5
	VMASKMOVPS (R14)(DX*1), Y15, Y0
	VMASKMOVPS (R15)(DX*1), Y15, Y1
	VADDPS Y1, Y0, Y0
	SIGMOID256(Y0, Y1, Y2)
	VMASKMOVPS (DI)(CX*1), Y15, Y6
	VFMADD231PS Y6, Y1, Y5
	VMASKMOVPS Y5, Y15, (DI)(CX*1)
	VMASKMOVPS (R14)(R10*1), Y15, Y0
	VMASKMOVPS (R15)(R10*1), Y15, Y1
	VADDPS Y1, Y0, Y0
	SIGMOID256(Y0, Y4, Y2)
	VMOVAPS Y5, Y0
	TANH256(Y0, Y1, Y2, Y3)
	VMULPS Y1, Y4, Y1
	VMASKMOVPS Y1, Y15, (R8)(CX*1)
	ADDQ $32, CX
	SUBQ $8, R13
	JG lstm256_col

	MOVQ ldg+24(FP), R11
	LEAQ (SI)(R11*4), SI
	MOVQ ldc+48(FP), R11
	LEAQ (DI)(R11*4), DI
	MOVQ ldh+64(FP), R11
	LEAQ (R8)(R11*4), R8
	DECQ AX
	JNZ lstm256_row

lstm256_done:
	VZEROUPPER
	RET

// func tanhRowsAVX512(rows, cols int, x *float32, ldx int, b *float32, y *float32, ldy int)
//
// y[j] = tanh(x[j] + b[j]) for j < cols, for rows rows of x and y (row
// strides ldx and ldy values). cols >= 1.
TEXT ·tanhRowsAVX512(SB), NOSPLIT, $0-56
	LOADK512
	MOVQ cols+8(FP), BX
	TAILMASK512
	MOVQ rows+0(FP), AX
	MOVQ x+16(FP), SI
	MOVQ b+32(FP), R9
	MOVQ y+40(FP), DI
	TESTQ AX, AX
	JEQ tanh512_done

tanh512_row:
	XORQ CX, CX
	MOVQ BX, R13

tanh512_col:
	CHUNKMASK512
	VMOVUPS.Z (SI)(CX*1), K1, Z0
	VMOVUPS.Z (R9)(CX*1), K1, Z1
	VADDPS Z1, Z0, Z0
	TANH512(Z0, Z1, Z2, Z3)
	VMOVUPS Z1, K1, (DI)(CX*1)
	ADDQ $64, CX
	SUBQ $16, R13
	JG tanh512_col

	MOVQ ldx+24(FP), R11
	LEAQ (SI)(R11*4), SI
	MOVQ ldy+48(FP), R11
	LEAQ (DI)(R11*4), DI
	DECQ AX
	JNZ tanh512_row

tanh512_done:
	VZEROUPPER
	RET

// func tanhRowsAVX2(rows, cols int, x *float32, ldx int, b *float32, y *float32, ldy int)
TEXT ·tanhRowsAVX2(SB), NOSPLIT, $0-56
	MOVQ cols+8(FP), BX
	MOVQ rows+0(FP), AX
	MOVQ x+16(FP), SI
	MOVQ b+32(FP), R9
	MOVQ y+40(FP), DI
	TESTQ AX, AX
	JEQ tanh256_done

tanh256_row:
	XORQ CX, CX
	MOVQ BX, R13

tanh256_col:
	CHUNKMASK256
	VMASKMOVPS (SI)(CX*1), Y15, Y0
	VMASKMOVPS (R9)(CX*1), Y15, Y1
	VADDPS Y1, Y0, Y0
	TANH256(Y0, Y1, Y2, Y3)
	VMASKMOVPS Y1, Y15, (DI)(CX*1)
	ADDQ $32, CX
	SUBQ $8, R13
	JG tanh256_col

	MOVQ ldx+24(FP), R11
	LEAQ (SI)(R11*4), SI
	MOVQ ldy+48(FP), R11
	LEAQ (DI)(R11*4), DI
	DECQ AX
	JNZ tanh256_row

tanh256_done:
	VZEROUPPER
	RET

// func cellFwdAVX512(rows, hd int, act, cp, c, tc, h *float32)
//
// The LSTM cell's forward step after the gates' tanh (Unrolled.forward,
// cellFwdRows), 16 lanes, partial chunks masked. Per row: act holds
// tanh(i/2) tanh(f/2) tanh(g) tanh(o/2) (4hd values) and gets σ(i) σ(f)
// tanh(g) σ(o) (σ(z) = (1 + tanh(z/2))/2); from the previous cell state cp,
// c = σ(f) cp + σ(i) tanh(g), tc = tanh(c), h = σ(o) tc. act advances by
// 4hd values per row, cp, c, tc and h by hd. hd >= 1.
TEXT ·cellFwdAVX512(SB), NOSPLIT, $0-56
	LOADK512
	MOVL $0x3f000000, R11
	VPBROADCASTD R11, Z29
	MOVQ hd+8(FP), BX
	TAILMASK512
	MOVQ rows+0(FP), AX
	MOVQ act+16(FP), SI
	MOVQ cp+24(FP), DI
	MOVQ c+32(FP), R8
	MOVQ tc+40(FP), R9
	MOVQ h+48(FP), R10
	MOVQ BX, DX
	SHLQ $2, DX
	LEAQ (DX)(DX*2), R15
	TESTQ AX, AX
	JEQ cellfwd_done

cellfwd_row:
	XORQ CX, CX
	MOVQ BX, R13

cellfwd_col:
	CHUNKMASK512
	LEAQ (SI)(CX*1), R14
	VMOVUPS.Z (R14), K1, Z0
	VMOVUPS.Z (R14)(DX*1), K1, Z1
	VMOVUPS.Z (R14)(DX*2), K1, Z2
	VMOVUPS.Z (R14)(R15*1), K1, Z3
	// σ = (1 + tanh(z/2))/2 for gates i, f, o
	VFMADD213PS Z29, Z29, Z0
	VFMADD213PS Z29, Z29, Z1
	VFMADD213PS Z29, Z29, Z3
	VMOVUPS Z0, K1, (R14)
	VMOVUPS Z1, K1, (R14)(DX*1)
	VMOVUPS Z3, K1, (R14)(R15*1)
	// c = σ(f) cp + σ(i) tanh(g)
	VMOVUPS.Z (DI)(CX*1), K1, Z4
	VMULPS Z2, Z0, Z5
	VFMADD231PS Z4, Z1, Z5
	VMOVUPS Z5, K1, (R8)(CX*1)
	// tc = tanh(c), h = σ(o) tc
	VMOVAPS Z5, Z6
	TANH512(Z6, Z7, Z8, Z9)
	VMOVUPS Z7, K1, (R9)(CX*1)
	VMULPS Z7, Z3, Z10
	VMOVUPS Z10, K1, (R10)(CX*1)
	ADDQ $64, CX
	SUBQ $16, R13
	JG cellfwd_col

	LEAQ (SI)(DX*4), SI
	ADDQ DX, DI
	ADDQ DX, R8
	ADDQ DX, R9
	ADDQ DX, R10
	DECQ AX
	JNZ cellfwd_row

cellfwd_done:
	VZEROUPPER
	RET

// func cellBackAVX512(rows, hd int, act, tc, cp, dh, dc, dz *float32)
//
// The LSTM cell's backward step (Unrolled.backward, cellBackRows) on 16
// lanes, partial chunks masked. Per row: act holds σ(i) σ(f) tanh(g) σ(o)
// (4hd values), tc tanh(c), cp the previous cell state, dh the gradient in
// h, dc the next step's dc·σ(f) on entry and this step's on return; dz
// (4hd values) gets the gradient in the gate pre-activations. act and dz
// advance by 4hd values per row, the others by hd. hd >= 1.
TEXT ·cellBackAVX512(SB), NOSPLIT, $0-64
	MOVQ hd+8(FP), BX
	TAILMASK512
	MOVL $0x3f800000, R11
	VPBROADCASTD R11, Z31
	MOVQ rows+0(FP), AX
	MOVQ act+16(FP), SI
	MOVQ tc+24(FP), DI
	MOVQ cp+32(FP), R8
	MOVQ dh+40(FP), R9
	MOVQ dc+48(FP), R10
	MOVQ dz+56(FP), R12
	MOVQ BX, DX
	SHLQ $2, DX
	LEAQ (DX)(DX*2), R15
	TESTQ AX, AX
	JEQ cellback_done

cellback_row:
	XORQ CX, CX
	MOVQ BX, R13

cellback_col:
	CHUNKMASK512
	LEAQ (SI)(CX*1), R14
	VMOVUPS.Z (R14), K1, Z0
	VMOVUPS.Z (R14)(DX*1), K1, Z1
	VMOVUPS.Z (R14)(DX*2), K1, Z2
	VMOVUPS.Z (R14)(R15*1), K1, Z3
	VMOVUPS.Z (DI)(CX*1), K1, Z4
	VMOVUPS.Z (R8)(CX*1), K1, Z5
	VMOVUPS.Z (R9)(CX*1), K1, Z6
	VMOVUPS.Z (R10)(CX*1), K1, Z7
	// dc = dh σ(o) (1 - tanh²c) + dc of the next step
	VMOVAPS Z31, Z8
	VFNMADD231PS Z4, Z4, Z8
	VMULPS Z3, Z6, Z9
	VFMADD231PS Z9, Z8, Z7
	// input gate: dc tanh(g) σ(i) (1 - σ(i))
	VSUBPS Z0, Z31, Z11
	VMULPS Z0, Z11, Z11
	VMULPS Z2, Z11, Z11
	VMULPS Z7, Z11, Z11
	// forget gate: dc c_prev σ(f) (1 - σ(f))
	VSUBPS Z1, Z31, Z12
	VMULPS Z1, Z12, Z12
	VMULPS Z5, Z12, Z12
	VMULPS Z7, Z12, Z12
	// cell gate: dc σ(i) (1 - tanh²g)
	VMOVAPS Z31, Z13
	VFNMADD231PS Z2, Z2, Z13
	VMULPS Z0, Z13, Z13
	VMULPS Z7, Z13, Z13
	// output gate: dh tanh c σ(o) (1 - σ(o))
	VSUBPS Z3, Z31, Z14
	VMULPS Z3, Z14, Z14
	VMULPS Z4, Z14, Z14
	VMULPS Z6, Z14, Z14
	// carried to the step before: dc σ(f)
	VMULPS Z1, Z7, Z7
	LEAQ (R12)(CX*1), R14
	VMOVUPS Z11, K1, (R14)
	VMOVUPS Z12, K1, (R14)(DX*1)
	VMOVUPS Z13, K1, (R14)(DX*2)
	VMOVUPS Z14, K1, (R14)(R15*1)
	VMOVUPS Z7, K1, (R10)(CX*1)
	ADDQ $64, CX
	SUBQ $16, R13
	JG cellback_col

	LEAQ (SI)(DX*4), SI
	LEAQ (R12)(DX*4), R12
	ADDQ DX, DI
	ADDQ DX, R8
	ADDQ DX, R9
	ADDQ DX, R10
	DECQ AX
	JNZ cellback_row

cellback_done:
	VZEROUPPER
	RET
