package importer

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ids"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// The columns of the canonical trades CSV, in their documented order.
const (
	colID = iota
	colDate
	colAccount
	colAction
	colSymbol
	colQuantity
	colPrice
	colFees
	colAmount
	colCurrency
	colLots
	colNote
	numTradeCols
)

// TradeColumns lists the columns of the trades CSV in their documented order.
var TradeColumns = []string{"id", "date", "account", "action", "symbol", "quantity", "price", "fees", "amount", "currency", "lots", "note"}

var requiredTradeCols = []int{colDate, colAccount, colAction}

const (
	wantID   = "an id of at most 64 letters, digits, '.', '_' or '-'"
	wantLots = "lot picks such as LOT1;LOT2:5 (lot ids, each optionally followed by ':' and a quantity, separated by ';')"
)

type acctEntry struct {
	acct portfolio.Account
	ok   bool
}

// tradeParser holds what one ParseTradesCSV call shares: the header's
// layout (read-only once the header is read) and, for the reading goroutine
// only, the CSV scanner and the account memo.
type tradeParser struct {
	file     string
	accounts AccountResolver
	sc       *csvScanner
	ncols    int
	idx      [numTradeCols]int // 0-based column of each field, -1 when absent
	cols     map[string]int
	acctMemo map[string]*acctEntry
	lastRef  string // the last account looked up, and its entry
	lastAcct *acctEntry
}

// record is one data row of the file, as handed to a worker.
type record struct {
	fields []string
	line   int        // line of the first field
	multi  bool       // a quoted field spans lines, so later fields start on later lines
	acct   *acctEntry // the account column resolved; nil when empty
}

// rowMeta is what the final, sequential pass needs to know of each row.
type rowMeta struct {
	hash   [12]byte // content hash of a row without an id
	idLine int32    // line of the id field of a row with an id
}

// indexedErr is a row's error and the row's index.
type indexedErr struct {
	idx int
	err *RowError
}

const batchSize = 512

// ParseTradesCSV reads the canonical trades CSV (see docs/import-formats.md).
// Accounts are resolved by the account column (a name or number); the
// resolver is called from one goroutine at a time, once per distinct value.
// On any problem it returns no rows and a *RowError for the first one in
// file order.
//
// One goroutine reads the CSV and resolves accounts; rows are validated in
// parallel batches; a final pass in file order numbers identical rows and
// rejects duplicate ids, so the result and the error reported are those of a
// plain sequential parse.
func ParseTradesCSV(r io.Reader, file string, accounts AccountResolver) ([]Row, error) {
	// The whole input is read first: rows are allocated once, from the number
	// of lines (an upper bound on the number of rows), and fields are
	// substrings of it rather than copies.
	data, err := readAllString(r)
	if err != nil {
		return nil, &RowError{File: file, Expected: "readable input: " + err.Error()}
	}
	p := &tradeParser{
		file:     file,
		accounts: accounts,
		sc:       newCSVScanner(data),
		acctMemo: map[string]*acctEntry{},
	}
	if err := p.header(); err != nil {
		return nil, err
	}
	lines := strings.Count(data, "\n") + 1
	rows := make([]Row, lines)
	meta := make([]rowMeta, lines)

	workers := max(2, runtime.GOMAXPROCS(0))
	if lines < 4*batchSize {
		workers = 1
	}
	first := indexedErr{idx: math.MaxInt}
	// errAt is the lowest index of a row known to be bad: rows after it
	// need not be read or parsed.
	var errAt atomic.Int64
	errAt.Store(math.MaxInt64)
	lower := func(idx int) {
		for {
			cur := errAt.Load()
			if int64(idx) >= cur || errAt.CompareAndSwap(cur, int64(idx)) {
				return
			}
		}
	}
	var dispatch func(start int, recs []record)
	var wait func()
	if workers == 1 {
		w := p.newWorker()
		dispatch = func(start int, recs []record) {
			if e := w.batch(start, recs, rows, meta); e.idx < first.idx {
				first = e
				lower(e.idx)
			}
		}
		wait = func() {}
	} else {
		type job struct {
			start int
			recs  []record
		}
		jobs := make(chan job, 2*workers)
		found := make([]indexedErr, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				w := p.newWorker()
				found[i] = indexedErr{idx: math.MaxInt}
				for j := range jobs {
					if int64(j.start) > errAt.Load() {
						continue
					}
					if e := w.batch(j.start, j.recs, rows, meta); e.idx < found[i].idx {
						found[i] = e
						lower(e.idx)
					}
				}
			})
		}
		dispatch = func(start int, recs []record) { jobs <- job{start, recs} }
		wait = func() {
			close(jobs)
			wg.Wait()
			for _, e := range found {
				if e.idx < first.idx {
					first = e
				}
			}
		}
	}

	// Read, handing out batches of records; n counts the rows. The fields
	// of a batch's records share one arena.
	n := 0
	var readFail *RowError
	recs := make([]record, 0, batchSize)
	arena := make([]string, 0, batchSize*p.ncols)
	for int64(n) <= errAt.Load() {
		start := len(arena)
		var line int
		var multi, ok bool
		var serr *csvSyntaxError
		arena, line, multi, ok, serr = p.sc.next(arena)
		if serr != nil {
			readFail = syntaxErr(file, serr)
			break
		}
		if !ok {
			break
		}
		rec := arena[start:len(arena):len(arena)]
		if blank(rec) {
			arena = arena[:start]
			continue
		}
		if len(rec) != p.ncols {
			readFail = fieldCountErr(file, line, len(rec), p.ncols)
			break
		}
		recs = append(recs, record{fields: rec, line: line, multi: multi, acct: p.resolve(rec)})
		if len(recs) == batchSize {
			dispatch(n, recs)
			n += len(recs)
			recs = make([]record, 0, batchSize)
			arena = make([]string, 0, batchSize*p.ncols)
		}
	}
	if len(recs) > 0 {
		dispatch(n, recs)
		n += len(recs)
	}
	wait()
	if readFail != nil && n < first.idx {
		first = indexedErr{idx: n, err: readFail}
	}

	// In file order, up to the first error: number identical rows and
	// reject duplicate ids.
	stop := min(n, first.idx)
	occ := make(map[[12]byte]int32, stop)
	idLines := map[string]int{}
	for i := range stop {
		t := &rows[i].Trade
		if t.Key != "" { // the row has an id
			line := int(meta[i].idLine)
			if prev, dup := idLines[t.ID]; dup {
				return nil, &RowError{File: file, Line: line, Column: p.idx[colID] + 1, Field: "id", Value: t.ID,
					Expected: "a unique id: line " + strconv.Itoa(prev) + " already uses it"}
			}
			idLines[t.ID] = line
			continue
		}
		k := meta[i].hash
		c := occ[k]
		occ[k] = c + 1
		t.Key = hashKey(t.Date, k, c)
	}
	if first.err != nil {
		return nil, first.err
	}
	if n == 0 {
		return nil, nil
	}
	return rows[:n:n], nil
}

// resolve looks up the account column of rec, once per distinct value.
func (p *tradeParser) resolve(rec []string) *acctEntry {
	ref := strings.TrimSpace(rec[p.idx[colAccount]])
	if ref == "" {
		return nil
	}
	if ref == p.lastRef { // files tend to list one account's rows together
		return p.lastAcct
	}
	e, seen := p.acctMemo[ref]
	if !seen {
		e = &acctEntry{}
		if p.accounts != nil {
			e.acct, e.ok = p.accounts(ref)
		}
		p.acctMemo[ref] = e
	}
	p.lastRef, p.lastAcct = ref, e
	return e
}

func (p *tradeParser) header() error {
	var names []string
	var line int
	ok := false
	for !ok {
		var serr *csvSyntaxError
		var more bool
		names, line, _, more, serr = p.sc.next(names[:0])
		if serr != nil {
			return syntaxErr(p.file, serr)
		}
		if !more {
			break
		}
		ok = !blank(names)
	}
	for i, n := range names {
		names[i] = strings.TrimSpace(n)
	}
	if !ok {
		return &RowError{File: p.file, Expected: "a header row such as " + strings.Join(TradeColumns, ",")}
	}
	if err := mapColumns(p.file, line, names, TradeColumns, strings.ToLower, p.idx[:]); err != nil {
		return err
	}
	for _, c := range requiredTradeCols {
		if p.idx[c] < 0 {
			return &RowError{File: p.file, Line: line, Field: "columns", Value: strings.Join(names, ","),
				Expected: "a " + strconv.Quote(TradeColumns[c]) + " column (required: date, account, action)"}
		}
	}
	p.cols = make(map[string]int, len(names))
	for k, i := range p.idx {
		if i >= 0 {
			p.cols[TradeColumns[k]] = i + 1
		}
	}
	p.ncols = len(names)
	return nil
}

// readAllString reads r to the end, in one allocation when r knows its
// length.
func readAllString(r io.Reader) (string, error) {
	var b strings.Builder
	if l, ok := r.(interface{ Len() int }); ok {
		b.Grow(l.Len())
	}
	_, err := io.Copy(&b, r)
	return b.String(), err
}

// syntaxErr reports a CSV syntax error.
func syntaxErr(file string, e *csvSyntaxError) *RowError {
	return &RowError{File: file, Line: e.line, Column: e.col, Expected: "well-formed CSV: " + e.msg}
}

// rowWorker parses records into rows. Each worker goroutine has its own.
type rowWorker struct {
	p   *tradeParser
	rec *record
	h   hash.Hash
	buf []byte
	sum []byte
}

func (p *tradeParser) newWorker() *rowWorker { return &rowWorker{p: p, h: sha256.New()} }

// batch parses recs into rows[start:] and meta[start:], stopping at the
// first error.
func (w *rowWorker) batch(start int, recs []record, rows []Row, meta []rowMeta) indexedErr {
	for i := range recs {
		w.rec = &recs[i]
		if err := w.row(&rows[start+i], &meta[start+i]); err != nil {
			return indexedErr{start + i, err}
		}
	}
	return indexedErr{idx: math.MaxInt}
}

// get returns the trimmed value of field c in the current record.
func (w *rowWorker) get(c int) string {
	i := w.p.idx[c]
	if i < 0 {
		return ""
	}
	return strings.TrimSpace(w.rec.fields[i])
}

// fieldLine returns the line field i of the current record starts on.
func (w *rowWorker) fieldLine(i int) int {
	l := w.rec.line
	if w.rec.multi {
		for _, f := range w.rec.fields[:i] {
			l += strings.Count(f, "\n") // csv.Reader turns a quoted \r\n into \n
		}
	}
	return l
}

// fail returns a RowError for field c of the current record.
func (w *rowWorker) fail(c int, value, expected string) *RowError {
	e := &RowError{File: w.p.file, Field: TradeColumns[c], Value: value, Expected: expected, Line: w.rec.line}
	if i := w.p.idx[c]; i >= 0 {
		e.Line = w.fieldLine(i)
		e.Column = i + 1
	}
	return e
}

// unused fails when field c is given for an action that does not use it.
func (w *rowWorker) unused(c int, a portfolio.Action) *RowError {
	if v := w.get(c); v != "" {
		return w.fail(c, v, "an empty "+TradeColumns[c]+": "+string(a)+" does not use it")
	}
	return nil
}

func (w *rowWorker) row(out *Row, meta *rowMeta) *RowError {
	t := &out.Trade

	// date
	v := w.get(colDate)
	d, ok := parseISODate(v)
	if !ok {
		return w.fail(colDate, v, wantDate)
	}
	t.Date = d

	// account
	v = w.get(colAccount)
	switch acct := w.rec.acct; {
	case v == "" || acct == nil:
		return w.fail(colAccount, v, "an account name such as Brokerage")
	case !acct.ok:
		return w.fail(colAccount, v, `a known account; run "wealthalloc accounts add `+shellWord(v)+` --type taxable" first`)
	default:
		t.AccountID = acct.acct.ID
	}
	var rerr *RowError

	// action
	v = w.get(colAction)
	a, err := portfolio.ParseAction(v)
	if err != nil {
		return w.fail(colAction, v, wantAction)
	}
	t.Action = a

	// symbol
	v = w.get(colSymbol)
	if v != "" {
		s := normSymbol(v)
		if !validSymbol(s) {
			return w.fail(colSymbol, v, wantSymbol)
		}
		t.Symbol = s
	} else if a.NeedsSymbol() {
		return w.fail(colSymbol, v, wantSymbol+"; "+string(a)+" needs one")
	}

	// quantity, price, fees, amount, lots by action
	switch a {
	case portfolio.Buy, portfolio.Sell, portfolio.Reinvest:
		if t.Quantity, rerr = w.quantity(colQuantity, wantQuantity, a); rerr != nil {
			return rerr
		}
		price, fees, amount := w.get(colPrice), w.get(colFees), w.get(colAmount)
		if price == "" && amount == "" {
			return w.fail(colPrice, "", wantMoney+"; "+string(a)+" needs a price or an amount")
		}
		if t.Price, rerr = w.money(colPrice, price); rerr != nil {
			return rerr
		}
		if t.Fees, rerr = w.money(colFees, fees); rerr != nil {
			return rerr
		}
		if t.Amount, rerr = w.money(colAmount, amount); rerr != nil {
			return rerr
		}
		if a == portfolio.Sell {
			if t.Lots, rerr = w.lots(); rerr != nil {
				return rerr
			}
		} else if v := w.get(colLots); v != "" {
			return w.fail(colLots, v, "an empty lots field: lots apply only to SELL")
		}
	case portfolio.Split:
		if t.Quantity, t.SplitFrom, rerr = w.ratio(); rerr != nil {
			return rerr
		}
		for _, c := range []int{colPrice, colFees, colAmount, colLots} {
			if rerr = w.unused(c, a); rerr != nil {
				return rerr
			}
		}
	default: // cash actions
		v := w.get(colAmount)
		if v == "" {
			return w.fail(colAmount, v, wantPositiveAmt+"; "+string(a)+" needs an amount")
		}
		if t.Amount, rerr = w.money(colAmount, v); rerr != nil {
			return rerr
		}
		if !t.Amount.IsPositive() {
			return w.fail(colAmount, v, wantPositiveAmt)
		}
		for _, c := range []int{colQuantity, colPrice, colFees, colLots} {
			if rerr = w.unused(c, a); rerr != nil {
				return rerr
			}
		}
	}

	// currency
	t.Currency = "USD"
	if v := w.get(colCurrency); v != "" {
		c, ok := normCurrency(v)
		if !ok {
			return w.fail(colCurrency, v, wantCurrency)
		}
		if c != "USD" { // until amounts are converted, another currency would be booked as dollars
			return w.fail(colCurrency, v, wantUSD)
		}
		t.Currency = c
	}

	t.Note = w.get(colNote)

	// id and key
	if v := w.get(colID); v != "" {
		if !validID(v) {
			return w.fail(colID, v, wantID)
		}
		meta.idLine = int32(w.fieldLine(w.p.idx[colID]))
		t.ID = v
		t.Key = "csv:id:" + v
	} else {
		t.ID = ids.New()
		meta.hash = w.contentHash(t)
	}
	out.Line, out.Cols = w.rec.line, w.p.cols
	return nil
}

func (w *rowWorker) quantity(c int, want string, a portfolio.Action) (decimal.Decimal, *RowError) {
	v := w.get(c)
	if v == "" {
		return decimal.Decimal{}, w.fail(c, v, want+"; "+string(a)+" needs a quantity")
	}
	q, places, digits, ok := plainDecimal(v)
	if !ok || !q.IsPositive() {
		return decimal.Decimal{}, w.fail(c, v, want)
	}
	if places > portfolio.QuantityPlaces {
		return decimal.Decimal{}, w.fail(c, v, wantQtyPlaces)
	}
	if digits > maxQtyDigits {
		return decimal.Decimal{}, w.fail(c, v, wantQtyRange)
	}
	return q, nil
}

// ratio parses a SPLIT's quantity: a plain ratio ("2", "0.1"), returned as
// N with a zero M, or "N:M" ("1:3" for 1-for-3), each side a positive
// quantity.
func (w *rowWorker) ratio() (n, m decimal.Decimal, rerr *RowError) {
	v := w.get(colQuantity)
	ns, ms, isNM := strings.Cut(v, ":")
	if !isNM {
		n, rerr = w.quantity(colQuantity, wantRatio, portfolio.Split)
		return n, decimal.Decimal{}, rerr
	}
	for i, s := range [2]string{ns, ms} {
		q, places, digits, ok := plainDecimal(strings.TrimSpace(s))
		if !ok || !q.IsPositive() {
			return n, m, w.fail(colQuantity, v, wantRatio)
		}
		if places > portfolio.QuantityPlaces {
			return n, m, w.fail(colQuantity, v, wantRatio+"; N and M have "+wantQtyPlaces)
		}
		if digits > maxQtyDigits {
			return n, m, w.fail(colQuantity, v, wantRatio+"; N and M are each "+wantQtyRange)
		}
		if i == 0 {
			n = q
		} else {
			m = q
		}
	}
	return n, m, nil
}

// money parses an optional non-negative money value; empty is zero.
func (w *rowWorker) money(c int, v string) (decimal.Decimal, *RowError) {
	if v == "" {
		return decimal.Decimal{}, nil
	}
	m, places, digits, ok := plainDecimal(v)
	if !ok || m.IsNegative() {
		return decimal.Decimal{}, w.fail(c, v, wantMoney)
	}
	if places > portfolio.MoneyPlaces {
		return decimal.Decimal{}, w.fail(c, v, wantMoneyPlaces)
	}
	if digits > maxMoneyDigits {
		return decimal.Decimal{}, w.fail(c, v, wantMoneyRange)
	}
	return m, nil
}

func (w *rowWorker) lots() ([]portfolio.LotPick, *RowError) {
	v := w.get(colLots)
	if v == "" {
		return nil, nil
	}
	var picks []portfolio.LotPick
	for part := range strings.SplitSeq(v, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, qs, hasQty := strings.Cut(part, ":")
		id = strings.TrimSpace(id)
		if !validID(id) {
			return nil, w.fail(colLots, v, wantLots)
		}
		var pick portfolio.LotPick
		pick.LotID = id
		if hasQty {
			q, places, digits, ok := plainDecimal(strings.TrimSpace(qs))
			if !ok || !q.IsPositive() {
				return nil, w.fail(colLots, v, wantLots+"; quantities are positive numbers")
			}
			if places > portfolio.QuantityPlaces {
				return nil, w.fail(colLots, v, wantLots+"; quantities have "+wantQtyPlaces)
			}
			if digits > maxQtyDigits {
				return nil, w.fail(colLots, v, wantLots+"; "+wantQtyRange)
			}
			pick.Quantity = q
		}
		for _, prev := range picks {
			if prev.LotID == id {
				return nil, w.fail(colLots, v, wantLots+"; lot "+id+" appears twice")
			}
		}
		picks = append(picks, pick)
	}
	if picks == nil {
		return nil, w.fail(colLots, v, wantLots)
	}
	return picks, nil
}

// contentHash hashes the trade's normalised fields (SHA-256, first 12
// bytes). Numbers are hashed in canonical form (10.50 and 10.5 are the same)
// straight from their validated text.
func (w *rowWorker) contentHash(t *portfolio.Trade) [12]byte {
	b := w.buf[:0]
	b = append(b, t.AccountID...)
	b = append(b, 0x1f)
	b = append(b, w.get(colDate)...) // validated YYYY-MM-DD: already canonical
	b = append(b, 0x1f)
	b = append(b, t.Action...)
	b = append(b, 0x1f)
	b = append(b, t.Symbol...)
	for _, c := range [...]int{colQuantity, colPrice, colFees, colAmount} {
		b = append(b, 0x1f)
		v := w.get(c)
		if n, m, isNM := strings.Cut(v, ":"); isNM && c == colQuantity { // a split's N:M
			b = appendCanonical(b, strings.TrimSpace(n))
			mark := len(b)
			b = append(b, ':')
			b = appendCanonical(b, strings.TrimSpace(m))
			if string(b[mark:]) == ":1" {
				b = b[:mark] // N:1 is the plain ratio N
			}
			continue
		}
		b = appendCanonical(b, v)
	}
	b = append(b, 0x1f)
	b = append(b, t.Currency...)
	b = append(b, 0x1f)
	if len(t.Lots) > 0 { // from the validated text: picks in canonical form
		first := true
		for part := range strings.SplitSeq(w.get(colLots), ";") {
			id, qs, hasQty := strings.Cut(strings.TrimSpace(part), ":")
			if id = strings.TrimSpace(id); id == "" {
				continue
			}
			if !first {
				b = append(b, ';')
			}
			first = false
			b = append(b, id...)
			if hasQty {
				b = append(b, ':')
				b = appendCanonical(b, strings.TrimSpace(qs))
			}
		}
	}
	w.buf = b
	w.h.Reset()
	w.h.Write(b)
	w.sum = w.h.Sum(w.sum[:0])
	var k [12]byte
	copy(k[:], w.sum)
	return k
}

// hashKey is the Key of a row without an id: "csv:" + its date + ":" + the
// 24 hex digits of its content hash + ":" + how many earlier rows of the
// file had the same content, so identical rows are distinct trades and
// importing the same file again gives the same keys. The date (which the
// hash covers too) leads so that keys sort nearly as the rows do: a history
// imported in date order appends to the unique key index instead of landing
// at random places in it, which made the index the costliest part of an
// import.
func hashKey(date portfolio.Date, k [12]byte, n int32) string {
	var out [4 + 10 + 1 + 24 + 1 + 11]byte
	o := append(out[:0], "csv:"...)
	o = append(o, date.String()...)
	o = append(o, ':')
	o = hex.AppendEncode(o, k[:])
	o = append(o, ':')
	o = strconv.AppendInt(o, int64(n), 10)
	return string(o)
}

// appendCanonical appends the canonical text of a validated non-negative
// plain decimal s: no leading zeros, no trailing fractional zeros, no bare
// point; "" and any zero become "0".
func appendCanonical(b []byte, s string) []byte {
	intPart, frac, _ := strings.Cut(s, ".")
	intPart = strings.TrimLeft(intPart, "0")
	frac = strings.TrimRight(frac, "0")
	if intPart == "" && frac == "" {
		return append(b, '0')
	}
	if intPart == "" {
		b = append(b, '0')
	}
	b = append(b, intPart...)
	if frac != "" {
		b = append(b, '.')
		b = append(b, frac...)
	}
	return b
}

// validID reports whether s is 1 to 64 letters, digits, '.', '_' or '-'.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
