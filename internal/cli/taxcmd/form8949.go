package taxcmd

import (
	"context"
	"encoding/csv"
	"fmt"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/tax"
)

// ReportOptions are the inputs of `harvest report`.
type ReportOptions struct {
	Factory  *cmdutil.Factory
	Year     int
	Format   string
	Accounts []string
}

// NewCmdHarvestReport returns `harvest report`, the year's realized gains as
// Form 8949 rows.
func NewCmdHarvestReport(f *cmdutil.Factory, runF func(context.Context, *ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "The year's realized gains as Form 8949 rows (CSV)",
		Long: `Write the year's taxable sales as CSV in Form 8949 column order: Part I
(short-term) rows, then Part II (long-term), each followed by its totals.
Columns: part, (a) description, (b) date acquired, (c) date sold, (d) proceeds,
(e) cost or other basis, (f) code, (g) amount of adjustment, (h) gain or loss.
Wash sales carry code W and the disallowed loss in (g); the date acquired is
the adjusted one (IRC §1223(3)). Sales inside IRAs are left out.`,
		Example: `  wealthalloc harvest report --year 2008 --format 8949 > 8949-2008.csv`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Year < 1900 || opts.Year > 9999 {
				return cmdutil.FlagErrorf("--year: give the tax year, such as --year 2008")
			}
			if opts.Format != "8949" {
				return cmdutil.FlagErrorf("--format %q: the report format is 8949", opts.Format)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunHarvestReport(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Year, "year", 0, "the tax year (required)")
	cmd.Flags().StringVar(&opts.Format, "format", "8949", "report format: 8949")
	cmd.Flags().StringArrayVar(&opts.Accounts, "account", nil, "only this account, by name or number (repeatable)")
	return cmd
}

// RunHarvestReport writes the CSV.
func RunHarvestReport(ctx context.Context, opts *ReportOptions) error {
	f := opts.Factory
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
	return WriteForm8949(f.IO.Out, gains)
}

// WriteForm8949 writes taxable gains as Form 8949 CSV rows.
func WriteForm8949(w interface{ Write([]byte) (int, error) }, gains []tax.Gain) error {
	cw := csv.NewWriter(w)
	header := []string{"part", "description", "date_acquired", "date_sold", "proceeds", "cost_basis", "code", "adjustment", "gain_loss"}
	if err := cw.Write(header); err != nil {
		return err
	}
	day := func(d portfolio.Date) string { return d.Time().Format("01/02/2006") }
	money := func(d decimal.Decimal) string { return d.StringFixed(2) }
	for _, part := range []struct {
		name string
		term tax.Term
	}{{"I", tax.Short}, {"II", tax.Long}} {
		var proceeds, basis, adj, gl decimal.Decimal
		for _, g := range gains {
			if !g.Taxable || g.Term != part.term {
				continue
			}
			code, amount := "", ""
			if g.WashDisallowed.IsPositive() {
				code, amount = "W", money(g.WashDisallowed)
			}
			row := []string{part.name, fmt.Sprintf("%s sh %s", g.Quantity.String(), g.Symbol), day(g.AdjustedDateAcquired),
				day(g.DateSold), money(g.Proceeds), money(g.CostBasis), code, amount, money(g.GainLoss)}
			if err := cw.Write(row); err != nil {
				return err
			}
			proceeds, basis = proceeds.Add(g.Proceeds), basis.Add(g.CostBasis)
			adj, gl = adj.Add(g.WashDisallowed), gl.Add(g.GainLoss)
		}
		if err := cw.Write([]string{part.name, "TOTAL", "", "", money(proceeds), money(basis), "", money(adj), money(gl)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
