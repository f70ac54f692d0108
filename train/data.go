package train

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"neurosurrogate/biophys"
	"neurosurrogate/dataset"
	"neurosurrogate/surrogate"
)

// series is one trace prepared for training: normalized Vm, the model's
// inputs (uS per bin, summed over each input's channels) and spike targets.
type series struct {
	index int
	v     []float32 // mV, samples
	spike []float32 // 0/1 per bin
	// The model inputs (raw units), sparse: input j is nonzero at samples
	// at[off[j]:off[j+1]] (increasing), with values val[off[j]:off[j+1]].
	// Synaptic drive is zero in most bins: a 2 s Hay trace with one input
	// per synapse holds about 1% nonzero values, 3.2 MB dense.
	off []int
	at  []int32
	val []float32
	// rec holds the records the training heads learn (Config.Targets), per
	// target, as v.
	rec [][]float32
}

// newSeries makes a series of Vm v, spike targets spike and the dense
// inputs in ([input][sample], as long as v), stored sparsely.
func newSeries(index int, v, spike []float32, in [][]float32) *series {
	s := &series{index: index, v: v, spike: spike, off: make([]int, len(in)+1)}
	for j, x := range in {
		for k, y := range x[:len(v)] {
			if y != 0 {
				s.at, s.val = append(s.at, int32(k)), append(s.val, y)
			}
		}
		s.off[j+1] = len(s.at)
	}
	s.at, s.val = slices.Clone(s.at), slices.Clone(s.val) // no spare capacity: thousands of traces are kept
	return s
}

// input is input j's nonzero samples and values.
func (s *series) input(j int) (at []int32, val []float32) {
	return s.at[s.off[j]:s.off[j+1]], s.val[s.off[j]:s.off[j+1]]
}

// from is the index in at of the first sample >= k.
func from(at []int32, k int) int {
	i, _ := slices.BinarySearch(at, int32(max(k, 0)))
	return i
}

// GroupInputs decides which dataset channels feed which model input:
// "channels" gives every channel its own input; "class" sums channels of a
// class (exc, inh, clamp); "prefix" sums channels whose names agree up to
// the last underscore (exc_apic_12 -> exc_apic; names without one stand
// alone); "distance:N" splits every prefix group into N groups of about
// equal size by the synapses' path distance from the soma (cell needed).
//
// Timing channels are not grouped (WithTiming pairs them with the plain
// inputs).
func GroupInputs(mode string, chans []dataset.Channel, cell *biophys.Cell) ([]surrogate.Input, error) {
	key, bins, err := parseGrouping(mode)
	if err != nil {
		return nil, err
	}
	if bins > 0 && cell == nil {
		return nil, fmt.Errorf("grouping %q needs the cell description", mode)
	}
	var out []surrogate.Input
	pos := map[string]int{}
	for _, c := range chans {
		if c.Class == dataset.ClassTiming {
			continue
		}
		k := key(c)
		if k == "" {
			k = c.Name
		}
		i, ok := pos[k]
		if !ok {
			i = len(out)
			pos[k] = i
			out = append(out, surrogate.Input{Name: k})
		}
		out[i].Channels = append(out[i].Channels, c.Name)
	}
	if bins == 0 {
		return out, nil
	}
	var split []surrogate.Input
	for _, in := range out {
		type syn struct {
			name string
			d    float64
		}
		var ss []syn
		for _, ch := range in.Channels {
			i := cell.SynapseIndex(ch)
			if i < 0 {
				ss = nil
				break
			}
			sec, _ := cell.SectionIndex(cell.Synapses[i].Section)
			ss = append(ss, syn{ch, cell.PathDistance(sec, cell.Synapses[i].X)})
		}
		if ss == nil || len(ss) < 2*bins {
			split = append(split, in) // not synapses, or too few to split
			continue
		}
		sort.SliceStable(ss, func(a, b int) bool { return ss[a].d < ss[b].d })
		for b := 0; b < bins; b++ {
			part := surrogate.Input{Name: fmt.Sprintf("%s_d%d", in.Name, b)}
			for _, x := range ss[b*len(ss)/bins : (b+1)*len(ss)/bins] {
				part.Channels = append(part.Channels, x.name)
			}
			split = append(split, part)
		}
	}
	return split, nil
}

// CheckGrouping says whether mode is a grouping GroupInputs knows, before
// any data is read.
func CheckGrouping(mode string) error {
	_, _, err := parseGrouping(mode)
	return err
}

// parseGrouping turns a grouping mode into the key that groups channels
// and, for distance:N, the number of distance bins per key.
func parseGrouping(mode string) (key func(dataset.Channel) string, bins int, err error) {
	prefix := func(c dataset.Channel) string {
		if i := strings.LastIndexByte(c.Name, '_'); i > 0 {
			return c.Name[:i]
		}
		return c.Name
	}
	switch {
	case mode == "channels":
		return func(c dataset.Channel) string { return c.Name }, 0, nil
	case mode == "class":
		return func(c dataset.Channel) string { return c.Class }, 0, nil
	case mode == "prefix":
		return prefix, 0, nil
	case strings.HasPrefix(mode, "distance:"):
		n, err := strconv.Atoi(strings.TrimPrefix(mode, "distance:"))
		if err != nil || n < 1 || n > 64 {
			return nil, 0, fmt.Errorf("grouping %q: want distance:N with N in [1, 64]", mode)
		}
		return prefix, n, nil
	}
	return nil, 0, fmt.Errorf("grouping %q: want channels, class, prefix or distance:N", mode)
}

// WithTiming adds a timing twin to every input of synapse channels when
// the dataset has timing channels for them, and fails when it has none.
func WithTiming(inputs []surrogate.Input, st *dataset.Settings, dir string) ([]surrogate.Input, error) {
	if !st.HasTiming() {
		return nil, settingf("{timing}: %s has no timing channels (make the data with timing channels: generate --timing)", dir)
	}
	return surrogate.WithTiming(inputs, timedIn(st)), nil
}

// levelIn says which channels of a dataset hold a level through the bin
// (the current clamp) rather than a sum over it.
func levelIn(st *dataset.Settings) func(string) bool {
	level := map[string]bool{}
	for _, c := range st.Channels {
		if c.Class == "clamp" {
			level[c.Name] = true
		}
	}
	return func(c string) bool { return level[c] }
}

// timedIn says which channels of a dataset have a timing channel.
func timedIn(st *dataset.Settings) func(string) bool {
	tm := st.TimingOf()
	return func(c string) bool { _, ok := tm[c]; return ok }
}

// load reads traces and sums channels into model inputs; a timing input
// sums the timing channels of its synapses. With parts > 1 sub-bins per
// model step, step k is dataset samples k·parts .. k·parts+parts−1: its Vm
// is the first one's, input Part q reads sample k·parts+q, and it has a
// spike target if any of them has one.
func load(ds *corpus, idx []int, inputs []surrogate.Input, parts int, recs []int) ([]*series, error) {
	st := &ds.Meta().Settings
	names := st.ChannelNames()
	a := surrogate.Arch{Inputs: inputs, SubBins: parts}
	which, timing, err := a.SubIndex(names)
	if err != nil {
		return nil, err
	}
	timingOf := st.TimingOf()
	src := make([]int, len(names)) // channel -> the column its timing inputs read
	for _, tq := range timing {
		for c, j := range tq {
			if j < 0 {
				continue
			}
			t, ok := timingOf[names[c]]
			if !ok {
				return nil, fmt.Errorf("model input %q needs the timing of channel %q, which %s does not have (make the data with generate --timing)", inputs[j].Name, names[c], ds.Meta().Dir)
			}
			src[c] = t
		}
	}
	out := make([]*series, 0, len(idx))
	for _, i := range idx {
		tr, err := ds.Trace(i)
		if err != nil {
			return nil, err
		}
		n := len(tr.V) / parts
		v, spike, in := make([]float32, n), make([]float32, n), make([][]float32, len(inputs))
		for j := range in {
			in[j] = make([]float32, n)
		}
		for k := range v {
			v[k] = tr.V[k*parts]
		}
		for q := 0; q < parts; q++ {
			for c, d := range tr.Drive {
				if j := which[q][c]; j >= 0 {
					for k := range n {
						in[j][k] += d[k*parts+q]
					}
				}
				if j := timing[q][c]; j >= 0 {
					d := tr.Drive[src[c]]
					for k := range n {
						in[j][k] += d[k*parts+q]
					}
				}
			}
		}
		for k, x := range tr.Spike[:n*parts] {
			if x > 0 {
				spike[k/parts] = 1
			}
		}
		s := newSeries(i, v, spike, in)
		for _, c := range recs {
			y := make([]float32, n)
			for k := range y {
				y[k] = tr.Rec[c][k*parts]
				if math.IsNaN(float64(y[k])) || math.IsInf(float64(y[k]), 0) {
					return nil, fmt.Errorf("%s: trace %d has a non-finite %s", ds.Meta().Dir, i, ds.Meta().Records[c].Name)
				}
			}
			s.rec = append(s.rec, y)
		}
		for _, x := range s.v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("%s: trace %d has a non-finite Vm", ds.Meta().Dir, i)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// normalization computes the Vm offset and scale (mean and sd) and each
// input's scale (1/sd of its per-bin values) over the training traces.
func normalization(tr []*series, nIn int) surrogate.Norm {
	var n float64
	var sum, sum2 float64
	in := make([]float64, nIn)
	in2 := make([]float64, nIn)
	for _, s := range tr {
		for _, v := range s.v {
			sum += float64(v)
			sum2 += float64(v) * float64(v)
			n++
		}
		for j := range in {
			_, val := s.input(j)
			for _, x := range val {
				in[j] += float64(x)
				in2[j] += float64(x) * float64(x)
			}
		}
	}
	mean := sum / n
	sd := math.Sqrt(math.Max(sum2/n-mean*mean, 1e-6))
	norm := surrogate.Norm{VOffset: float32(mean), VScale: float32(sd), InputScale: make([]float32, nIn)}
	for j := range in {
		m := in[j] / n
		v := math.Sqrt(math.Max(in2[j]/n-m*m, 0))
		norm.InputScale[j] = 1
		if v > 0 {
			norm.InputScale[j] = float32(1 / v)
		}
	}
	return norm
}

// meanScale standardizes a quantity: (x − Mean)/Scale.
type meanScale struct{ Mean, Scale float64 }

// standardize is the mean and standard deviation of each of the n records
// the series hold (series.rec) over their samples from the from-th on; a
// record that never changes gets scale 1.
func standardize(set []*series, n, from int) []meanScale {
	out := make([]meanScale, n)
	for o := range out {
		var s, s2, cnt float64
		for _, tr := range set {
			for _, x := range tr.rec[o][min(from, len(tr.rec[o])):] {
				s, s2, cnt = s+float64(x), s2+float64(x)*float64(x), cnt+1
			}
		}
		mean := s / max(cnt, 1)
		sd := math.Sqrt(max(0, s2/max(cnt, 1)-mean*mean))
		if !(sd > 0) {
			sd = 1
		}
		out[o] = meanScale{mean, sd}
	}
	return out
}
