package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"neurosurrogate/cmd/internal/progress"
	"neurosurrogate/dataset"
)

func init() {
	register(&command{
		name:    "inspect",
		summary: "describe a generated dataset: traces, channels, spike statistics, metadata",
		run:     runInspect,
	})
}

func runInspect(args []string, stdout io.Writer) error {
	fs := newFlags("inspect", "[flags] DATASET_FOLDER")
	noStats := fs.Bool("no-stats", false, "skip the statistics (they read every trace)")
	cell := fs.Bool("cell", false, "also print the cell description (JSON)")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want the dataset folder, e.g. neurosurrogate inspect data/hh")
	}
	ds, err := dataset.Open(pos[0])
	if err != nil {
		return err
	}
	defer ds.Close()
	m := ds.Meta()
	unchecked, err := ds.Verify()
	if err != nil {
		return err
	}
	w := &errWriter{w: stdout}
	w.printf("dataset    %s: %d shard file(s), all present\n", m.Dir, m.Shards)
	if unchecked == 0 {
		w.printf("integrity  every shard's checksum verified\n")
	} else {
		w.printf("integrity  %d of %d shards have no checksum (written before shards carried one): not verified\n", unchecked, m.Shards)
	}
	w.printf("format     %s, generator %s, compression %s\n", m.Format, m.Generator, m.Compression)
	w.printf("cell       %s (sha256 %.12s...)\n", m.CellName, m.CellSHA256)
	w.printf("traces     %d x %g ms: %d samples every %g ms (simulated with dt %g ms), seed %d\n",
		m.Traces, m.DurationMS, m.Samples, m.SampleDtMS, m.DtMS, m.Seed)
	var chans []string
	for _, c := range m.Channels {
		s := c.Name + " (" + c.Class
		if c.Kind != "" {
			s += " " + c.Kind
		}
		chans = append(chans, s+", "+c.Unit+")")
	}
	w.printf("channels   %d: %s\n", len(m.Channels), listClip(chans, 8))
	cols := append([]string{dataset.ColTrace, dataset.ColTime, dataset.ColV}, m.ChannelNames()...)
	var recs []string
	for _, r := range m.Records {
		cols = append(cols, r.Name)
		recs = append(recs, r.Name+" ("+r.Unit+")")
	}
	cols = append(cols, dataset.ColSpike, dataset.ColParams)
	if len(recs) > 0 {
		w.printf("records    %d: %s\n", len(recs), listClip(recs, 8))
	}
	w.printf("columns    %s\n", listClip(cols, 12))
	r := m.Regimes
	var mix []string
	for _, e := range r.Mix {
		mix = append(mix, fmt.Sprintf("%s %.3g%%", e.Regime, 100*e.Frac))
	}
	w.printf("regimes    %s\n", strings.Join(mix, ", "))
	w.printf("  exc      rate %s Hz x weight %s uS (core %s Hz x %s uS)\n", r.Exc.RateHz, r.Exc.WeightUS, r.CoreExc.RateHz, r.CoreExc.WeightUS)
	w.printf("  inh      rate %s Hz x weight %s uS (core %s Hz x %s uS)\n", r.Inh.RateHz, r.Inh.WeightUS, r.CoreInh.RateHz, r.CoreInh.WeightUS)
	if r.StepFrac > 0 {
		w.printf("  steps    %.3g%% of traces, %s nA for %s ms\n", 100*r.StepFrac, r.StepAmpNA, r.StepDurMS)
	}
	if !*noStats {
		bar := progress.New("inspect", int64(m.Traces), "traces")
		s, err := ds.Summarize(func(done, _ int) { bar.Set(int64(done), "") })
		bar.Done()
		if err != nil {
			return err
		}
		w.printf("spikes     mean %.3g Hz; min %.3g, p10 %.3g, median %.3g, p90 %.3g, max %.3g Hz; %.1f%% of traces silent\n",
			s.RateMeanHz, s.RateMinHz, s.RateP10Hz, s.RateMedianHz, s.RateP90Hz, s.RateMaxHz, 100*s.FracSilent)
		w.printf("rate histogram (traces)\n")
		for _, h := range s.Hist {
			label := "silent"
			if h.Hi > 0 {
				label = fmt.Sprintf("%g-%g Hz", h.Lo, h.Hi)
				if math.IsInf(h.Hi, 1) {
					label = fmt.Sprintf("> %g Hz", h.Lo)
				}
			}
			bar := strings.Repeat("#", int(math.Ceil(40*float64(h.Count)/float64(s.Traces))))
			w.printf("  %-12s %7d  %s\n", label, h.Count, bar)
		}
		w.printf("by regime  %-13s %7s %9s %7s %9s\n", "", "traces", "mean Hz", "silent", "attempts")
		for _, g := range s.Regimes {
			w.printf("           %-13s %7d %9.3g %6.1f%% %9.3g\n", g.Regime, g.Traces, g.MeanRateHz, 100*g.FracSilent, g.MeanAttempts)
		}
		w.printf("v_soma     %.2f .. %.2f mV, mean %.2f mV\n", s.VMin, s.VMax, s.VMean)
		for i, c := range s.Channels {
			if i == 8 && len(s.Channels) > 9 {
				w.printf("           ... (%d channels in all)\n", len(s.Channels))
				break
			}
			unit := "uS/ms"
			switch m.Channels[i].Class {
			case "clamp":
				unit = "nA"
			case dataset.ClassTiming:
				unit = "uS*bin/ms"
			}
			w.printf("input      %-12s mean %.4g %s, %.1f%% of bins active\n", c.Name, c.MeanPerMS, unit, 100*c.FracActive)
		}
		if s.Steps > 0 {
			w.printf("steps      %d traces with a current step\n", s.Steps)
		}
	}
	st, _ := json.MarshalIndent(m.Settings, "  ", "  ")
	w.printf("metadata   settings:\n  %s\n", st)
	if *cell {
		w.printf("cell:\n%s\n", m.CellJSON)
	}
	return w.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func listClip(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(", ... (%d in all)", len(s))
}
