//go:build amd64 && !purego

package ml

import "golang.org/x/sys/cpu"

// useAVX2 routes the gate products and activations through the AVX2 kernels
// in kern_amd64.s. They multiply and add separately (no FMA), element by
// element in the same order as the portable Go code, so results are the same
// bits either way (TestKernelsMatchPortable); only the speed differs.
var useAVX2 = cpu.X86.HasAVX2

//go:noescape
func gemmAccAVX(out, a, w []float64, rows, k, n, sRow, sK int)

//go:noescape
func sigmRowAVX(v []float64)

//go:noescape
func tanhRowAVX(v []float64)

//go:noescape
func dotRowsAVX(out, a, w []float64, rows, k, n int)
