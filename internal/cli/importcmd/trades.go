package importcmd

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/importer"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// TradesOptions are the inputs of `import trades`.
type TradesOptions struct {
	Factory *cmdutil.Factory
	File    string
	Format  string // csv, flex or "" (by extension)
	DryRun  bool
}

// NewCmdTrades returns `import trades`.
func NewCmdTrades(f *cmdutil.Factory, runF func(context.Context, *TradesOptions) error) *cobra.Command {
	opts := &TradesOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "trades FILE",
		Short: "Import trades from the canonical CSV or an IBKR Flex Query XML file",
		Example: `  wealthalloc import trades trades.csv
  wealthalloc import trades flex-2024.xml --dry-run
  cat trades.csv | wealthalloc import trades - --format csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			switch opts.Format {
			case "", "csv", "flex":
			default:
				return cmdutil.FlagErrorf("--format: unknown format %q: want csv or flex", opts.Format)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTrades(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "", "csv or flex (default: flex for .xml files, else csv)")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "check the file and show what would be added, write nothing")
	return cmd
}

func runTrades(ctx context.Context, opts *TradesOptions) error {
	f := opts.Factory
	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	accts, err := p.Accounts(ctx)
	if err != nil {
		return err
	}
	r, name, err := openInput(f, opts.File)
	if err != nil {
		return err
	}
	defer r.Close()
	format := opts.Format
	if format == "" {
		format = "csv"
		if strings.EqualFold(filepath.Ext(opts.File), ".xml") {
			format = "flex"
		}
	}
	resolve := app.AccountResolver(accts)
	start := time.Now()
	f.Progress("reading %s", name)
	defer f.ProgressDone()
	var (
		rows      []importer.Row
		positions []importer.Position
	)
	if format == "flex" {
		fx, err := importer.ParseFlex(r, name, resolve)
		if err != nil {
			return err
		}
		rows, positions = fx.Rows, fx.Positions
	} else if rows, err = importer.ParseTradesCSV(r, name, resolve); err != nil {
		return err
	}
	f.Timed("parse "+format, start)
	start = time.Now()
	f.Progress("booking %d rows from %s", len(rows), name)
	res, err := p.ImportTrades(ctx, name, rows, positions, opts.DryRun)
	f.ProgressDone()
	if err != nil {
		return err
	}
	f.Timed("book and store", start)
	pr, err := f.Printer()
	if err != nil {
		return err
	}
	if pr.Format == output.FormatJSON {
		return output.WriteJSON(f.IO.Out, res)
	}
	return summarise(f, res)
}

func summarise(f *cmdutil.Factory, res *app.ImportResult) error {
	out := f.IO.Out
	verb := "added"
	if res.DryRun {
		verb = "would add"
	}
	fmt.Fprintf(out, "%s: %s %d of %d rows", res.File, verb, res.Added, res.Rows)
	if res.Added > 0 {
		fmt.Fprintf(out, " (%s) to %s, %s..%s", byAction(res.ByAction), strings.Join(res.Accounts, ", "), res.From, res.To)
	}
	fmt.Fprintln(out)
	if res.ReplacedAdoptions > 0 {
		fmt.Fprintf(out, "replaced %d opening positions or deposits that sync had adopted without history\n", res.ReplacedAdoptions)
	}
	if res.Skipped > 0 {
		fmt.Fprintf(out, "skipped %d already imported\n", res.Skipped)
	}
	fmt.Fprintf(out, "open lots: %d\n", res.OpenLots)
	if len(res.Positions) > 0 {
		fmt.Fprintf(f.IO.ErrOut, "warning: %d positions differ from the broker's OpenPositions:\n", len(res.Positions))
		for _, d := range res.Positions {
			fmt.Fprintf(f.IO.ErrOut, "  %s %s: broker %s, books %s (line %d)\n", d.Account, d.Symbol, d.Broker, d.Computed, d.Line)
		}
	} else if res.DryRun {
		fmt.Fprintln(out, "dry run: nothing written")
	}
	return nil
}

func byAction(m map[portfolio.Action]int) string {
	acts := make([]string, 0, len(m))
	for a := range m {
		acts = append(acts, string(a))
	}
	sort.Slice(acts, func(i, j int) bool {
		return portfolio.Action(acts[i]).DayRank() < portfolio.Action(acts[j]).DayRank()
	})
	parts := make([]string, len(acts))
	for i, a := range acts {
		parts[i] = fmt.Sprintf("%d %s", m[portfolio.Action(a)], a)
	}
	return strings.Join(parts, ", ")
}
