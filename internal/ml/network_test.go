package ml

import (
	"math"
	"testing"
)

func TestCommunitiesTwoCliques(t *testing.T) {
	// {A,B,C} and {D,E} are cliques joined by nothing.
	names := []string{"A", "B", "C", "D", "E"}
	sim := [][]float64{
		{1, .9, .8, 0, 0},
		{.9, 1, .7, 0, 0},
		{.8, .7, 1, 0, 0},
		{0, 0, 0, 1, .9},
		{0, 0, 0, .9, 1},
	}
	g := graphOf(sim, names, 0.5)
	if g.Edges != 4 {
		t.Errorf("edges %d, want 4", g.Edges)
	}
	if len(g.Communities) != 2 || len(g.Communities[0]) != 3 || len(g.Communities[1]) != 2 {
		t.Errorf("communities %v", g.Communities)
	}
	// Clustering: the triangle's nodes have 1, the pair's 0 → 3/5.
	if math.Abs(g.Clustering-0.6) > 1e-12 {
		t.Errorf("clustering %v, want 0.6", g.Clustering)
	}
	// Degrees 2,2,2,1,1 of 8 ends.
	want := -3*(0.25*math.Log2(0.25)) - 2*(0.125*math.Log2(0.125))
	if math.Abs(g.Entropy-want) > 1e-12 {
		t.Errorf("entropy %v, want %v", g.Entropy, want)
	}
}

func TestNetworkOnDemoPrices(t *testing.T) {
	all := loadPrices(t)
	syms := []string{"AAPL", "MSFT", "IBM", "SBUX"}
	n := 600
	rets := make([][]float64, n)
	for i := range rets {
		rets[i] = make([]float64, len(syms))
		for j, s := range syms {
			v := all[s].Values
			rets[i][j] = math.Log(v[i+1] / v[i])
		}
	}
	rep, err := Network(t.Context(), syms, all["AAPL"].Times[1:n+1], rets, NetworkOptions{Config: Config{Epochs: 2, Hidden: 4, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Periods) != 3 {
		t.Fatalf("%d periods, want 3 (two full years and the newest)", len(rep.Periods))
	}
	for _, p := range rep.Periods {
		c := p.Correlation.Similarity
		if c[0][0] < 0.99 || c[0][1] != c[1][0] {
			t.Errorf("correlation matrix not a correlation matrix: %v", c)
		}
		if p.Autoencoder.Similarity[2][2] < 0.999 {
			t.Errorf("self-similarity %v", p.Autoencoder.Similarity[2][2])
		}
	}
}
