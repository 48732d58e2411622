package cli

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/cli/accounts"
	"github.com/wealthalloc/wealthalloc/internal/cli/allocation"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/demo"
	"github.com/wealthalloc/wealthalloc/internal/cli/gateway"
	"github.com/wealthalloc/wealthalloc/internal/cli/harvest"
	"github.com/wealthalloc/wealthalloc/internal/cli/history"
	"github.com/wealthalloc/wealthalloc/internal/cli/holdings"
	"github.com/wealthalloc/wealthalloc/internal/cli/importcmd"
	"github.com/wealthalloc/wealthalloc/internal/cli/initcmd"
	"github.com/wealthalloc/wealthalloc/internal/cli/learn"
	"github.com/wealthalloc/wealthalloc/internal/cli/model"
	"github.com/wealthalloc/wealthalloc/internal/cli/network"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/cli/perf"
	"github.com/wealthalloc/wealthalloc/internal/cli/quote"
	"github.com/wealthalloc/wealthalloc/internal/cli/rebalance"
	"github.com/wealthalloc/wealthalloc/internal/cli/recs"
	"github.com/wealthalloc/wealthalloc/internal/cli/risk"
	"github.com/wealthalloc/wealthalloc/internal/cli/synccmd"
	"github.com/wealthalloc/wealthalloc/internal/cli/taxcmd"
	"github.com/wealthalloc/wealthalloc/internal/cli/trade"
	"github.com/wealthalloc/wealthalloc/internal/cli/version"
	"github.com/wealthalloc/wealthalloc/internal/iostreams"
)

// NewCmdRoot builds the command tree.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "wealthalloc",
		Short: "Run an Interactive Brokers portfolio from the terminal",
		Long: `WealthAlloc keeps your accounts, trades and tax lots in a local database
(SQLite by default, PostgreSQL for teams), values them from stored prices,
syncs positions, executions, quotes and price history from IB Gateway,
applies wash sales across all of a household's accounts, finds tax losses to
harvest, previews and places orders with their lots and tax, measures
performance and risk, and explains recommendations from an in-process LSTM
autoencoder.

Start with "wealthalloc demo" to see it on bundled real prices, or
"wealthalloc init" to set up your own.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return applyGlobal(f, cmd.Flags().Changed("color"))
		},
	}
	g := &f.Global
	pf := root.PersistentFlags()
	pf.StringVar(&g.DB, "db", "", "database: a SQLite file path or postgres://… (env WEALTHALLOC_DB)")
	pf.StringVar(&g.Config, "config", "", "config file (env WEALTHALLOC_CONFIG; default $XDG_CONFIG_HOME/wealthalloc/config.yaml)")
	pf.StringVarP(&g.Output, "output", "o", "table", "output format: table, json or csv")
	pf.StringVar(&g.AsOf, "as-of", "", "valuation date YYYY-MM-DD (default today)")
	pf.StringVar(&g.Color, "color", "auto", "colour: auto, always or never (NO_COLOR is honoured)")
	pf.BoolVar(&g.Debug, "debug", false, "log debugging detail to stderr")
	_ = root.RegisterFlagCompletionFunc("output", fixedCompletion("table", "json", "csv"))
	_ = root.RegisterFlagCompletionFunc("color", fixedCompletion("auto", "always", "never"))
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.FlagError{Err: err} })

	root.AddGroup(&cobra.Group{ID: "portfolio", Title: "Portfolio commands:"}, &cobra.Group{ID: "broker", Title: "Interactive Brokers commands:"},
		&cobra.Group{ID: "setup", Title: "Setup commands:"})
	for _, c := range []*cobra.Command{holdings.NewCmd(f, nil), accounts.NewCmd(f), importcmd.NewCmd(f), perf.NewCmd(f, nil), risk.NewCmd(f, nil), allocation.NewCmd(f, nil), rebalance.NewCmd(f, nil), taxcmd.NewCmd(f), harvestCmd(f), recs.NewCmd(f), learn.NewCmd(f, nil)} {
		c.GroupID = "portfolio"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{trade.NewCmd(f), synccmd.NewCmd(f, nil), quote.NewCmd(f, nil), history.NewCmd(f, nil), gateway.NewCmd(f)} {
		c.GroupID = "broker"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{initcmd.NewCmd(f, nil), demo.NewCmd(f, nil), version.NewCmd(f)} {
		c.GroupID = "setup"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{model.NewCmd(f), network.NewCmd(f, nil)} {
		c.GroupID = "portfolio"
		root.AddCommand(c)
	}
	root.AddCommand(exitCodesTopic())
	markUsageErrors(root)
	return root
}

// harvestCmd is `harvest` with the Form 8949 report, which lives with the
// other tax reports.
func harvestCmd(f *cmdutil.Factory) *cobra.Command {
	h := harvest.NewCmd(f)
	h.AddCommand(taxcmd.NewCmdHarvestReport(f, nil))
	return h
}

// markUsageErrors makes cobra's argument-count errors *FlagErrors, so they
// exit 2 with the usage line, without guessing from their wording.
func markUsageErrors(c *cobra.Command) {
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return &cmdutil.FlagError{Err: err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markUsageErrors(sub)
	}
}

// applyGlobal checks the global flags and applies the ones that configure
// the process. --color falls back to display.color from the config file when
// not given (flag > file > default).
func applyGlobal(f *cmdutil.Factory, colorFlagSet bool) error {
	g := f.Global
	if _, err := output.ParseFormat(g.Output); err != nil {
		return &cmdutil.FlagError{Err: fmt.Errorf("--output: %w", err)}
	}
	if !colorFlagSet {
		if c, err := f.Config(); err == nil && c.Display.Color != "" {
			g.Color = c.Display.Color
		}
	}
	switch m := iostreams.ColorMode(g.Color); m {
	case iostreams.ColorAuto, iostreams.ColorAlways, iostreams.ColorNever:
		f.IO.SetColorMode(m)
	default:
		return cmdutil.FlagErrorf("--color: unknown mode %q: want auto, always or never", g.Color)
	}
	if g.Debug || f.Getenv("WEALTHALLOC_DEBUG") != "" {
		f.Logger = slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if _, err := f.AsOf(); err != nil {
		return err
	}
	return nil
}

func fixedCompletion(vals ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return vals, cobra.ShellCompDirectiveNoFileComp
	}
}

func exitCodesTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "exit-codes",
		Short: "What the exit codes mean",
		Long: `Exit codes:
  0   success
  1   error (the message on stderr says what and how to fix it)
  2   usage: a bad flag, argument or value
  3   cancelled (Ctrl-C, or a declined confirmation)
  4   missing or invalid credentials
  5   IB Gateway unreachable
  10  found something, for commands run with --exit-code`,
	}
}
