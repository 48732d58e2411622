package ml

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// The holdings network follows "LSTM Autoencoder-Based Network of Financial
// Indices" as far as it is known (ml.md §1.1): one multivariate autoencoder
// over all holdings' standardised returns per rolling year; holding i's row
// of the encoder input weights W_x (its 4H gate weights) is its signature,
// and the cosine similarity of two signatures says how alike the network
// treats them. The plain return correlation is computed beside it as a
// sanity baseline. Both are thresholded into graphs with network entropy,
// average clustering and communities.

// NetworkOptions configure Network.
type NetworkOptions struct {
	Config    Config  // autoencoder per year (defaults: window 10, hidden 8, epochs 15, no mask, input weights initialised at 1% scale)
	Year      int     // rows per period (default 252 trading days)
	Step      int     // rows between period starts (default Year)
	Threshold float64 // |similarity| at or above which two holdings are linked (default 0.5)
	Workers   int     // periods trained at once (≤0: one per core)
}

// Graph is one thresholded similarity matrix and its statistics.
type Graph struct {
	Similarity  [][]float64 `json:"similarity"`
	Edges       int         `json:"edges"`
	Entropy     float64     `json:"entropy"`    // Shannon entropy (bits) of the degree distribution
	Clustering  float64     `json:"clustering"` // average local clustering coefficient
	Communities [][]string  `json:"communities"`
}

// NetworkPeriod is the network of one rolling year.
type NetworkPeriod struct {
	From        string `json:"from"`
	To          string `json:"to"`
	Autoencoder Graph  `json:"autoencoder"`
	Correlation Graph  `json:"correlation"`
	ValLoss     float64
}

// NetworkReport is the holdings network over time.
type NetworkReport struct {
	Symbols   []string        `json:"symbols"`
	Threshold float64         `json:"threshold"`
	Periods   []NetworkPeriod `json:"periods"`
}

// Network builds the holdings network per rolling year from aligned daily
// returns: rets[t][i] is holding i's return on dates[t].
func Network(ctx context.Context, symbols []string, dates []string, rets [][]float64, opt NetworkOptions) (NetworkReport, error) {
	if opt.Year == 0 {
		opt.Year = 252
	}
	if opt.Step == 0 {
		opt.Step = opt.Year
	}
	if opt.Threshold == 0 {
		opt.Threshold = 0.5
	}
	cfg := opt.Config
	if cfg.Window == 0 {
		cfg.Window = 10
	}
	if cfg.Hidden == 0 {
		cfg.Hidden = 8
	}
	if cfg.Epochs == 0 {
		cfg.Epochs = 15
	}
	// Encoder input weights start near zero, so their similarity reflects
	// what training learned (correlated inputs receive similar gradients)
	// rather than the random start.
	if cfg.InitScale == 0 {
		cfg.InitScale = 0.01
	}
	cfg.NoMask = true
	rep := NetworkReport{Symbols: symbols, Threshold: opt.Threshold, Periods: []NetworkPeriod{}}
	if len(symbols) < 2 {
		return rep, fmt.Errorf("network: %d holdings with prices; need at least 2", len(symbols))
	}
	if len(rets) < opt.Year {
		return rep, fmt.Errorf("network: %d days of aligned prices; need a year (%d)", len(rets), opt.Year)
	}
	var sets []TrainSet
	var spans [][2]int
	for start := 0; start+opt.Year <= len(rets); start += opt.Step {
		spans = append(spans, [2]int{start, start + opt.Year})
	}
	// The newest period ends at the newest date.
	if last := spans[len(spans)-1]; last[1] < len(rets) {
		spans = append(spans, [2]int{len(rets) - opt.Year, len(rets)})
	}
	for _, sp := range spans {
		sets = append(sets, TrainSet{Name: dates[sp[0]] + ".." + dates[sp[1]-1], Features: symbols, Rows: rets[sp[0]:sp[1]]})
	}
	results := TrainMany(ctx, cfg, sets, opt.Workers, nil)
	for i, r := range results {
		if r.Err != nil {
			return rep, r.Err
		}
		sp := spans[i]
		wx := r.Model.layout().encWx.of(r.Model.Params) // D×4H
		h4 := 4 * r.Model.Config.Hidden
		n := len(symbols)
		sim := make([][]float64, n)
		for a := range n {
			sim[a] = make([]float64, n)
			for b := range n {
				sim[a][b] = cosine(wx[a*h4:(a+1)*h4], wx[b*h4:(b+1)*h4])
			}
		}
		per := NetworkPeriod{From: dates[sp[0]], To: dates[sp[1]-1], ValLoss: r.Model.Meta.ValLoss,
			Autoencoder: graphOf(sim, symbols, opt.Threshold),
			Correlation: graphOf(correlation(rets[sp[0]:sp[1]]), symbols, opt.Threshold)}
		rep.Periods = append(rep.Periods, per)
	}
	return rep, nil
}

func cosine(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += a[i] * b[i]
		aa += a[i] * a[i]
		bb += b[i] * b[i]
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// correlation is the Pearson correlation matrix of the columns of rows.
func correlation(rows [][]float64) [][]float64 {
	n := len(rows[0])
	cols := make([][]float64, n)
	for j := range n {
		cols[j] = make([]float64, len(rows))
		for t, r := range rows {
			cols[j][t] = r[j]
		}
		m, sd := meanStd(cols[j])
		for t := range cols[j] {
			if sd > 0 {
				cols[j][t] = (cols[j][t] - m) / sd
			} else {
				cols[j][t] = 0
			}
		}
	}
	out := make([][]float64, n)
	for a := range n {
		out[a] = make([]float64, n)
		for b := range n {
			s := 0.0
			for t := range rows {
				s += cols[a][t] * cols[b][t]
			}
			out[a][b] = s / float64(max(len(rows)-1, 1))
		}
	}
	return out
}

// graphOf links i and j when |sim[i][j]| ≥ th and computes the statistics.
func graphOf(sim [][]float64, symbols []string, th float64) Graph {
	n := len(sim)
	adj := make([][]bool, n)
	deg := make([]int, n)
	g := Graph{Similarity: sim}
	for i := range n {
		adj[i] = make([]bool, n)
		for j := range n {
			if i != j && math.Abs(sim[i][j]) >= th {
				adj[i][j] = true
				deg[i]++
			}
		}
		g.Edges += deg[i]
	}
	g.Edges /= 2
	// Entropy of the degree distribution p_i = k_i / Σk.
	if total := 2 * g.Edges; total > 0 {
		for _, k := range deg {
			if k > 0 {
				p := float64(k) / float64(total)
				g.Entropy -= p * math.Log2(p)
			}
		}
	}
	// Average clustering: the fraction of a node's neighbour pairs that are
	// linked (0 for nodes with fewer than two neighbours).
	for i := range n {
		if deg[i] < 2 {
			continue
		}
		links := 0
		for a := range n {
			for b := a + 1; b < n; b++ {
				if adj[i][a] && adj[i][b] && adj[a][b] {
					links++
				}
			}
		}
		g.Clustering += float64(links) / float64(deg[i]*(deg[i]-1)/2)
	}
	g.Clustering /= float64(n)
	g.Communities = communities(adj, symbols)
	return g
}

// communities groups nodes by greedy modularity maximisation (Clauset,
// Newman & Moore 2004): start from singletons and merge the pair of linked
// groups that raises modularity most, while some merge raises it. Isolated
// holdings stay alone. Ties break on the lowest indexes, so the result is
// deterministic.
func communities(adj [][]bool, symbols []string) [][]string {
	n := len(adj)
	m2 := 0.0 // 2m
	deg := make([]float64, n)
	for i := range n {
		for j := range n {
			if adj[i][j] {
				deg[i]++
			}
		}
		m2 += deg[i]
	}
	group := make([]int, n)
	for i := range group {
		group[i] = i
	}
	if m2 > 0 {
		for {
			// e[a][b]: fraction of edge ends between groups a and b; a[g]: degree share.
			bestGain, ba, bb := 1e-12, -1, -1
			for a := range n {
				for b := a + 1; b < n; b++ {
					if group[a] == a && group[b] == b {
						eab, da, db := 0.0, 0.0, 0.0
						for i := range n {
							if group[i] == a {
								da += deg[i]
								for j := range n {
									if group[j] == b && adj[i][j] {
										eab++
									}
								}
							} else if group[i] == b {
								db += deg[i]
							}
						}
						if eab == 0 {
							continue
						}
						gain := 2 * (eab/m2 - (da/m2)*(db/m2))
						if gain > bestGain {
							bestGain, ba, bb = gain, a, b
						}
					}
				}
			}
			if ba < 0 {
				break
			}
			for i := range group {
				if group[i] == bb {
					group[i] = ba
				}
			}
		}
	}
	byGroup := map[int][]string{}
	var order []int
	for i, g := range group {
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], symbols[i])
	}
	out := make([][]string, 0, len(order))
	for _, g := range order {
		out = append(out, byGroup[g])
	}
	slices.SortStableFunc(out, func(a, b []string) int { return len(b) - len(a) })
	return out
}
