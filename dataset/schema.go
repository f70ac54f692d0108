package dataset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"

	"neurosurrogate/biophys"
)

// Format identifies the file layout; readers refuse other formats.
const Format = "neurosurrogate-traces/1"

// Generator names the code that drew and simulated the traces. It changes
// whenever the same arguments would give different data.
const Generator = "neurosurrogate-dataset/1.0"

// Column names. Drive columns are named after the cell's synapses.
const (
	ColTrace  = "trace"
	ColTime   = "t_ms"
	ColV      = "v_soma"
	ColSpike  = "spike"
	ColParams = "params"
	// ColClamp is the injected current channel, present when current steps
	// are enabled.
	ColClamp = "i_clamp"
)

// Schema metadata keys.
const (
	MetaFormat    = "format"    // Format
	MetaGenerator = "generator" // Generator
	MetaSettings  = "settings"  // Settings as JSON (identical in every shard)
	MetaShard     = "shard"     // ShardInfo as JSON
	MetaCell      = "cell"      // the cell description as canonical JSON
	MetaSampling  = "sampling"  // SamplingDoc
)

// SamplingDoc states what the columns mean; it is stored in every file.
const SamplingDoc = "One row per trace; every list column has `samples` entries k = 0..samples-1 at t_k = k*sample_dt_ms. " +
	"v_soma[k] is the spike-site membrane potential (mV) at t_k (v_soma[0] = v_init). " +
	"A synapse column [k] is the summed weight (uS) of the input events onto that synapse with time in [t_k, t_k+1). " +
	"A timing column SYN.timing (class timing, present when generated with timing) [k] is the sum over the same events of weight x (t/sample_dt - k - 1/2): where in the bin they came. " +
	"i_clamp[k] (if present) is the injected current (nA) during [t_k, t_k+1). " +
	"spike[k] is the number of spike-site threshold crossings recorded in (t_k, t_k+1] (NEURON's end-of-step times). " +
	"So a model that sees v_soma[k] and the drive at k predicts v_soma[k+1] and spike[k]. " +
	"Shard i of n holds the traces j with j % n == i, in increasing order."

// ShardRule is how traces are assigned to shards.
const ShardRule = "trace % shards == shard"

// Channel is one input column of the dataset: a synapse, the sub-bin
// timing of a synapse's events, or the current clamp.
type Channel struct {
	Name  string `json:"name"`
	Class string `json:"class"`          // "exc", "inh", "timing" or "clamp"
	Kind  string `json:"kind,omitempty"` // synapse kind (ExpSyn, ...)
	Unit  string `json:"unit"`           // "uS/bin" (summed weight), "uS*bin" (timing) or "nA"
	// Of names the synapse channel a timing channel times.
	Of string `json:"of,omitempty"`
}

// ClassTiming is the class of timing channels.
const ClassTiming = "timing"

// TimingSuffix ends a timing channel's name: SYN.timing.
const TimingSuffix = ".timing"

// IsSynapse says whether the channel is a synapse's drive.
func (c Channel) IsSynapse() bool { return c.Class != "clamp" && c.Class != ClassTiming }

// HasTiming says whether the dataset has timing channels.
func (s *Settings) HasTiming() bool {
	for _, c := range s.Channels {
		if c.Class == ClassTiming {
			return true
		}
	}
	return false
}

// TimingOf maps each synapse channel's name to the index of its timing
// channel (absent: none).
func (s *Settings) TimingOf() map[string]int {
	out := map[string]int{}
	for i, c := range s.Channels {
		if c.Class == ClassTiming {
			out[c.Of] = i
		}
	}
	return out
}

// Settings are everything that determines a dataset except the shard index;
// all shards of a dataset have identical Settings. They are stored as JSON
// under the schema metadata key "settings".
type Settings struct {
	Format       string    `json:"format"`
	Generator    string    `json:"generator"`
	CellName     string    `json:"cell"`
	CellSHA256   string    `json:"cell_sha256"`
	DtMS         float64   `json:"dt_ms"`
	SampleDtMS   float64   `json:"sample_dt_ms"`
	DurationMS   float64   `json:"duration_ms"`
	Samples      int       `json:"samples"`
	Traces       int       `json:"traces"`
	Seed         uint64    `json:"seed"`
	Shards       int       `json:"shards"`
	ShardRule    string    `json:"shard_rule"`
	RowsPerBatch int       `json:"rows_per_batch"`
	Compression  string    `json:"compression"` // "none" or "lz4" (Arrow IPC buffer compression, LZ4 frame)
	Channels     []Channel `json:"channels"`
	Regimes      Regimes   `json:"regimes"`
	// Records are quantities recorded beside v_soma (generate --record):
	// one column each, named by its probe (biophys.ParseProbe).
	Records []Record `json:"records,omitempty"`
}

// Record is a recorded column: a probe of the reference cell, sampled at
// every t_k as v_soma is.
type Record struct {
	Name string `json:"name"` // the probe, NAME@SECTION(X)
	Unit string `json:"unit"`
}

// ShardInfo is the per-file part of the metadata (key "shard").
type ShardInfo struct {
	Index  int `json:"index"`
	Count  int `json:"count"`
	Traces int `json:"traces"` // traces in this shard
}

// ShardTraces is the number of traces shard i of n holds out of total.
func ShardTraces(total, i, n int) int {
	if i >= total {
		return 0
	}
	return (total-1-i)/n + 1
}

// ShardFileName is the file name of shard i of n.
func ShardFileName(i, n int) string { return fmt.Sprintf("shard-%05d-of-%05d.arrow", i, n) }

// ChannelNames lists the input channels in column order.
func (s *Settings) ChannelNames() []string {
	out := make([]string, len(s.Channels))
	for i, c := range s.Channels {
		out[i] = c.Name
	}
	return out
}

// json encodes the settings canonically.
func (s *Settings) json() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// maxSamples bounds the samples per trace (a FixedSizeList length is int32).
const maxSamples = 1 << 28

// validate checks a decoded Settings for consistency (a reader's check on
// metadata it did not write itself).
func (s *Settings) validate() error {
	switch {
	case s.Format != Format:
		return fmt.Errorf("format %q; this reader reads %q", s.Format, Format)
	case !(s.DtMS > 0) || !finite(s.DtMS):
		return fmt.Errorf("dt_ms %v: must be positive", s.DtMS)
	case !(s.SampleDtMS > 0) || !finite(s.SampleDtMS):
		return fmt.Errorf("sample_dt_ms %v: must be positive", s.SampleDtMS)
	case !(s.DurationMS > 0) || !finite(s.DurationMS):
		return fmt.Errorf("duration_ms %v: must be positive", s.DurationMS)
	case s.Samples < 1 || s.Samples > maxSamples:
		return fmt.Errorf("samples %d: out of range", s.Samples)
	case math.Abs(float64(s.Samples)*s.SampleDtMS-s.DurationMS) > 1e-6*s.DurationMS:
		return fmt.Errorf("samples %d x sample_dt_ms %g != duration_ms %g", s.Samples, s.SampleDtMS, s.DurationMS)
	case s.Traces < 1 || s.Traces > math.MaxInt32:
		return fmt.Errorf("traces %d: out of range", s.Traces)
	case s.Shards < 1 || s.Shards > 99999:
		return fmt.Errorf("shards %d: out of range 1..99999", s.Shards)
	case s.RowsPerBatch < 1 || s.RowsPerBatch > 1<<20:
		return fmt.Errorf("rows_per_batch %d: out of range", s.RowsPerBatch)
	case len(s.Channels) == 0 || len(s.Channels) > 1<<16:
		return fmt.Errorf("%d channels: want 1..65536", len(s.Channels))
	case s.Compression != "none" && s.Compression != "lz4":
		return fmt.Errorf("compression %q: want none or lz4", s.Compression)
	case s.ShardRule != ShardRule:
		return fmt.Errorf("shard_rule %q: want %q", s.ShardRule, ShardRule)
	}
	seen := map[string]bool{}
	for _, n := range reservedColumns {
		seen[n] = true
	}
	for i, c := range s.Channels {
		if c.Name == "" || seen[c.Name] {
			return fmt.Errorf("channel %d: name %q is empty, reserved or repeated", i, c.Name)
		}
		seen[c.Name] = true
	}
	for i, r := range s.Records {
		if seen[r.Name] || r.Name == ColClamp {
			return fmt.Errorf("record %d: name %q is reserved or repeated", i, r.Name)
		}
		if _, err := biophys.ParseProbe(r.Name); err != nil {
			return fmt.Errorf("record %d: %v", i, err)
		}
		seen[r.Name] = true
	}
	timed := map[string]bool{}
	index := make(map[string]int, len(s.Channels))
	for i, c := range s.Channels {
		index[c.Name] = i
	}
	for i, c := range s.Channels {
		if c.Class != ClassTiming {
			continue
		}
		j, ok := index[c.Of]
		switch {
		case !ok || !s.Channels[j].IsSynapse():
			return fmt.Errorf("channel %d %q: times %q, which is not a synapse channel", i, c.Name, c.Of)
		case timed[c.Of]:
			return fmt.Errorf("channel %d %q: synapse %q has two timing channels", i, c.Name, c.Of)
		}
		timed[c.Of] = true
	}
	return s.Regimes.Validate()
}

var reservedColumns = []string{ColTrace, ColTime, ColV, ColSpike, ColParams}

// TrainTogether says whether two datasets can be trained on as one (their
// traces numbered one after another): the same cell, steps, sampling,
// length, channels and records. They may differ in how and how many
// traces were drawn (seed, traces, input regimes) and in how they are
// stored (shards, batches, compression). It returns "" or the settings
// that differ, as "path a vs b".
func TrainTogether(a, b *Settings) string {
	free := func(path string) bool {
		root, _, _ := strings.Cut(path, ".")
		root, _, _ = strings.Cut(root, "[")
		switch root {
		case "seed", "traces", "regimes", "shards", "shard_rule", "rows_per_batch", "compression", "generator":
			return true
		}
		return false
	}
	return diffLeaves(a, b, free)
}

// diffSettings names the settings that differ between two shards, as
// "path a vs b" for each differing leaf (at most 6).
func diffSettings(a, b *Settings) string {
	return diffLeaves(a, b, func(string) bool { return false })
}

// diffLeaves names the differing leaves of two settings, except those
// skip says to leave out.
func diffLeaves(a, b *Settings, skip func(path string) bool) string {
	var ja, jb any
	json.Unmarshal([]byte(a.json()), &ja)
	json.Unmarshal([]byte(b.json()), &jb)
	fa, fb := map[string]string{}, map[string]string{}
	flatten("", ja, fa)
	flatten("", jb, fb)
	keys := map[string]bool{}
	for k := range fa {
		keys[k] = true
	}
	for k := range fb {
		keys[k] = true
	}
	var names []string
	for k := range keys {
		if fa[k] != fb[k] && !skip(k) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var parts []string
	for i, k := range names {
		if i == 6 {
			parts = append(parts, fmt.Sprintf("and %d more", len(names)-6))
			break
		}
		x, y := fa[k], fb[k]
		if x == "" {
			x = "(none)"
		}
		if y == "" {
			y = "(none)"
		}
		parts = append(parts, fmt.Sprintf("%s %s vs %s", k, clip(x, 40), clip(y, 40)))
	}
	return strings.Join(parts, "; ")
}

// flatten maps every leaf of a decoded JSON value to its path.
func flatten(path string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			flatten(p, e, out)
		}
	case []any:
		for i, e := range x {
			flatten(fmt.Sprintf("%s[%d]", path, i), e, out)
		}
	default:
		b, _ := json.Marshal(x)
		out[path] = string(b)
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// channelsFor lists a cell's input channels: its synapses, their timing
// channels if timing is set, then the current clamp if steps are enabled.
func channelsFor(c *biophys.Cell, steps, timing bool) ([]Channel, error) {
	reserved := map[string]bool{ColClamp: true}
	for _, n := range reservedColumns {
		reserved[n] = true
	}
	var out []Channel
	for i, s := range c.Synapses {
		if reserved[s.Name] {
			return nil, fmt.Errorf("cell %s: synapse %d is named %q, which is a reserved column name (%s, %s); rename the synapse",
				c.Name, i, s.Name, strings.Join(reservedColumns, ", "), ColClamp)
		}
		out = append(out, Channel{Name: s.Name, Class: SynapseClass(s), Kind: s.Kind, Unit: "uS/bin"})
	}
	if timing {
		names := map[string]bool{}
		for _, s := range c.Synapses {
			names[s.Name] = true
		}
		for _, s := range c.Synapses {
			if names[s.Name+TimingSuffix] {
				return nil, fmt.Errorf("cell %s: synapse %q has the name of another synapse's timing channel; rename it", c.Name, s.Name+TimingSuffix)
			}
			out = append(out, Channel{Name: s.Name + TimingSuffix, Class: ClassTiming, Unit: "uS*bin", Of: s.Name})
		}
	}
	if steps {
		out = append(out, Channel{Name: ColClamp, Class: "clamp", Unit: "nA"})
	}
	return out, nil
}

// Arrow types of the columns.
func listF32(n int) *arrow.FixedSizeListType {
	return arrow.FixedSizeListOfNonNullable(int32(n), arrow.PrimitiveTypes.Float32)
}

func listU8(n int) *arrow.FixedSizeListType {
	return arrow.FixedSizeListOfNonNullable(int32(n), arrow.PrimitiveTypes.Uint8)
}

var segmentType = arrow.StructOf(
	arrow.Field{Name: "start_ms", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "exc_rate_hz", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "inh_rate_hz", Type: arrow.PrimitiveTypes.Float64},
)

var paramsType = arrow.StructOf(
	arrow.Field{Name: "regime", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "exc_rate_hz", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "exc_weight_uS", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "inh_rate_hz", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "inh_weight_uS", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "segments", Type: arrow.ListOfNonNullable(segmentType)},
	arrow.Field{Name: "step_amp_nA", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "step_start_ms", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "step_dur_ms", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "attempts", Type: arrow.PrimitiveTypes.Int32},
	arrow.Field{Name: "spikes", Type: arrow.PrimitiveTypes.Int32},
)

func unit(u, doc string) arrow.Metadata {
	return arrow.NewMetadata([]string{"unit", "doc"}, []string{u, doc})
}

// schemaFor builds the Arrow schema of a dataset; md is the schema metadata.
func schemaFor(s *Settings, md *arrow.Metadata) *arrow.Schema {
	n := s.Samples
	fields := []arrow.Field{
		{Name: ColTrace, Type: arrow.PrimitiveTypes.Int32, Metadata: unit("", "global trace index")},
		{Name: ColTime, Type: listF32(n), Metadata: unit("ms", "sample times k*sample_dt")},
		{Name: ColV, Type: listF32(n), Metadata: unit("mV", "spike-site membrane potential at t_k")},
	}
	for _, c := range s.Channels {
		doc := "summed input event weight in [t_k, t_k+1)"
		switch c.Class {
		case "clamp":
			doc = "injected current in [t_k, t_k+1)"
		case ClassTiming:
			doc = "sum over " + c.Of + "'s events in [t_k, t_k+1) of weight x (t/sample_dt - k - 1/2)"
		}
		keys, vals := []string{"unit", "doc", "class", "kind"}, []string{c.Unit, doc, c.Class, c.Kind}
		if c.Of != "" {
			keys, vals = append(keys, "of"), append(vals, c.Of)
		}
		fields = append(fields, arrow.Field{Name: c.Name, Type: listF32(n), Metadata: arrow.NewMetadata(keys, vals)})
	}
	for _, r := range s.Records {
		fields = append(fields, arrow.Field{Name: r.Name, Type: listF32(n),
			Metadata: arrow.NewMetadata([]string{"unit", "doc", "class"}, []string{r.Unit, "recorded at t_k (record[0] at the start)", "record"})})
	}
	fields = append(fields,
		arrow.Field{Name: ColSpike, Type: listU8(n), Metadata: unit("count", "spike-site spikes in (t_k, t_k+1]")},
		arrow.Field{Name: ColParams, Type: paramsType, Metadata: unit("", "the trace's drawn input parameters")},
	)
	return arrow.NewSchema(fields, md)
}

// checkSchema compares a file's schema with the expected one (names, types,
// nullability; not metadata) and describes the first difference.
func checkSchema(got, want *arrow.Schema) error {
	gf, wf := got.Fields(), want.Fields()
	for i := 0; i < len(gf) || i < len(wf); i++ {
		switch {
		case i >= len(gf):
			return fmt.Errorf("column %d %q is missing", i, wf[i].Name)
		case i >= len(wf):
			return fmt.Errorf("unexpected extra column %d %q", i, gf[i].Name)
		case gf[i].Name != wf[i].Name:
			return fmt.Errorf("column %d is %q, want %q", i, gf[i].Name, wf[i].Name)
		case gf[i].Nullable != wf[i].Nullable || !arrow.TypeEqual(gf[i].Type, wf[i].Type):
			return fmt.Errorf("column %q has type %s, want %s", gf[i].Name, gf[i].Type, wf[i].Type)
		}
	}
	return nil
}

// decodeStrict decodes JSON refusing unknown fields and trailing data.
func decodeStrict(data string, v any) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}
