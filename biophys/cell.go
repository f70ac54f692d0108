package biophys

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"neurosurrogate/internal/inputerr"
	"sort"
	"strconv"
	"strings"
)

// Cell is a cell description: morphology, biophysics, synapses and the
// spike detector. It is data (JSON); Compile turns it into something that steps.
type Cell struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Celsius is the temperature that q10-scaled mechanisms read (NEURON's
	// celsius); it defaults to NEURON's 6.3.
	Celsius          *float64  `json:"celsius,omitempty"`
	VInitMV          *float64  `json:"v_init_mV"`
	SpikeThresholdMV *float64  `json:"spike_threshold_mV"`
	SpikeSite        *Location `json:"spike_site"`
	Sections         []Section `json:"sections"`
	Synapses         []Synapse `json:"synapses,omitempty"`
	// NMODL holds mechanisms defined by the cell's own .mod files.
	NMODL []ModFile `json:"nmodl,omitempty"`

	src      string // file the description came from, for errors
	secLines []int  // line of each section in src (0 when unknown)
	synLines []int
	keyLines map[string]int // line of each top-level key in src

	local      map[string]*Mechanism // compiled NMODL mechanisms by name
	localPts   map[string]*PointType // compiled NMODL point processes by name
	localOrder []string              // their names in the order of NMODL
}

// Location is a point on a section: the section and the arc position x in [0, 1].
type Location struct {
	Section SecRef  `json:"section"`
	X       float64 `json:"x"`
}

// SecRef names a section by its name or by its index in Cell.Sections.
// In JSON it is a string (name) or an integer (index).
type SecRef struct {
	Name  string
	Index int
	ByIdx bool
}

// UnmarshalJSON accepts a section name or a section index.
func (r *SecRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		r.ByIdx = false
		return json.Unmarshal(b, &r.Name)
	}
	var i int
	if err := json.Unmarshal(b, &i); err != nil {
		return &ValueError{Raw: append([]byte(nil), b...), Msg: fmt.Sprintf("want a section name or index, got %s", truncate(string(b), 40))}
	}
	r.Index, r.ByIdx = i, true
	return nil
}

// MarshalJSON writes the name, or the index when the reference is by index.
func (r SecRef) MarshalJSON() ([]byte, error) {
	if r.ByIdx {
		return json.Marshal(r.Index)
	}
	return json.Marshal(r.Name)
}

func (r SecRef) String() string {
	if r.ByIdx {
		return strconv.Itoa(r.Index)
	}
	return strconv.Quote(r.Name)
}

// Section is an unbranched cable: NEURON's section.
type Section struct {
	Name string `json:"name"`
	// Type is soma, axon, dend (basal) or apic (apical); informational.
	Type    string   `json:"type,omitempty"`
	Parent  *SecRef  `json:"parent,omitempty"`   // nil for the root section
	ParentX *float64 `json:"parent_x,omitempty"` // where on the parent it attaches (default 1)
	Nseg    int      `json:"nseg,omitempty"`     // number of segments (default 1)
	// Geometry: either Pt3d (NEURON's 3-D points x, y, z, diam in um), or L
	// and Diam (a cylinder; diam may be given per segment).
	L    *float64     `json:"L,omitempty"`
	Diam Values       `json:"diam,omitempty"`
	Pt3d [][4]float64 `json:"pt3d,omitempty"`
	Ra   *float64     `json:"Ra"` // axial resistivity, ohm cm
	Cm   Values       `json:"cm"` // specific capacitance, uF/cm2, per section or per segment
	// Mechanisms maps an inserted density mechanism's name to its parameters;
	// each parameter is one value for the section or one per segment.
	Mechanisms map[string]map[string]Values `json:"mechanisms,omitempty"`
	// Ions sets ion values: e<ion> (mV), <ion>i0 and <ion>o (mM), for na,
	// k, ca and the ions the cell's NMODL files introduce (ena, cai0, ...).
	Ions map[string]Values `json:"ions,omitempty"`
	// Reversal says, per ion, how its reversal potential is found
	// (NEURON's ion_style): "nernst" from the concentrations every step
	// (the default where a mechanism writes a concentration of the ion),
	// "nernst_init" once at the start, "fixed" the value of ions (the
	// default elsewhere).
	Reversal map[string]string `json:"reversal,omitempty"`
}

// Reversal rules of Section.Reversal.
const (
	ReversalNernst     = "nernst"
	ReversalNernstInit = "nernst_init"
	ReversalFixed      = "fixed"
)

// Synapse is a named point process that input events target.
type Synapse struct {
	Name    string             `json:"name"`
	Kind    string             `json:"kind"` // a registered point-process kind: ExpSyn, Exp2Syn, NMDA
	Section SecRef             `json:"section"`
	X       float64            `json:"x"`
	Params  map[string]float64 `json:"params,omitempty"`
}

// InputError is an error in a file a user gave: it names the file, line
// and field.
type InputError = inputerr.Error

// JSONError turns an encoding/json error into an InputError with a line
// number.
func JSONError(file string, data []byte, err error) error { return inputerr.FromJSON(file, data, err) }

// Limits on the files a cell is read from: larger ones are refused before
// they are read (decoding JSON takes several times the file's size in
// memory). A chain of 300 000 sections, one per line, is 27 MB; the Hay
// cell 0.4 MB and its NEURON export 0.6 MB.
const (
	MaxCellBytes   = 64 << 20  // cell description (JSON)
	MaxExportBytes = 256 << 20 // NEURON export and its synapse list (JSON)
	MaxSWCBytes    = 64 << 20  // SWC morphology (about a million points)
)

// LoadCell reads a cell description from a JSON file and validates it.
func LoadCell(path string) (*Cell, error) {
	data, err := inputerr.ReadFile(path, MaxCellBytes, "cell descriptions")
	if err != nil {
		return nil, fmt.Errorf("cell: %w", err)
	}
	return ParseCell(path, data)
}

// ParseCell decodes and validates a cell description; name is used in
// errors. A leading UTF-8 byte-order mark is skipped; a description
// larger than MaxCellBytes is refused.
func ParseCell(name string, data []byte) (*Cell, error) {
	if len(data) > MaxCellBytes {
		return nil, &inputerr.TooLargeError{File: name, Size: int64(len(data)), Limit: MaxCellBytes, What: "cell descriptions"}
	}
	data = inputerr.TrimBOM(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	c := &Cell{}
	if err := dec.Decode(c); err != nil {
		return nil, JSONError(name, data, err)
	}
	if dec.More() {
		return nil, &InputError{File: name, Line: inputerr.Line(data, dec.InputOffset()), Msg: "trailing data after the cell object"}
	}
	c.src = name
	c.secLines = ElementLines(data, "sections")
	c.synLines = ElementLines(data, "synapses")
	c.keyLines = KeyLines(data)
	if err := c.checkRaw(data); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// checkRaw refuses what decoding would silently fill in: an explicit
// "nseg": 0 (absent means 1, but NEURON refuses zero segments, and so do
// we), pt3d points that are not exactly [x, y, z, diam] (a [4]float64 pads
// or drops numbers), and synapses or a spike site without "x" (it would be
// 0).
func (c *Cell) checkRaw(data []byte) error {
	var raw struct {
		Sections  []map[string]json.RawMessage `json:"sections"`
		Synapses  []map[string]json.RawMessage `json:"synapses"`
		SpikeSite map[string]json.RawMessage   `json:"spike_site"`
	}
	if json.Unmarshal(data, &raw) != nil {
		return nil // the typed decode has already accepted it; nothing more to learn
	}
	for i, m := range raw.Sections {
		if v, ok := m["nseg"]; ok && i < len(c.Sections) && c.Sections[i].Nseg == 0 && string(bytes.TrimSpace(v)) != "null" {
			return c.secErr(i, "nseg", "0 is outside [1, 32767]")
		}
		var pts [][]json.RawMessage
		if json.Unmarshal(m["pt3d"], &pts) != nil {
			continue // absent, or not an array of arrays: the typed decode said so
		}
		for k, p := range pts {
			if len(p) != 4 {
				return c.secErr(i, fmt.Sprintf("pt3d[%d]", k), "want 4 numbers (x, y, z, diam in um), got %d", len(p))
			}
		}
	}
	for i, m := range raw.Synapses {
		if _, ok := m["x"]; !ok {
			return c.synErr(i, "x", "missing (the position along the section, 0 to 1)")
		}
	}
	if raw.SpikeSite != nil {
		if _, ok := raw.SpikeSite["x"]; !ok {
			return &InputError{File: c.src, Field: "spike_site.x", Msg: "missing (the position along the section, 0 to 1)"}
		}
	}
	return nil
}

// KeyLines returns the line of each key of a JSON object's top level (for
// error messages), or nil if the data is not an object.
func KeyLines(data []byte) map[string]int {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	lines := map[string]int{}
	prevOff, prevLine := int64(0), 1
	for dec.More() {
		off := dec.InputOffset()
		t, err := dec.Token()
		if err != nil {
			return lines
		}
		for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
			off++
		}
		prevLine += bytes.Count(data[prevOff:min(off, int64(len(data)))], []byte{'\n'})
		prevOff = min(off, int64(len(data)))
		if k, ok := t.(string); ok {
			if _, dup := lines[k]; !dup {
				lines[k] = prevLine
			}
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return lines
		}
	}
	return lines
}

// ElementLines returns the line on which each element of the top-level
// array key of a JSON object starts (for error messages), or nil if it
// cannot be found.
func ElementLines(data []byte, key string) []int {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		if k, _ := t.(string); k != key {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return nil
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return nil
		}
		var lines []int
		// Lines are counted on from the previous element, not from the
		// start of the file each time (which is quadratic in the elements).
		prevOff, prevLine := int64(0), 1
		for dec.More() {
			off := dec.InputOffset()
			for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
				off++
			}
			prevLine += bytes.Count(data[prevOff:min(off, int64(len(data)))], []byte{'\n'})
			prevOff = min(off, int64(len(data)))
			lines = append(lines, prevLine)
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return lines
			}
		}
		return lines
	}
	return nil
}

func (c *Cell) secErr(i int, field, format string, args ...any) error {
	line := 0
	if i >= 0 && i < len(c.secLines) {
		line = c.secLines[i]
	}
	name := ""
	if i >= 0 && i < len(c.Sections) {
		name = c.Sections[i].Name
	}
	f := fmt.Sprintf("section %d (%q)", i, name)
	if field != "" {
		f += " " + field
	}
	return &InputError{File: c.src, Line: line, Field: f, Msg: fmt.Sprintf(format, args...)}
}

func (c *Cell) synErr(i int, field, format string, args ...any) error {
	line := 0
	if i < len(c.synLines) {
		line = c.synLines[i]
	}
	f := fmt.Sprintf("synapse %d (%q)", i, c.Synapses[i].Name)
	if field != "" {
		f += " " + field
	}
	return &InputError{File: c.src, Line: line, Field: f, Msg: fmt.Sprintf(format, args...)}
}

// topErr is an error in a top-level field ("celsius", "spike_site.x"),
// on the line of its key when the key is in the file.
func (c *Cell) topErr(field, format string, args ...any) error {
	key, _, _ := strings.Cut(field, ".")
	return &InputError{File: c.src, Line: c.keyLines[key], Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Source is the file the description was read from ("" if built in code).
func (c *Cell) Source() string { return c.src }

// SetSource sets the name used in this cell's error messages.
func (c *Cell) SetSource(name string) { c.src = name }

// SectionIndex resolves a section reference to an index in c.Sections.
func (c *Cell) SectionIndex(r SecRef) (int, bool) {
	if r.ByIdx {
		return r.Index, r.Index >= 0 && r.Index < len(c.Sections)
	}
	for i := range c.Sections {
		if c.Sections[i].Name == r.Name {
			return i, true
		}
	}
	return -1, false
}

// SynapseIndex returns the index of the named synapse, or -1.
func (c *Cell) SynapseIndex(name string) int {
	for i := range c.Synapses {
		if c.Synapses[i].Name == name {
			return i
		}
	}
	return -1
}

// SynapseNames lists the cell's synapses in order.
func (c *Cell) SynapseNames() []string {
	out := make([]string, len(c.Synapses))
	for i, s := range c.Synapses {
		out[i] = s.Name
	}
	return out
}

// The temperatures a cell description may give: from absolute zero to the
// boiling point of water.
const (
	MinCelsius = -273.15
	MaxCelsius = 100.0
)

// CelsiusOrDefault is the temperature the cell runs at.
func (c *Cell) CelsiusOrDefault() float64 {
	if c.Celsius == nil {
		return 6.3
	}
	return *c.Celsius
}

// VInit is the initial membrane potential (mV).
func (c *Cell) VInit() float64 { return *c.VInitMV }

// Threshold is the spike detector's threshold (mV).
func (c *Cell) Threshold() float64 { return *c.SpikeThresholdMV }

// Hash is a stable fingerprint of the description (SHA-256 of its canonical JSON).
func (c *Cell) Hash() string {
	b, _ := json.Marshal(c)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// JSON is the canonical JSON encoding of the description.
func (c *Cell) JSON() []byte {
	b, _ := json.Marshal(c)
	return b
}

// NsegOf is the section's number of segments (default 1).
func (s *Section) NsegOf() int {
	if s.Nseg <= 0 {
		return 1
	}
	return s.Nseg
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Validate checks the whole description and returns the first problem found,
// naming the file, line, section and field.
func (c *Cell) Validate() error {
	if c.Name == "" {
		return c.topErr("name", "missing")
	}
	if err := c.loadNMODL(); err != nil {
		return err
	}
	if c.VInitMV == nil {
		return c.topErr("v_init_mV", "missing")
	}
	if !finite(*c.VInitMV) {
		return c.topErr("v_init_mV", "not a finite number")
	}
	if c.SpikeThresholdMV == nil {
		return c.topErr("spike_threshold_mV", "missing")
	}
	if !finite(*c.SpikeThresholdMV) {
		return c.topErr("spike_threshold_mV", "not a finite number")
	}
	if t := c.Celsius; t != nil && !(*t >= MinCelsius && *t <= MaxCelsius) {
		return c.topErr("celsius", "%v: must lie in [%g, %g] degrees C (nothing is colder than absolute zero, and no cell lives in boiling water)", *t, MinCelsius, MaxCelsius)
	}
	if len(c.Sections) == 0 {
		return c.topErr("sections", "missing or empty: a cell needs at least one section")
	}
	names := map[string]int{}
	for i := range c.Sections {
		s := &c.Sections[i]
		if s.Name == "" {
			return c.secErr(i, "name", "missing")
		}
		if j, dup := names[s.Name]; dup {
			return c.secErr(i, "name", "duplicate of section %d", j)
		}
		names[s.Name] = i
	}
	roots := 0
	for i := range c.Sections {
		if err := c.validateSection(i, names); err != nil {
			return err
		}
		if c.Sections[i].Parent == nil {
			roots++
		}
	}
	if roots != 1 {
		return c.topErr("sections", "%d sections have no parent; want exactly one root section", roots)
	}
	if err := c.checkCycles(names); err != nil {
		return err
	}
	if c.SpikeSite == nil {
		return c.topErr("spike_site", "missing")
	}
	if _, ok := c.lookup(names, c.SpikeSite.Section); !ok {
		return c.topErr("spike_site.section", "no section %s", c.SpikeSite.Section)
	}
	if !(c.SpikeSite.X >= 0 && c.SpikeSite.X <= 1) {
		return c.topErr("spike_site.x", "%g is outside [0, 1]", c.SpikeSite.X)
	}
	synNames := map[string]bool{}
	for i := range c.Synapses {
		s := &c.Synapses[i]
		if s.Name == "" {
			return c.synErr(i, "name", "missing")
		}
		if synNames[s.Name] {
			return c.synErr(i, "name", "duplicate synapse name")
		}
		synNames[s.Name] = true
		pt, ok := c.pointType(s.Kind)
		if !ok || !pt.Synapse {
			return c.synErr(i, "kind", "unknown synapse kind %q (known: %s)", s.Kind, strings.Join(c.synapseKinds(), ", "))
		}
		if _, ok := c.lookup(names, s.Section); !ok {
			return c.synErr(i, "section", "no section %s", s.Section)
		}
		if !(s.X >= 0 && s.X <= 1) {
			return c.synErr(i, "x", "%g is outside [0, 1]", s.X)
		}
		if _, err := pt.resolve(s.Params); err != nil {
			return c.synErr(i, "params", "%v", err)
		}
	}
	return nil
}

// checkCycles refuses parent links that form a loop. Each section's
// ancestors are walked until a section already known to reach the root,
// so every section is visited once: O(n) for n sections.
func (c *Cell) checkCycles(names map[string]int) error {
	const (
		unknown = iota
		onPath  // on the path being walked
		rooted  // known to reach the root
	)
	state := make([]uint8, len(c.Sections))
	var path []int
	for i := range c.Sections {
		path = path[:0]
		for j := i; state[j] != rooted; {
			if state[j] == onPath {
				return c.secErr(i, "parent", "the parent chain forms a cycle")
			}
			state[j] = onPath
			path = append(path, j)
			if c.Sections[j].Parent == nil {
				break
			}
			j, _ = c.lookup(names, *c.Sections[j].Parent)
		}
		for _, j := range path {
			state[j] = rooted
		}
	}
	return nil
}

// sectionNames maps every section's name to its index (the first, when a
// name repeats).
func (c *Cell) sectionNames() map[string]int {
	names := make(map[string]int, len(c.Sections))
	for i := range c.Sections {
		if _, dup := names[c.Sections[i].Name]; !dup {
			names[c.Sections[i].Name] = i
		}
	}
	return names
}

// lookup is SectionIndex through a map from sectionNames, so that
// resolving every section's parent costs O(n), not O(n²).
func (c *Cell) lookup(names map[string]int, r SecRef) (int, bool) {
	if r.ByIdx {
		return r.Index, r.Index >= 0 && r.Index < len(c.Sections)
	}
	i, ok := names[r.Name]
	if !ok {
		return -1, false
	}
	return i, true
}

// parents resolves every section's parent once: the index of its parent,
// -1 for the root (and for a reference that names no section, which
// Validate refuses).
func (c *Cell) parents() []int {
	names := c.sectionNames()
	out := make([]int, len(c.Sections))
	for i := range c.Sections {
		out[i] = -1
		if r := c.Sections[i].Parent; r != nil {
			out[i], _ = c.lookup(names, *r)
		}
	}
	return out
}

func (c *Cell) validateSection(i int, names map[string]int) error {
	s := &c.Sections[i]
	if s.Parent != nil {
		p, ok := c.lookup(names, *s.Parent)
		if !ok {
			return c.secErr(i, "parent", "no section %s", *s.Parent)
		}
		if p == i {
			return c.secErr(i, "parent", "a section cannot be its own parent")
		}
	}
	if s.ParentX != nil && !(*s.ParentX >= 0 && *s.ParentX <= 1) {
		return c.secErr(i, "parent_x", "%g is outside [0, 1]", *s.ParentX)
	}
	if s.Nseg < 0 || s.Nseg > 32767 {
		return c.secErr(i, "nseg", "%d is outside [1, 32767]", s.Nseg)
	}
	nseg := s.NsegOf()
	if len(s.Pt3d) > 0 {
		if len(s.Pt3d) < 2 {
			return c.secErr(i, "pt3d", "needs at least 2 points, has %d", len(s.Pt3d))
		}
		for k, p := range s.Pt3d {
			for _, x := range p {
				if !finite(x) {
					return c.secErr(i, fmt.Sprintf("pt3d[%d]", k), "not finite")
				}
			}
			if p[3] < 0 {
				return c.secErr(i, fmt.Sprintf("pt3d[%d]", k), "negative diameter %g", p[3])
			}
		}
		if arcLength(s.Pt3d) <= 0 {
			return c.secErr(i, "pt3d", "the points have zero total length")
		}
	} else {
		if s.L == nil {
			return c.secErr(i, "L", "missing (give L and diam, or pt3d)")
		}
		if !(*s.L > 0) || !finite(*s.L) {
			return c.secErr(i, "L", "%g um: must be positive", *s.L)
		}
		if len(s.Diam) == 0 {
			return c.secErr(i, "diam", "missing (give L and diam, or pt3d)")
		}
		d, err := s.Diam.expand(nseg)
		if err != nil {
			return c.secErr(i, "diam", "%v", err)
		}
		for _, x := range d {
			if !(x > 0) {
				return c.secErr(i, "diam", "%g um: must be positive", x)
			}
		}
	}
	if s.Ra == nil {
		return c.secErr(i, "Ra", "missing (axial resistivity, ohm cm)")
	}
	if !(*s.Ra > 0) || !finite(*s.Ra) {
		return c.secErr(i, "Ra", "%g ohm cm: must be positive", *s.Ra)
	}
	if len(s.Cm) == 0 {
		return c.secErr(i, "cm", "missing (specific capacitance, uF/cm2)")
	}
	cm, err := s.Cm.expand(nseg)
	if err != nil {
		return c.secErr(i, "cm", "%v", err)
	}
	for _, x := range cm {
		if !(x > 0) {
			return c.secErr(i, "cm", "%g uF/cm2: must be positive (a membrane without capacitance has no dynamics)", x)
		}
	}
	for _, mname := range sortedKeys(s.Mechanisms) {
		mt, ok := c.mechanism(mname)
		if !ok {
			return c.secErr(i, "mechanisms", "unknown mechanism %q (known: %s)", mname, strings.Join(c.mechanismNames(), ", "))
		}
		if _, err := mt.resolve(s.Mechanisms[mname], nseg); err != nil {
			return c.secErr(i, "mechanisms."+mname, "%v", err)
		}
	}
	specs := c.ionSpecs()
	defaults := ionDefaults(specs)
	for _, ion := range sortedKeys(s.Reversal) {
		if _, ok := specs[ion]; !ok {
			return c.secErr(i, "reversal", "unknown ion %q (known: %s)", ion, strings.Join(sortedKeys(specs), ", "))
		}
		switch s.Reversal[ion] {
		case ReversalNernst, ReversalNernstInit, ReversalFixed:
		default:
			return c.secErr(i, "reversal."+ion, "%q: want %s, %s or %s", s.Reversal[ion], ReversalNernst, ReversalNernstInit, ReversalFixed)
		}
	}
	for _, ion := range sortedKeys(s.Ions) {
		if _, ok := defaults[ion]; !ok {
			return c.secErr(i, "ions", "unknown ion value %q (known: %s)", ion, strings.Join(sortedKeys(defaults), ", "))
		}
		xs, err := s.Ions[ion].expand(nseg)
		if err != nil {
			return c.secErr(i, "ions."+ion, "%v", err)
		}
		if isConcKey(ion, specs) {
			for _, x := range xs {
				if !(x >= 0) {
					return c.secErr(i, "ions."+ion, "%g mM: a concentration must be at least 0", x)
				}
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Excitatory reports whether synapse i is excitatory: by its name's prefix
// ("exc..." or "inh..."), else by its reversal potential (e >= -20 mV).
func (c *Cell) Excitatory(i int) bool {
	s := &c.Synapses[i]
	switch {
	case strings.HasPrefix(s.Name, "exc"):
		return true
	case strings.HasPrefix(s.Name, "inh"):
		return false
	}
	e, ok := s.Params["e"]
	if !ok {
		pt, _ := c.pointType(s.Kind)
		for _, p := range pt.Params {
			if p.Name == "e" {
				e = p.Default
			}
		}
	}
	return e >= -20
}
