package biophys

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestMgBlockNEURON compares MgBlock with the block factor that NEURON
// computes in testdata/neuron/NMDA.mod (mgblock.json: [Mg] 0 to 2 mM, v -100
// to +60 mV). Same formula, same order of operations: only exp may differ,
// by an ulp or so.
func TestMgBlockNEURON(t *testing.T) {
	path := filepath.Join("testdata", "neuron", "mgblock.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Values []struct {
			Mg    float64 `json:"mg_mM"`
			V     float64 `json:"v_mV"`
			Block float64 `json:"block"`
		} `json:"values"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(g.Values) != 48 {
		t.Fatalf("%s: %d values, want 48", path, len(g.Values))
	}
	worst := 0.0
	for _, x := range g.Values {
		got := MgBlock(x.V, x.Mg)
		if d := math.Abs(got - x.Block); !(d <= 4e-16) {
			t.Errorf("MgBlock(%v mV, %v mM) = %.17g, NEURON %.17g", x.V, x.Mg, got, x.Block)
		} else {
			worst = math.Max(worst, d)
		}
	}
	t.Logf("%d values, max |difference| %.2g", len(g.Values), worst)
}

// TestMgBlockByHand checks MgBlock at voltages where the block is known in
// closed form: no Mg, 0 mV, and the half-block voltage ln([Mg]/3.57)/0.062.
func TestMgBlockByHand(t *testing.T) {
	cases := []struct {
		v, mg, want float64
	}{
		{-80, 0, 1},
		{20, 0, 1},
		{0, 1, 3.57 / 4.57},
		{0, 2, 3.57 / 5.57},
		{0, 3.57, 0.5},
		{math.Log(1/3.57) / 0.062, 1, 0.5},     // -20.53 mV
		{math.Log(2/3.57) / 0.062, 2, 0.5},     // -9.35 mV
		{math.Log(0.5/3.57) / 0.062, 0.5, 0.5}, // -31.71 mV
		{-1 / 0.062, 3.57, 1 / (1 + math.E)},   // exp(1)
	}
	for _, tc := range cases {
		if got := MgBlock(tc.v, tc.mg); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("MgBlock(%.4f mV, %v mM) = %.17g, want %.17g", tc.v, tc.mg, got, tc.want)
		}
	}
}

// TestNMDACurrent checks the NMDA kernel's contribution to the matrix at
// several voltages: current g B(v) (v - e) into the right-hand side and its
// numerical derivative (step 0.001 mV, as NEURON) into the diagonal, both
// scaled by 100/area.
func TestNMDACurrent(t *testing.T) {
	const g, e, mg, fac = 2e-3, 0.0, 1.0, 0.25 // uS, mV, mM, 100/area
	for _, v := range []float64{-90, -65, -40, -20, 0, 30} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			s := newExp2([]int32{0}, []float64{2}, []float64{100}, []float64{e}, []float64{mg})
			c := &Ctx{Dt: 0.025, V: []float64{v}, RHS: []float64{0}, D: []float64{0}, AreaFac: []float64{fac}}
			s.Init(c)
			s.b[0], s.a[0] = g, 0 // conductance b - a = g
			s.Current(c)
			block := 1 / (1 + math.Exp(-0.062*v)*mg/3.57)
			i := g * block * (v - e)
			vp := v + 0.001
			di := (g*(1/(1+math.Exp(-0.062*vp)*mg/3.57))*(vp-e) - i) / 0.001
			if math.Abs(c.RHS[0]-(-i*fac)) > 1e-15 {
				t.Errorf("RHS %.17g, want %.17g", c.RHS[0], -i*fac)
			}
			if math.Abs(c.D[0]-di*fac) > 1e-12 {
				t.Errorf("D %.17g, want %.17g", c.D[0], di*fac)
			}
		})
	}
}
