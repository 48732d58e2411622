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

// TestParseDateMatchesTime checks the fast path against time.Parse on
// every day from 1600 to 2400 and on malformed and impossible dates.
func TestParseDateMatchesTime(t *testing.T) {
	for d := MustDate("1600-01-01"); d <= MustDate("2400-12-31"); d++ {
		s := d.Time().Format(DateLayout)
		got, err := ParseDate(s)
		if err != nil || got != d {
			t.Fatalf("ParseDate(%q) = %d, %v; want %d", s, got, err, d)
		}
	}
	for _, s := range []string{"2023-02-29", "2024-02-30", "2024-13-01", "2024-00-10", "2024-01-00", "2024-04-31",
		"2024-1-01", "24-01-01", "2024/01/01", "2024-01-01 ", "", "abcd-ef-gh", "+024-01-01", "2024-0a-01"} {
		_, err := ParseDate(s)
		_, terr := time.Parse(DateLayout, s)
		if (err == nil) != (terr == nil) {
			t.Errorf("ParseDate(%q) err = %v; time.Parse err = %v", s, err, terr)
		}
		if err == nil {
			continue
		}
		if _, ok := parseDateFast(s); ok {
			t.Errorf("parseDateFast(%q) accepted an invalid date", s)
		}
	}
}
