// Package accounts implements `wealthalloc accounts add|list`.
package accounts

import (
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
)

// NewCmd returns the accounts command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "accounts",
		Short: "Add and list brokerage accounts",
		Long: `Accounts hold trades and lots. Each has a tax type, which decides how its
gains are taxed and how wash sales across accounts are treated, and a lot
method used when a sale names no lots.`,
	}
	cmd.AddCommand(NewCmdAdd(f, nil), NewCmdList(f, nil))
	return cmd
}
