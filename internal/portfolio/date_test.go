package portfolio

import (
	"testing"
	"time"
)

// TestDateStringMatchesTime checks the hand-written formatting against
// time.Format on every day from 1600 to 2400 (leap centuries included) and
// a few far dates.
func TestDateStringMatchesTime(t *testing.T) {
	from, to := MustDate("1600-01-01"), MustDate("2400-12-31")
	days := []Date{0, -1, -719468, -719469, MustDate("0000-01-01"), MustDate("9999-12-31"), MustDate("9999-12-31") + 1, -800000}
	for d := from; d <= to; d++ {
		days = append(days, d)
	}
	for _, d := range days {
		if got, want := d.String(), d.Time().Format(DateLayout); got != want {
			t.Fatalf("Date(%d).String() = %q; want %q", int32(d), got, want)
		}
	}
	for _, s := range []string{"2000-02-29", "1900-02-28", "1900-03-01", "2024-12-31", "1970-01-01", "1969-12-31"} {
		if got := MustDate(s).String(); got != s {
			t.Errorf("MustDate(%q).String() = %q", s, got)
		}
	}
	if got := DateOf(time.Date(2008, 11, 20, 23, 59, 0, 0, time.UTC)).String(); got != "2008-11-20" {
		t.Errorf("DateOf(...).String() = %q", got)
	}
}
