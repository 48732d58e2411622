package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/ibkr/sim"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// simWithOneStock starts a simulator whose market is open (wall clock, real
// speed) on one symbol, with a well-funded paper account.
func simWithOneStock(b *testing.B) (*sim.Server, string) {
	b.Helper()
	var dates []string
	var closes []decimal.Decimal
	d := portfolio.MustDate("2024-01-02")
	for i := range 30 {
		dates = append(dates, d.AddDays(i).String())
		closes = append(closes, decimal.NewFromFloat(100+float64(i%7)))
	}
	srv, err := sim.New(sim.Config{
		Prices:   map[string][]sim.Bar{"AAA": sim.BarsFromCloses(dates, closes)},
		Accounts: []sim.Account{{ID: "DU1234567", Cash: decimal.NewFromInt(1_000_000_000)}},
		Seed:     1,
	})
	if err != nil {
		b.Fatal(err)
	}
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return srv, addr
}

func percentile(ds []time.Duration, p float64) time.Duration {
	slices.Sort(ds)
	return ds[int(p*float64(len(ds)-1))]
}

// BenchmarkOrderRoundTrip places a 1-share market order against the
// simulator over loopback TCP and waits for Filled with its execution (and
// commission), then books the fill into a SQLite file. Reported: p50/p99 of
// place→filled and of place→filled→stored, and the p50 of a reqCurrentTime
// ping on the same connection as the baseline. Run with -benchtime 300x:
// booking replays the growing ledger, so large b.N measure that instead.
//
// The client sends at most 45 messages/s (IB's limit is 50), so back-to-back
// orders would measure the throttle (22 ms a message once the burst is
// spent). Each sample therefore starts after a pause that refills the
// bucket, which is the latency of one order as a user places it.
func BenchmarkOrderRoundTrip(b *testing.B) {
	_, addr := simWithOneStock(b)
	ctx := context.Background()
	c, err := ibkr.Dial(ctx, ibkr.Config{Addr: addr, ClientID: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "rt.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	p, err := app.OpenPortfolio(ctx, st, "bench", "rt")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := p.AddAccount(ctx, portfolio.Account{Name: "paper", Broker: "ibkr", Number: "DU1234567", TaxType: portfolio.Taxable}); err != nil {
		b.Fatal(err)
	}
	var pings []time.Duration
	const refill = time.Second / 40
	for range 100 {
		time.Sleep(refill)
		d, err := c.Ping(ctx)
		if err != nil {
			b.Fatal(err)
		}
		pings = append(pings, d)
	}
	filled := make([]time.Duration, 0, b.N)
	stored := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		time.Sleep(refill)
		b.StartTimer()
		start := time.Now()
		tr, err := c.PlaceOrder(ctx, ibkr.Order{Account: "DU1234567", Contract: ibkr.Contract{Symbol: "AAA"}, Action: "BUY",
			Quantity: decimal.NewFromInt(1), Type: ibkr.Market, OrderRef: fmt.Sprintf("bench-%d", i)})
		if err != nil {
			b.Fatal(err)
		}
		s, err := tr.Wait(ctx, ibkr.StatusFilled)
		if err != nil {
			b.Fatal(err)
		}
		for len(s.Executions) == 0 || s.Executions[0].Commission == nil {
			select {
			case <-time.After(50 * time.Microsecond):
			case <-ctx.Done():
				b.Fatal(ctx.Err())
			}
			s = tr.State()
		}
		filled = append(filled, time.Since(start))
		if n, err := p.RecordExecutions(ctx, s.Executions); err != nil || n != 1 {
			b.Fatalf("record: %d, %v", n, err)
		}
		stored = append(stored, time.Since(start))
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(percentile(pings, 0.5)), "ping-p50-ms")
	b.ReportMetric(ms(percentile(filled, 0.5)), "filled-p50-ms")
	b.ReportMetric(ms(percentile(filled, 0.99)), "filled-p99-ms")
	b.ReportMetric(ms(percentile(stored, 0.5)), "stored-p50-ms")
	b.ReportMetric(ms(percentile(stored, 0.99)), "stored-p99-ms")
}
