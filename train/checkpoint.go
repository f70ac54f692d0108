package train

import (
	"encoding/json"
	"fmt"
	"io"
	"neurosurrogate/internal/atomicfile"
	"os"
	"strings"

	"neurosurrogate/surrogate"
)

const (
	ckptKey   = "checkpoint"
	adamM     = "adam.m."
	adamV     = "adam.v."
	bestPrefx = "best."
	emaPrefx  = "ema."
)

// saveCheckpoint writes the model, the optimizer's moments, the best model
// so far, the weights' moving average (if kept) and the loop position
// atomically.
func saveCheckpoint(path string, st *checkpointState, m *surrogate.Model, a *adam, best, ema *surrogate.Model) error {
	extra := map[string]*surrogate.Tensor{}
	for name, t := range m.W {
		extra[adamM+name] = &surrogate.Tensor{Shape: t.Shape, Data: a.m[name]}
		extra[adamV+name] = &surrogate.Tensor{Shape: t.Shape, Data: a.v[name]}
		if best != nil {
			extra[bestPrefx+name] = best.W[name]
		}
		if ema != nil {
			extra[emaPrefx+name] = ema.W[name]
		}
	}
	sj, err := json.Marshal(struct {
		*checkpointState
		AdamStep int  `json:"adam_step"`
		HasBest  bool `json:"has_best"`
	}{st, a.step, best != nil})
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		return m.Write(w, extra, map[string]string{ckptKey: string(sj)})
	})
}

// loadCheckpoint refuses a checkpoint made with settings other than
// st.Config, restores a run's state into st, m, a and ema (the weights'
// moving average, if kept) and returns the best model so far (nil if none
// yet).
func loadCheckpoint(path string, st *checkpointState, m *surrogate.Model, a *adam, ema *surrogate.Model) (*surrogate.Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, settingf("{resume}: no checkpoint at %s (a run writing {out} %s keeps one there)", path, strings.TrimSuffix(path, ".ckpt"))
		}
		return nil, settingf("{resume}: %w", err)
	}
	cm, extra, meta, err := surrogate.Decode(path, data)
	if err != nil {
		return nil, err
	}
	var s struct {
		checkpointState
		AdamStep int  `json:"adam_step"`
		HasBest  bool `json:"has_best"`
	}
	// Settings added since a checkpoint was made read as what such runs
	// did: the defaults, and the gorgonia graph, the only engine then.
	s.Config = DefaultConfig()
	s.Config.Engine = "gorgonia"
	if err := json.Unmarshal([]byte(meta[ckptKey]), &s); err != nil {
		return nil, fmt.Errorf("%s: not a training checkpoint: %v", path, err)
	}
	// A changed setting says more than the weight shapes it changes.
	if d := configDiff(s.Config, st.Config); d != "" {
		return nil, fmt.Errorf("%s: checkpoint was made with different settings: %s", path, d)
	}
	for name, t := range m.W {
		ct, ok := cm.W[name]
		if !ok || len(ct.Data) != len(t.Data) {
			return nil, fmt.Errorf("%s: checkpoint weights do not fit this architecture (%s)", path, name)
		}
		copy(t.Data, ct.Data)
		mm, ok1 := extra[adamM+name]
		vv, ok2 := extra[adamV+name]
		if !ok1 || !ok2 || len(mm.Data) != len(t.Data) || len(vv.Data) != len(t.Data) {
			return nil, fmt.Errorf("%s: optimizer state for %s missing or of the wrong size", path, name)
		}
		copy(a.m[name], mm.Data)
		copy(a.v[name], vv.Data)
		if ema != nil {
			et, ok := extra[emaPrefx+name]
			if !ok || len(et.Data) != len(t.Data) {
				return nil, fmt.Errorf("%s: moving average of %s missing or of the wrong size", path, name)
			}
			copy(ema.W[name].Data, et.Data)
		}
	}
	m.Norm = cm.Norm
	if ema != nil {
		ema.Norm = cm.Norm
	}
	a.step = s.AdamStep
	*st = s.checkpointState
	if !s.HasBest {
		return nil, nil
	}
	best := m.Clone()
	for name := range best.W {
		bt, ok := extra[bestPrefx+name]
		if !ok || len(bt.Data) != len(best.W[name].Data) {
			return nil, fmt.Errorf("%s: best weights for %s missing", path, name)
		}
		copy(best.W[name].Data, bt.Data)
	}
	return best, nil
}
