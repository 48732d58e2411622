package ml

import (
	"math/rand/v2"
	"testing"
)

func benchRows(n int) [][]float64 {
	rng := rand.New(rand.NewPCG(1, 1))
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = []float64{0.01 * rng.NormFloat64()}
	}
	return rows
}

// Per-package benchmarks for profiling; bench/ml_test.go carries the targets.
func BenchmarkScore(b *testing.B) {
	rows := benchRows(2530)
	m, err := Train(b.Context(), Config{Window: 30, Hidden: 16, Epochs: 1, Seed: 1}, TrainSet{Rows: rows}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		m.Score(rows)
	}
	b.ReportMetric(float64(len(rows)-29)*float64(b.N)/b.Elapsed().Seconds(), "windows/s")
}

func BenchmarkTrainEpoch(b *testing.B) {
	rows := benchRows(2530)
	for b.Loop() {
		if _, err := Train(b.Context(), Config{Window: 30, Hidden: 16, Epochs: 1, ValFrac: 1e-9, Seed: 1}, TrainSet{Rows: rows}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(2501*float64(b.N)/b.Elapsed().Seconds(), "windows/s")
}
