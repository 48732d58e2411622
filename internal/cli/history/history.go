// Package history implements `wealthalloc history`.
package history

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
)

// Options are the inputs of `history`.
type Options struct {
	Factory  *cmdutil.Factory
	Gateway  cmdutil.GatewayFlags
	Symbols  []string
	Duration string
	Bar      string
	Refresh  bool
}

// NewCmd returns `history`; runF replaces the behaviour in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "history SYMBOL...",
		Short: "Download daily bars from IB Gateway into the price history",
		Long: `Download daily bars (trades, regular hours) for each symbol from IB Gateway and
store them as prices, one symbol at a time. Requests are paced within IB's
historical-data limits (no identical request within 15 s, at most 5 per
contract in 2 s, 60 in 10 minutes), so long lists take a while; progress
shows on a terminal. A symbol whose stored bars already cover the range
(ending at --as-of, or today) is skipped, so an interrupted run picks up
where it stopped; --refresh downloads it anyway.`,
		Example: `  wealthalloc history AAPL MSFT --duration 5Y
  wealthalloc history SPY --as-of 2024-06-28 --duration 6M
  wealthalloc history AAPL --refresh`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				opts.Symbols = append(opts.Symbols, strings.ToUpper(strings.TrimSpace(a)))
			}
			if _, _, err := app.ParseDuration(opts.Duration); err != nil {
				return cmdutil.FlagErrorf("--duration: %v", err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmdutil.AddGatewayFlags(cmd, &opts.Gateway)
	cmd.Flags().StringVar(&opts.Duration, "duration", "1Y", "how far back: a number and D, W, M or Y")
	cmd.Flags().StringVar(&opts.Bar, "bar", "1d", "bar size (1d: prices holds daily bars)")
	cmd.Flags().BoolVar(&opts.Refresh, "refresh", false, "download even when the stored bars cover the range")
	return cmd
}

// Run downloads and reports.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	pr, err := f.Printer()
	if err != nil {
		return err
	}
	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	ho := app.HistoryOptions{Duration: opts.Duration, Bar: opts.Bar, Refresh: opts.Refresh, Now: f.Now,
		Connect: func(ctx context.Context) (app.HistorySource, error) { return f.Gateway(ctx, &opts.Gateway) },
		Progress: func(done, total int, sym string) {
			if sym != "" {
				f.Progress("history %d/%d: %s", done+1, total, sym)
			}
		}}
	if f.Global.AsOf != "" {
		if ho.End, err = f.AsOf(); err != nil {
			return err
		}
	}
	lines, err := p.History(ctx, opts.Symbols, ho)
	f.ProgressDone()
	if err != nil {
		if len(lines) > 0 {
			fmt.Fprintf(f.IO.ErrOut, "stored %d of %d symbols before the error; run the same command again to resume\n", len(lines), len(opts.Symbols))
		}
		return err
	}
	t := output.Table{Columns: []output.Column{{Header: "Symbol", Key: "symbol"}, {Header: "Bars", Key: "bars", Kind: output.Quantity},
		{Header: "From", Key: "from"}, {Header: "To", Key: "to"}, {Header: "Status", Key: "status"}}}
	for _, l := range lines {
		status := "stored"
		if l.Skipped {
			status = "already stored"
		}
		t.Rows = append(t.Rows, []any{l.Symbol, fmt.Sprint(l.Bars), l.From, l.To, status})
	}
	return pr.Print(t, lines)
}
