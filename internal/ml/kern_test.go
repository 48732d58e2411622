package ml

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The AVX2 kernels give the same bits as the portable Go code.
func TestKernelsMatchPortable(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 kernels on this machine")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	fill := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			if rng.IntN(5) > 0 { // some exact zeros, as in masked inputs
				v[i] = rng.NormFloat64()
			}
		}
		return v
	}
	for _, sh := range [][3]int{{32, 16, 64}, {3, 1, 16}, {7, 4, 32}, {1, 16, 64}, {32, 1, 64}, {5, 6, 48}, {3, 8, 4}, {2, 12, 20}} {
		rows, k, n := sh[0], sh[1], sh[2]
		a, w, out := fill(rows*k), fill(k*n), fill(rows*n)
		got, want := append([]float64(nil), out...), append([]float64(nil), out...)
		matAdd(got, a, w, rows, k, n)
		matAddGo(want, a, w, rows, k, n)
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("matAdd %v: element %d = %v, portable %v", sh, i, got[i], want[i])
			}
		}
		o := fill(rows * k)
		got, want = append([]float64(nil), o...), append([]float64(nil), o...)
		matTransAdd(got, out, w, rows, k, n)
		matTransAddGo(want, out, w, rows, k, n)
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("matTransAdd %v: element %d = %v, portable %v", sh, i, got[i], want[i])
			}
		}
		g := fill(k * n)
		d := fill(rows * n)
		got, want = append([]float64(nil), g...), append([]float64(nil), g...)
		outerAdd(got, a, d, rows, k, n)
		outerAddGo(want, a, d, rows, k, n)
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("outerAdd %v: element %d = %v, portable %v", sh, i, got[i], want[i])
			}
		}
	}
	for _, n := range []int{4, 7, 16, 64, 1001} {
		v := make([]float64, n)
		for i := range v {
			v[i] = 12 * rng.NormFloat64()
		}
		v[0], v[n-1] = -900, 900
		if n > 4 {
			v[1], v[2] = 1e-300, -0.0
		}
		s, th := append([]float64(nil), v...), append([]float64(nil), v...)
		s0, th0 := append([]float64(nil), v...), append([]float64(nil), v...)
		sigmRow(s)
		tanhRow(th)
		sigmRowGo(s0)
		tanhRowGo(th0)
		for i := range v {
			if math.Float64bits(s[i]) != math.Float64bits(s0[i]) || math.Float64bits(th[i]) != math.Float64bits(th0[i]) {
				t.Fatalf("activations at %g: %v %v, portable %v %v", v[i], s[i], th[i], s0[i], th0[i])
			}
		}
	}
}
