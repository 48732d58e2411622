// Package recs implements `wealthalloc recs`: explained recommendations
// from the anomaly model and its baselines, allocation drift,
// concentration and risk, tax-loss harvests and the holdings network.
package recs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/allocation"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/harvest"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/refdata"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// ListOptions are the inputs of `recs`.
type ListOptions struct {
	Factory *cmdutil.Factory
	Status  string // new (default), accepted, dismissed, expired or all
	Refresh RefreshOptions
}

// RefreshOptions are the inputs of `recs refresh`.
type RefreshOptions struct {
	Factory    *cmdutil.Factory
	TargetFile string
	Band       float64
	Lookback   int
	TTL        int
	NoTrain    bool
}

// NewCmd returns `recs` with its subcommands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &ListOptions{Factory: f, Refresh: RefreshOptions{Factory: f}}
	cmd := &cobra.Command{
		Use:   "recs",
		Short: "Recommendations with the numbers behind them",
		Long: `List the current recommendations (status new, one per signal and holding),
most confident first. Each says what to do (buy, sell, hold, rebalance,
harvest or review), why, with the figures behind it, how confident it is
(0-1, formula in docs/recommendations.md) and where to read more.

Signals: anomaly flags of the LSTM model with its three baselines beside it
(stronger when they agree), allocation drift against your targets,
concentration and the risk score, tax-loss harvest opportunities, and
communities of the holdings network that hold too much of the portfolio.

"recs refresh" recomputes them at --as-of; "recs" alone refreshes first
when nothing has been recorded yet. New recommendations past their TTL are
expired when listed. Nothing is traded.`,
		Example: `  wealthalloc recs
  wealthalloc recs refresh --as-of 2008-11-20
  wealthalloc recs accept 01a2…
  wealthalloc recs dismiss 01a2… --reason "I keep IBM on purpose"
  wealthalloc recs --status all -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := statuses(opts.Status); err != nil {
				return &cmdutil.FlagError{Err: fmt.Errorf("--status: %w", err)}
			}
			return RunList(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Status, "status", "new", "new, accepted, dismissed, expired or all")
	_ = cmd.RegisterFlagCompletionFunc("status", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"new", "accepted", "dismissed", "expired", "all"}, cobra.ShellCompDirectiveNoFileComp
	})
	cmd.AddCommand(newCmdRefresh(f), newCmdSet(f, "accept"), newCmdSet(f, "dismiss"))
	return cmd
}

func statuses(s string) ([]store.RecStatus, error) {
	if strings.EqualFold(s, "all") {
		return []store.RecStatus{store.RecNew, store.RecAccepted, store.RecDismissed, store.RecExpired}, nil
	}
	st, err := store.ParseRecStatus(s)
	if err != nil {
		return nil, err
	}
	return []store.RecStatus{st}, nil
}

func newCmdRefresh(f *cmdutil.Factory) *cobra.Command {
	opts := &RefreshOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "refresh",
		Short: "Recompute the recommendations at --as-of",
		Long: `Compute every signal at --as-of and record the recommendations: one found
again updates its row (no duplicates), a new one is added, and a new one no
longer found expires. Accepted and dismissed ones are not raised again while
their signal lasts. Every change is logged in the events.

A holding without a trained anomaly model gets one first (window 30, hidden
16, 10 epochs, seed 1: reproducible, about a second for four holdings);
--no-train skips the anomaly signal for it instead. Without targets (config
"targets:" or --target FILE) drift is measured against equal weights of the
held securities, and the rationale says so. Harvest opportunities come from
the same scan as "wealthalloc harvest scan" with its default thresholds and
your configured tax rates, and are recorded in the same way.`,
		Example: `  wealthalloc recs refresh
  wealthalloc recs refresh --as-of 2008-11-20 --target targets.yaml --band 5`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Band < 0 || opts.Lookback < 0 || opts.TTL < 0 {
				return cmdutil.FlagErrorf("--band, --lookback and --ttl must not be negative")
			}
			return RunRefresh(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.TargetFile, "target", "", "YAML file of target weights (instead of the config's targets)")
	fl.Float64Var(&opts.Band, "band", app.DefaultDriftBand, "drift in percentage points before a holding is off target")
	fl.IntVar(&opts.Lookback, "lookback", app.DefaultAnomalyLookback, "days of anomaly flags before --as-of that count")
	fl.IntVar(&opts.TTL, "ttl", app.DefaultRecsTTL, "days after its last refresh that a recommendation expires")
	fl.BoolVar(&opts.NoTrain, "no-train", false, "do not train anomaly models for holdings that have none")
	return cmd
}

func newCmdSet(f *cmdutil.Factory, verb string) *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:   verb + " ID",
		Short: map[string]string{"accept": "Mark a recommendation accepted", "dismiss": "Dismiss a recommendation"}[verb],
		Long: map[string]string{
			"accept": `Mark a new recommendation accepted: you act on it. It leaves the current
list, and is not raised again while its signal lasts. Nothing is traded.`,
			"dismiss": `Dismiss a new or accepted recommendation, optionally with a reason. It
leaves the current list and is not raised again while its signal lasts;
once a refresh no longer finds the signal, a later one starts afresh.`,
		}[verb],
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSet(cmd.Context(), f, verb, strings.TrimSpace(args[0]), note)
		},
	}
	if verb == "dismiss" {
		cmd.Flags().StringVar(&note, "reason", "", "why (kept with the recommendation and in the event)")
	} else {
		cmd.Flags().StringVar(&note, "note", "", "a note kept with the recommendation and in the event")
	}
	return cmd
}

// RecJSON is one recommendation in -o json.
type RecJSON struct {
	ID              string          `json:"id"`
	Kind            string          `json:"kind"`
	Action          string          `json:"action"`
	Symbol          string          `json:"symbol"`
	Account         string          `json:"account,omitempty"`
	Confidence      decimal.Decimal `json:"confidence"`
	Rationale       string          `json:"rationale"`
	Status          string          `json:"status"`
	Learn           *LearnJSON      `json:"learn"`
	ModelArtifactID string          `json:"model_artifact_id,omitempty"`
	DetectedOn      portfolio.Date  `json:"detected_on"`
	LastSeenOn      portfolio.Date  `json:"last_seen_on"`
	ExpiresOn       *portfolio.Date `json:"expires_on"`
	Note            string          `json:"note,omitempty"`
	Details         any             `json:"details"`
}

// LearnJSON is the linked catalogue entry.
type LearnJSON struct {
	Title string `json:"title"`
	URL   string `json:"url"`
	Topic string `json:"topic"`
}

// DocumentJSON is the `recs -o json` document.
type DocumentJSON struct {
	AsOf              portfolio.Date `json:"as_of"`
	ConfidenceFormula string         `json:"confidence_formula"`
	Recommendations   []RecJSON      `json:"recommendations"`
}

// RunList prints the recommendations, refreshing first when none was
// ever recorded.
func RunList(ctx context.Context, opts *ListOptions) error {
	f := opts.Factory
	asOf, err := f.AsOf()
	if err != nil {
		return err
	}
	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	has, err := p.HasRecs(ctx)
	if err != nil {
		return err
	}
	if !has {
		fmt.Fprintln(f.IO.ErrOut, "note: no recommendations recorded yet: refreshing first (\"wealthalloc recs refresh\")")
		ro := opts.Refresh
		ro.Band, ro.Lookback, ro.TTL = app.DefaultDriftBand, app.DefaultAnomalyLookback, app.DefaultRecsTTL
		if _, err := refresh(ctx, &ro, p, asOf); err != nil {
			return err
		}
	}
	sts, err := statuses(opts.Status)
	if err != nil {
		return &cmdutil.FlagError{Err: fmt.Errorf("--status: %w", err)}
	}
	list, expired, err := p.Recs(ctx, asOf, sts...)
	if err != nil {
		return err
	}
	if len(expired) > 0 {
		fmt.Fprintf(f.IO.ErrOut, "%d recommendations expired: past their TTL on %s (\"wealthalloc recs refresh\" recomputes)\n", len(expired), asOf)
	}
	return printRecs(ctx, f, p, asOf, list)
}

// RunRefresh recomputes, records and prints the recommendations.
func RunRefresh(ctx context.Context, opts *RefreshOptions) error {
	f := opts.Factory
	asOf, err := f.AsOf()
	if err != nil {
		return err
	}
	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	res, err := refresh(ctx, opts, p, asOf)
	if err != nil {
		return err
	}
	return printRecs(ctx, f, p, asOf, res.Current)
}

func refresh(ctx context.Context, opts *RefreshOptions, p *app.Portfolio, asOf portfolio.Date) (*app.RecsResult, error) {
	f := opts.Factory
	targets, src, err := allocation.LoadTargets(f, opts.TargetFile)
	if err != nil {
		return nil, err
	}
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	policy, notes, err := harvest.Policy(cfg, decimal.NewFromInt(100), decimal.NewFromInt(5))
	if err != nil {
		return nil, err
	}
	res, err := p.RefreshRecs(ctx, app.RecsOptions{AsOf: asOf, Targets: targets, Band: opts.Band, LookbackDays: opts.Lookback,
		TTLDays: opts.TTL, NoTrain: opts.NoTrain, Policy: policy, Classify: refdata.Classify,
		Progress: func(s string) { f.Progress("%s", s) }})
	f.ProgressDone()
	if err != nil {
		return nil, err
	}
	w := f.IO.ErrOut
	if src == "none" {
		notes = append(notes, "no targets: drift is measured against equal weights of the held securities (add \"targets:\" to the config, or pass --target FILE)")
	}
	for _, n := range append(notes, res.Notes...) {
		fmt.Fprintln(w, "note: "+n)
	}
	fmt.Fprintf(w, "recs refresh %s: %d current (%d new, %d updated, %d expired; %d accepted or dismissed still apply) in %.1fs\n",
		asOf, len(res.Current), res.Created, res.Updated, len(res.Expired), res.Kept, res.Took.Seconds())
	return res, nil
}

func printRecs(ctx context.Context, f *cmdutil.Factory, p *app.Portfolio, asOf portfolio.Date, list []store.Recommendation) error {
	pr, err := f.Printer()
	if err != nil {
		return err
	}
	videos, err := p.Store.Videos(ctx, "")
	if err != nil {
		return err
	}
	byID := map[string]store.Video{}
	for _, v := range videos {
		byID[v.ID] = v
	}
	accts, err := p.Accounts(ctx)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, a := range accts {
		names[a.ID] = a.Name
	}
	doc := DocumentJSON{AsOf: asOf, ConfidenceFormula: app.ConfidenceFormula, Recommendations: []RecJSON{}}
	t := output.Table{Columns: []output.Column{
		{Header: "ID", Key: "id"}, {Header: "KIND", Key: "kind"}, {Header: "ACTION", Key: "action"},
		{Header: "SYMBOL", Key: "symbol"}, {Header: "CONFIDENCE", Key: "confidence"}, {Header: "STATUS", Key: "status"},
		{Header: "RATIONALE", Key: "rationale"}, {Header: "LEARN", Key: "learn_url"},
		{Header: "SEEN", Key: "detected_on"}, {Header: "LAST", Key: "last_seen_on"}}}
	for _, r := range list {
		j := RecJSON{ID: r.ID, Kind: r.Kind, Action: r.Action, Symbol: r.Symbol, Account: names[r.AccountID],
			Confidence: decimal.NewFromFloat(r.Confidence).Round(3), Rationale: r.Rationale, Status: string(r.Status),
			ModelArtifactID: r.ModelArtifactID, DetectedOn: r.DetectedOn, LastSeenOn: r.LastSeenOn, ExpiresOn: r.ExpiresOn,
			Note: r.Note, Details: rawJSON(r.Details)}
		url := ""
		if v, ok := byID[r.VideoID]; ok {
			j.Learn = &LearnJSON{Title: v.Title, URL: v.URL, Topic: v.Topic}
			url = v.URL
		}
		doc.Recommendations = append(doc.Recommendations, j)
		t.Rows = append(t.Rows, []any{r.ID, r.Kind, r.Action, r.Symbol, j.Confidence.StringFixed(2), string(r.Status),
			r.Rationale, url, r.DetectedOn, r.LastSeenOn})
	}
	if len(list) == 0 && pr.Format == output.FormatTable {
		fmt.Fprintln(f.IO.ErrOut, "no recommendations")
	}
	return pr.Print(t, doc)
}

type rawJSON string

// MarshalJSON writes the stored details as they are (null when none).
func (r rawJSON) MarshalJSON() ([]byte, error) {
	if r == "" {
		return []byte("null"), nil
	}
	return []byte(r), nil
}

func runSet(ctx context.Context, f *cmdutil.Factory, verb, id, note string) error {
	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	var r store.Recommendation
	if verb == "accept" {
		r, err = p.AcceptRec(ctx, id, note)
	} else {
		r, err = p.DismissRec(ctx, id, note)
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, app.ErrRecState) {
		return &cmdutil.FlagError{Err: err}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Out, "%s %s: %s %s %s\n", r.ID, r.Status, r.Kind, r.Action, r.Symbol)
	return nil
}
