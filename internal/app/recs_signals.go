package app

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ml"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
	"github.com/wealthalloc/wealthalloc/internal/tax"
)

// The kinds of recommendation, one per signal.
const (
	RecAnomaly       = "anomaly"
	RecDrift         = "drift"
	RecConcentration = "concentration"
	RecRisk          = "risk"
	RecHarvest       = "harvest"
	RecNetwork       = "network"
)

// Trigger levels of the signals (docs/recommendations.md).
const (
	DefaultDriftBand       = 5.0  // percentage points of drift before a drift recommendation
	ConcentrationTrigger   = 0.25 // largest holding's share of the securities
	RiskScoreTrigger       = 50   // risk score (0-100) at or above which risk is raised
	NetworkShareTrigger    = 0.5  // a community's share of the portfolio's value
	DefaultAnomalyLookback = 90   // calendar days of anomaly flags considered
)

// recTopic is the educational_videos topic each kind links to.
var recTopic = map[string]string{
	RecAnomaly: "risk", RecDrift: "rebalancing", RecConcentration: "concentration", RecRisk: "risk",
	RecHarvest: "tax-loss-harvesting", RecNetwork: "diversification",
}

// riskFigures are the portfolio's risk figures as `wealthalloc risk` computes
// them from inception to the date.
type riskFigures struct {
	Score       int
	Volatility  float64
	MaxDrawdown portfolio.Drawdown
	Herfindahl  float64
}

// harvestSignal is one recorded harvest opportunity.
type harvestSignal struct {
	Opp     tax.HarvestOpportunity
	ID      string // its tax_harvests row
	Account string // account name
}

// recSignals is everything the recommendations are made from. RefreshRecs
// fills it from the use cases; buildRecs is pure, so tests can feed it.
type recSignals struct {
	AsOf, From portfolio.Date
	Anomalies  []SymbolAnomalies
	Closes     map[string]ml.Series // adjusted closes for the figures in the rationale
	Benchmark  string               // "" when none
	Alloc      []portfolio.AllocRow // by symbol, with targets
	Fallback   bool                 // targets are the equal-weight fallback
	Band       float64              // drift band, percentage points
	Total      decimal.Decimal      // the portfolio's value, cash included
	Values     map[string]float64   // market value of each held symbol
	Conc       portfolio.Concentration
	Risk       *riskFigures
	Harvests   []harvestSignal
	Network    *ml.NetworkPeriod
	NetThresh  float64
	NetSymbols []string
	Videos     map[string]store.Video // first catalogue entry of each topic
}

// buildRecs turns the signals into recommendations, most confident first.
func buildRecs(s recSignals) []store.Recommendation {
	var out []store.Recommendation
	harvesting := map[string]bool{}
	for _, h := range s.Harvests {
		harvesting[h.Opp.Symbol] = true
	}
	out = append(out, anomalyRecs(s)...)
	out = append(out, driftRecs(s, harvesting)...)
	out = append(out, concentrationRecs(s)...)
	out = append(out, harvestRecs(s)...)
	out = append(out, networkRecs(s)...)
	for i := range out {
		topic := recTopic[out[i].Kind]
		if out[i].Kind == RecHarvest && strings.Contains(out[i].Rationale, "Not wash-sale safe") {
			topic = "wash-sales"
		}
		if v, ok := s.Videos[topic]; ok {
			out[i].VideoID = v.ID
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Confidence != out[j].Confidence {
			return out[i].Confidence > out[j].Confidence
		}
		return out[i].Key < out[j].Key
	})
	return out
}

func details(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// dayMove is the close-to-close return of s on date and the sample
// standard deviation of the 20 daily log returns before it.
func dayMove(s ml.Series, date string) (ret, vol float64, ok bool) {
	i := slices.Index(s.Times, date)
	if i < 1 {
		return 0, 0, false
	}
	ret = s.Values[i]/s.Values[i-1] - 1
	if i < 21 {
		return ret, math.NaN(), true
	}
	var lr []float64
	for k := i - 20; k < i; k++ {
		lr = append(lr, math.Log(s.Values[k]/s.Values[k-1]))
	}
	var mean float64
	for _, x := range lr {
		mean += x
	}
	mean /= float64(len(lr))
	var ss float64
	for _, x := range lr {
		ss += (x - mean) * (x - mean)
	}
	return ret, math.Sqrt(ss / float64(len(lr)-1)), true
}

func moved(r float64) string {
	if r < 0 {
		return fmt.Sprintf("fell %.1f%%", -100*r)
	}
	return fmt.Sprintf("rose %.1f%%", 100*r)
}

var baselineNames = []struct{ key, name string }{
	{ml.DetZScore, "rolling z-score"}, {ml.DetVolRatio, "volatility ratio"}, {ml.DetIsoForest, "isolation forest"},
}

// anomalyRecs: one recommendation per symbol with model flags since From,
// about its strongest flag (score over threshold).
func anomalyRecs(s recSignals) []store.Recommendation {
	var out []store.Recommendation
	for _, a := range s.Anomalies {
		var best *AnomalyDay
		bestRatio, flags := 0.0, 0
		for i := range a.Days {
			d := &a.Days[i]
			if !d.Flag || d.Date < s.From || d.Date > s.AsOf {
				continue
			}
			flags++
			ratio := d.Score / a.Threshold.Value
			if a.Threshold.Value <= 0 {
				ratio = 1
			}
			if best == nil || ratio > bestRatio {
				best, bestRatio = d, ratio
			}
		}
		if best == nil {
			continue
		}
		var agreeing []string
		for _, b := range baselineNames {
			th, ok := a.BaselineThresholds[b.key]
			if bd, has := best.Baselines[b.key]; has && ok && (bd.Flag || bd.Score > th.Value) {
				agreeing = append(agreeing, b.name)
			}
		}
		date := best.Date.String()
		var text strings.Builder
		det := map[string]any{"date": date, "score": round4(best.Score), "threshold": round4(a.Threshold.Value),
			"ratio": round4(bestRatio), "baselines_agreeing": agreeing, "flags_in_window": flags, "from": s.From.String(),
			"model_version": a.Version}
		action := "review"
		ret, vol, ok := dayMove(s.Closes[a.Symbol], date)
		if ok {
			fmt.Fprintf(&text, "%s %s on %s", a.Symbol, moved(ret), date)
			det["return"] = round4(ret)
			if !math.IsNaN(vol) && vol > 0 {
				fmt.Fprintf(&text, ", %.1f× its 20-day volatility (%.1f%% a day)", math.Abs(math.Log(1+ret))/vol, 100*vol)
				det["vol20"] = round4(vol)
			}
		} else {
			fmt.Fprintf(&text, "%s behaved unusually on %s", a.Symbol, date)
		}
		fmt.Fprintf(&text, "; the model scored the day %.2f against its threshold %.2f (%.2f×)", best.Score, a.Threshold.Value, bestRatio)
		switch len(agreeing) {
		case 0:
			text.WriteString(" and no baseline agreed")
		default:
			fmt.Fprintf(&text, " and %d of 3 baselines agreed (%s)", len(agreeing), strings.Join(agreeing, ", "))
		}
		if flags > 1 {
			fmt.Fprintf(&text, "; %d model flags since %s", flags, s.From)
		}
		if b, bok := s.Closes[s.Benchmark]; bok && s.Benchmark != a.Symbol && ok {
			if br, _, bok := dayMove(b, date); bok {
				det["benchmark"], det["benchmark_return"] = s.Benchmark, round4(br)
				switch {
				case br*ret > 0 && math.Abs(br) >= 0.5*math.Abs(ret):
					action = "hold"
					fmt.Fprintf(&text, ". %s %s the same day: a market-wide move rather than news of %s alone — hold unless your reasons for owning it changed", s.Benchmark, moved(br), a.Symbol)
				case br*ret > 0 && math.Abs(br) >= 0.25*math.Abs(ret):
					fmt.Fprintf(&text, ". %s %s the same day, %s %.1f points more: partly the market, partly its own — review the news before acting", s.Benchmark, moved(br), a.Symbol, 100*math.Abs(ret-br))
				default:
					fmt.Fprintf(&text, ". %s %s the same day, so the move was %s's own — review the news before acting", s.Benchmark, moved(br), a.Symbol)
				}
			}
		}
		text.WriteString(".")
		out = append(out, store.Recommendation{Kind: RecAnomaly, Action: action, Symbol: a.Symbol,
			Confidence: AnomalyConfidence(bestRatio, len(agreeing)), Rationale: text.String(),
			ModelArtifactID: a.ArtifactID, Key: RecAnomaly + ":" + a.Symbol, Details: details(det)})
	}
	return out
}

func round4(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return math.Round(x*1e4) / 1e4
}

func money(d decimal.Decimal) string {
	neg := d.IsNegative()
	s := d.Abs().StringFixed(2)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := "$" + b.String() + "." + frac
	if neg {
		return "−" + out
	}
	return out
}

// driftRecs: a symbol whose weight is a band or more away from its target.
func driftRecs(s recSignals, harvesting map[string]bool) []store.Recommendation {
	var out []store.Recommendation
	band := s.Band
	if band <= 0 {
		band = DefaultDriftBand
	}
	against := "its target"
	if s.Fallback {
		against = "an equal-weight target"
	}
	for _, r := range s.Alloc {
		if !r.DriftPP.Valid || r.Key == portfolio.CashSymbol {
			continue
		}
		pp := r.DriftPP.Decimal.InexactFloat64()
		if math.Abs(pp) < band {
			continue
		}
		amount := r.DriftValue.Decimal
		var text strings.Builder
		fmt.Fprintf(&text, "%s is %.1f%% of the portfolio against %s of %.1f%%: %+.1f pp, %s %s",
			r.Key, 100*r.Weight.InexactFloat64(), against, 100*r.Target.Decimal.InexactFloat64(), pp,
			money(amount.Abs()), map[bool]string{true: "over", false: "under"}[pp > 0])
		if s.Fallback {
			text.WriteString(" (no targets are configured, so each holding's target is an equal share of the securities: add \"targets:\" to the config or pass --target)")
		}
		action := "sell"
		if pp < 0 {
			action = "buy"
			fmt.Fprintf(&text, "; buying about %s brings it back", money(amount.Abs()))
			if harvesting[r.Key] {
				action = "rebalance"
				fmt.Fprintf(&text, ", but %s has a tax-loss harvest open: buying it within 30 days of that sale would make it a wash sale, so rebalance with a replacement instead", r.Key)
			}
		} else {
			fmt.Fprintf(&text, "; selling about %s brings it back", money(amount.Abs()))
		}
		fmt.Fprintf(&text, " (band ±%g pp; \"wealthalloc rebalance\" plans the trades).", band)
		out = append(out, store.Recommendation{Kind: RecDrift, Action: action, Symbol: r.Key,
			Confidence: DriftConfidence(pp, band, s.Fallback), Rationale: text.String(), Key: RecDrift + ":" + r.Key,
			Details: details(map[string]any{"weight": r.Weight, "target": r.Target.Decimal, "drift_pp": r.DriftPP.Decimal,
				"drift_value": amount, "band_pp": band, "equal_weight_fallback": s.Fallback})})
	}
	return out
}

// concentrationRecs: the largest holding past ConcentrationTrigger of the
// securities, and the risk score past RiskScoreTrigger.
func concentrationRecs(s recSignals) []store.Recommendation {
	var out []store.Recommendation
	c := s.Conc
	if c.Largest != "" && c.LargestWeight >= ConcentrationTrigger {
		pf := 0.0
		if t := s.Total.InexactFloat64(); t > 0 {
			pf = s.Values[c.Largest] / t
		}
		text := fmt.Sprintf("%s is %.1f%% of the securities (%.1f%% of the portfolio); the Herfindahl index is %.3f, "+
			"as concentrated as %.1f equal holdings. A single holding over %.0f%% makes one company's news the portfolio's: "+
			"review whether to spread it.", c.Largest, 100*c.LargestWeight, 100*pf, c.Herfindahl, c.Effective, 100*ConcentrationTrigger)
		out = append(out, store.Recommendation{Kind: RecConcentration, Action: "review", Symbol: c.Largest,
			Confidence: ConcentrationConfidence(c.LargestWeight), Rationale: text, Key: RecConcentration + ":" + c.Largest,
			Details: details(map[string]any{"largest_weight": round4(c.LargestWeight), "portfolio_weight": round4(pf),
				"herfindahl": round4(c.Herfindahl), "effective_holdings": round4(c.Effective)})})
	}
	if r := s.Risk; r != nil && r.Score >= RiskScoreTrigger {
		dd := r.MaxDrawdown
		text := fmt.Sprintf("Risk score %d/100: annual volatility %.1f%% (%.0f of 50 points), maximum drawdown %.1f%% "+
			"from %s to %s (%.0f of 30), Herfindahl %.3f (%.0f of 20). Review whether this much risk still suits you "+
			"(\"wealthalloc risk\" has the details).", r.Score, 100*r.Volatility, 50*math.Min(r.Volatility/0.40, 1),
			100*dd.Depth, dd.Peak, dd.Trough, 30*math.Min(math.Abs(dd.Depth)/0.50, 1), r.Herfindahl, 20*math.Min(r.Herfindahl/0.25, 1))
		out = append(out, store.Recommendation{Kind: RecRisk, Action: "review", Confidence: RiskConfidence(r.Score),
			Rationale: text, Key: RecRisk, Details: details(map[string]any{"risk_score": r.Score,
				"volatility": round4(r.Volatility), "max_drawdown": round4(dd.Depth), "peak": dd.Peak.String(),
				"trough": dd.Trough.String(), "herfindahl": round4(r.Herfindahl)})})
	}
	return out
}

// harvestRecs: one per recorded harvest opportunity.
func harvestRecs(s recSignals) []store.Recommendation {
	var out []store.Recommendation
	for _, h := range s.Harvests {
		o := h.Opp
		term := "short-term"
		if o.LongTerm {
			term = "long-term"
		}
		var text strings.Builder
		fmt.Fprintf(&text, "Sell %s %s (lot %s in %s) at %s: a %s loss of %s (%.1f%% of the %s basis); estimated tax saving %s at %s%%, "+
			"costs %s, net %s.", o.Quantity, o.Symbol, o.LotID, h.Account, o.Price.StringFixed(2), term, money(o.Loss),
			100*o.LossPct.InexactFloat64(), money(o.AdjustedBasis), money(o.Saving), o.Rate.Shift(2).String(), money(o.Costs), money(o.NetBenefit))
		if o.WashSafe {
			fmt.Fprintf(&text, " Wash-sale safe today; do not buy %s back in any account before %s.", strings.Join(o.LockoutSymbols, ", "), o.LockoutUntil)
		} else {
			fmt.Fprintf(&text, " Not wash-sale safe today: a substantially identical purchase in the last 30 days would make it a wash sale.")
		}
		if len(o.Replacements) > 0 {
			var reps []string
			for _, r := range o.Replacements {
				if r.HasCorrelation {
					reps = append(reps, fmt.Sprintf("%s (correlation %.2f)", r.Symbol, r.Correlation))
				} else {
					reps = append(reps, r.Symbol)
				}
			}
			fmt.Fprintf(&text, " Hold %s meanwhile.", strings.Join(reps, " or "))
		}
		out = append(out, store.Recommendation{Kind: RecHarvest, Action: "harvest", Symbol: o.Symbol, AccountID: o.AccountID,
			Confidence: HarvestConfidence(o.LossPct.InexactFloat64(), o.WashSafe), Rationale: text.String(),
			Key: RecHarvest + ":" + o.AccountID + ":" + o.LotID,
			Details: details(map[string]any{"harvest_id": h.ID, "lot_id": o.LotID, "quantity": o.Quantity, "loss": o.Loss,
				"loss_pct": o.LossPct, "saving": o.Saving, "costs": o.Costs, "net_benefit": o.NetBenefit,
				"wash_safe": o.WashSafe, "lockout_until": o.LockoutUntil.String()})})
	}
	return out
}

// networkRecs: a community of the newest year's correlation network that
// holds NetworkShareTrigger or more of the portfolio.
func networkRecs(s recSignals) []store.Recommendation {
	var out []store.Recommendation
	n := s.Network
	total := s.Total.InexactFloat64()
	if n == nil || total <= 0 {
		return nil
	}
	idx := map[string]int{}
	for i, sym := range s.NetSymbols {
		idx[sym] = i
	}
	aeCommunity := map[string]int{}
	for ci, c := range n.Autoencoder.Communities {
		for _, sym := range c {
			aeCommunity[sym] = ci
		}
	}
	for _, comm := range n.Correlation.Communities {
		if len(comm) < 2 {
			continue
		}
		members := slices.Clone(comm)
		sort.Strings(members)
		var value float64
		for _, sym := range members {
			value += s.Values[sym]
		}
		share := value / total
		if share < NetworkShareTrigger {
			continue
		}
		links, pairs := 0, 0
		var sum float64
		for i := range members {
			for j := i + 1; j < len(members); j++ {
				a, b := idx[members[i]], idx[members[j]]
				v := n.Correlation.Similarity[a][b]
				pairs++
				sum += v
				if math.Abs(v) >= s.NetThresh {
					links++
				}
			}
		}
		agrees := true
		for _, sym := range members[1:] {
			if aeCommunity[sym] != aeCommunity[members[0]] {
				agrees = false
			}
		}
		ae := "the autoencoder network groups them too"
		if !agrees {
			ae = "the autoencoder network does not group them all (it is sparser and noisier: read it beside the correlation)"
		}
		text := fmt.Sprintf("%s moved together from %s to %s: daily-return correlation %.2f on average, %d of %d pairs at %.2f or more; "+
			"%s. Together they are %.1f%% of the portfolio (%s), so they give one another little diversification — "+
			"review adding holdings that move differently.", joinAnd(members), n.From, n.To, sum/float64(pairs), links, pairs,
			s.NetThresh, ae, 100*share, money(decimal.NewFromFloat(value)))
		out = append(out, store.Recommendation{Kind: RecNetwork, Action: "review", Confidence: NetworkConfidence(share, agrees),
			Rationale: text, Key: RecNetwork + ":" + strings.Join(members, ","),
			Details: details(map[string]any{"members": members, "from": n.From, "to": n.To, "share": round4(share),
				"mean_correlation": round4(sum / float64(pairs)), "links": links, "pairs": pairs, "autoencoder_agrees": agrees})})
	}
	return out
}

func joinAnd(xs []string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}
