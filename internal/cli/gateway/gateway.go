// Package gateway implements `wealthalloc gateway`: the connection check
// and the IB Gateway simulator.
package gateway

import (
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
)

// NewCmd returns `gateway` and its subcommands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gateway",
		Short: "Check the IB Gateway connection, or run the gateway simulator",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(NewCmdStatus(f, nil), NewCmdSim(f, nil))
	return cmd
}
