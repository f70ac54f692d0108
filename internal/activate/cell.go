package activate

import "neurosurrogate/internal/cpu"

// CellFwdRows is the LSTM cell's forward step for rows cells of hd units
// after the gates' tanh: act (rows x 4hd) holds tanh(i/2) tanh(f/2)
// tanh(g) tanh(o/2) and gets σ(i) σ(f) tanh(g) σ(o) (σ(z) = (1 +
// tanh(z/2))/2); from the previous cell state cp it writes c = σ(f) cp +
// σ(i) tanh(g), tc = tanh(c) and h = σ(o) tc (each rows x hd). On AVX-512 a
// vector kernel (activate_amd64.s).
func CellFwdRows(rows, hd int, act, cp, c, tc, h []float32) {
	CellFwdRowsOn(cpu.Best, rows, hd, act, cp, c, tc, h)
}

// CellFwdRowsOn is CellFwdRows on the kernel of level kern.
func CellFwdRowsOn(kern cpu.Level, rows, hd int, act, cp, c, tc, h []float32) {
	n := rows * hd
	if rows <= 0 || hd <= 0 {
		return
	}
	_, _, _, _, _ = act[4*n-1], cp[n-1], c[n-1], tc[n-1], h[n-1]
	if cellFwdVec(kern, rows, hd, act, cp, c, tc, h) {
		return
	}
	for b := 0; b < rows; b++ {
		a := act[b*4*hd : (b+1)*4*hd]
		sigmoidOfTanh(a[:2*hd])
		sigmoidOfTanh(a[3*hd:])
		cr := c[b*hd : (b+1)*hd]
		n := len(cr)
		si, sf, tg, cp := a[:n], a[hd:hd+n], a[2*hd:2*hd+n], cp[b*hd:b*hd+n]
		for j := range cr {
			cr[j] = sf[j]*cp[j] + si[j]*tg[j]
		}
	}
	TanhRowsOn(kern, rows, hd, c, hd, Zeros(hd), tc, hd)
	for b := 0; b < rows; b++ {
		hr := h[b*hd : (b+1)*hd]
		so, tc := act[b*4*hd+3*hd:b*4*hd+3*hd+len(hr)], tc[b*hd:b*hd+len(hr)]
		for j := range hr {
			hr[j] = so[j] * tc[j]
		}
	}
}

// CellBackRows is the LSTM cell's backward step for rows cells of hd
// units: from the gate activations act (rows x 4hd: σ(i) σ(f) tanh(g)
// σ(o)), tanh c (tc), the previous cell state cp and the gradient in h
// (dh), each rows x hd, and dc holding the next step's dc·σ(f), it writes
// the gradient in the gate pre-activations to dz (rows x 4hd) and this
// step's dc·σ(f) to dc. On AVX-512 a vector kernel (activate_amd64.s).
func CellBackRows(rows, hd int, act, tc, cp, dh, dc, dz []float32) {
	CellBackRowsOn(cpu.Best, rows, hd, act, tc, cp, dh, dc, dz)
}

// CellBackRowsOn is CellBackRows on the kernel of level kern.
func CellBackRowsOn(kern cpu.Level, rows, hd int, act, tc, cp, dh, dc, dz []float32) {
	n := rows * hd
	if rows <= 0 || hd <= 0 {
		return
	}
	_, _, _, _, _, _ = act[4*n-1], tc[n-1], cp[n-1], dh[n-1], dc[n-1], dz[4*n-1]
	if cellBackVec(kern, rows, hd, act, tc, cp, dh, dc, dz) {
		return
	}
	for b := 0; b < rows; b++ {
		a := act[b*4*hd : (b+1)*4*hd]
		dh := dh[b*hd : (b+1)*hd]
		n := len(dh) // (slices of one length: no bounds checks in the loop)
		tc, dcr, cp := tc[b*hd:b*hd+n], dc[b*hd:b*hd+n], cp[b*hd:b*hd+n]
		si, sf, tg, so := a[:n], a[hd:hd+n], a[2*hd:2*hd+n], a[3*hd:3*hd+n]
		dzr := dz[b*4*hd : (b+1)*4*hd]
		dzi, dzf, dzg, dzo := dzr[:n], dzr[hd:hd+n], dzr[2*hd:2*hd+n], dzr[3*hd:3*hd+n]
		for j := range dh {
			dc := dh[j]*so[j]*(1-tc[j]*tc[j]) + dcr[j]
			dzi[j] = dc * tg[j] * si[j] * (1 - si[j])
			dzf[j] = dc * cp[j] * sf[j] * (1 - sf[j])
			dzg[j] = dc * si[j] * (1 - tg[j]*tg[j])
			dzo[j] = dh[j] * tc[j] * so[j] * (1 - so[j])
			dcr[j] = dc * sf[j]
		}
	}
}

// sigmoidOfTanh turns tanh(z/2) into σ(z) = (1 + tanh(z/2))/2 in place.
func sigmoidOfTanh(a []float32) {
	for j, v := range a {
		a[j] = 0.5 + 0.5*v
	}
}

var zeroRow = make([]float32, 1024)

// Zeros is n zeros, for a bias-free TanhRows (read only: shared memory up
// to 1024 values).
func Zeros(n int) []float32 {
	if n > len(zeroRow) {
		return make([]float32, n)
	}
	return zeroRow[:n]
}
