package dataset

import (
	"fmt"
	"math"
	"sort"

	"neurosurrogate/biophys"
)

// Split divides trace indices 0..n-1 into train, validation and test sets
// by whole traces (never by time inside a trace). Traces are ranked by a
// hash of (seed, index); the first round(n*fracVal) go to validation, the
// next round(n*fracTest) to test, the rest to training. The result depends
// only on (n, seed, fractions): it is stable across runs and machines. Each
// list is in increasing order.
func Split(n int, seed uint64, fracVal, fracTest float64) (train, val, test []int, err error) {
	if !(fracVal >= 0) || !(fracTest >= 0) || fracVal+fracTest > 1 || math.IsInf(fracVal+fracTest, 0) {
		return nil, nil, nil, fmt.Errorf("split fractions validation %v and test %v: want >= 0 with a sum <= 1", fracVal, fracTest)
	}
	if n < 0 {
		return nil, nil, nil, fmt.Errorf("split of %d traces", n)
	}
	type key struct {
		h uint64
		i int
	}
	keys := make([]key, n)
	for i := range keys {
		keys[i] = key{biophys.Seed(seed, uint64(i), 0x5eed5), i}
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].h != keys[b].h {
			return keys[a].h < keys[b].h
		}
		return keys[a].i < keys[b].i
	})
	nv := int(math.Round(float64(n) * fracVal))
	nt := min(n-nv, int(math.Round(float64(n)*fracTest)))
	pick := func(ks []key) []int {
		out := make([]int, len(ks))
		for j, k := range ks {
			out[j] = k.i
		}
		sort.Ints(out)
		return out
	}
	return pick(keys[nv+nt:]), pick(keys[:nv]), pick(keys[nv : nv+nt]), nil
}

// Split divides the dataset's traces into train, validation and test sets;
// see the package function Split.
func (d *Dataset) Split(seed uint64, fracVal, fracTest float64) (train, val, test []int, err error) {
	return Split(d.NumTraces(), seed, fracVal, fracTest)
}
