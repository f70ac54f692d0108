// Package cpu says which vector instruction sets the processor and the
// operating system support, once, for every kernel in the module (the
// matrix products, the activations, the fast exponential).
package cpu

// Level is a vector instruction set a kernel can run on, in increasing
// width.
type Level int

const (
	// Generic is plain Go: no vector kernel.
	Generic Level = iota
	// AVX2 is AVX2 with FMA (256-bit registers).
	AVX2
	// AVX512 is AVX-512F (512-bit registers and opmasks).
	AVX512
)

// String names the level.
func (l Level) String() string {
	switch l {
	case AVX2:
		return "avx2"
	case AVX512:
		return "avx512"
	}
	return "generic"
}

// Best is the widest level this machine runs; Generic on other
// architectures and with -tags purego.
var Best = detect()

// Levels lists every level this machine can run, narrowest first, so that
// tests and benchmarks can compare each kernel with the generic one.
func Levels() []Level {
	ls := []Level{Generic}
	for l := AVX2; l <= Best; l++ {
		ls = append(ls, l)
	}
	return ls
}
