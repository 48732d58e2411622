package ml

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"
)

// Config sizes and trains an autoencoder. The zero value of a field means
// its default (see Defaults).
type Config struct {
	Window     int     `json:"window"`      // T, steps per window
	Hidden     int     `json:"hidden"`      // H, LSTM units in encoder and decoder
	Batch      int     `json:"batch"`       // windows per Adam step
	Epochs     int     `json:"epochs"`      // upper bound; early stopping may end sooner
	LR         float64 `json:"lr"`          // Adam step size α
	Clip       float64 `json:"clip"`        // global gradient-norm bound
	Patience   int     `json:"patience"`    // epochs without a better validation loss before stopping; <0 never stops
	ValFrac    float64 `json:"val_frac"`    // newest fraction of the windows held out for early stopping
	Mask       int     `json:"mask"`        // newest steps hidden from the encoder (default 1)
	NoMask     bool    `json:"no_mask"`     // plain autoencoder: the encoder sees every step
	MaskWeight float64 `json:"mask_weight"` // loss weight of a masked step relative to a visible one (default 5)
	Stride     int     `json:"stride"`      // distance between training windows
	InitScale  float64 `json:"init_scale"`  // multiplies the Glorot limit of the encoder input weights (default 1)
	Seed       uint64  `json:"seed"`
}

// Defaults fills the unset fields of c.
func (c Config) Defaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Window, 30)
	def(&c.Hidden, 16)
	def(&c.Batch, 32)
	def(&c.Epochs, 20)
	def(&c.Patience, 4)
	def(&c.Stride, 1)
	if c.LR == 0 {
		c.LR = 3e-3
	}
	if c.Clip == 0 {
		c.Clip = 1
	}
	if c.ValFrac == 0 {
		c.ValFrac = 0.2
	}
	if c.InitScale == 0 {
		c.InitScale = 1
	}
	if c.NoMask {
		c.Mask = 0
	} else if c.Mask == 0 {
		c.Mask = 1
	}
	if c.MaskWeight == 0 {
		c.MaskWeight = 5
	}
	return c
}

func (c Config) validate(d int) error {
	switch {
	case d < 1:
		return errors.New("no features")
	case c.Window < 2:
		return fmt.Errorf("window %d: need at least 2 steps", c.Window)
	case c.Hidden < 1:
		return fmt.Errorf("hidden %d: need at least 1 unit", c.Hidden)
	case c.Mask < 0 || c.Mask >= c.Window:
		return fmt.Errorf("mask %d: need 0 ≤ mask < window %d", c.Mask, c.Window)
	case c.ValFrac < 0 || c.ValFrac >= 1:
		return fmt.Errorf("validation fraction %g: need 0 ≤ f < 1", c.ValFrac)
	}
	return nil
}

// Normalizer standardises feature columns with statistics of training rows.
type Normalizer struct {
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
}

// FitNormalizer computes column means and standard deviations over the rows
// for which use is true (all rows when use is nil). A constant column gets
// standard deviation 1.
func FitNormalizer(rows [][]float64, use []bool) Normalizer {
	d := len(rows[0])
	n := Normalizer{Mean: make([]float64, d), Std: make([]float64, d)}
	cnt := 0.0
	for i, r := range rows {
		if use != nil && !use[i] {
			continue
		}
		cnt++
		for j, v := range r {
			n.Mean[j] += v
		}
	}
	for j := range n.Mean {
		n.Mean[j] /= math.Max(cnt, 1)
	}
	for i, r := range rows {
		if use != nil && !use[i] {
			continue
		}
		for j, v := range r {
			e := v - n.Mean[j]
			n.Std[j] += e * e
		}
	}
	for j := range n.Std {
		n.Std[j] = math.Sqrt(n.Std[j] / math.Max(cnt-1, 1))
		if n.Std[j] < 1e-12 {
			n.Std[j] = 1
		}
	}
	return n
}

// Apply returns standardised copies of rows.
func (n Normalizer) Apply(rows [][]float64) [][]float64 {
	out := make([][]float64, len(rows))
	flat := make([]float64, len(rows)*len(n.Mean))
	for i, r := range rows {
		o := flat[i*len(n.Mean) : (i+1)*len(n.Mean)]
		for j, v := range r {
			o[j] = (v - n.Mean[j]) / n.Std[j]
		}
		out[i] = o
	}
	return out
}

// Model is a trained autoencoder with everything needed to score new data.
type Model struct {
	Config    Config     `json:"config"`
	Features  []string   `json:"features"`
	Norm      Normalizer `json:"normalizer"`
	Params    []float64  `json:"-"`
	Threshold Threshold  `json:"threshold"`
	// ErrScale divides each feature's error before aggregation (nil: 1).
	ErrScale  []float64 `json:"err_scale,omitempty"`
	Aggregate string    `json:"aggregate,omitempty"` // rms (default) or max
	// Scored marks the features whose error makes the score (nil: all).
	// Raw-scale features (return, absolute return, residual) are inputs
	// only by default: their error mostly measures the volatility regime.
	Scored []bool `json:"scored,omitempty"`
	Meta   Meta   `json:"meta"`
}

// Meta records how a model was trained.
type Meta struct {
	Name         string    `json:"name,omitempty"` // e.g. the symbol
	TrainedAt    time.Time `json:"trained_at"`
	Epochs       int       `json:"epochs"`     // epochs run
	BestEpoch    int       `json:"best_epoch"` // epoch whose weights were kept
	TrainLoss    float64   `json:"train_loss"`
	ValLoss      float64   `json:"val_loss"`
	TrainWindows int       `json:"train_windows"`
	ValWindows   int       `json:"val_windows"`
	Rows         int       `json:"rows"`
	From         string    `json:"from,omitempty"` // first and last date of the data, when known
	To           string    `json:"to,omitempty"`
}

// EpochStats is reported after every epoch.
type EpochStats struct {
	Name      string
	Epoch     int // 1-based
	TrainLoss float64
	ValLoss   float64 // NaN without a validation split
	Took      time.Duration
	Best      bool
}

// TrainSet is the data for one model: raw feature rows in time order.
type TrainSet struct {
	Name     string
	Features []string
	Rows     [][]float64
	// Exclude marks rows known to be abnormal (labelled anomalies, known
	// crises): windows touching them are not trained or validated on, and
	// they do not enter the normalisation statistics.
	Exclude []bool
	From    string
	To      string
}

func (m *Model) layout() layout { return newLayout(len(m.Norm.Mean), m.Config.Hidden) }

// NumParams is the number of trainable parameters.
func (m *Model) NumParams() int { return len(m.Params) }

// newModel initialises weights: Glorot-uniform input and output weights,
// orthogonal recurrent weights (one H×H block per gate), zero biases except
// the forget gate's, which is 1.
func newModel(cfg Config, d int, rng *rand.Rand) *Model {
	l := newLayout(d, cfg.Hidden)
	m := &Model{Config: cfg, Params: make([]float64, l.size)}
	p := m.Params
	glorot := func(g group, scale float64) {
		lim := scale * math.Sqrt(6/float64(g.Rows+g.Cols))
		for i := range g.of(p) {
			g.of(p)[i] = (2*rng.Float64() - 1) * lim
		}
	}
	glorot(l.encWx, cfg.InitScale)
	glorot(l.decWx, 1)
	glorot(l.wy, 1)
	h := cfg.Hidden
	for _, g := range []group{l.encWh, l.decWh} {
		w := g.of(p)
		for gate := range 4 {
			q := orthogonal(h, rng)
			for r := range h {
				for c := range h {
					w[r*4*h+gate*h+c] = q[r*h+c]
				}
			}
		}
	}
	for _, g := range []group{l.encB, l.decB} {
		b := g.of(p)
		for j := h; j < 2*h; j++ {
			b[j] = 1
		}
	}
	return m
}

// orthogonal returns an n×n orthogonal matrix: Gram–Schmidt on the rows of
// a standard normal matrix.
func orthogonal(n int, rng *rand.Rand) []float64 {
	q := make([]float64, n*n)
	for i := range q {
		q[i] = rng.NormFloat64()
	}
	for i := range n {
		ri := q[i*n : (i+1)*n]
		for k := range i {
			rk := q[k*n : (k+1)*n]
			dot := 0.0
			for j := range n {
				dot += ri[j] * rk[j]
			}
			for j := range n {
				ri[j] -= dot * rk[j]
			}
		}
		norm := 0.0
		for _, v := range ri {
			norm += v * v
		}
		norm = math.Sqrt(norm)
		for j := range ri {
			ri[j] /= norm
		}
	}
	return q
}

// windowOK reports which windows (by start row) avoid excluded rows.
func windowOK(n, t int, exclude []bool) []bool {
	ok := make([]bool, max(n-t+1, 0))
	bad := 0
	for i := 0; i < n; i++ {
		if exclude != nil && exclude[i] {
			bad++
		}
		if i >= t && exclude != nil && exclude[i-t] {
			bad--
		}
		if i >= t-1 {
			ok[i-t+1] = bad == 0
		}
	}
	return ok
}

// Train fits an autoencoder to set. Windows of cfg.Window consecutive rows
// are split chronologically: the oldest (1−ValFrac) train, the newest are
// the validation set for early stopping; the weights of the best validation
// epoch are kept. Features are standardised with statistics of the training
// rows only. The same seed, data and config give bit-for-bit the same model.
// ctx is checked before every epoch; progress (may be nil) sees each epoch.
func Train(ctx context.Context, cfg Config, set TrainSet, progress func(EpochStats)) (*Model, error) {
	cfg = cfg.Defaults()
	if len(set.Rows) == 0 {
		return nil, fmt.Errorf("train %s: no data", set.Name)
	}
	d := len(set.Rows[0])
	if err := cfg.validate(d); err != nil {
		return nil, fmt.Errorf("train %s: %w", set.Name, err)
	}
	t := cfg.Window
	ok := windowOK(len(set.Rows), t, set.Exclude)
	var starts []int
	for s := 0; s < len(ok); s += cfg.Stride {
		if ok[s] {
			starts = append(starts, s)
		}
	}
	if len(starts) < 2 {
		return nil, fmt.Errorf("train %s: %d rows give %d usable windows of %d steps; need more history", set.Name, len(set.Rows), len(starts), t)
	}
	nVal := int(float64(len(starts)) * cfg.ValFrac)
	trainStarts, valStarts := starts[:len(starts)-nVal], starts[len(starts)-nVal:]
	// Normalise with the rows of training windows only.
	use := make([]bool, len(set.Rows))
	for _, s := range trainStarts {
		for i := s; i < s+t; i++ {
			use[i] = true
		}
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed_a110c))
	m := newModel(cfg, d, rng)
	m.Features = append([]string(nil), set.Features...)
	m.Norm = FitNormalizer(set.Rows, use)
	rows := m.Norm.Apply(set.Rows)

	l := m.layout()
	w := lossWeights(t, cfg.Mask, cfg.MaskWeight)
	tr := newTrainer(l, cfg, t)
	best := append([]float64(nil), m.Params...)
	bestVal, bestEpoch, sinceBest := math.Inf(1), 0, 0
	order := append([]int(nil), trainStarts...)
	meta := Meta{Name: set.Name, TrainWindows: len(trainStarts), ValWindows: len(valStarts), Rows: len(set.Rows), From: set.From, To: set.To}
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("train %s: stopped before epoch %d: %w", set.Name, epoch, err)
		}
		start := time.Now()
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		trainLoss := 0.0
		for b := 0; b < len(order); b += cfg.Batch {
			batch := order[b:min(b+cfg.Batch, len(order))]
			trainLoss += tr.step(m.Params, rows, batch, w) * float64(len(batch))
		}
		trainLoss /= float64(len(order))
		valLoss := math.NaN()
		if len(valStarts) > 0 {
			valLoss = tr.evalLoss(m.Params, rows, valStarts, w)
		}
		crit := valLoss
		if math.IsNaN(crit) {
			crit = trainLoss
		}
		st := EpochStats{Name: set.Name, Epoch: epoch, TrainLoss: trainLoss, ValLoss: valLoss, Took: time.Since(start)}
		if crit < bestVal {
			bestVal, bestEpoch, sinceBest = crit, epoch, 0
			copy(best, m.Params)
			meta.TrainLoss, meta.ValLoss = trainLoss, valLoss
			st.Best = true
		} else {
			sinceBest++
		}
		meta.Epochs = epoch
		if progress != nil {
			progress(st)
		}
		if cfg.Patience >= 0 && sinceBest > cfg.Patience {
			break
		}
	}
	copy(m.Params, best)
	meta.BestEpoch = bestEpoch
	if math.IsNaN(meta.ValLoss) {
		meta.ValLoss = 0
	}
	m.Meta = meta
	return m, nil
}

// trainer holds Adam state and workspaces for one training run.
type trainer struct {
	l     layout
	cfg   Config
	t     int
	grad  []float64
	m, v  []float64
	nstep int
	ws    map[int]*workspace
	xs    [][]float64
	xv    [][]float64 // validation batches
}

func newTrainer(l layout, cfg Config, t int) *trainer {
	return &trainer{l: l, cfg: cfg, t: t, grad: make([]float64, l.size), m: make([]float64, l.size),
		v: make([]float64, l.size), ws: map[int]*workspace{}}
}

func (tr *trainer) workspace(b int) *workspace {
	ws, ok := tr.ws[b]
	if !ok {
		ws = newWorkspace(tr.l, b, tr.t)
		tr.ws[b] = ws
	}
	return ws
}

// gather copies the windows starting at starts into xs[t] (B×D each).
func gather(xs [][]float64, rows [][]float64, starts []int, t, d int) [][]float64 {
	if len(xs) != t || len(xs[0]) != len(starts)*d {
		xs = make([][]float64, t)
		flat := make([]float64, t*len(starts)*d)
		for i := range xs {
			xs[i] = flat[i*len(starts)*d : (i+1)*len(starts)*d]
		}
	}
	for b, s := range starts {
		for st := range t {
			copy(xs[st][b*d:(b+1)*d], rows[s+st])
		}
	}
	return xs
}

// step runs forward, backward, clipping and one Adam update; it returns the
// batch loss before the update.
func (tr *trainer) step(p []float64, rows [][]float64, batch []int, w []float64) float64 {
	ws := tr.workspace(len(batch))
	tr.xs = gather(tr.xs, rows, batch, tr.t, tr.l.D)
	tr.l.forward(p, ws, tr.xs, tr.cfg.Mask, tr.t)
	loss := tr.l.loss(ws, tr.xs, w)
	clear(tr.grad)
	tr.l.backward(p, tr.grad, ws, tr.xs, w)
	norm := 0.0
	for _, g := range tr.grad {
		norm += g * g
	}
	norm = math.Sqrt(norm)
	scale := 1.0
	if norm > tr.cfg.Clip {
		scale = tr.cfg.Clip / norm
	}
	const b1, b2, eps = 0.9, 0.999, 1e-8
	tr.nstep++
	c1 := 1 - math.Pow(b1, float64(tr.nstep))
	c2 := 1 - math.Pow(b2, float64(tr.nstep))
	lr := tr.cfg.LR
	for i, g := range tr.grad {
		g *= scale
		tr.m[i] = b1*tr.m[i] + (1-b1)*g
		tr.v[i] = b2*tr.v[i] + (1-b2)*g*g
		p[i] -= lr * (tr.m[i] / c1) / (math.Sqrt(tr.v[i]/c2) + eps)
	}
	return loss
}

// evalLoss is the mean loss over the windows starting at starts.
func (tr *trainer) evalLoss(p []float64, rows [][]float64, starts []int, w []float64) float64 {
	total := 0.0
	for b := 0; b < len(starts); b += tr.cfg.Batch {
		batch := starts[b:min(b+tr.cfg.Batch, len(starts))]
		ws := tr.workspace(len(batch))
		tr.xv = gather(tr.xv, rows, batch, tr.t, tr.l.D)
		xs := tr.xv
		tr.l.forward(p, ws, xs, tr.cfg.Mask, tr.t)
		total += tr.l.loss(ws, xs, w) * float64(len(batch))
	}
	return total / float64(len(starts))
}

// TrainResult is one model of TrainMany, or why it failed.
type TrainResult struct {
	Name  string
	Model *Model
	Err   error
}

// TrainMany trains one model per set, at most workers at a time (≤0: one per
// available core). Each model depends only on its own set and cfg, so the
// results equal those of training one at a time. Results keep the order of
// sets. progress may be called from several goroutines at once.
func TrainMany(ctx context.Context, cfg Config, sets []TrainSet, workers int, progress func(EpochStats)) []TrainResult {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := make([]TrainResult, len(sets))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i := range sets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			m, err := Train(ctx, cfg, sets[i], progress)
			out[i] = TrainResult{Name: sets[i].Name, Model: m, Err: err}
		}()
	}
	wg.Wait()
	return out
}
