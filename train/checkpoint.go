package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"neurosurrogate/internal/atomicfile"
	"neurosurrogate/surrogate"
)

const (
	ckptKey   = "checkpoint"
	adamM     = "adam.m."
	adamV     = "adam.v."
	bestPrefx = "best."
	emaPrefx  = "ema."
	// ckptSum is the metadata key of the checkpoint's checksum
	// (checkpointDigest).
	ckptSum = "checkpoint_sha256"
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
	// Encoded once to have exactly the tensors and metadata the file will
	// hold, then written with their checksum.
	var buf bytes.Buffer
	if err := m.Write(&buf, extra, map[string]string{ckptKey: string(sj)}); err != nil {
		return err
	}
	ts, meta, err := surrogate.ReadSafetensors(path, buf.Bytes())
	if err != nil {
		return err
	}
	meta[ckptSum] = checkpointDigest(ts, meta)
	return atomicfile.Write(path, func(w io.Writer) error {
		return surrogate.WriteSafetensors(w, ts, meta)
	})
}

// checkpointDigest is a checkpoint's checksum: the SHA-256 of its metadata
// (every entry but the checksum, in key order) and its tensors (in name
// order: name, shape, float32 values), each length-prefixed.
func checkpointDigest(ts map[string]*surrogate.Tensor, meta map[string]string) string {
	h := sha256.New()
	keys := make([]string, 0, len(meta))
	for k := range meta {
		if k != ckptSum {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		putString(h, k)
		putString(h, meta[k])
	}
	names := make([]string, 0, len(ts))
	for n := range ts {
		names = append(names, n)
	}
	sort.Strings(names)
	var b []byte
	for _, n := range names {
		t := ts[n]
		putString(h, n)
		b = binary.LittleEndian.AppendUint64(b[:0], uint64(len(t.Shape)))
		for _, d := range t.Shape {
			b = binary.LittleEndian.AppendUint64(b, uint64(d))
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(len(t.Data)))
		for _, x := range t.Data {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func putString(h hash.Hash, s string) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	io.WriteString(h, s)
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
	return decodeCheckpoint(path, data, st, m, a, ema)
}

// decodeCheckpoint is loadCheckpoint on the file's bytes: it verifies the
// checksum (checkpoints written before there was one have none and are
// taken as they are), then restores the state.
func decodeCheckpoint(path string, data []byte, st *checkpointState, m *surrogate.Model, a *adam, ema *surrogate.Model) (*surrogate.Model, error) {
	ts, rawMeta, err := surrogate.ReadSafetensors(path, data)
	if err != nil {
		return nil, settingf("{resume}: %w", err)
	}
	if sum, ok := rawMeta[ckptSum]; ok && checkpointDigest(ts, rawMeta) != sum {
		return nil, settingf("{resume}: %s: checksum mismatch: the checkpoint changed after it was written (corrupt disk or copy?), so the run cannot continue from it; start it again without {resume}", path)
	}
	cm, extra, meta, err := surrogate.Decode(path, data)
	if err != nil {
		return nil, err
	}
	for name, t := range extra {
		for _, x := range t.Data {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) || strings.HasPrefix(name, adamV) && x < 0 {
				return nil, fmt.Errorf("%s: checkpoint tensor %q holds %v: corrupt", path, name, x)
			}
		}
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
		if s.Config.Epochs != st.Config.Epochs {
			return nil, settingf("{resume}: %s: checkpoint was made with different settings: %s (the learning-rate schedule spans the run's epochs, so a run cannot be lengthened; to train on, start a new run from its model with {init})", path, d)
		}
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
