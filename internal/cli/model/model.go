// Package model implements `wealthalloc model`: train, score and evaluate
// the per-holding LSTM-autoencoder anomaly models.
package model

import (
	"fmt"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/ml"
)

// NewCmd returns `model` and its subcommands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Train, score and evaluate the anomaly models",
		Long: `Each holding gets an LSTM encoder–decoder autoencoder trained on features of
its stored daily prices (log return, absolute return, the move over trailing
volatility, the residual against a benchmark, a volatility ratio, volume when
stored). A day's score is how badly the model reconstructs that day from the
window before it; days above a threshold fitted on held-out normal data are
flagged. Three baselines are always computed beside it — a rolling z-score
of returns, a volatility ratio and an isolation forest — so you can see
whether the model adds anything. See docs/model.md.`,
	}
	cmd.AddCommand(newCmdTrain(f, nil), newCmdScore(f, nil), newCmdEval(f, nil))
	return cmd
}

// modelFlags are the autoencoder's size and training flags.
type modelFlags struct {
	Window, Hidden, Epochs int
	Seed                   uint64
}

func (m *modelFlags) add(cmd *cobra.Command, epochs int) {
	cmd.Flags().IntVar(&m.Window, "window", 30, "days per window (T)")
	cmd.Flags().IntVar(&m.Hidden, "hidden", 16, "LSTM units (H)")
	cmd.Flags().IntVar(&m.Epochs, "epochs", epochs, "most training epochs (early stopping may end sooner)")
	cmd.Flags().Uint64Var(&m.Seed, "seed", 1, "random seed: the same seed and data give the same model")
}

func (m *modelFlags) config() (ml.Config, error) {
	switch {
	case m.Window < 2 || m.Window > 1000:
		return ml.Config{}, cmdutil.FlagErrorf("--window %d: want 2 to 1000", m.Window)
	case m.Hidden < 1 || m.Hidden > 512:
		return ml.Config{}, cmdutil.FlagErrorf("--hidden %d: want 1 to 512", m.Hidden)
	case m.Epochs < 1:
		return ml.Config{}, cmdutil.FlagErrorf("--epochs %d: want at least 1", m.Epochs)
	}
	return ml.Config{Window: m.Window, Hidden: m.Hidden, Epochs: m.Epochs, Seed: m.Seed}, nil
}

func num(v float64, places int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return fmt.Sprintf("%.*f", places, v)
}

func upper(ss []string) []string {
	var out []string
	for _, s := range ss {
		for _, p := range strings.Split(s, ",") {
			if p = strings.ToUpper(strings.TrimSpace(p)); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func epochLine(s ml.EpochStats) string {
	val := ""
	if !math.IsNaN(s.ValLoss) {
		val = fmt.Sprintf(" val %.4f", s.ValLoss)
	}
	best := ""
	if s.Best {
		best = " *"
	}
	return fmt.Sprintf("%s epoch %d: train %.4f%s (%s)%s", s.Name, s.Epoch, s.TrainLoss, val, s.Took.Round(1e6), best)
}
