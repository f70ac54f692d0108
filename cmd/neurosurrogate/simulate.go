package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"neurosurrogate/biophys"
	"neurosurrogate/cmd/internal/progress"
)

func init() {
	register(&command{
		name:    "simulate",
		summary: "run the reference simulator on a cell (one cell on events, or a Poisson-driven population)",
		run:     runSimulate,
	})
}

type simulateResult struct {
	Cell         string    `json:"cell"`
	Cells        int       `json:"cells"`
	TstopMS      float64   `json:"tstop_ms"`
	DtMS         float64   `json:"dt_ms"`
	Spikes       []float64 `json:"spikes"`
	TotalSpikes  int       `json:"total_spikes"`
	MeanRateHz   float64   `json:"mean_rate_hz"`
	WallS        float64   `json:"wall_s"`
	CellMSPerS   float64   `json:"cell_ms_per_s"`
	Workers      int       `json:"workers"`
	Nodes        int       `json:"nodes_per_cell"`
	Interpolated bool      `json:"interpolated_spike_times"`
}

func runSimulate(args []string, stdout io.Writer) error {
	fs := newFlags("simulate", "--cell "+cellChoice+" [--events EV.csv] [--iclamp AMP,DELAY,DUR] --tstop MS [flags]")
	cellArg := fs.String("cell", "", "cell: a shipped name ("+shippedCells+") or a cell JSON file")
	events := fs.String("events", "", "input events CSV (time_ms,synapse,weight_uS), given to every cell")
	iclamp := fs.String("iclamp", "", "current step AMP_nA,DELAY_ms,DUR_ms at the spike site")
	tstop := fs.Float64("tstop", 1000, "simulated time (ms)")
	dt := fs.Float64("dt", 0.025, "time step (ms)")
	trace := fs.String("trace", "", "write cell 0's spike-site Vm every dt to this CSV (t_ms,v_mV)")
	record := fs.String("record", "", "with --trace: more columns of cell 0, NAME@SECTION(X) separated by spaces or semicolons: v, an ion X's iX, eX, Xi, Xo, or MECH.VAR of an NMODL mechanism (e.g. 'v@apic[36](0.5);cai@soma(0.5);ica@soma')")
	opticalOut := fs.Bool("optical", false, "with --trace: add voltage imaging of the spike-site Vm (15 Hz low-pass, vimg_mV) and GCaMP6f fluorescence of its calcium (gcamp_dff)")
	asJSON := fs.Bool("json", false, "print the result as one JSON object on the last line")
	ncells := fs.Int("cells", 1, "number of cells (each gets its own Poisson streams)")
	rateExc := fs.Float64("rate-exc", 0, "Poisson rate (Hz) onto every excitatory synapse")
	rateInh := fs.Float64("rate-inh", 0, "Poisson rate (Hz) onto every inhibitory synapse")
	wExc := fs.Float64("w-exc", 0.004, "weight (uS) of excitatory Poisson events")
	wInh := fs.Float64("w-inh", 0.004, "weight (uS) of inhibitory Poisson events")
	seed := fs.Uint64("seed", 1, "seed of the Poisson streams")
	workers := fs.Int("workers", 0, "worker threads (0: one per core)")
	interp := fs.Bool("interpolate", false, "interpolate spike times inside the step (default: end of step, as NEURON's fixed step)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if err := checkTime(*tstop, *dt); err != nil {
		return err
	}
	if err := checkWorkers(*workers); err != nil {
		return err
	}
	if err := checkOverwrite([]pathArg{{"--trace", *trace}},
		[]pathArg{{"--cell", artifactFile(*cellArg, "", "cells", ".json")}, {"--events", *events}}); err != nil {
		return err
	}
	if err := checkWritable("trace", *trace); err != nil {
		return err
	}
	switch {
	case *ncells < 1:
		return usagef("--cells %d: must be at least 1", *ncells)
	}
	for _, f := range []struct {
		name, unit string
		v, max     float64
	}{{"rate-exc", "Hz", *rateExc, biophys.MaxRateHz}, {"rate-inh", "Hz", *rateInh, biophys.MaxRateHz},
		{"w-exc", "uS", *wExc, biophys.MaxWeightUS}, {"w-inh", "uS", *wInh, biophys.MaxWeightUS}} {
		if !(f.v >= 0 && f.v <= f.max) {
			return usagef("--%s %v: must lie in [0, %g] %s", f.name, f.v, f.max, f.unit)
		}
	}
	cell, err := loadCell(*cellArg)
	if err != nil {
		return err
	}
	tmpl, err := biophys.Compile(cell)
	if err != nil {
		return err
	}
	var clamps []biophys.Clamp
	if *iclamp != "" {
		amp, del, dur, err := parseIClamp(*iclamp)
		if err != nil {
			return err
		}
		clamps = append(clamps, biophys.Clamp{Node: tmpl.SpikeNode, AmpNA: amp, DelMS: del, DurMS: dur})
	}
	var evs []biophys.Event
	if *events != "" {
		if evs, err = biophys.ReadEventsFile(*events, cell); err != nil {
			return err
		}
	}
	poisson := *rateExc > 0 || *rateInh > 0
	if poisson && len(cell.Synapses) == 0 {
		return usagef("--rate-exc/--rate-inh: cell %s has no synapses", cell.Name)
	}

	if err := biophys.CheckMemory(int64(*ncells), int64(*ncells)*int64(tmpl.N)); err != nil {
		return err
	}
	cells := make([]biophys.Instance, *ncells)
	for i := range cells {
		cells[i] = biophys.Instance{T: tmpl, Clamps: clamps}
	}
	pop, err := biophys.NewPopulation(cells, *dt, *workers)
	if err != nil {
		return err
	}
	for c := 0; c < *ncells; c++ {
		sys, local := pop.Locate(c)
		sys.Interpolate = *interp
		sys.AddEvents(local, evs)
		if !poisson {
			continue
		}
		for s := range cell.Synapses {
			rate, w := *rateInh, *wInh
			if cell.Excitatory(s) {
				rate, w = *rateExc, *wExc
			}
			if rate > 0 {
				sys.AddStream(local, s, biophys.NewPoisson(rate, w, 0, biophys.Seed(*seed, uint64(c)), uint64(s)))
			}
		}
	}

	var tr *traceWriter
	rec, err := recorderFor(pop, cell, *record, *opticalOut)
	if err != nil {
		return err
	}
	if (rec != nil || *opticalOut) && *trace == "" {
		return usagef("--record and --optical write columns of --trace: give --trace FILE")
	}
	var rows traceRows
	if *trace != "" {
		var extra []string
		if rec != nil {
			extra = rec.columns(*opticalOut)
		}
		if tr, err = newTraceWriter(*trace, extra...); err != nil {
			return err
		}
		defer tr.Abort()
		rows.add(0, pop.Systems[0].V(0), rec)
	}
	nsteps := biophys.StepsFor(*tstop, *dt)
	bar := progress.New("simulate", int64(nsteps), "steps")
	chunk := max(1, min(nsteps, int(math.Ceil(20 / *dt)))) // report every 20 ms simulated
	var spikes []biophys.Spike
	var wall time.Duration
	for done := 0; done < nsteps; {
		k := min(chunk, nsteps-done)
		start := time.Now()
		var after func(int, *biophys.System)
		if tr != nil {
			after = func(i int, s *biophys.System) {
				if i == 0 {
					rows.add(s.T(), s.V(0), rec)
				}
			}
		}
		err := pop.Advance(k, after)
		wall += time.Since(start)
		if err != nil {
			bar.Done()
			return err
		}
		spikes = pop.Spikes(spikes)
		done += k
		bar.Set(int64(done), fmt.Sprintf("t=%.0f ms, %d spikes", pop.T(), len(spikes)))
	}
	bar.Done()
	if tr != nil {
		if err := rows.write(tr, rec, *dt, *opticalOut); err != nil {
			return err
		}
		if err := tr.Commit(); err != nil {
			return err
		}
	}
	res := simulateResult{Cell: cell.Name, Cells: *ncells, TstopMS: math.Round(float64(nsteps)**dt*1e9) / 1e9, DtMS: *dt, Spikes: []float64{},
		TotalSpikes: len(spikes), WallS: wall.Seconds(), Workers: len(pop.Systems), Nodes: tmpl.N, Interpolated: *interp}
	for _, s := range spikes {
		if s.Cell == 0 {
			res.Spikes = append(res.Spikes, math.Round(s.TimeMS*1e6)/1e6)
		}
	}
	res.MeanRateHz = float64(len(spikes)) / float64(*ncells) / (res.TstopMS / 1000)
	if res.WallS > 0 {
		res.CellMSPerS = float64(*ncells) * res.TstopMS / res.WallS
	}
	fmt.Fprintf(stdout, "%s: %s, %.0f ms at dt %g ms: %d spikes (%.2f Hz per cell); stepping took %.3f s (%.0f cell-ms per s)\n",
		cell.Name, pop, res.TstopMS, *dt, res.TotalSpikes, res.MeanRateHz, res.WallS, res.CellMSPerS)
	if *asJSON {
		if err := printJSON(stdout, res); err != nil {
			return err
		}
	} else if *ncells == 1 {
		fmt.Fprintf(stdout, "spike times (ms): %s\n", joinFloats(res.Spikes))
	}
	return nil
}

// parseIClamp parses AMP_nA,DELAY_ms,DUR_ms.
func parseIClamp(s string) (amp, del, dur float64, err error) {
	p := strings.Split(s, ",")
	if len(p) != 3 {
		return 0, 0, 0, usagef("--iclamp %q: want AMP_nA,DELAY_ms,DUR_ms", s)
	}
	var v [3]float64
	names := []string{"AMP_nA", "DELAY_ms", "DUR_ms"}
	for i := range p {
		v[i], err = strconv.ParseFloat(strings.TrimSpace(p[i]), 64)
		if err != nil || math.IsNaN(v[i]) || math.IsInf(v[i], 0) {
			return 0, 0, 0, usagef("--iclamp %q: %s %q is not a finite number", s, names[i], p[i])
		}
	}
	if v[1] < 0 || v[2] < 0 {
		return 0, 0, 0, usagef("--iclamp %q: delay and duration must be >= 0", s)
	}
	return v[0], v[1], v[2], nil
}

func joinFloats(xs []float64) string {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(strconv.FormatFloat(x, 'f', -1, 64))
	}
	return b.String()
}
