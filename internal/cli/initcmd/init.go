// Package initcmd implements `wealthalloc init` (init is a Go keyword).
package initcmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/config"
)

// Options are init's inputs.
type Options struct {
	Factory *cmdutil.Factory
}

// NewCmd returns the init command; runF replaces the behaviour in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	return &cobra.Command{
		Use:   "init",
		Short: "Create the config file and the database (safe to run again)",
		Long: `Create the config file and the database, with the schema up to date.

Running it again changes nothing that exists: the config file is kept as it
is and the database is only migrated forward.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
}

// Run creates what is missing and says what it did.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	out := f.IO.Out
	path, err := f.ConfigPath()
	if err != nil {
		return err
	}
	created, err := config.WriteDefault(path)
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if created {
		fmt.Fprintf(out, "created config   %s\n", path)
	} else {
		fmt.Fprintf(out, "config exists    %s (kept as is)\n", path)
	}
	dsn, err := f.DSN()
	if err != nil {
		return err
	}
	p, err := f.OpenPortfolio(ctx, dsn)
	if err != nil {
		return err
	}
	accts, err := p.Accounts(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "database ready   %s (%d accounts)\n", redact(dsn), len(accts))
	if len(accts) == 0 {
		fmt.Fprintln(out, "\nnext: wealthalloc accounts add taxable --type taxable")
		fmt.Fprintln(out, "      wealthalloc import trades FILE.csv")
	}
	return nil
}

// redact hides a password in a PostgreSQL URL.
func redact(dsn string) string {
	if !cmdutil.IsPostgres(dsn) {
		return dsn
	}
	return cmdutil.RedactDSN(dsn)
}
