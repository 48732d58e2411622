package taxcmd

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"

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
	// BoxShort and BoxLong are the Form 8949 check boxes of Part I (A, B
	// or C) and Part II (D, E or F).
	BoxShort, BoxLong string
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
the adjusted one (IRC §1223(3)). Sales inside IRAs are left out.

The box column is the Form 8949 check box each row belongs to: A for
short-term and D for long-term by default, "basis reported to the IRS" on the
1099-B, as for covered securities bought through the broker. Sales whose basis
was not reported (B, E) or with no 1099-B (C, F) go on their own forms: pass
--box-short and --box-long, and --account to split the report when accounts
differ.`,
		Example: `  wealthalloc harvest report --year 2008 --format 8949 > 8949-2008.csv
  wealthalloc harvest report --year 2008 --account old-broker --box-short B --box-long E`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Year < 1900 || opts.Year > 9999 {
				return cmdutil.FlagErrorf("--year: give the tax year, such as --year 2008")
			}
			if opts.Format != "8949" {
				return cmdutil.FlagErrorf("--format %q: the report format is 8949", opts.Format)
			}
			var err error
			if opts.BoxShort, err = box("--box-short", opts.BoxShort, "A", "B", "C"); err != nil {
				return err
			}
			if opts.BoxLong, err = box("--box-long", opts.BoxLong, "D", "E", "F"); err != nil {
				return err
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
	cmd.Flags().StringVar(&opts.BoxShort, "box-short", "A", "Form 8949 box of the short-term rows: A (basis reported), B (not reported) or C (no 1099-B)")
	cmd.Flags().StringVar(&opts.BoxLong, "box-long", "D", "Form 8949 box of the long-term rows: D (basis reported), E (not reported) or F (no 1099-B)")
	return cmd
}

// box checks a --box-short/--box-long value against its part's boxes.
func box(flag, v string, allowed ...string) (string, error) {
	u := strings.ToUpper(strings.TrimSpace(v))
	if slices.Contains(allowed, u) {
		return u, nil
	}
	return "", cmdutil.FlagErrorf("%s %q: want %s", flag, v, strings.Join(allowed, ", "))
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
	boxShort, boxLong := cmp.Or(opts.BoxShort, "A"), cmp.Or(opts.BoxLong, "D")
	return WriteForm8949(f.IO.Out, gains, boxShort, boxLong)
}

// WriteForm8949 writes taxable gains as Form 8949 CSV rows, short-term
// ones under check box boxShort and long-term ones under boxLong.
func WriteForm8949(w interface{ Write([]byte) (int, error) }, gains []tax.Gain, boxShort, boxLong string) error {
	cw := csv.NewWriter(w)
	header := []string{"part", "box", "description", "date_acquired", "date_sold", "proceeds", "cost_basis", "code", "adjustment", "gain_loss"}
	if err := cw.Write(header); err != nil {
		return err
	}
	day := func(d portfolio.Date) string { return d.Time().Format("01/02/2006") }
	money := func(d decimal.Decimal) string { return d.StringFixed(2) }
	for _, part := range []struct {
		name, box string
		term      tax.Term
	}{{"I", boxShort, tax.Short}, {"II", boxLong, tax.Long}} {
		var proceeds, basis, adj, gl decimal.Decimal
		for _, g := range gains {
			if !g.Taxable || g.Term != part.term {
				continue
			}
			code, amount := "", ""
			if g.WashDisallowed.IsPositive() {
				code, amount = "W", money(g.WashDisallowed)
			}
			row := []string{part.name, part.box, fmt.Sprintf("%s sh %s", g.Quantity.String(), g.Symbol), day(g.AdjustedDateAcquired),
				day(g.DateSold), money(g.Proceeds), money(g.CostBasis), code, amount, money(g.GainLoss)}
			if err := cw.Write(row); err != nil {
				return err
			}
			proceeds, basis = proceeds.Add(g.Proceeds), basis.Add(g.CostBasis)
			adj, gl = adj.Add(g.WashDisallowed), gl.Add(g.GainLoss)
		}
		if err := cw.Write([]string{part.name, part.box, "TOTAL", "", "", money(proceeds), money(basis), "", money(adj), money(gl)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
