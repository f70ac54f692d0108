package atomicfile

// SetTestHookTakeover sets the hook TryLease calls when it has judged a
// lock stale, before it takes it over.
func SetTestHookTakeover(f func(path string)) { testHookTakeover = f }
