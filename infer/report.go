package infer

import (
	"math"
	"sort"

	"neurosurrogate/infer/metrics"
)

// NetworkReport is the summary of a network run: size, time, and accuracy
// against the reference where one was made. Its JSON keys are a contract.
type NetworkReport struct {
	Network   string  `json:"network"`
	Cells     int     `json:"cells"`
	Synapses  int64   `json:"synapses"`
	TstopMS   float64 `json:"tstop_ms"`  // measured duration
	WarmupMS  float64 `json:"warmup_ms"` // simulated before it, not measured
	SampleDT  float64 `json:"sample_dt_ms"`
	Reference string  `json:"reference"` // none, replay or full
	WallSurS  float64 `json:"wall_sur_s"`
	// WallRefS is the reference's stepping time (null when none ran).
	WallRefS *float64 `json:"wall_ref_s"`
	// Speedup compares cost per simulated cell-second: (reference wall /
	// reference cell-seconds) / (surrogate wall / surrogate cell-seconds).
	Speedup       *float64           `json:"speedup"`
	SurCellStepUS float64            `json:"sur_us_per_cell_step"`
	RateSurHz     float64            `json:"rate_sur_hz"`
	SpikesSur     int                `json:"spikes_sur"`
	RateSurByPop  map[string]float64 `json:"rate_sur_by_pop_hz"`
	// RateSurWindows is the surrogate population's rate in consecutive
	// 100 ms windows (the last one possibly shorter), PeakSurHz its highest
	// rate in 5 ms bins, and ISICVSur the mean ISI coefficient of variation
	// of its cells (with 3 or more spikes): together they tell an
	// asynchronous irregular state (steady windows, peak near the mean, CV
	// near 1) from runaway bursts or a network that falls silent.
	RateSurWindows []float64 `json:"rate_sur_windows_hz"`
	PeakSurHz      float64   `json:"psth_peak_sur_hz"`

	// Replay: reference cells re-run on the inputs their surrogates got.
	ReplayCells     int      `json:"replay_cells,omitempty"`
	ReplayF1Median  *float64 `json:"replay_f1_2ms_median,omitempty"`
	ReplayF1Q25     *float64 `json:"replay_f1_2ms_q25,omitempty"`
	ReplayF1Q75     *float64 `json:"replay_f1_2ms_q75,omitempty"`
	ReplayF1Pooled  *float64 `json:"replay_f1_2ms_pooled,omitempty"`
	ReplayF1At5Med  *float64 `json:"replay_f1_5ms_median,omitempty"`
	ReplayF1At5     *float64 `json:"replay_f1_5ms_pooled,omitempty"`
	ReplayF1At10    *float64 `json:"replay_f1_10ms_pooled,omitempty"`
	ReplayRateRefHz *float64 `json:"replay_rate_ref_hz,omitempty"`
	ReplayRateSurHz *float64 `json:"replay_rate_sur_hz,omitempty"`

	// Full: the whole network in the reference simulator.
	RateRefHz    *float64 `json:"rate_ref_hz,omitempty"`
	RateCorr     *float64 `json:"rate_corr,omitempty"`
	PSTHCorr     *float64 `json:"psth_corr,omitempty"`
	RateDistance *float64 `json:"rate_distance_hz,omitempty"` // Wasserstein-1 between per-cell rate distributions
	ISICVSur     *float64 `json:"isi_cv_sur"`
	ISICVRef     *float64 `json:"isi_cv_ref,omitempty"`
	// Synchrony (Golomb's χ over 5 ms bins) and the burst fraction (spikes
	// within metrics.BurstISIMS of another of the cell's) of each network: see
	// Readouts.
	SynchronySur     *float64 `json:"synchrony_sur"`
	SynchronyRef     *float64 `json:"synchrony_ref,omitempty"`
	BurstFractionSur *float64 `json:"burst_fraction_sur"`
	BurstFractionRef *float64 `json:"burst_fraction_ref,omitempty"`
	// RateRefWindows is the reference population's rate by 100 ms window.
	RateRefWindows []float64 `json:"rate_ref_windows_hz,omitempty"`
	PSTHBinMS      float64   `json:"psth_bin_ms,omitempty"`

	// Ceiling: the reference network against itself with 1% of its
	// background events left out (RunCeiling), compared as the surrogate
	// network is with the reference.
	CeilingRateHz       *float64 `json:"ceiling_rate_hz,omitempty"`
	CeilingRateCorr     *float64 `json:"ceiling_rate_corr,omitempty"`
	CeilingPSTHCorr     *float64 `json:"ceiling_psth_corr,omitempty"`
	CeilingRateDistance *float64 `json:"ceiling_rate_distance_hz,omitempty"`
}

func ptr(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// trains splits network spikes into per-cell sorted trains.
func trains(sp []NetSpike, cells int) [][]float64 {
	out := make([][]float64, cells)
	for _, s := range sp {
		out[s.Cell] = append(out[s.Cell], s.TimeMS)
	}
	for _, t := range out {
		sort.Float64s(t)
	}
	return out
}

// Summarize builds the report of a surrogate run (and the reference runs
// that were made, either may be nil).
func Summarize(b *Built, sur *RunResult, replay *ReplayResult, full *RunResult) NetworkReport {
	r := NetworkReport{Network: b.Net.Name, Cells: b.Cells, Synapses: b.Synapses(), TstopMS: sur.TstopMS, WarmupMS: sur.WarmupMS, SampleDT: b.SampleDT,
		Reference: "none", WallSurS: sur.Wall.Seconds(), SpikesSur: len(sur.Spikes), RateSurByPop: map[string]float64{}}
	r.RateSurHz = float64(len(sur.Spikes)) / float64(b.Cells) / sur.TstopMS * 1000
	r.SurCellStepUS = sur.Wall.Seconds() * 1e6 / float64(b.Cells) / float64(sur.Steps)
	byPop := make([]int, len(b.Pops))
	for _, s := range sur.Spikes {
		p, _ := b.PopOf(int(s.Cell))
		for i := range b.Pops {
			if b.Pops[i] == p {
				byPop[i]++
			}
		}
	}
	for i, p := range b.Pops {
		r.RateSurByPop[p.Name] = float64(byPop[i]) / float64(p.N) / sur.TstopMS * 1000
	}
	surCellS := float64(b.Cells) * sur.SimulatedMS() / 1000 // as stepped in Wall
	ts := trains(sur.Spikes, b.Cells)
	var allS []float64
	for _, t := range ts {
		allS = append(allS, t...)
	}
	r.RateSurWindows = windowRates(allS, b.Cells, sur.TstopMS, 100)
	for _, x := range metrics.PSTH(allS, b.Cells, sur.TstopMS, 5) {
		r.PeakSurHz = math.Max(r.PeakSurHz, x)
	}
	r.ISICVSur = ptr(metrics.MeanISICV(ts))
	r.SynchronySur, r.BurstFractionSur = ptr(synchrony(ts, sur.TstopMS, psthBinMS)), ptr(metrics.BurstFraction(ts))
	if replay != nil && len(replay.Cells) > 0 {
		r.Reference = "replay"
		r.ReplayCells = len(replay.Cells)
		var f1s, f1s5 []float64
		var pool metrics.Pool
		nRef, nSur := 0, 0
		for i := range replay.Cells {
			ref, s := replay.RefSpikes[i], replay.SurSpikes[i]
			f1s = append(f1s, metrics.Score(ref, s, 2).F1)
			f1s5 = append(f1s5, metrics.Score(ref, s, 5).F1)
			pool.Add(nil, nil, b.SampleDT, ref, s, sur.TstopMS)
			nRef += len(ref)
			nSur += len(s)
		}
		q := metrics.Quantiles(f1s, 0.25, 0.5, 0.75)
		r.ReplayF1Q25, r.ReplayF1Median, r.ReplayF1Q75 = ptr(q[0]), ptr(q[1]), ptr(q[2])
		r.ReplayF1At5Med = ptr(metrics.Quantiles(f1s5, 0.5)[0])
		pooled := pool.Report()
		r.ReplayF1Pooled, r.ReplayF1At5, r.ReplayF1At10 = ptr(pooled.F1At2ms), ptr(pooled.F1At5ms), ptr(pooled.F1At10ms)
		r.ReplayRateRefHz = ptr(float64(nRef) / float64(len(replay.Cells)) / sur.TstopMS * 1000)
		r.ReplayRateSurHz = ptr(float64(nSur) / float64(len(replay.Cells)) / sur.TstopMS * 1000)
		w := replay.Wall.Seconds()
		r.WallRefS = &w
		refCellS := replay.CellMS / 1000
		if w > 0 && sur.Wall > 0 {
			r.Speedup = ptr((w / refCellS) / (sur.Wall.Seconds() / surCellS))
		}
	}
	if full != nil {
		r.Reference = "full"
		w := full.Wall.Seconds()
		r.WallRefS = &w
		refCellS := float64(b.Cells) * full.SimulatedMS() / 1000
		if w > 0 && sur.Wall > 0 {
			r.Speedup = ptr((w / refCellS) / (sur.Wall.Seconds() / surCellS))
		}
		tr := trains(full.Spikes, b.Cells)
		var allR []float64
		for i := range tr {
			allR = append(allR, tr[i]...)
		}
		r.RateRefHz = ptr(float64(len(full.Spikes)) / float64(b.Cells) / full.TstopMS * 1000)
		c := comparePopulations(b.Cells, sur, full)
		r.RateCorr, r.PSTHCorr, r.RateDistance = ptr(c.rateCorr), ptr(c.psthCorr), ptr(c.rateDistance)
		r.PSTHBinMS = psthBinMS
		r.ISICVRef = ptr(metrics.MeanISICV(tr))
		r.SynchronyRef, r.BurstFractionRef = ptr(synchrony(tr, full.TstopMS, psthBinMS)), ptr(metrics.BurstFraction(tr))
		r.RateRefWindows = windowRates(allR, b.Cells, full.TstopMS, 100)
	}
	return r
}

// AddCeiling reports the reference network against itself with 1% of its
// background events left out (RunCeiling): the same figures as the
// surrogate network's against the reference.
func (r *NetworkReport) AddCeiling(b *Built, full, ceiling *RunResult) {
	c := comparePopulations(b.Cells, ceiling, full)
	r.CeilingRateHz = ptr(float64(len(ceiling.Spikes)) / float64(b.Cells) / ceiling.TstopMS * 1000)
	r.CeilingRateCorr, r.CeilingPSTHCorr, r.CeilingRateDistance = ptr(c.rateCorr), ptr(c.psthCorr), ptr(c.rateDistance)
}

// psthBinMS is the bin of the populations' PSTHs compared.
const psthBinMS = 5

type populationComparison struct{ rateCorr, psthCorr, rateDistance float64 }

// comparePopulations compares a run of a network with a reference run of
// it: per-cell rate correlation, correlation of the 5 ms PSTHs, and the
// Wasserstein-1 distance between the per-cell rate distributions.
func comparePopulations(cells int, run, ref *RunResult) populationComparison {
	ts, tr := trains(run.Spikes, cells), trains(ref.Spikes, cells)
	cs, cr := make([]int, cells), make([]int, cells)
	var allS, allR []float64
	for i := range ts {
		cs[i], cr[i] = len(ts[i]), len(tr[i])
		allS, allR = append(allS, ts[i]...), append(allR, tr[i]...)
	}
	rs, rr := metrics.Rates(cs, run.TstopMS), metrics.Rates(cr, ref.TstopMS)
	return populationComparison{
		rateCorr:     metrics.Pearson(rs, rr),
		psthCorr:     metrics.Pearson(metrics.PSTH(allS, cells, run.TstopMS, psthBinMS), metrics.PSTH(allR, cells, ref.TstopMS, psthBinMS)),
		rateDistance: metrics.Wasserstein1(rs, rr),
	}
}

// windowRates is the population rate (Hz per cell) of spike times in
// consecutive windows of winMS over [0, durationMS); a shorter last window
// is scaled by its own length.
func windowRates(times []float64, cells int, durationMS, winMS float64) []float64 {
	nw := int(math.Ceil(durationMS/winMS - 1e-9))
	out := make([]float64, nw)
	for _, t := range times {
		if w := int(t / winMS); w >= 0 && w < nw {
			out[w]++
		}
	}
	for w := range out {
		length := math.Min(winMS, durationMS-float64(w)*winMS)
		out[w] *= 1000 / length / float64(max(1, cells))
	}
	return out
}
