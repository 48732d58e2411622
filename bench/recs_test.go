package bench

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/demo"
	"github.com/wealthalloc/wealthalloc/internal/refdata"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// recsDemo builds the demo database once in dir and returns its path.
func recsDemo(b *testing.B, dir string) string {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(dir, "demo.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	p, err := app.OpenPortfolio(ctx, st, "local", "main")
	if err != nil {
		b.Fatal(err)
	}
	if err := p.BuildDemo(ctx); err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil { // checkpoints the WAL into the file
		b.Fatal(err)
	}
	return path
}

func copyFile(b *testing.B, from, to string) {
	b.Helper()
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

func refreshDemo(b *testing.B, path string) *app.RecsResult {
	b.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	p, err := app.OpenPortfolio(ctx, st, "local", "main")
	if err != nil {
		b.Fatal(err)
	}
	res, err := p.RefreshRecs(ctx, app.RecsOptions{AsOf: demo.AsOf, Classify: refdata.Classify})
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Current) == 0 {
		b.Fatal("no recommendations on the demo")
	}
	return res
}

// BenchmarkRecsRefreshDemo is `recs refresh` on a fresh demo database at
// 2008-11-20: training the four holdings' anomaly models (seed 1, 10
// epochs), scoring them, analytics, the harvest scan, the holdings network
// and recording (target ≤ 10 s).
func BenchmarkRecsRefreshDemo(b *testing.B) {
	dir := b.TempDir()
	src := recsDemo(b, dir)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		path := filepath.Join(dir, "run.db")
		for _, s := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(path + s)
		}
		copyFile(b, src, path)
		b.StartTimer()
		refreshDemo(b, path)
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/refresh")
}

// BenchmarkRecsRefreshDemoWarm is a repeated refresh: the models exist and
// every recommendation is updated in place.
func BenchmarkRecsRefreshDemoWarm(b *testing.B) {
	dir := b.TempDir()
	path := recsDemo(b, dir)
	refreshDemo(b, path)
	for b.Loop() {
		refreshDemo(b, path)
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/refresh")
}
