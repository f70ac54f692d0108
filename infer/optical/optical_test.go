package optical

import (
	"math"
	"testing"
)

// TestVoltageImaging: the Butterworth low-pass passes a constant, is 3 dB
// down at its cutoff and falls 40 dB a decade above it.
func TestVoltageImaging(t *testing.T) {
	const dt, fc = 0.1, 15.0
	flat := make([]float64, 1000)
	for i := range flat {
		flat[i] = -65
	}
	out, err := VoltageImaging(flat, dt, fc)
	if err != nil {
		t.Fatal(err)
	}
	for i, y := range out {
		if math.Abs(y+65) > 1e-9 {
			t.Fatalf("constant -65 mV gives %v at sample %d", y, i)
		}
	}
	gain := func(f float64) float64 {
		n := int(4000 / dt) // 4 s
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Sin(2 * math.Pi * f * float64(i) * dt / 1000)
		}
		y, err := VoltageImaging(x, dt, fc)
		if err != nil {
			t.Fatal(err)
		}
		peak := 0.0
		for _, v := range y[n/2:] {
			peak = math.Max(peak, math.Abs(v))
		}
		return peak
	}
	cases := []struct{ f, want, tol float64 }{{1, 1, 0.01}, {fc, 1 / math.Sqrt2, 0.01}, {10 * fc, 0.01, 0.002}}
	for _, c := range cases {
		if g := gain(c.f); math.Abs(g-c.want) > c.tol {
			t.Errorf("gain at %v Hz = %.4f, want %.4f", c.f, g, c.want)
		}
	}
	for _, bad := range [][2]float64{{0, 15}, {0.1, 0}, {0.1, 6000}} {
		if _, err := VoltageImaging(flat, bad[0], bad[1]); err == nil {
			t.Errorf("dt %v, cutoff %v: no error", bad[0], bad[1])
		}
	}
}

// TestFluorescence: at constant calcium ΔF/F stays 0; a step approaches
// the Hill equation's bound fraction with the binding time constant and
// falls back with the unbinding one; shot noise has the asked spread.
func TestFluorescence(t *testing.T) {
	ind := GCaMP6f
	const dt = 1.0
	n := 3000
	ca := make([]float64, n)
	for i := range ca {
		ca[i] = 5e-5
		if i >= 1000 && i < 2000 {
			ca[i] = 1e-3
		}
	}
	out, err := ind.Fluorescence(ca, dt, Noise{})
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != 0 || math.Abs(out[999]) > 1e-12 {
		t.Errorf("ΔF/F at rest = %v, %v; want 0", out[0], out[999])
	}
	bInf := func(c float64) float64 { x := math.Pow(c/ind.KdMM, ind.Hill); return x / (1 + x) }
	f := func(b float64) float64 { return 1 + (ind.DynamicRange-1)*b }
	f0, b0, b1 := f(bInf(5e-5)), bInf(5e-5), bInf(1e-3)
	// one binding time constant after the step: 1 - 1/e of the way
	k := 999 + int(math.Round(ind.TauOnMS/dt))
	bWant := b1 + (b0-b1)*math.Exp(-float64(k-999)*dt/ind.TauOnMS)
	if got, want := out[k], f(bWant)/f0-1; math.Abs(got-want) > 1e-9 {
		t.Errorf("ΔF/F one τ_on after the step = %v, want %v", got, want)
	}
	if peak := out[1999]; math.Abs(peak-(f(b1)/f0-1)) > 1e-3*(f(b1)/f0) {
		t.Errorf("ΔF/F at the end of 1 s at 1 µM = %v, want near the steady %v", peak, f(b1)/f0-1)
	}
	// falling: τ_off is the slower one
	half := 1999 + int(math.Round(ind.TauOffMS*math.Ln2/dt))
	if r := out[half] / out[1999]; r < 0.45 || r > 0.55 {
		t.Errorf("ΔF/F one half-decay after the step down: %v of its peak, want about 0.5", r)
	}
	noisy, err := ind.Fluorescence(make([]float64, 20000), dt, Noise{Photons: 400, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	mean, sq := 0.0, 0.0
	for _, x := range noisy {
		mean += x
		sq += x * x
	}
	mean /= float64(len(noisy))
	sd := math.Sqrt(sq/float64(len(noisy)) - mean*mean)
	if math.Abs(mean) > 0.003 || math.Abs(sd-0.05) > 0.003 {
		t.Errorf("shot noise at 400 photons: mean %v, sd %v; want 0 and 0.05", mean, sd)
	}
	bad := ind
	bad.KdMM = 0
	if _, err := bad.Fluorescence(ca, dt, Noise{}); err == nil {
		t.Error("Kd 0: no error")
	}
}
