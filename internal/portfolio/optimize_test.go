package portfolio

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestLedoitWolfAgainstReference: the shrinkage and shrunk covariance of
// the fixture's returns match reference.py's independent computation.
func TestLedoitWolfAgainstReference(t *testing.T) {
	in, bars, ref := fixture(t)
	_ = in
	syms := []string{"AAA", "BBB", "CCC"}
	n := len(bars["AAA"]) - 1
	x := mat.NewDense(n, 3, nil)
	for j, s := range syms {
		b := bars[s]
		for i := 1; i < len(b); i++ {
			x.Set(i-1, j, b[i].Close.InexactFloat64()/b[i-1].Close.InexactFloat64()-1)
		}
	}
	cov, d := LedoitWolf(x)
	approx(t, "shrinkage", d, ref.Shrinkage, 1e-9)
	for i := range 3 {
		for j := range 3 {
			approx(t, "shrunk cov", cov.At(i, j), ref.LedoitWolf[i][j], 1e-12)
		}
	}
}

func TestOptimizeHandComputed(t *testing.T) {
	// Two assets, σ1 = 10%, σ2 = 20%, ρ = 0: min variance w1 = σ2²/(σ1²+σ2²) = 0.8;
	// risk parity w ∝ 1/σ: w1 = 2/3.
	cov := mat.NewSymDense(2, []float64{0.01, 0, 0, 0.04})
	in := OptimizeInput{Symbols: []string{"A", "B"}, Returns: mat.NewDense(1, 2, []float64{0.001, 0.002}), Cov: cov}
	o, err := Optimize(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Suggestion{}
	for _, s := range o.Suggestions {
		byName[s.Method] = s
	}
	approx(t, "min-variance w1", byName["min-variance"].Weights[0], 0.8, 1e-6)
	approx(t, "risk-parity w1", byName["risk-parity"].Weights[0], 2.0/3, 1e-9)
	// Max Sharpe with μ = (0.252, 0.504), Σ diagonal: w ∝ Σ⁻¹μ = (25.2, 12.6) → w1 = 2/3.
	approx(t, "max-sharpe w1", byName["max-sharpe"].Weights[0], 2.0/3, 1e-4)

	// A 60% cap binds min variance at 0.6.
	in.MaxWeight = 0.6
	o, err = Optimize(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	approx(t, "capped min-variance w1", o.Suggestions[0].Weights[0], 0.6, 1e-9)
	in.MaxWeight = 0.4
	if _, err := Optimize(in, nil); err == nil {
		t.Error("two holdings capped at 40%: want an infeasible-caps error")
	}
}

// TestOptimizeCaps: every suggestion respects holding and sector caps and
// sums to 1, on random data; max-sharpe is at least as good as min-variance
// and risk-parity on its own objective.
func TestOptimizeCaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	p, n := 8, 300
	x := mat.NewDense(n, p, nil)
	for i := range n {
		m := rng.NormFloat64() * 0.01
		for j := range p {
			x.Set(i, j, 0.0004*float64(j)+m*float64(j%3)/2+rng.NormFloat64()*0.01*(1+float64(j)/4))
		}
	}
	syms := []string{"A", "B", "C", "D", "E", "F", "G", "H"}
	sectors := []string{"s1", "s1", "s1", "s2", "s2", "s3", "s3", "s4"}
	in := OptimizeInput{Symbols: syms, Sectors: sectors, Returns: x, MaxWeight: 0.3, SectorCap: 0.4, RF: 0.02}
	o, err := Optimize(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.Shrinkage <= 0 || o.Shrinkage >= 1 {
		t.Errorf("shrinkage %g", o.Shrinkage)
	}
	for _, s := range o.Suggestions {
		var sum float64
		sec := map[string]float64{}
		for i, w := range s.Weights {
			if w < -1e-9 || w > 0.3+1e-7 {
				t.Errorf("%s: weight %g outside [0, 0.3]", s.Method, w)
			}
			sum += w
			sec[sectors[i]] += w
		}
		approx(t, s.Method+" sum", sum, 1, 1e-9)
		for k, v := range sec {
			if v > 0.4+1e-6 {
				t.Errorf("%s: sector %s at %g > 0.4", s.Method, k, v)
			}
		}
	}
	ms := o.Suggestions[2]
	for _, s := range o.Suggestions[:2] {
		if s.Sharpe > ms.Sharpe+1e-6 {
			t.Errorf("max-sharpe %g below %s %g", ms.Sharpe, s.Method, s.Sharpe)
		}
		if s.Method == "min-variance" && s.Volatility > o.Suggestions[1].Volatility+1e-9 {
			t.Errorf("min-variance vol %g above risk-parity %g", s.Volatility, o.Suggestions[1].Volatility)
		}
	}
}
