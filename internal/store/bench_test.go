package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ids"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// BenchmarkInsertTrades100k stores 100,000 trades in one InsertTrades call
// on SQLite (a fresh portfolio each iteration) and reports trades/s, plus
// trades per CPU-second of the process (run with GOMAXPROCS=1 for a figure
// that a busy machine does not distort).
func BenchmarkInsertTrades100k(b *testing.B) {
	const n = 100_000
	s := openSQLiteTest(b)
	ctx := b.Context()
	user, err := s.EnsureUser(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	var (
		rows int
		cpu  time.Duration
	)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		pf, err := s.EnsurePortfolio(ctx, user, fmt.Sprintf("p%d", i))
		if err != nil {
			b.Fatal(err)
		}
		acct, err := s.CreateAccount(ctx, user, pf, portfolio.Account{Name: "a", TaxType: portfolio.Taxable})
		if err != nil {
			b.Fatal(err)
		}
		trades := benchTrades(acct.ID, n)
		b.StartTimer()
		c0 := cpuTime()
		if err := s.InsertTrades(ctx, user, trades); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
		rows += n
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "trades/s")
	if cpu > 0 {
		b.ReportMetric(float64(rows)/cpu.Seconds(), "trades/cpu-s")
	}
}

func benchTrades(acct string, n int) []portfolio.Trade {
	trades := make([]portfolio.Trade, n)
	start := portfolio.MustDate("2000-01-03")
	for i := range trades {
		id := ids.New()
		trades[i] = portfolio.Trade{
			ID: id, AccountID: acct, Date: start.AddDays(i / 20), Action: portfolio.Buy,
			Symbol: fmt.Sprintf("SYM%03d", i%300), Quantity: decimal.New(int64(i%1000+1), -2),
			Price: decimal.New(int64(10000+i%5000), -2), Fees: decimal.New(35, -2), Currency: "USD", Key: id,
		}
	}
	return trades
}

// BenchmarkReplaceDerived10kLots replaces a portfolio's derived data: 10,000
// lots, 5,000 disposals, 300 holdings and cash, deleting the previous set.
func BenchmarkReplaceDerived10kLots(b *testing.B) {
	s := openSQLiteTest(b)
	ctx := b.Context()
	user, err := s.EnsureUser(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	pf, err := s.EnsurePortfolio(ctx, user, "main")
	if err != nil {
		b.Fatal(err)
	}
	acct, err := s.CreateAccount(ctx, user, pf, portfolio.Account{Name: "a", TaxType: portfolio.Taxable})
	if err != nil {
		b.Fatal(err)
	}
	d := Derived{Cash: map[string]decimal.Decimal{acct.ID: decimal.New(123456789, -2)}}
	start := portfolio.MustDate("2000-01-03")
	for i := range 10_000 {
		id := ids.New()
		sym := fmt.Sprintf("SYM%03d", i%300)
		q, basis := decimal.New(int64(i%1000+1), -2), decimal.New(int64(i%7000+100), 0)
		l := portfolio.Lot{ID: id, AccountID: acct.ID, Symbol: sym, OpenTradeID: id, DateAcquired: start.AddDays(i),
			AdjustedDateAcquired: start.AddDays(i), OriginalQuantity: q, Quantity: q, OriginalBasis: basis, CostBasis: basis, AdjustedBasis: basis}
		if i%2 == 1 {
			closed := start.AddDays(i + 30)
			l.Quantity, l.CostBasis, l.AdjustedBasis, l.ClosedDate = decimal.Zero, decimal.Zero, decimal.Zero, &closed
			d.Disposals = append(d.Disposals, portfolio.Disposal{SellTradeID: ids.New(), LotID: id, AccountID: acct.ID, Symbol: sym,
				Quantity: q, DateAcquired: l.DateAcquired, AdjustedDateAcquired: l.DateAcquired, DateSold: closed,
				Proceeds: basis.Add(decimal.NewFromInt(5)), CostBasis: basis, AdjustedBasis: basis})
		}
		d.Lots = append(d.Lots, l)
	}
	for i := range 300 {
		d.Holdings = append(d.Holdings, portfolio.Holding{AccountID: acct.ID, Symbol: fmt.Sprintf("SYM%03d", i),
			Quantity: decimal.NewFromInt(10), CostBasis: decimal.NewFromInt(1000), AdjustedBasis: decimal.NewFromInt(1000), Lots: 17, FirstAcquired: start})
	}
	if err := s.ReplaceDerived(ctx, user, pf, d); err != nil {
		b.Fatal(err)
	}
	c0 := cpuTime()
	for b.Loop() {
		if err := s.ReplaceDerived(ctx, user, pf, d); err != nil {
			b.Fatal(err)
		}
	}
	cpu := cpuTime() - c0
	b.ReportMetric(float64(b.N*len(d.Lots))/b.Elapsed().Seconds(), "lots/s")
	if cpu > 0 {
		b.ReportMetric(float64(b.N*len(d.Lots))/cpu.Seconds(), "lots/cpu-s")
	}
}
