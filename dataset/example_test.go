package dataset_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"neurosurrogate/biophys"
	"neurosurrogate/dataset"
)

// Generate a small dataset, then read it the way training does: open the
// folder, split by trace, and iterate shuffled batch x time x features
// windows.
func Example() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	cell, _ := biophys.LoadCell(filepath.Join("..", "artifacts", "cells", "hh.json"))
	_, err := dataset.Generate(context.Background(), dir, dataset.Config{
		Cell: cell, Traces: 20, DurationMS: 100, DtMS: 0.025, SampleDtMS: 0.5, Seed: 1, Shards: 1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	ds, err := dataset.Open(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ds.Close()
	m := ds.Meta()
	fmt.Println(m.Traces, "traces of", m.Samples, "samples; channels", m.ChannelNames())

	tr, _ := ds.Trace(3)
	fmt.Printf("trace 3: %s regime, v[0] = %g mV, %d samples\n", tr.Regime, tr.V[0], len(tr.V))

	train, val, test, _ := ds.Split(42, 0.1, 0.1)
	fmt.Println("split:", len(train), len(val), len(test))

	b, err := dataset.NewBatcher(ds, train, dataset.BatchConfig{BatchSize: 16, SeqLen: 50, Shuffle: true, Seed: 7})
	if err != nil {
		fmt.Println(err)
		return
	}
	for epoch := 0; epoch < 2; epoch++ {
		b.Epoch(epoch)
		n := 0
		for {
			batch, err := b.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				fmt.Println(err)
				return
			}
			if n == 0 && epoch == 0 {
				fmt.Printf("X %d x %d x %d, Y %d x %d x %d\n", batch.Size, batch.SeqLen, batch.NumIn, batch.Size, batch.SeqLen, batch.NumOut)
			}
			n += batch.Size
		}
		fmt.Println("epoch", epoch, "windows", n)
	}
	// Output:
	// 20 traces of 200 samples; channels [exc inh]
	// trace 3: core regime, v[0] = -65 mV, 200 samples
	// split: 16 2 2
	// X 16 x 50 x 3, Y 16 x 50 x 2
	// epoch 0 windows 48
	// epoch 1 windows 48
}
