package main

import (
	"fmt"
	"strings"

	"neurosurrogate/biophys"
	"neurosurrogate/infer/optical"
)

// recording is what --record and --optical read of cell 0 every step.
type recording struct {
	r *biophys.Recorder
	// caCol is the column of the spike site's calcium (for --optical).
	caCol int
}

// recorderFor prepares the probes of --record (and, for --optical, the
// spike site's calcium); nil without either.
func recorderFor(pop *biophys.Population, cell *biophys.Cell, spec string, withOptical bool) (*recording, error) {
	var probes []biophys.Probe
	for _, f := range strings.FieldsFunc(spec, func(r rune) bool { return r == ';' || r == ' ' }) {
		p, err := biophys.ParseProbe(f)
		if err != nil {
			return nil, usagef("--record: %v", err)
		}
		probes = append(probes, p)
	}
	caCol := -1
	if withOptical {
		caCol = len(probes)
		probes = append(probes, biophys.Probe{Name: "cai", At: *cell.SpikeSite})
	}
	if len(probes) == 0 {
		return nil, nil
	}
	sys, local := pop.Locate(0)
	r, err := sys.Recorder(local, probes)
	if err != nil {
		return nil, usagef("--record: %v", err)
	}
	return &recording{r: r, caCol: caCol}, nil
}

// columns are the CSV headers of the recorded quantities, with units.
func (rc *recording) columns(withOptical bool) []string {
	var out []string
	for i, p := range rc.r.Probes {
		if i == rc.caCol {
			continue
		}
		out = append(out, fmt.Sprintf("%s[%s]", p, rc.r.Units[i]))
	}
	if withOptical {
		out = append(out, "vimg_mV", "gcamp_dff")
	}
	return out
}

// traceRows holds cell 0's trace until the run ends (the optical
// readouts filter it whole).
type traceRows struct {
	t, v []float64
	x    []float64 // probes, row after row
}

func (tr *traceRows) add(t, v float64, rc *recording) {
	tr.t, tr.v = append(tr.t, t), append(tr.v, v)
	if rc != nil {
		tr.x = rc.r.Sample(tr.x)
	}
}

// write writes the rows, with the optical readouts computed over the
// whole trace.
func (tr *traceRows) write(w *traceWriter, rc *recording, dtMS float64, withOptical bool) error {
	np := 0
	if rc != nil {
		np = len(rc.r.Probes)
	}
	var vimg, dff []float64
	if withOptical {
		ca := make([]float64, len(tr.t))
		for k := range ca {
			ca[k] = tr.x[k*np+rc.caCol]
		}
		var err error
		if vimg, err = optical.VoltageImaging(tr.v, dtMS, 15); err != nil {
			return fmt.Errorf("--optical: %v", err)
		}
		if dff, err = optical.GCaMP6f.Fluorescence(ca, dtMS, optical.Noise{}); err != nil {
			return fmt.Errorf("--optical: %v", err)
		}
	}
	row := make([]float64, 0, np+2)
	for k := range tr.t {
		row = row[:0]
		for j := 0; j < np; j++ {
			if j != rc.caCol {
				row = append(row, tr.x[k*np+j])
			}
		}
		if withOptical {
			row = append(row, vimg[k], dff[k])
		}
		w.add(tr.t[k], tr.v[k], row...)
	}
	return nil
}
