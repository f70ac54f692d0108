package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"neurosurrogate/artifacts"
)

// TestOutputOverwritesInput: for every command that writes files, an
// output named as one of its inputs (or as another output) is refused
// with exit status 2 and a message naming both, and the input is left as
// it was; the same when the output is the input spelled another way,
// reached through a symbolic link or a hard link. Commands that write no
// files are listed as such, so a new command must join the table.
func TestOutputOverwritesInput(t *testing.T) {
	dir := t.TempDir()
	file := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	shipped := func(name string) []byte {
		b, err := artifacts.Read(name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	events, err := os.ReadFile("testdata/good.csv")
	if err != nil {
		t.Fatal(err)
	}
	cell := file("cell.json", shipped("cells/hh.json"))
	model := file("model.safetensors", shipped("models/hh.safetensors"))
	ev := file("events.csv", events)
	net := file("net/net.json", []byte(`{"name": "n", "seed": 1, "populations": [{"name": "A", "cell": "../cell.json", "model": "../model.safetensors", "count": 2}]}`))
	swc := file("cell.swc", []byte("1 1 0 0 0 5 -1\n2 3 0 10 0 1 1\n"))
	export := file("export.json", []byte(`{}`))
	syn := file("synapses.json", []byte(`{}`))
	data := filepath.Join(dir, "data")
	shard := file("data/shard-00000-of-00001.arrow", []byte("not read: refused before"))
	init := file("init.safetensors", shipped("models/hh.safetensors"))
	ckpt := file("prev.safetensors.ckpt", shipped("models/hh.safetensors"))
	sweepNet := file("sw/plan.json", []byte(`{"name": "n", "seed": 1, "populations": [{"name": "A", "cell": "hh", "model": "hh", "count": 2}]}`))
	rateModel := file("hm/rate_hz.A.png", shipped("models/hh.safetensors"))
	hmNet := file("hm/net.json", []byte(`{"name": "n", "seed": 1, "populations": [{"name": "A", "cell": "hh", "model": "rate_hz.A.png", "count": 2}]}`))
	gendir := filepath.Join(dir, "gen")
	genCell := file("gen/shard-00000-of-00001.arrow", shipped("cells/hh.json"))

	// Each case: a command line with OUT where the output goes, the input
	// the output collides with, and what the message names.
	for _, tc := range []struct {
		name string
		args []string
		in   string
		want []string
	}{
		{"simulate trace = events", []string{"simulate", "--cell", "hh", "--events", ev, "--trace", "OUT"}, ev, []string{"--trace", "--events"}},
		{"simulate trace = cell", []string{"simulate", "--cell", cell, "--trace", "OUT"}, cell, []string{"--trace", "--cell"}},
		{"rollout plot = events", []string{"rollout", "--model", "hh", "--cell", "hh", "--events", ev, "--plot", "OUT"}, ev, []string{"--plot", "--events"}},
		{"rollout plot = model", []string{"rollout", "--model", model, "--cell", "hh", "--events", ev, "--plot", "OUT"}, model, []string{"--plot", "--model"}},
		{"import swc out = input", []string{"import", "swc", swc, "--out", "OUT"}, swc, []string{"--out", "the input file"}},
		{"import neuron out = export", []string{"import", "neuron", export, "--synapses", syn, "--out", "OUT"}, export, []string{"--out", "the input file"}},
		{"import neuron out = synapses", []string{"import", "neuron", export, "--synapses", syn, "--out", "OUT"}, syn, []string{"--out", "--synapses"}},
		{"network raster = network", []string{"network", "--network", net, "--reference", "none", "--raster", "OUT"}, net, []string{"--raster", "--network"}},
		{"network raster = a population's cell", []string{"network", "--network", net, "--reference", "none", "--raster", "OUT"}, cell, []string{"--raster", "populations[0].cell"}},
		{"network raster = a population's model", []string{"network", "--network", net, "--reference", "none", "--raster", "OUT"}, model, []string{"--raster", "populations[0].model"}},
		{"network raster = --model", []string{"network", "--network", "hh-ei", "--model", model, "--reference", "none", "--raster", "OUT"}, model, []string{"--raster", "--model"}},
		{"network traces = network", []string{"network", "--network", net, "--reference", "none", "--traces", "OUT"}, net, []string{"--traces", "--network"}},
		{"network traces = a population's model", []string{"network", "--network", net, "--reference", "none", "--traces", "OUT"}, model, []string{"--traces", "populations[0].model"}},
		{"sweep out = network", []string{"sweep", "--network", net, "--axis", "seed=1,2", "--out", "OUT"}, net, []string{"--out", "--network"}},
		{"sweep plan.json = network", []string{"sweep", "--network", sweepNet, "--axis", "seed=1,2", "--out", filepath.Dir(sweepNet)}, sweepNet, []string{"plan.json", "--network"}},
		{"sweep heat map = a population's model", []string{"sweep", "--network", hmNet, "--axis", "seed=1,2", "--out", filepath.Dir(rateModel)}, rateModel, []string{"rate_hz.A.png", "populations[0].model"}},
		{"generate out = cell", []string{"generate", "--cell", cell, "--out", "OUT"}, cell, []string{"--out", "--cell"}},
		{"generate shard = cell", []string{"generate", "--cell", genCell, "--out", gendir}, genCell, []string{"the shard file", "--cell"}},
		{"train out = a shard", []string{"train", "--data", data, "--out", "OUT"}, shard, []string{"--out", "a shard of --data"}},
		{"train out = init", []string{"train", "--data", data, "--init", init, "--out", "OUT"}, init, []string{"--out", "--init"}},
		{"train recalibrate out = a shard", []string{"train", "--data", data, "--out", "OUT", "--recalibrate"}, shard, []string{"--out", "a shard of --data"}},
		{"train cpuprofile = init", []string{"train", "--data", data, "--init", init, "--out", filepath.Join(dir, "m.safetensors"), "--cpuprofile", "OUT"}, init, []string{"--cpuprofile", "--init"}},
		{"train checkpoint = init", []string{"train", "--data", data, "--init", ckpt, "--out", strings.TrimSuffix(ckpt, ".ckpt")}, ckpt, []string{"the checkpoint of --out", "--init"}},
	} {
		before, err := os.ReadFile(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []struct {
			name string
			out  func(t *testing.T, in string) string
		}{
			{"same path", func(t *testing.T, in string) string { return in }},
			{"spelled another way", func(t *testing.T, in string) string {
				return filepath.Join(filepath.Dir(in), ".", "x", "..", filepath.Base(in))
			}},
			{"symbolic link", func(t *testing.T, in string) string {
				p := filepath.Join(t.TempDir(), "link")
				if err := os.Symlink(in, p); err != nil {
					t.Skip(err)
				}
				return p
			}},
			{"hard link", func(t *testing.T, in string) string {
				p := filepath.Join(t.TempDir(), "hard")
				if err := os.Link(in, p); err != nil {
					t.Skip(err)
				}
				return p
			}},
		} {
			t.Run(tc.name+"/"+v.name, func(t *testing.T) {
				if !strings.Contains(strings.Join(tc.args, " "), "OUT") && v.name != "same path" {
					t.Skip("the output is derived from another argument")
				}
				args := append([]string(nil), tc.args...)
				out := v.out(t, tc.in)
				for i, a := range args {
					if a == "OUT" {
						args[i] = out
					}
				}
				code, _, errs := runT(t, args...)
				if code != 2 || !strings.Contains(errs, "is the same file as") {
					t.Errorf("exit %d, %q; want exit 2 and a refusal", code, errs)
				}
				for _, w := range tc.want {
					if !strings.Contains(errs, w) {
						t.Errorf("%q does not name %s", errs, w)
					}
				}
				if after, err := os.ReadFile(tc.in); err != nil || string(after) != string(before) {
					t.Errorf("the input %s changed (%v)", tc.in, err)
				}
			})
		}
	}
}

// TestEveryWriterChecked: every command either has a case in
// TestOutputOverwritesInput or writes no files.
func TestEveryWriterChecked(t *testing.T) {
	covered := map[string]bool{"simulate": true, "rollout": true, "import": true, "network": true, "generate": true, "train": true, "sweep": true}
	writesNothing := map[string]bool{"evaluate": true, "sensitivity": true, "inspect": true}
	for name := range commands {
		if !covered[name] && !writesNothing[name] {
			t.Errorf("command %s: not in TestOutputOverwritesInput and not known to write nothing", name)
		}
	}
}
