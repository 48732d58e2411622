//go:build !amd64 || purego

package ml

const useAVX2 = false

func gemmAccAVX(out, a, w []float64, rows, k, n, sRow, sK int) { panic("ml: no AVX2 kernels") }
func sigmRowAVX(v []float64)                                   { panic("ml: no AVX2 kernels") }
func tanhRowAVX(v []float64)                                   { panic("ml: no AVX2 kernels") }
func dotRowsAVX(out, a, w []float64, rows, k, n int)           { panic("ml: no AVX2 kernels") }
