package tax

import (
	"slices"
	"testing"
)

func TestIdentical(t *testing.T) {
	id, err := NewIdentical(DefaultIdentical, [][]string{{"splg", "SPYM"}, {"VTI", "SCHB"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"AAPL", "AAPL", true},          // a symbol is always identical to itself
		{"aapl", "AAPL", true},          // case-insensitive
		{"VOO", "IVV", true},            // same index (conservative default)
		{"SPYM", "VOO", true},           // a config group joins the built-in one through SPLG
		{"VTI", "SCHB", true},           // the config can be stricter than the defaults
		{"VTI", "ITOT", false},          // different index: harvest partners
		{"MSFT", "AAPL", false},         // different companies
		{"GOOG", "GOOGL", true},         // share classes
		{"UNKNOWN1", "UNKNOWN2", false}, // symbols in no group
	} {
		if got := id.Same(c.a, c.b); got != c.want {
			t.Errorf("Same(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
		if (id.Key(c.a) == id.Key(c.b)) != c.want {
			t.Errorf("Key(%s) = %s, Key(%s) = %s: equality should be %v", c.a, id.Key(c.a), c.b, id.Key(c.b), c.want)
		}
	}
	if g := id.Group("ivv"); !slices.Contains(g, "SPYM") || !slices.Contains(g, "VOO") {
		t.Errorf("Group(IVV) = %v", g)
	}
	if _, err := NewIdentical([][]string{{}}); err == nil {
		t.Error("an empty group was accepted")
	}
	var none *Identical
	if !none.Same("X", "x") || none.Same("X", "Y") {
		t.Error("a nil relation must still treat a symbol as identical to itself only")
	}
}
