package taxcmd

import (
	"context"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/tax"
)

// GainsOptions are the inputs of `tax gains`.
type GainsOptions struct {
	Factory  *cmdutil.Factory
	Year     int
	Accounts []string
}

// NewCmdGains returns `tax gains`.
func NewCmdGains(f *cmdutil.Factory, runF func(context.Context, *GainsOptions) error) *cobra.Command {
	opts := &GainsOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "gains",
		Short: "Realized gains per sale and lot, with wash-sale adjustments (Form 8949 terms)",
		Long: `List every realized gain or loss: one row per sale and lot (or sub-lot, where
only some shares of a lot replaced a washed loss). Cost basis is the adjusted
basis; a wash sale shows its disallowed loss (code W) as a positive
adjustment, and gain/loss = proceeds − basis + adjustment, as on Form 8949.
Term is long only when sold after the one-year anniversary of the adjusted
acquisition date. Sales inside IRAs are listed but not taxable.`,
		Example: `  wealthalloc tax gains --year 2008
  wealthalloc tax gains --account taxable -o json
  wealthalloc tax gains -o csv > gains.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Year != 0 && (opts.Year < 1900 || opts.Year > 9999) {
				return cmdutil.FlagErrorf("--year %d: want a four-digit year", opts.Year)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunGains(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Year, "year", 0, "only sales in this year (default: all)")
	cmd.Flags().StringArrayVar(&opts.Accounts, "account", nil, "only this account, by name or number (repeatable)")
	return cmd
}

// GainJSON is one element of `tax gains -o json`.
type GainJSON struct {
	Account               string          `json:"account"`
	Symbol                string          `json:"symbol"`
	Quantity              decimal.Decimal `json:"quantity"`
	DateAcquired          portfolio.Date  `json:"date_acquired"`
	AdjustedDateAcquired  portfolio.Date  `json:"adjusted_date_acquired"`
	DateSold              portfolio.Date  `json:"date_sold"`
	Proceeds              decimal.Decimal `json:"proceeds"`
	CostBasis             decimal.Decimal `json:"cost_basis"`
	WashSaleDisallowed    decimal.Decimal `json:"wash_sale_disallowed"`
	GainLoss              decimal.Decimal `json:"gain_loss"`
	Term                  tax.Term        `json:"term"`
	PermanentlyDisallowed bool            `json:"permanently_disallowed"`
	Taxable               bool            `json:"taxable"`
	SellID                string          `json:"sell_id"`
	LotID                 string          `json:"lot_id"`
}

// RunGains prints the gains.
func RunGains(ctx context.Context, opts *GainsOptions) error {
	f := opts.Factory
	pr, err := f.Printer()
	if err != nil {
		return err
	}
	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	all, accts, err := p.Gains(ctx)
	if err != nil {
		return err
	}
	gains, err := filterGains(all, accts, opts.Year, opts.Accounts)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, a := range accts {
		names[a.ID] = a.Name
	}
	t := output.Table{Columns: []output.Column{{Header: "Account", Key: "account"}, {Header: "Symbol", Key: "symbol"},
		{Header: "Quantity", Key: "quantity", Kind: output.Quantity}, {Header: "Acquired", Key: "adjusted_date_acquired"},
		{Header: "Sold", Key: "date_sold"}, {Header: "Proceeds", Key: "proceeds", Kind: output.Money},
		{Header: "Cost basis", Key: "cost_basis", Kind: output.Money}, {Header: "Wash (W)", Key: "wash_sale_disallowed", Kind: output.Money},
		{Header: "Gain/loss", Key: "gain_loss", Kind: output.Gain}, {Header: "Term", Key: "term"}, {Header: "Note", Key: "note"}}}
	doc := make([]GainJSON, 0, len(gains))
	var proceeds, basis, wash, gl decimal.Decimal
	for _, g := range gains {
		note := ""
		switch {
		case !g.Taxable:
			note = "IRA: not taxable"
		case g.PermanentlyDisallowed:
			note = "loss lost: IRA bought"
		case g.WashDisallowed.IsPositive():
			note = "wash sale"
		}
		t.Rows = append(t.Rows, []any{names[g.AccountID], g.Symbol, g.Quantity, g.AdjustedDateAcquired, g.DateSold,
			g.Proceeds, g.CostBasis, g.WashDisallowed, g.GainLoss, g.Term.String(), note})
		doc = append(doc, GainJSON{Account: names[g.AccountID], Symbol: g.Symbol, Quantity: g.Quantity, DateAcquired: g.DateAcquired,
			AdjustedDateAcquired: g.AdjustedDateAcquired, DateSold: g.DateSold, Proceeds: g.Proceeds, CostBasis: g.CostBasis,
			WashSaleDisallowed: g.WashDisallowed, GainLoss: g.GainLoss, Term: g.Term, PermanentlyDisallowed: g.PermanentlyDisallowed,
			Taxable: g.Taxable, SellID: g.SellID, LotID: g.LotID})
		if g.Taxable {
			proceeds, basis = proceeds.Add(g.Proceeds), basis.Add(g.CostBasis)
			wash, gl = wash.Add(g.WashDisallowed), gl.Add(g.GainLoss)
		}
	}
	t.Totals = []any{"TOTAL (taxable)", "", nil, nil, nil, proceeds, basis, wash, gl, "", ""}
	return pr.Print(t, doc)
}
