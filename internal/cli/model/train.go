package model

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/ml"
)

// TrainOptions are the inputs of `model train`.
type TrainOptions struct {
	Factory   *cmdutil.Factory
	Symbols   []string
	Benchmark string
	Save      string
	Model     modelFlags
	Config    ml.Config
}

func newCmdTrain(f *cmdutil.Factory, runF func(context.Context, *TrainOptions) error) *cobra.Command {
	opts := &TrainOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train an anomaly model per holding from stored prices",
		Long: `Train one autoencoder per symbol (default: every holding) on its stored daily
prices up to --as-of, several symbols at once on the available cores, and
store each as a new version in the database. Known market crises (2008–09,
2010, 2011, 2015, 2020) are left out of training and of threshold fitting.
The newest 20% of windows are held out for early stopping and for fitting
the threshold. The same data, flags and --seed give the same model.`,
		Example: `  wealthalloc model train
  wealthalloc model train --symbols AAPL,MSFT --epochs 30 --seed 7
  wealthalloc model train --symbols SBUX --save models/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := opts.Model.config()
			if err != nil {
				return err
			}
			opts.Config = cfg
			opts.Symbols = upper(opts.Symbols)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTrain(cmd.Context(), opts)
		},
	}
	opts.Model.add(cmd, 20)
	cmd.Flags().StringSliceVar(&opts.Symbols, "symbols", nil, "symbols to train (default: the holdings)")
	cmd.Flags().StringVar(&opts.Benchmark, "benchmark", "", "benchmark symbol for residual returns (default: SPY, VOO, IVV or GSPC if stored; none to skip)")
	cmd.Flags().StringVar(&opts.Save, "save", "", "also write each model to DIR/<symbol>.wamodel")
	return cmd
}

func runTrain(ctx context.Context, opts *TrainOptions) error {
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
	start := time.Now()
	models, err := p.TrainModels(ctx, app.TrainModelsOptions{Symbols: opts.Symbols, Benchmark: opts.Benchmark, AsOf: asOf, Config: opts.Config,
		Progress: func(s ml.EpochStats) {
			if f.IO.IsStderrTTY() {
				f.ProgressDone()
				fmt.Fprintln(f.IO.ErrOut, epochLine(s))
			}
		}})
	f.ProgressDone()
	if err != nil {
		return err
	}
	f.Timed("train models", start)
	if opts.Save != "" {
		if err := os.MkdirAll(opts.Save, 0o755); err != nil {
			return fmt.Errorf("--save: %w", err)
		}
		for _, m := range models {
			path := filepath.Join(opts.Save, m.Symbol+".wamodel")
			if err := os.WriteFile(path, m.Artifact, 0o644); err != nil {
				return fmt.Errorf("--save: %w", err)
			}
		}
	}
	t := output.Table{Columns: []output.Column{{Header: "Symbol", Key: "symbol"}, {Header: "Version", Key: "version"},
		{Header: "Trained from", Key: "from"}, {Header: "To", Key: "to"}, {Header: "Windows", Key: "train_windows"},
		{Header: "Epochs", Key: "epochs"}, {Header: "Best", Key: "best_epoch"}, {Header: "Val loss", Key: "val_loss"},
		{Header: "Threshold", Key: "threshold"}, {Header: "s/epoch", Key: "seconds_per_epoch"}, {Header: "Benchmark", Key: "benchmark"}}}
	for _, m := range models {
		t.Rows = append(t.Rows, []any{m.Symbol, fmt.Sprint(m.Version), m.From, m.To, fmt.Sprint(m.Windows), fmt.Sprint(m.Epochs),
			fmt.Sprint(m.BestEpoch), num(m.ValLoss, 4), num(m.Threshold.Value, 3), num(m.Took.Seconds()/float64(max(m.Epochs, 1)), 3), m.Benchmark})
	}
	return pr.Print(t, models)
}
