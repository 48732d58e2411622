// Package network implements `wealthalloc network`.
package network

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/ml"
)

// Options are the inputs of `network`.
type Options struct {
	Factory   *cmdutil.Factory
	Symbols   []string
	Threshold float64
	Step      int
	Epochs    int
	Seed      uint64
}

// NewCmd returns `network`; runF replaces the behaviour in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "network",
		Short: "Show which holdings move together, year by year",
		Long: `Build the holdings network per rolling year (252 trading days) from stored
prices, after "LSTM Autoencoder-Based Network of Financial Indices": one
multivariate autoencoder over all holdings' returns, a holding-by-holding
similarity from the encoder's input weights, and the plain return
correlation beside it. Each matrix is thresholded (|similarity| ≥
--threshold) into a network; the table shows per year its links, network
entropy (bits, of the degree distribution), average clustering and
communities (holdings that move together), for the autoencoder (AE) and the
correlation (corr). -o json adds the matrices.`,
		Example: `  wealthalloc network
  wealthalloc network --threshold 0.6 --as-of 2008-12-31 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Threshold <= 0 || opts.Threshold > 1 {
				return cmdutil.FlagErrorf("--threshold %g: want a value in (0, 1]", opts.Threshold)
			}
			for i := range opts.Symbols {
				opts.Symbols[i] = strings.ToUpper(strings.TrimSpace(opts.Symbols[i]))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringSliceVar(&opts.Symbols, "symbols", nil, "symbols (default: the holdings)")
	cmd.Flags().Float64Var(&opts.Threshold, "threshold", 0.5, "link holdings whose |similarity| is at least this")
	cmd.Flags().IntVar(&opts.Step, "step", 252, "trading days between the starts of successive years")
	cmd.Flags().IntVar(&opts.Epochs, "epochs", 15, "training epochs per year")
	cmd.Flags().Uint64Var(&opts.Seed, "seed", 1, "random seed")
	return cmd
}

// Run builds and prints the network.
func Run(ctx context.Context, opts *Options) error {
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
	f.Progress("training the holdings network")
	rep, err := p.HoldingsNetwork(ctx, opts.Symbols, asOf, ml.NetworkOptions{Threshold: opts.Threshold, Step: opts.Step,
		Config: ml.Config{Epochs: opts.Epochs, Seed: opts.Seed}})
	f.ProgressDone()
	if err != nil {
		return err
	}
	t := output.Table{Columns: []output.Column{{Header: "From", Key: "from"}, {Header: "To", Key: "to"},
		{Header: "AE links", Key: "ae_edges"}, {Header: "AE entropy", Key: "ae_entropy"}, {Header: "AE clustering", Key: "ae_clustering"},
		{Header: "AE communities", Key: "ae_communities"}, {Header: "Corr links", Key: "corr_edges"}, {Header: "Corr entropy", Key: "corr_entropy"},
		{Header: "Corr clustering", Key: "corr_clustering"}, {Header: "Corr communities", Key: "corr_communities"}}}
	comm := func(c [][]string) string {
		parts := make([]string, len(c))
		for i, g := range c {
			parts[i] = "{" + strings.Join(g, " ") + "}"
		}
		return strings.Join(parts, " ")
	}
	for _, per := range rep.Periods {
		a, c := per.Autoencoder, per.Correlation
		t.Rows = append(t.Rows, []any{per.From, per.To, fmt.Sprint(a.Edges), fmt.Sprintf("%.3f", a.Entropy), fmt.Sprintf("%.3f", a.Clustering),
			comm(a.Communities), fmt.Sprint(c.Edges), fmt.Sprintf("%.3f", c.Entropy), fmt.Sprintf("%.3f", c.Clustering), comm(c.Communities)})
	}
	return pr.Print(t, rep)
}
