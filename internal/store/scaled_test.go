package store

import (
	"errors"
	"math"
	"testing"

	"github.com/shopspring/decimal"
)

func TestToScaled(t *testing.T) {
	tests := []struct {
		in     string
		places int32
		want   int64
		err    error
	}{
		{"0", 8, 0, nil},
		{"0.00000000000", 8, 0, nil},
		{"1", 8, 100000000, nil},
		{"-1.5", 6, -1500000, nil},
		{"1.12345678", 8, 112345678, nil},
		{"1.123456780000", 8, 112345678, nil},
		{"1.123456789", 8, 0, ErrPrecision},
		{"0.0000001", 6, 0, ErrPrecision},
		{"1e-30", 8, 0, ErrPrecision},
		{"1e-10000", 8, 0, ErrPrecision},
		{"12e3", 6, 12000000000, nil},
		{"92233720368.54775807", 8, math.MaxInt64, nil},
		{"-92233720368.54775808", 8, math.MinInt64, nil},
		{"92233720368.54775808", 8, 0, ErrOverflow},
		{"-92233720368.54775809", 8, 0, ErrOverflow},
		{"9223372036854.775807", 6, math.MaxInt64, nil},
		{"9223372036854.775808", 6, 0, ErrOverflow},
		{"1e13", 6, 0, ErrOverflow},
		{"1e10000", 6, 0, ErrOverflow},
		{"123456789012345678901234567890e-20", 8, 0, ErrPrecision},
		{"12345678901234567000000000000e-20", 8, 12345678901234567, nil},
		{"100000000000000000000e-20", 8, 100000000, nil},
		{"-100000000000000000000e-20", 8, -100000000, nil},
		{"1000000000000000000000", 0, 0, ErrOverflow},
	}
	for _, tt := range tests {
		got, err := toScaled(decimal.RequireFromString(tt.in), tt.places)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("toScaled(%s, %d) = %d, %v; want %d, %v", tt.in, tt.places, got, err, tt.want, tt.err)
		}
	}
	// Extreme exponents fail fast instead of expanding 10^exp.
	if _, err := toScaled(decimal.New(1, math.MinInt32), 8); !errors.Is(err, ErrPrecision) {
		t.Errorf("toScaled(1e%d) = %v, want ErrPrecision", math.MinInt32, err)
	}
	if _, err := toScaled(decimal.New(1, math.MaxInt32), 8); !errors.Is(err, ErrOverflow) {
		t.Errorf("toScaled(1e%d) = %v, want ErrOverflow", math.MaxInt32, err)
	}
}

// FuzzScaledRoundTrip: whatever toScaled accepts comes back equal through
// fromScaled and through the decimal string form; whatever it rejects had
// digits beyond the scale or was out of range, never silently rounded.
func FuzzScaledRoundTrip(f *testing.F) {
	for _, s := range []string{"0", "1", "-1.5", "1.12345678", "1.123456789", "92233720368.54775807",
		"92233720368.54775808", "-9223372036854.775808", "1e-10000", "1e19", "0.000001", "3.14159265358979"} {
		f.Add(s, uint8(8))
		f.Add(s, uint8(6))
	}
	f.Fuzz(func(t *testing.T, s string, places uint8) {
		p := int32(places % 19)
		d, err := decimal.NewFromString(s)
		if err != nil {
			return
		}
		v, err := toScaled(d, p)
		if err != nil {
			if !errors.Is(err, ErrPrecision) && !errors.Is(err, ErrOverflow) {
				t.Fatalf("toScaled(%s, %d): unexpected error %v", s, p, err)
			}
			if errors.Is(err, ErrPrecision) && d.Equal(d.Truncate(p)) {
				t.Fatalf("toScaled(%s, %d) = ErrPrecision, but it has at most %d places", s, p, p)
			}
			return
		}
		back := fromScaled(v, p)
		if !back.Equal(d) {
			t.Fatalf("fromScaled(toScaled(%s, %d) = %d) = %s", s, p, v, back)
		}
		again, err := toScaled(decimal.RequireFromString(back.String()), p)
		if err != nil || again != v {
			t.Fatalf("string round trip of %s at %d places: %d, %v; want %d", s, p, again, err, v)
		}
	})
}

// FuzzFromScaled: every int64 survives fromScaled then toScaled.
func FuzzFromScaled(f *testing.F) {
	for _, v := range []int64{0, 1, -1, 123456789, math.MaxInt64, math.MinInt64} {
		f.Add(v, uint8(8))
	}
	f.Fuzz(func(t *testing.T, v int64, places uint8) {
		p := int32(places % 19)
		got, err := toScaled(fromScaled(v, p), p)
		if err != nil || got != v {
			t.Fatalf("toScaled(fromScaled(%d, %d)) = %d, %v", v, p, got, err)
		}
	})
}
