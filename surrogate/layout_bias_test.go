package surrogate

import (
	"slices"
	"testing"
)

// TestBiasTensors: the layouts mark as biases exactly the offset rows of
// their joins (which training's weight decay leaves alone), each one row.
func TestBiasTensors(t *testing.T) {
	two := testArch(2, 3)
	two.AuxHeads = 2
	traces := testArch(1, 2)
	traces.Family, traces.TracesMS = TraceFamily, []float64{0, 2, 8}
	for _, tc := range []struct {
		name string
		a    Arch
		want []string
	}{
		{"cnn-lstm, two layers, training heads", two, []string{WConvBias,
			WLSTMBias(0, "f"), WLSTMBias(0, "g"), WLSTMBias(0, "i"), WLSTMBias(0, "o"),
			WLSTMBias(1, "f"), WLSTMBias(1, "g"), WLSTMBias(1, "i"), WLSTMBias(1, "o"),
			WHeadAuxB, WHeadSpikeB, WHeadVmB}},
		{"trace-lstm", traces, []string{WConvBias,
			WLSTMBias(0, "f"), WLSTMBias(0, "g"), WLSTMBias(0, "i"), WLSTMBias(0, "o"),
			WHeadSpikeB, WHeadVmB}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.a.Validate(); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, spec := range tc.a.Layout().Tensors {
				if spec.Bias {
					got = append(got, spec.Name)
					if spec.Rows != 1 {
						t.Errorf("bias %s has %d rows", spec.Name, spec.Rows)
					}
				}
			}
			slices.Sort(got)
			slices.Sort(tc.want)
			if !slices.Equal(got, tc.want) {
				t.Errorf("biases %v, want %v", got, tc.want)
			}
		})
	}
}
