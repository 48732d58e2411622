package app

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// AnalyticsHistory is what the analytics commands compute from: the accounts, the
// whole trade history, the daily series built from it and the stored
// closes of every traded symbol and of the benchmark.
type AnalyticsHistory struct {
	Accounts  []portfolio.Account
	Trades    []portfolio.Trade
	Series    *portfolio.Series
	Bars      map[string][]portfolio.Bar
	Benchmark string
	BenchBars []portfolio.Bar // empty when the benchmark has no stored prices
	To        portfolio.Date
}

// AnalyticsHistory loads the books and prices up to to and builds the daily series.
// benchmark may be empty.
func (p *Portfolio) AnalyticsHistory(ctx context.Context, to portfolio.Date, benchmark string) (*AnalyticsHistory, error) {
	h := &AnalyticsHistory{Bars: map[string][]portfolio.Bar{}, Benchmark: strings.ToUpper(benchmark), To: to}
	err := p.Store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if h.Accounts, err = q.Accounts(ctx, p.PortfolioID); err != nil {
			return fmt.Errorf("load accounts: %w", err)
		}
		if h.Trades, err = q.Trades(ctx, p.PortfolioID); err != nil {
			return fmt.Errorf("load trades: %w", err)
		}
		if len(h.Trades) == 0 {
			return nil
		}
		first := h.Trades[0].Date
		syms := map[string]bool{}
		for _, t := range h.Trades {
			first = min(first, t.Date)
			if t.Action.NeedsSymbol() && t.Symbol != "" {
				syms[t.Symbol] = true
			}
		}
		if h.Benchmark != "" {
			syms[h.Benchmark] = true
		}
		for s := range syms {
			bars, err := q.Bars(ctx, s, first.AddDays(-10), to)
			if err != nil {
				return fmt.Errorf("load prices: %w", err)
			}
			h.Bars[s] = bars
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if h.Benchmark != "" {
		h.BenchBars = h.Bars[h.Benchmark]
	}
	h.Series, err = portfolio.BuildSeries(portfolio.SeriesInput{Accounts: h.Accounts, Trades: h.Trades, Bars: h.Bars, To: to})
	if err != nil {
		return nil, fmt.Errorf("value the history: %w", err)
	}
	return h, nil
}

// Line returns the portfolio's line, or an account's by name or number.
func (h *AnalyticsHistory) Line(account string) (*portfolio.Line, portfolio.Account, error) {
	if account == "" {
		return &h.Series.Portfolio, portfolio.Account{}, nil
	}
	a, ok := AccountResolver(h.Accounts)(account)
	if !ok {
		return nil, a, fmt.Errorf("no account %q (see \"wealthalloc accounts list\")", account)
	}
	l := h.Series.Line(a.ID)
	if l == nil {
		return nil, a, fmt.Errorf("account %q has no history", a.Name)
	}
	return l, a, nil
}

// BenchCloses are the benchmark's closes on the series' days, or nil.
func (h *AnalyticsHistory) BenchCloses() []float64 {
	if len(h.BenchBars) == 0 {
		return nil
	}
	return portfolio.CloseOn(h.Series.Dates, h.BenchBars)
}

// BenchReturns are the benchmark's daily returns on the series' days.
func (h *AnalyticsHistory) BenchReturns() portfolio.DailyReturns {
	if len(h.BenchBars) == 0 {
		return portfolio.DailyReturns{}
	}
	return portfolio.PriceReturns(h.Series.Dates, h.BenchBars)
}

// HeldValues are the values by symbol of the securities held on the last
// day of the series, in the given account (all when accountID is empty).
func (h *AnalyticsHistory) HeldValues(accountID string) map[string]float64 {
	out := map[string]float64{}
	n := len(h.Series.Dates)
	if n == 0 {
		return out
	}
	for _, l := range h.Series.Holdings {
		if accountID != "" && l.AccountID != accountID {
			continue
		}
		if v := l.Value[n-1]; v != 0 {
			out[l.Symbol] += float64(v) / 1e6
		}
	}
	return out
}

// RebalanceState loads what a rebalance plan starts from at asOf.
type RebalanceState struct {
	Accounts  []portfolio.Account
	Lots      []portfolio.Lot
	Cash      map[string]decimal.Decimal
	Prices    map[string]decimal.Decimal
	PriceDate map[string]portfolio.Date
	Trades    []portfolio.Trade
	Disposals []portfolio.Disposal
}

// RebalanceState replays the history to asOf and prices the open lots and
// the extra symbols (targets not yet held).
func (p *Portfolio) RebalanceState(ctx context.Context, asOf portfolio.Date, extra []string) (*RebalanceState, error) {
	rs := &RebalanceState{Prices: map[string]decimal.Decimal{}, PriceDate: map[string]portfolio.Date{}}
	err := p.Store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if rs.Accounts, err = q.Accounts(ctx, p.PortfolioID); err != nil {
			return fmt.Errorf("load accounts: %w", err)
		}
		trades, err := q.Trades(ctx, p.PortfolioID)
		if err != nil {
			return fmt.Errorf("load trades: %w", err)
		}
		for _, t := range trades {
			if t.Date <= asOf {
				rs.Trades = append(rs.Trades, t)
			}
		}
		l, err := portfolio.Replay(rs.Accounts, rs.Trades)
		if err != nil {
			return fmt.Errorf("replay trades to %s: %w", asOf, err)
		}
		rs.Lots, rs.Cash, rs.Disposals = l.OpenLots(), l.Cash(), l.Disposals()
		var syms []string
		seen := map[string]bool{}
		for _, s := range extra {
			if s != portfolio.CashSymbol && !seen[s] {
				seen[s] = true
				syms = append(syms, s)
			}
		}
		for _, lot := range rs.Lots {
			if !seen[lot.Symbol] {
				seen[lot.Symbol] = true
				syms = append(syms, lot.Symbol)
			}
		}
		sort.Strings(syms)
		bars, err := q.LatestPrices(ctx, syms, asOf)
		if err != nil {
			return fmt.Errorf("load prices: %w", err)
		}
		for s, b := range bars {
			rs.Prices[s] = b.Close
			rs.PriceDate[s] = b.Date
		}
		return nil
	})
	return rs, err
}
