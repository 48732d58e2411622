package wire

import (
	"strconv"
)

// Number is a decimal field read exactly from its text: Coef × 10^Exp.
// Prices and quantities stay out of float64 this way; the domain turns a
// Number into a decimal.Decimal with decimal.New(Coef, Exp).
// Set is false for an empty field and for the API's "unset" doubles
// (DBL_MAX, anything ≥ 1e300, Infinity, NaN).
type Number struct {
	Coef int64
	Exp  int32
	Set  bool
}

// String writes the number in plain decimal notation ("" when unset).
func (n Number) String() string {
	if !n.Set {
		return ""
	}
	s := strconv.FormatInt(n.Coef, 10)
	if n.Exp >= 0 {
		for range n.Exp {
			s += "0"
		}
		return s
	}
	neg := n.Coef < 0
	if neg {
		s = s[1:]
	}
	places := int(-n.Exp)
	for len(s) <= places {
		s = "0" + s
	}
	s = s[:len(s)-places] + "." + s[len(s)-places:]
	if neg {
		s = "-" + s
	}
	return s
}

// ParseNumber reads a decimal field. Up to 18 significant digits are kept
// exactly, exponent forms included; longer ones go through float64 and keep
// its shortest round-trip digits.
func ParseNumber(b []byte) (Number, error) {
	if len(b) == 0 {
		return Number{}, nil
	}
	var coef int64
	var exp int32
	i, digits := 0, 0
	neg := false
	switch b[0] {
	case '-':
		neg, i = true, 1
	case '+':
		i = 1
	}
	seenDot, seenDigit := false, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			seenDigit = true
			if coef == 0 && c == '0' {
				if seenDot {
					exp--
				}
				continue
			}
			if digits == 18 {
				// Zeros past int64's digits keep the value exact as an
				// exponent (or, after the point, change nothing).
				if c != '0' {
					return parseNumberSlow(b)
				}
				if !seenDot {
					exp++
				}
				continue
			}
			coef = coef*10 + int64(c-'0')
			digits++
			if seenDot {
				exp--
			}
		case c == '.' && !seenDot:
			seenDot = true
		case (c == 'e' || c == 'E') && seenDigit:
			e, err := ParseInt(b[i+1:])
			if err != nil || i+1 == len(b) || e > 1000 || e < -1000 {
				return parseNumberSlow(b)
			}
			if int64(digits)-1+int64(exp)+e >= 300 {
				return Number{}, nil // the API's DBL_MAX "unset"
			}
			exp += int32(e)
			i = len(b)
		default:
			return parseNumberSlow(b)
		}
	}
	if !seenDigit {
		return parseNumberSlow(b)
	}
	if neg {
		coef = -coef
	}
	if coef == 0 {
		exp = 0
	}
	return Number{Coef: coef, Exp: exp, Set: true}, nil
}

func parseNumberSlow(b []byte) (Number, error) {
	f, err := ParseFloat(b)
	if err != nil {
		return Number{}, err
	}
	if Unset(f) {
		return Number{}, nil
	}
	// More digits than int64 holds: keep the double's shortest exact form.
	s := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, e, _ := cutE(s)
	neg := mant[0] == '-'
	if neg {
		mant = mant[1:]
	}
	digits := mant
	if len(mant) > 1 {
		digits = mant[:1] + mant[2:]
	}
	coef, _ := strconv.ParseInt(digits, 10, 64)
	exp, _ := strconv.Atoi(e)
	if neg {
		coef = -coef
	}
	n := Number{Coef: coef, Exp: int32(exp - (len(digits) - 1)), Set: true}
	for n.Coef != 0 && n.Coef%10 == 0 {
		n.Coef /= 10
		n.Exp++
	}
	if n.Coef == 0 {
		n.Exp = 0
	}
	return n, nil
}

func cutE(s string) (mant, exp string, ok bool) {
	for i := range len(s) {
		if s[i] == 'e' || s[i] == 'E' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "0", false
}

// Float is the number as a float64, for statistics and display only.
func (n Number) Float() float64 {
	f, _ := strconv.ParseFloat(n.String(), 64)
	return f
}
