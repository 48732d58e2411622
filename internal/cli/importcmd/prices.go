package importcmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/importer"
)

// PricesOptions are the inputs of `import prices`.
type PricesOptions struct {
	Factory *cmdutil.Factory
	File    string
	Format  string // long, wide or "" (detect)
}

// NewCmdPrices returns `import prices`.
func NewCmdPrices(f *cmdutil.Factory, runF func(context.Context, *PricesOptions) error) *cobra.Command {
	opts := &PricesOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "prices FILE",
		Short: "Import daily prices (long or wide CSV)",
		Long: `Import daily prices. Long format: date,symbol,open,high,low,close,adj_close,volume
(only date, symbol and close required). Wide format: a date column and one
column per symbol, in any order. A stored bar of the same symbol and date is
replaced.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			switch opts.Format {
			case "", "long", "wide":
			default:
				return cmdutil.FlagErrorf("--format: unknown format %q: want long or wide", opts.Format)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPrices(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "", "long or wide (default: detected from the header)")
	return cmd
}

func runPrices(ctx context.Context, opts *PricesOptions) error {
	f := opts.Factory
	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	r, name, err := openInput(f, opts.File)
	if err != nil {
		return err
	}
	defer r.Close()
	f.Progress("reading %s", name)
	defer f.ProgressDone()
	bars, err := importer.ParsePricesCSV(r, name, opts.Format)
	if err != nil {
		return err
	}
	res, err := p.ImportPrices(ctx, name, bars)
	if err != nil {
		return err
	}
	pr, err := f.Printer()
	if err != nil {
		return err
	}
	if pr.Format == output.FormatJSON {
		return output.WriteJSON(f.IO.Out, res)
	}
	if res.Bars == 0 {
		_, err = fmt.Fprintf(f.IO.Out, "%s: no prices found\n", res.File)
		return err
	}
	_, err = fmt.Fprintf(f.IO.Out, "%s: stored %d prices for %d symbols (%v), %s..%s\n",
		res.File, res.Bars, len(res.Symbols), res.Symbols, res.From, res.To)
	return err
}
