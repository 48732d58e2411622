package portfolio

import (
	"fmt"
	"strings"
)

// TaxType is the tax treatment of an account. It decides whether gains are
// taxed now (taxable), later (traditional IRA) or never (Roth), and how wash
// sales across accounts are treated.
type TaxType string

// The account tax types.
const (
	Taxable        TaxType = "taxable"
	TraditionalIRA TaxType = "traditional_ira"
	RothIRA        TaxType = "roth_ira"
	SpouseTaxable  TaxType = "spouse_taxable"
)

// TaxTypes lists every TaxType in display order.
var TaxTypes = []TaxType{Taxable, TraditionalIRA, RothIRA, SpouseTaxable}

// ParseTaxType accepts a tax type name, case-insensitively.
func ParseTaxType(s string) (TaxType, error) {
	for _, t := range TaxTypes {
		if strings.EqualFold(s, string(t)) {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown account type %q: want one of taxable, traditional_ira, roth_ira, spouse_taxable", s)
}

// TaxDeferred reports whether gains in the account are not taxed when realised.
func (t TaxType) TaxDeferred() bool { return t == TraditionalIRA || t == RothIRA }

// LotMethod chooses which lots a sale consumes when it names none.
type LotMethod string

// The lot selection methods.
const (
	FIFO LotMethod = "fifo" // first in, first out: the IRS default (Treas. Reg. §1.1012-1(c))
	LIFO LotMethod = "lifo" // last in, first out
	HIFO LotMethod = "hifo" // highest cost per share first: smallest gain / largest loss
)

// ParseLotMethod accepts fifo, lifo or hifo, case-insensitively.
func ParseLotMethod(s string) (LotMethod, error) {
	switch m := LotMethod(strings.ToLower(s)); m {
	case FIFO, LIFO, HIFO:
		return m, nil
	}
	return "", fmt.Errorf("unknown lot method %q: want fifo, lifo or hifo", s)
}

// Account is a brokerage account inside a portfolio.
type Account struct {
	ID        string
	Name      string // unique within the portfolio; what users type
	Broker    string // e.g. "ibkr"
	Number    string // broker account number, e.g. DU1234567
	TaxType   TaxType
	LotMethod LotMethod
}

// MaskedNumber shows only the last four characters of the account number.
func (a Account) MaskedNumber() string {
	n := a.Number
	if len(n) <= 4 {
		return n
	}
	return strings.Repeat("•", len(n)-4) + n[len(n)-4:]
}
