// Package allocation implements `wealthalloc allocation`.
package allocation

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"
	"gonum.org/v1/gonum/mat"
	"gopkg.in/yaml.v3"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/chart"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/cli/perf"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/refdata"
)

// Conventions is stated in every allocation output.
const Conventions = "weights are fractions of the total value including cash, at the latest close on or before the date; " +
	"targets: a lower-case key is an asset class, any other a symbol (CASH for cash); drift_pp = (weight - target) x 100; " +
	"drift_value = value - target x total; sectors are GICS for S&P 500 members and fund categories for common ETFs; unknown symbols are unclassified"

// Options are the inputs of `allocation`.
type Options struct {
	Factory    *cmdutil.Factory
	By         string
	TargetFile string
	Account    string
	Optimize   bool
	MaxWeight  float64
	SectorCap  float64
	From, To   string
	RF         float64
	Chart      bool
	ChartSet   bool
	Benchmark  string
}

// NewCmd returns the allocation command; runF replaces the behaviour in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "allocation",
		Short: "Allocation by symbol, account, asset class, sector or region, against targets",
		Long: `Show how the portfolio is spread, and its drift from targets (the config's
"targets:" or --target FILE, a YAML map such as "VTI: 0.60") in percentage
points and in money. Bars are drawn on a terminal, or with --chart.

--optimize suggests target weights for the securities by minimum variance,
risk parity and maximum Sharpe (long-only, Ledoit-Wolf shrunk covariance of
daily returns between --from and --to, default the 3 years to --as-of),
beside the current weights. Nothing is traded: see "wealthalloc rebalance".`,
		Example: `  wealthalloc allocation --by sector
  wealthalloc allocation --by asset-class --target targets.yaml
  wealthalloc allocation --optimize --max-weight 0.4 --sector-cap 0.6 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := portfolio.ParseAllocDimension(opts.By); err != nil {
				return cmdutil.FlagErrorf("--by: %w", err)
			}
			if opts.MaxWeight < 0 || opts.MaxWeight > 1 || opts.SectorCap < 0 || opts.SectorCap > 1 {
				return cmdutil.FlagErrorf("--max-weight and --sector-cap are fractions between 0 and 1")
			}
			opts.ChartSet = cmd.Flags().Changed("chart")
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.By, "by", "symbol", "symbol, account, asset-class, sector or region")
	fl.StringVar(&opts.TargetFile, "target", "", "YAML file of target weights (instead of the config's targets)")
	fl.StringVar(&opts.Account, "account", "", "one account (name or number)")
	fl.BoolVar(&opts.Optimize, "optimize", false, "suggest weights: min-variance, risk-parity, max-sharpe")
	fl.Float64Var(&opts.MaxWeight, "max-weight", 0, "optimiser cap per holding as a fraction (0 = none)")
	fl.Float64Var(&opts.SectorCap, "sector-cap", 0, "optimiser cap per sector as a fraction (0 = none)")
	fl.StringVar(&opts.From, "from", "", "optimiser: first day of returns (default 3 years before --to)")
	fl.StringVar(&opts.To, "to", "", "optimiser: last day of returns (default --as-of)")
	fl.Float64Var(&opts.RF, "rf", 0, "optimiser: annual risk-free rate for max-sharpe")
	fl.BoolVar(&opts.Chart, "chart", false, "draw bars even when not on a terminal (table output only)")
	_ = cmd.RegisterFlagCompletionFunc("by", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"symbol", "account", "asset-class", "sector", "region"}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// LoadTargets reads targets from file (a YAML map, optionally under a
// "targets:" key), else from the config.
func LoadTargets(f *cmdutil.Factory, file string) (portfolio.Targets, string, error) {
	if file == "" {
		c, err := f.Config()
		if err != nil {
			return portfolio.Targets{}, "", err
		}
		t, err := portfolio.ParseTargets(c.Targets)
		if err != nil {
			return t, "", fmt.Errorf("config targets: %w", err)
		}
		src := "config"
		if t.Empty() {
			src = "none"
		}
		return t, src, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return portfolio.Targets{}, "", &cmdutil.FlagError{Err: fmt.Errorf("--target: %w", err)}
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return portfolio.Targets{}, "", &cmdutil.FlagError{Err: fmt.Errorf("--target %s: %v (want a YAML map such as \"VTI: 0.60\")", file, err)}
	}
	if inner, ok := raw["targets"].(map[string]any); ok && len(raw) == 1 {
		raw = inner
	}
	m := map[string]string{}
	for k, v := range raw {
		switch x := v.(type) {
		case string:
			m[k] = x
		case int, float64:
			m[k] = fmt.Sprint(x)
		default:
			return portfolio.Targets{}, "", &cmdutil.FlagError{Err: fmt.Errorf("--target %s: %s: want a weight such as 0.60 or \"60%%\"", file, k)}
		}
	}
	t, err := portfolio.ParseTargets(m)
	if err != nil {
		return t, "", &cmdutil.FlagError{Err: fmt.Errorf("--target %s: %w", file, err)}
	}
	return t, file, nil
}

// RowJSON is one allocation row.
type RowJSON struct {
	Key        string              `json:"key"`
	Value      decimal.Decimal     `json:"value"`
	Weight     decimal.Decimal     `json:"weight"`
	Target     decimal.NullDecimal `json:"target"`
	DriftPP    decimal.NullDecimal `json:"drift_pp"`
	DriftValue decimal.NullDecimal `json:"drift_value"`
	Unpriced   bool                `json:"unpriced,omitempty"`
}

// SuggestionJSON is one optimiser's result.
type SuggestionJSON struct {
	Method     string                         `json:"method"`
	Weights    map[string]decimal.NullDecimal `json:"weights"`
	Return     decimal.NullDecimal            `json:"expected_return"`
	Volatility decimal.NullDecimal            `json:"volatility"`
	Sharpe     decimal.NullDecimal            `json:"sharpe"`
	Note       string                         `json:"note,omitempty"`
}

// OptimizationJSON is the optimisation block.
type OptimizationJSON struct {
	Conventions string              `json:"conventions"`
	From        portfolio.Date      `json:"from"`
	To          portfolio.Date      `json:"to"`
	Days        int                 `json:"days"`
	Shrinkage   decimal.NullDecimal `json:"ledoit_wolf_shrinkage"`
	MaxWeight   decimal.Decimal     `json:"max_weight"`
	SectorCap   decimal.Decimal     `json:"sector_cap"`
	Symbols     []string            `json:"symbols"`
	Sectors     []string            `json:"sectors"`
	Current     SuggestionJSON      `json:"current"`
	Suggestions []SuggestionJSON    `json:"suggestions"`
}

// DocumentJSON is the whole `allocation -o json` document.
type DocumentJSON struct {
	AsOf          portfolio.Date    `json:"as_of"`
	By            string            `json:"by"`
	Account       string            `json:"account,omitempty"`
	Conventions   string            `json:"conventions"`
	TargetsSource string            `json:"targets_source"`
	Total         decimal.Decimal   `json:"total"`
	Rows          []RowJSON         `json:"rows"`
	Optimization  *OptimizationJSON `json:"optimization,omitempty"`
	MissingPrices []string          `json:"missing_prices"`
}

// Run prints the allocation.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	asOf, err := f.AsOf()
	if err != nil {
		return err
	}
	pr, err := f.Printer()
	if err != nil {
		return err
	}
	targets, src, err := LoadTargets(f, opts.TargetFile)
	if err != nil {
		return err
	}
	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	v, accts, err := p.Valuation(ctx, asOf, false)
	if err != nil {
		return err
	}
	doc := DocumentJSON{AsOf: asOf, By: opts.By, Conventions: Conventions, TargetsSource: src, Rows: []RowJSON{},
		MissingPrices: append([]string{}, v.Missing...)}
	if opts.Account != "" {
		a, ok := app.AccountResolver(accts)(opts.Account)
		if !ok {
			return fmt.Errorf("no account %q (see \"wealthalloc accounts list\")", opts.Account)
		}
		doc.Account = a.Name
		v = onlyAccount(v, a.ID)
	}
	names := map[string]string{}
	for _, a := range accts {
		names[a.ID] = a.Name
	}
	by, _ := portfolio.ParseAllocDimension(opts.By)
	rows := portfolio.Allocation(v, by, refdata.Classify, func(id string) string { return names[id] }, targets)
	doc.Total = v.Total()
	for _, r := range rows {
		doc.Rows = append(doc.Rows, RowJSON{Key: r.Key, Value: r.Value, Weight: r.Weight, Target: r.Target,
			DriftPP: r.DriftPP, DriftValue: r.DriftValue, Unpriced: r.Unpriced})
	}
	if opts.Optimize {
		o, err := optimize(ctx, f, p, v, opts, asOf)
		if err != nil {
			return err
		}
		doc.Optimization = o
		if err := pr.Print(OptimizationTable(o), doc); err != nil {
			return err
		}
	} else if err := pr.Print(Table(doc), doc); err != nil {
		return err
	}
	if pr.Format == output.FormatTable && !opts.Optimize && (f.IO.IsStdoutTTY() || (opts.ChartSet && opts.Chart)) {
		bars := make([]chart.Bar, 0, len(doc.Rows))
		for _, r := range doc.Rows {
			t := math.NaN()
			if r.Target.Valid {
				t = r.Target.Decimal.InexactFloat64()
			}
			bars = append(bars, chart.Bar{Label: r.Key, Value: r.Weight.InexactFloat64(), Target: t})
		}
		fmt.Fprintln(f.IO.Out)
		if err := chart.Bars(f.IO.Out, bars, chart.Options{Width: 40, Color: f.IO.ColorEnabled()}); err != nil {
			return err
		}
	}
	if len(v.Missing) > 0 {
		fmt.Fprintf(f.IO.ErrOut, "warning: no price on or before %s for %s: left out of the weights\n", asOf, strings.Join(v.Missing, ", "))
	}
	if targets.Empty() && !opts.Optimize && pr.Format != output.FormatJSON {
		fmt.Fprintln(f.IO.ErrOut, NoTargetsNote)
	}
	return nil
}

// NoTargetsNote says why the target and drift columns are empty.
const NoTargetsNote = `note: no targets, so no drift: add "targets:" to the config (see "wealthalloc init") or pass --target FILE; ` +
	`--optimize suggests weights (rebalance and recs measure against equal weights meanwhile)`

func onlyAccount(v portfolio.Valuation, id string) portfolio.Valuation {
	out := portfolio.Valuation{AsOf: v.AsOf, Cash: map[string]decimal.Decimal{}, Missing: v.Missing}
	for _, l := range v.Lots {
		if l.AccountID == id {
			out.Lots = append(out.Lots, l)
		}
	}
	if c, ok := v.Cash[id]; ok {
		out.Cash[id] = c
	}
	return out
}

// Table is the allocation table.
func Table(doc DocumentJSON) output.Table {
	head := map[string]string{"symbol": "Symbol", "account": "Account", "asset-class": "Asset class", "sector": "Sector", "region": "Region"}[doc.By]
	t := output.Table{Columns: []output.Column{{Header: head, Key: strings.ReplaceAll(doc.By, "-", "_")},
		{Header: "Value", Key: "value", Kind: output.Money}, {Header: "Weight", Key: "weight", Kind: output.Percent},
		{Header: "Target", Key: "target", Kind: output.Percent}, {Header: "Drift pp", Key: "drift_pp", Kind: output.Gain},
		{Header: "Drift value", Key: "drift_value", Kind: output.Gain}}}
	for _, r := range doc.Rows {
		t.Rows = append(t.Rows, []any{r.Key, r.Value, r.Weight, r.Target, r.DriftPP, r.DriftValue})
	}
	t.Totals = []any{"TOTAL", doc.Total, decimal.NewFromInt(1), nil, nil, nil}
	return t
}

// OptimizationTable shows the suggested weights beside the current ones.
func OptimizationTable(o *OptimizationJSON) output.Table {
	t := output.Table{Columns: []output.Column{{Header: "Symbol", Key: "symbol"}, {Header: "Sector", Key: "sector"},
		{Header: "Current", Key: "current", Kind: output.Percent}}}
	for _, s := range o.Suggestions {
		t.Columns = append(t.Columns, output.Column{Header: s.Method, Key: strings.ReplaceAll(s.Method, "-", "_"), Kind: output.Percent})
	}
	for i, sym := range o.Symbols {
		row := []any{sym, o.Sectors[i], o.Current.Weights[sym]}
		for _, s := range o.Suggestions {
			row = append(row, s.Weights[sym])
		}
		t.Rows = append(t.Rows, row)
	}
	for _, k := range []string{"expected_return", "volatility", "sharpe"} {
		row := []any{"(" + k + ")", ""}
		for _, s := range append([]SuggestionJSON{o.Current}, o.Suggestions...) {
			switch k {
			case "expected_return":
				row = append(row, s.Return)
			case "volatility":
				row = append(row, s.Volatility)
			default:
				row = append(row, s.Sharpe)
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func optimize(ctx context.Context, f *cmdutil.Factory, p *app.Portfolio, v portfolio.Valuation, opts *Options, asOf portfolio.Date) (*OptimizationJSON, error) {
	from, to, err := perf.Window(f, opts.From, opts.To)
	if err != nil {
		return nil, err
	}
	if opts.To == "" {
		to = asOf
	}
	if from == 0 {
		from = to.AddYears(-3)
	}
	h, err := p.AnalyticsHistory(ctx, to, "")
	if err != nil {
		return nil, err
	}
	held := map[string]float64{}
	for _, l := range v.Lots {
		if l.MarketValue.Valid {
			held[l.Symbol] += l.MarketValue.Decimal.InexactFloat64()
		}
	}
	syms := make([]string, 0, len(held))
	var total float64
	for s, x := range held {
		if x > 0 {
			syms = append(syms, s)
			total += x
		}
	}
	sort.Strings(syms)
	if len(syms) == 0 {
		return nil, fmt.Errorf("nothing to optimise: no priced holding at %s", asOf)
	}
	// Returns on the days every symbol has a close-to-close return.
	dates := h.Series.Dates
	rets := make([]portfolio.DailyReturns, len(syms))
	count := map[portfolio.Date]int{}
	for i, s := range syms {
		rets[i] = portfolio.PriceReturns(dates, h.Bars[s]).Slice(from.AddDays(1), to)
		for _, d := range rets[i].Dates {
			count[d]++
		}
	}
	var common []portfolio.Date
	for d, c := range count {
		if c == len(syms) {
			common = append(common, d)
		}
	}
	sort.Slice(common, func(i, j int) bool { return common[i] < common[j] })
	if len(common) < 20 {
		return nil, fmt.Errorf("not enough common price history for %s between %s and %s (%d days; need 20): import more prices or widen --from",
			strings.Join(syms, ", "), from, to, len(common))
	}
	x := mat.NewDense(len(common), len(syms), nil)
	for j := range syms {
		k := 0
		for i, d := range rets[j].Dates {
			for k < len(common) && common[k] < d {
				k++
			}
			if k < len(common) && common[k] == d {
				x.Set(k, j, rets[j].R[i])
			}
		}
	}
	sectors := make([]string, len(syms))
	cur := make([]float64, len(syms))
	for i, s := range syms {
		sectors[i] = refdata.Classify(s).Sector
		cur[i] = held[s] / total
	}
	res, err := portfolio.Optimize(portfolio.OptimizeInput{Symbols: syms, Sectors: sectors, Returns: x,
		MaxWeight: opts.MaxWeight, SectorCap: opts.SectorCap, RF: opts.RF}, cur)
	if err != nil {
		return nil, err
	}
	o := &OptimizationJSON{Conventions: portfolio.OptimizeConventions, From: common[0], To: common[len(common)-1], Days: len(common),
		Shrinkage: perf.Frac(res.Shrinkage), MaxWeight: capOr1(opts.MaxWeight), SectorCap: capOr1(opts.SectorCap),
		Symbols: syms, Sectors: sectors, Current: sugJSON(syms, res.Current)}
	for _, s := range res.Suggestions {
		o.Suggestions = append(o.Suggestions, sugJSON(syms, s))
	}
	return o, nil
}

func capOr1(c float64) decimal.Decimal {
	if c <= 0 {
		return decimal.NewFromInt(1)
	}
	return decimal.NewFromFloat(c)
}

func sugJSON(syms []string, s portfolio.Suggestion) SuggestionJSON {
	j := SuggestionJSON{Method: s.Method, Weights: map[string]decimal.NullDecimal{}, Return: perf.Frac(s.Return),
		Volatility: perf.Frac(s.Volatility), Sharpe: perf.Frac(s.Sharpe), Note: s.Note}
	for i, sym := range syms {
		if i < len(s.Weights) {
			w := perf.Frac(s.Weights[i])
			if w.Valid {
				w.Decimal = w.Decimal.Round(4)
			}
			j.Weights[sym] = w
		}
	}
	return j
}
