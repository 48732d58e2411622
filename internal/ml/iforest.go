package ml

import (
	"math"
	"math/rand/v2"
)

// IsolationForest (Liu, Ting & Zhou 2008): random axis-parallel splits
// isolate outliers in fewer steps than inliers. The score of a point is
// 2^(−E[h(x)]/c(ψ)), near 1 for anomalies and below 0.5 for normal points.
type IsolationForest struct {
	Trees  []iTree `json:"trees"`
	Sample int     `json:"sample"` // ψ, points per tree
}

// iTree is stored flat: node i splits on Feat[i] at Split[i] into Left[i] and
// Left[i]+1; a leaf has Feat −1 and Size the points that reached it.
type iTree struct {
	Feat  []int     `json:"f"`
	Split []float64 `json:"s"`
	Left  []int     `json:"l"`
	Size  []int     `json:"n"`
}

// FitIsolationForest grows trees trees on subsamples of sample rows.
func FitIsolationForest(rows [][]float64, trees, sample int, seed uint64) *IsolationForest {
	rng := rand.New(rand.NewPCG(seed, 0x1f0e57))
	sample = min(sample, len(rows))
	f := &IsolationForest{Sample: sample}
	limit := int(math.Ceil(math.Log2(float64(max(sample, 2)))))
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	for range trees {
		// Partial Fisher–Yates: the first sample indices are a random subset.
		for i := range sample {
			j := i + rng.IntN(len(idx)-i)
			idx[i], idx[j] = idx[j], idx[i]
		}
		pts := append([]int(nil), idx[:sample]...)
		var t iTree
		grow(&t, rows, pts, 0, limit, rng)
		f.Trees = append(f.Trees, t)
	}
	return f
}

func grow(t *iTree, rows [][]float64, pts []int, depth, limit int, rng *rand.Rand) int {
	node := len(t.Feat)
	t.Feat, t.Split, t.Left, t.Size = append(t.Feat, -1), append(t.Split, 0), append(t.Left, 0), append(t.Size, len(pts))
	if depth >= limit || len(pts) <= 1 {
		return node
	}
	d := len(rows[0])
	// Pick a feature that is not constant among pts.
	for try := 0; try < d*2; try++ {
		feat := rng.IntN(d)
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, p := range pts {
			lo, hi = math.Min(lo, rows[p][feat]), math.Max(hi, rows[p][feat])
		}
		if hi <= lo {
			continue
		}
		split := lo + rng.Float64()*(hi-lo)
		var left, right []int
		for _, p := range pts {
			if rows[p][feat] < split {
				left = append(left, p)
			} else {
				right = append(right, p)
			}
		}
		t.Feat[node], t.Split[node] = feat, split
		// Children are placed as a consecutive pair.
		l := len(t.Feat)
		t.Left[node] = l
		t.Feat, t.Split, t.Left, t.Size = append(t.Feat, -1, -1), append(t.Split, 0, 0), append(t.Left, 0, 0), append(t.Size, 0, 0)
		growAt(t, rows, left, l, depth+1, limit, rng)
		growAt(t, rows, right, l+1, depth+1, limit, rng)
		return node
	}
	return node
}

// growAt fills the pre-allocated node at with a subtree over pts.
func growAt(t *iTree, rows [][]float64, pts []int, at, depth, limit int, rng *rand.Rand) {
	t.Size[at] = len(pts)
	if depth >= limit || len(pts) <= 1 {
		return
	}
	sub := grow(t, rows, pts, depth, limit, rng)
	// Move the subtree's root into the reserved slot.
	t.Feat[at], t.Split[at], t.Left[at], t.Size[at] = t.Feat[sub], t.Split[sub], t.Left[sub], t.Size[sub]
	t.Feat[sub] = -1
}

// avgPath is c(n), the mean path length of an unsuccessful BST search.
func avgPath(n int) float64 {
	if n <= 1 {
		return 0
	}
	if n == 2 {
		return 1
	}
	h := math.Log(float64(n-1)) + 0.5772156649015329
	return 2*h - 2*float64(n-1)/float64(n)
}

// Score returns the anomaly score of each row.
func (f *IsolationForest) Score(rows [][]float64) []float64 {
	out := make([]float64, len(rows))
	c := avgPath(f.Sample)
	for i, x := range rows {
		total := 0.0
		for _, t := range f.Trees {
			node, depth := 0, 0
			for t.Feat[node] >= 0 {
				if x[t.Feat[node]] < t.Split[node] {
					node = t.Left[node]
				} else {
					node = t.Left[node] + 1
				}
				depth++
			}
			total += float64(depth) + avgPath(t.Size[node])
		}
		out[i] = math.Pow(2, -total/float64(len(f.Trees))/c)
	}
	return out
}
