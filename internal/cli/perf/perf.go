// Package perf implements `wealthalloc perf`.
package perf

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/chart"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// Conventions is stated in every perf output.
const Conventions = "twr: time-weighted return, daily-linked: r_t = (V_t + out_t)/(V_t-1 + in_t) - 1 with inflows at the start of the day and outflows at its end; " +
	"flows are external (deposits, withdrawals) for the portfolio and accounts, the trades' cash for a holding (its dividends count as income); " +
	"a day with nothing invested has no return (a holding sold to zero stops, it does not fall 100%); " +
	"mwr: money-weighted return over the period, not annualised: (1+x)^(t/365)-1 for the XIRR x of the starting value, the flows and the ending value, t the calendar days from the first of them to the last; " +
	"mwr_xirr: x itself, an annual rate on actual/365, only for periods of a year or more (like cagr); " +
	"cagr = (1+twr)^(365/days)-1 over calendar days, only for periods of a year or more; " +
	"each period starts with the close of the last day before it; values use the latest stored close on or before each day; " +
	"benchmark: price return of the benchmark's stored closes over the same days; fractions (0.1 = 10%); money in the portfolio's currency"

// Options are the inputs of `perf`.
type Options struct {
	Factory   *cmdutil.Factory
	From, To  string
	Benchmark string
	RF        float64
	Account   string
	Holdings  bool
	Chart     bool
	ChartSet  bool
	Series    bool
}

// NewCmd returns the perf command; runF replaces the behaviour in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "perf",
		Short: "Time- and money-weighted returns against a benchmark",
		Long: `Show returns for MTD, QTD, YTD, 1Y, 3Y, 5Y, since inception and, with --from,
a custom period ending at --to (default --as-of, default today).

TWR (time-weighted, daily-linked) measures the investments; MWR (from the
XIRR of your deposits and withdrawals) measures your money, timing
included. Both are plain returns over the period; their annual rates (TWR
CAGR, MWR XIRR) are shown only for periods of a year or more, since
annualising a month's return exaggerates it. Each output states its
conventions. A line chart of the portfolio against the
benchmark (both indexed to 100) is drawn on a terminal, or with --chart.`,
		Example: `  wealthalloc perf --benchmark GSPC
  wealthalloc perf --from 2007-01-01 --to 2009-12-31 --chart
  wealthalloc perf --account ira --holdings -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.ChartSet = cmd.Flags().Changed("chart")
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.From, "from", "", "start of a custom period YYYY-MM-DD")
	fl.StringVar(&opts.To, "to", "", "end of every period YYYY-MM-DD (default --as-of)")
	fl.StringVar(&opts.Benchmark, "benchmark", "GSPC", "benchmark symbol from stored prices (\"\" for none)")
	fl.Float64Var(&opts.RF, "rf", 0, "annual risk-free rate as a fraction (accepted for symmetry with risk; unused by returns)")
	fl.StringVar(&opts.Account, "account", "", "one account (name or number) instead of the whole portfolio")
	fl.BoolVar(&opts.Holdings, "holdings", false, "also show each holding's returns over the custom (or inception) period")
	fl.BoolVar(&opts.Chart, "chart", false, "draw the chart even when not on a terminal (table output only)")
	fl.BoolVar(&opts.Series, "series", false, "include the daily series in -o json")
	return cmd
}

// Window parses --from and --to against the as-of date.
func Window(f *cmdutil.Factory, from, to string) (portfolio.Date, portfolio.Date, error) {
	asOf, err := f.AsOf()
	if err != nil {
		return 0, 0, err
	}
	end := asOf
	if to != "" {
		if end, err = portfolio.ParseDate(to); err != nil {
			return 0, 0, cmdutil.FlagErrorf("--to: %w", err)
		}
	}
	var start portfolio.Date
	if from != "" {
		if start, err = portfolio.ParseDate(from); err != nil {
			return 0, 0, cmdutil.FlagErrorf("--from: %w", err)
		}
		if start > end {
			return 0, 0, cmdutil.FlagErrorf("--from %s is after --to %s", start, end)
		}
	}
	return start, end, nil
}

// Run computes and prints the returns.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	from, to, err := Window(f, opts.From, opts.To)
	if err != nil {
		return err
	}
	pr, err := f.Printer()
	if err != nil {
		return err
	}
	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	h, err := p.AnalyticsHistory(ctx, to, opts.Benchmark)
	if err != nil {
		return err
	}
	line, acct, err := h.Line(opts.Account)
	if err != nil {
		return err
	}
	if h.Benchmark != "" && len(h.BenchBars) == 0 {
		fmt.Fprintf(f.IO.ErrOut, "warning: no stored prices for benchmark %s: run \"wealthalloc history %s\" or \"wealthalloc import prices\"\n", h.Benchmark, h.Benchmark)
	}
	doc := Build(h, line, acct, from, to, opts.Holdings)
	if opts.Series {
		doc.Series = seriesJSON(h, line)
	}
	if err := pr.Print(Table(doc), doc); err != nil {
		return err
	}
	if pr.Format == output.FormatTable && (f.IO.IsStdoutTTY() || (opts.ChartSet && opts.Chart)) {
		if err := drawChart(f, h, line, from, to); err != nil {
			return err
		}
	}
	if len(h.Series.Missing) > 0 {
		fmt.Fprintf(f.IO.ErrOut, "warning: no stored prices for %s: valued at their trade prices\n", strings.Join(h.Series.Missing, ", "))
	}
	return nil
}

// PeriodJSON is one period of `perf -o json`.
type PeriodJSON struct {
	Name            string              `json:"name"`
	Available       bool                `json:"available"`
	Reason          string              `json:"reason,omitempty"`
	From            *portfolio.Date     `json:"from,omitempty"`
	Start           *portfolio.Date     `json:"start,omitempty"`
	End             *portfolio.Date     `json:"end,omitempty"`
	Days            int                 `json:"days"`
	StartValue      decimal.NullDecimal `json:"start_value"`
	EndValue        decimal.NullDecimal `json:"end_value"`
	Inflows         decimal.NullDecimal `json:"inflows"`
	Outflows        decimal.NullDecimal `json:"outflows"`
	Gain            decimal.NullDecimal `json:"gain"`
	TWR             decimal.NullDecimal `json:"twr"`
	CAGR            decimal.NullDecimal `json:"twr_cagr"`
	MWRPeriod       decimal.NullDecimal `json:"mwr"`      // over the period, not annualised
	MWR             decimal.NullDecimal `json:"mwr_xirr"` // annual rate, null under a year
	Benchmark       decimal.NullDecimal `json:"benchmark_return"`
	BenchmarkCAGR   decimal.NullDecimal `json:"benchmark_cagr"`
	ExcessOverBench decimal.NullDecimal `json:"excess_twr"`
}

// HoldingJSON is one holding's returns.
type HoldingJSON struct {
	Account string     `json:"account"`
	Symbol  string     `json:"symbol"`
	Period  PeriodJSON `json:"period"`
}

// PointJSON is one day of the series.
type PointJSON struct {
	Date      portfolio.Date      `json:"date"`
	Value     decimal.Decimal     `json:"value"`
	Index     decimal.NullDecimal `json:"twr_index"`
	Benchmark decimal.NullDecimal `json:"benchmark_index"`
}

// DocumentJSON is the whole `perf -o json` document.
type DocumentJSON struct {
	AsOf        portfolio.Date  `json:"to"`
	Line        string          `json:"line"`
	Benchmark   string          `json:"benchmark"`
	Conventions string          `json:"conventions"`
	Inception   *portfolio.Date `json:"inception"`
	Periods     []PeriodJSON    `json:"periods"`
	Holdings    []HoldingJSON   `json:"holdings,omitempty"`
	Series      []PointJSON     `json:"series,omitempty"`
	Internal    InternalJSON    `json:"internal_flows"`
}

// InternalJSON sums the portfolio's internal flows over its history.
type InternalJSON struct {
	Note      string          `json:"note"`
	Dividends decimal.Decimal `json:"dividends"`
	Interest  decimal.Decimal `json:"interest"`
	Fees      decimal.Decimal `json:"fees"`
	Buys      decimal.Decimal `json:"buys"`
	Sells     decimal.Decimal `json:"sells"`
}

// Build computes every period for the line.
func Build(h *app.AnalyticsHistory, line *portfolio.Line, acct portfolio.Account, from, to portfolio.Date, holdings bool) DocumentJSON {
	s := h.Series
	doc := DocumentJSON{AsOf: to, Line: "portfolio", Benchmark: h.Benchmark, Conventions: Conventions, Periods: []PeriodJSON{},
		Internal: InternalJSON{Note: "inside the portfolio over its whole history, not flows for its return",
			Dividends: portfolio.Money(s.Internal.Dividends), Interest: portfolio.Money(s.Internal.Interest),
			Fees: portfolio.Money(s.Internal.Fees), Buys: portfolio.Money(s.Internal.Buys), Sells: portfolio.Money(s.Internal.Sells)}}
	if acct.ID != "" {
		doc.Line = acct.Name
	}
	if len(s.Dates) == 0 {
		return doc
	}
	if i := line.Inception(); i >= 0 {
		d := s.Dates[i]
		doc.Inception = &d
	}
	r := s.Returns(line)
	bench := h.BenchCloses()
	periods := portfolio.StandardPeriods(to)
	if from != 0 {
		periods = append(periods, portfolio.Period{Name: "custom", From: from, To: to, Clamp: true})
	}
	for _, p := range periods {
		doc.Periods = append(doc.Periods, periodJSON(s.Performance(line, r, bench, p)))
	}
	if holdings {
		names := map[string]string{}
		for _, a := range h.Accounts {
			names[a.ID] = a.Name
		}
		p := portfolio.Period{Name: "inception", To: to, Clamp: true}
		if from != 0 {
			p = portfolio.Period{Name: "custom", From: from, To: to, Clamp: true}
		}
		for i := range s.Holdings {
			hl := &s.Holdings[i]
			if acct.ID != "" && hl.AccountID != acct.ID {
				continue
			}
			res := s.Performance(hl, s.Returns(hl), bench, p)
			doc.Holdings = append(doc.Holdings, HoldingJSON{Account: names[hl.AccountID], Symbol: hl.Symbol, Period: periodJSON(res)})
		}
	}
	return doc
}

func periodJSON(r portfolio.PeriodResult) PeriodJSON {
	j := PeriodJSON{Name: r.Name, Available: r.Available, Reason: r.Reason}
	if r.From != 0 {
		d := r.From
		j.From = &d
	}
	if !r.Available {
		return j
	}
	st, en := r.Start, r.End
	j.Start, j.End, j.Days = &st, &en, r.Days
	m := func(v int64) decimal.NullDecimal { return decimal.NewNullDecimal(portfolio.Money(v).Round(2)) }
	j.StartValue, j.EndValue, j.Inflows, j.Outflows, j.Gain = m(r.StartValue), m(r.EndValue), m(r.Inflows), m(r.Outflows), m(r.Gain)
	j.TWR, j.MWRPeriod = Frac(r.TWR), FracP(r.MWRPeriod)
	j.CAGR, j.MWR, j.Benchmark, j.BenchmarkCAGR = FracP(r.CAGR), FracP(r.MWR), FracP(r.Bench), FracP(r.BenchCG)
	if r.Bench != nil {
		j.ExcessOverBench = Frac(r.TWR - *r.Bench)
	}
	return j
}

// Frac is a statistic as a decimal with 6 places; NaN and ±Inf are null.
func Frac(x float64) decimal.NullDecimal {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return decimal.NullDecimal{}
	}
	return decimal.NewNullDecimal(decimal.NewFromFloat(x).Round(6))
}

// FracP is Frac of an optional statistic.
func FracP(x *float64) decimal.NullDecimal {
	if x == nil {
		return decimal.NullDecimal{}
	}
	return Frac(*x)
}

// Table is the terminal, TSV and CSV form: one row per period.
func Table(doc DocumentJSON) output.Table {
	t := output.Table{Columns: []output.Column{
		{Header: "Period", Key: "period"}, {Header: "Start", Key: "start"}, {Header: "End", Key: "end"},
		{Header: "Start value", Key: "start_value", Kind: output.Money}, {Header: "End value", Key: "end_value", Kind: output.Money},
		{Header: "Net flows", Key: "net_flows", Kind: output.Gain}, {Header: "Gain", Key: "gain", Kind: output.Gain},
		{Header: "TWR", Key: "twr", Kind: output.GainPct}, {Header: "TWR CAGR", Key: "twr_cagr", Kind: output.GainPct},
		{Header: "MWR", Key: "mwr", Kind: output.GainPct}, {Header: "MWR XIRR (annual)", Key: "mwr_xirr", Kind: output.GainPct},
		{Header: "Bench " + doc.Benchmark, Key: "benchmark_return", Kind: output.GainPct},
		{Header: "Bench CAGR", Key: "benchmark_cagr", Kind: output.GainPct},
	}}
	add := func(name string, p PeriodJSON) {
		if !p.Available {
			t.Rows = append(t.Rows, []any{name, "", "", nil, nil, nil, nil, decimal.NullDecimal{}, decimal.NullDecimal{},
				decimal.NullDecimal{}, decimal.NullDecimal{}, decimal.NullDecimal{}, "n/a: " + p.Reason})
			return
		}
		net := decimal.NullDecimal{}
		if p.Inflows.Valid {
			net = decimal.NewNullDecimal(p.Inflows.Decimal.Sub(p.Outflows.Decimal))
		}
		t.Rows = append(t.Rows, []any{name, p.Start, p.End, p.StartValue, p.EndValue, net, p.Gain, p.TWR, p.CAGR, p.MWRPeriod, p.MWR, p.Benchmark,
			p.BenchmarkCAGR})
	}
	for _, p := range doc.Periods {
		add(p.Name, p)
	}
	for _, hj := range doc.Holdings {
		add(hj.Account+"/"+hj.Symbol, hj.Period)
	}
	return t
}

func seriesJSON(h *app.AnalyticsHistory, line *portfolio.Line) []PointJSON {
	s := h.Series
	r := s.Returns(line)
	bench := h.BenchCloses()
	out := make([]PointJSON, 0, len(s.Dates))
	idx := 100.0
	ri := 0
	base := 0.0
	for i, d := range s.Dates {
		pt := PointJSON{Date: d, Value: portfolio.Money(line.Value[i]).Round(2)}
		if ri < len(r.Dates) && r.Dates[ri] == d {
			idx *= 1 + r.R[ri]
			ri++
		}
		pt.Index = Frac(idx)
		if bench != nil && bench[i] > 0 {
			if base == 0 {
				base = bench[i]
			}
			pt.Benchmark = Frac(100 * bench[i] / base)
		}
		out = append(out, pt)
	}
	return out
}

// drawChart draws the line's TWR index against the benchmark, both 100 at
// the window's start.
func drawChart(f *cmdutil.Factory, h *app.AnalyticsHistory, line *portfolio.Line, from, to portfolio.Date) error {
	s := h.Series
	if len(s.Dates) == 0 {
		return nil
	}
	inc := line.Inception()
	if inc < 0 {
		return nil
	}
	lo := inc
	for lo < len(s.Dates) && s.Dates[lo] < from {
		lo++
	}
	hi := len(s.Dates)
	for hi > lo && s.Dates[hi-1] > to {
		hi--
	}
	if hi-lo < 2 {
		return nil
	}
	dates := s.Dates[lo:hi]
	r := s.Returns(line).Slice(dates[0].AddDays(1), dates[len(dates)-1])
	vals := make([]float64, len(dates))
	idx, ri := 100.0, 0
	for i, d := range dates {
		if ri < len(r.Dates) && r.Dates[ri] == d {
			idx *= 1 + r.R[ri]
			ri++
		}
		vals[i] = idx
	}
	series := []chart.Series{{Name: "portfolio (TWR, start = 100)", Values: vals, Glyph: '●', Color: "\x1b[36m"}}
	if bench := h.BenchCloses(); bench != nil {
		bv := make([]float64, len(dates))
		base := 0.0
		for i := range dates {
			c := bench[lo+i]
			if c > 0 && base == 0 {
				base = c
			}
			bv[i] = math.NaN()
			if base > 0 {
				bv[i] = 100 * c / base
			}
		}
		series = append(series, chart.Series{Name: h.Benchmark + " (price, start = 100)", Values: bv, Glyph: '·', Color: "\x1b[33m"})
	}
	width := 64
	if tw := f.IO.TerminalWidth(); tw > 20 {
		width = min(tw-10, 100)
	}
	fmt.Fprintln(f.IO.Out)
	return chart.Line(f.IO.Out, dates, series, chart.Options{Width: width, Height: 14, Color: f.IO.ColorEnabled()})
}
