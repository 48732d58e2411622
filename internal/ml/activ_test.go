package ml

import (
	"math"
	"testing"
)

func TestExpAccuracy(t *testing.T) {
	worst := 0.0
	for x := -60.0; x <= 60; x += 0.0137 {
		got, want := exp(x), math.Exp(x)
		worst = max(worst, math.Abs(got-want)/want)
	}
	if worst > 1e-14 {
		t.Errorf("exp: worst relative error %.3g, want ≤ 1e-14", worst)
	}
	for x := -20.0; x <= 20; x += 0.0071 {
		if d := math.Abs(tanh(x) - math.Tanh(x)); d > 4e-15 {
			t.Fatalf("tanh(%g) = %g, want %g", x, tanh(x), math.Tanh(x))
		}
		if d := math.Abs(sigm(x) - 1/(1+math.Exp(-x))); d > 4e-15 {
			t.Fatalf("sigm(%g) off by %g", x, d)
		}
	}
	if exp(-1000) <= 0 || math.IsInf(exp(1000), 0) {
		t.Error("exp does not clamp")
	}
}

func TestRowsMatchScalar(t *testing.T) {
	v := []float64{-800, -30, -1, -1e-9, 0, 1e-9, 0.5, 3, 40, 900}
	s, th := append([]float64(nil), v...), append([]float64(nil), v...)
	sigmRow(s)
	tanhRow(th)
	for i, x := range v {
		if s[i] != sigm(x) || th[i] != tanh(x) {
			t.Errorf("row activations at %g: %g %g, scalar %g %g", x, s[i], th[i], sigm(x), tanh(x))
		}
	}
}
