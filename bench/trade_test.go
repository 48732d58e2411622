package bench

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/cli/gateway"
	"github.com/wealthalloc/wealthalloc/internal/demo"
	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/ibkr/sim"
)

// tradeBench builds the demo database and starts the demo simulator
// in-process; it returns the database and the simulator's address.
func tradeBench(b *testing.B) (db, addr string) {
	b.Helper()
	dir := b.TempDir()
	b.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "cfg"))
	b.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	db = filepath.Join(dir, "demo.db")
	run(b, "demo", "--db", db)
	cfg, err := gateway.DemoConfig(demo.AsOf)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := sim.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if addr, err = srv.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return db, addr
}

// gatewayPart is the gateway's own share of a preview: the same
// connection and requests the command makes (dial, handshake and
// bootstrap, current time, contract details, a snapshot quote and, for a
// purchase, the account summary), timed from an in-process client, the
// client's 45 messages/s pacing included.
func gatewayPart(b *testing.B, addr string, buy bool) time.Duration {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	c, err := ibkr.Dial(ctx, ibkr.Config{Addr: addr, ClientID: 99})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CurrentTime(ctx); err != nil {
		b.Fatal(err)
	}
	ct := ibkr.Contract{Symbol: "AAPL"}
	if _, err := c.ContractDetails(ctx, ct); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Quote(ctx, ct); err != nil {
		b.Fatal(err)
	}
	if buy {
		if _, err := c.AccountSummary(ctx, "BuyingPower", "AvailableFunds", "TotalCashValue"); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// BenchmarkProcessTradePreviewBuy runs `wealthalloc trade buy AAPL 10` (a
// preview: contract, quote, buying power, wash-sale check on the booked
// history, weights) as a whole process against the simulator. Reported
// besides ns/op: gateway-ms/op, the gateway's own answer time for the same
// requests (measured separately, in-process), and excl-gateway-ms/op, the
// difference: the figure the ≤ 100 ms target is about.
func BenchmarkProcessTradePreviewBuy(b *testing.B) {
	benchPreview(b, true, "trade", "buy", "AAPL", "10", "--account", "taxable")
}

// BenchmarkProcessTradePreviewSell is the same for a sale (lots, gains,
// term, tax and the lock-out on the wash-adjusted books).
func BenchmarkProcessTradePreviewSell(b *testing.B) {
	benchPreview(b, false, "trade", "sell", "IBM", "100", "--account", "taxable", "--lots", "hifo")
}

func benchPreview(b *testing.B, buy bool, args ...string) {
	db, addr := tradeBench(b)
	args = append(args, "--db", db, "--gateway", addr, "-o", "json")
	var gw time.Duration
	b.ResetTimer()
	for b.Loop() {
		if out, err := exec.Command(binary, args...).CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		b.StopTimer()
		gw += gatewayPart(b, addr, buy)
		b.StartTimer()
	}
	b.StopTimer()
	n := float64(b.N)
	total := float64(b.Elapsed().Nanoseconds()) / n / 1e6
	g := float64(gw.Nanoseconds()) / n / 1e6
	b.ReportMetric(g, "gateway-ms/op")
	b.ReportMetric(total-g, "excl-gateway-ms/op")
}
