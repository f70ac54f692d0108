package surrogate

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"neurosurrogate/internal/atomicfile"
	"neurosurrogate/internal/inputerr"
	"slices"
	"sort"
	"strings"
)

// MaxModelBytes bounds a model file (1 GiB: a surrogate of 250 M
// float32 weights), so that a wrong or hostile file cannot take all memory.
const MaxModelBytes = 1 << 30

// FormatVersion is the model file format version.
const FormatVersion = 1

// Input is one model input channel: the sum of one or more dataset
// channels (synaptic drive columns, uS per sample bin).
type Input struct {
	Name     string   `json:"name"`
	Channels []string `json:"channels"`
	// DelaySteps postpones the input by that many samples before the
	// convolution sees it (0 to MaxInputDelay): a synapse far out on the
	// dendrite reaches the soma later than the conv kernel spans.
	DelaySteps int `json:"delay_steps,omitempty"`
	// Timing makes the input carry when in the bin its channels' events
	// came rather than how strong they were: the sum over the bin's events
	// of weight × (place in the bin − ½), see BinTiming. Beside the plain
	// input of the same channels it tells the model what binning hides; an
	// event shifted by δ ms changes an ExpSyn's conductance after the bin
	// by the factor exp(δ/τ), which is to first order what this carries.
	Timing bool `json:"timing,omitempty"`
	// Part is the sub-bin the input covers when the architecture splits
	// every sample bin into SubBins (0 to SubBins−1; 0 otherwise): its
	// events are those in [k·dt + Part·dt/P, k·dt + (Part+1)·dt/P), and a
	// timing input measures their offsets in sub-bins.
	Part int `json:"part,omitempty"`
}

// TimingSuffix ends the name of an input's timing twin (WithTiming).
const TimingSuffix = ".timing"

// BinTiming places an event at tMS in the sample bins of dt ms: its bin k
// (t in [k·dt, (k+1)·dt)) and its offset from the bin's middle in bins,
// in [−½, ½). A timing input adds weight × offset.
func BinTiming(tMS, dt float64) (k int, offset float64) {
	k = int(math.Floor(tMS / dt))
	return k, OffsetInBin(tMS, dt, k)
}

// OffsetInBin is an event's offset from the middle of bin k, in bins,
// kept within [−½, ½] when rounding puts the time just outside the bin.
func OffsetInBin(tMS, dt float64, k int) float64 {
	return min(max(tMS/dt-float64(k), 0), 1) - 0.5
}

// WithTiming returns inputs followed by a timing twin (same channels and
// delay, Timing set, named NAME.timing) of every plain input that has none
// and whose channels are all timed (synapses, not a current clamp).
func WithTiming(inputs []Input, timed func(channel string) bool) []Input {
	out := append([]Input(nil), inputs...)
	has := map[string]bool{}
	key := func(in Input) string { return fmt.Sprintf("%d\x00%s", in.Part, strings.Join(in.Channels, "\x00")) }
	for _, in := range inputs {
		if in.Timing {
			has[key(in)] = true
		}
	}
	for _, in := range inputs {
		if !in.Timing && !has[key(in)] && !slices.ContainsFunc(in.Channels, func(c string) bool { return !timed(c) }) {
			out = append(out, Input{Name: in.Name + TimingSuffix, Channels: append([]string(nil), in.Channels...), DelaySteps: in.DelaySteps, Timing: true, Part: in.Part})
		}
	}
	return out
}

// HasTiming says whether any input is a timing input.
func (a Arch) HasTiming() bool {
	for _, in := range a.Inputs {
		if in.Timing {
			return true
		}
	}
	return false
}

// MaxInputDelay bounds Input.DelaySteps.
const MaxInputDelay = 200

// Arch is the architecture: its family (the CNN-LSTM by default: a causal
// 1-D convolution over Vm, the model's own, fed back, and the input
// channels, Layers LSTM layers of Hidden units, and two dense heads: the
// next sample's Vm and the spike probability of the next bin), its inputs
// and sizes.
type Arch struct {
	// Family is the architecture family (Family; empty: DefaultFamily, the
	// CNN-LSTM). Model files carry it in their format string.
	Family   string  `json:"family,omitempty"`
	Inputs   []Input `json:"inputs"`
	Kernel   int     `json:"kernel"` // conv length in samples (1 = current sample only)
	Conv     int     `json:"conv"`   // conv output channels
	Hidden   int     `json:"hidden"`
	Layers   int     `json:"layers"`
	SampleDT float64 `json:"sample_dt_ms"`
	// Residual: the Vm head predicts the change from the current Vm input
	// rather than the next Vm itself.
	Residual bool `json:"residual,omitempty"`
	// FeedSpike: the model's own spike probability of the previous bin is
	// fed back as a second conv input beside its Vm, so it knows when it
	// fired.
	FeedSpike bool `json:"feed_spike,omitempty"`
	// InputDriven: the model does not hear its own Vm or spikes; it is a
	// function of its inputs alone, so its errors cannot compound through
	// what it feeds back. The convolution's Vm and spike rows (FedBack) are
	// zero and stay zero (training gives them no gradient; loading checks
	// them), and the Vm head predicts Vm itself (Residual is refused).
	InputDriven bool `json:"input_driven,omitempty"`
	// HearsSpikes (with InputDriven and FeedSpike): the input-driven model
	// hears its own spike probability, not its Vm. It learns when it fired
	// (how far it has recovered) from what it predicted, in training as in
	// use (its spike input is never the reference's).
	HearsSpikes bool `json:"hears_spikes,omitempty"`
	// HearsFired (with InputDriven and FeedSpike; not with HearsSpikes):
	// the input-driven model hears the spikes its readout fired (1 in the
	// bin the readout puts a spike in, else 0), not their probability. It
	// learns them teacher-forced on the reference's spikes, which is what
	// it hears in training; in use the Stream feeds back its readout's
	// spikes (Stream.Fired), so its spike history is as binary as in
	// training and it knows how long ago it fired.
	HearsFired bool `json:"hears_fired,omitempty"`
	// InputLags, if set, are the lags (in samples, increasing, from 0) at
	// which the convolution reads the inputs, in place of 0..Kernel-1: e.g.
	// 0, 1, 2, 3, 5, 8, 12, ..., 100 hears each synapse for 50 ms at the
	// cost of a few taps, where a PSP reaches the soma 5-26 ms after its
	// event. The fed-back Vm (and spike) keep lags 0..Kernel-1.
	InputLags []int `json:"input_lags,omitempty"`
	// TracesMS are the time constants (ms, increasing; 0 = the current
	// sample only) of the exponential traces through which a "trace-lstm"
	// model hears every input (TraceFamily): trace m of input j is
	// e(t) = exp(−SampleDT/τm)·e(t−1) + x_j(t). Other families have none.
	TracesMS []float64 `json:"traces_ms,omitempty"`
	// SubBins splits every sample bin into that many equal sub-bins, each
	// with its own inputs (Input.Part): the model steps every SampleDT but
	// hears when in the bin its input came at SampleDT/SubBins. 0 or 1: no
	// split.
	SubBins int `json:"sub_bins,omitempty"`
	// AuxHeads is the number of training heads: while a model trains, its
	// last layer's state also predicts that many extra targets (dataset
	// records, standardized: train --targets with --target-weight), so the
	// state learns them beside Vm and spikes. Inference does not use them,
	// and train drops them (StripAux) from the model it writes. 0: none.
	AuxHeads int `json:"aux_heads,omitempty"`
}

// MaxInputLag bounds Arch.InputLags (samples), MaxTaps their number.
const (
	MaxInputLag = 1000
	MaxTaps     = 64
)

// MaxAuxHeads bounds Arch.AuxHeads.
const MaxAuxHeads = 64

// Taps are the lags at which the convolution reads the inputs:
// InputLags, or 0..Kernel-1.
func (a Arch) Taps() []int {
	if len(a.InputLags) > 0 {
		return a.InputLags
	}
	t := make([]int, a.Kernel)
	for i := range t {
		t[i] = i
	}
	return t
}

// NumTaps is the number of columns per input in the drive the
// convolution reads (Chunk.DUnf): the taps (len(Taps())), or the traces of
// a trace-lstm model.
func (a Arch) NumTaps() int {
	if len(a.TracesMS) > 0 {
		return len(a.TracesMS)
	}
	if len(a.InputLags) > 0 {
		return len(a.InputLags)
	}
	return a.Kernel
}

// MaxSubBins bounds Arch.SubBins.
const MaxSubBins = 8

// Parts is the number of sub-bins per sample bin (1 without a split).
func (a Arch) Parts() int { return max(1, a.SubBins) }

// SubDT is the sub-bin width in ms (SampleDT without a split).
func (a Arch) SubDT() float64 { return a.SampleDT / float64(a.Parts()) }

// Place puts an event at tMS into its sample bin k, the sub-bin part of it,
// and its offset from the middle of that sub-bin in sub-bins (BinTiming).
func (a Arch) Place(tMS float64) (k, part int, offset float64) {
	P := a.Parts()
	kk, off := BinTiming(tMS, a.SubDT())
	k = kk / P
	if kk < 0 && kk%P != 0 {
		k--
	}
	return k, kk - k*P, off
}

// PlaceInBin is Place with the sample bin k given (as the network engine
// knows it), whatever rounding of tMS says.
func (a Arch) PlaceInBin(tMS float64, k int) (part int, offset float64) {
	P := a.Parts()
	sub := a.SubDT()
	part = min(max(int(math.Floor(tMS/sub))-k*P, 0), P-1)
	return part, OffsetInBin(tMS, sub, k*P+part)
}

// WithSubBins returns every input repeated for each of p sub-bins (Part
// set, named NAME.subP); p <= 1 returns the inputs unchanged.
func WithSubBins(inputs []Input, p int) []Input {
	if p <= 1 {
		return append([]Input(nil), inputs...)
	}
	out := make([]Input, 0, len(inputs)*p)
	for _, in := range inputs {
		for q := 0; q < p; q++ {
			c := in
			c.Channels = append([]string(nil), in.Channels...)
			c.Name, c.Part = fmt.Sprintf("%s%s%d", in.Name, SubBinInfix, q), q
			out = append(out, c)
		}
	}
	return out
}

// SubBinInfix joins an input's name and its sub-bin (WithSubBins).
const SubBinInfix = ".sub"

// MaxDelay is the longest input delay in samples.
func (a Arch) MaxDelay() int {
	d := 0
	for _, in := range a.Inputs {
		d = max(d, in.DelaySteps)
	}
	return d
}

// Cin is the number of conv input channels: Vm plus the inputs.
func (a Arch) Cin() int { return a.fed() + len(a.Inputs) }

// fed is the number of fed-back channels (Vm, and the spike if FeedSpike).
func (a Arch) fed() int {
	if a.FeedSpike {
		return 2
	}
	return 1
}

// Validate checks sizes.
func (a Arch) Validate() error {
	if err := a.checkFamily(); err != nil {
		return err
	}
	if err := a.family().Validate(a); err != nil {
		return err
	}
	switch {
	case len(a.Inputs) == 0:
		return fmt.Errorf("architecture: no inputs")
	case !(a.SampleDT > 0):
		return fmt.Errorf("architecture: sample_dt_ms %v must be positive", a.SampleDT)
	case len(a.InputLags) > MaxTaps:
		return fmt.Errorf("architecture: %d input_lags, at most %d", len(a.InputLags), MaxTaps)
	case a.SubBins < 0 || a.SubBins > MaxSubBins:
		return fmt.Errorf("architecture: sub_bins %d outside [0, %d]", a.SubBins, MaxSubBins)
	case a.AuxHeads < 0 || a.AuxHeads > MaxAuxHeads:
		return fmt.Errorf("architecture: aux_heads %d outside [0, %d]", a.AuxHeads, MaxAuxHeads)
	case a.InputDriven && a.Residual:
		return fmt.Errorf("architecture: input_driven and residual: an input-driven model predicts Vm, not its change from a Vm it does not hear")
	case a.HearsSpikes && !(a.InputDriven && a.FeedSpike):
		return fmt.Errorf("architecture: hears_spikes needs input_driven and feed_spike (an input-driven model that hears its own spikes)")
	case a.HearsFired && !(a.InputDriven && a.FeedSpike):
		return fmt.Errorf("architecture: hears_fired needs input_driven and feed_spike (an input-driven model that hears its own spikes)")
	case a.HearsFired && a.HearsSpikes:
		return fmt.Errorf("architecture: hears_fired and hears_spikes: a model hears either its fired spikes or their probability")
	}
	if a.InputDriven {
		if _, ok := a.Layout().Tensor(WConvVm); !ok {
			return fmt.Errorf("architecture family %s: input_driven needs the fed-back weights %s, which the family does not have", a.FamilyName(), WConvVm)
		}
	}
	for i, l := range a.InputLags {
		if l < 0 || l > MaxInputLag || i == 0 && l != 0 || i > 0 && l <= a.InputLags[i-1] {
			return fmt.Errorf("architecture: input_lags %v: want increasing lags from 0 to at most %d samples", a.InputLags, MaxInputLag)
		}
	}
	seen := map[string]bool{}
	type key struct {
		ch     string
		timing bool
		part   int
	}
	fed := map[key]string{}
	for i, in := range a.Inputs {
		if in.Name == "" || len(in.Channels) == 0 {
			return fmt.Errorf("architecture: input %d needs a name and at least one channel", i)
		}
		if in.Part < 0 || in.Part >= a.Parts() {
			return fmt.Errorf("architecture: input %q: part %d outside [0, %d) (sub_bins %d)", in.Name, in.Part, a.Parts(), a.SubBins)
		}
		for _, ch := range in.Channels {
			k := key{ch, in.Timing, in.Part}
			if o, ok := fed[k]; ok {
				return fmt.Errorf("architecture: channel %q feeds inputs %q and %q", ch, o, in.Name)
			}
			fed[k] = in.Name
		}
		if seen[in.Name] {
			return fmt.Errorf("architecture: input %q listed twice", in.Name)
		}
		if in.DelaySteps < 0 || in.DelaySteps > MaxInputDelay {
			return fmt.Errorf("architecture: input %q: delay_steps %d outside [0, %d]", in.Name, in.DelaySteps, MaxInputDelay)
		}
		seen[in.Name] = true
	}
	// Every sub-bin hears the same inputs: an event lands in any of them.
	if P := a.Parts(); P > 1 {
		parts := make([][]string, P)
		for _, in := range a.Inputs {
			parts[in.Part] = append(parts[in.Part], fmt.Sprintf("%v\x00%s", in.Timing, strings.Join(in.Channels, "\x00")))
		}
		for q := range parts {
			slices.Sort(parts[q])
			if !slices.Equal(parts[q], parts[0]) {
				return fmt.Errorf("architecture: sub-bin %d has other inputs than sub-bin 0 (every sub-bin needs the same channels)", q)
			}
		}
	}
	return nil
}

// Norm maps physical units to the network's: v_norm = (v - VOffset)/VScale,
// input_norm = drive_uS * InputScale[i].
type Norm struct {
	VOffset    float32   `json:"v_offset_mV"`
	VScale     float32   `json:"v_scale_mV"`
	InputScale []float32 `json:"input_scale_per_uS"`
}

// Readout turns the spike head into spike times: a spike is reported in a
// bin whose probability exceeds the threshold, unless one was reported less
// than RefractoryMS before, at the bin's middle plus ShiftMS. The threshold
// is P, raised after each spike (an adaptive threshold, as in
// spike-response models) by RiseP at the end of the refractory time,
// decaying back with time constant RiseTauMS: a spike head whose
// probability stays high after a spike then fires a doublet only where it
// climbs higher still.
type Readout struct {
	P            float32 `json:"p"`
	RefractoryMS float64 `json:"refractory_ms"`
	// ShiftMS (>= 0, a multiple of the sample step) is added to every
	// spike time, for a spike head that fires systematically early.
	ShiftMS   float64 `json:"shift_ms,omitempty"`
	RiseP     float32 `json:"rise_p,omitempty"`
	RiseTauMS float64 `json:"rise_tau_ms,omitempty"`
}

// Fires says whether a bin of spike probability p fires, sinceMS after the
// cell's last spike (at the same shift; +Inf or any huge value: none yet).
func (r Readout) Fires(p float32, sinceMS float64) bool {
	if p <= r.P || sinceMS < r.RefractoryMS {
		return false
	}
	if r.RiseP == 0 {
		return true
	}
	return float64(p) > float64(r.P)+float64(r.RiseP)*math.Exp(-(sinceMS-r.RefractoryMS)/r.RiseTauMS)
}

// check says what is wrong with a readout read from a file.
func (r Readout) check() error {
	if !(r.P > 0 && r.P < 1) || !(r.RefractoryMS >= 0) || !(r.ShiftMS >= 0) || math.IsInf(r.RefractoryMS+r.ShiftMS, 0) {
		return fmt.Errorf("p %v must be in (0, 1), refractory_ms %v and shift_ms %v finite and >= 0", r.P, r.RefractoryMS, r.ShiftMS)
	}
	if r.RiseP != 0 && (!(r.RiseP > 0) || math.IsInf(float64(r.RiseP), 0) || !(r.RiseTauMS > 0) || math.IsInf(r.RiseTauMS, 0)) {
		return fmt.Errorf("rise_p %v must be finite and >= 0, and with it rise_tau_ms %v finite and > 0", r.RiseP, r.RiseTauMS)
	}
	return nil
}

// Model is a surrogate neuron: architecture, normalization, weights, and
// provenance (cell, dataset, training, metrics).
type Model struct {
	Arch    Arch
	Norm    Norm
	Readout Readout
	W       map[string]*Tensor
	// Outputs are extra quantities the model predicts beside Vm and
	// spikes (train --outputs): linear readouts of its last layer's state.
	Outputs []Output
	// Info holds provenance as strings (JSON for structured values):
	// cell_name, cell_hash, cell_v_init_mV, cell_threshold_mV, dataset,
	// training, metrics.
	Info map[string]string
}

// Shapes lists every weight tensor the architecture needs (its Layout).
func (a Arch) Shapes() map[string][]int {
	s := map[string][]int{}
	for _, t := range a.Layout().Tensors {
		s[t.Name] = []int{t.Rows, t.Cols}
	}
	return s
}

// ParamCount is the number of trainable parameters.
func (a Arch) ParamCount() int {
	n := 0
	for _, sh := range a.Shapes() {
		k := 1
		for _, d := range sh {
			k *= d
		}
		n += k
	}
	return n
}

// ParamNames lists weight names in a fixed order.
func (a Arch) ParamNames() []string {
	var ns []string
	for n := range a.Shapes() {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// New makes a model with weights drawn from seeded uniform distributions
// (±1/sqrt(fan_in), PyTorch's default) and forget-gate biases of 1.
func New(a Arch, norm Norm, seed uint64) (*Model, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if len(norm.InputScale) != len(a.Inputs) {
		return nil, fmt.Errorf("normalization has %d input scales for %d inputs", len(norm.InputScale), len(a.Inputs))
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	m := &Model{Arch: a, Norm: norm, Readout: Readout{P: 0.5, RefractoryMS: 2}, W: map[string]*Tensor{}, Info: map[string]string{}}
	lay := a.Layout()
	for _, name := range a.ParamNames() {
		spec, _ := lay.Tensor(name)
		t := NewTensor(spec.Rows, spec.Cols)
		lim := 1 / math.Sqrt(float64(spec.FanIn))
		for i := range t.Data {
			t.Data[i] = float32((2*rng.Float64() - 1) * lim)
		}
		m.W[name] = t
	}
	// (after every draw, so the random stream is the same whatever Init does)
	for _, spec := range lay.Tensors {
		if spec.Init != nil {
			spec.Init(m.W[spec.Name].Data)
		}
	}
	if a.InputDriven {
		m.MakeInputDriven()
	}
	return m, nil
}

// ZeroedFeedback names the fed-back weights an input-driven model
// (Arch.InputDriven) holds at zero: those through which it would hear its
// own Vm, and its own spikes unless it hears them (HearsSpikes,
// HearsFired).
func (a Arch) ZeroedFeedback() []string {
	if a.FeedSpike && !a.HearsSpikes && !a.HearsFired {
		return []string{WConvVm, WConvSpike}
	}
	return []string{WConvVm}
}

// MakeInputDriven makes the model deaf to its own Vm and (unless it
// hears them) its spikes: it zeroes the weights that hear them
// (ZeroedFeedback) and marks the architecture InputDriven. What a model
// with feedback did with them is lost; training must make up for it.
func (m *Model) MakeInputDriven() {
	m.Arch.InputDriven = true
	for _, name := range m.Arch.ZeroedFeedback() {
		if t := m.W[name]; t != nil {
			clear(t.Data)
		}
	}
}

// Clone deep-copies the model.
func (m *Model) Clone() *Model {
	c := &Model{Arch: m.Arch, Norm: m.Norm, Readout: m.Readout, W: map[string]*Tensor{}, Info: map[string]string{}}
	c.Arch.Inputs = append([]Input(nil), m.Arch.Inputs...)
	c.Arch.InputLags = append([]int(nil), m.Arch.InputLags...)
	c.Arch.TracesMS = append([]float64(nil), m.Arch.TracesMS...)
	c.Norm.InputScale = append([]float32(nil), m.Norm.InputScale...)
	for k, t := range m.W {
		c.W[k] = &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
	}
	for k, v := range m.Info {
		c.Info[k] = v
	}
	return c
}

// formatPrefix starts a model file's format string, formatOf's.
const formatPrefix = "neurosurrogate-"

// formatOf is the format string of a model file of the family:
// neurosurrogate-FAMILY/VERSION.
func formatOf(family string) string {
	return fmt.Sprintf("%s%s/%d", formatPrefix, family, FormatVersion)
}

// Meta keys in the safetensors __metadata__.
const (
	metaFormat  = "format"
	metaArch    = "architecture"
	metaNorm    = "normalization"
	metaReadout = "readout"
	metaOutputs = "outputs"
)

// Write encodes the model as safetensors; extra tensors (e.g. optimizer
// state in a checkpoint) are stored beside the weights.
func (m *Model) Write(w io.Writer, extra map[string]*Tensor, extraMeta map[string]string) error {
	meta := map[string]string{metaFormat: formatOf(m.Arch.FamilyName())}
	for k, v := range m.Info {
		meta[k] = v
	}
	for k, v := range extraMeta {
		meta[k] = v
	}
	ab, _ := json.Marshal(m.Arch)
	nb, _ := json.Marshal(m.Norm)
	rb, _ := json.Marshal(m.Readout)
	meta[metaArch], meta[metaNorm], meta[metaReadout] = string(ab), string(nb), string(rb)
	all := map[string]*Tensor{}
	for k, t := range m.W {
		all[k] = t
	}
	if len(m.Outputs) > 0 {
		ob, _ := json.Marshal(m.Outputs)
		meta[metaOutputs] = string(ob)
		for i, o := range m.Outputs {
			all[OutW(i)] = &Tensor{Shape: []int{len(o.W), 1}, Data: o.W}
			all[OutB(i)] = &Tensor{Shape: []int{1, 1}, Data: []float32{o.B}}
		}
	}
	for k, t := range extra {
		all[k] = t
	}
	return WriteSafetensors(w, all, meta)
}

// Save writes the model atomically.
func (m *Model) Save(path string) error {
	return atomicfile.Write(path, func(w io.Writer) error { return m.Write(w, nil, nil) })
}

// Load reads and checks a model file.
func Load(path string) (*Model, error) {
	data, err := inputerr.ReadBinary(path, MaxModelBytes, "model files")
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m, _, _, err := Decode(path, data)
	return m, err
}

// Decode parses a model (and any extra tensors and metadata, as in a
// checkpoint) and checks that every weight the architecture needs is there
// with its shape and finite values.
func Decode(name string, data []byte) (*Model, map[string]*Tensor, map[string]string, error) {
	ts, meta, err := ReadSafetensors(name, data)
	if err != nil {
		return nil, nil, nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: not a neurosurrogate model: %s", name, fmt.Sprintf(format, args...))
	}
	f := meta[metaFormat]
	fam, ok := strings.CutPrefix(f, formatPrefix)
	fam, ok2 := strings.CutSuffix(fam, fmt.Sprintf("/%d", FormatVersion))
	if !ok || !ok2 || fam == "" {
		return nil, nil, nil, bad("metadata format is %q; want %s", f, formatOf("FAMILY"))
	}
	m := &Model{W: map[string]*Tensor{}, Info: map[string]string{}}
	if err := json.Unmarshal([]byte(meta[metaArch]), &m.Arch); err != nil {
		return nil, nil, nil, bad("architecture metadata: %v", err)
	}
	if m.Arch.Family != "" && m.Arch.Family != fam {
		return nil, nil, nil, bad("the format names architecture family %q, the architecture %q", fam, m.Arch.Family)
	}
	if m.Arch.Family = fam; fam == DefaultFamily {
		m.Arch.Family = ""
	}
	if err := m.Arch.checkFamily(); err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := m.Arch.Validate(); err != nil {
		return nil, nil, nil, bad("%v", err)
	}
	if err := json.Unmarshal([]byte(meta[metaNorm]), &m.Norm); err != nil {
		return nil, nil, nil, bad("normalization metadata: %v", err)
	}
	if len(m.Norm.InputScale) != len(m.Arch.Inputs) || !(m.Norm.VScale > 0) {
		return nil, nil, nil, bad("normalization does not fit the architecture (%d input scales for %d inputs, v scale %v)", len(m.Norm.InputScale), len(m.Arch.Inputs), m.Norm.VScale)
	}
	if err := json.Unmarshal([]byte(meta[metaReadout]), &m.Readout); err != nil {
		return nil, nil, nil, bad("readout metadata: %v", err)
	}
	if err := m.Readout.check(); err != nil {
		return nil, nil, nil, bad("readout metadata: %v", err)
	}
	for k, v := range meta {
		switch k {
		case metaFormat, metaArch, metaNorm, metaReadout, metaOutputs:
		default:
			m.Info[k] = v
		}
	}
	if ob, ok := meta[metaOutputs]; ok {
		if err := m.decodeOutputs(ob, ts); err != nil {
			return nil, nil, nil, bad("outputs: %v", err)
		}
	}
	if err := m.checkDataset(); err != nil {
		return nil, nil, nil, bad("%v", err)
	}
	for name, sh := range m.Arch.Shapes() {
		t, ok := ts[name]
		if !ok {
			return nil, nil, nil, bad("weight %q missing", name)
		}
		if !equalShape(t.Shape, sh) {
			return nil, nil, nil, bad("weight %q has shape %v; the architecture needs %v", name, t.Shape, sh)
		}
		for _, x := range t.Data {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, nil, nil, bad("weight %q holds a non-finite value", name)
			}
		}
		m.W[name] = t
		delete(ts, name)
	}
	if m.Arch.InputDriven {
		for _, name := range m.Arch.ZeroedFeedback() {
			if t := m.W[name]; t != nil && slices.ContainsFunc(t.Data, func(x float32) bool { return x != 0 }) {
				return nil, nil, nil, bad("weight %q of an input-driven model is not zero (it would hear its own Vm)", name)
			}
		}
	}
	return m, ts, meta, nil
}

// Info keys of the training data's settings (JSON): InfoDataset, of the
// dataset the model was trained on; InfoDatasetBeforeSplit, of the one the
// model was trained on before SplitSubBins split its bins.
const (
	InfoDataset            = "dataset"
	InfoDatasetBeforeSplit = "dataset_before_split"
)

// checkDataset cross-checks the architecture with the settings of the
// dataset the model was trained on, when the file has them: the model
// steps every sample_dt_ms x sub_bins of it (sample_dt_ms of the dataset
// before a split). A model whose step disagrees would run at the wrong
// step.
func (m *Model) checkDataset() error {
	for _, c := range []struct {
		key   string
		parts int
	}{{InfoDataset, m.Arch.Parts()}, {InfoDatasetBeforeSplit, 1}} {
		ds, ok := m.Info[c.key]
		if !ok {
			continue
		}
		var d struct {
			SampleDtMS *float64 `json:"sample_dt_ms"`
		}
		if err := json.Unmarshal([]byte(ds), &d); err != nil {
			return fmt.Errorf("metadata %q (the training dataset's settings) is not JSON: %v", c.key, err)
		}
		if d.SampleDtMS == nil {
			continue
		}
		want := *d.SampleDtMS * float64(c.parts)
		if !(math.Abs(m.Arch.SampleDT-want) <= 1e-9*want) {
			return fmt.Errorf("architecture sample_dt_ms %g disagrees with the training dataset's (metadata %q): sample_dt_ms %g x sub_bins %d = %g ms; the file was edited or damaged, and the model would run at the wrong step",
				m.Arch.SampleDT, c.key, *d.SampleDtMS, c.parts, want)
		}
	}
	return nil
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// WithAuxHeads is a copy of the model with n training heads (Arch.AuxHeads)
// drawn afresh as New draws them (seeded); its function is unchanged, as
// inference does not use them. n = 0 drops them (StripAux).
func (m *Model) WithAuxHeads(n int, seed uint64) (*Model, error) {
	a := m.Arch
	a.AuxHeads = n
	fresh, err := New(a, m.Norm, seed)
	if err != nil {
		return nil, err
	}
	c := m.Clone()
	c.Outputs = m.Outputs
	c.StripAux()
	c.Arch.AuxHeads = n
	if n > 0 {
		c.W[WHeadAux], c.W[WHeadAuxB] = fresh.W[WHeadAux], fresh.W[WHeadAuxB]
	}
	return c, nil
}

// StripAux drops the training heads: the model then computes the same
// (inference never used them) with none of its weights left for them.
func (m *Model) StripAux() {
	m.Arch.AuxHeads = 0
	delete(m.W, WHeadAux)
	delete(m.W, WHeadAuxB)
}
