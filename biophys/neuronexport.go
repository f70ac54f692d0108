package biophys

import (
	"bytes"
	"encoding/json"
	"fmt"
	"neurosurrogate/internal/inputerr"
	"strings"
)

// neuronExport is the cell as testdata/hay/export.py writes it
// from a cell that NEURON has built: sections by index with their 3-D points,
// and per segment what NEURON computed and every density mechanism's range
// variables (parameters, states and currents alike).
type neuronExport struct {
	Name             string  `json:"name"`
	Source           string  `json:"source"`
	BuiltBy          string  `json:"built_by"`
	Celsius          float64 `json:"celsius"`
	VInitMV          float64 `json:"v_init_mV"`
	SpikeThresholdMV float64 `json:"spike_threshold_mV"`
	SpikeSite        struct {
		Section int     `json:"section"`
		X       float64 `json:"x"`
	} `json:"spike_site"`
	Sections []neuronSection `json:"sections"`
}

type neuronSection struct {
	Name       string                          `json:"name"`
	Type       string                          `json:"type"`
	Parent     int                             `json:"parent"`
	ParentX    *float64                        `json:"parent_x"`
	Nseg       int                             `json:"nseg"`
	L          float64                         `json:"L"`
	Ra         float64                         `json:"Ra"`
	Pt3d       [][4]float64                    `json:"pt3d"`
	DiamNoPt3d *float64                        `json:"diam_if_no_pt3d"`
	Segments   []neuronSegment                 `json:"segments"`
	Mechanisms map[string]map[string][]float64 `json:"mechanisms"`
	Ions       map[string]map[string][]float64 `json:"ions"`
}

type neuronSegment struct {
	X       float64 `json:"x"`
	Cm      float64 `json:"cm"`
	AreaUM2 float64 `json:"area_um2"`
	RiMohm  float64 `json:"ri_Mohm"`
	Diam    float64 `json:"diam"`
}

type neuronSynapses struct {
	Type     string `json:"type"`
	Synapses []struct {
		Name    string  `json:"name"`
		Kind    string  `json:"kind"`
		Section int     `json:"section"`
		X       float64 `json:"x"`
		TauMS   float64 `json:"tau_ms"`
		EMV     float64 `json:"e_mV"`
	} `json:"synapses"`
}

// neuronExportFile is the name used for the export in error messages.
const neuronExportFile = "NEURON export"

// FromNEURONExport converts a cell exported from NEURON (the format of
// biophys/testdata/hay/export.py, see biophys/testdata/hay/README.md)
// and its synapse sites (synapses.py there) into a cell description:
//   - sections keep their names, types, 3-D points (sections without points,
//     like the Hay axon stubs, become cylinders of L and diam_if_no_pt3d),
//     nseg and Ra; parents are referred to by name;
//   - cm and every mechanism parameter are per segment, collapsed to one
//     number when all of a section's segments agree;
//   - of each mechanism's exported range variables only its registered
//     parameters are kept (states and currents are dropped); an unregistered
//     mechanism, a missing required parameter or an array of the wrong length
//     is an error naming the section and mechanism;
//   - ions keep their reversal potentials per section, except eca where a
//     mechanism writes cai (NEURON recomputes it from Nernst every step);
//   - celsius, v_init_mV, spike_threshold_mV and the spike site are the
//     export's; synapses become ExpSyn (or the file's "type") with params tau
//     and e.
//
// The cell is named by the export's "name" field, or "hay-l5pc" (the cell
// that hay_export.py exports) when it has none. synapsesJSON may be nil.
//
// A leading UTF-8 byte-order mark is skipped in both; either beyond
// MaxExportBytes is refused.
func FromNEURONExport(cellJSON, synapsesJSON []byte) (*Cell, error) {
	for _, f := range []struct {
		name string
		data []byte
	}{{neuronExportFile, cellJSON}, {"synapses", synapsesJSON}} {
		if len(f.data) > MaxExportBytes {
			return nil, &inputerr.TooLargeError{File: f.name, Size: int64(len(f.data)), Limit: MaxExportBytes, What: "NEURON exports"}
		}
	}
	cellJSON = inputerr.TrimBOM(cellJSON)
	if synapsesJSON != nil {
		synapsesJSON = inputerr.TrimBOM(synapsesJSON)
	}
	var ex neuronExport
	dec := json.NewDecoder(bytes.NewReader(cellJSON))
	if err := dec.Decode(&ex); err != nil {
		return nil, JSONError(neuronExportFile, cellJSON, err)
	}
	if len(ex.Sections) == 0 {
		return nil, &InputError{File: neuronExportFile, Field: "sections", Msg: "missing or empty"}
	}
	name := ex.Name
	if name == "" {
		name = "hay-l5pc"
	}
	desc := strings.TrimSpace(ex.Source)
	if ex.BuiltBy != "" {
		desc += "; built by " + ex.BuiltBy
	}
	desc += "; converted from NEURON's export by biophys.FromNEURONExport"
	c := &Cell{
		Name:             name,
		Description:      desc,
		Celsius:          exportF64(ex.Celsius),
		VInitMV:          exportF64(ex.VInitMV),
		SpikeThresholdMV: exportF64(ex.SpikeThresholdMV),
		Sections:         make([]Section, len(ex.Sections)),
	}
	c.SetSource(neuronExportFile)
	secErr := func(i int, field, format string, args ...any) error {
		f := fmt.Sprintf("section %d (%q)", i, ex.Sections[i].Name)
		if field != "" {
			f += " " + field
		}
		return &InputError{File: neuronExportFile, Field: f, Msg: fmt.Sprintf(format, args...)}
	}
	for i := range ex.Sections {
		s, err := convertNEURONSection(ex.Sections, i, secErr)
		if err != nil {
			return nil, err
		}
		c.Sections[i] = s
	}
	site := ex.SpikeSite.Section
	if site < 0 || site >= len(ex.Sections) {
		return nil, &InputError{File: neuronExportFile, Field: "spike_site.section", Msg: fmt.Sprintf("no section %d", site)}
	}
	c.SpikeSite = &Location{Section: SecRef{Name: ex.Sections[site].Name}, X: ex.SpikeSite.X}

	if synapsesJSON != nil {
		var sy neuronSynapses
		if err := json.Unmarshal(synapsesJSON, &sy); err != nil {
			return nil, JSONError("synapses", synapsesJSON, err)
		}
		kind := sy.Type
		if kind == "" {
			kind = "ExpSyn"
		}
		for j, s := range sy.Synapses {
			if s.Section < 0 || s.Section >= len(ex.Sections) {
				return nil, &InputError{File: "synapses", Field: fmt.Sprintf("synapse %d (%q) section", j, s.Name), Msg: fmt.Sprintf("no section %d", s.Section)}
			}
			c.Synapses = append(c.Synapses, Synapse{
				Name: s.Name, Kind: kind, Section: SecRef{Name: ex.Sections[s.Section].Name}, X: s.X,
				Params: map[string]float64{"tau": s.TauMS, "e": s.EMV},
			})
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func exportF64(x float64) *float64 { return &x }

func convertNEURONSection(secs []neuronSection, i int, secErr func(int, string, string, ...any) error) (Section, error) {
	es := &secs[i]
	s := Section{Name: es.Name, Type: es.Type, Nseg: es.Nseg, Ra: exportF64(es.Ra)}
	if es.Name == "" {
		return s, secErr(i, "name", "missing")
	}
	if es.Nseg < 1 {
		return s, secErr(i, "nseg", "%d: want at least 1", es.Nseg)
	}
	if len(es.Segments) != es.Nseg {
		return s, secErr(i, "segments", "has %d entries; want nseg=%d", len(es.Segments), es.Nseg)
	}
	if es.Parent >= 0 {
		if es.Parent >= len(secs) || es.Parent == i {
			return s, secErr(i, "parent", "no section %d", es.Parent)
		}
		s.Parent = &SecRef{Name: secs[es.Parent].Name}
		px := 1.0
		if es.ParentX != nil {
			px = *es.ParentX
		}
		s.ParentX = exportF64(px)
	}
	if len(es.Pt3d) > 0 {
		s.Pt3d = es.Pt3d
	} else {
		if es.DiamNoPt3d == nil {
			return s, secErr(i, "diam_if_no_pt3d", "missing for a section without 3-D points")
		}
		s.L = exportF64(es.L)
		s.Diam = Values{*es.DiamNoPt3d}
	}
	cm := make([]float64, es.Nseg)
	for j, seg := range es.Segments {
		cm[j] = seg.Cm
	}
	s.Cm = collapse(cm)

	writesCa := false
	if len(es.Mechanisms) > 0 {
		s.Mechanisms = map[string]map[string]Values{}
	}
	for _, mname := range sortedKeys(es.Mechanisms) {
		m, ok := LookupMechanism(mname)
		if !ok {
			return s, secErr(i, "mechanisms", "unknown mechanism %q (known: %s)", mname, strings.Join(MechanismNames(), ", "))
		}
		given := es.Mechanisms[mname]
		params := map[string]Values{}
		for _, p := range m.Params {
			vals, ok := given[p.Name]
			if !ok {
				if p.Default != p.Default { // NaN: required
					return s, secErr(i, "mechanisms."+mname, "parameter %s (%s) missing", p.Name, p.Unit)
				}
				continue
			}
			if len(vals) != es.Nseg {
				return s, secErr(i, "mechanisms."+mname, "parameter %s has %d values; want nseg=%d (one per segment)", p.Name, len(vals), es.Nseg)
			}
			params[p.Name] = collapse(vals)
		}
		s.Mechanisms[mname] = params
		for _, u := range m.Ions {
			if u.Ion == "ca" && u.WriteConc {
				writesCa = true
			}
		}
	}
	for _, ion := range sortedKeys(es.Ions) {
		for _, key := range sortedKeys(es.Ions[ion]) {
			if key == "eca" && writesCa {
				continue // computed from cai every step
			}
			if _, ok := ionDefaults[key]; !ok {
				return s, secErr(i, "ions."+ion, "unknown ion value %q (known: %s)", key, strings.Join(sortedKeys(ionDefaults), ", "))
			}
			vals := es.Ions[ion][key]
			if len(vals) != es.Nseg {
				return s, secErr(i, "ions."+ion, "%s has %d values; want nseg=%d (one per segment)", key, len(vals), es.Nseg)
			}
			if s.Ions == nil {
				s.Ions = map[string]Values{}
			}
			s.Ions[key] = collapse(vals)
		}
	}
	return s, nil
}

// collapse returns one value when all are equal, else a copy of all.
func collapse(xs []float64) Values {
	for _, x := range xs[1:] {
		if x != xs[0] {
			return append(Values(nil), xs...)
		}
	}
	return Values{xs[0]}
}

// MarshalCellCompact encodes a cell description as JSON that is readable
// yet compact: top-level fields on their own lines, one line per section and
// per synapse. Decoding it gives back the same description.
func MarshalCellCompact(c *Cell) ([]byte, error) {
	var b bytes.Buffer
	field := func(key string, v any, last bool) error {
		j, err := json.Marshal(v)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "  %q: %s", key, j)
		if !last {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
		return nil
	}
	list := func(key string, n int, item func(int) any, last bool) error {
		fmt.Fprintf(&b, "  %q: [\n", key)
		for i := 0; i < n; i++ {
			j, err := json.Marshal(item(i))
			if err != nil {
				return err
			}
			b.WriteString("    ")
			b.Write(j)
			if i < n-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString("  ]")
		if !last {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
		return nil
	}
	b.WriteString("{\n")
	type kv struct {
		key string
		v   any
	}
	head := []kv{{"name", c.Name}}
	if c.Description != "" {
		head = append(head, kv{"description", c.Description})
	}
	if c.Celsius != nil {
		head = append(head, kv{"celsius", *c.Celsius})
	}
	head = append(head, kv{"v_init_mV", c.VInitMV}, kv{"spike_threshold_mV", c.SpikeThresholdMV}, kv{"spike_site", c.SpikeSite})
	for _, f := range head {
		if err := field(f.key, f.v, false); err != nil {
			return nil, err
		}
	}
	if err := list("sections", len(c.Sections), func(i int) any { return &c.Sections[i] }, len(c.Synapses) == 0); err != nil {
		return nil, err
	}
	if len(c.Synapses) > 0 {
		if err := list("synapses", len(c.Synapses), func(i int) any { return &c.Synapses[i] }, true); err != nil {
			return nil, err
		}
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}
