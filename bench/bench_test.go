package bench

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wealthalloc/wealthalloc/internal/cli"
	"github.com/wealthalloc/wealthalloc/internal/iostreams"
)

// binary is the wealthalloc binary built once for the process benchmarks.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	code := func() int {
		if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
			dir, err := os.MkdirTemp("", "wealthalloc-bench")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer os.RemoveAll(dir)
			binary = filepath.Join(dir, "wealthalloc")
			build := exec.Command("go", "build", "-o", binary, "../cmd/wealthalloc")
			build.Stderr = os.Stderr
			if err := build.Run(); err != nil {
				fmt.Fprintln(os.Stderr, "build:", err)
				return 1
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}

// run executes one command line in-process and fails the benchmark on a non-zero exit.
func run(tb testing.TB, args ...string) string {
	tb.Helper()
	io, _, out, errOut := iostreams.Test()
	if code := cli.Run(context.Background(), args, io); code != 0 {
		tb.Fatalf("wealthalloc %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out.String()
}

// setup creates a database with the two accounts the generators use.
func setup(tb testing.TB, dir string) string {
	tb.Helper()
	tb.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "cfg"))
	tb.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	db := filepath.Join(dir, "bench.db")
	run(tb, "init", "--db", db)
	run(tb, "accounts", "add", "taxable", "--type", "taxable", "--db", db)
	run(tb, "accounts", "add", "ira", "--type", "traditional_ira", "--db", db)
	return db
}

func writeFile(tb testing.TB, path string, fill func(*bytes.Buffer) error) {
	tb.Helper()
	var buf bytes.Buffer
	if err := fill(&buf); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// lotsDB builds a database in dir holding n open lots over 100 symbols,
// with prices for them in January 2025.
func lotsDB(tb testing.TB, dir string, n int) string {
	tb.Helper()
	db := setup(tb, dir)
	lots := filepath.Join(dir, "lots.csv")
	var prices string
	writeFile(tb, lots, func(buf *bytes.Buffer) (err error) { prices, err = WriteLots(buf, n); return err })
	pfile := filepath.Join(dir, "prices.csv")
	writeFile(tb, pfile, func(buf *bytes.Buffer) error { _, err := buf.WriteString(prices); return err })
	run(tb, "import", "trades", lots, "--db", db)
	run(tb, "import", "prices", pfile, "--db", db)
	return db
}

// TestGeneratedTradesImport proves the generators make files that import,
// so the benchmarks measure real work.
func TestGeneratedTradesImport(t *testing.T) {
	dir := t.TempDir()
	db := setup(t, dir)
	file := filepath.Join(dir, "trades.csv")
	writeFile(t, file, func(b *bytes.Buffer) error { return WriteTrades(b, 2000) })
	out := run(t, "import", "trades", file, "--db", db)
	if !strings.Contains(out, "added 2000 of 2000 rows") {
		t.Errorf("import output = %q; want all 2000 rows added", out)
	}
	db2 := lotsDB(t, filepath.Join(dir, "two"), 500)
	out = run(t, "holdings", "-o", "csv", "--group-by", "lot", "--as-of", "2025-01-20", "--db", db2)
	if n := strings.Count(out, "\n") - 1; n != 500 {
		t.Errorf("holdings by lot has %d rows; want 500", n)
	}
}

// BenchmarkImportTrades100k imports 100,000 CSV trades into a fresh SQLite
// file per iteration, in-process (parse, replay, write). Target ≥ 100,000 trades/s.
func BenchmarkImportTrades100k(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	file := filepath.Join(dir, "trades.csv")
	writeFile(b, file, func(buf *bytes.Buffer) error { return WriteTrades(buf, n) })
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := setup(b, filepath.Join(dir, fmt.Sprint(i)))
		b.StartTimer()
		run(b, "import", "trades", file, "--db", db)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "trades/s")
}

// BenchmarkProcessVersion is the baseline for the process benchmarks: the
// cost of starting the binary at all on this machine, in this run.
func BenchmarkProcessVersion(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if out, err := exec.Command(binary, "version").CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
}

// BenchmarkProcessHoldings10kLots runs `wealthalloc holdings -o json` as a
// whole process over a database of 10,000 open lots. Target ≤ 60 ms.
func BenchmarkProcessHoldings10kLots(b *testing.B) {
	benchProcessHoldings(b, "symbol")
}

// BenchmarkProcessHoldingsByLot10kLots is the same with --group-by lot,
// which reads and prints every lot.
func BenchmarkProcessHoldingsByLot10kLots(b *testing.B) {
	benchProcessHoldings(b, "lot")
}

func benchProcessHoldings(b *testing.B, groupBy string) {
	dir := b.TempDir()
	db := lotsDB(b, dir, 10_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(binary, "holdings", "-o", "json", "--group-by", groupBy, "--db", db, "--as-of", "2025-01-20")
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+filepath.Join(dir, "cfg"))
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("holdings: %v", err)
		}
		if !bytes.Contains(out, []byte(`"group_by": "`+groupBy+`"`)) {
			b.Fatalf("holdings output is not the JSON document: %.200s", out)
		}
	}
}

// BenchmarkHoldings10kLots is the in-process part of the process benchmark:
// open, migrate check, load, value and print, without process start-up.
func BenchmarkHoldings10kLots(b *testing.B) {
	db := lotsDB(b, b.TempDir(), 10_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run(b, "holdings", "-o", "json", "--db", db, "--as-of", "2025-01-20")
	}
}

// BenchmarkImportTrades1kInto100k imports the next 1,000 trades of a
// history into a database that holds its first 100,000: the daily or
// weekly import of someone with a long history. It reports trades/s of
// the small file; the cost is dominated by what the import does with the
// history already stored.
func BenchmarkImportTrades1kInto100k(b *testing.B) {
	const stored, added = 100_000, 1_000
	dir := b.TempDir()
	var all bytes.Buffer
	if err := WriteTrades(&all, stored+added); err != nil {
		b.Fatal(err)
	}
	lines := strings.SplitAfter(all.String(), "\n")
	header := lines[0]
	first, next := filepath.Join(dir, "first.csv"), filepath.Join(dir, "next.csv")
	writeFile(b, first, func(buf *bytes.Buffer) error {
		_, err := buf.WriteString(strings.Join(lines[:1+stored], ""))
		return err
	})
	writeFile(b, next, func(buf *bytes.Buffer) error {
		_, err := buf.WriteString(header + strings.Join(lines[1+stored:], ""))
		return err
	})
	base := setup(b, filepath.Join(dir, "base"))
	run(b, "import", "trades", first, "--db", base)
	img, err := os.ReadFile(base)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := filepath.Join(dir, fmt.Sprintf("copy%d.db", i))
		if err := os.WriteFile(db, img, 0o600); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		out := run(b, "import", "trades", next, "--db", db)
		b.StopTimer()
		if !strings.Contains(out, fmt.Sprintf("added %d of %d rows", added, added)) {
			b.Fatalf("import output = %q; want all %d rows added", out, added)
		}
		_ = os.Remove(db)
		b.StartTimer()
	}
	b.ReportMetric(float64(added*b.N)/b.Elapsed().Seconds(), "trades/s")
}
