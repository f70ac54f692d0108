package biophys

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"neurosurrogate/biophys/nmodl"
	"neurosurrogate/internal/inputerr"
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
	// Of neuron_export.py (generic cells): the density mechanisms in
	// NEURON's order, each one's .mod file, and the GLOBALs of each
	// mechanism and ion (numbers, or lists for GLOBAL arrays).
	Mechanisms []string                  `json:"mechanisms"`
	ModFiles   map[string]*string        `json:"mod_files"`
	Globals    map[string]map[string]any `json:"globals"`
}

// neuronIonStyle is NEURON's ion_style of one ion in a section.
type neuronIonStyle struct {
	CStyle   int `json:"c_style"`
	EStyle   int `json:"e_style"`
	EInit    int `json:"einit"`
	EAdvance int `json:"eadvance"`
	CInit    int `json:"cinit"`
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
	IonStyle   map[string]neuronIonStyle       `json:"ion_style"`
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
	return FromNEURONExportMod(cellJSON, synapsesJSON, nil)
}

// FromNEURONExportMod is FromNEURONExport for a cell whose mechanisms come
// (some or all) from NMODL files: mod maps a .mod file's name to its text
// (a model's mod folder). Every mechanism the export names whose SUFFIX
// one of these files defines runs from that file (even where a
// hand-written mechanism of the name exists); the files go into the cell
// (Cell.NMODL) in NEURON's mechanism order, with the export's values of
// their GLOBALs. Ion styles become Section.Reversal; the initial calcium
// concentration is the ion's global cai0, as NEURON's finitialize sets it.
func FromNEURONExportMod(cellJSON, synapsesJSON []byte, mod map[string]string) (*Cell, error) {
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
	own, err := exportNMODL(&ex, mod)
	if err != nil {
		return nil, err
	}
	c.NMODL = own
	if err := c.loadNMODL(); err != nil {
		return nil, err
	}
	// The ions' global initial inner concentrations (NEURON's finitialize
	// starts every segment there: the exported values are after INITIAL).
	ci0 := map[string]float64{}
	for name, g := range ex.Globals {
		if ion, ok := strings.CutSuffix(name, "_ion"); ok {
			if x, ok := g[ciKey(ion)].(float64); ok {
				ci0[ion] = x
			}
		}
	}
	secErr := func(i int, field, format string, args ...any) error {
		f := fmt.Sprintf("section %d (%q)", i, ex.Sections[i].Name)
		if field != "" {
			f += " " + field
		}
		return &InputError{File: neuronExportFile, Field: f, Msg: fmt.Sprintf(format, args...)}
	}
	for i := range ex.Sections {
		s, err := convertNEURONSection(c, ex.Sections, i, secErr)
		if err != nil {
			return nil, err
		}
		for _, ion := range sortedKeys(ci0) {
			if _, here := ex.Sections[i].Ions[ion]; !here {
				continue
			}
			if x := ci0[ion]; x != ionDefaults(c.ionSpecs())[ciKey(ion)] {
				if s.Ions == nil {
					s.Ions = map[string]Values{}
				}
				s.Ions[ciKey(ion)] = Values{x}
			} else {
				delete(s.Ions, ciKey(ion))
			}
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

func convertNEURONSection(c *Cell, secs []neuronSection, i int, secErr func(int, string, string, ...any) error) (Section, error) {
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
		// A section tapered without 3-D points (diam(0:1) = a:b) has a
		// diameter per segment; NEURON's sec.diam is the middle one's.
		d := make([]float64, es.Nseg)
		for j, seg := range es.Segments {
			d[j] = seg.Diam
		}
		if d[0] > 0 && len(collapse(d)) > 1 {
			s.Diam = collapse(d)
		}
	}
	cm := make([]float64, es.Nseg)
	for j, seg := range es.Segments {
		cm[j] = seg.Cm
	}
	s.Cm = collapse(cm)

	written := map[string]bool{} // ions whose concentrations a mechanism here writes
	if len(es.Mechanisms) > 0 {
		s.Mechanisms = map[string]map[string]Values{}
	}
	for _, mname := range sortedKeys(es.Mechanisms) {
		m, ok := c.mechanism(mname)
		if !ok {
			return s, secErr(i, "mechanisms", "unknown mechanism %q (known: %s; a model's own mechanisms need its .mod files: import neuron --mod DIR)", mname, strings.Join(c.mechanismNames(), ", "))
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
			if u.WriteConc || u.WriteCo {
				written[u.Ion] = true
			}
		}
	}
	// How each ion's reversal potential is found (NEURON's ion_style).
	rules := map[string]string{}
	for ion := range written {
		rules[ion] = ReversalNernst
	}
	for _, ion := range sortedKeys(es.IonStyle) {
		st := es.IonStyle[ion]
		rule := ReversalFixed
		switch {
		case st.EStyle == 2 && st.EAdvance == 1:
			rule = ReversalNernst
		case st.EStyle == 2 && st.EInit == 1:
			rule = ReversalNernstInit
		}
		def := ReversalFixed
		if written[ion] {
			def = ReversalNernst
		}
		if rule != def {
			if s.Reversal == nil {
				s.Reversal = map[string]string{}
			}
			s.Reversal[ion] = rule
		}
		rules[ion] = rule
	}
	specs := c.ionSpecs()
	defaults := ionDefaults(specs)
	for _, ion := range sortedKeys(es.Ions) {
		for _, key := range sortedKeys(es.Ions[ion]) {
			target := ""
			switch key {
			case eKey(ion):
				if rules[ion] == ReversalNernst {
					continue // computed from the concentrations every step
				}
				target = key
			case ion + "i":
				target = ciKey(ion) // the start value; the ion's global <ion>i0 where known
			case ion + "o":
				target = coKey(ion)
			}
			def, ok := defaults[target]
			if !ok {
				return s, secErr(i, "ions."+ion, "unknown ion value %q (known: %s)", key, strings.Join(sortedKeys(defaults), ", "))
			}
			vals := es.Ions[ion][key]
			if len(vals) != es.Nseg {
				return s, secErr(i, "ions."+ion, "%s has %d values; want nseg=%d (one per segment)", key, len(vals), es.Nseg)
			}
			if target != eKey(ion) && len(collapse(vals)) == 1 && vals[0] == def {
				continue // the default
			}
			if s.Ions == nil {
				s.Ions = map[string]Values{}
			}
			s.Ions[target] = collapse(vals)
		}
	}
	return s, nil
}

// exportNMODL picks the .mod files of the export's mechanisms from mod
// (file name to text), in NEURON's order, with their GLOBAL values.
func exportNMODL(ex *neuronExport, mod map[string]string) ([]ModFile, error) {
	if len(mod) == 0 {
		return nil, nil
	}
	bySuffix := map[string]string{} // SUFFIX -> file name
	for _, name := range sortedKeys(mod) {
		suffix := nmodl.Suffix(mod[name])
		if suffix == "" {
			continue // not a mechanism (or not one this can find): unused
		}
		if prev, dup := bySuffix[suffix]; dup {
			return nil, &InputError{File: name, Msg: fmt.Sprintf("defines %s, as %s does", suffix, prev)}
		}
		bySuffix[suffix] = name
	}
	order := ex.Mechanisms
	if len(order) == 0 { // an export without the order: by name
		seen := map[string]bool{}
		for _, s := range ex.Sections {
			for m := range s.Mechanisms {
				seen[m] = true
			}
		}
		order = sortedKeys(seen)
	}
	var out []ModFile
	for _, mech := range order {
		file, ok := bySuffix[mech]
		if !ok {
			continue
		}
		mf := ModFile{File: file, Text: mod[file]}
		nm, err := nmodl.Load(file, mf.Text)
		if err != nil {
			return nil, err
		}
		for _, name := range sortedKeys(ex.Globals[mech]) {
			x, isNum := ex.Globals[mech][name].(float64)
			if _, known := nm.Global(name); !known && name != "usetable" {
				continue // GLOBAL ASSIGNED values, not parameters
			}
			if !isNum {
				return nil, &InputError{File: neuronExportFile, Field: "globals." + mech + "." + name, Msg: "GLOBAL arrays are not supported"}
			}
			if mf.Globals == nil {
				mf.Globals = map[string]float64{}
			}
			mf.Globals[name] = x
		}
		out = append(out, mf)
	}
	return out, nil
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
	if err := list("sections", len(c.Sections), func(i int) any { return &c.Sections[i] }, len(c.Synapses) == 0 && len(c.NMODL) == 0); err != nil {
		return nil, err
	}
	if len(c.Synapses) > 0 {
		if err := list("synapses", len(c.Synapses), func(i int) any { return &c.Synapses[i] }, len(c.NMODL) == 0); err != nil {
			return nil, err
		}
	}
	if len(c.NMODL) > 0 {
		if err := list("nmodl", len(c.NMODL), func(i int) any { return &c.NMODL[i] }, true); err != nil {
			return nil, err
		}
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}
