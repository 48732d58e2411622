package ml

import "math"

// The gate activations dominate the LSTM's time, so e^x is computed here
// rather than by math.Exp: range reduction x = k·ln2 + r with |r| ≤ ln2/2
// (k rounded by the 1.5·2^52 trick, no call), a degree-11 Taylor polynomial in
// r by Estrin's scheme (short dependency chains, so the CPU overlaps
// neighbouring elements), then scaling by 2^k through the exponent bits.
// Relative error is about 1e-15. Inputs are clamped to ±708, where e^x stays
// finite and normal; the gates saturate long before that. The float64
// conversions round every product, so no compiler fuses a multiply-add (the
// Go spec allows it, and GOAMD64=v3 does it): the bits do not depend on the
// target and equal those of the AVX2 kernels, which multiply and add apart.
const (
	log2e = 1.4426950408889634
	ln2hi = 6.93147180369123816490e-01
	ln2lo = 1.90821492927058770002e-10
	round = 6755399441055744.0 // 1.5·2^52
)

func exp(x float64) float64 {
	x = max(min(x, 708), -708)
	kr := float64(x*log2e) + round
	k := kr - round
	r := x - float64(k*ln2hi) - float64(k*ln2lo)
	r2 := r * r
	r4 := r2 * r2
	p := (1 + r + float64(r2*(1.0/2+float64(r*(1.0/6))))) +
		float64(r4*((1.0/24+float64(r*(1.0/120)))+float64(r2*(1.0/720+float64(r*(1.0/5040)))))) +
		float64(float64(r4*r4)*((1.0/40320+float64(r*(1.0/362880)))+float64(r2*(1.0/3628800+float64(r*(1.0/39916800))))))
	return float64(p * math.Float64frombits(uint64(int64(math.Float64bits(kr)&0xfffffffffffff)-(1<<51)+1023)<<52))
}

// sigm is the logistic function 1/(1+e^−x).
func sigm(x float64) float64 { return 1 / (1 + exp(-x)) }

// tanh is 1 − 2/(e^{2x}+1): exact to rounding in absolute terms, which is
// what the network needs.
func tanh(x float64) float64 { return 1 - 2/(exp(2*x)+1) }

// sigmRow and tanhRow apply the activations in place. With AVX2 they run
// four at a time in kern_amd64.s, with the same operations in the same order
// as sigmRowGo and tanhRowGo, so the bits do not depend on which ran.
func sigmRow(v []float64) {
	if useAVX2 && len(v) >= 4 {
		n := len(v) &^ 3
		sigmRowAVX(v[:n])
		v = v[n:]
	}
	sigmRowGo(v)
}

func tanhRow(v []float64) {
	if useAVX2 && len(v) >= 4 {
		n := len(v) &^ 3
		tanhRowAVX(v[:n])
		v = v[n:]
	}
	tanhRowGo(v)
}

// sigmRowGo and tanhRowGo are the portable activations, with exp written
// out inline (the compiler will not inline it: too large).
func sigmRowGo(v []float64) {
	for i, x := range v {
		x = -x
		if x > 708 {
			x = 708
		} else if x < -708 {
			x = -708
		}
		kr := float64(x*log2e) + round
		k := kr - round
		r := x - float64(k*ln2hi) - float64(k*ln2lo)
		r2 := r * r
		r4 := r2 * r2
		p := (1 + r + float64(r2*(1.0/2+float64(r*(1.0/6))))) +
			float64(r4*((1.0/24+float64(r*(1.0/120)))+float64(r2*(1.0/720+float64(r*(1.0/5040)))))) +
			float64(float64(r4*r4)*((1.0/40320+float64(r*(1.0/362880)))+float64(r2*(1.0/3628800+float64(r*(1.0/39916800))))))
		e := float64(p * math.Float64frombits(uint64(int64(math.Float64bits(kr)&0xfffffffffffff)-(1<<51)+1023)<<52))
		v[i] = 1 / (1 + e)
	}
}

func tanhRowGo(v []float64) {
	for i, x := range v {
		x *= 2
		if x > 708 {
			x = 708
		} else if x < -708 {
			x = -708
		}
		kr := float64(x*log2e) + round
		k := kr - round
		r := x - float64(k*ln2hi) - float64(k*ln2lo)
		r2 := r * r
		r4 := r2 * r2
		p := (1 + r + float64(r2*(1.0/2+float64(r*(1.0/6))))) +
			float64(r4*((1.0/24+float64(r*(1.0/120)))+float64(r2*(1.0/720+float64(r*(1.0/5040)))))) +
			float64(float64(r4*r4)*((1.0/40320+float64(r*(1.0/362880)))+float64(r2*(1.0/3628800+float64(r*(1.0/39916800))))))
		e := float64(p * math.Float64frombits(uint64(int64(math.Float64bits(kr)&0xfffffffffffff)-(1<<51)+1023)<<52))
		v[i] = 1 - 2/(e+1)
	}
}
