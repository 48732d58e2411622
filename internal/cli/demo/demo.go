// Package demo implements `wealthalloc demo`.
package demo

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/gateway"
	"github.com/wealthalloc/wealthalloc/internal/cli/holdings"
	"github.com/wealthalloc/wealthalloc/internal/demo"
	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/ibkr/sim"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// Options are the inputs of `demo`.
type Options struct {
	Factory *cmdutil.Factory
	Reset   bool
}

// NewCmd returns the demo command; runF replaces the behaviour in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Build a demo portfolio from real bundled prices and show its holdings",
		Long: `Build a demo database — its own file, never yours — with a taxable account
and an IRA, real daily prices of MSFT, IBM, SBUX, AAPL and the S&P 500 from
2007 to 2016, and a sample history with a wash sale across accounts and
losses to harvest; start the IB Gateway simulator in-process and sync the
accounts from it over the TWS protocol; then show the holdings at --as-of
(default 2008-11-20).

The database is kept, so other commands can be tried on it with --db. The
demo refuses a --db that holds a portfolio of your own, with or without
--reset.`,
		Example: `  wealthalloc demo
  wealthalloc demo --as-of 2009-03-09
  wealthalloc demo --reset`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Reset, "reset", false, "delete the demo database and build it again")
	return cmd
}

// Run builds the demo database if needed and prints its holdings.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	path := f.Global.DB
	if path == "" {
		paths, err := f.Paths()
		if err != nil {
			return err
		}
		path = paths.DemoDB()
	}
	if cmdutil.IsPostgres(path) {
		return cmdutil.FlagErrorf("--db: the demo builds a SQLite file; give a file path, not %s", cmdutil.RedactDSN(path))
	}
	file, err := store.SQLiteFile(path)
	if err != nil {
		return &cmdutil.FlagError{Err: fmt.Errorf("--db: %w", err)}
	}
	state, err := probe(ctx, f, path, file)
	if err != nil {
		return err
	}
	if state == app.DemoForeign {
		return fmt.Errorf("%s holds a portfolio of your own, not the demo's: the demo never changes it; run \"wealthalloc demo\" without --db, or give a new file", path)
	}
	if opts.Reset || state == app.DemoIncomplete {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(file + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("reset demo: %w", err)
			}
		}
		state = app.DemoEmpty
	}
	p, err := f.OpenPortfolio(ctx, path)
	if err != nil {
		return err
	}
	if state == app.DemoEmpty {
		f.Progress("building the demo database")
		err := p.BuildDemo(ctx)
		f.ProgressDone()
		if err != nil {
			return err
		}
	}
	if f.Global.AsOf == "" {
		f.Global.AsOf = demo.AsOf.String()
	}
	asOf, err := f.AsOf()
	if err != nil {
		return err
	}
	synced, err := syncFromSimulator(ctx, f, p, asOf)
	if err != nil {
		return err
	}
	f.Global.DB = path
	if err := holdings.Run(ctx, &holdings.Options{Factory: f, GroupBy: portfolio.BySymbol}); err != nil {
		return err
	}
	what := "demo database"
	if state == app.DemoEmpty {
		what = "built demo database"
	}
	fmt.Fprintf(f.IO.ErrOut, "\n%s: %s (as of %s)\n%s\ntry: wealthalloc holdings --db %s --as-of %s --group-by lot\n     wealthalloc gateway sim   (then: wealthalloc sync --db %s --gateway 127.0.0.1:4002)\n",
		what, path, f.Global.AsOf, synced, path, f.Global.AsOf, path)
	return nil
}

// syncFromSimulator starts the gateway simulator in-process on a free
// loopback port, seeded with the demo accounts, and syncs the demo
// portfolio from it over TCP, as a user's sync from IB Gateway would run.
func syncFromSimulator(ctx context.Context, f *cmdutil.Factory, p *app.Portfolio, asOf portfolio.Date) (string, error) {
	cfg, err := gateway.DemoConfig(asOf)
	if err != nil {
		return "", err
	}
	cfg.Logger = f.Logger
	srv, err := sim.New(cfg)
	if err != nil {
		return "", fmt.Errorf("demo simulator: %w", err)
	}
	defer srv.Close()
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("demo simulator: %w", err)
	}
	f.Progress("syncing from the gateway simulator at %s", addr)
	defer f.ProgressDone()
	c, err := ibkr.Dial(ctx, ibkr.Config{Addr: addr, ClientID: 1, Logger: f.Logger})
	if err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	defer c.Close()
	res, err := p.Sync(ctx, c, app.SyncOptions{Gateway: "simulator " + addr, Today: asOf})
	if err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	agree := "books and IB agree"
	if n := len(res.Differences) + len(res.Adopted); n > 0 {
		agree = fmt.Sprintf("%d differences", n)
	}
	return fmt.Sprintf("synced from the in-process IB Gateway simulator (%s): %d accounts, %d new executions; %s",
		addr, len(res.Accounts), res.Executions.Added, agree), nil
}

// probe reports what the database at dsn (stored in file) holds, without
// keeping it open (a reset deletes it next). A missing file is DemoEmpty.
func probe(ctx context.Context, f *cmdutil.Factory, dsn, file string) (app.DemoState, error) {
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		return app.DemoEmpty, nil
	}
	c, err := f.Config()
	if err != nil {
		return 0, err
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", file, err)
	}
	defer st.Close()
	user, name := cmdutil.Scope(c)
	p, err := app.OpenPortfolio(ctx, st, user, name)
	if err != nil {
		return 0, err
	}
	return p.DemoState(ctx)
}
