package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// analyticsInput is a seeded synthetic 10-year history of 500 holdings
// over two accounts: deposits, one buy per holding spread over the first
// year, a partial sale every fifth holding, quarterly dividends, a
// withdrawal a year, and correlated daily closes for every symbol and a
// benchmark (2,520 trading days).
func analyticsInput() portfolio.SeriesInput {
	rng := rand.New(rand.NewPCG(42, 500))
	const holdings, days = 500, 2520
	accts := []portfolio.Account{{ID: "t", Name: "taxable", TaxType: portfolio.Taxable, LotMethod: portfolio.FIFO},
		{ID: "i", Name: "ira", TaxType: portfolio.TraditionalIRA, LotMethod: portfolio.FIFO}}
	var dates []portfolio.Date
	for d := portfolio.MustDate("2014-01-02"); len(dates) < days; d++ {
		if wd := d.Time().Weekday(); wd != 0 && wd != 6 {
			dates = append(dates, d)
		}
	}
	in := portfolio.SeriesInput{Accounts: accts, Bars: map[string][]portfolio.Bar{}, To: dates[days-1]}
	market := make([]float64, days)
	for i := range market {
		market[i] = rng.NormFloat64() * 0.01
	}
	bench := make([]portfolio.Bar, days)
	p := 2000.0
	for i, d := range dates {
		p *= 1 + 0.0003 + market[i]
		bench[i] = portfolio.Bar{Symbol: "BENCH", Date: d, Close: decimal.NewFromFloat(p).Round(6)}
	}
	in.Bars["BENCH"] = bench
	for _, a := range accts {
		in.Trades = append(in.Trades, portfolio.Trade{ID: "dep-" + a.ID, AccountID: a.ID, Date: dates[0], Action: portfolio.Deposit, Amount: decimal.NewFromInt(30_000_000)})
	}
	for h := range holdings {
		sym := fmt.Sprintf("H%03d", h)
		beta := 0.5 + rng.Float64()
		bars := make([]portfolio.Bar, days)
		px := 20 + rng.Float64()*200
		for i, d := range dates {
			px *= 1 + 0.0002 + beta*market[i] + rng.NormFloat64()*0.012
			bars[i] = portfolio.Bar{Symbol: sym, Date: d, Close: decimal.NewFromFloat(px).Round(6)}
		}
		in.Bars[sym] = bars
		acct := accts[h%2].ID
		day := rng.IntN(250)
		q := decimal.NewFromInt(int64(10 + rng.IntN(200)))
		in.Trades = append(in.Trades, portfolio.Trade{ID: fmt.Sprintf("b%03d", h), AccountID: acct, Date: dates[day], Action: portfolio.Buy,
			Symbol: sym, Quantity: q, Price: bars[day].Close, Fees: decimal.NewFromInt(1)})
		if h%5 == 0 {
			sd := day + 300 + rng.IntN(2000)
			in.Trades = append(in.Trades, portfolio.Trade{ID: fmt.Sprintf("s%03d", h), AccountID: acct, Date: dates[sd], Action: portfolio.Sell,
				Symbol: sym, Quantity: q.Div(decimal.NewFromInt(2)).Floor(), Price: bars[sd].Close, Fees: decimal.NewFromInt(1)})
		}
		for qd := day + 63; qd < days; qd += 63 {
			in.Trades = append(in.Trades, portfolio.Trade{ID: fmt.Sprintf("d%03d-%d", h, qd), AccountID: acct, Date: dates[qd], Action: portfolio.Dividend,
				Symbol: sym, Amount: decimal.NewFromInt(int64(5 + rng.IntN(50)))})
		}
	}
	for y := 1; y < 10; y++ {
		in.Trades = append(in.Trades, portfolio.Trade{ID: fmt.Sprintf("w%d", y), AccountID: "t", Date: dates[y*252], Action: portfolio.Withdrawal, Amount: decimal.NewFromInt(100_000)})
	}
	return in
}

// BenchmarkAnalytics10y500 is the daily series and every metric of a
// 10-year, 500-holding portfolio: the series, TWR/XIRR for every standard
// period, each holding's and each account's inception TWR and XIRR, the risk
// figures against the benchmark (portfolio and securities alone),
// concentration, the risk score and the correlation matrix of the 10
// largest holdings (the risk command's default). Target: ≤ 200 ms.
func BenchmarkAnalytics10y500(b *testing.B) {
	in := analyticsInput()
	b.ResetTimer()
	for b.Loop() {
		analytics(b, in, 10)
	}
}

// BenchmarkAnalytics10y500FullCorrelation adds the full 500×500
// correlation matrix (risk --corr-top 0).
func BenchmarkAnalytics10y500FullCorrelation(b *testing.B) {
	in := analyticsInput()
	b.ResetTimer()
	for b.Loop() {
		analytics(b, in, 0)
	}
}

func analytics(b *testing.B, in portfolio.SeriesInput, corrTop int) {
	s, err := portfolio.BuildSeries(in)
	if err != nil {
		b.Fatal(err)
	}
	bench := portfolio.CloseOn(s.Dates, in.Bars["BENCH"])
	br := portfolio.PriceReturns(s.Dates, in.Bars["BENCH"])
	r := s.Returns(&s.Portfolio)
	for _, p := range portfolio.StandardPeriods(in.To) {
		_ = s.Performance(&s.Portfolio, r, bench, p)
	}
	incep := portfolio.Period{Name: "inception", To: in.To, Clamp: true}
	for i := range s.Accounts {
		_ = s.Performance(&s.Accounts[i], s.Returns(&s.Accounts[i]), bench, incep)
	}
	for i := range s.Holdings {
		_ = s.Performance(&s.Holdings[i], s.Returns(&s.Holdings[i]), bench, incep)
	}
	k := portfolio.ComputeRisk(r, br, s.Dates[0], 0.03)
	inv := s.Invested("")
	_ = portfolio.ComputeRisk(s.Returns(&inv), br, s.Dates[0], 0.03)
	last := len(s.Dates) - 1
	held := map[string]float64{}
	for _, h := range s.Holdings {
		if v := h.Value[last]; v > 0 {
			held[h.Symbol] += float64(v)
		}
	}
	c := portfolio.Concentrate(held)
	_ = portfolio.RiskScore(k.Volatility, k.MaxDrawdown.Depth, c.Herfindahl)
	syms := portfolio.TopSymbols(held, corrTop)
	series := make([]portfolio.DailyReturns, len(syms))
	for i, sym := range syms {
		series[i] = portfolio.PriceReturns(s.Dates, in.Bars[sym])
	}
	m := portfolio.CorrelationMatrix(series)
	if math.IsNaN(k.Volatility) || len(m) != len(syms) {
		b.Fatal("bad result")
	}
}
