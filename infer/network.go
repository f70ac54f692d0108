package infer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"neurosurrogate/internal/inputerr"
	"strconv"
	"strings"

	"neurosurrogate/biophys"
)

// Network is a network description (JSON): populations of one cell type
// each, driven by a surrogate model, background Poisson input, and
// projections between populations. The engine queries it; where it came
// from does not matter (Arbor's recipe).
type Network struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Seed        uint64 `json:"seed"`
	// WarmupMS is simulated before the measured period and left out of
	// every statistic, raster and comparison (cells start at rest, so the
	// first tens of ms are an onset transient). Spike times count from its
	// end; the warm-up's input events have negative times.
	WarmupMS    float64      `json:"warmup_ms,omitempty"`
	Populations []Population `json:"populations"`
	Projections []Projection `json:"projections,omitempty"`
	// Stimuli are timed inputs to populations (volleys, bursts).
	Stimuli []Stimulus `json:"stimuli,omitempty"`

	src   string
	lines map[string][]int // populations, projections: the line each element starts on
}

// Population is Count cells of one cell description driven by one model.
type Population struct {
	Name  string `json:"name"`
	Cell  string `json:"cell"`  // shipped cell name or path (relative to the network file)
	Model string `json:"model"` // shipped model name or path (relative to the network file)
	Count int    `json:"count"`
	// Background is independent Poisson input to every cell of the
	// population, one stream per cell and synapse.
	Background []Background `json:"background,omitempty"`
}

// Background drives synapses of every cell: either one named synapse, or
// every synapse of a class (all excitatory or inhibitory synapses, as the
// cell file marks them) with its own stream each.
type Background struct {
	Synapse  string  `json:"synapse,omitempty"`
	Class    string  `json:"class,omitempty"` // exc or inh
	RateHz   float64 `json:"rate_hz"`
	WeightUS float64 `json:"weight_uS"`
}

// Projection connects population From to population To onto synapse
// Synapse (or onto a random synapse of class Class) of each target cell.
type Projection struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Synapse string `json:"synapse,omitempty"`
	Class   string `json:"class,omitempty"`
	// Rule: "probability" (each pair independently with P) or "indegree"
	// (every target gets exactly K distinct random sources).
	Rule     string   `json:"rule"`
	P        *float64 `json:"p,omitempty"` // rule probability only
	K        *int     `json:"k,omitempty"` // rule indegree only
	Autapses bool     `json:"autapses,omitempty"`
	WeightUS Dist     `json:"weight_uS"`
	DelayMS  Dist     `json:"delay_ms"`
	// STP, if set, gives the connections Tsodyks–Markram short-term
	// plasticity; weight_uS is then their absolute efficacy.
	STP *STP `json:"stp,omitempty"`
}

// Dist is a number or a distribution {"dist": "uniform", "min":, "max":},
// {"dist": "normal", "mean":, "sd":} or {"dist": "lognormal", "mean":, "sd":}
// (mean and sd of the values, not of their log). Draws of weights are
// clipped at 0; draws of delays are rounded to the nearest multiple of the
// sample step, at least one step.
type Dist struct {
	Kind     string  `json:"dist"`
	Value    float64 `json:"value,omitempty"`
	Min, Max float64 `json:"-"`
	Mean, SD float64 `json:"-"`
	set      bool
	err      error // from decoding
}

// UnmarshalJSON accepts a number or a distribution object. A malformed
// distribution is kept as an error that validation reports with its field.
func (d *Dist) UnmarshalJSON(b []byte) error {
	d.err = d.parse(b)
	return nil
}

func (d *Dist) parse(b []byte) error {
	b = bytes.TrimSpace(b)
	d.set = true
	if len(b) > 0 && b[0] != '{' {
		d.Kind = "const"
		return json.Unmarshal(b, &d.Value)
	}
	var raw struct {
		Dist string   `json:"dist"`
		Min  *float64 `json:"min"`
		Max  *float64 `json:"max"`
		Mean *float64 `json:"mean"`
		SD   *float64 `json:"sd"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("a distribution: %v", err)
	}
	d.Kind = raw.Dist
	need := func(name string, p *float64) error {
		if p == nil {
			return fmt.Errorf("distribution %q needs %q", raw.Dist, name)
		}
		if math.IsNaN(*p) || math.IsInf(*p, 0) {
			return fmt.Errorf("distribution %q: %q is not finite", raw.Dist, name)
		}
		return nil
	}
	switch raw.Dist {
	case "uniform":
		if err := need("min", raw.Min); err != nil {
			return err
		}
		if err := need("max", raw.Max); err != nil {
			return err
		}
		d.Min, d.Max = *raw.Min, *raw.Max
		if d.Max < d.Min {
			return fmt.Errorf("uniform: max %g < min %g", d.Max, d.Min)
		}
	case "normal", "lognormal":
		if err := need("mean", raw.Mean); err != nil {
			return err
		}
		if err := need("sd", raw.SD); err != nil {
			return err
		}
		d.Mean, d.SD = *raw.Mean, *raw.SD
		if d.SD < 0 {
			return fmt.Errorf("%s: sd %g must not be negative", raw.Dist, d.SD)
		}
		if raw.Dist == "lognormal" && d.Mean <= 0 {
			return fmt.Errorf("lognormal: mean %g must be positive", d.Mean)
		}
	default:
		return fmt.Errorf("unknown distribution %q (want uniform, normal, lognormal, or a number)", raw.Dist)
	}
	return nil
}

// MarshalJSON writes a number or the distribution object.
func (d Dist) MarshalJSON() ([]byte, error) {
	switch d.Kind {
	case "uniform":
		return json.Marshal(map[string]any{"dist": d.Kind, "min": d.Min, "max": d.Max})
	case "normal", "lognormal":
		return json.Marshal(map[string]any{"dist": d.Kind, "mean": d.Mean, "sd": d.SD})
	}
	return json.Marshal(d.Value)
}

// Const makes a fixed value.
func Const(x float64) Dist { return Dist{Kind: "const", Value: x, set: true} }

// MeanValue is the distribution's mean.
func (d Dist) MeanValue() float64 {
	switch d.Kind {
	case "uniform":
		return (d.Min + d.Max) / 2
	case "normal", "lognormal":
		return d.Mean
	}
	return d.Value
}

// MaxNetworkBytes is the largest network description read: populations
// and projections are rules, not lists of cells, so real ones are a few
// kB; a larger file is refused before it is read.
const MaxNetworkBytes = 16 << 20

// LoadNetwork reads and checks a network description.
func LoadNetwork(path string) (*Network, error) {
	data, err := inputerr.ReadFile(path, MaxNetworkBytes, "network descriptions")
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	return ParseNetwork(path, data)
}

// ParseNetwork decodes and checks a network description. A leading UTF-8
// byte-order mark is skipped; more than MaxNetworkBytes is refused.
func ParseNetwork(name string, data []byte) (*Network, error) {
	if len(data) > MaxNetworkBytes {
		return nil, &inputerr.TooLargeError{File: name, Size: int64(len(data)), Limit: MaxNetworkBytes, What: "network descriptions"}
	}
	data = inputerr.TrimBOM(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	n := &Network{}
	if err := dec.Decode(n); err != nil {
		return nil, inputerr.FromJSON(name, data, err)
	}
	n.src = name
	n.lines = map[string][]int{"populations": biophys.ElementLines(data, "populations"), "projections": biophys.ElementLines(data, "projections"), "stimuli": biophys.ElementLines(data, "stimuli")}
	if err := n.validate(); err != nil {
		return nil, err
	}
	return n, nil
}

// Source is the file the description came from.
func (n *Network) Source() string { return n.src }

// errf is an error in the network file at field; a field inside a
// population or projection gets that element's line.
func (n *Network) errf(field, format string, args ...any) error {
	line := 0
	if key, rest, ok := strings.Cut(field, "["); ok {
		if i, err := strconv.Atoi(rest[:strings.IndexByte(rest+"]", ']')]); err == nil && i >= 0 && i < len(n.lines[key]) {
			line = n.lines[key][i]
		}
	}
	return &inputerr.Error{File: n.src, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Population returns the named population's index.
func (n *Network) Population(name string) int {
	for i, p := range n.Populations {
		if p.Name == name {
			return i
		}
	}
	return -1
}

func (n *Network) names() string {
	var s []string
	for _, p := range n.Populations {
		s = append(s, p.Name)
	}
	return strings.Join(s, ", ")
}

// validate checks what can be checked without the cells and models.
func (n *Network) validate() error {
	if len(n.Populations) == 0 {
		return n.errf("populations", "missing or empty")
	}
	if !(n.WarmupMS >= 0) || math.IsInf(n.WarmupMS, 0) {
		return n.errf("warmup_ms", "%v: must be a finite time >= 0", n.WarmupMS)
	}
	seen := map[string]bool{}
	for i, p := range n.Populations {
		f := fmt.Sprintf("populations[%d]", i)
		switch {
		case p.Name == "":
			return n.errf(f+".name", "missing")
		case seen[p.Name]:
			return n.errf(f+".name", "duplicate population %q", p.Name)
		case p.Cell == "":
			return n.errf(f+".cell", "missing")
		case p.Model == "":
			return n.errf(f+".model", "missing")
		case p.Count < 1:
			return n.errf(f+".count", "%d: must be at least 1", p.Count)
		case p.Count > math.MaxInt32:
			return n.errf(f+".count", "%d: more cells than the engine indexes (%d)", p.Count, math.MaxInt32)
		}
		seen[p.Name] = true
		for j, b := range p.Background {
			g := fmt.Sprintf("%s.background[%d]", f, j)
			if (b.Synapse == "") == (b.Class == "") {
				return n.errf(g, "give either synapse or class")
			}
			if b.Class != "" && b.Class != "exc" && b.Class != "inh" {
				return n.errf(g+".class", "%q: want exc or inh", b.Class)
			}
			if !(b.RateHz >= 0 && b.RateHz <= biophys.MaxRateHz) {
				return n.errf(g+".rate_hz", "%v: must lie in [0, %g] Hz", b.RateHz, biophys.MaxRateHz)
			}
			if !(b.WeightUS >= 0 && b.WeightUS <= biophys.MaxWeightUS) {
				return n.errf(g+".weight_uS", "%v: must lie in [0, %g] uS", b.WeightUS, biophys.MaxWeightUS)
			}
		}
	}
	for i, st := range n.Stimuli {
		f := fmt.Sprintf("stimuli[%d]", i)
		if n.Population(st.Population) < 0 {
			return n.errf(f+".population", "unknown population %q (have %s)", st.Population, n.names())
		}
		if field, err := st.check(); err != nil {
			if field != "" {
				f += "." + field
			}
			return n.errf(f, "%v", err)
		}
	}
	for i, pr := range n.Projections {
		f := fmt.Sprintf("projections[%d]", i)
		if n.Population(pr.From) < 0 {
			return n.errf(f+".from", "unknown population %q (have %s)", pr.From, n.names())
		}
		if n.Population(pr.To) < 0 {
			return n.errf(f+".to", "unknown population %q (have %s)", pr.To, n.names())
		}
		if (pr.Synapse == "") == (pr.Class == "") {
			return n.errf(f, "give either synapse or class")
		}
		if pr.Class != "" && pr.Class != "exc" && pr.Class != "inh" {
			return n.errf(f+".class", "%q: want exc or inh", pr.Class)
		}
		switch pr.Rule {
		case "probability":
			switch {
			case pr.P == nil:
				return n.errf(f+".p", "missing (rule probability connects each pair with probability p)")
			case pr.K != nil:
				return n.errf(f+".k", "applies to rule indegree, not probability")
			case !(*pr.P >= 0 && *pr.P <= 1):
				return n.errf(f+".p", "%v: a probability must lie in [0, 1]", *pr.P)
			}
		case "indegree":
			src := n.Populations[n.Population(pr.From)].Count
			if pr.From == pr.To && !pr.Autapses {
				src--
			}
			switch {
			case pr.K == nil:
				return n.errf(f+".k", "missing (rule indegree gives every target k distinct sources)")
			case pr.P != nil:
				return n.errf(f+".p", "applies to rule probability, not indegree")
			case *pr.K < 0 || *pr.K > src:
				return n.errf(f+".k", "%d: must lie in [0, %d] (distinct sources available)", *pr.K, src)
			}
		default:
			return n.errf(f+".rule", "%q: want probability or indegree", pr.Rule)
		}
		if pr.STP != nil {
			if field, err := pr.STP.check(); err != nil {
				return n.errf(f+".stp."+field, "%v", err)
			}
		}
		if err := pr.WeightUS.err; err != nil {
			return n.errf(f+".weight_uS", "%v", err)
		}
		if err := pr.DelayMS.err; err != nil {
			return n.errf(f+".delay_ms", "%v", err)
		}
		if !pr.WeightUS.set {
			return n.errf(f+".weight_uS", "missing")
		}
		if pr.WeightUS.Kind == "const" && !(pr.WeightUS.Value >= 0 && pr.WeightUS.Value <= biophys.MaxWeightUS) {
			return n.errf(f+".weight_uS", "%v: must lie in [0, %g] uS", pr.WeightUS.Value, biophys.MaxWeightUS)
		}
		if hi := pr.WeightUS.Max; pr.WeightUS.Kind == "uniform" && !(hi <= biophys.MaxWeightUS) {
			return n.errf(f+".weight_uS", "uniform max %v: weights up to %g uS are supported", hi, biophys.MaxWeightUS)
		}
		if hi := pr.WeightUS.Mean + 6*pr.WeightUS.SD; (pr.WeightUS.Kind == "normal" || pr.WeightUS.Kind == "lognormal") && !(hi <= biophys.MaxWeightUS) {
			return n.errf(f+".weight_uS", "mean + 6 sd = %v: weights up to %g uS are supported", hi, biophys.MaxWeightUS)
		}
		if !pr.DelayMS.set {
			return n.errf(f+".delay_ms", "missing")
		}
		if pr.DelayMS.Kind == "const" && !(pr.DelayMS.Value > 0) {
			return n.errf(f+".delay_ms", "%v: must be positive", pr.DelayMS.Value)
		}
		if pr.DelayMS.Kind == "uniform" && !(pr.DelayMS.Min > 0) {
			return n.errf(f+".delay_ms", "uniform min %v: delays must be positive", pr.DelayMS.Min)
		}
	}
	return nil
}
