package importer

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ids"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// Position is an open position reported in a Flex statement's OpenPositions
// section: AccountID is the resolved account's ID and Quantity is signed
// (negative for a short position).
type Position struct {
	AccountID, Symbol string
	Quantity          decimal.Decimal
	Line              int
}

// Flex is what ParseFlex found: the trades and cash events to import, in
// document order, and the open positions the statements report (for checking
// the imported history against the broker).
type Flex struct {
	Rows      []Row
	Positions []Position
}

const (
	wantFlexDate = "a date such as 20230105, 2023-01-05, 20230105;093000 or 2023-01-05, 09:30:00"
	wantCategory = "an asset category such as STK (STK, ETF and FUND are imported; other categories are skipped)"
	wantFlexNum  = "a number such as -12.5"
)

// cashKinds maps the CashTransaction types ParseFlex knows (lower-cased) to
// how they are imported: 'd' dividend (DIVIDEND when positive, FEE when a
// reversal), 'w' deposit or withdrawal, 'g' any other cash (INTEREST when
// positive, FEE when negative).
var cashKinds = map[string]byte{
	"dividends":                    'd',
	"payment in lieu of dividends": 'd',
	"deposits/withdrawals":         'w',
	"deposits & withdrawals":       'w',
	"withholding tax":              'g',
	"871(m) withholding":           'g',
	"broker interest received":     'g',
	"broker interest paid":         'g',
	"bond interest received":       'g',
	"bond interest paid":           'g',
	"other fees":                   'g',
	"commission adjustments":       'g',
	"advisor fees":                 'g',
	"price adjustments":            'g',
}

const wantCashType = `a known cash transaction type: "Dividends", "Payment In Lieu Of Dividends", "Withholding Tax", "871(m) Withholding", ` +
	`"Broker Interest Received", "Broker Interest Paid", "Bond Interest Received", "Bond Interest Paid", "Other Fees", ` +
	`"Commission Adjustments", "Advisor Fees", "Price Adjustments" or "Deposits/Withdrawals"`

// flexEntry is a parsed row and what the final pass needs to filter it.
type flexEntry struct {
	row     Row
	tradeID string // for trades: dropped when a cancellation names it
	summary bool   // a CashTransaction with levelOfDetail SUMMARY
}

type flexParser struct {
	file       string
	accounts   AccountResolver
	acctMemo   map[string]acctEntry
	colsMemo   map[int]map[string]int
	stmtAcct   string // accountId of the enclosing FlexStatement
	entries    []flexEntry
	splits     map[string]int // account, date, symbol → index in entries
	cancelled  map[string]bool
	cashDetail bool // some CashTransaction has levelOfDetail DETAIL
	occ        map[string]int
	positions  []Position
}

// ParseFlex reads an Interactive Brokers Flex Query XML document
// (FlexQueryResponse > FlexStatements > FlexStatement > Trades,
// CashTransactions, CorporateActions, OpenPositions). Accounts are resolved by
// accountId, the broker account number. Unknown elements and attributes are
// ignored; the attributes it uses are checked strictly. See
// docs/import-formats.md for the mapping.
func ParseFlex(r io.Reader, file string, accounts AccountResolver) (*Flex, error) {
	p := &flexParser{
		file:      file,
		accounts:  accounts,
		acctMemo:  map[string]acctEntry{},
		colsMemo:  map[int]map[string]int{},
		splits:    map[string]int{},
		cancelled: map[string]bool{},
		occ:       map[string]int{},
	}
	dec := xml.NewDecoder(r)
	dec.CharsetReader = charsetReader
	var stack []string
	root := false
	for {
		line, col := dec.InputPos()
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, p.xmlErr(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			stack = append(stack, name)
			if len(stack) == 1 {
				if name != "FlexQueryResponse" {
					return nil, &RowError{File: file, Line: line, Column: col, Field: "element", Value: name,
						Expected: "a FlexQueryResponse document (the XML of an IBKR Flex Query statement)"}
				}
				root = true
				continue
			}
			e := &flexEl{p: p, se: t, line: line, col: col}
			var rerr *RowError
			switch {
			case name == "FlexStatement" && parent == "FlexStatements":
				p.stmtAcct = e.get("accountId")
			case name == "Trade" && parent == "Trades":
				rerr = p.trade(e)
			case name == "CashTransaction" && parent == "CashTransactions":
				rerr = p.cash(e)
			case name == "CorporateAction" && parent == "CorporateActions":
				rerr = p.corporateAction(e)
			case name == "OpenPosition" && parent == "OpenPositions":
				rerr = p.openPosition(e)
			}
			if rerr != nil {
				return nil, rerr
			}
		case xml.EndElement:
			if len(stack) > 0 {
				if stack[len(stack)-1] == "FlexStatement" {
					p.stmtAcct = ""
				}
				stack = stack[:len(stack)-1]
			}
		}
	}
	if !root {
		return nil, &RowError{File: file, Expected: "a FlexQueryResponse document (the XML of an IBKR Flex Query statement)"}
	}
	return p.finish(), nil
}

func (p *flexParser) xmlErr(err error) *RowError {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return &RowError{File: p.file, Line: se.Line, Expected: "well-formed XML: " + se.Msg}
	}
	return &RowError{File: p.file, Expected: "readable XML: " + err.Error()}
}

// finish drops cancelled trades, summary cash rows when detail rows exist,
// and rows whose key an earlier row already has (a statement repeated or
// overlapping another in the same file).
func (p *flexParser) finish() *Flex {
	f := &Flex{Positions: p.positions}
	seen := map[string]bool{}
	for _, e := range p.entries {
		if e.tradeID != "" && p.cancelled[e.tradeID] || e.summary && p.cashDetail {
			continue
		}
		if seen[e.row.Trade.Key] {
			continue
		}
		seen[e.row.Trade.Key] = true
		f.Rows = append(f.Rows, e.row)
	}
	return f
}

// flexEl is one data element being read.
type flexEl struct {
	p         *flexParser
	se        xml.StartElement
	line, col int
}

func (e *flexEl) get(name string) string {
	for _, a := range e.se.Attr {
		if a.Name.Local == name {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

func (e *flexEl) fail(field, value, expected string) *RowError {
	return &RowError{File: e.p.file, Line: e.line, Column: e.col, Field: field, Value: value, Expected: expected}
}

func (e *flexEl) cols() map[string]int {
	m, ok := e.p.colsMemo[e.col]
	if !ok {
		m = make(map[string]int, len(TradeColumns))
		for _, c := range TradeColumns {
			m[c] = e.col
		}
		e.p.colsMemo[e.col] = m
	}
	return m
}

// category checks assetCategory: ok reports whether the row is imported.
func (e *flexEl) category() (ok bool, err *RowError) {
	v := e.get("assetCategory")
	switch strings.ToUpper(v) {
	case "STK", "ETF", "FUND":
		return true, nil
	case "":
		return false, e.fail("assetCategory", v, wantCategory)
	}
	return false, nil
}

func (e *flexEl) account() (portfolio.Account, *RowError) {
	field := "accountId"
	ref := e.get(field)
	if ref == "" {
		ref = e.p.stmtAcct
	}
	if ref == "" {
		return portfolio.Account{}, e.fail(field, ref, "an account number such as U1234567 on the row or its FlexStatement")
	}
	m, seen := e.p.acctMemo[ref]
	if !seen {
		if e.p.accounts != nil {
			m.acct, m.ok = e.p.accounts(ref)
		}
		e.p.acctMemo[ref] = m
	}
	if !m.ok {
		return portfolio.Account{}, e.fail(field, ref,
			`a known account; run "wealthalloc accounts add NAME --type taxable --number `+shellWord(ref)+`" first`)
	}
	return m.acct, nil
}

func (e *flexEl) symbol(required bool) (string, *RowError) {
	v := e.get("symbol")
	s := normSymbol(v)
	if validSymbol(s) {
		return s, nil
	}
	if required || v != "" {
		return "", e.fail("symbol", v, wantSymbol)
	}
	return "", nil
}

// date reads the first non-empty attribute of names as an IB date.
func (e *flexEl) date(names ...string) (portfolio.Date, *RowError) {
	for _, n := range names {
		v := e.get(n)
		if v == "" {
			continue
		}
		d, ok := flexDate(v)
		if !ok {
			return 0, e.fail(n, v, wantFlexDate)
		}
		return d, nil
	}
	return 0, e.fail(names[0], "", wantFlexDate)
}

// num reads a signed number; present is false when the attribute is empty.
func (e *flexEl) num(name string, places int, required bool) (d decimal.Decimal, present bool, err *RowError) {
	v := e.get(name)
	if v == "" {
		if required {
			return d, false, e.fail(name, v, wantFlexNum)
		}
		return d, false, nil
	}
	s := v
	if strings.IndexByte(s, ',') >= 0 { // IB may print thousands separators
		s = strings.ReplaceAll(s, ",", "")
	}
	d, pl, digits, ok := plainDecimal(s)
	if !ok {
		return d, false, e.fail(name, v, wantFlexNum)
	}
	switch places {
	case portfolio.QuantityPlaces:
		if pl > places {
			return d, false, e.fail(name, v, wantQtyPlaces)
		}
		if digits > maxQtyDigits {
			return d, false, e.fail(name, v, wantQtyRange)
		}
	case portfolio.MoneyPlaces:
		if digits > maxMoneyDigits {
			return d, false, e.fail(name, v, wantMoneyRange)
		}
		d = portfolio.RoundMoney(d)
	}
	return d, true, nil
}

// currency reads the currency attribute (USD when absent). With usdOnly,
// any other currency is an error: amounts are not converted yet, so they
// would be booked as dollars.
func (e *flexEl) currency(usdOnly bool) (string, *RowError) {
	v := e.get("currency")
	if v == "" {
		return "USD", nil
	}
	c, ok := normCurrency(v)
	if !ok {
		return "", e.fail("currency", v, wantCurrency)
	}
	if usdOnly && c != "USD" {
		return "", e.fail("currency", v, wantUSD)
	}
	return c, nil
}

// key returns prefix+id for the first non-empty id attribute, or a content
// hash of parts with an occurrence index.
func (e *flexEl) key(prefix string, idAttrs []string, parts ...string) string {
	for _, a := range idAttrs {
		if v := e.get(a); v != "" {
			return prefix + v
		}
	}
	h := sha256.New()
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0x1f})
	}
	k := prefix + "h:" + hex.EncodeToString(h.Sum(nil)[:12])
	n := e.p.occ[k]
	e.p.occ[k] = n + 1
	return k + ":" + strconv.Itoa(n)
}

func (p *flexParser) add(e *flexEl, t portfolio.Trade, tradeID string, summary bool) {
	t.ID = ids.New()
	p.entries = append(p.entries, flexEntry{row: Row{Trade: t, Line: e.line, Cols: e.cols()}, tradeID: tradeID, summary: summary})
}

func (p *flexParser) trade(e *flexEl) *RowError {
	if lvl := e.get("levelOfDetail"); lvl != "" && !strings.EqualFold(lvl, "EXECUTION") {
		return nil // orders, closed lots and summaries repeat the executions
	}
	if ok, err := e.category(); !ok {
		return err
	}
	var t portfolio.Trade
	bs := e.get("buySell")
	switch strings.ToUpper(bs) {
	case "BUY":
		t.Action = portfolio.Buy
	case "SELL":
		t.Action = portfolio.Sell
	case "BUY (CA.)", "SELL (CA.)":
		if o := e.get("origTradeID"); o != "" {
			p.cancelled[o] = true
		}
		return nil
	default:
		return e.fail("buySell", bs, "BUY or SELL")
	}
	acct, err := e.account()
	if err != nil {
		return err
	}
	t.AccountID = acct.ID
	if t.Date, err = e.date("tradeDate", "dateTime"); err != nil {
		return err
	}
	if t.Symbol, err = e.symbol(true); err != nil {
		return err
	}
	q, _, err := e.num("quantity", portfolio.QuantityPlaces, true)
	if err != nil {
		return err
	}
	if q.IsZero() || (t.Action == portfolio.Buy) != q.IsPositive() {
		return e.fail("quantity", e.get("quantity"), "a non-zero quantity, positive for a BUY and negative for a SELL")
	}
	t.Quantity = q.Abs()
	if t.Price, _, err = e.num("tradePrice", portfolio.MoneyPlaces, true); err != nil {
		return err
	}
	if t.Price.IsNegative() {
		return e.fail("tradePrice", e.get("tradePrice"), wantMoney)
	}
	comm, _, err := e.num("ibCommission", portfolio.MoneyPlaces, false)
	if err != nil {
		return err
	}
	taxes, _, err := e.num("taxes", portfolio.MoneyPlaces, false)
	if err != nil {
		return err
	}
	t.Fees = comm.Abs().Add(taxes.Abs())
	net, ok, err := e.num("netCash", portfolio.MoneyPlaces, false)
	if err != nil {
		return err
	}
	// netCash is negative for a purchase and positive for a sale; when its
	// sign is the other way (a sale whose fees exceed its proceeds) the
	// amount is left to be derived from quantity, price and fees.
	if ok && (t.Action == portfolio.Buy && !net.IsPositive() || t.Action == portfolio.Sell && !net.IsNegative()) {
		t.Amount = net.Abs()
	}
	if t.Currency, err = e.currency(true); err != nil {
		return err
	}
	// An execution-level row carries IB's execution id: keyed the way sync
	// keys the same fill ("ib:exec:<execId>"), so a fill synced from the
	// gateway and then imported from Flex (or the other way) counts once.
	if x := e.get("ibExecID"); x != "" && !strings.EqualFold(e.get("levelOfDetail"), "ORDER") {
		t.Key = "ib:exec:" + x
	} else {
		t.Key = e.key("flex:trade:", []string{"tradeID", "transactionID"},
			t.AccountID, t.Date.String(), string(t.Action), t.Symbol, t.Quantity.String(), t.Price.String(), t.Fees.String(), t.Amount.String(), t.Currency)
	}
	p.add(e, t, e.get("tradeID"), false)
	return nil
}

func (p *flexParser) cash(e *flexEl) *RowError {
	summary := false
	switch strings.ToUpper(e.get("levelOfDetail")) {
	case "SUMMARY":
		summary = true
	case "DETAIL":
		p.cashDetail = true
	}
	typ := e.get("type")
	kind, known := cashKinds[strings.ToLower(typ)]
	if !known {
		return e.fail("type", typ, wantCashType)
	}
	amt, _, err := e.num("amount", portfolio.MoneyPlaces, true)
	if err != nil {
		return err
	}
	if amt.IsZero() {
		return nil
	}
	var t portfolio.Trade
	switch {
	case kind == 'w' && amt.IsPositive():
		t.Action = portfolio.Deposit
	case kind == 'w':
		t.Action = portfolio.Withdrawal
	case kind == 'd' && amt.IsPositive():
		t.Action = portfolio.Dividend
	case amt.IsPositive():
		t.Action = portfolio.Interest
	default:
		t.Action = portfolio.Fee
	}
	t.Amount = amt.Abs()
	acct, err := e.account()
	if err != nil {
		return err
	}
	t.AccountID = acct.ID
	if t.Date, err = e.date("dateTime", "settleDate", "reportDate"); err != nil {
		return err
	}
	if t.Action == portfolio.Dividend {
		if t.Symbol, err = e.symbol(true); err != nil {
			return err
		}
	} else if s := normSymbol(e.get("symbol")); validSymbol(s) {
		t.Symbol = s // kept for information, e.g. the security a tax was withheld on
	}
	if t.Currency, err = e.currency(true); err != nil {
		return err
	}
	t.Note = e.get("description")
	t.Key = e.key("flex:cash:", []string{"transactionID"},
		t.AccountID, t.Date.String(), typ, t.Symbol, amt.String(), t.Currency, t.Note)
	p.add(e, t, "", summary)
	return nil
}

func (p *flexParser) corporateAction(e *flexEl) *RowError {
	switch strings.ToUpper(e.get("type")) {
	case "FS", "RS":
	default:
		return nil // only splits are imported
	}
	if ok, err := e.category(); !ok {
		return err
	}
	field, desc := "description", e.get("description")
	if !strings.Contains(strings.ToUpper(desc), "SPLIT") {
		if d := e.get("actionDescription"); d != "" {
			field, desc = "actionDescription", d
		}
	}
	n, m, ok := splitRatio(desc)
	if !ok {
		return e.fail(field, desc, `a description containing "SPLIT N FOR M", such as AAPL(US0378331005) SPLIT 4 FOR 1`)
	}
	acct, err := e.account()
	if err != nil {
		return err
	}
	var t portfolio.Trade
	t.Action = portfolio.Split
	t.AccountID = acct.ID
	t.Quantity, t.SplitFrom = n, m
	if t.Date, err = e.date("dateTime", "reportDate"); err != nil {
		return err
	}
	// The split applies to the symbol the description starts with (the one
	// the shares were held under); IB reports a reverse split as two rows,
	// the old shares (often as SYMBOL.OLD) and the new ones.
	lead, _, _ := strings.Cut(desc, "(")
	if s := normSymbol(lead); validSymbol(s) {
		t.Symbol = s
	} else {
		s, err := e.symbol(true)
		if err != nil {
			return err
		}
		t.Symbol = strings.TrimSuffix(s, ".OLD")
	}
	// A split moves no cash, so its currency (the security's) is kept
	// whatever it is.
	if t.Currency, err = e.currency(false); err != nil {
		return err
	}
	group := t.AccountID + "\x1f" + t.Date.String() + "\x1f" + t.Symbol
	if i, dup := p.splits[group]; dup {
		prev := p.entries[i].row.Trade
		if !prev.Quantity.Mul(m).Equal(n.Mul(prev.SplitFrom)) { // N/M ≠ N'/M'
			return e.fail(field, desc, "the same ratio as the split of "+t.Symbol+" on line "+strconv.Itoa(p.entries[i].row.Line)+
				" ("+prev.Quantity.String()+" FOR "+prev.SplitFrom.String()+")")
		}
		return nil
	}
	t.Note = desc
	t.Key = e.key("flex:ca:", []string{"transactionID", "actionID"},
		t.AccountID, t.Date.String(), t.Symbol, n.String()+":"+m.String())
	p.splits[group] = len(p.entries)
	p.add(e, t, "", false)
	return nil
}

func (p *flexParser) openPosition(e *flexEl) *RowError {
	if lvl := e.get("levelOfDetail"); lvl != "" && !strings.EqualFold(lvl, "SUMMARY") {
		return nil // LOT rows repeat the summary
	}
	if ok, err := e.category(); !ok {
		return err
	}
	acct, err := e.account()
	if err != nil {
		return err
	}
	sym, err := e.symbol(true)
	if err != nil {
		return err
	}
	q, _, err := e.num("position", portfolio.QuantityPlaces, true)
	if err != nil {
		return err
	}
	p.positions = append(p.positions, Position{AccountID: acct.ID, Symbol: sym, Quantity: q, Line: e.line})
	return nil
}

// splitRatio finds "SPLIT N FOR M" (any case) in desc and returns N and M,
// each a positive quantity: 4 FOR 1 is 4 and 1, 1 FOR 3 is 1 and 3. They
// are kept apart, not divided, so that the ledger can rescale each lot by
// N/M exactly.
func splitRatio(desc string) (n, m decimal.Decimal, ok bool) {
	u := strings.ToUpper(desc)
	for off := 0; ; {
		i := strings.Index(u[off:], "SPLIT")
		if i < 0 {
			return decimal.Decimal{}, decimal.Decimal{}, false
		}
		off += i + len("SPLIT")
		f := strings.Fields(u[off:])
		if len(f) < 3 || f[1] != "FOR" {
			continue
		}
		n, nPlaces, nDigits, ok1 := plainDecimal(f[0])
		m, mPlaces, mDigits, ok2 := plainDecimal(strings.TrimRight(f[2], "),;:"))
		if !ok1 || !ok2 || !n.IsPositive() || !m.IsPositive() {
			continue
		}
		if nPlaces > portfolio.QuantityPlaces || mPlaces > portfolio.QuantityPlaces || nDigits > maxQtyDigits || mDigits > maxQtyDigits {
			return decimal.Decimal{}, decimal.Decimal{}, false
		}
		return n, m, true
	}
}

// flexDate parses the date part of an IB date or date-time: 20230105,
// 2023-01-05, 20230105;093000, 2023-01-05, 09:30:00 (also with ' ' or 'T'
// between date and time).
func flexDate(s string) (portfolio.Date, bool) {
	dp := s
	if i := strings.IndexAny(s, ";, T"); i >= 0 {
		dp = s[:i]
		if !flexTime(strings.TrimSpace(s[i+1:])) {
			return 0, false
		}
	}
	switch len(dp) {
	case 8:
		y, ok1 := digits(dp[0:4])
		m, ok2 := digits(dp[4:6])
		d, ok3 := digits(dp[6:8])
		if !ok1 || !ok2 || !ok3 {
			return 0, false
		}
		return civil(y, m, d)
	case 10:
		return parseISODate(dp)
	}
	return 0, false
}

// flexTime accepts HHMMSS or HH:MM:SS, optionally followed by a zone
// (" EST", "-0500", "+01:00").
func flexTime(s string) bool {
	var h, m, sec int
	var ok1, ok2, ok3 bool
	var rest string
	switch {
	case len(s) >= 8 && s[2] == ':' && s[5] == ':':
		h, ok1 = digits(s[0:2])
		m, ok2 = digits(s[3:5])
		sec, ok3 = digits(s[6:8])
		rest = s[8:]
	case len(s) >= 6:
		h, ok1 = digits(s[0:2])
		m, ok2 = digits(s[2:4])
		sec, ok3 = digits(s[4:6])
		rest = s[6:]
	default:
		return false
	}
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 60 {
		return false
	}
	return rest == "" || rest[0] == ' ' || rest[0] == '+' || rest[0] == '-'
}

// charsetReader lets the decoder read ISO-8859-1 and US-ASCII documents as
// well as UTF-8.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii":
		return &latin1Reader{r: bufio.NewReader(in)}, nil
	}
	return nil, fmt.Errorf("unsupported encoding %q: want UTF-8", label)
}

type latin1Reader struct {
	r *bufio.Reader
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	n := 0
	for n+utf8.UTFMax <= len(p) {
		b, err := l.r.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		n += utf8.EncodeRune(p[n:], rune(b))
		if l.r.Buffered() == 0 {
			break
		}
	}
	if n == 0 && len(p) > 0 && len(p) < utf8.UTFMax {
		return 0, io.ErrShortBuffer
	}
	return n, nil
}
