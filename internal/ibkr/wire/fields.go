package wire

import (
	"math"
	"strconv"
	"unsafe"
)

// UnsetInt is the official API's "no value" for integers (Java's
// Integer.MAX_VALUE); the server sends it literally in some fields.
const UnsetInt = math.MaxInt32

// Unset reports whether a double the server sent means "no value": the
// official API's DBL_MAX, or anything from 1e300 up (reference/ibkr.md §2.1).
func Unset(f float64) bool { return f >= 1e300 || math.IsInf(f, 0) || math.IsNaN(f) }

// str views b as a string without copying, for parsing only: the result
// must not outlive b (strconv's error values copy their input).
func str(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// ParseInt reads an integer field; "" reads as 0, as the official decoder does.
func ParseInt(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, nil
	}
	// Fast path for the short non-negative ids and tick types that dominate
	// market data.
	if len(b) <= 18 {
		var v int64
		neg := b[0] == '-'
		i := 0
		if neg {
			i = 1
		}
		if i < len(b) {
			for ; i < len(b); i++ {
				c := b[i] - '0'
				if c > 9 {
					goto slow
				}
				v = v*10 + int64(c)
			}
			if neg {
				v = -v
			}
			return v, nil
		}
	}
slow:
	v, err := strconv.ParseInt(str(b), 10, 64)
	if err != nil {
		return 0, &FieldError{Value: string(b), Want: "an integer"}
	}
	return v, nil
}

// ParseFloat reads a double field; "" reads as 0. Callers check Unset.
func ParseFloat(b []byte) (float64, error) {
	if len(b) == 0 {
		return 0, nil
	}
	switch str(b) {
	case "Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	v, err := strconv.ParseFloat(str(b), 64)
	if err != nil {
		return 0, &FieldError{Value: string(b), Want: "a number"}
	}
	return v, nil
}

// ParseBool reads "1"/"0" (and "true"/"false", which some servers send).
func ParseBool(b []byte) (bool, error) {
	switch str(b) {
	case "1", "true", "True":
		return true, nil
	case "0", "", "false", "False":
		return false, nil
	}
	return false, &FieldError{Value: string(b), Want: "a boolean (1 or 0)"}
}

// FieldError reports a field whose text is not of its layout's kind.
type FieldError struct {
	Message string // layout name, filled in by the decoder
	Field   string // field name, filled in by the decoder
	Value   string
	Want    string
}

func (e *FieldError) Error() string {
	where := e.Field
	if e.Message != "" {
		where = e.Message + "." + e.Field
	}
	if where == "" {
		return strconv.Quote(e.Value) + " is not " + e.Want
	}
	return where + ": " + strconv.Quote(e.Value) + " is not " + e.Want
}

// FormatFloat writes a double the way the official clients do: shortest
// round-trip form, unset as "" where the layout allows empty.
func FormatFloat(f float64) string {
	if Unset(f) {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
