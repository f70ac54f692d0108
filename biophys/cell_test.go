package biophys

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

const goodCell = `{
  "name": "t",
  "v_init_mV": -65,
  "spike_threshold_mV": 0,
  "spike_site": {"section": "soma", "x": 0.5},
  "sections": [
    {"name": "soma", "L": 20, "diam": 20, "Ra": 100, "cm": 1, "mechanisms": {"hh": {}}},
    {"name": "dend", "parent": "soma", "L": 100, "diam": 2, "Ra": 100, "cm": 1, "nseg": 3,
     "mechanisms": {"pas": {"g": [1e-4, 2e-4, 3e-4], "e": -65}}}
  ],
  "synapses": [{"name": "exc", "kind": "ExpSyn", "section": "dend", "x": 0.5, "params": {"tau": 2, "e": 0}}]
}`

func TestParseCellGood(t *testing.T) {
	c, err := ParseCell("good.json", []byte(goodCell))
	if err != nil {
		t.Fatal(err)
	}
	tm, err := Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	// soma centre, soma end (dend attaches there), 3 dend segments; the
	// root's x=0 end and the dendrite's free end are pruned.
	if tm.N != 5 {
		t.Errorf("nodes = %d, want 5", tm.N)
	}
	if c.SynapseIndex("exc") != 0 || !c.Excitatory(0) {
		t.Errorf("synapse exc not found or not excitatory")
	}
}

// TestCellErrors: each malformed description gets an error that names the
// problem and where it is.
func TestCellErrors(t *testing.T) {
	for _, tc := range []struct {
		name, old, new string
		want           []string
	}{
		{"syntax", `"name": "t",`, `"name": "t"`, []string{"bad.json:3", "invalid JSON"}},
		{"missing name", `"name": "t",`, ``, []string{"name: missing"}},
		{"missing v_init", `"v_init_mV": -65,`, ``, []string{"v_init_mV: missing"}},
		{"missing threshold", `"spike_threshold_mV": 0,`, ``, []string{"spike_threshold_mV: missing"}},
		{"missing L", `"L": 100, "diam": 2,`, `"diam": 2,`, []string{"bad.json:8", `section 1 ("dend") L`, "missing"}},
		{"missing Ra", `"L": 20, "diam": 20, "Ra": 100,`, `"L": 20, "diam": 20,`, []string{"bad.json:7", `("soma") Ra`, "missing"}},
		{"missing cm", `"Ra": 100, "cm": 1, "nseg": 3`, `"Ra": 100, "nseg": 3`, []string{`("dend") cm`, "missing"}},
		{"negative L", `"L": 100`, `"L": -1`, []string{`("dend") L`, "positive"}},
		{"unknown parent", `"parent": "soma"`, `"parent": "axon"`, []string{"bad.json:8", `("dend") parent`, `no section "axon"`}},
		{"parent index", `"parent": "soma"`, `"parent": 7`, []string{`no section 7`}},
		{"cycle", `{"name": "soma", "L"`, `{"name": "soma", "parent": "dend", "L"`, []string{"no parent"}},
		{"self parent", `"parent": "soma"`, `"parent": "dend"`, []string{"own parent"}},
		{"duplicate section", `{"name": "dend"`, `{"name": "soma"`, []string{"duplicate"}},
		{"unknown mechanism", `"hh": {}`, `"hhh": {}`, []string{`("soma") mechanisms`, `unknown mechanism "hhh"`}},
		{"unknown parameter", `"hh": {}`, `"hh": {"gnabr": 1}`, []string{`mechanisms.hh`, `unknown parameter "gnabr"`}},
		{"per-segment length", `[1e-4, 2e-4, 3e-4]`, `[1e-4, 2e-4]`, []string{`("dend") mechanisms.pas`, "parameter g", "2 values", "nseg=3"}},
		{"unknown synapse kind", `"kind": "ExpSyn"`, `"kind": "AMPA"`, []string{`synapse 0 ("exc") kind`, `unknown synapse kind "AMPA"`}},
		{"synapse section", `"section": "dend", "x": 0.5, "params"`, `"section": "apic", "x": 0.5, "params"`, []string{`synapse 0 ("exc") section`}},
		{"synapse x", `"section": "dend", "x": 0.5, "params"`, `"section": "dend", "x": 1.5, "params"`, []string{`("exc") x`, "outside [0, 1]"}},
		{"synapse param", `"tau": 2,`, `"tau": 2, "tua": 3,`, []string{`unknown parameter "tua"`}},
		{"spike site", `"spike_site": {"section": "soma"`, `"spike_site": {"section": "somma"`, []string{"bad.json:5: spike_site.section"}},
		{"unknown field", `"v_init_mV": -65,`, `"v_init_mV": -65, "vinit": 3,`, []string{"bad.json:3", `unknown field "vinit"`}},
		{"unknown nested field", `"nseg": 3`, `"nseg": 3, "nsegs": 3`, []string{"bad.json:8", `unknown field "nsegs"`}},
		{"nseg zero", `"nseg": 3`, `"nseg": 0`, []string{"bad.json:8", `("dend") nseg`, "outside [1, 32767]"}},
		{"negative tau", `"tau": 2,`, `"tau": -2,`, []string{`synapse 0 ("exc")`, "tau = -2 ms: must be positive"}},
		{"wrong type", `"nseg": 3`, `"nseg": "three"`, []string{"wrong type"}},
		{"number as a string", `[1e-4, 2e-4, 3e-4]`, `"NaN"`, []string{"bad.json:9", `want a number or an array of numbers, got "NaN"`}},
		{"section reference of the wrong kind", `"parent": "soma"`, `"parent": 1.5`, []string{"bad.json:8", "want a section name or index"}},
		{"no sections", `"sections": [`, `"sections": [], "x": [`, []string{"unknown field"}},
		{"pt3d point of 3 numbers", `"L": 20, "diam": 20, "Ra": 100,`, `"pt3d": [[0, 0, 0, 20], [20, 0, 0]], "Ra": 100,`, []string{"bad.json:7", `("soma") pt3d[1]`, "want 4 numbers", "got 3"}},
		{"synapse without x", `"section": "dend", "x": 0.5, "params"`, `"section": "dend", "params"`, []string{`synapse 0 ("exc") x`, "missing"}},
		{"spike site without x", `"spike_site": {"section": "soma", "x": 0.5}`, `"spike_site": {"section": "soma"}`, []string{"spike_site.x", "missing"}},
		{"negative concentration", `"mechanisms": {"hh": {}}}`, `"mechanisms": {"hh": {}}, "ions": {"cao": -2}}`, []string{`("soma") ions.cao`, "-2 mM"}},
		{"zero capacitance", `"Ra": 100, "cm": 1, "nseg": 3`, `"Ra": 100, "cm": 0, "nseg": 3`, []string{"bad.json:8", `section 1 ("dend") cm`, "0 uF/cm2: must be positive"}},
		{"negative capacitance in one segment", `"Ra": 100, "cm": 1, "nseg": 3`, `"Ra": 100, "cm": [1, -1, 1], "nseg": 3`, []string{"bad.json:8", `("dend") cm`, "-1 uF/cm2"}},
		{"negative leak", `"g": [1e-4, 2e-4, 3e-4]`, `"g": -1`, []string{"bad.json:8", `section 1 ("dend") mechanisms.pas`, "parameter g = -1 S/cm2: must be at least 0"}},
		{"negative sodium conductance", `"hh": {}`, `"hh": {"gnabar": -0.12}`, []string{"bad.json:7", `section 0 ("soma") mechanisms.hh`, "parameter gnabar = -0.12 S/cm2"}},
		{"below absolute zero", `"v_init_mV": -65,`, `"celsius": -300, "v_init_mV": -65,`, []string{"bad.json:3: celsius: -300: must lie in [-273.15, 100]"}},
		{"boiling", `"v_init_mV": -65,`, `"celsius": 370, "v_init_mV": -65,`, []string{"celsius: 370: must lie in"}},
		{"zero Ra", `"L": 20, "diam": 20, "Ra": 100,`, `"L": 20, "diam": 20, "Ra": 0,`, []string{"bad.json:7", `("soma") Ra`, "must be positive"}},
		{"zero diameter", `"L": 100, "diam": 2,`, `"L": 100, "diam": 0,`, []string{"bad.json:8", `("dend") diam`, "must be positive"}},
		{"zero time constant", `"tau": 2,`, `"tau": 0,`, []string{`synapse 0 ("exc") params`, "tau = 0 ms: must be positive"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(goodCell, tc.old) {
				t.Fatalf("test bug: %q not in the good cell", tc.old)
			}
			bad := strings.Replace(goodCell, tc.old, tc.new, 1)
			_, err := ParseCell("bad.json", []byte(bad))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestCellEmptySections(t *testing.T) {
	_, err := ParseCell("e.json", []byte(`{"name":"x","v_init_mV":-65,"spike_threshold_mV":0,"spike_site":{"section":0,"x":0.5},"sections":[]}`))
	if err == nil || !strings.Contains(err.Error(), "sections: missing or empty") {
		t.Fatalf("got %v", err)
	}
}

// TestUnstable: a negative leak conductance makes Vm blow up; the run
// stops with an error naming cell, section and time. (Cell files cannot
// give one, TestNegativeConductance; it is set in the compiled template,
// past validation, to reach the run's own guard.)
func TestUnstable(t *testing.T) {
	c := passiveCell(100, 2, 5, 0.02, -65)
	c.VInitMV = ptr(-64)
	tm, err := Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range tm.mechs {
		for k := range g.params["g"] {
			g.params["g"][k] = -0.02
		}
	}
	s, err := NewSystem([]Instance{{T: tm}, {T: tm}}, 0.025)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Run(1000, nil)
	var ue *UnstableError
	if !errors.As(err, &ue) {
		t.Fatalf("want an UnstableError, got %v", err)
	}
	msg := err.Error()
	for _, w := range []string{"cell 0", `section "cable"`, "t = "} {
		if !strings.Contains(msg, w) {
			t.Errorf("%q does not mention %q", msg, w)
		}
	}
	if ue.TimeMS <= 0 || ue.TimeMS >= 1000 || !(math.IsNaN(ue.V) || math.Abs(ue.V) > maxAbsVm) {
		t.Errorf("implausible report %+v", ue)
	}
}

func TestCellFileTruncatedOrEmpty(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       []string
	}{
		{"empty", "  \n", []string{"c.json:1", "empty file"}},
		{"truncated", goodCell[:len(goodCell)/2], []string{"c.json:", "ends before its object is closed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCell("c.json", []byte(tc.data))
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v does not mention %q", err, w)
				}
			}
		})
	}
}

// TestNegativeConductance: every conductance parameter of every registered
// mechanism refuses a negative value at load, naming the section, the
// mechanism and the parameter, and accepts zero (a channel left out).
func TestNegativeConductance(t *testing.T) {
	checked := 0
	for _, name := range MechanismNames() {
		m := mechanisms[name]
		for _, p := range m.Params {
			if !conductanceUnits[p.Unit] {
				continue
			}
			for _, tc := range []struct {
				v  float64
				ok bool
			}{{-1e-3, false}, {0, true}} {
				params := map[string]Values{}
				for _, q := range m.Params {
					if math.IsNaN(q.Default) {
						params[q.Name] = Values{1}
					}
				}
				params[p.Name] = Values{tc.v}
				c := passiveCell(20, 20, 1, 1e-4, -65)
				c.Sections[0].Mechanisms[name] = params
				c.SetSource("cell.json")
				err := c.Validate()
				if tc.ok {
					if err != nil {
						t.Errorf("%s %s = %g refused: %v", name, p.Name, tc.v, err)
					}
					continue
				}
				want := fmt.Sprintf(`cell.json: section 0 ("cable") mechanisms.%s: parameter %s = -0.001 %s: must be at least 0`, name, p.Name, p.Unit)
				if err == nil || err.Error() != want {
					t.Errorf("%s %s = %g: error %v, want %q", name, p.Name, tc.v, err, want)
				}
			}
			checked++
		}
	}
	if checked < 10 {
		t.Errorf("checked %d conductance parameters; the registered mechanisms have more", checked)
	}
}
