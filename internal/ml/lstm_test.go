package ml

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGradientCheck compares backpropagation through time with central
// differences for every parameter of every group.
func TestGradientCheck(t *testing.T) {
	for _, mask := range []int{0, 2} {
		const T, D, H, B = 6, 2, 4, 3
		rng := rand.New(rand.NewPCG(7, 8))
		cfg := Config{Window: T, Hidden: H, Mask: mask}.Defaults()
		m := newModel(cfg, D, rng)
		// Move the weights off their initial values so no gate sits at a
		// special point.
		for i := range m.Params {
			m.Params[i] += 0.3 * rng.NormFloat64()
		}
		l := newLayout(D, H)
		xs := make([][]float64, T)
		for st := range xs {
			xs[st] = make([]float64, B*D)
			for i := range xs[st] {
				xs[st][i] = rng.NormFloat64()
			}
		}
		w := lossWeights(T, mask, 3)
		ws := newWorkspace(l, B, T)
		lossAt := func() float64 {
			l.forward(m.Params, ws, xs, mask, T)
			return l.loss(ws, xs, w)
		}
		grad := make([]float64, l.size)
		lossAt()
		l.backward(m.Params, grad, ws, xs, w)
		const h = 1e-5
		for _, g := range l.groups {
			worst := 0.0
			p := g.of(m.Params)
			for i := range p {
				orig := p[i]
				p[i] = orig + h
				up := lossAt()
				p[i] = orig - h
				down := lossAt()
				p[i] = orig
				num := (up - down) / (2 * h)
				bp := g.of(grad)[i]
				rel := math.Abs(num-bp) / math.Max(1e-8, math.Abs(num)+math.Abs(bp))
				worst = max(worst, rel)
			}
			if worst > 1e-5 {
				t.Errorf("mask %d: %s: worst relative error %.3g > 1e-5", mask, g.Name, worst)
			} else {
				t.Logf("mask %d: %s: worst relative error %.3g", mask, g.Name, worst)
			}
		}
	}
}

func sineRows(n int) [][]float64 {
	rows := make([][]float64, n)
	for i := range rows {
		x := float64(i)
		rows[i] = []float64{math.Sin(x / 3), math.Cos(x / 7)}
	}
	return rows
}

func TestTrainReducesLossAndIsReproducible(t *testing.T) {
	cfg := Config{Window: 12, Hidden: 6, Epochs: 6, Batch: 16, Patience: -1, Seed: 42, Mask: 1}
	set := TrainSet{Name: "sine", Features: []string{"sin", "cos"}, Rows: sineRows(300)}
	var losses []float64
	m1, err := Train(t.Context(), cfg, set, func(s EpochStats) { losses = append(losses, s.TrainLoss) })
	if err != nil {
		t.Fatal(err)
	}
	if losses[len(losses)-1] >= losses[0] {
		t.Errorf("train loss did not fall: %v", losses)
	}
	m2, err := Train(t.Context(), cfg, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m1.Params {
		if m1.Params[i] != m2.Params[i] {
			t.Fatalf("param %d differs between runs with one seed: %v vs %v", i, m1.Params[i], m2.Params[i])
		}
	}
	s1, s2 := m1.Score(set.Rows), m2.Score(set.Rows)
	for i := range s1 {
		if s1[i] != s2[i] {
			t.Fatalf("score %d differs: %v vs %v", i, s1[i], s2[i])
		}
	}
	// TrainMany in parallel gives the same model.
	res := TrainMany(t.Context(), cfg, []TrainSet{set, set}, 2, nil)
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		for i := range m1.Params {
			if r.Model.Params[i] != m1.Params[i] {
				t.Fatalf("parallel training changed param %d", i)
			}
		}
	}
}

func TestTrainCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Train(ctx, Config{Window: 5, Hidden: 2}, TrainSet{Rows: sineRows(50)}, nil)
	if err == nil {
		t.Fatal("Train with a cancelled context succeeded")
	}
}

// Scores do not depend on how windows are batched.
func TestScoreBatchIndependent(t *testing.T) {
	cfg := Config{Window: 8, Hidden: 4, Epochs: 1, Seed: 1, Mask: 1}
	set := TrainSet{Rows: sineRows(100)}
	m, err := Train(t.Context(), cfg, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := m.Score(set.Rows)
	m.Config.Batch = 7
	b := m.Score(set.Rows)
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-12 {
			t.Fatalf("score %d: batch 32 %v, batch 7 %v", i, a[i], b[i])
		}
	}
}
