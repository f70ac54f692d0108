package parallel

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestDo: every job runs once, no more than workers at a time, and
// progress counts 1..n one call at a time.
func TestDo(t *testing.T) {
	for _, tc := range []struct{ n, workers, wantMax int }{
		{0, 3, 0}, {1, 4, 1}, {10, 1, 1}, {50, 3, 3}, {7, 0, 0},
	} {
		runs := make([]int32, tc.n)
		var live, peak atomic.Int32
		var mu sync.Mutex
		release := make(chan struct{})
		var dones []int
		job := func(i int) {
			atomic.AddInt32(&runs[i], 1)
			l := live.Add(1)
			for {
				p := peak.Load()
				if l <= p || peak.CompareAndSwap(p, l) {
					break
				}
			}
			if i == 0 && tc.workers > 1 && tc.n > tc.workers {
				<-release // hold one worker so the others must share the rest
			}
			live.Add(-1)
		}
		progress := func(done, total int) {
			if !mu.TryLock() {
				t.Errorf("n=%d: progress called concurrently", tc.n)
				return
			}
			defer mu.Unlock()
			if total != tc.n {
				t.Errorf("n=%d: total %d", tc.n, total)
			}
			dones = append(dones, done)
			if done == tc.n-1 && tc.workers > 1 && tc.n > tc.workers {
				close(release)
			}
		}
		Do(tc.n, tc.workers, job, progress)
		for i, r := range runs {
			if r != 1 {
				t.Errorf("n=%d workers=%d: job %d ran %d times", tc.n, tc.workers, i, r)
			}
		}
		if tc.wantMax > 0 && int(peak.Load()) > tc.wantMax {
			t.Errorf("n=%d workers=%d: %d jobs at once", tc.n, tc.workers, peak.Load())
		}
		if len(dones) != tc.n {
			t.Fatalf("n=%d: %d progress calls", tc.n, len(dones))
		}
		for k, d := range dones {
			if d != k+1 {
				t.Errorf("n=%d: progress call %d reported %d done", tc.n, k, d)
			}
		}
	}
}
