// Package holdings implements `wealthalloc holdings`.
package holdings

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/refdata"
)

// Options are the inputs of `holdings`.
type Options struct {
	Factory *cmdutil.Factory
	GroupBy portfolio.GroupBy
}

// NewCmd returns the holdings command; runF replaces the behaviour in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	var group string
	cmd := &cobra.Command{
		Use:   "holdings",
		Short: "Show positions, cost basis, market value and unrealized P&L",
		Long: `Show what is held at --as-of (default today), priced with the latest stored
close on or before that date. Cost basis is the adjusted basis (wash-sale
adjustments included). Weights are of the whole portfolio, cash included.`,
		Example: `  wealthalloc holdings
  wealthalloc holdings --group-by lot --as-of 2008-11-20
  wealthalloc holdings -o json | jq '.totals.market_value'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			g, err := portfolio.ParseGroupBy(group)
			if err != nil {
				return &cmdutil.FlagError{Err: fmt.Errorf("--group-by: %w", err)}
			}
			opts.GroupBy = g
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&group, "group-by", "symbol", "symbol, lot, account, sector or asset-class")
	_ = cmd.RegisterFlagCompletionFunc("group-by", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"symbol", "lot", "account", "sector", "asset-class"}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Run values the portfolio and prints it.
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
	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	v, accts, err := p.Valuation(ctx, asOf, opts.GroupBy == portfolio.ByLot)
	if err != nil {
		return err
	}
	rows := v.Group(opts.GroupBy, refdata.Classify)
	total := portfolio.Sum(rows)
	names := map[string]portfolio.Account{}
	for _, a := range accts {
		names[a.ID] = a
	}
	if err := pr.Print(Table(opts.GroupBy, rows, total, names), Document(asOf, opts.GroupBy, rows, total, v.Missing, names)); err != nil {
		return err
	}
	warnPrices(f, v)
	return nil
}

// warnPrices tells the user, on stderr, which values are missing or old.
func warnPrices(f *cmdutil.Factory, v portfolio.Valuation) {
	if len(v.Missing) > 0 {
		fmt.Fprintf(f.IO.ErrOut, "warning: no price on or before %s for %s: their market value is left out; run \"wealthalloc import prices FILE\"\n",
			v.AsOf, strings.Join(v.Missing, ", "))
	}
	stale := map[string]portfolio.Date{}
	for _, l := range v.Lots {
		if l.PriceDate != nil && v.AsOf-*l.PriceDate > 7 {
			stale[l.Symbol] = *l.PriceDate
		}
	}
	for _, s := range slices.Sorted(maps.Keys(stale)) {
		d := stale[s]
		fmt.Fprintf(f.IO.ErrOut, "warning: %s is priced at its close of %s, %d days before %s\n", s, d, v.AsOf-d, v.AsOf)
	}
}

// PositionJSON is one row of `holdings -o json`. Decimals are strings.
type PositionJSON struct {
	Key                  string              `json:"key"`
	Account              string              `json:"account,omitempty"`
	AccountType          string              `json:"account_type,omitempty"`
	Symbol               string              `json:"symbol,omitempty"`
	LotID                string              `json:"lot_id,omitempty"`
	Quantity             decimal.NullDecimal `json:"quantity"`
	AvgCost              decimal.NullDecimal `json:"avg_cost"`
	CostBasis            decimal.Decimal     `json:"cost_basis"`
	Price                decimal.NullDecimal `json:"price"`
	PriceDate            *portfolio.Date     `json:"price_date"`
	MarketValue          decimal.NullDecimal `json:"market_value"`
	Cash                 decimal.Decimal     `json:"cash"`
	UnrealizedPL         decimal.NullDecimal `json:"unrealized_pl"`
	UnrealizedPLPct      decimal.NullDecimal `json:"unrealized_pl_pct"`
	Weight               decimal.NullDecimal `json:"weight"`
	DateAcquired         *portfolio.Date     `json:"date_acquired,omitempty"`
	AdjustedDateAcquired *portfolio.Date     `json:"adjusted_date_acquired,omitempty"`
	Lots                 int                 `json:"lots"`
	Unpriced             bool                `json:"unpriced"`
}

// DocumentJSON is the whole `holdings -o json` document.
type DocumentJSON struct {
	AsOf          portfolio.Date `json:"as_of"`
	GroupBy       string         `json:"group_by"`
	Conventions   string         `json:"conventions"`
	Positions     []PositionJSON `json:"positions"`
	Totals        PositionJSON   `json:"totals"`
	MissingPrices []string       `json:"missing_prices"`
}

// Document builds the JSON form.
func Document(asOf portfolio.Date, by portfolio.GroupBy, rows []portfolio.Position, total portfolio.Position, missing []string, accts map[string]portfolio.Account) DocumentJSON {
	doc := DocumentJSON{AsOf: asOf, GroupBy: string(by), Positions: make([]PositionJSON, 0, len(rows)),
		Conventions:   "cost_basis is the adjusted basis; unrealized_pl = market_value - cost_basis over priced lots; pct and weight are fractions (0.1 = 10%); weight is of market value including cash",
		MissingPrices: append([]string{}, missing...)}
	for _, r := range rows {
		doc.Positions = append(doc.Positions, toJSON(by, r, accts))
	}
	doc.Totals = toJSON(by, total, accts)
	doc.Totals.Key, doc.Totals.LotID, doc.Totals.Account, doc.Totals.AccountType = "TOTAL", "", "", ""
	return doc
}

func toJSON(by portfolio.GroupBy, r portfolio.Position, accts map[string]portfolio.Account) PositionJSON {
	j := PositionJSON{Key: r.Key, Symbol: r.Symbol, Quantity: r.Quantity, AvgCost: r.AvgCost, CostBasis: r.CostBasis,
		Price: r.Price, PriceDate: r.PriceDate, MarketValue: known(r, r.MarketValue), Cash: r.Cash, UnrealizedPL: known(r, r.Unrealized),
		UnrealizedPLPct: r.UnrealizedPct, Weight: r.Weight, DateAcquired: r.DateAcquired,
		AdjustedDateAcquired: r.AdjustedDateAcquired, Lots: r.Lots, Unpriced: r.Unpriced}
	if a, ok := accts[r.AccountID]; ok {
		j.Account, j.AccountType = a.Name, string(a.TaxType)
	}
	if by == portfolio.ByLot {
		j.LotID = r.Key
	}
	if by == portfolio.ByAccount {
		j.Key = j.Account
	}
	return j
}

// Table builds the terminal, TSV and CSV form.
func Table(by portfolio.GroupBy, rows []portfolio.Position, total portfolio.Position, accts map[string]portfolio.Account) output.Table {
	var (
		t    output.Table
		cols []output.Column
		cell func(portfolio.Position) []any
	)
	money := func(p portfolio.Position) []any {
		return []any{known(p, p.MarketValue), known(p, p.Unrealized), p.UnrealizedPct}
	}
	tail := []output.Column{
		{Header: "Market value", Key: "market_value", Kind: output.Money},
		{Header: "Unrealized P&L", Key: "unrealized_pl", Kind: output.Gain},
		{Header: "P&L %", Key: "unrealized_pl_pct", Kind: output.GainPct},
	}
	name := func(id string) string { return accts[id].Name }
	switch by {
	case portfolio.ByLot:
		cols = []output.Column{{Header: "Lot", Key: "lot_id"}, {Header: "Account", Key: "account"}, {Header: "Symbol", Key: "symbol"},
			{Header: "Quantity", Key: "quantity", Kind: output.Quantity}, {Header: "Acquired", Key: "date_acquired"},
			{Header: "Adj. acquired", Key: "adjusted_date_acquired"}, {Header: "Cost basis", Key: "cost_basis", Kind: output.Money},
			{Header: "Price", Key: "price", Kind: output.Price}}
		cell = func(p portfolio.Position) []any {
			return append([]any{p.Key, name(p.AccountID), p.Symbol, p.Quantity, p.DateAcquired, p.AdjustedDateAcquired, p.CostBasis, p.Price}, money(p)...)
		}
		t.Columns = append(cols, tail...)
	case portfolio.ByAccount:
		cols = []output.Column{{Header: "Account", Key: "account"}, {Header: "Type", Key: "account_type"},
			{Header: "Cost basis", Key: "cost_basis", Kind: output.Money}, {Header: "Cash", Key: "cash", Kind: output.Money}}
		cell = func(p portfolio.Position) []any {
			return append(append([]any{name(p.AccountID), string(accts[p.AccountID].TaxType), p.CostBasis, p.Cash}, money(p)...), p.Weight)
		}
		t.Columns = append(append(cols, tail...), output.Column{Header: "Weight", Key: "weight", Kind: output.Percent})
	case portfolio.BySector, portfolio.ByAssetClass:
		head, key := "Sector", "sector"
		if by == portfolio.ByAssetClass {
			head, key = "Asset class", "asset_class"
		}
		cols = []output.Column{{Header: head, Key: key}, {Header: "Lots", Key: "lots", Kind: output.Quantity},
			{Header: "Cost basis", Key: "cost_basis", Kind: output.Money}}
		cell = func(p portfolio.Position) []any {
			return append(append([]any{p.Key, decimal.NewFromInt(int64(p.Lots)), p.CostBasis}, money(p)...), p.Weight)
		}
		t.Columns = append(append(cols, tail...), output.Column{Header: "Weight", Key: "weight", Kind: output.Percent})
	default:
		cols = []output.Column{{Header: "Symbol", Key: "symbol"}, {Header: "Quantity", Key: "quantity", Kind: output.Quantity},
			{Header: "Avg cost", Key: "avg_cost", Kind: output.Price}, {Header: "Cost basis", Key: "cost_basis", Kind: output.Money},
			{Header: "Price", Key: "price", Kind: output.Price}}
		cell = func(p portfolio.Position) []any {
			return append(append([]any{p.Key, p.Quantity, p.AvgCost, p.CostBasis, p.Price}, money(p)...), p.Weight)
		}
		t.Columns = append(append(cols, tail...), output.Column{Header: "Weight", Key: "weight", Kind: output.Percent})
	}
	for _, r := range rows {
		t.Rows = append(t.Rows, cell(r))
	}
	t.Totals = make([]any, len(t.Columns))
	for i, c := range t.Columns {
		switch c.Key {
		case "cost_basis":
			t.Totals[i] = total.CostBasis
		case "cash":
			t.Totals[i] = total.Cash
		case "market_value":
			t.Totals[i] = known(total, total.MarketValue)
		case "unrealized_pl":
			t.Totals[i] = known(total, total.Unrealized)
		case "unrealized_pl_pct":
			t.Totals[i] = total.UnrealizedPct
		case "weight":
			t.Totals[i] = total.Weight
		case "lots":
			t.Totals[i] = decimal.NewFromInt(int64(total.Lots))
		}
	}
	t.Totals[0] = "TOTAL"
	return t
}

// known is v, or null when nothing in the row has a value: an unpriced
// position must read as unknown, not as worth zero.
func known(p portfolio.Position, v decimal.Decimal) decimal.NullDecimal {
	if !p.Priced {
		return decimal.NullDecimal{}
	}
	return decimal.NewNullDecimal(v)
}
