package model

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/ml"
)

// ScoreOptions are the inputs of `model score`.
type ScoreOptions struct {
	Factory *cmdutil.Factory
	Symbol  string
	Days    int
	All     bool
}

func newCmdScore(f *cmdutil.Factory, runF func(context.Context, *ScoreOptions) error) *cobra.Command {
	opts := &ScoreOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "score",
		Short: "Score recent days with the stored models and the baselines",
		Long: `Score each holding (or --symbol) with its newest stored model up to --as-of and
list the days of the last --days calendar days that the model or any baseline
flagged (every day with --all), with the model's score and threshold and each
baseline's verdict (z = rolling z-score, vr = volatility ratio,
if = isolation forest).`,
		Example: `  wealthalloc model score
  wealthalloc model score --symbol AAPL --days 365 --as-of 2008-12-31
  wealthalloc model score -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Symbol = strings.ToUpper(strings.TrimSpace(opts.Symbol))
			if opts.Days < 1 {
				return cmdutil.FlagErrorf("--days %d: want at least 1", opts.Days)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runScore(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Symbol, "symbol", "", "one symbol (default: every holding)")
	cmd.Flags().IntVar(&opts.Days, "days", 60, "calendar days back from --as-of to list")
	cmd.Flags().BoolVar(&opts.All, "all", false, "list every scored day, not only flagged ones")
	return cmd
}

func runScore(ctx context.Context, opts *ScoreOptions) error {
	f := opts.Factory
	pr, err := f.Printer()
	if err != nil {
		return err
	}
	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	asOf, err := f.AsOf()
	if err != nil {
		return err
	}
	var syms []string
	if opts.Symbol != "" {
		syms = []string{opts.Symbol}
	}
	res, err := p.Anomalies(ctx, syms, asOf.AddDays(-opts.Days), asOf)
	if err != nil {
		return err
	}
	t := output.Table{Columns: []output.Column{{Header: "Symbol", Key: "symbol"}, {Header: "Date", Key: "date"},
		{Header: "Score", Key: "score"}, {Header: "Threshold", Key: "threshold"}, {Header: "Model", Key: "model_flag"},
		{Header: "z", Key: "rolling_zscore"}, {Header: "vr", Key: "volatility_ratio"}, {Header: "if", Key: "isolation_forest"}}}
	mark := func(b bool) string {
		if b {
			return "FLAG"
		}
		return "-"
	}
	for i := range res {
		keep := res[i].Days[:0]
		for _, d := range res[i].Days {
			if opts.All || d.Flag || d.Agreeing() > 0 {
				keep = append(keep, d)
				t.Rows = append(t.Rows, []any{res[i].Symbol, d.Date, num(d.Score, 2), num(res[i].Threshold.Value, 2), mark(d.Flag),
					mark(d.Baselines[ml.DetZScore].Flag), mark(d.Baselines[ml.DetVolRatio].Flag), mark(d.Baselines[ml.DetIsoForest].Flag)})
			}
		}
		res[i].Days = keep
	}
	if res == nil {
		res = []app.SymbolAnomalies{}
	}
	return pr.Print(t, res)
}
