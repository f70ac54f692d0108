package main

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"neurosurrogate/artifacts"
	"neurosurrogate/biophys"
	"neurosurrogate/surrogate"
)

// gunzipTo writes the gzipped file src uncompressed into dir and returns
// its path.
func gunzipTo(t *testing.T, src, dir string) string {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(zr); err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(src), ".gz"))
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestImportNEURON: `import neuron` turns NEURON's export of the Hay cell
// (biophys/testdata/hay) into the shipped cell file byte for byte, and the
// imported cell fires NEURON's spikes under its golden 1.9 nA step (the
// first 60 ms of it: 703, 708.125, 713.15, 718.45, 730.875 ms).
func TestImportNEURON(t *testing.T) {
	const hay = "../../biophys/testdata/hay/"
	dir := t.TempDir()
	export, syns := gunzipTo(t, hay+"cell.json.gz", dir), gunzipTo(t, hay+"synapses.json.gz", dir)
	out := filepath.Join(dir, "hay.json")
	code, stdout, errs := runT(t, "import", "neuron", export, "--synapses", syns, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if want := "wrote " + out + ": cell hay-l5pc, 196 sections, 642 segments, 200 synapses"; !strings.Contains(stdout, want) {
		t.Errorf("stdout %q, want %q", stdout, want)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := os.ReadFile("../../artifacts/cells/hay-l5pc.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, shipped) {
		t.Errorf("the imported cell (%d bytes) differs from artifacts/cells/hay-l5pc.json (%d bytes)", len(data), len(shipped))
	}
	c, err := biophys.ParseCell(out, data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "hay-l5pc" || len(c.Sections) != 196 || len(c.Synapses) != 200 || *c.VInitMV != -80 || *c.SpikeThresholdMV != -10 ||
		c.SpikeSite.Section.Name != "soma[0]" || c.SpikeSite.X != 0.5 {
		t.Errorf("cell %q: %d sections, %d synapses, v_init %v, threshold %v, spike site %v", c.Name, len(c.Sections), len(c.Synapses), *c.VInitMV, *c.SpikeThresholdMV, c.SpikeSite)
	}
	exc := 0
	for i := range c.Synapses {
		if c.Excitatory(i) {
			exc++
		}
	}
	if exc != 150 {
		t.Errorf("%d excitatory synapses, want 150 (and 50 inhibitory)", exc)
	}
	code, stdout, errs = runT(t, "simulate", "--cell", out, "--iclamp", "1.9,700,2000", "--tstop", "760", "--json")
	if code != 0 {
		t.Fatalf("simulating the imported cell: exit %d: %s", code, errs)
	}
	var golden struct{ Spikes []float64 }
	b, err := os.ReadFile(hay + "step_1.9.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	var want []float64
	for _, s := range golden.Spikes {
		if s < 760 {
			want = append(want, s)
		}
	}
	got := lastJSON(t, stdout)["spikes"].([]any)
	if len(want) != 5 || len(got) != len(want) {
		t.Fatalf("imported cell fired at %v, NEURON at %v", got, want)
	}
	for i, s := range got {
		if math.Abs(s.(float64)-want[i]) > 1e-6 {
			t.Errorf("spike %d at %v ms, NEURON's at %v", i, s, want[i])
		}
	}

	// A broken export is refused with its file named, and nothing is written.
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"name": "x", "sections": []}`), 0o644)
	never := filepath.Join(dir, "never.json")
	code, _, errs = runT(t, "import", "neuron", bad, "--out", never)
	if _, err := os.Stat(never); code != 1 || !strings.Contains(errs, "bad.json") || !strings.Contains(errs, "sections") || err == nil {
		t.Errorf("empty export: exit %d, %q, output %v", code, errs, err)
	}
}

// TestTrainJSON: a small successful run of `train --json` on data made by
// `generate`: the JSON has its keys with finite, consistent values, its
// best epoch is the learning curve's best score, and the model it wrote
// loads, has the asked sizes and parameter count and runs in `rollout`.
func TestTrainJSON(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if code, _, errs := runT(t, "generate", "--cell", "hh", "--traces", "20", "--duration", "200", "--out", data, "--quiet"); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errs)
	}
	out := filepath.Join(dir, "m.safetensors")
	const epochs, batch, seq = 2, 4, 50
	code, stdout, errs := runT(t, "train", "--data", data, "--out", out, "--epochs", strconv.Itoa(epochs), "--hidden", "8", "--conv", "4",
		"--batch", strconv.Itoa(batch), "--seq", strconv.Itoa(seq), "--json")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	var res struct {
		Model       string             `json:"model"`
		Params      int                `json:"params"`
		Best        map[string]float64 `json:"best"`
		ElapsedS    float64            `json:"elapsed_s"`
		Steps       int                `json:"steps"`
		Samples     int64              `json:"samples"`
		SamplesPerS float64            `json:"samples_per_s"`
		StoppedBy   string             `json:"stopped_by"`
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	last := lines[len(lines)-1]
	dec := json.NewDecoder(strings.NewReader(last))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("train JSON %s: %v", last, err)
	}
	var keys map[string]any
	json.Unmarshal([]byte(last), &keys)
	for _, k := range []string{"model", "params", "best", "elapsed_s", "steps", "samples", "samples_per_s", "stopped_by"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("train JSON lacks %q: %s", k, last)
		}
	}
	if res.Model != out || res.StoppedBy != "epochs" || res.Steps < epochs || res.Samples != int64(res.Steps)*batch*seq ||
		!(res.ElapsedS > 0) || math.Abs(res.SamplesPerS*res.ElapsedS-float64(res.Samples)) > 1e-6*float64(res.Samples) {
		t.Errorf("train JSON: model %q, stopped by %q, %d steps, %d samples (want steps x %d x %d), %g s, %g samples/s",
			res.Model, res.StoppedBy, res.Steps, res.Samples, batch, seq, res.ElapsedS, res.SamplesPerS)
	}
	for _, k := range []string{"epoch", "step", "train_loss", "train_loss_vm", "train_loss_spike", "val_f1_2ms", "val_f1_10ms",
		"val_rmse_sub_mV", "val_ev_sub", "val_rate_ref_hz", "val_rate_sur_hz", "score", "elapsed_s"} {
		x, ok := res.Best[k]
		if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
			t.Errorf("best.%s = %v (present %v)", k, x, ok)
		}
	}
	b := res.Best
	if b["epoch"] < 0 || b["epoch"] >= epochs || b["step"] < 1 || int(b["step"]) > res.Steps || !(b["train_loss"] > 0) ||
		math.Abs(b["train_loss"]-b["train_loss_vm"]-b["train_loss_spike"]) > 1e-6 || b["val_f1_2ms"] < 0 || b["val_f1_2ms"] > b["val_f1_10ms"] ||
		b["val_f1_10ms"] > 1 || !(b["val_rmse_sub_mV"] > 0) || !(b["val_rate_ref_hz"] > 0) {
		t.Errorf("best epoch: %v", b)
	}
	// The best epoch is the one of the learning curve with the highest score.
	f, err := os.Open(strings.TrimSuffix(out, ".safetensors") + ".curve.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != epochs+1 || rows[0][0] != "epoch" || rows[0][len(rows[0])-1] != "score" {
		t.Fatalf("learning curve: %d rows (%v), header %v", len(rows), err, rows[0])
	}
	bestRow, bestScore := -1, math.Inf(-1)
	for i, r := range rows[1:] {
		s, err := strconv.ParseFloat(r[len(r)-1], 64)
		if err != nil {
			t.Fatal(err)
		}
		if s > bestScore {
			bestRow, bestScore = i, s
		}
	}
	if float64(bestRow) != b["epoch"] || math.Abs(bestScore-b["score"]) > 1e-4 {
		t.Errorf("best epoch %v with score %v; the curve's best is epoch %d with %v", b["epoch"], b["score"], bestRow, bestScore)
	}
	m, err := surrogate.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, w := range m.W {
		n += len(w.Data)
	}
	hh, err := artifacts.LoadCell("hh", "")
	if err != nil {
		t.Fatal(err)
	}
	if m.Arch.Hidden != 8 || m.Arch.Conv != 4 || n != res.Params || m.Info["cell_hash"] != hh.Hash() {
		t.Errorf("model: hidden %d, conv %d, %d parameters (JSON %d), cell %.12s (hh %.12s)", m.Arch.Hidden, m.Arch.Conv, n, res.Params, m.Info["cell_hash"], hh.Hash())
	}
	if code, _, errs := runT(t, "rollout", "--model", out, "--cell", "hh", "--events", "testdata/good.csv", "--tstop", "50", "--json"); code != 0 {
		t.Errorf("rollout of the trained model: exit %d: %s", code, errs)
	}
}

// decodePNG reads a PNG file and checks its size.
func decodePNG(t *testing.T, path string, w, h int) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("%s is %dx%d, want %dx%d", path, b.Dx(), b.Dy(), w, h)
	}
	return img
}

// inkColumns counts the columns of rectangle r of img holding a pixel that
// is ink(r, g, b) (8-bit channels).
func inkColumns(img image.Image, r image.Rectangle, ink func(r, g, b uint32) bool) int {
	r = r.Add(img.Bounds().Min).Intersect(img.Bounds())
	n := 0
	for x := r.Min.X; x < r.Max.X; x++ {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if ink(cr>>8, cg>>8, cb>>8) {
				n++
				break
			}
		}
	}
	return n
}

func red(r, g, b uint32) bool  { return r > 150 && g < 100 && b < 100 } // the surrogate
func dark(r, g, b uint32) bool { return r < 90 && g < 90 && b < 90 }    // the reference (and the axes)

// TestPlots: `rollout --plot` and `network --raster` write PNG images that
// decode, of the size the plots are drawn at (14 x 5 in and 12 x 8 in at
// gonum's 96 dpi), with the surrogate (red) drawn across the time axis and,
// in the raster of a run with the full reference, the reference too.
func TestPlots(t *testing.T) {
	dir := t.TempDir()
	plot := filepath.Join(dir, "rollout.png")
	code, stdout, errs := runT(t, "rollout", "--model", "hh", "--cell", "hh", "--events", "testdata/good.csv", "--tstop", "100", "--plot", plot)
	if code != 0 || !strings.Contains(stdout, "plot: "+plot) {
		t.Fatalf("rollout --plot: exit %d: %s%s", code, stdout, errs)
	}
	img := decodePNG(t, plot, 1344, 480)
	if n := inkColumns(img, image.Rect(0, 0, 1344, 480), red); n < 1344/2 {
		t.Errorf("the surrogate's trace covers %d of 1344 columns", n)
	}

	net := filepath.Join(dir, "net.json")
	os.WriteFile(net, []byte(`{"name": "t", "seed": 7, "populations": [
  {"name": "E", "cell": "hh", "model": "hh", "count": 60, "background": [{"synapse": "exc", "rate_hz": 1000, "weight_uS": 0.0015}, {"synapse": "inh", "rate_hz": 300, "weight_uS": 0.003}]},
  {"name": "I", "cell": "hh", "model": "hh", "count": 20, "background": [{"class": "exc", "rate_hz": 1000, "weight_uS": 0.0015}]}
], "projections": [
  {"from": "E", "to": "I", "synapse": "exc", "rule": "probability", "p": 0.1, "weight_uS": 0.0015, "delay_ms": 2},
  {"from": "I", "to": "E", "synapse": "inh", "rule": "indegree", "k": 5, "weight_uS": 0.003, "delay_ms": 1.5}
]}`), 0o644)
	raster := filepath.Join(dir, "raster.png")
	code, stdout, errs = runT(t, "network", "--network", net, "--tstop", "200", "--reference", "full", "--raster", raster)
	if code != 0 || !strings.Contains(stdout, "raster: "+raster) {
		t.Fatalf("network --raster: exit %d: %s%s", code, stdout, errs)
	}
	img = decodePNG(t, raster, 1152, 768)
	// Inside the plots' data areas (the axes, labels and title lie outside):
	// spikes of both runs in the raster from 0 to 200 ms, and the
	// surrogate's rate below it.
	for _, c := range []struct {
		what string
		area image.Rectangle
		ink  func(r, g, b uint32) bool
		min  int
	}{
		{"surrogate spikes", image.Rect(100, 30, 1100, 330), red, 300},
		{"reference spikes", image.Rect(100, 30, 1100, 330), dark, 300},
		{"the surrogate's rate", image.Rect(100, 400, 1100, 700), red, 700},
	} {
		if n := inkColumns(img, c.area, c.ink); n < c.min {
			t.Errorf("%s in %d of the 1000 columns of %v, want at least %d", c.what, n, c.area, c.min)
		}
	}
}

// TestDefaultNetwork: `network --json` on the shipped default (1000 Hay
// surrogates, replay of 8 cells, as the README runs it; here 200 ms without
// the warm-up, the onset burst included, to keep it short) reports the
// documented keys with consistent values.
func TestDefaultNetwork(t *testing.T) {
	code, stdout, errs := runT(t, "network", "--tstop", "200", "--warmup", "0", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	m := lastJSON(t, stdout)
	for _, k := range []string{"network", "cells", "synapses", "tstop_ms", "warmup_ms", "sample_dt_ms", "reference", "wall_sur_s", "wall_ref_s", "speedup",
		"sur_us_per_cell_step", "rate_sur_hz", "spikes_sur", "rate_sur_by_pop_hz", "rate_sur_windows_hz", "psth_peak_sur_hz", "isi_cv_sur",
		"replay_cells", "replay_f1_2ms_median", "replay_f1_2ms_q25", "replay_f1_2ms_q75", "replay_f1_2ms_pooled", "replay_f1_5ms_median", "replay_f1_5ms_pooled", "replay_f1_10ms_pooled",
		"replay_rate_ref_hz", "replay_rate_sur_hz"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	num := func(k string) float64 {
		x, ok := m[k].(float64)
		if !ok {
			t.Fatalf("%s = %v, want a number", k, m[k])
		}
		return x
	}
	// The README's figures of the default network: 1000 cells, 49 804
	// recurrent synapses, replay of 8 cells.
	if m["network"] != "hay-l5pc-1000" || num("cells") != 1000 || num("synapses") != 49804 || m["reference"] != "replay" || num("replay_cells") != 8 ||
		num("tstop_ms") != 200 || num("warmup_ms") != 0 || num("sample_dt_ms") != 0.5 {
		t.Errorf("default network: %v", m)
	}
	rate := num("rate_sur_hz")
	win := m["rate_sur_windows_hz"].([]any)
	if len(win) != 2 || math.Abs((win[0].(float64)+win[1].(float64))/2-rate) > 1e-9 || math.Abs(num("spikes_sur")-rate*1000*0.2) > 1e-6 ||
		m["rate_sur_by_pop_hz"].(map[string]any)["L5PC"] != rate || num("psth_peak_sur_hz") < rate || !(num("isi_cv_sur") > 0) {
		t.Errorf("rates: %v Hz, windows %v, %v spikes, by population %v, peak %v, ISI CV %v", rate, win, m["spikes_sur"], m["rate_sur_by_pop_hz"], m["psth_peak_sur_hz"], m["isi_cv_sur"])
	}
	// The onset burst and the pause after it (README, "Why the warm-up").
	if w0, w1 := win[0].(float64), win[1].(float64); w0 < 30 || w1 > 10 {
		t.Errorf("rate windows %v Hz: want the onset burst (about 67 Hz) and the pause after it (about 1 Hz)", win)
	}
	q25, med, q75, pooled, at10 := num("replay_f1_2ms_q25"), num("replay_f1_2ms_median"), num("replay_f1_2ms_q75"), num("replay_f1_2ms_pooled"), num("replay_f1_10ms_pooled")
	med5, at5 := num("replay_f1_5ms_median"), num("replay_f1_5ms_pooled")
	if !(0 < q25 && q25 <= med && med <= q75 && q75 <= 1 && pooled > 0 && pooled <= at5 && at5 <= at10 && at10 <= 1 && med <= med5 && med5 <= 1) {
		t.Errorf("replay F1 ±2 ms q25 %v, median %v, q75 %v, pooled %v; ±5 ms median %v, pooled %v; ±10 ms pooled %v", q25, med, q75, pooled, med5, at5, at10)
	}
	if !(num("replay_rate_ref_hz") > 0 && num("replay_rate_sur_hz") > 0 && num("wall_ref_s") > 0 && num("wall_sur_s") > 0 && num("speedup") > 0 && num("sur_us_per_cell_step") > 0) {
		t.Errorf("replay rates %v / %v Hz, walls %v / %v s, speedup %v", m["replay_rate_ref_hz"], m["replay_rate_sur_hz"], m["wall_ref_s"], m["wall_sur_s"], m["speedup"])
	}
	if !strings.Contains(stdout, "replay of 8 cells: F1 ±2 ms median") {
		t.Errorf("no replay line in:\n%s", stdout)
	}
}

// TestNetworkCeiling: --ceiling with the full reference reports how the
// reference network moves when 1% of its background is dropped, in text and
// JSON, beside the surrogate's agreement.
func TestNetworkCeiling(t *testing.T) {
	dir := t.TempDir()
	net := filepath.Join(dir, "small.json")
	if err := os.WriteFile(net, []byte(`{"name": "small", "seed": 3,
	  "populations": [{"name": "E", "cell": "hh", "model": "hh", "count": 20,
	                   "background": [{"synapse": "exc", "rate_hz": 2000, "weight_uS": 0.002}, {"synapse": "inh", "rate_hz": 500, "weight_uS": 0.003}]}],
	  "projections": [{"from": "E", "to": "E", "synapse": "exc", "rule": "probability", "p": 0.3, "weight_uS": 0.002, "delay_ms": 1}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runT(t, "network", "--network", net, "--reference", "full", "--ceiling", "--tstop", "200", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	m := lastJSON(t, out)
	for _, k := range []string{"ceiling_rate_hz", "ceiling_rate_corr", "ceiling_psth_corr", "ceiling_rate_distance_hz", "psth_corr", "rate_corr"} {
		if v, ok := m[k].(float64); !ok || math.IsNaN(v) {
			t.Errorf("JSON %s = %v", k, m[k])
		}
	}
	if c := m["ceiling_psth_corr"].(float64); !(c > 0.5 && c < 1) {
		t.Errorf("ceiling PSTH correlation %v: want the reference to move a little", c)
	}
	if !strings.Contains(out, "ceiling (reference with 1% of background events dropped") {
		t.Errorf("no ceiling line in:\n%s", out)
	}
}
