package importer

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

var (
	brokerage = portfolio.Account{ID: "acct-brokerage", Name: "Brokerage", Broker: "ibkr", Number: "U7654321", TaxType: portfolio.Taxable, LotMethod: portfolio.FIFO}
	roth      = portfolio.Account{ID: "acct-roth", Name: "Roth", Broker: "ibkr", Number: "U7654322", TaxType: portfolio.RothIRA, LotMethod: portfolio.FIFO}
)

// resolve finds the test accounts by name (any case) or number.
func resolve(ref string) (portfolio.Account, bool) {
	for _, a := range []portfolio.Account{brokerage, roth} {
		if strings.EqualFold(ref, a.Name) || ref == a.Number {
			return a, true
		}
	}
	return portfolio.Account{}, false
}

var decimalEqual = cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// rowErr asserts that err is a *RowError and returns it.
func rowErr(t *testing.T, err error) *RowError {
	t.Helper()
	var re *RowError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *RowError", err, err)
	}
	if strings.ContainsAny(re.Error(), "\n\r") {
		t.Errorf("error message spans lines: %q", re.Error())
	}
	return re
}

// checkTrade verifies the field rules every imported trade satisfies.
func checkTrade(t portfolio.Trade) error {
	if t.ID == "" || t.Key == "" {
		return fmt.Errorf("empty ID or Key")
	}
	if t.AccountID != brokerage.ID && t.AccountID != roth.ID {
		return fmt.Errorf("account %q", t.AccountID)
	}
	if t.Action.DayRank() >= len(portfolio.Actions) {
		return fmt.Errorf("action %q", t.Action)
	}
	if t.Action.NeedsSymbol() && !validSymbol(t.Symbol) {
		return fmt.Errorf("symbol %q", t.Symbol)
	}
	if t.Symbol != "" && !validSymbol(t.Symbol) {
		return fmt.Errorf("symbol %q", t.Symbol)
	}
	if t.Action.NeedsQuantity() {
		if !t.Quantity.IsPositive() || !t.Quantity.Equal(portfolio.RoundQty(t.Quantity)) {
			return fmt.Errorf("quantity %s", t.Quantity)
		}
	} else if !t.Quantity.IsZero() {
		return fmt.Errorf("quantity %s on %s", t.Quantity, t.Action)
	}
	for name, m := range map[string]decimal.Decimal{"price": t.Price, "fees": t.Fees, "amount": t.Amount} {
		if m.IsNegative() || !m.Equal(portfolio.RoundMoney(m)) {
			return fmt.Errorf("%s %s", name, m)
		}
	}
	switch t.Action {
	case portfolio.Dividend, portfolio.Deposit, portfolio.Withdrawal, portfolio.Fee, portfolio.Interest:
		if !t.Amount.IsPositive() {
			return fmt.Errorf("amount %s on %s", t.Amount, t.Action)
		}
	}
	if t.Currency != "USD" && (t.Action != portfolio.Split || len(t.Currency) != 3 || strings.ToUpper(t.Currency) != t.Currency) {
		return fmt.Errorf("currency %q on %s", t.Currency, t.Action) // only USD moves cash until FX exists
	}
	if t.Action == portfolio.Split {
		if t.SplitFrom.IsNegative() || !t.SplitFrom.Equal(portfolio.RoundQty(t.SplitFrom)) {
			return fmt.Errorf("split from %s", t.SplitFrom)
		}
	} else if !t.SplitFrom.IsZero() {
		return fmt.Errorf("split from %s on %s", t.SplitFrom, t.Action)
	}
	if len(t.Lots) > 0 && t.Action != portfolio.Sell {
		return fmt.Errorf("lots on %s", t.Action)
	}
	for _, l := range t.Lots {
		if l.LotID == "" || l.Quantity.IsNegative() || !l.Quantity.Equal(portfolio.RoundQty(l.Quantity)) {
			return fmt.Errorf("lot pick %+v", l)
		}
	}
	return nil
}

func TestRowErrorMessage(t *testing.T) {
	tests := []struct {
		err  RowError
		want string
	}{
		{RowError{File: "trades.csv", Line: 14, Column: 6, Field: "quantity", Value: "-3", Expected: wantQuantity},
			`trades.csv:14:6: quantity "-3": want a positive number such as 10 or 0.5`},
		{RowError{File: "trades.csv", Line: 1, Field: "columns", Value: "id", Expected: "x"},
			`trades.csv:1: columns "id": want x`},
		{RowError{File: "f.xml", Line: 3, Expected: "well-formed XML: unexpected EOF"},
			`f.xml:3: want well-formed XML: unexpected EOF`},
		{RowError{Field: "note", Value: "a\nb", Expected: "one\nline"},
			`input: note "a\nb": want one line`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestRowErrorAt(t *testing.T) {
	r := Row{Line: 7, Cols: map[string]int{"quantity": 6}}
	got := r.ErrorAt("t.csv", "quantity", "50", "at most 10 (the shares held)")
	want := &RowError{File: "t.csv", Line: 7, Column: 6, Field: "quantity", Value: "50", Expected: "at most 10 (the shares held)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ErrorAt (-want +got):\n%s", diff)
	}
	if got := r.ErrorAt("t.csv", "lots", "", "x"); got.Column != 0 {
		t.Errorf("column of an absent field = %d, want 0", got.Column)
	}
}

func TestPlainDecimal(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		places int
		ok     bool
	}{
		{"10", "10", 0, true},
		{"0.5", "0.5", 1, true},
		{".5", "0.5", 1, true},
		{"5.", "5", 0, true},
		{"-3", "-3", 0, true},
		{"12.50", "12.5", 1, true},
		{"1.123456789", "1.123456789", 9, true},
		{"1.100000000000", "1.1", 1, true},
		{"1234567890123456789.25", "1234567890123456789.25", 2, true},
		{"000123.40", "123.4", 1, true},
		{"0.001", "0.001", 3, true},
		{"-0", "0", 0, true},
		{"", "", 0, false},
		{"-", "", 0, false},
		{".", "", 0, false},
		{"+1", "", 0, false},
		{"1e3", "", 0, false},
		{"$5", "", 0, false},
		{"1,000", "", 0, false},
		{"1.2.3", "", 0, false},
		{" 1", "", 0, false},
	}
	for _, tt := range tests {
		d, places, digits, ok := plainDecimal(tt.in)
		if ok != tt.ok || ok && (!d.Equal(dec(tt.want)) || places != tt.places) {
			t.Errorf("plainDecimal(%q) = %s, %d, %v; want %s, %d, %v", tt.in, d, places, ok, tt.want, tt.places, tt.ok)
		}
		if ok {
			// the magnitude is below 10^digits and, unless zero, at least 10^(digits-1)
			a := d.Abs()
			if !a.LessThan(decimal.New(1, int32(digits))) || digits > 0 && a.LessThan(decimal.New(1, int32(digits-1))) {
				t.Errorf("plainDecimal(%q): %d integer digits", tt.in, digits)
			}
		}
	}
}

func TestCivilMatchesPortfolio(t *testing.T) {
	for _, s := range []string{"1970-01-01", "2000-02-29", "2008-10-15", "1999-12-31", "2400-02-29", "0001-01-01", "9999-12-31"} {
		got, ok := parseISODate(s)
		if !ok || got != portfolio.MustDate(s) {
			t.Errorf("parseISODate(%q) = %v, %v; want %v", s, got, ok, portfolio.MustDate(s))
		}
	}
	for _, s := range []string{"2001-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "2024-1-01", "24-01-01", "2024/01/01", "0000-01-01"} {
		if _, ok := parseISODate(s); ok {
			t.Errorf("parseISODate(%q) accepted", s)
		}
	}
}

func TestValidSymbol(t *testing.T) {
	for _, s := range []string{"VTI", "BRK.B", "BRK B", "BF-B", "A", "EUR/USD", "12345678901234567890"} {
		if !validSymbol(s) {
			t.Errorf("validSymbol(%q) = false", s)
		}
	}
	for _, s := range []string{"", ".A", " A", "vti", "A_B", "123456789012345678901", "A$"} {
		if validSymbol(s) {
			t.Errorf("validSymbol(%q) = true", s)
		}
	}
}
