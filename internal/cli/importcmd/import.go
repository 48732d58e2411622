// Package importcmd implements `wealthalloc import trades|prices` (import is
// a Go keyword).
package importcmd

import (
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
)

// NewCmd returns the import command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import trades (CSV, IBKR Flex XML) and daily prices",
		Long: `Imports are all-or-nothing: a bad row fails the whole file with its line and
column, and nothing is written. Importing the same file again adds nothing.
Formats are described in docs/import-formats.md.`,
	}
	cmd.AddCommand(NewCmdTrades(f, nil), NewCmdPrices(f, nil))
	return cmd
}

// openInput opens FILE, or standard input for "-".
func openInput(f *cmdutil.Factory, name string) (io.ReadCloser, string, error) {
	if name == "-" {
		return io.NopCloser(f.IO.In), "stdin", nil
	}
	r, err := os.Open(name) // its error already names the file
	if err != nil {
		return nil, "", err
	}
	return r, name, nil
}
