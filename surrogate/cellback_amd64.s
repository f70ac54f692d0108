//go:build !purego

#include "textflag.h"

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
	MOVQ BX, CX
	ANDQ $15, CX
	MOVQ $1, R11
	SHLQ CX, R11
	DECQ R11
	KMOVW R11, K3
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
	KXNORW K1, K1, K1
	CMPQ R13, $16
	JGE 2(PC)
	KMOVW K3, K1
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
