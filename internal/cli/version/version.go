// Package version implements `wealthalloc version`.
package version

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/build"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
)

// NewCmd returns the version command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show the version, commit and Go version of this binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			i := build.Get()
			if f.Global.Output == string(output.FormatJSON) {
				return output.WriteJSON(f.IO.Out, i)
			}
			commit := i.Commit
			if len(commit) > 12 {
				commit = commit[:12]
			}
			if i.Modified {
				commit += "-dirty"
			}
			_, err := fmt.Fprintf(f.IO.Out, "wealthalloc %s (commit %s, built %s, %s)\n", i.Version, orNone(commit), orNone(i.Date), i.GoVersion)
			return err
		},
	}
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
