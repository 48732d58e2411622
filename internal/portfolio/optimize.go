package portfolio

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// OptimizeConventions states how suggested weights are computed.
const OptimizeConventions = "inputs: daily returns of the held symbols on the days all have a close; " +
	"covariance: Ledoit-Wolf (2004) shrinkage of the sample covariance towards a scaled identity, annualised x252; " +
	"expected returns: mean daily return x252 (historical, noisy; used by max-sharpe only); " +
	"long-only, weights sum to 1 (cash not included), each weight <= the holding cap, each sector's sum <= the sector cap; " +
	"min-variance and max-sharpe by projected gradient over those constraints; " +
	"risk-parity: equal risk contributions w_i(Sw)_i by cyclical coordinate descent, then projected onto the caps when they bind " +
	"(contributions are then no longer exactly equal). Suggestions only: nothing is traded."

// LedoitWolf returns the Ledoit–Wolf shrunk covariance of the columns of x
// (n observations × p variables) and the shrinkage intensity in [0, 1]:
//
//	Σ̂ = (1−δ) S + δ μ I,  S = XcᵀXc/n,  μ = tr(S)/p,
//	d² = ‖S − μI‖²/p,  b² = min(d², (Σ_k ‖x_k‖⁴/n − ‖S‖²)/(p n)),  δ = b²/d²
//
// (Ledoit and Wolf, "A well-conditioned estimator for large-dimensional
// covariance matrices", 2004; ‖·‖ the Frobenius norm, x_k the centred
// observations). S uses 1/n, as the paper does.
func LedoitWolf(x *mat.Dense) (*mat.SymDense, float64) {
	n, p := x.Dims()
	xc := mat.NewDense(n, p, nil)
	for j := range p {
		var m float64
		for i := range n {
			m += x.At(i, j)
		}
		m /= float64(n)
		for i := range n {
			xc.Set(i, j, x.At(i, j)-m)
		}
	}
	s := mat.NewSymDense(p, nil)
	s.SymOuterK(1/float64(n), xc.T())
	var tr, fro2 float64
	for i := range p {
		tr += s.At(i, i)
		for j := range p {
			fro2 += s.At(i, j) * s.At(i, j)
		}
	}
	mu := tr / float64(p)
	d2 := (fro2 - 2*mu*tr + float64(p)*mu*mu) / float64(p)
	var sum4 float64
	for i := range n {
		var q float64
		for j := range p {
			v := xc.At(i, j)
			q += v * v
		}
		sum4 += q * q
	}
	b2 := (sum4/float64(n) - fro2) / (float64(p) * float64(n))
	b2 = math.Min(b2, d2)
	delta := 0.0
	if d2 > 0 {
		delta = b2 / d2
	}
	out := mat.NewSymDense(p, nil)
	for i := range p {
		for j := i; j < p; j++ {
			v := (1 - delta) * s.At(i, j)
			if i == j {
				v += delta * mu
			}
			out.SetSym(i, j, v)
		}
	}
	return out, delta
}

// OptimizeInput are the returns and constraints of an optimisation.
type OptimizeInput struct {
	Symbols   []string
	Sectors   []string      // by symbol; "" counts as its own sector per symbol
	Returns   *mat.Dense    // n days × p symbols of daily returns
	MaxWeight float64       // per holding; 0 means 1
	SectorCap float64       // per sector; 0 means 1
	RF        float64       // annual risk-free rate (max-sharpe)
	Cov       *mat.SymDense // optional: annualised covariance to use instead of Ledoit–Wolf of Returns
}

// Suggestion is one optimiser's weights and their ex-ante figures
// (annualised, from the shrunk covariance and historical means).
type Suggestion struct {
	Method     string
	Weights    []float64 // by OptimizeInput.Symbols
	Return     float64
	Volatility float64
	Sharpe     float64
	Note       string
}

// Optimization is every suggestion and the model they came from.
type Optimization struct {
	Symbols     []string
	Shrinkage   float64
	Suggestions []Suggestion
	Current     Suggestion // figures of the current weights, when given
}

// ErrInfeasibleCaps means the caps allow less than 100% to be invested.
var ErrInfeasibleCaps = errors.New("caps too tight")

// Optimize computes min-variance, risk-parity and max-Sharpe weights.
// current, if not nil, is the current weights by symbol (summing to 1) for
// comparison.
func Optimize(in OptimizeInput, current []float64) (*Optimization, error) {
	p := len(in.Symbols)
	if p == 0 {
		return nil, errors.New("nothing to optimise: no holding with price history")
	}
	n, _ := in.Returns.Dims()
	if in.Cov == nil && n < 2 {
		return nil, errors.New("not enough price history to estimate a covariance (need 2 days or more)")
	}
	capW := in.MaxWeight
	if capW <= 0 || capW > 1 {
		capW = 1
	}
	capS := in.SectorCap
	if capS <= 0 || capS > 1 {
		capS = 1
	}
	c := newConstraints(in.Symbols, in.Sectors, capW, capS)
	if room := c.room(); room < 1-1e-9 {
		return nil, fmt.Errorf("%w: with a %.4g holding cap and a %.4g sector cap over %d holdings at most %.4g can be invested; raise a cap",
			ErrInfeasibleCaps, capW, capS, p, room)
	}
	out := &Optimization{Symbols: in.Symbols}
	cov := in.Cov
	if cov == nil {
		var d float64
		cov, d = LedoitWolf(in.Returns)
		out.Shrinkage = d
		cov.ScaleSym(PeriodsPerYear, cov)
	}
	mu := make([]float64, p)
	if n > 0 {
		for j := range p {
			var s float64
			for i := range n {
				s += in.Returns.At(i, j)
			}
			mu[j] = s / float64(n) * PeriodsPerYear
		}
	}
	figures := func(method string, w []float64, note string) Suggestion {
		wv := mat.NewVecDense(p, w)
		v := mat.Inner(wv, cov, wv)
		r := mat.Dot(wv, mat.NewVecDense(p, mu))
		vol := math.Sqrt(math.Max(v, 0))
		return Suggestion{Method: method, Weights: w, Return: r, Volatility: vol, Sharpe: (r - in.RF) / vol, Note: note}
	}
	if current != nil {
		out.Current = figures("current", current, "")
	}
	var eig mat.EigenSym
	lmax := 1.0
	if eig.Factorize(cov, false) {
		vals := eig.Values(nil)
		lmax = vals[len(vals)-1]
	}
	if lmax <= 0 {
		lmax = 1
	}

	mv := c.project(equal(p))
	mv = projectedGradient(mv, c, 1/(2*lmax), func(w, g []float64) float64 {
		sw := symVec(cov, w)
		copy(g, sw)
		for i := range g {
			g[i] *= 2
		}
		return dot(w, sw)
	})
	out.Suggestions = append(out.Suggestions, figures("min-variance", mv, ""))

	rp, note := riskParity(cov)
	if !c.feasible(rp) {
		rp = c.project(rp)
		note = "caps bind: risk contributions are not equal"
	}
	out.Suggestions = append(out.Suggestions, figures("risk-parity", rp, note))

	ms := c.project(mv)
	ms = projectedGradient(ms, c, 0, func(w, g []float64) float64 {
		sw := symVec(cov, w)
		v := dot(w, sw)
		s := math.Sqrt(v)
		r := dot(w, mu) - in.RF
		for i := range g {
			g[i] = -(mu[i]*s - r*sw[i]/s) / v
		}
		return -r / s
	})
	out.Suggestions = append(out.Suggestions, figures("max-sharpe", ms, ""))
	return out, nil
}

func equal(p int) []float64 {
	w := make([]float64, p)
	for i := range w {
		w[i] = 1 / float64(p)
	}
	return w
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func symVec(m *mat.SymDense, w []float64) []float64 {
	out := mat.NewVecDense(len(w), nil)
	out.MulVec(m, mat.NewVecDense(len(w), w))
	return out.RawVector().Data
}

// projectedGradient minimises f over the constraints from w0. With step 0
// it backtracks (Armijo) from step 1.
func projectedGradient(w0 []float64, c *constraints, step float64, f func(w, g []float64) float64) []float64 {
	p := len(w0)
	w := append([]float64(nil), w0...)
	g := make([]float64, p)
	trial := make([]float64, p)
	fw := f(w, g)
	backtrack := step == 0
	t := step
	for range 3000 {
		if backtrack {
			t = 1
		}
		var next []float64
		var fn float64
		for range 60 {
			for i := range trial {
				trial[i] = w[i] - t*g[i]
			}
			next = c.project(trial)
			gtmp := make([]float64, p)
			fn = f(next, gtmp)
			if !backtrack {
				break
			}
			var lin, sq float64
			for i := range next {
				d := next[i] - w[i]
				lin += g[i] * d
				sq += d * d
			}
			if fn <= fw+lin+sq/(2*t) {
				break
			}
			t /= 2
		}
		var move float64
		for i := range next {
			move = math.Max(move, math.Abs(next[i]-w[i]))
		}
		w = next
		fw = f(w, g)
		if move < 1e-11 {
			break
		}
	}
	return w
}

// riskParity solves for equal risk contributions by cyclical coordinate
// descent on ½yᵀΣy − Σ ln(y_i)/p (Griveau-Billion, Richard, Roncalli 2013),
// normalised to sum to 1.
func riskParity(cov *mat.SymDense) ([]float64, string) {
	p := cov.SymmetricDim()
	y := make([]float64, p)
	for i := range y {
		y[i] = 1 / math.Sqrt(cov.At(i, i)*float64(p))
	}
	b := 1 / float64(p)
	for range 10000 {
		var change float64
		for i := range p {
			var off float64
			for j := range p {
				if j != i {
					off += cov.At(i, j) * y[j]
				}
			}
			s := cov.At(i, i)
			ny := (-off + math.Sqrt(off*off+4*s*b)) / (2 * s)
			change = math.Max(change, math.Abs(ny-y[i]))
			y[i] = ny
		}
		if change < 1e-13 {
			break
		}
	}
	var sum float64
	for _, v := range y {
		sum += v
	}
	for i := range y {
		y[i] /= sum
	}
	return y, ""
}

// RiskContributions are w_i (Σw)_i / wᵀΣw: each holding's share of variance.
func RiskContributions(cov *mat.SymDense, w []float64) []float64 {
	sw := symVec(cov, w)
	v := dot(w, sw)
	out := make([]float64, len(w))
	for i := range w {
		out[i] = w[i] * sw[i] / v
	}
	return out
}

// constraints is {Σw = 1, 0 ≤ w ≤ capW, Σ_{sector} w ≤ capS}.
type constraints struct {
	capW, capS float64
	groups     [][]int // sectors with more than one member... all sectors
}

func newConstraints(symbols, sectors []string, capW, capS float64) *constraints {
	c := &constraints{capW: capW, capS: capS}
	idx := map[string]int{}
	for i := range symbols {
		sec := ""
		if i < len(sectors) {
			sec = sectors[i]
		}
		if sec == "" {
			sec = "\x00" + symbols[i]
		}
		g, ok := idx[sec]
		if !ok {
			g = len(c.groups)
			idx[sec] = g
			c.groups = append(c.groups, nil)
		}
		c.groups[g] = append(c.groups[g], i)
	}
	return c
}

// room is the most the caps let be invested.
func (c *constraints) room() float64 {
	var r float64
	for _, g := range c.groups {
		r += math.Min(c.capS, c.capW*float64(len(g)))
	}
	return r
}

func (c *constraints) feasible(w []float64) bool {
	var sum float64
	for _, v := range w {
		if v < -1e-9 || v > c.capW+1e-9 {
			return false
		}
		sum += v
	}
	if math.Abs(sum-1) > 1e-9 {
		return false
	}
	for _, g := range c.groups {
		var s float64
		for _, i := range g {
			s += w[i]
		}
		if s > c.capS+1e-9 {
			return false
		}
	}
	return true
}

// project is the Euclidean projection onto the constraints: onto the capped
// simplex alone when the sector caps do not bind, else by Dykstra's
// alternating projections between the capped simplex and the sector caps.
func (c *constraints) project(v []float64) []float64 {
	x := c.simplex(v)
	if c.capS >= 1 || c.sectorsOK(x) {
		return x
	}
	p := len(v)
	y := append([]float64(nil), v...)
	pa := make([]float64, p)
	pb := make([]float64, p)
	tmp := make([]float64, p)
	for range 2000 {
		for i := range tmp {
			tmp[i] = y[i] + pa[i]
		}
		x = c.simplex(tmp)
		for i := range pa {
			pa[i] = tmp[i] - x[i]
		}
		for i := range tmp {
			tmp[i] = x[i] + pb[i]
		}
		ny := c.sectors(tmp)
		for i := range pb {
			pb[i] = tmp[i] - ny[i]
		}
		var d float64
		for i := range ny {
			d = math.Max(d, math.Abs(ny[i]-x[i]))
		}
		y = ny
		if d < 1e-12 {
			break
		}
	}
	return c.simplex(y)
}

func (c *constraints) sectorsOK(w []float64) bool {
	for _, g := range c.groups {
		var s float64
		for _, i := range g {
			s += w[i]
		}
		if s > c.capS+1e-12 {
			return false
		}
	}
	return true
}

// sectors projects onto {Σ_g w ≤ capS for each sector g}: disjoint
// half-spaces, each projected on its own.
func (c *constraints) sectors(v []float64) []float64 {
	out := append([]float64(nil), v...)
	for _, g := range c.groups {
		var s float64
		for _, i := range g {
			s += v[i]
		}
		if s > c.capS {
			d := (s - c.capS) / float64(len(g))
			for _, i := range g {
				out[i] -= d
			}
		}
	}
	return out
}

// simplex projects onto {Σw = 1, 0 ≤ w ≤ capW}: w_i = clip(v_i − τ, 0,
// capW) with τ found by bisection.
func (c *constraints) simplex(v []float64) []float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	lo -= c.capW + 1
	sum := func(t float64) float64 {
		var s float64
		for _, x := range v {
			s += math.Min(math.Max(x-t, 0), c.capW)
		}
		return s
	}
	for range 200 {
		mid := (lo + hi) / 2
		if sum(mid) > 1 {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo < 1e-15 {
			break
		}
	}
	t := (lo + hi) / 2
	out := make([]float64, len(v))
	var s float64
	for i, x := range v {
		out[i] = math.Min(math.Max(x-t, 0), c.capW)
		s += out[i]
	}
	// Absorb the bisection's last rounding into the largest free weight.
	if d := 1 - s; d != 0 {
		best := -1
		for i := range out {
			if out[i]+d >= 0 && out[i]+d <= c.capW && (best < 0 || out[i] > out[best]) {
				best = i
			}
		}
		if best >= 0 {
			out[best] += d
		}
	}
	return out
}

// SortedBy returns indices of w by weight, largest first.
func SortedBy(w []float64) []int {
	idx := make([]int, len(w))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return w[idx[a]] > w[idx[b]] })
	return idx
}
