package app

import "math"

// ConfidenceFormula documents the confidence of each kind of
// recommendation; docs/recommendations.md explains the choices. Every
// confidence is clamped to [0, 1] and rounded to 3 places.
const ConfidenceFormula = "anomaly: 0.35 + 0.15*min(score/threshold - 1, 1) + 0.15*baselines_agreeing (0-3), at most 0.95; " +
	"drift: min(0.9, |drift_pp| / (3*band_pp)), x0.6 when the targets are the equal-weight fallback; " +
	"concentration: min(0.9, 0.3 + 0.6*(largest_weight - 0.25)/0.25); " +
	"risk: min(0.9, risk_score/100); " +
	"harvest: (0.5 + 0.45*min(loss_pct/0.30, 1)) x (1 if wash-sale safe, else 0.5); " +
	"network: min(0.9, 0.3 + 0.6*(community_share - 0.5)/0.5) x (1 if the autoencoder network groups them too, else 0.75)"

// roundConf clamps c to [0, 1] and rounds it to 3 places (NaN is 0).
func roundConf(c float64) float64 {
	if math.IsNaN(c) || c < 0 {
		return 0
	}
	return math.Round(math.Min(c, 1)*1000) / 1000
}

// AnomalyConfidence: a model flag alone is 0.35; how far the model's
// score is over its threshold adds up to 0.15 (reached at twice the
// threshold), and each baseline scoring above its own threshold on the same
// day adds 0.15, so agreement counts most.
func AnomalyConfidence(ratio float64, agreeing int) float64 {
	over := math.Min(math.Max(ratio-1, 0), 1)
	return roundConf(math.Min(0.95, 0.35+0.15*over+0.15*float64(min(max(agreeing, 0), 3))))
}

// DriftConfidence grows with the drift in units of the band: one band is
// 0.33, three bands or more 0.9. Drift against the equal-weight fallback
// (no targets of the user's) counts 0.6 of that.
func DriftConfidence(driftPP, bandPP float64, fallback bool) float64 {
	if bandPP <= 0 {
		bandPP = 5
	}
	c := math.Min(0.9, math.Abs(driftPP)/(3*bandPP))
	if fallback {
		c *= 0.6
	}
	return roundConf(c)
}

// ConcentrationConfidence: 0.3 for a largest holding at 25% of the
// securities, rising to 0.9 at 50% and above.
func ConcentrationConfidence(largest float64) float64 {
	return roundConf(math.Min(0.9, 0.3+0.6*(largest-0.25)/0.25))
}

// RiskConfidence is the risk score as a fraction, at most 0.9.
func RiskConfidence(score int) float64 {
	return roundConf(math.Min(0.9, float64(score)/100))
}

// HarvestConfidence: 0.5 for a loss at the scan's threshold, rising to
// 0.95 at a 30% loss; halved when selling now would be a wash sale.
func HarvestConfidence(lossPct float64, washSafe bool) float64 {
	c := 0.5 + 0.45*math.Min(math.Max(lossPct, 0)/0.30, 1)
	if !washSafe {
		c *= 0.5
	}
	return roundConf(c)
}

// NetworkConfidence: 0.3 for a community holding half the portfolio,
// rising to 0.9 when it holds all of it; 0.75 of that when only the return
// correlation, not the autoencoder, groups the holdings.
func NetworkConfidence(share float64, autoencoderAgrees bool) float64 {
	c := math.Min(0.9, 0.3+0.6*(share-0.5)/0.5)
	if !autoencoderAgrees {
		c *= 0.75
	}
	return roundConf(c)
}
