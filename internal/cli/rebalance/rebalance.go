// Package rebalance implements `wealthalloc rebalance`.
package rebalance

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/allocation"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/config"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/refdata"
	"github.com/wealthalloc/wealthalloc/internal/tax"
)

// Options are the inputs of `rebalance`.
type Options struct {
	Factory    *cmdutil.Factory
	TargetFile string
	CashOnly   bool
	TaxAware   bool
	Band       float64 // percentage points
	MinTrade   float64 // money
}

// NewCmd returns the rebalance command; runF replaces the behaviour in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "rebalance",
		Short: "Plan whole-share trades that bring every weight within its band",
		Long: `Plan the trades that bring every targeted weight (config "targets:" or
--target FILE) within --band percentage points, in whole shares at the last
close: cash first, then the least turnover. Without targets, each held
security's target is an equal share of the securities' value (as recs
does; a note says so). Cash never goes below zero in any account.
--tax-aware sells in IRAs first, then loss lots and long-term lots, never
proposes a wash sale, buys first where no lot of the symbol is at a loss in
a taxable account (and flags a purchase it still makes there), and
estimates each sale's realised gain and tax from the config's tax.rates
(unset: 24% short-term, 15% long-term).

This prints a plan; it places no order.`,
		Example: `  wealthalloc rebalance --target targets.yaml
  wealthalloc rebalance --tax-aware --band 3 --min-trade 100
  wealthalloc rebalance --cash-only -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Band < 0 || opts.Band > 100 {
				return cmdutil.FlagErrorf("--band %g: want percentage points between 0 and 100", opts.Band)
			}
			if opts.MinTrade < 0 {
				return cmdutil.FlagErrorf("--min-trade %g: want a non-negative amount", opts.MinTrade)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.TargetFile, "target", "", "YAML file of target weights (instead of the config's targets)")
	fl.BoolVar(&opts.CashOnly, "cash-only", false, "only buy, with the cash on hand; never sell")
	fl.BoolVar(&opts.TaxAware, "tax-aware", false, "prefer IRAs, loss lots and long-term lots; never create a wash sale")
	fl.Float64Var(&opts.Band, "band", 5, "tolerance around each target, in percentage points")
	fl.Float64Var(&opts.MinTrade, "min-trade", 0, "skip trades smaller than this amount of money")
	addExecute(cmd, opts)
	return cmd
}

// TradeJSON is one planned trade.
type TradeJSON struct {
	Account   string              `json:"account"`
	Action    string              `json:"action"`
	Symbol    string              `json:"symbol"`
	Quantity  decimal.Decimal     `json:"quantity"`
	Price     decimal.Decimal     `json:"price"`
	Amount    decimal.Decimal     `json:"amount"`
	Lots      []LotJSON           `json:"lots"`
	ShortGain decimal.Decimal     `json:"short_term_gain"`
	LongGain  decimal.Decimal     `json:"long_term_gain"`
	Gain      decimal.Decimal     `json:"estimated_gain"`
	Tax       decimal.NullDecimal `json:"estimated_tax"`
	Note      string              `json:"note"`
}

// LotJSON is a lot a sale takes.
type LotJSON struct {
	LotID    string          `json:"lot_id"`
	Quantity decimal.Decimal `json:"quantity"`
}

// RowJSON is a target's weight before and after.
type RowJSON struct {
	Symbol       string          `json:"symbol"`
	Target       decimal.Decimal `json:"target"`
	Low          decimal.Decimal `json:"band_low"`
	High         decimal.Decimal `json:"band_high"`
	Before       decimal.Decimal `json:"weight_before"`
	After        decimal.Decimal `json:"weight_after"`
	ValueBefore  decimal.Decimal `json:"value_before"`
	ValueAfter   decimal.Decimal `json:"value_after"`
	InBandBefore bool            `json:"in_band_before"`
	InBandAfter  bool            `json:"in_band_after"`
}

// DocumentJSON is the whole `rebalance -o json` document.
type DocumentJSON struct {
	AsOf          portfolio.Date             `json:"as_of"`
	Conventions   string                     `json:"conventions"`
	TargetsSource string                     `json:"targets_source"`
	BandPP        decimal.Decimal            `json:"band_pp"`
	MinTrade      decimal.Decimal            `json:"min_trade"`
	CashOnly      bool                       `json:"cash_only"`
	TaxAware      bool                       `json:"tax_aware"`
	Total         decimal.Decimal            `json:"total"`
	Feasible      bool                       `json:"feasible"`
	Problems      []string                   `json:"problems"`
	Blocked       []string                   `json:"blocked"`
	Notes         []string                   `json:"notes"`
	Trades        []TradeJSON                `json:"trades"`
	Weights       []RowJSON                  `json:"weights"`
	CashAfter     map[string]decimal.Decimal `json:"cash_after"`
	Turnover      decimal.Decimal            `json:"turnover"`
	Gain          decimal.Decimal            `json:"estimated_gain"`
	Tax           decimal.NullDecimal        `json:"estimated_tax"`
	TaxRates      string                     `json:"tax_rates"`
}

// planned is a rebalance plan with what printing and executing it need.
type planned struct {
	asOf     portfolio.Date
	pr       *output.Printer
	cfg      *config.Config
	p        *app.Portfolio
	plan     *portfolio.Plan
	names    map[string]string
	src      string
	rateNote string
	rates    portfolio.TaxRates
}

// makePlan loads the books, targets and rates and plans the rebalance: the
// one path `rebalance` and `rebalance --execute` share.
func makePlan(ctx context.Context, opts *Options) (*planned, error) {
	f := opts.Factory
	asOf, err := f.AsOf()
	if err != nil {
		return nil, err
	}
	pr, err := f.Printer()
	if err != nil {
		return nil, err
	}
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	targets, src, err := allocation.LoadTargets(f, opts.TargetFile)
	if err != nil {
		return nil, err
	}
	ident, err := tax.NewIdentical(tax.DefaultIdentical, cfg.Tax.SubstantiallyIdentical)
	if err != nil {
		return nil, fmt.Errorf("config tax.substantially_identical: %w", err)
	}
	rates, rateNote := parseRates(cfg.Tax.Rates.Short, cfg.Tax.Rates.Long, cfg.Tax.Rates.State)
	p, err := f.Portfolio(ctx)
	if err != nil {
		return nil, err
	}
	extra := make([]string, 0, len(targets.Symbols))
	for s := range targets.Symbols {
		extra = append(extra, s)
	}
	st, err := p.RebalanceState(ctx, asOf, extra)
	if err != nil {
		return nil, err
	}
	held := map[string]decimal.Decimal{}
	for _, l := range st.Lots {
		if px, ok := st.Prices[l.Symbol]; ok {
			held[l.Symbol] = held[l.Symbol].Add(l.Quantity.Mul(px))
		}
	}
	symT, err := portfolio.SymbolTargets(targets, held, refdata.Classify)
	if err != nil {
		return nil, err
	}
	if targets.Empty() {
		if symT, err = equalWeights(held, st.Cash); err != nil {
			return nil, err
		}
		src = "none: equal weights of the held securities"
		fmt.Fprintln(f.IO.ErrOut, "note: "+NoTargetsNote)
	}
	plan, err := portfolio.Rebalance(portfolio.RebalanceInput{AsOf: asOf, Accounts: st.Accounts, Lots: st.Lots, Cash: st.Cash,
		Prices: st.Prices, Targets: symT, Band: decimal.NewFromFloat(opts.Band).Shift(-2), MinTrade: decimal.NewFromFloat(opts.MinTrade),
		CashOnly: opts.CashOnly, TaxAware: opts.TaxAware, Rates: rates, Identical: ident.Same,
		History: st.Trades, Disposals: st.Disposals})
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, a := range st.Accounts {
		names[a.ID] = a.Name
	}
	return &planned{asOf: asOf, pr: pr, cfg: cfg, p: p, plan: plan, names: names, src: src, rateNote: rateNote, rates: rates}, nil
}

// Run plans and prints.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	pl, err := makePlan(ctx, opts)
	if err != nil {
		return err
	}
	asOf, pr, cfg, plan, names, src, rateNote, rates := pl.asOf, pl.pr, pl.cfg, pl.plan, pl.names, pl.src, pl.rateNote, pl.rates
	doc := Document(asOf, plan, names, opts, src, rateNote)
	if err := pr.Print(Table(doc), doc); err != nil {
		return err
	}
	for _, b := range plan.Blocked {
		fmt.Fprintf(f.IO.ErrOut, "note: %s\n", b)
	}
	for _, n := range plan.Notes {
		fmt.Fprintf(f.IO.ErrOut, "note: %s\n", n)
	}
	if !plan.Feasible {
		for _, pb := range plan.Problems {
			fmt.Fprintf(f.IO.ErrOut, "not feasible: %s\n", pb)
		}
	} else if len(plan.Trades) == 0 {
		fmt.Fprintln(f.IO.ErrOut, "every weight is within its band: nothing to trade")
	}
	if cfg.Tax.Rates.Short == "" || cfg.Tax.Rates.Long == "" {
		fmt.Fprintf(f.IO.ErrOut, "note: %s\n", tax.DefaultRatesNote)
	} else if !rates.Short.Valid || !rates.Long.Valid {
		fmt.Fprintln(f.IO.ErrOut, "note: tax.rates in the config are not decimal fractions such as 0.24: estimated tax is left out")
	}
	return nil
}

// NoTargetsNote is said on stderr when the plan uses the equal-weight
// fallback.
const NoTargetsNote = "no targets: equal weights of the held securities (add \"targets:\" to the config, see \"wealthalloc init\", or pass --target FILE)"

// equalWeights is the fallback without targets, as recs has it: each held
// security's target is an equal share of the securities' value, as a
// fraction of the total with cash (truncated to 6 places so they never add
// up past it); cash keeps what is left. With nothing held there is nothing
// to weigh: an error (exit 1) saying how to set targets.
func equalWeights(held, cash map[string]decimal.Decimal) (map[string]decimal.Decimal, error) {
	sec, total := decimal.Zero, decimal.Zero
	n := 0
	for _, v := range held {
		if v.IsPositive() {
			sec, n = sec.Add(v), n+1
		}
	}
	total = sec
	for _, c := range cash {
		total = total.Add(c)
	}
	if n == 0 || !total.IsPositive() {
		return nil, fmt.Errorf("no targets, and no priced holdings to weigh equally: add \"targets:\" to the config (see \"wealthalloc init\") or pass --target FILE")
	}
	w := sec.Div(decimal.NewFromInt(int64(n))).DivRound(total, 12).Truncate(6)
	out := make(map[string]decimal.Decimal, n)
	for s, v := range held {
		if v.IsPositive() {
			out[s] = w
		}
	}
	return out, nil
}

func parseRates(short, long, state string) (portfolio.TaxRates, string) {
	var r portfolio.TaxRates
	p := func(s string) decimal.NullDecimal {
		d, err := decimal.NewFromString(strings.TrimSpace(s))
		if err != nil {
			return decimal.NullDecimal{}
		}
		return decimal.NewNullDecimal(d)
	}
	r.Short, r.Long, r.State = p(short), p(long), p(state)
	// Unset rates are tax.DefaultRates, as in tax summary and the harvest
	// and trade previews.
	assumed := ""
	if strings.TrimSpace(short) == "" || strings.TrimSpace(long) == "" {
		assumed = " (assumed: tax.rates not set)"
	}
	if strings.TrimSpace(short) == "" {
		r.Short = decimal.NewNullDecimal(tax.DefaultRates.Short)
	}
	if strings.TrimSpace(long) == "" {
		r.Long = decimal.NewNullDecimal(tax.DefaultRates.Long)
	}
	if !r.Short.Valid || !r.Long.Valid {
		return r, "invalid (tax.rates.short and tax.rates.long in the config)"
	}
	note := fmt.Sprintf("short %s, long %s", r.Short.Decimal, r.Long.Decimal)
	if r.State.Valid {
		note += fmt.Sprintf(", state %s", r.State.Decimal)
	}
	return r, note + assumed
}

// Document builds the JSON form.
func Document(asOf portfolio.Date, plan *portfolio.Plan, names map[string]string, opts *Options, src, rates string) DocumentJSON {
	doc := DocumentJSON{AsOf: asOf, Conventions: portfolio.RebalanceConventions, TargetsSource: src,
		BandPP: decimal.NewFromFloat(opts.Band), MinTrade: decimal.NewFromFloat(opts.MinTrade), CashOnly: opts.CashOnly, TaxAware: opts.TaxAware,
		Total: plan.Total.Round(2), Feasible: plan.Feasible, Problems: nonNil(plan.Problems), Blocked: nonNil(plan.Blocked), Notes: nonNil(plan.Notes),
		Trades: []TradeJSON{}, Weights: []RowJSON{}, CashAfter: map[string]decimal.Decimal{}, Turnover: plan.Turnover.Round(2),
		Gain: plan.Gain.Round(2), Tax: plan.Tax, TaxRates: rates}
	if doc.Tax.Valid {
		doc.Tax.Decimal = doc.Tax.Decimal.Round(2)
	}
	for a, c := range plan.CashAfter {
		doc.CashAfter[names[a]] = c.Round(2)
	}
	for _, t := range plan.Trades {
		tj := TradeJSON{Account: names[t.AccountID], Action: string(t.Action), Symbol: t.Symbol, Quantity: t.Quantity, Price: t.Price,
			Amount: t.Amount.Round(2), Lots: []LotJSON{}, ShortGain: t.ShortGain.Round(2), LongGain: t.LongGain.Round(2), Gain: t.Gain.Round(2),
			Tax: t.Tax, Note: t.Note}
		if tj.Tax.Valid {
			tj.Tax.Decimal = tj.Tax.Decimal.Round(2)
		}
		for _, l := range t.Lots {
			tj.Lots = append(tj.Lots, LotJSON{LotID: l.LotID, Quantity: l.Quantity})
		}
		doc.Trades = append(doc.Trades, tj)
	}
	for _, r := range plan.Rows {
		doc.Weights = append(doc.Weights, RowJSON{Symbol: r.Symbol, Target: r.Target, Low: r.Low, High: r.High, Before: r.Before, After: r.After,
			ValueBefore: r.ValueBefore.Round(2), ValueAfter: r.ValueAfter.Round(2), InBandBefore: r.InBandBefore, InBandAfter: r.InBandAfter})
	}
	return doc
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Table is the trades table.
func Table(doc DocumentJSON) output.Table {
	t := output.Table{Columns: []output.Column{{Header: "Account", Key: "account"}, {Header: "Action", Key: "action"},
		{Header: "Symbol", Key: "symbol"}, {Header: "Quantity", Key: "quantity", Kind: output.Quantity},
		{Header: "Price", Key: "price", Kind: output.Price}, {Header: "Amount", Key: "amount", Kind: output.Money},
		{Header: "Est. gain", Key: "estimated_gain", Kind: output.Gain}, {Header: "Est. tax", Key: "estimated_tax", Kind: output.Money},
		{Header: "Lots", Key: "lots"}, {Header: "Note", Key: "note"}}}
	for _, tr := range doc.Trades {
		var lots []string
		for _, l := range tr.Lots {
			lots = append(lots, l.LotID+":"+l.Quantity.String())
		}
		gain, tx := decimal.NullDecimal{}, decimal.NullDecimal{}
		if tr.Action == string(portfolio.Sell) {
			gain, tx = decimal.NewNullDecimal(tr.Gain), tr.Tax
		}
		t.Rows = append(t.Rows, []any{tr.Account, tr.Action, tr.Symbol, tr.Quantity, tr.Price, tr.Amount, gain, tx, strings.Join(lots, " "), tr.Note})
	}
	t.Totals = []any{"TOTAL", "", "", nil, nil, doc.Turnover, decimal.NewNullDecimal(doc.Gain), doc.Tax, "", ""}
	return t
}
