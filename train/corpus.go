package train

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"neurosurrogate/dataset"
)

// corpus is the data a run trains on: one dataset folder, or several that
// can train as one (dataset.TrainTogether: e.g. generate runs of one cell
// with different seeds, so data made in separate sessions adds up), given
// as DIR[,DIR...]. Their traces are numbered one after another in the
// order given.
type corpus struct {
	sets []*dataset.Dataset
	off  []int // the corpus index of each set's first trace
	n    int
	spec string // as given
}

// openCorpus opens the dataset folders of spec (DIR[,DIR...]).
func openCorpus(spec string) (*corpus, error) {
	c := &corpus{spec: spec}
	seen := map[string]string{}
	for _, dir := range strings.Split(spec, ",") {
		dir = strings.TrimSpace(dir)
		if dir == "" {
			c.Close()
			return nil, settingf("{data} %q: an empty folder name in the list (separate folders with commas)", spec)
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			abs = dir
		}
		if prev, ok := seen[abs]; ok {
			c.Close()
			return nil, settingf("{data} %q: %s and %s are the same folder (its traces would count twice)", spec, prev, dir)
		}
		seen[abs] = dir
		ds, err := dataset.Open(dir)
		if err != nil {
			c.Close()
			return nil, err
		}
		if len(c.sets) > 0 {
			first := c.sets[0].Meta()
			if d := dataset.TrainTogether(&first.Settings, &ds.Meta().Settings); d != "" {
				ds.Close()
				c.Close()
				return nil, settingf("{data}: %s and %s cannot train as one: %s", first.Dir, dir, d)
			}
		}
		c.sets = append(c.sets, ds)
		c.off = append(c.off, c.n)
		c.n += ds.NumTraces()
	}
	return c, nil
}

// Close closes every dataset.
func (c *corpus) Close() {
	for _, ds := range c.sets {
		ds.Close()
	}
}

// Meta is the first dataset's description (the cell, sampling and
// channels are every dataset's).
func (c *corpus) Meta() *dataset.Meta { return c.sets[0].Meta() }

// NumTraces is the number of traces of all datasets.
func (c *corpus) NumTraces() int { return c.n }

// Trace reads corpus trace i; its Index is i.
func (c *corpus) Trace(i int) (*dataset.Trace, error) {
	if i < 0 || i >= c.n {
		return nil, fmt.Errorf("%s: trace %d out of range 0..%d", c.spec, i, c.n-1)
	}
	k := len(c.off) - 1
	for c.off[k] > i {
		k--
	}
	t, err := c.sets[k].Trace(i - c.off[k])
	if err != nil {
		return nil, err
	}
	t.Index = i
	return t, nil
}

// split divides the first n traces into training, validation and test
// sets: each dataset's by dataset.Split with its own seed (xor seed), so a
// dataset's split does not change when others join it; the lists are
// concatenated in dataset order.
func (c *corpus) split(n int, seed uint64, fracVal, fracTest float64) (tr, val, test []int, err error) {
	for k, ds := range c.sets {
		m := min(ds.NumTraces(), n-c.off[k])
		if m <= 0 {
			break
		}
		a, b, t, err := dataset.Split(m, ds.Meta().Seed^seed, fracVal, fracTest)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, x := range [][]int{a, b, t} {
			for j := range x {
				x[j] += c.off[k]
			}
		}
		tr, val, test = append(tr, a...), append(val, b...), append(test, t...)
	}
	return tr, val, test, nil
}

// InfoMoreDatasets is the model Info key of the settings (a JSON list) of
// the datasets trained on beside the first (whose are InfoDataset's).
const InfoMoreDatasets = "more_datasets"

// moreSettings is the JSON list of the settings of every dataset but the
// first ("" for one dataset).
func (c *corpus) moreSettings() string {
	if len(c.sets) < 2 {
		return ""
	}
	var list []dataset.Settings
	for _, ds := range c.sets[1:] {
		list = append(list, ds.Meta().Settings)
	}
	b, _ := json.Marshal(list)
	return string(b)
}
