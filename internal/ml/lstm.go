package ml

import "gonum.org/v1/gonum/floats"

// The network, in the row-vector batch convention of ml.md §2.3:
//
//	encoder  a_t = x_t Wx + h_{t-1} Wh + b,  gates [i f o g] = [σ σ σ tanh](a_t)
//	         c_t = f⊙c_{t-1} + i⊙g,  h_t = o⊙tanh(c_t),  z = h_T
//	decoder  the same cell with input z at every step ("repeat vector") and a
//	         zero initial state; ŷ_t = h^d_t Wy + by
//
// The encoder sees the window with its newest Mask steps set to zero (the
// training mean after standardisation) while the decoder must reconstruct
// every step, so the error at the newest steps measures how far today departs
// from what the rest of the window makes expected. With Mask = 0 it is the
// plain EncDec autoencoder.
//
// All parameters live in one flat slice (params) so Adam, gradient clipping,
// the gradient check and serialisation treat them alike; the named groups
// below are views into it.

// group is one parameter group: a view into the flat parameter slice.
type group struct {
	Name       string
	Rows, Cols int
	off        int
}

func (g group) of(p []float64) []float64 { return p[g.off : g.off+g.Rows*g.Cols] }

// layout places the parameter groups of a T×D→H autoencoder.
type layout struct {
	D, H                                   int
	encWx, encWh, encB, decWx, decWh, decB group
	wy, by                                 group
	size                                   int
	groups                                 []group
}

func newLayout(d, h int) layout {
	l := layout{D: d, H: h}
	off := 0
	add := func(name string, r, c int) group {
		g := group{Name: name, Rows: r, Cols: c, off: off}
		off += r * c
		l.groups = append(l.groups, g)
		return g
	}
	l.encWx = add("encoder.Wx", d, 4*h)
	l.encWh = add("encoder.Wh", h, 4*h)
	l.encB = add("encoder.b", 1, 4*h)
	l.decWx = add("decoder.Wx", h, 4*h)
	l.decWh = add("decoder.Wh", h, 4*h)
	l.decB = add("decoder.b", 1, 4*h)
	l.wy = add("output.Wy", h, d)
	l.by = add("output.by", 1, d)
	l.size = off
	return l
}

// stepCache holds what the backward pass needs from one time step.
type stepCache struct {
	gates []float64 // B×4H activated [i f o g]
	c     []float64 // B×H cell state c_t
	tc    []float64 // B×H tanh(c_t)
	h     []float64 // B×H hidden state h_t
}

// workspace is the per-batch scratch of one model: caches for both LSTMs and
// the gradient buffers. It is reused across batches (no allocation per step).
type workspace struct {
	B, T                int
	enc, dec            []stepCache
	x                   [][]float64 // T × (B×D) encoder input (masked)
	y                   [][]float64 // T × (B×D) decoder output ŷ_t
	zero                []float64   // B×H zeros: h_0 and c_0
	za                  []float64   // B×4H: z·Wx_dec + b_dec
	dh, dc, dhNext, da  []float64
	dSumA, dz, dy, tmpH []float64
}

func newWorkspace(l layout, b, t int) *workspace {
	w := &workspace{B: b, T: t}
	h4 := 4 * l.H
	mk := func() []stepCache {
		s := make([]stepCache, t)
		for i := range s {
			s[i] = stepCache{gates: make([]float64, b*h4), c: make([]float64, b*l.H), tc: make([]float64, b*l.H), h: make([]float64, b*l.H)}
		}
		return s
	}
	w.enc, w.dec = mk(), mk()
	w.x = make([][]float64, t)
	w.y = make([][]float64, t)
	for i := range t {
		w.x[i] = make([]float64, b*l.D)
		w.y[i] = make([]float64, b*l.D)
	}
	w.zero = make([]float64, b*l.H)
	w.za = make([]float64, b*h4)
	w.dh, w.dc, w.dhNext, w.tmpH = make([]float64, b*l.H), make([]float64, b*l.H), make([]float64, b*l.H), make([]float64, b*l.H)
	w.da, w.dSumA = make([]float64, b*h4), make([]float64, b*h4)
	w.dz = make([]float64, b*l.H)
	w.dy = make([]float64, b*l.D)
	return w
}

// gemmAcc sets out[i*n+c] += Σ_kk a[i*sRow+kk*sK]·w[kk*n+c] for i < rows,
// c < n, summing over kk < k in ascending order: the AVX2 kernel when n is a
// multiple of 16 (the gate width 4H for H a multiple of 4), else false.
func gemmAcc(out, a, w []float64, rows, k, n, sRow, sK int) bool {
	if !useAVX2 || n%16 != 0 || rows <= 0 || k <= 0 {
		return false
	}
	if len(out) < rows*n || len(w) < k*n || len(a) <= (rows-1)*sRow+(k-1)*sK {
		panic("ml: gemmAcc: slice too short")
	}
	gemmAccAVX(out, a, w, rows, k, n, sRow, sK)
	return true
}

// matAdd sets out += a·w for a (rows×k) and w (k×n), all row-major.
func matAdd(out, a, w []float64, rows, k, n int) {
	if !gemmAcc(out, a, w, rows, k, n, k, 1) {
		matAddGo(out, a, w, rows, k, n)
	}
}

func matAddGo(out, a, w []float64, rows, k, n int) {
	if n == 1 { // the output layer at D = 1: no call per element
		for r := range rows {
			o := out[r]
			for j, s := range a[r*k : (r+1)*k] {
				if s != 0 {
					o += float64(s * w[j])
				}
			}
			out[r] = o
		}
		return
	}
	for r := range rows {
		o := out[r*n : (r+1)*n]
		ar := a[r*k : (r+1)*k]
		for j, s := range ar {
			if s != 0 {
				floats.AddScaled(o, s, w[j*n:(j+1)*n])
			}
		}
	}
}

// matTransAdd sets out += a·wᵀ for a (rows×n) and w (k×n).
func matTransAdd(out, a, w []float64, rows, k, n int) {
	if useAVX2 && k%4 == 0 && n%4 == 0 && rows > 0 && k > 0 && n > 0 {
		if len(out) < rows*k || len(a) < rows*n || len(w) < k*n {
			panic("ml: matTransAdd: slice too short")
		}
		dotRowsAVX(out, a, w, rows, k, n)
		return
	}
	matTransAddGo(out, a, w, rows, k, n)
}

func matTransAddGo(out, a, w []float64, rows, k, n int) {
	if n == 1 { // as floats.Dot of length 1 sums: 0 + x·y
		for r, ar := range a[:rows] {
			o := out[r*k : (r+1)*k]
			for j := range o {
				o[j] += float64(ar*w[j]) + 0
			}
		}
		return
	}
	for r := range rows {
		ar := a[r*n : (r+1)*n]
		o := out[r*k : (r+1)*k]
		for j := range k {
			o[j] += floats.Dot(ar, w[j*n:(j+1)*n])
		}
	}
}

// outerAdd sets g += aᵀ·d for a (rows×k) and d (rows×n): a weight gradient.
func outerAdd(g, a, d []float64, rows, k, n int) {
	if !gemmAcc(g, a, d, k, rows, n, 1, k) {
		outerAddGo(g, a, d, rows, k, n)
	}
}

func outerAddGo(g, a, d []float64, rows, k, n int) {
	if n == 1 {
		g = g[:k]
		for r, dr := range d[:rows] {
			for j, s := range a[r*k : (r+1)*k] {
				if s != 0 {
					g[j] += float64(s * dr)
				}
			}
		}
		return
	}
	for r := range rows {
		ar := a[r*k : (r+1)*k]
		dr := d[r*n : (r+1)*n]
		for j, s := range ar {
			if s != 0 {
				floats.AddScaled(g[j*n:(j+1)*n], s, dr)
			}
		}
	}
}

// colSumAdd sets g[j] += Σ_r d[r,j].
func colSumAdd(g, d []float64, rows, n int) {
	for r := range rows {
		floats.Add(g, d[r*n:(r+1)*n])
	}
}

// cellForward runs one LSTM step for a batch: pre holds a_t without the
// recurrent term; it adds h_{t-1}·Wh, activates into s.gates and fills c, tc, h.
func cellForward(s *stepCache, pre, hPrev, cPrev, wh []float64, b, h int) {
	h4 := 4 * h
	copy(s.gates, pre)
	matAdd(s.gates, hPrev, wh, b, h, h4)
	for r := range b {
		g := s.gates[r*h4 : (r+1)*h4]
		sigmRow(g[:3*h])
		tanhRow(g[3*h:])
		c, tc, hh := s.c[r*h:(r+1)*h], s.tc[r*h:(r+1)*h], s.h[r*h:(r+1)*h]
		cp := cPrev[r*h : (r+1)*h]
		for j := range h {
			c[j] = g[h+j]*cp[j] + g[j]*g[3*h+j]
		}
		copy(tc, c)
		tanhRow(tc)
		for j := range h {
			hh[j] = g[2*h+j] * tc[j]
		}
	}
}

// cellBackward turns dh (total gradient into h_t) and dc (gradient into c_t
// from step t+1, already multiplied by f_{t+1}) into da (gradient of a_t),
// and leaves in dc the carry for step t-1 (dc_t ⊙ f_t).
func cellBackward(s *stepCache, cPrev, dh, dc, da []float64, b, h int) {
	h4 := 4 * h
	for r := range b {
		g := s.gates[r*h4 : (r+1)*h4]
		tc := s.tc[r*h : (r+1)*h]
		cp := cPrev[r*h : (r+1)*h]
		dhr, dcr, dar := dh[r*h:(r+1)*h], dc[r*h:(r+1)*h], da[r*h4:(r+1)*h4]
		for j := range h {
			i, f, o, gg := g[j], g[h+j], g[2*h+j], g[3*h+j]
			dct := dhr[j]*o*(1-tc[j]*tc[j]) + dcr[j]
			dar[j] = dct * gg * i * (1 - i)
			dar[h+j] = dct * cp[j] * f * (1 - f)
			dar[2*h+j] = dhr[j] * tc[j] * o * (1 - o)
			dar[3*h+j] = dct * i * (1 - gg*gg)
			dcr[j] = dct * f
		}
	}
}

// forward runs the autoencoder on a batch. xs[t] is the B×D true input at
// step t (standardised); steps t ≥ T−mask are zeroed for the encoder. It
// fills ws.y[s] with the reconstruction of step T−1−s for the first decSteps
// decoder steps.
func (l layout) forward(p []float64, ws *workspace, xs [][]float64, mask, decSteps int) {
	b, t, h, d := ws.B, ws.T, l.H, l.D
	h4 := 4 * h
	encWx, encWh, encB := l.encWx.of(p), l.encWh.of(p), l.encB.of(p)
	for st := range t {
		xin := ws.x[st]
		if st >= t-mask {
			clear(xin)
		} else {
			copy(xin, xs[st])
		}
		pre := ws.da // scratch: a_t without the recurrent term
		for r := range b {
			copy(pre[r*h4:(r+1)*h4], encB)
		}
		matAdd(pre, xin, encWx, b, d, h4)
		hp, cp := ws.zero, ws.zero
		if st > 0 {
			hp, cp = ws.enc[st-1].h, ws.enc[st-1].c
		}
		cellForward(&ws.enc[st], pre, hp, cp, encWh, b, h)
	}
	z := ws.enc[t-1].h
	decB := l.decB.of(p)
	for r := range b {
		copy(ws.za[r*h4:(r+1)*h4], decB)
	}
	matAdd(ws.za, z, l.decWx.of(p), b, h, h4)
	decWh, wy, by := l.decWh.of(p), l.wy.of(p), l.by.of(p)
	for st := range decSteps {
		hp, cp := ws.zero, ws.zero
		if st > 0 {
			hp, cp = ws.dec[st-1].h, ws.dec[st-1].c
		}
		cellForward(&ws.dec[st], ws.za, hp, cp, decWh, b, h)
		y := ws.y[st]
		for r := range b {
			copy(y[r*d:(r+1)*d], by)
		}
		matAdd(y, ws.dec[st].h, wy, b, h, d)
	}
}

// lossWeights returns the per-step loss weights, normalised to sum to one:
// masked steps weigh maskWeight, the others 1.
func lossWeights(t, mask int, maskWeight float64) []float64 {
	w := make([]float64, t)
	sum := 0.0
	for i := range w {
		w[i] = 1
		if i >= t-mask {
			w[i] = maskWeight
		}
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
	return w
}

// loss is Σ_t w_t · mean_{b,d} (ŷ_t − x_t)² over the batch after a full
// forward (decSteps = T).
func (l layout) loss(ws *workspace, xs [][]float64, w []float64) float64 {
	n := float64(ws.B * l.D)
	total := 0.0
	for s, y := range ws.y {
		t := ws.T - 1 - s
		sum := 0.0
		for i, v := range y {
			e := v - xs[t][i]
			sum += e * e
		}
		total += w[t] * sum / n
	}
	return total
}

// backward adds the gradient of loss (after forward on the same batch) to g.
func (l layout) backward(p, g []float64, ws *workspace, xs [][]float64, w []float64) {
	b, t, h, d := ws.B, ws.T, l.H, l.D
	h4 := 4 * h
	n := float64(b * d)
	wy := l.wy.of(p)
	gWy, gBy := l.wy.of(g), l.by.of(g)
	decWh, gDecWh := l.decWh.of(p), l.decWh.of(g)
	clear(ws.dhNext)
	clear(ws.dc)
	clear(ws.dSumA)
	for st := t - 1; st >= 0; st-- {
		s := &ws.dec[st]
		tt := t - 1 - st // the window step this decoder step rebuilds
		scale := 2 * w[tt] / n
		for i, v := range ws.y[st] {
			ws.dy[i] = scale * (v - xs[tt][i])
		}
		outerAdd(gWy, s.h, ws.dy, b, h, d)
		colSumAdd(gBy, ws.dy, b, d)
		copy(ws.dh, ws.dhNext)
		matTransAdd(ws.dh, ws.dy, wy, b, h, d)
		hp, cp := ws.zero, ws.zero
		if st > 0 {
			hp, cp = ws.dec[st-1].h, ws.dec[st-1].c
		}
		cellBackward(s, cp, ws.dh, ws.dc, ws.da, b, h)
		outerAdd(gDecWh, hp, ws.da, b, h, h4)
		floats.Add(ws.dSumA, ws.da)
		clear(ws.dhNext)
		if st > 0 {
			matTransAdd(ws.dhNext, ws.da, decWh, b, h, h4)
		}
	}
	z := ws.enc[t-1].h
	outerAdd(l.decWx.of(g), z, ws.dSumA, b, h, h4)
	colSumAdd(l.decB.of(g), ws.dSumA, b, h4)
	clear(ws.dz)
	matTransAdd(ws.dz, ws.dSumA, l.decWx.of(p), b, h, h4)

	encWh := l.encWh.of(p)
	gEncWx, gEncWh, gEncB := l.encWx.of(g), l.encWh.of(g), l.encB.of(g)
	copy(ws.dh, ws.dz)
	clear(ws.dc)
	for st := t - 1; st >= 0; st-- {
		s := &ws.enc[st]
		hp, cp := ws.zero, ws.zero
		if st > 0 {
			hp, cp = ws.enc[st-1].h, ws.enc[st-1].c
		}
		cellBackward(s, cp, ws.dh, ws.dc, ws.da, b, h)
		outerAdd(gEncWx, ws.x[st], ws.da, b, d, h4)
		outerAdd(gEncWh, hp, ws.da, b, h, h4)
		colSumAdd(gEncB, ws.da, b, h4)
		if st > 0 {
			clear(ws.dh)
			matTransAdd(ws.dh, ws.da, encWh, b, h, h4)
		}
	}
}
