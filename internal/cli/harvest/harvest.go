// Package harvest implements `wealthalloc harvest`: tax-loss harvesting.
// This file holds the parent command; each subcommand has a file and an
// exported constructor of its own (NewCmdScan), which NewCmd adds.
package harvest

import (
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
)

// NewCmd returns the `harvest` command with its subcommands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "harvest <command>",
		Short: "Find and track tax-loss harvesting opportunities",
		Long: `Tax-loss harvesting: sell lots worth less than their (wash-adjusted) basis
to realize the loss, buy something similar but not substantially identical,
and avoid wash sales across every account of the household.

See docs/harvest.md for the rules applied and their sources.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(NewCmdScan(f, nil))
	AddTradingCommands(cmd, f)
	return cmd
}
