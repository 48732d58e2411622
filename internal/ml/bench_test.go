package ml

import (
	"bytes"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/wealthalloc/wealthalloc/internal/demo"
)

func benchRows(n int) [][]float64 {
	rng := rand.New(rand.NewPCG(1, 1))
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = []float64{0.01 * rng.NormFloat64()}
	}
	return rows
}

// tenYearsRows mirrors bench/ml_test.go: AAPL's 2007–2016 daily log returns
// continued with MSFT's, 2,530 rows, 2,501 windows of 30 steps.
func tenYearsRows(tb testing.TB) [][]float64 {
	tb.Helper()
	all, err := ParseWideCloses(bytes.NewReader(demo.Prices))
	if err != nil {
		tb.Fatal(err)
	}
	var rows [][]float64
	for _, sym := range []string{"AAPL", "MSFT"} {
		v := all[sym].Values
		for i := 1; i < len(v) && len(rows) < 2530; i++ {
			rows = append(rows, []float64{math.Log(v[i] / v[i-1])})
		}
	}
	return rows
}

// Per-package benchmarks for profiling; bench/ml_test.go carries the targets
// (BenchmarkTrain10Years and BenchmarkScore10Years run the same workload
// here, on one core).
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

var benchTargetCfg = Config{Window: 30, Hidden: 16, Batch: 32, Epochs: 20, Patience: -1, ValFrac: 1e-9, Seed: 1}

func BenchmarkTrain10Years(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	set := TrainSet{Name: "10y", Features: []string{"ret"}, Rows: tenYearsRows(b)}
	windows := 0
	for b.Loop() {
		m, err := Train(b.Context(), benchTargetCfg, set, nil)
		if err != nil {
			b.Fatal(err)
		}
		windows = m.Meta.TrainWindows * m.Meta.Epochs
	}
	b.ReportMetric(float64(windows)*float64(b.N)/b.Elapsed().Seconds(), "train-windows/s")
}

func BenchmarkScore10Years(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	rows := tenYearsRows(b)
	cfg := benchTargetCfg
	cfg.Epochs = 1
	m, err := Train(b.Context(), cfg, TrainSet{Name: "10y", Rows: rows}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		m.Score(rows)
	}
	b.ReportMetric(float64(len(rows)-29)*float64(b.N)/b.Elapsed().Seconds(), "score-windows/s")
}
