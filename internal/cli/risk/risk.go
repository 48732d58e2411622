// Package risk implements `wealthalloc risk`.
package risk

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/cli/perf"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// Options are the inputs of `risk`.
type Options struct {
	Factory   *cmdutil.Factory
	From, To  string
	Benchmark string
	RF        float64
	Account   string
	CorrTop   int
}

// NewCmd returns the risk command; runF replaces the behaviour in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "risk",
		Short: "Volatility, Sharpe, Sortino, drawdown, beta, VaR and concentration",
		Long: `Compute risk figures from the daily time-weighted returns of the portfolio (or
one account) between --from (default: inception) and --to (default --as-of),
with quantstats conventions: 252 periods a year, --rf an annual rate turned
into (1+rf)^(1/252)-1 per day, sample standard deviations. Every output
states its conventions and the formula of the 0-100 risk score.`,
		Example: `  wealthalloc risk --from 2007-01-01 --to 2009-12-31 --benchmark GSPC
  wealthalloc risk --rf 0.04 -o json | jq .sharpe`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.RF <= -1 || opts.RF > 1 {
				return cmdutil.FlagErrorf("--rf %g: want an annual rate as a fraction, such as 0.04", opts.RF)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.From, "from", "", "first day YYYY-MM-DD (default: inception)")
	fl.StringVar(&opts.To, "to", "", "last day YYYY-MM-DD (default --as-of)")
	fl.StringVar(&opts.Benchmark, "benchmark", "GSPC", "benchmark symbol from stored prices (\"\" for none)")
	fl.Float64Var(&opts.RF, "rf", 0, "annual risk-free rate as a fraction (0.04 = 4%)")
	fl.StringVar(&opts.Account, "account", "", "one account (name or number) instead of the whole portfolio")
	fl.IntVar(&opts.CorrTop, "corr-top", 10, "correlation matrix of the largest N holdings (0 for all)")
	return cmd
}

// DrawdownJSON is a drawdown in JSON.
type DrawdownJSON struct {
	Depth       decimal.NullDecimal `json:"depth"`
	Peak        *portfolio.Date     `json:"peak"`
	Trough      *portfolio.Date     `json:"trough"`
	Recovery    *portfolio.Date     `json:"recovery"`
	Days        int                 `json:"days"`
	TradingDays int                 `json:"trading_days"`
}

// BenchJSON holds the figures against the benchmark.
type BenchJSON struct {
	Symbol       string              `json:"symbol"`
	Observations int                 `json:"observations"`        // the benchmark's daily returns (volatility, drawdown)
	Paired       int                 `json:"paired_observations"` // days both have a return (beta, alpha, correlation)
	Beta         decimal.NullDecimal `json:"beta"`
	Alpha        decimal.NullDecimal `json:"alpha_annual"`
	Correlation  decimal.NullDecimal `json:"correlation"`
	Volatility   decimal.NullDecimal `json:"volatility"`
	MaxDrawdown  DrawdownJSON        `json:"max_drawdown"`
}

// ConcentrationJSON is the concentration of the securities.
type ConcentrationJSON struct {
	Largest       string              `json:"largest"`
	LargestWeight decimal.NullDecimal `json:"largest_weight"`
	Herfindahl    decimal.NullDecimal `json:"herfindahl"`
	Effective     decimal.NullDecimal `json:"effective_holdings"`
}

// SecuritiesJSON are the main figures of the securities alone (cash left
// out), whose beta is not diluted by cash.
type SecuritiesJSON struct {
	Note        string              `json:"note"`
	Cumulative  decimal.NullDecimal `json:"cumulative_twr"`
	Volatility  decimal.NullDecimal `json:"volatility"`
	Sharpe      decimal.NullDecimal `json:"sharpe"`
	MaxDrawdown DrawdownJSON        `json:"max_drawdown"`
	Beta        decimal.NullDecimal `json:"beta"`
	Alpha       decimal.NullDecimal `json:"alpha_annual"`
	Correlation decimal.NullDecimal `json:"correlation"`
}

// MatrixJSON is the holdings' correlation matrix.
type MatrixJSON struct {
	Symbols []string                `json:"symbols"`
	Matrix  [][]decimal.NullDecimal `json:"matrix"`
}

// DocumentJSON is the whole `risk -o json` document.
type DocumentJSON struct {
	From             *portfolio.Date     `json:"from"`
	To               portfolio.Date      `json:"to"`
	Line             string              `json:"line"`
	Conventions      string              `json:"conventions"`
	PeriodsPerYear   int                 `json:"periods_per_year"`
	RFAnnual         decimal.Decimal     `json:"rf_annual"`
	RFDaily          decimal.NullDecimal `json:"rf_per_period"`
	Observations     int                 `json:"observations"`
	Cumulative       decimal.NullDecimal `json:"cumulative_twr"`
	CAGR             decimal.NullDecimal `json:"cagr"`
	Volatility       decimal.NullDecimal `json:"volatility"`
	Sharpe           decimal.NullDecimal `json:"sharpe"`
	Sortino          decimal.NullDecimal `json:"sortino"`
	DownsideDev      decimal.NullDecimal `json:"downside_deviation"`
	MaxDrawdown      DrawdownJSON        `json:"max_drawdown"`
	Calmar           decimal.NullDecimal `json:"calmar"`
	VaR95            decimal.NullDecimal `json:"var_95"`
	CVaR95           decimal.NullDecimal `json:"cvar_95"`
	VaR95Value       decimal.NullDecimal `json:"var_95_money"`
	CVaR95Value      decimal.NullDecimal `json:"cvar_95_money"`
	Benchmark        *BenchJSON          `json:"benchmark"`
	Securities       SecuritiesJSON      `json:"securities_only"`
	Concentration    ConcentrationJSON   `json:"concentration"`
	RiskScore        int                 `json:"risk_score"`
	RiskScoreFormula string              `json:"risk_score_formula"`
	Correlation      MatrixJSON          `json:"correlation_matrix"`
}

// Run computes and prints the risk figures.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	from, to, err := perf.Window(f, opts.From, opts.To)
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
		fmt.Fprintf(f.IO.ErrOut, "warning: no stored prices for benchmark %s: beta, alpha and correlation are left out\n", h.Benchmark)
	}
	doc, err := Build(h, line, acct, from, to, opts.RF, opts.CorrTop)
	if err != nil {
		return err
	}
	if err := pr.Print(Table(doc), doc); err != nil {
		return err
	}
	if pr.Format == output.FormatTable && f.IO.IsStdoutTTY() && len(doc.Correlation.Symbols) > 1 {
		fmt.Fprintln(f.IO.Out)
		return pr.Print(MatrixTable(doc.Correlation), nil)
	}
	return nil
}

// Build computes the document.
func Build(h *app.AnalyticsHistory, line *portfolio.Line, acct portfolio.Account, from, to portfolio.Date, rf float64, corrTop int) (DocumentJSON, error) {
	s := h.Series
	doc := DocumentJSON{To: to, Line: "portfolio", Conventions: portfolio.RiskConventions, PeriodsPerYear: portfolio.PeriodsPerYear,
		RFAnnual: decimal.NewFromFloat(rf), RiskScoreFormula: portfolio.RiskScoreFormula,
		Correlation: MatrixJSON{Symbols: []string{}, Matrix: [][]decimal.NullDecimal{}}}
	if acct.ID != "" {
		doc.Line = acct.Name
	}
	inc := line.Inception()
	if inc < 0 || len(s.Dates) == 0 {
		return doc, fmt.Errorf("no history to measure: import trades first")
	}
	// The window starts with the close before --from (or at inception,
	// whose first day's return counts from the money that came in).
	start, first := s.Dates[inc], s.Dates[inc]
	if from != 0 {
		i0 := sort.Search(len(s.Dates), func(i int) bool { return s.Dates[i] >= from })
		if i0 >= len(s.Dates) {
			return doc, fmt.Errorf("no history between %s and %s", from, to)
		}
		if i0 > inc {
			start, first = s.Dates[i0-1], s.Dates[i0]
		}
	}
	doc.From = &start
	r := s.Returns(line).Slice(first, to)
	var bench portfolio.DailyReturns
	if len(h.BenchBars) > 0 {
		bench = h.BenchReturns().Slice(first, to)
	}
	rk := portfolio.ComputeRisk(r, bench, start, rf)
	doc.RFDaily = perf.Frac(rk.RFDaily)
	doc.Observations = rk.Observations
	doc.Cumulative, doc.CAGR = perf.Frac(rk.Cumulative), perf.Frac(rk.CAGR)
	doc.Volatility, doc.Sharpe, doc.Sortino, doc.DownsideDev = perf.Frac(rk.Volatility), perf.Frac(rk.Sharpe), perf.Frac(rk.Sortino), perf.Frac(rk.DownsideDev)
	doc.MaxDrawdown = ddJSON(rk.MaxDrawdown, rk.Observations > 0)
	doc.Calmar = perf.Frac(rk.Calmar)
	doc.VaR95, doc.CVaR95 = perf.Frac(rk.VaR95), perf.Frac(rk.CVaR95)
	end := len(s.Dates) - 1
	for end > 0 && s.Dates[end] > to {
		end--
	}
	value := float64(line.Value[end]) / 1e6
	doc.VaR95Value, doc.CVaR95Value = money(rk.VaR95*value), money(rk.CVaR95*value)
	if len(h.BenchBars) > 0 {
		doc.Benchmark = &BenchJSON{Symbol: h.Benchmark, Observations: rk.BenchObservations, Paired: rk.PairedObservations, Beta: perf.Frac(rk.Beta),
			Alpha: perf.Frac(rk.Alpha), Correlation: perf.Frac(rk.Correlation), Volatility: perf.Frac(rk.BenchVolatility),
			MaxDrawdown: ddJSON(rk.BenchMaxDrawdown, len(bench.R) > 0)}
	}
	inv := s.Invested(acct.ID)
	ir := s.Returns(&inv).Slice(first, to)
	ik := portfolio.ComputeRisk(ir, bench, start, rf)
	doc.Securities = SecuritiesJSON{Note: "the holdings without cash: buys are inflows, sales and dividends outflows",
		Cumulative: perf.Frac(ik.Cumulative), Volatility: perf.Frac(ik.Volatility), Sharpe: perf.Frac(ik.Sharpe),
		MaxDrawdown: ddJSON(ik.MaxDrawdown, ik.Observations > 0), Beta: perf.Frac(ik.Beta), Alpha: perf.Frac(ik.Alpha),
		Correlation: perf.Frac(ik.Correlation)}
	held := map[string]float64{}
	for _, hl := range s.Holdings {
		if acct.ID != "" && hl.AccountID != acct.ID {
			continue
		}
		if v := hl.Value[end]; v > 0 {
			held[hl.Symbol] += float64(v) / 1e6
		}
	}
	c := portfolio.Concentrate(held)
	doc.Concentration = ConcentrationJSON{Largest: c.Largest, LargestWeight: perf.Frac(c.LargestWeight),
		Herfindahl: perf.Frac(c.Herfindahl), Effective: perf.Frac(c.Effective)}
	doc.RiskScore = portfolio.RiskScore(rk.Volatility, rk.MaxDrawdown.Depth, c.Herfindahl)

	syms := make([]string, 0, len(held))
	for sym := range held {
		syms = append(syms, sym)
	}
	sort.Slice(syms, func(i, j int) bool {
		if held[syms[i]] != held[syms[j]] {
			return held[syms[i]] > held[syms[j]]
		}
		return syms[i] < syms[j]
	})
	if corrTop > 0 && len(syms) > corrTop {
		syms = syms[:corrTop]
	}
	series := make([]portfolio.DailyReturns, len(syms))
	for i, sym := range syms {
		series[i] = portfolio.PriceReturns(s.Dates, h.Bars[sym]).Slice(first, to)
	}
	m := portfolio.CorrelationMatrix(series)
	doc.Correlation.Symbols = syms
	for _, row := range m {
		jr := make([]decimal.NullDecimal, len(row))
		for j, v := range row {
			jr[j] = perf.Frac(v)
		}
		doc.Correlation.Matrix = append(doc.Correlation.Matrix, jr)
	}
	return doc, nil
}

func money(x float64) decimal.NullDecimal {
	v := perf.Frac(x)
	if v.Valid {
		v.Decimal = v.Decimal.Round(2)
	}
	return v
}

func ddJSON(d portfolio.Drawdown, ok bool) DrawdownJSON {
	if !ok {
		return DrawdownJSON{}
	}
	p, t := d.Peak, d.Trough
	return DrawdownJSON{Depth: perf.Frac(d.Depth), Peak: &p, Trough: &t, Recovery: d.Recovery, Days: d.Days, TradingDays: d.TradingDays}
}

// Table is the terminal, TSV and CSV form: one row per figure.
func Table(doc DocumentJSON) output.Table {
	t := output.Table{Columns: []output.Column{{Header: "Metric", Key: "metric"}, {Header: "Value", Key: "value"},
		{Header: "Benchmark", Key: "benchmark"}, {Header: "Convention", Key: "convention"}}}
	var b BenchJSON
	if doc.Benchmark != nil {
		b = *doc.Benchmark
	}
	date := func(d *portfolio.Date) any {
		if d == nil {
			return "—"
		}
		return *d
	}
	benchDate := func(f func(DrawdownJSON) *portfolio.Date) any {
		if doc.Benchmark == nil {
			return ""
		}
		return date(f(b.MaxDrawdown))
	}
	add := func(k string, v, bv any, conv string) { t.Rows = append(t.Rows, []any{k, v, bv, conv}) }
	benchOr := func(v decimal.NullDecimal) any {
		if doc.Benchmark == nil {
			return ""
		}
		return v
	}
	add("observations", decimal.NewFromInt(int64(doc.Observations)), benchOr(decimal.NewNullDecimal(decimal.NewFromInt(int64(b.Observations)))),
		"daily returns used: TWR | benchmark price")
	add("paired_observations", benchOr(decimal.NewNullDecimal(decimal.NewFromInt(int64(b.Paired)))), "", "days both have a return: beta, alpha, correlation")
	add("cumulative_twr", doc.Cumulative, "", "fraction")
	add("cagr", doc.CAGR, "", "calendar days/365")
	add("volatility", doc.Volatility, benchOr(b.Volatility), "std(r, n-1)*sqrt(252)")
	add("sharpe", doc.Sharpe, "", fmt.Sprintf("rf %s annual -> (1+rf)^(1/252)-1", doc.RFAnnual))
	add("sortino", doc.Sortino, "", "downside dev sqrt(mean(min(r-rf,0)^2))*sqrt(252)")
	add("downside_deviation", doc.DownsideDev, "", "annualised")
	add("max_drawdown", doc.MaxDrawdown.Depth, benchOr(b.MaxDrawdown.Depth), "fraction, wealth index from 1")
	add("drawdown_peak", date(doc.MaxDrawdown.Peak), benchDate(func(d DrawdownJSON) *portfolio.Date { return d.Peak }), "")
	add("drawdown_trough", date(doc.MaxDrawdown.Trough), benchDate(func(d DrawdownJSON) *portfolio.Date { return d.Trough }), "")
	add("drawdown_recovery", date(doc.MaxDrawdown.Recovery), benchDate(func(d DrawdownJSON) *portfolio.Date { return d.Recovery }), "— = not recovered")
	add("drawdown_days", decimal.NewFromInt(int64(doc.MaxDrawdown.Days)), benchOr(decimal.NewNullDecimal(decimal.NewFromInt(int64(b.MaxDrawdown.Days)))), "calendar days peak to recovery (or end)")
	add("calmar", doc.Calmar, "", "cagr/|max drawdown|")
	add("beta", benchOr(b.Beta), "", "cov(r,b)/var(b) vs "+b.Symbol)
	add("alpha", benchOr(b.Alpha), "", "(mean(r)-beta*mean(b))*252")
	add("correlation", benchOr(b.Correlation), "", "Pearson")
	add("securities_volatility", doc.Securities.Volatility, "", "holdings without cash")
	add("securities_max_drawdown", doc.Securities.MaxDrawdown.Depth, "", "holdings without cash")
	add("securities_beta", benchOr(doc.Securities.Beta), "", "holdings without cash")
	add("securities_correlation", benchOr(doc.Securities.Correlation), "", "holdings without cash")
	add("var_95", doc.VaR95, "", "historical 1-day, 5% quantile (linear)")
	add("cvar_95", doc.CVaR95, "", "mean of returns <= VaR")
	add("var_95_money", doc.VaR95Value, "", "VaR x current value")
	add("cvar_95_money", doc.CVaR95Value, "", "CVaR x current value")
	add("largest_weight", doc.Concentration.LargestWeight, "", doc.Concentration.Largest+", of securities")
	add("herfindahl", doc.Concentration.Herfindahl, "", "sum of squared weights")
	add("effective_holdings", doc.Concentration.Effective, "", "1/herfindahl")
	add("risk_score", decimal.NewFromInt(int64(doc.RiskScore)), "", "0-100, see docs/analytics.md")
	return t
}

// MatrixTable is the correlation matrix as a table.
func MatrixTable(m MatrixJSON) output.Table {
	t := output.Table{Columns: []output.Column{{Header: "Correlation", Key: "symbol"}}}
	for _, s := range m.Symbols {
		t.Columns = append(t.Columns, output.Column{Header: s, Key: strings.ToLower(s), Kind: output.Price})
	}
	for i, row := range m.Matrix {
		r := []any{m.Symbols[i]}
		for _, v := range row {
			r = append(r, v)
		}
		t.Rows = append(t.Rows, r)
	}
	return t
}
