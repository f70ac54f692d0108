package train

import (
	"math"
	"math/rand/v2"
	"sync"

	"neurosurrogate/surrogate"
)

// ownHeard is, for a model that hears its fired spikes (Arch.HearsFired)
// trained with Config.HearOwn, the spikes each trace of the batch hears
// from its own readout: a fraction frac of the traces, drawn with rng, are
// run free from rest with m as it is now, and on those the model hears, by
// bin, the spikes its readout reported (the readout's shift included), as
// a Stream hears them in use; the others get nil (they hear the
// reference's). The rollouts run in up to par goroutines.
func ownHeard(m *surrogate.Model, tr []*series, vInit float32, frac float64, rng *rand.Rand, par int) [][]float32 {
	own := make([][]float32, len(tr))
	var pick []int
	for i := range tr {
		if frac >= 1 || rng.Float64() < frac {
			pick = append(pick, i)
		}
	}
	if len(pick) == 0 {
		return own
	}
	par = max(1, min(par, len(pick)))
	dt := m.Arch.SampleDT
	var wg sync.WaitGroup
	for g := 0; g < par; g++ {
		part := pick[g*len(pick)/par : (g+1)*len(pick)/par]
		wg.Add(1)
		go func() {
			defer wg.Done()
			set := make([]*series, len(part))
			for j, i := range part {
				set[j] = tr[i]
			}
			_, p := rollouts(m, set, vInit)
			for j, i := range part {
				h := make([]float32, len(tr[i].spike))
				for _, t := range m.Readout.Spikes(p[j], dt) {
					// A spike at t = (k + 0.5)·dt + shift is reported in bin
					// k + round(shift/dt), as Stream's hearing counts it.
					if b := int(math.Round(t/dt - 0.5)); b >= 0 && b < len(h) {
						h[b] = 1
					}
				}
				own[i] = h
			}
		}()
	}
	wg.Wait()
	return own
}
