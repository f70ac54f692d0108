// Package parallel runs independent jobs on a bounded number of goroutines.
package parallel

import (
	"runtime"
	"sync"
)

// Do calls job(i) for every i in [0, n) on at most workers goroutines at
// once (GOMAXPROCS if workers <= 0), handing out indices in increasing
// order, and returns when all have returned. If progress is not nil it is
// called after each job with the number done so far and n, one call at a
// time.
func Do(n, workers int, job func(i int), progress func(done, total int)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				job(i)
				if progress != nil {
					mu.Lock()
					done++
					progress(done, n)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
