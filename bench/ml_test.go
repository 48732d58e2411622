//go:build unix

package bench

import (
	"bytes"
	"context"
	"math"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/demo"
	"github.com/wealthalloc/wealthalloc/internal/ml"
)

// tenYears is about ten years of daily log returns of real stocks (AAPL's
// 2007–2016 series continued with MSFT's), one feature per day: 2,530 rows,
// 2,501 windows of 30 steps.
func tenYears(tb testing.TB) [][]float64 {
	tb.Helper()
	all, err := ml.ParseWideCloses(bytes.NewReader(demo.Prices))
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

var benchCfg = ml.Config{Window: 30, Hidden: 16, Batch: 32, Epochs: 20, Patience: -1, ValFrac: 1e-9, Seed: 1}

// BenchmarkMLTrain10Years trains the T=30, D=1, H=16, batch-32 autoencoder on
// ten years of daily returns for 20 epochs on one core (target ≤ 5 s).
func BenchmarkMLTrain10Years(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	rows := tenYears(b)
	set := ml.TrainSet{Name: "10y", Features: []string{"ret"}, Rows: rows}
	windows := 0
	cpu0 := mlCPUTime()
	for b.Loop() {
		m, err := ml.Train(context.Background(), benchCfg, set, nil)
		if err != nil {
			b.Fatal(err)
		}
		windows = m.Meta.TrainWindows * m.Meta.Epochs
	}
	b.ReportMetric(float64(windows)*float64(b.N)/b.Elapsed().Seconds(), "train-windows/s")
	b.ReportMetric(float64(windows)*float64(b.N)/(mlCPUTime()-cpu0).Seconds(), "train-windows/cpu-s")
}

// BenchmarkMLScore scores every 30-step window of ten years at batch 32 on
// one core (target ≥ 50,000 windows/s).
func BenchmarkMLScore(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	rows := tenYears(b)
	cfg := benchCfg
	cfg.Epochs = 1
	m, err := ml.Train(context.Background(), cfg, ml.TrainSet{Name: "10y", Rows: rows}, nil)
	if err != nil {
		b.Fatal(err)
	}
	cpu0 := mlCPUTime()
	for b.Loop() {
		m.Score(rows)
	}
	b.ReportMetric(float64(len(rows)-29)*float64(b.N)/b.Elapsed().Seconds(), "score-windows/s")
	b.ReportMetric(float64(len(rows)-29)*float64(b.N)/(mlCPUTime()-cpu0).Seconds(), "score-windows/cpu-s")
}

// mlCPUTime is the process's user+system CPU time: throughput per CPU-second
// stays meaningful when other work shares the machine.
func mlCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
