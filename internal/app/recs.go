package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ml"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
	"github.com/wealthalloc/wealthalloc/internal/tax"
)

// DefaultRecsTTL is how many days after the last refresh that found it a
// new recommendation expires when no refresh finds it again.
const DefaultRecsTTL = 30

// RecsTrainConfig is the model `recs refresh` trains for a holding that has
// none: the defaults (window 30, hidden 16) with 10 epochs and seed 1, so
// the result is reproducible and quick (about a second for the demo's four
// holdings).
var RecsTrainConfig = ml.Config{Epochs: 10, Seed: 1}

// RecsOptions tune RefreshRecs.
type RecsOptions struct {
	AsOf portfolio.Date
	// Targets are the target weights; when empty, each held security's
	// target is an equal share of the securities' value (the fallback,
	// said so in the rationale, and weighted down in the confidence).
	Targets      portfolio.Targets
	Band         float64 // drift band in percentage points (0: DefaultDriftBand)
	LookbackDays int     // anomaly flags this many days before AsOf count (0: DefaultAnomalyLookback)
	TTLDays      int     // 0: DefaultRecsTTL
	// NoTrain skips the anomaly signal for holdings without a stored model
	// instead of training one with RecsTrainConfig.
	NoTrain  bool
	Policy   tax.HarvestPolicy // harvest scan thresholds and rates
	Classify func(string) portfolio.Classification
	Progress func(string) // hears each step; nil for none
}

// RecsResult is what a refresh found and did.
type RecsResult struct {
	AsOf    portfolio.Date
	Current []store.Recommendation // the new recommendations after the refresh, most confident first
	Created int
	Updated int
	Kept    int                    // accepted or dismissed ones found again (not shown)
	Expired []store.Recommendation // not found again, or past their TTL
	Trained []TrainedModel
	Notes   []string
	Took    time.Duration
}

// RefreshRecs computes the signals at opts.AsOf — anomaly flags of the
// newest model of each holding and its baselines (training a model first
// where there is none, unless NoTrain), allocation drift against targets,
// concentration and the risk score, tax-loss harvest opportunities (through
// ScanHarvest, which records them in tax_harvests as `harvest scan` does)
// and the correlation communities of the holdings network — turns them
// into recommendations, and records them: a recommendation found again
// updates its row, new ones are added, and new ones no longer found
// expire. Every change is an event.
func (p *Portfolio) RefreshRecs(ctx context.Context, opts RecsOptions) (*RecsResult, error) {
	start := time.Now()
	step := func(s string) {
		if opts.Progress != nil {
			opts.Progress(s)
		}
	}
	if opts.Band <= 0 {
		opts.Band = DefaultDriftBand
	}
	if opts.LookbackDays <= 0 {
		opts.LookbackDays = DefaultAnomalyLookback
	}
	if opts.TTLDays <= 0 {
		opts.TTLDays = DefaultRecsTTL
	}
	if opts.Policy.Replacements == 0 && opts.Policy.MinOverlap == 0 {
		opts.Policy = tax.DefaultHarvestPolicy()
	}
	if opts.Classify == nil {
		opts.Classify = func(string) portfolio.Classification { return portfolio.Classification{} }
	}
	res := &RecsResult{AsOf: opts.AsOf}
	videos, err := p.SeedCatalogue(ctx)
	if err != nil {
		return nil, err
	}
	sig := recSignals{AsOf: opts.AsOf, From: opts.AsOf.AddDays(-opts.LookbackDays), Band: opts.Band,
		Closes: map[string]ml.Series{}, Values: map[string]float64{}, Videos: videos}

	step("valuing the holdings")
	v, accts, err := p.Valuation(ctx, opts.AsOf, false)
	if err != nil {
		return nil, err
	}
	var held []string
	for _, l := range v.Lots {
		if !l.MarketValue.Valid || l.Quantity.IsZero() {
			continue
		}
		if !slices.Contains(held, l.Symbol) {
			held = append(held, l.Symbol)
		}
		sig.Values[l.Symbol] += l.MarketValue.Decimal.InexactFloat64()
	}
	slices.Sort(held)
	sig.Total = v.Total()
	if len(held) == 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("nothing held on %s: no holding recommendations", opts.AsOf))
	}

	// Allocation drift.
	targets := opts.Targets
	if targets.Empty() && len(held) > 0 {
		sig.Fallback = true
		targets = equalWeights(v, held, sig.Values)
	}
	sig.Alloc = portfolio.Allocation(v, portfolio.AllocSymbol, opts.Classify, nil, targets)

	// Anomalies.
	if len(held) > 0 {
		step("scoring anomalies")
		if err := p.recsAnomalies(ctx, opts, held, &sig, res); err != nil {
			return nil, err
		}
	}

	// Concentration and the risk score, as `wealthalloc risk` computes them.
	step("measuring risk")
	if err := p.recsRisk(ctx, opts.AsOf, &sig); err != nil {
		return nil, err
	}

	// Harvest opportunities.
	step("scanning for tax losses")
	hr, err := p.ScanHarvest(ctx, HarvestOptions{AsOf: opts.AsOf, Policy: opts.Policy, Classify: opts.Classify})
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, a := range accts {
		names[a.ID] = a.Name
	}
	for i, o := range hr.Scan.Opportunities {
		sig.Harvests = append(sig.Harvests, harvestSignal{Opp: o, ID: hr.Records[i].ID, Account: names[o.AccountID]})
	}

	// Holdings network: the newest year's communities.
	if len(held) >= 2 {
		step("building the holdings network")
		rep, err := p.HoldingsNetwork(ctx, held, opts.AsOf, ml.NetworkOptions{Config: ml.Config{Seed: 1}})
		switch {
		case err != nil:
			res.Notes = append(res.Notes, "holdings network skipped: "+err.Error())
		case len(rep.Periods) > 0:
			per := rep.Periods[len(rep.Periods)-1]
			sig.Network, sig.NetThresh, sig.NetSymbols = &per, rep.Threshold, rep.Symbols
		}
	}

	found := buildRecs(sig)
	step("recording")
	err = p.Store.InTx(ctx, func(q *store.Queries) error {
		plan, err := q.RecordRecs(ctx, p.UserID, p.PortfolioID, opts.AsOf, found, opts.TTLDays)
		if err != nil {
			return err
		}
		res.Created, res.Updated, res.Kept = len(plan.Insert), len(plan.Update), len(plan.Keep)
		res.Expired = plan.Expire
		for _, r := range plan.Insert {
			if err := p.recEvent(ctx, q, "recs.created", r, map[string]any{"as_of": opts.AsOf.String()}); err != nil {
				return err
			}
		}
		for _, r := range plan.Update {
			if err := p.recEvent(ctx, q, "recs.updated", r, map[string]any{"as_of": opts.AsOf.String()}); err != nil {
				return err
			}
		}
		for _, r := range plan.Expire {
			if err := p.recEvent(ctx, q, "recs.expired", r, map[string]any{"as_of": opts.AsOf.String(), "reason": "not found by the refresh"}); err != nil {
				return err
			}
		}
		for _, r := range plan.Close {
			if err := p.recEvent(ctx, q, "recs.closed", r, map[string]any{"as_of": opts.AsOf.String(), "reason": "signal no longer found"}); err != nil {
				return err
			}
		}
		return q.AppendEvent(ctx, store.Event{UserID: p.UserID, PortfolioID: p.PortfolioID, Kind: "recs.refreshed",
			Subject: p.PortfolioID, Data: map[string]any{"as_of": opts.AsOf.String(), "found": len(plan.Found),
				"new": res.Created, "updated": res.Updated, "kept": res.Kept, "expired": len(plan.Expire), "closed": len(plan.Close)}})
	})
	if err != nil {
		return nil, err
	}
	if res.Current, err = p.Store.Recommendations(ctx, p.PortfolioID, store.RecNew); err != nil {
		return nil, err
	}
	res.Took = time.Since(start)
	return res, nil
}

// equalWeights gives each held security an equal share of the securities'
// value, as a fraction of the total: the drift fallback without targets.
func equalWeights(v portfolio.Valuation, held []string, values map[string]float64) portfolio.Targets {
	t := portfolio.Targets{Symbols: map[string]decimal.Decimal{}, Classes: map[string]decimal.Decimal{}}
	total := v.Total()
	if !total.IsPositive() {
		return t
	}
	var sec float64
	for _, s := range held {
		sec += values[s]
	}
	w := decimal.NewFromFloat(sec / float64(len(held))).Div(total).Round(6)
	for _, s := range held {
		t.Symbols[s] = w
	}
	return t
}

// recsAnomalies scores each held symbol with its newest model, training
// the missing ones first unless opts.NoTrain.
func (p *Portfolio) recsAnomalies(ctx context.Context, opts RecsOptions, held []string, sig *recSignals, res *RecsResult) error {
	var missing []string
	score := func(syms []string) error {
		for _, sym := range syms {
			a, err := p.Anomalies(ctx, []string{sym}, sig.From, opts.AsOf)
			switch {
			case errors.Is(err, ErrNoModel):
				missing = append(missing, sym)
			case err != nil:
				res.Notes = append(res.Notes, fmt.Sprintf("anomalies of %s skipped: %v", sym, err))
			default:
				sig.Anomalies = append(sig.Anomalies, a...)
			}
		}
		return ctx.Err()
	}
	if err := score(held); err != nil {
		return err
	}
	if len(missing) > 0 {
		if opts.NoTrain {
			res.Notes = append(res.Notes, fmt.Sprintf("no anomaly model for %s: anomaly signal skipped (run \"wealthalloc model train\", or refresh without --no-train)",
				strings.Join(missing, ", ")))
		} else {
			todo := missing
			missing = nil
			if opts.Progress != nil {
				opts.Progress("training anomaly models for " + strings.Join(todo, ", "))
			}
			trained, err := p.TrainModels(ctx, TrainModelsOptions{Symbols: todo, AsOf: opts.AsOf, Config: RecsTrainConfig})
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				res.Notes = append(res.Notes, fmt.Sprintf("training anomaly models for %s failed: %v; anomaly signal skipped for them", strings.Join(todo, ", "), err))
			} else {
				res.Trained = trained
				res.Notes = append(res.Notes, fmt.Sprintf("trained anomaly models for %s on prices to %s (seed %d, %d epochs; \"wealthalloc model train\" to retrain)",
					strings.Join(todo, ", "), opts.AsOf, RecsTrainConfig.Seed, RecsTrainConfig.Epochs))
				if err := score(todo); err != nil {
					return err
				}
			}
		}
	}
	bench, err := p.resolveBenchmark(ctx, "")
	if err != nil {
		return err
	}
	sig.Benchmark = bench
	syms := slices.Clone(held)
	if bench != "" {
		syms = append(syms, bench)
	}
	for _, sym := range syms {
		s, err := p.priceSeries(ctx, sym, opts.AsOf)
		if err != nil {
			return err
		}
		sig.Closes[sym] = s
	}
	sort.Slice(sig.Anomalies, func(i, j int) bool { return sig.Anomalies[i].Symbol < sig.Anomalies[j].Symbol })
	return nil
}

// recsRisk fills the concentration and the risk score (inception to asOf,
// the portfolio line, as `wealthalloc risk` does).
func (p *Portfolio) recsRisk(ctx context.Context, asOf portfolio.Date, sig *recSignals) error {
	h, err := p.AnalyticsHistory(ctx, asOf, "")
	if err != nil {
		return err
	}
	if h.Series == nil || len(h.Series.Dates) == 0 {
		return nil
	}
	sig.Conc = portfolio.Concentrate(h.HeldValues(""))
	line := &h.Series.Portfolio
	inc := line.Inception()
	if inc < 0 {
		return nil
	}
	first := h.Series.Dates[inc]
	rk := portfolio.ComputeRisk(h.Series.Returns(line).Slice(first, asOf), portfolio.DailyReturns{}, first, 0)
	sig.Risk = &riskFigures{Score: portfolio.RiskScore(rk.Volatility, rk.MaxDrawdown.Depth, sig.Conc.Herfindahl),
		Volatility: rk.Volatility, MaxDrawdown: rk.MaxDrawdown, Herfindahl: sig.Conc.Herfindahl}
	return nil
}

func (p *Portfolio) recEvent(ctx context.Context, q *store.Queries, kind string, r store.Recommendation, extra map[string]any) error {
	data := map[string]any{"kind": r.Kind, "action": r.Action, "symbol": r.Symbol, "key": r.Key,
		"confidence": r.Confidence, "status": string(r.Status)}
	for k, v := range extra {
		data[k] = v
	}
	return q.AppendEvent(ctx, store.Event{UserID: p.UserID, PortfolioID: p.PortfolioID, Kind: kind, Subject: r.ID, Data: data})
}

// Recs lists the recommendations with the given statuses (default: new,
// the current ones), after expiring the new ones whose TTL ended by asOf
// (each an event). Keys are unique among active rows, so the current list
// has no duplicates.
func (p *Portfolio) Recs(ctx context.Context, asOf portfolio.Date, statuses ...store.RecStatus) (recs, expired []store.Recommendation, err error) {
	err = p.Store.InTx(ctx, func(q *store.Queries) error {
		expired, err = q.ExpireRecs(ctx, p.PortfolioID, asOf)
		if err != nil {
			return err
		}
		for _, r := range expired {
			if err := p.recEvent(ctx, q, "recs.expired", r, map[string]any{"as_of": asOf.String(), "reason": "past its TTL"}); err != nil {
				return err
			}
		}
		if len(statuses) == 0 {
			statuses = []store.RecStatus{store.RecNew}
		}
		recs, err = q.Recommendations(ctx, p.PortfolioID, statuses...)
		return err
	})
	return recs, expired, err
}

// HasRecs reports whether any recommendation was ever recorded.
func (p *Portfolio) HasRecs(ctx context.Context) (bool, error) {
	rs, err := p.Store.Recommendations(ctx, p.PortfolioID)
	return len(rs) > 0, err
}

// ErrRecState means a recommendation is not in a status the change applies to.
var ErrRecState = errors.New("recommendation is not open")

// AcceptRec marks a new recommendation accepted; DismissRec dismissed.
// Both log an event with the reason.
func (p *Portfolio) AcceptRec(ctx context.Context, id, note string) (store.Recommendation, error) {
	return p.setRec(ctx, id, store.RecAccepted, note)
}

// DismissRec marks a new (or accepted) recommendation dismissed: a refresh
// does not raise it again while its signal lasts.
func (p *Portfolio) DismissRec(ctx context.Context, id, reason string) (store.Recommendation, error) {
	return p.setRec(ctx, id, store.RecDismissed, reason)
}

func (p *Portfolio) setRec(ctx context.Context, id string, to store.RecStatus, note string) (store.Recommendation, error) {
	from := []store.RecStatus{store.RecNew}
	if to == store.RecDismissed {
		from = append(from, store.RecAccepted)
	}
	var out store.Recommendation
	err := p.Store.InTx(ctx, func(q *store.Queries) error {
		r, err := q.SetRecStatus(ctx, p.PortfolioID, id, from, to, note)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no recommendation %q (see \"wealthalloc recs\"): %w", id, store.ErrNotFound)
		}
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("%w: %s is already %s", ErrRecState, id, statusOf(ctx, q, p.PortfolioID, id))
		}
		if err != nil {
			return err
		}
		out = r
		return p.recEvent(ctx, q, "recs."+string(to), r, map[string]any{"reason": note})
	})
	return out, err
}

func statusOf(ctx context.Context, q *store.Queries, pf, id string) store.RecStatus {
	r, err := q.Recommendation(ctx, pf, id)
	if err != nil {
		return "unknown"
	}
	return r.Status
}
