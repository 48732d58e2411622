package taxcmd

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/tax"
)

// SummaryOptions are the inputs of `tax summary`.
type SummaryOptions struct {
	Factory *cmdutil.Factory
	Year    int
}

// NewCmdSummary returns `tax summary`.
func NewCmdSummary(f *cmdutil.Factory, runF func(context.Context, *SummaryOptions) error) *cobra.Command {
	opts := &SummaryOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "summary",
		Short: "Net the year's gains, apply the loss deduction and carryover, estimate the tax",
		Long: `Net the year's taxable short- and long-term gains and losses (Schedule D),
with losses carried over from every earlier year of the history, apply the
capital-loss deduction ($3,000; $1,500 married filing separately, from
tax.filing_status) and estimate the tax at the marginal rates tax.rates.short,
tax.rates.long and tax.rates.state in the config (unset: 24% short-term, 15%
long-term and no state tax, as harvest and trade previews assume, with a
note on stderr). The estimate ignores the
income-based limits of the worksheet: it is a planning figure.`,
		Example: `  wealthalloc tax summary --year 2008
  wealthalloc tax summary --year 2008 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Year < 1900 || opts.Year > 9999 {
				return cmdutil.FlagErrorf("--year: give the tax year, such as --year 2008")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunSummary(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Year, "year", 0, "the tax year (required)")
	return cmd
}

// SummaryJSON is `tax summary -o json`.
type SummaryJSON struct {
	Year          int             `json:"year"`
	FilingStatus  string          `json:"filing_status"`
	ShortGains    decimal.Decimal `json:"short_term_gains"`
	ShortLosses   decimal.Decimal `json:"short_term_losses"`
	LongGains     decimal.Decimal `json:"long_term_gains"`
	LongLosses    decimal.Decimal `json:"long_term_losses"`
	CarryInShort  decimal.Decimal `json:"carryover_in_short"`
	CarryInLong   decimal.Decimal `json:"carryover_in_long"`
	NetShort      decimal.Decimal `json:"net_short_term"`
	NetLong       decimal.Decimal `json:"net_long_term"`
	Net           decimal.Decimal `json:"net"`
	TaxableShort  decimal.Decimal `json:"taxable_short_term"`
	TaxableLong   decimal.Decimal `json:"taxable_long_term"`
	Deduction     decimal.Decimal `json:"loss_deduction"`
	CarryOutShort decimal.Decimal `json:"carryover_out_short"`
	CarryOutLong  decimal.Decimal `json:"carryover_out_long"`
	RateShort     decimal.Decimal `json:"rate_short"`
	RateLong      decimal.Decimal `json:"rate_long"`
	RateState     decimal.Decimal `json:"rate_state"`
	EstimatedTax  decimal.Decimal `json:"estimated_tax"`
	CarryoverFrom int             `json:"carryover_from_year"`
	Conventions   string          `json:"conventions"`
}

// RunSummary prints the year's netting.
func RunSummary(ctx context.Context, opts *SummaryOptions) error {
	f := opts.Factory
	pr, err := f.Printer()
	if err != nil {
		return err
	}
	c, err := f.Config()
	if err != nil {
		return err
	}
	r, assumed, err := rates(c)
	if err != nil {
		return err
	}
	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	gains, _, err := p.Gains(ctx)
	if err != nil {
		return err
	}
	filing := c.Tax.FilingStatus
	if filing == "" {
		filing = "single"
	}
	ty := app.NetYear(gains, opts.Year, filing, r)
	n := ty.Netting
	est := decimal.RequireFromString(ty.Estimated)
	doc := SummaryJSON{Year: opts.Year, FilingStatus: filing, ShortGains: n.ShortGains, ShortLosses: n.ShortLosses,
		LongGains: n.LongGains, LongLosses: n.LongLosses, CarryInShort: n.CarryIn.Short, CarryInLong: n.CarryIn.Long,
		NetShort: n.NetShort, NetLong: n.NetLong, Net: n.Net, TaxableShort: n.TaxableShort, TaxableLong: n.TaxableLong,
		Deduction: n.Deduction, CarryOutShort: n.CarryOut.Short, CarryOutLong: n.CarryOut.Long,
		RateShort: r.Short, RateLong: r.Long, RateState: r.State, EstimatedTax: est, CarryoverFrom: ty.FirstYear,
		Conventions: "losses and carryovers are positive amounts; net and estimated_tax are signed (negative: a loss, a saving); taxable accounts only"}
	t := output.Table{Columns: []output.Column{{Header: "Line", Key: "line"}, {Header: "Amount", Key: "amount", Kind: output.Money}}}
	add := func(line string, v decimal.Decimal) { t.Rows = append(t.Rows, []any{line, v}) }
	add("short-term gains", n.ShortGains)
	add("short-term losses", n.ShortLosses)
	add("short-term loss carried in", n.CarryIn.Short)
	add("net short-term", n.NetShort)
	add("long-term gains", n.LongGains)
	add("long-term losses", n.LongLosses)
	add("long-term loss carried in", n.CarryIn.Long)
	add("net long-term", n.NetLong)
	add("net capital gain or loss", n.Net)
	add("taxed as short-term", n.TaxableShort)
	add("taxed as long-term", n.TaxableLong)
	add("loss deducted from income", n.Deduction)
	add("short-term loss carried out", n.CarryOut.Short)
	add("long-term loss carried out", n.CarryOut.Long)
	add("estimated tax (negative: saved)", est)
	if err := pr.Print(t, doc); err != nil {
		return err
	}
	if assumed {
		fmt.Fprintf(f.IO.ErrOut, "note: %s\n", tax.DefaultRatesNote)
	}
	return nil
}
