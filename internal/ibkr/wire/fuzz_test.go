package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzFrameDecode feeds arbitrary byte streams through the frame reader,
// the field splitter and the incoming layouts: nothing may panic, every
// error must be one of ours, and whatever decodes must encode back to the
// same fields.
func FuzzFrameDecode(f *testing.F) {
	f.Add(frameOf("1", "6", "7", "1", "187.5", "100", "0"))
	f.Add(frameOf("17", "3", "20080101", "20081120", "1", "20081120", "1", "2", "0.5", "1.5", "100", "1.2", "3"))
	f.Add(frameOf("4", "2", "-1", "2104", "Market data farm connection is OK:usfarm", ""))
	f.Add([]byte{0, 0, 0, 2, '9', 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := NewFrameReader(bytes.NewReader(data))
		var fs [][]byte
		for {
			p, err := fr.Next()
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF && !errors.Is(err, ErrFrameTooLong) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			fs, err = Split(p, fs)
			if err != nil {
				continue
			}
			m, ok, err := Decode(Incoming, fs)
			if err != nil || !ok {
				continue
			}
			frame, err := m.Layout.Encode(nil, m)
			if err != nil {
				t.Fatalf("%s decoded but does not encode: %v", m.Layout.Name, err)
			}
			if !bytes.Equal(frame[4:], p) {
				t.Fatalf("%s: re-encoded %q, read %q", m.Layout.Name, frame[4:], p)
			}
		}
	})
}

// FuzzParseNumber checks that a number that parses prints back to text
// that parses to the same value.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"187.50", "-0.25", "1.7976931348623157E308", "1e-7", "0", "", "12345678901234567890"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNumber([]byte(s))
		if err != nil || !n.Set {
			return
		}
		back, err := ParseNumber([]byte(n.String()))
		if err != nil || back.Set != n.Set || back.String() != n.String() {
			t.Fatalf("%q → %q → %q (%v)", s, n.String(), back.String(), err)
		}
	})
}
