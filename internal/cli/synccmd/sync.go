// Package synccmd implements `wealthalloc sync`.
package synccmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// Options are the inputs of `sync`.
type Options struct {
	Factory *cmdutil.Factory
	Gateway cmdutil.GatewayFlags
	Since   string
}

// NewCmd returns `sync`; runF replaces the behaviour in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Bring accounts, executions, positions and cash from IB Gateway into the database",
		Long: `Fetch the managed accounts, positions, account summary and executions from IB
Gateway, then store them in one transaction: if the gateway fails half-way,
nothing is written and the error names the step (exit code 5).

Executions become trades keyed by their IB execution id, so running sync
again adds nothing. Accounts the database does not know are added (taxable,
FIFO; named by their IB id). A position with no history in its account is
adopted as an opening lot at IB's average cost, acquisition date unknown —
import the account's Flex history for exact lots. Every other disagreement
between the books and IB is reported, never papered over.`,
		Example: `  wealthalloc sync
  wealthalloc sync --gateway 127.0.0.1:4002 --client-id 7
  wealthalloc sync --since 2024-06-01 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Since != "" {
				if _, err := portfolio.ParseDate(opts.Since); err != nil {
					return cmdutil.FlagErrorf("--since: %v", err)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmdutil.AddGatewayFlags(cmd, &opts.Gateway)
	cmd.Flags().StringVar(&opts.Since, "since", "", "only executions from this date YYYY-MM-DD (IB keeps about a week)")
	return cmd
}

// Run syncs and reports.
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
	cfg, err := f.GatewayConfig(&opts.Gateway)
	if err != nil {
		return err
	}
	c, err := f.Gateway(ctx, &opts.Gateway)
	if err != nil {
		return err
	}
	so := app.SyncOptions{Gateway: cfg.Addr, Progress: func(s string) { f.Progress("sync: %s", s) }}
	if f.Global.AsOf != "" {
		if so.Today, err = f.AsOf(); err != nil {
			return err
		}
	}
	if opts.Since != "" {
		d, _ := portfolio.ParseDate(opts.Since)
		so.Since = d.Time()
	}
	start := time.Now()
	res, err := p.Sync(ctx, c, so)
	f.ProgressDone()
	if err != nil {
		return err
	}
	f.Timed("sync", start)
	return Print(f, pr, res)
}

// Print writes a sync result: the accounts table on stdout, the adoptions
// and differences on stderr as notes (and all of it in -o json).
func Print(f *cmdutil.Factory, pr *output.Printer, res *app.SyncResult) error {
	t := output.Table{Columns: []output.Column{{Header: "IB account", Key: "broker_account"}, {Header: "Account", Key: "account"},
		{Header: "Positions", Key: "positions", Kind: output.Quantity}, {Header: "New", Key: "created"}}}
	for _, a := range res.Accounts {
		created := ""
		if a.Created {
			created = "added"
		}
		t.Rows = append(t.Rows, []any{a.Broker, a.Name, fmt.Sprint(a.Positions), created})
	}
	if err := pr.Print(t, res); err != nil {
		return err
	}
	if pr.Format == output.FormatJSON {
		return nil
	}
	w := f.IO.ErrOut
	fmt.Fprintf(w, "synced from %s: executions %d fetched, %d new, %d already stored\n",
		res.Gateway, res.Executions.Fetched, res.Executions.Added, res.Executions.Skipped)
	for _, a := range res.Adopted {
		fmt.Fprintf(w, "adopted %s %s %s at average cost %s as of %s (acquisition date unknown)\n", a.Account, a.Quantity, a.Symbol, a.AvgCost, a.Date)
	}
	for _, d := range res.Differences {
		what := d.Symbol
		if what == "" {
			what = "cash"
		}
		fmt.Fprintf(w, "difference: %s %s: IB %s, books %s\n", d.Account, what, d.Broker, d.Books)
	}
	if len(res.Differences) == 0 {
		fmt.Fprintln(w, "books and IB agree on every position and cash balance")
	}
	return nil
}
