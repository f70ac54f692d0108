//go:build !amd64 || purego

package activate

import "neurosurrogate/internal/cpu"

func lstmRowsVec(kern cpu.Level, rows, hd int, g []float32, ldg int, b, c []float32, ldc int, h []float32, ldh int) bool {
	return false
}

func tanhRowsVec(kern cpu.Level, rows, cols int, x []float32, ldx int, b, y []float32, ldy int) bool {
	return false
}

func cellBackVec(kern cpu.Level, rows, hd int, act, tc, cp, dh, dc, dz []float32) bool {
	return false
}

func cellFwdVec(kern cpu.Level, rows, hd int, act, cp, c, tc, h []float32) bool {
	return false
}
