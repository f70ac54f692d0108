package surrogate

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func encoded(t testing.TB, m *Model) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := m.Write(&buf, nil, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestModelRoundTrip(t *testing.T) {
	m := testModel(t, testArch(2, 4))
	m.Info["cell_name"] = "hh"
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Info["cell_name"] != "hh" || got.Arch.Hidden != m.Arch.Hidden || got.Norm.VScale != m.Norm.VScale {
		t.Errorf("metadata lost: %+v", got)
	}
	for k, w := range m.W {
		if !bytes.Equal(f32bytes(w.Data), f32bytes(got.W[k].Data)) {
			t.Errorf("%s changed", k)
		}
	}
	// The file is plain safetensors: 8-byte header length, JSON, data.
	b, _ := os.ReadFile(path)
	hl := binary.LittleEndian.Uint64(b[:8])
	if !strings.Contains(string(b[8:8+hl]), `"dtype":"F32"`) || int(hl)%8 != 0 {
		t.Errorf("header does not look like safetensors")
	}
}

func f32bytes(x []float32) []byte {
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, x)
	return buf.Bytes()
}

// TestModelBadFiles: truncated, corrupted, reshaped or foreign files get a
// clear error, never a panic.
func TestModelBadFiles(t *testing.T) {
	m := testModel(t, testArch(1, 3))
	good := encoded(t, m)
	hl := int(binary.LittleEndian.Uint64(good[:8]))
	header := string(good[8 : 8+hl])
	swap := func(old, new string) []byte {
		h := strings.Replace(header, old, new, 1)
		for len(h)%8 != 0 {
			h += " "
		}
		out := make([]byte, 8, 8+len(h)+len(good)-8-hl)
		binary.LittleEndian.PutUint64(out, uint64(len(h)))
		out = append(out, h...)
		return append(out, good[8+hl:]...)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "shorter than the 8-byte header"},
		{"truncated header", good[:20], "truncated"},
		{"truncated data", good[:len(good)-10], "outside"},
		{"not json", append(append([]byte{}, good[:8]...), bytes.Repeat([]byte{'x'}, hl)...), "not JSON"},
		{"huge header length", append([]byte{255, 255, 255, 255, 0, 0, 0, 0}, good[8:]...), "header length"},
		{"wrong dtype", swap(`"dtype":"F32"`, `"dtype":"F16"`), "dtype"},
		{"not ours", swap(`neurosurrogate-cnn-lstm/1`, `somebody-else/1`), "not a neurosurrogate model"},
		{"unknown family", swap(`neurosurrogate-cnn-lstm/1`, `neurosurrogate-gru/1`), `architecture family "gru" is not known to this program (known: cnn-lstm`},
		{"families disagree", swap(`{\"inputs\"`, `{\"family\":\"tcn\",\"inputs\"`), `the format names architecture family "cnn-lstm", the architecture "tcn"`},
		{"wrong shape", swap(`"shape":[3,6]`, `"shape":[6,3]`), "shape"},
		{"missing weight", swap(`"head.s.b"`, `"head.s.c"`), `weight "head.s.b" missing`},
		{"bad architecture", swap(`\"hidden\":8`, `\"hidden\":0`), "hidden"},
		{"negative refractory time", swap(`\"refractory_ms\":2`, `\"refractory_ms\":-1`), "refractory_ms -1"},
		{"threshold rise without a time constant", swap(`\"refractory_ms\":2`, `\"refractory_ms\":2,\"rise_p\":0.3`), "rise_tau_ms 0"},
		{"negative threshold rise", swap(`\"refractory_ms\":2`, `\"refractory_ms\":2,\"rise_p\":-0.3,\"rise_tau_ms\":5`), "rise_p -0.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := Decode("m.safetensors", tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "m.safetensors") {
				t.Fatalf("want an error naming the file and %q, got %v", tc.want, err)
			}
		})
	}
}

// TestModelDatasetStep: a model whose architecture's step disagrees with
// the sample step of the dataset it was trained on (times its sub-bins) is
// refused on load; one that agrees, or says nothing of its dataset, loads.
func TestModelDatasetStep(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dataset string // Info "dataset"; "-": none
		subBins int
		want    string // "": loads
	}{
		{"agrees", `{"sample_dt_ms":0.5,"traces":10}`, 0, ""},
		{"agrees with sub-bins", `{"sample_dt_ms":0.25}`, 2, ""},
		{"no dataset", "-", 0, ""},
		{"dataset without the step", `{"traces":10}`, 0, ""},
		{"twice the step", `{"sample_dt_ms":0.25}`, 0, "architecture sample_dt_ms 0.5 disagrees with the training dataset's (metadata \"dataset\"): sample_dt_ms 0.25 x sub_bins 1 = 0.25 ms"},
		{"sub-bins forgotten", `{"sample_dt_ms":0.5}`, 2, "sample_dt_ms 0.5 x sub_bins 2 = 1 ms"},
		{"not JSON", `{"sample_dt_ms":`, 0, `metadata "dataset" (the training dataset's settings) is not JSON`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := testArch(1, 2)
			if tc.subBins > 0 {
				a.SubBins = tc.subBins
				a.Inputs = WithSubBins(a.Inputs, tc.subBins)
			}
			m, err := New(a, Norm{VOffset: -65, VScale: 20, InputScale: make([]float32, len(a.Inputs))}, 3)
			if err != nil {
				t.Fatal(err)
			}
			for i := range m.Norm.InputScale {
				m.Norm.InputScale[i] = 1
			}
			if tc.dataset != "-" {
				m.Info["dataset"] = tc.dataset
			}
			path := filepath.Join(t.TempDir(), "m.safetensors")
			if err := m.Save(path); err != nil {
				t.Fatal(err)
			}
			_, err = Load(path)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path)):
				t.Fatalf("error %v, want one naming %s and %q", err, path, tc.want)
			}
		})
	}
}

// TestSplitModelDatasetStep: a model split into sub-bins keeps its step,
// so the settings of its training data move to InfoDatasetBeforeSplit and
// are checked against the step as they are.
func TestSplitModelDatasetStep(t *testing.T) {
	m := testModel(t, testArch(1, 2))
	m.Info[InfoDataset] = `{"sample_dt_ms":0.5}`
	split, err := m.SplitSubBins(2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := split.Info[InfoDataset]; ok || split.Info[InfoDatasetBeforeSplit] != m.Info[InfoDataset] {
		t.Fatalf("split model's info %v", split.Info)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "split.safetensors")
	if err := split.Save(path); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatal(err)
	}
	split.Info[InfoDatasetBeforeSplit] = `{"sample_dt_ms":0.25}`
	if err := split.Save(path); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), `(metadata "dataset_before_split"): sample_dt_ms 0.25 x sub_bins 1`) {
		t.Fatalf("error %v", err)
	}
}

// FuzzDecode: no input makes the loader panic; whatever it accepts is a
// complete, consistent model.
func FuzzDecode(f *testing.F) {
	m := testModel(f, testArch(1, 2))
	good := encoded(f, m)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, _, _, err := Decode("fuzz", data)
		if err != nil {
			return
		}
		for name, sh := range got.Arch.Shapes() {
			w := got.W[name]
			if w == nil || !equalShape(w.Shape, sh) {
				t.Fatalf("accepted a model without a proper %s", name)
			}
		}
	})
}

func TestReadoutSpikes(t *testing.T) {
	p := []float32{0, 0.9, 0.8, 0, 0, 0, 0, 0.7, 0, 0.95}
	for _, tc := range []struct {
		r    Readout
		want []float64
	}{
		{Readout{P: 0.5, RefractoryMS: 0}, []float64{0.75, 1.25, 3.75, 4.75}},
		{Readout{P: 0.5, RefractoryMS: 1}, []float64{0.75, 3.75, 4.75}},
		{Readout{P: 0.75, RefractoryMS: 2}, []float64{0.75, 4.75}},
		// A shift past the trace's end (5 ms) drops the spike.
		{Readout{P: 0.5, RefractoryMS: 1, ShiftMS: 1}, []float64{1.75, 4.75}},
		{Readout{P: 0.5, ShiftMS: 0.5}, []float64{1.25, 1.75, 4.25}},
		// The threshold rises by RiseP after a spike and decays back: 3 ms
		// on (2 past the refractory time) it is 0.5 + 0.3 e^-2 = 0.54.
		{Readout{P: 0.5, RefractoryMS: 1, RiseP: 0.3, RiseTauMS: 1}, []float64{0.75, 3.75, 4.75}},
		// 0.5 + 0.5 e^-0.5 = 0.80 > 0.7 at 3.75 ms; 0.74 < 0.95 at 4.75.
		{Readout{P: 0.5, RefractoryMS: 1, RiseP: 0.5, RiseTauMS: 4}, []float64{0.75, 4.75}},
		// Without a refractory time the rise alone stops the doublet at 1.25.
		{Readout{P: 0.5, RiseP: 0.35, RiseTauMS: 10}, []float64{0.75, 4.75}},
	} {
		got := tc.r.Spikes(p, 0.5)
		if len(got) != len(tc.want) {
			t.Fatalf("%+v: %v, want %v", tc.r, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("%+v: %v, want %v", tc.r, got, tc.want)
			}
		}
	}
}

func TestArchValidateSubBins(t *testing.T) {
	ok := Arch{Kernel: 2, Conv: 2, Hidden: 2, Layers: 1, SampleDT: 0.5, SubBins: 2}
	for _, tc := range []struct {
		sub    int
		inputs []Input
		want   string // "" = valid
	}{
		{2, WithSubBins([]Input{{Name: "a", Channels: []string{"x"}}}, 2), ""},
		{2, WithTiming(WithSubBins([]Input{{Name: "a", Channels: []string{"x"}}}, 2), func(string) bool { return true }), ""},
		{2, []Input{{Name: "a", Channels: []string{"x"}, Part: 2}}, "part 2 outside [0, 2)"},
		{2, []Input{{Name: "a", Channels: []string{"x"}, Part: -1}}, "part -1"},
		{2, []Input{{Name: "a", Channels: []string{"x"}, Part: 1}, {Name: "b", Channels: []string{"x"}, Part: 1}}, `channel "x" feeds inputs "a" and "b"`},
		{2, []Input{{Name: "a", Channels: []string{"x"}}}, "sub-bin 1 has other inputs"},
		{2, []Input{{Name: "a", Channels: []string{"x"}}, {Name: "b", Channels: []string{"y"}, Part: 1}}, "sub-bin 1 has other inputs"},
		{2, []Input{{Name: "a", Channels: []string{"x"}}, {Name: "b", Channels: []string{"x"}, Part: 1, Timing: true}}, "sub-bin 1 has other inputs"},
		{-1, []Input{{Name: "a", Channels: []string{"x"}}}, "sub_bins -1"},
		{MaxSubBins + 1, []Input{{Name: "a", Channels: []string{"x"}}}, "sub_bins"},
	} {
		a := ok
		a.Inputs, a.SubBins = tc.inputs, tc.sub
		err := a.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("sub_bins %d %+v: %v, want %q", tc.sub, tc.inputs, err, tc.want)
		}
	}
}

func TestArchValidate(t *testing.T) {
	ok := Arch{Kernel: 2, Conv: 2, Hidden: 2, Layers: 1, SampleDT: 0.5}
	for _, tc := range []struct {
		inputs []Input
		want   string // "" = valid
	}{
		{[]Input{{Name: "a", Channels: []string{"x"}}, {Name: "a.t", Channels: []string{"x"}, Timing: true}}, ""},
		{nil, "no inputs"},
		{[]Input{{Name: "a", Channels: []string{"x"}}, {Name: "a", Channels: []string{"y"}}}, "listed twice"},
		{[]Input{{Name: "a", Channels: []string{"x"}}, {Name: "b", Channels: []string{"y", "x"}}}, `channel "x" feeds inputs "a" and "b"`},
		{[]Input{{Name: "a", Channels: []string{"x"}, Timing: true}, {Name: "b", Channels: []string{"x"}, Timing: true}}, `channel "x" feeds inputs`},
		{[]Input{{Name: "a", Channels: nil}}, "at least one channel"},
		{[]Input{{Name: "a", Channels: []string{"x"}, DelaySteps: -1}}, "delay_steps"},
		{[]Input{{Name: "a", Channels: []string{"x"}, Part: 1}}, "part 1 outside [0, 1)"},
	} {
		a := ok
		a.Inputs = tc.inputs
		err := a.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.inputs, err, tc.want)
		}
	}
}

// TestLoadTooLarge: a model file beyond MaxModelBytes is refused by its
// size, before it is read (a sparse file: no disk used).
func TestLoadTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.safetensors")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxModelBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "big.safetensors") || !strings.Contains(err.Error(), "model files") {
		t.Fatalf("want a size error naming the file, got %v", err)
	}
}
