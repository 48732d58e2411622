package importer

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

const tradesHeader = "id,date,account,action,symbol,quantity,price,fees,amount,currency,lots,note\n"

var hashKeyRE = regexp.MustCompile(`^csv:\d{4}-\d\d-\d\d:[0-9a-f]{24}:[0-9]+$`)

func TestParseTradesCSV(t *testing.T) {
	in := "\uFEFF# exported by hand\n" +
		tradesHeader +
		",2024-01-02,Brokerage,DEPOSIT,,,,,10000,,,initial funding\n" +
		"b1,2024-01-03,Brokerage,BUY,vti,10,235.5,1,,,,\n" +
		"\n" +
		"b2,2024-01-04, brokerage ,buy, VTI ,0.5,,,120.25,usd,,\"fractional, via app\"\n" +
		"# a comment between rows\n" +
		",2024-02-01,Brokerage,SELL,VTI,5,240,1,,,b1:5;b2,specific lots\n" +
		",2024-03-01,Brokerage,SPLIT,VTI,2,,,,,,\n" +
		",2024-03-02,Brokerage,SPLIT,VTI, 1 : 3 ,,,,,,reverse\n" +
		",2024-03-20,Brokerage,DIVIDEND,VTI,,,,12.34,,,\n" +
		",2024-03-20,Brokerage,REINVEST,VTI,0.05,,,12.34,,,\n" +
		",2024-04-01,U7654322,INTEREST,,,,,0.42,,,\n" +
		",,,,,,,,,,,\n" +
		",2024-04-02,Roth,FEE,ADR,,,,1.5,,,custody fee\n" +
		",2024-04-03,Roth,WITHDRAWAL,,,,,100,Usd,,\n" +
		",2024-04-04,Roth,SELL,BND,3,,,210.000000,,,\n"
	rows, err := ParseTradesCSV(strings.NewReader(in), "trades.csv", resolve)
	if err != nil {
		t.Fatal(err)
	}
	cols := map[string]int{"id": 1, "date": 2, "account": 3, "action": 4, "symbol": 5, "quantity": 6, "price": 7,
		"fees": 8, "amount": 9, "currency": 10, "lots": 11, "note": 12}
	d := portfolio.MustDate
	tr := func(line int, t portfolio.Trade) Row {
		if t.Currency == "" {
			t.Currency = "USD"
		}
		return Row{Trade: t, Line: line, Cols: cols}
	}
	B, R := brokerage.ID, roth.ID
	want := []Row{
		tr(3, portfolio.Trade{AccountID: B, Date: d("2024-01-02"), Action: portfolio.Deposit, Amount: dec("10000"), Note: "initial funding"}),
		tr(4, portfolio.Trade{ID: "b1", Key: "csv:id:b1", AccountID: B, Date: d("2024-01-03"), Action: portfolio.Buy, Symbol: "VTI", Quantity: dec("10"), Price: dec("235.5"), Fees: dec("1")}),
		tr(6, portfolio.Trade{ID: "b2", Key: "csv:id:b2", AccountID: B, Date: d("2024-01-04"), Action: portfolio.Buy, Symbol: "VTI", Quantity: dec("0.5"), Amount: dec("120.25"), Note: "fractional, via app"}),
		tr(8, portfolio.Trade{AccountID: B, Date: d("2024-02-01"), Action: portfolio.Sell, Symbol: "VTI", Quantity: dec("5"), Price: dec("240"), Fees: dec("1"),
			Lots: []portfolio.LotPick{{LotID: "b1", Quantity: dec("5")}, {LotID: "b2"}}, Note: "specific lots"}),
		tr(9, portfolio.Trade{AccountID: B, Date: d("2024-03-01"), Action: portfolio.Split, Symbol: "VTI", Quantity: dec("2")}),
		tr(10, portfolio.Trade{AccountID: B, Date: d("2024-03-02"), Action: portfolio.Split, Symbol: "VTI", Quantity: dec("1"), SplitFrom: dec("3"), Note: "reverse"}),
		tr(11, portfolio.Trade{AccountID: B, Date: d("2024-03-20"), Action: portfolio.Dividend, Symbol: "VTI", Amount: dec("12.34")}),
		tr(12, portfolio.Trade{AccountID: B, Date: d("2024-03-20"), Action: portfolio.Reinvest, Symbol: "VTI", Quantity: dec("0.05"), Amount: dec("12.34")}),
		tr(13, portfolio.Trade{AccountID: R, Date: d("2024-04-01"), Action: portfolio.Interest, Amount: dec("0.42")}),
		tr(15, portfolio.Trade{AccountID: R, Date: d("2024-04-02"), Action: portfolio.Fee, Symbol: "ADR", Amount: dec("1.5"), Note: "custody fee"}),
		tr(16, portfolio.Trade{AccountID: R, Date: d("2024-04-03"), Action: portfolio.Withdrawal, Amount: dec("100")}),
		tr(17, portfolio.Trade{AccountID: R, Date: d("2024-04-04"), Action: portfolio.Sell, Symbol: "BND", Quantity: dec("3"), Amount: dec("210")}),
	}
	for i := range rows {
		tt := &rows[i].Trade
		if err := checkTrade(*tt); err != nil {
			t.Errorf("line %d: %v", rows[i].Line, err)
		}
		if i < len(want) && want[i].Trade.Key == "" {
			if !hashKeyRE.MatchString(tt.Key) || len(tt.ID) != 36 {
				t.Errorf("line %d: ID %q, Key %q: want a UUID and a csv:<date>:<hash>:<n> key", rows[i].Line, tt.ID, tt.Key)
			}
			tt.ID, tt.Key = "", ""
		}
	}
	if diff := cmp.Diff(want, rows, decimalEqual); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestParseTradesCSVColumnsAnyOrder(t *testing.T) {
	in := "Note,ACTION,Quantity,Symbol,Price,Account,Date\n" +
		"first,BUY,3,VTI,100,Brokerage,2024-05-06\n"
	rows, err := ParseTradesCSV(strings.NewReader(in), "t.csv", resolve)
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{{
		Trade: portfolio.Trade{AccountID: brokerage.ID, Date: portfolio.MustDate("2024-05-06"), Action: portfolio.Buy, Symbol: "VTI",
			Quantity: dec("3"), Price: dec("100"), Currency: "USD", Note: "first"},
		Line: 2,
		Cols: map[string]int{"note": 1, "action": 2, "quantity": 3, "symbol": 4, "price": 5, "account": 6, "date": 7},
	}}
	rows[0].Trade.ID, rows[0].Trade.Key = "", ""
	if diff := cmp.Diff(want, rows, decimalEqual); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestParseTradesCSVHeaderOnly(t *testing.T) {
	rows, err := ParseTradesCSV(strings.NewReader(tradesHeader), "t.csv", resolve)
	if err != nil || len(rows) != 0 {
		t.Errorf("header only: %d rows, %v; want none, nil", len(rows), err)
	}
}

func TestParseTradesCSVErrors(t *testing.T) {
	h := tradesHeader
	row := func(fields ...string) string { return strings.Join(fields, ",") + "\n" }
	buy := func(id, date, acct, action, sym, qty, price, fees, amount, cur, lots string) string {
		return row(id, date, acct, action, sym, qty, price, fees, amount, cur, lots, "")
	}
	tests := []struct {
		name         string
		in           string
		line, col    int
		field, value string
		expected     string // a substring of Expected
	}{
		{"bad date", h + buy("", "2024-13-01", "Brokerage", "BUY", "VTI", "1", "10", "", "", "", ""), 2, 2, "date", "2024-13-01", "YYYY-MM-DD"},
		{"date with slashes", h + buy("", "01/02/2024", "Brokerage", "BUY", "VTI", "1", "10", "", "", "", ""), 2, 2, "date", "01/02/2024", "YYYY-MM-DD"},
		{"negative quantity", h + "\n" + buy("", "2024-01-02", "Brokerage", "BUY", "VTI", "-3", "10", "", "", "", ""), 3, 6, "quantity", "-3", "positive number"},
		{"zero quantity", h + buy("", "2024-01-02", "Brokerage", "SELL", "VTI", "0", "10", "", "", "", ""), 2, 6, "quantity", "0", "positive number"},
		{"unknown action", h + buy("", "2024-01-02", "Brokerage", "BUYY", "VTI", "1", "10", "", "", "", ""), 2, 4, "action", "BUYY", "BUY, SELL"},
		{"unknown account", h + buy("", "2024-01-02", "Savings", "BUY", "VTI", "1", "10", "", "", "", ""), 2, 3, "account", "Savings", `run "wealthalloc accounts add Savings --type taxable" first`},
		{"unknown account with space", h + buy("", "2024-01-02", "My IRA", "BUY", "VTI", "1", "10", "", "", "", ""), 2, 3, "account", "My IRA", `accounts add 'My IRA' --type taxable`},
		{"empty account", h + buy("", "2024-01-02", "", "BUY", "VTI", "1", "10", "", "", "", ""), 2, 3, "account", "", "account name"},
		{"dollar price", h + buy("", "2024-01-02", "Brokerage", "BUY", "VTI", "1", "$10", "", "", "", ""), 2, 7, "price", "$10", "no $"},
		{"thousands separator", h + buy("", "2024-01-02", "Brokerage", "BUY", "VTI", "1", "", "", `"1,000.00"`, "", ""), 2, 9, "amount", "1,000.00", "no thousands"},
		{"bad decimal fees", h + buy("", "2024-01-02", "Brokerage", "BUY", "VTI", "1", "10", "one", "", "", ""), 2, 8, "fees", "one", "non-negative number"},
		{"negative fees", h + buy("", "2024-01-02", "Brokerage", "BUY", "VTI", "1", "10", "-1", "", "", ""), 2, 8, "fees", "-1", "non-negative number"},
		{"exponent", h + buy("", "2024-01-02", "Brokerage", "BUY", "VTI", "1e2", "10", "", "", "", ""), 2, 6, "quantity", "1e2", "positive number"},
		{"quantity places", h + buy("", "2024-01-02", "Brokerage", "BUY", "VTI", "0.123456789", "10", "", "", "", ""), 2, 6, "quantity", "0.123456789", "at most 8 decimal places"},
		{"price places", h + buy("", "2024-01-02", "Brokerage", "BUY", "VTI", "1", "10.1234567", "", "", "", ""), 2, 7, "price", "10.1234567", "at most 6 decimal places"},
		{"missing column", "date,account,symbol\n2024-01-02,Brokerage,VTI\n", 1, 0, "columns", "date,account,symbol", `"action" column`},
		{"unknown columns", "date,account,qty,action,foo\n", 1, 3, "column", "qty,foo", "only known columns: id, date, account, action, symbol, quantity, price, fees, amount, currency, lots, note"},
		{"duplicate column", "date,account,action,Date\n", 1, 4, "column", "Date", "each column once (it is also column 1)"},
		{"lots on a buy", h + buy("", "2024-01-02", "Brokerage", "BUY", "VTI", "1", "10", "", "", "", "b1"), 2, 11, "lots", "b1", "only to SELL"},
		{"duplicate id", h + buy("x1", "2024-01-02", "Brokerage", "BUY", "VTI", "1", "10", "", "", "", "") + buy("x1", "2024-01-03", "Brokerage", "BUY", "VTI", "1", "10", "", "", "", ""), 3, 1, "id", "x1", "line 2 already uses it"},
		{"bad id", h + buy("a b", "2024-01-02", "Brokerage", "BUY", "VTI", "1", "10", "", "", "", ""), 2, 1, "id", "a b", "letters, digits"},
		{"missing symbol", h + buy("", "2024-01-02", "Brokerage", "BUY", "", "1", "10", "", "", "", ""), 2, 5, "symbol", "", "BUY needs one"},
		{"bad symbol", h + buy("", "2024-01-02", "Brokerage", "BUY", "V$I", "1", "10", "", "", "", ""), 2, 5, "symbol", "V$I", "symbol such as VTI"},
		{"missing quantity", h + buy("", "2024-01-02", "Brokerage", "SELL", "VTI", "", "10", "", "", "", ""), 2, 6, "quantity", "", "SELL needs a quantity"},
		{"no price or amount", h + buy("", "2024-01-02", "Brokerage", "BUY", "VTI", "1", "", "1", "", "", ""), 2, 7, "price", "", "price or an amount"},
		{"dividend without amount", h + buy("", "2024-01-02", "Brokerage", "DIVIDEND", "VTI", "", "", "", "", "", ""), 2, 9, "amount", "", "DIVIDEND needs an amount"},
		{"zero deposit", h + buy("", "2024-01-02", "Brokerage", "DEPOSIT", "", "", "", "", "0", "", ""), 2, 9, "amount", "0", "positive amount"},
		{"quantity on a deposit", h + buy("", "2024-01-02", "Brokerage", "DEPOSIT", "", "5", "", "", "10", "", ""), 2, 6, "quantity", "5", "DEPOSIT does not use it"},
		{"price on a split", h + buy("", "2024-01-02", "Brokerage", "SPLIT", "VTI", "2", "10", "", "", "", ""), 2, 7, "price", "10", "SPLIT does not use it"},
		{"bad ratio", h + buy("", "2024-01-02", "Brokerage", "SPLIT", "VTI", "-2", "", "", "", "", ""), 2, 6, "quantity", "-2", "split ratio"},
		{"bad currency", h + buy("", "2024-01-02", "Brokerage", "BUY", "VTI", "1", "10", "", "", "US", ""), 2, 10, "currency", "US", "3-letter"},
		{"euro buy", h + buy("", "2024-01-02", "Brokerage", "BUY", "SAP", "1", "10", "", "", "EUR", ""), 2, 10, "currency", "EUR", wantUSD},
		{"euro deposit", h + buy("", "2024-01-02", "Brokerage", "DEPOSIT", "", "", "", "", "10", "eur", ""), 2, 10, "currency", "eur", "other currencies are not supported yet"},
		{"euro split", h + buy("", "2024-01-02", "Brokerage", "SPLIT", "SAP", "2", "", "", "", "EUR", ""), 2, 10, "currency", "EUR", wantUSD},
		{"ratio with zero M", h + buy("", "2024-01-02", "Brokerage", "SPLIT", "VTI", "1:0", "", "", "", "", ""), 2, 6, "quantity", "1:0", "1:3"},
		{"ratio without M", h + buy("", "2024-01-02", "Brokerage", "SPLIT", "VTI", "1:", "", "", "", "", ""), 2, 6, "quantity", "1:", "1:3"},
		{"ratio without N", h + buy("", "2024-01-02", "Brokerage", "SPLIT", "VTI", ":3", "", "", "", "", ""), 2, 6, "quantity", ":3", "1:3"},
		{"ratio with three parts", h + buy("", "2024-01-02", "Brokerage", "SPLIT", "VTI", "1:3:2", "", "", "", "", ""), 2, 6, "quantity", "1:3:2", "1:3"},
		{"negative ratio M", h + buy("", "2024-01-02", "Brokerage", "SPLIT", "VTI", "1:-3", "", "", "", "", ""), 2, 6, "quantity", "1:-3", "1:3"},
		{"ratio M places", h + buy("", "2024-01-02", "Brokerage", "SPLIT", "VTI", "1:3.000000001", "", "", "", "", ""), 2, 6, "quantity", "1:3.000000001", "at most 8 decimal places"},
		{"huge ratio N", h + buy("", "2024-01-02", "Brokerage", "SPLIT", "VTI", "10000000000:1", "", "", "", "", ""), 2, 6, "quantity", "10000000000:1", "below 10000000000"},
		{"N:M on a buy", h + buy("", "2024-01-02", "Brokerage", "BUY", "VTI", "1:3", "10", "", "", "", ""), 2, 6, "quantity", "1:3", "positive number"},
		{"bad lots", h + buy("", "2024-01-02", "Brokerage", "SELL", "VTI", "1", "10", "", "", "", "b1:x"), 2, 11, "lots", "b1:x", "positive numbers"},
		{"repeated lot", h + buy("", "2024-01-02", "Brokerage", "SELL", "VTI", "1", "10", "", "", "", "b1;b1"), 2, 11, "lots", "b1;b1", "appears twice"},
		{"empty lots", h + buy("", "2024-01-02", "Brokerage", "SELL", "VTI", "1", "10", "", "", "", ";"), 2, 11, "lots", ";", "lot picks"},
		{"too few fields", h + "x,2024-01-02,Brokerage,BUY\n", 2, 5, "fields", "4", "12 fields"},
		{"too many fields", h + strings.Repeat(",", 12) + "x\n", 2, 13, "fields", "13", "12 fields"},
		{"huge quantity", h + buy("", "2024-01-02", "Brokerage", "BUY", "VTI", "10000000000", "10", "", "", "", ""), 2, 6, "quantity", "10000000000", "below 10000000000"},
		{"huge amount", h + buy("", "2024-01-02", "Brokerage", "DEPOSIT", "", "", "", "", "1000000000000", "", ""), 2, 9, "amount", "1000000000000", "below 1000000000000"},
		{"huge lot quantity", h + buy("", "2024-01-02", "Brokerage", "SELL", "VTI", "1", "10", "", "", "", "b1:99999999999"), 2, 11, "lots", "b1:99999999999", "below 10000000000"},
		{"semicolon separated", "date;account;action\n", 1, 1, "column", "date;account;action", `separated by ";"`},
		{"multi-line quoted note", h + "a1,2024-01-02,Brokerage,BUY,VTI,1,10,,,,,\"two\nlines\"\n" + buy("", "2024-01-02", "Brokerage", "BUY", "VTI", "x", "10", "", "", "", ""), 4, 6, "quantity", "x", "positive number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := ParseTradesCSV(strings.NewReader(tt.in), "trades.csv", resolve)
			if err == nil {
				t.Fatalf("no error; rows %+v", rows)
			}
			if rows != nil {
				t.Errorf("rows returned with the error")
			}
			re := rowErr(t, err)
			got := [5]any{re.File, re.Line, re.Column, re.Field, re.Value}
			want := [5]any{"trades.csv", tt.line, tt.col, tt.field, tt.value}
			if got != want {
				t.Errorf("got %v, want %v (%v)", got, want, err)
			}
			if !strings.Contains(re.Expected, tt.expected) {
				t.Errorf("Expected %q does not contain %q", re.Expected, tt.expected)
			}
		})
	}
}

func TestParseTradesCSVSyntaxErrors(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		line     int
	}{
		{"empty", "", 0},
		{"only blank lines", "\n\n# nothing\n", 0},
		{"bare quote", tradesHeader + ",2024-01-02,Brokerage,BUY,VTI,1,1\"0,,,,,\n", 2},
		{"unterminated quote", tradesHeader + ",2024-01-02,Brokerage,BUY,VTI,1,10,,,,,\"open\n", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTradesCSV(strings.NewReader(tt.in), "t.csv", resolve)
			re := rowErr(t, err)
			if re.Line != tt.line || re.Field != "" {
				t.Errorf("got line %d field %q (%v), want line %d and no field", re.Line, re.Field, err, tt.line)
			}
		})
	}
}

func TestTradesCSVKeys(t *testing.T) {
	in := []byte(tradesHeader +
		",2024-01-03,Brokerage,BUY,VTI,10,235.5,1,,,,\n" +
		",2024-01-03,Brokerage,BUY,VTI,10,235.5,1,,,,\n" + // the same again: a second, distinct trade
		",2024-01-03,Brokerage,BUY,VTI,10.00,235.50,1.0,,USD,,other note\n" + // same content, other spelling
		",2024-01-03,Brokerage,BUY,VTI,11,235.5,1,,,,\n" +
		"k9,2024-01-03,Brokerage,BUY,VTI,10,235.5,1,,,,\n" +
		",2024-02-01,Brokerage,SPLIT,VTI,1:3,,,,,,\n" +
		",2024-02-01,Brokerage,SPLIT,VTI,01.0 : 3.00,,,,,,\n" + // the same ratio, other spelling
		",2024-02-01,Brokerage,SPLIT,VTI,3:1,,,,,,\n" +
		",2024-02-01,Brokerage,SPLIT,VTI,3,,,,,,\n" + // 3:1 is the plain ratio 3
		",2024-02-01,Brokerage,SPLIT,VTI,1:30,,,,,,\n")
	parse := func() []Row {
		rows, err := ParseTradesCSV(bytes.NewReader(in), "t.csv", resolve)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	a, b := parse(), parse()
	for i := range a {
		if a[i].Trade.Key != b[i].Trade.Key {
			t.Errorf("line %d: key %q then %q", a[i].Line, a[i].Trade.Key, b[i].Trade.Key)
		}
		if i < 4 && a[i].Trade.ID == b[i].Trade.ID {
			t.Errorf("line %d: id-less row got the same ID %q twice", a[i].Line, a[i].Trade.ID)
		}
	}
	k := func(i int) (hash, n string) {
		s := a[i].Trade.Key
		j := strings.LastIndexByte(s, ':')
		return s[:j], s[j+1:]
	}
	h0, n0 := k(0)
	h1, n1 := k(1)
	h2, n2 := k(2)
	h3, n3 := k(3)
	if h0 != h1 || h0 != h2 || n0 != "0" || n1 != "1" || n2 != "2" {
		t.Errorf("identical rows: keys %q %q %q, want one hash with :0 :1 :2", a[0].Trade.Key, a[1].Trade.Key, a[2].Trade.Key)
	}
	if h3 == h0 || n3 != "0" {
		t.Errorf("different quantity got key %q (first row %q)", a[3].Trade.Key, a[0].Trade.Key)
	}
	if a[4].Trade.Key != "csv:id:k9" || a[4].Trade.ID != "k9" {
		t.Errorf("row with id: ID %q Key %q", a[4].Trade.ID, a[4].Trade.Key)
	}
	h5, n5 := k(5)
	h6, n6 := k(6)
	h7, n7 := k(7)
	h8, n8 := k(8)
	h9, _ := k(9)
	if h5 != h6 || n5 != "0" || n6 != "1" {
		t.Errorf("1:3 spelt two ways: keys %q %q, want one hash with :0 :1", a[5].Trade.Key, a[6].Trade.Key)
	}
	if h7 != h8 || n7 != "0" || n8 != "1" || h7 == h5 {
		t.Errorf("3:1 and 3: keys %q %q, want one hash (not 1:3's) with :0 :1", a[7].Trade.Key, a[8].Trade.Key)
	}
	if h9 == h5 {
		t.Errorf("1:30 has the key hash of 1:3: %q", a[9].Trade.Key)
	}
}

// tradesCSV returns a trades CSV of n rows mixing every action.
func tradesCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString(tradesHeader)
	syms := []string{"VTI", "VXUS", "BND", "AAPL", "MSFT", "BRK.B"}
	for i := 0; i < n; i++ {
		d := portfolio.MustDate("2000-01-03").AddDays(i / 40).String()
		s := syms[i%len(syms)]
		switch i % 10 {
		case 0:
			fmt.Fprintf(&b, ",%s,Brokerage,DEPOSIT,,,,,%d.25,,,\n", d, 1000+i%97)
		case 1, 2, 3:
			fmt.Fprintf(&b, "id%d,%s,Brokerage,BUY,%s,%d.5,%d.1234,1.00,,,,\n", i, d, s, 1+i%50, 10+i%300)
		case 4:
			fmt.Fprintf(&b, ",%s,Roth,BUY,%s,0.00123456,,,%d.99,USD,,\n", d, s, 5+i%20)
		case 5, 6:
			fmt.Fprintf(&b, ",%s,Brokerage,SELL,%s,1,%d.75,0.35,,,id%d:1,harvest\n", d, s, 20+i%200, i-4)
		case 7:
			fmt.Fprintf(&b, ",%s,Brokerage,DIVIDEND,%s,,,,%d.11,,,\n", d, s, 1+i%40)
		case 8:
			fmt.Fprintf(&b, ",%s,Roth,REINVEST,%s,0.125,,,%d.50,,,\n", d, s, 1+i%30)
		case 9:
			fmt.Fprintf(&b, ",%s,Brokerage,FEE,,,,,0.5,,,\"fee, monthly\"\n", d)
		}
	}
	return b.Bytes()
}

func TestTradesCSVGenerated(t *testing.T) {
	rows, err := ParseTradesCSV(bytes.NewReader(tradesCSV(2000)), "gen.csv", resolve)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2000 {
		t.Fatalf("%d rows, want 2000", len(rows))
	}
	keys := map[string]bool{}
	for _, r := range rows {
		if err := checkTrade(r.Trade); err != nil {
			t.Fatalf("line %d: %v", r.Line, err)
		}
		if keys[r.Trade.Key] {
			t.Fatalf("line %d: duplicate key %s", r.Line, r.Trade.Key)
		}
		keys[r.Trade.Key] = true
	}
	if rows[1999].Line != 2001 {
		t.Errorf("last line %d, want 2001", rows[1999].Line)
	}
}

func BenchmarkParseTradesCSV100k(b *testing.B) {
	data := tradesCSV(100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rows, err := ParseTradesCSV(bytes.NewReader(data), "bench.csv", resolve)
		if err != nil || len(rows) != 100_000 {
			b.Fatal(len(rows), err)
		}
	}
}

func FuzzParseTradesCSV(f *testing.F) {
	f.Add(tradesCSV(20))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParseTradesCSV(bytes.NewReader(data), "fuzz.csv", resolve)
		if err != nil {
			re := rowErr(t, err)
			if re.Line < 0 || re.Column < 0 || rows != nil {
				t.Fatalf("bad error %+v with %d rows", re, len(rows))
			}
			return
		}
		keys := map[string]bool{}
		for _, r := range rows {
			if err := checkTrade(r.Trade); err != nil {
				t.Fatalf("line %d: %v", r.Line, err)
			}
			if keys[r.Trade.Key] {
				t.Fatalf("line %d: duplicate key %s", r.Line, r.Trade.Key)
			}
			keys[r.Trade.Key] = true
			if r.Line < 1 {
				t.Fatalf("line %d", r.Line)
			}
		}
	})
}

// TestTradesCSVFirstErrorInFileOrder checks that a large file (parsed in
// parallel batches) reports the error a sequential parse would: the first in
// file order, whichever worker or pass finds it.
func TestTradesCSVFirstErrorInFileOrder(t *testing.T) {
	base := strings.Split(strings.TrimSuffix(string(tradesCSV(6000)), "\n"), "\n")
	// base[0] is the header; base[i] is on line i+1 and base[2] has id "id1".
	set := func(lines []string, i int, s string) []string {
		out := append([]string(nil), lines...)
		out[i] = s
		return out
	}
	badDate := ",2024-02-30,Brokerage,DEPOSIT,,,,,5,,,"
	dupID := "id1,2024-01-02,Brokerage,BUY,VTI,1,10,,,,,"
	badQty := ",2024-01-02,Brokerage,BUY,VTI,x,10,,,,,"
	tests := []struct {
		name  string
		lines []string
		line  int
		field string
	}{
		{"date before duplicate id", set(set(base, 3001, badDate), 4001, dupID), 3002, "date"},
		{"duplicate id before date", set(set(base, 1001, dupID), 3001, badDate), 1002, "id"},
		{"two bad rows in other batches", set(set(base, 5900, badQty), 700, badDate), 701, "date"},
		{"bad row before a syntax error", set(set(base, 4500, `,2024-01-02,Brokerage,BUY,VTI,1,1"0,,,,,`), 4400, badQty), 4401, "quantity"},
		{"syntax error before a bad row", set(set(base, 4400, `,2024-01-02,Brokerage,BUY,VTI,1,1"0,,,,,`), 4500, badQty), 4401, ""},
		{"field count", set(base, 2999, "a,b"), 3000, "fields"},
		{"last row", set(base, 6000, badQty), 6001, "quantity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := strings.Join(tt.lines, "\n") + "\n"
			_, err := ParseTradesCSV(strings.NewReader(in), "big.csv", resolve)
			re := rowErr(t, err)
			if re.Line != tt.line || re.Field != tt.field {
				t.Errorf("got line %d field %q (%v); want line %d field %q", re.Line, re.Field, err, tt.line, tt.field)
			}
		})
	}
	rows, err := ParseTradesCSV(strings.NewReader(strings.Join(base, "\n")), "big.csv", resolve)
	if err != nil || len(rows) != 6000 || rows[5999].Line != 6001 {
		t.Fatalf("clean file: %d rows, %v", len(rows), err)
	}
}

// TestTradesCSVMultiLineFieldLines checks field lines after a quoted field
// that spans lines, in the parallel path.
func TestTradesCSVMultiLineFieldLines(t *testing.T) {
	var b strings.Builder
	b.WriteString("note,date,account,action,amount\n")
	for i := 0; i < 3000; i++ {
		b.WriteString("\"a\r\nb\nc\",2024-01-02,Brokerage,DEPOSIT,1\n")
	}
	b.WriteString("\"x\ny\",2024-01-02,Nobody,DEPOSIT,1\n")
	_, err := ParseTradesCSV(strings.NewReader(b.String()), "m.csv", resolve)
	re := rowErr(t, err)
	if want := 2 + 3*3000 + 1; re.Line != want || re.Column != 3 || re.Field != "account" {
		t.Errorf("got %d:%d %s (%v); want %d:3 account", re.Line, re.Column, re.Field, err, want)
	}
}

func TestTradesCSVKeyNormalisesLots(t *testing.T) {
	in := tradesHeader +
		",2024-02-01,Brokerage,SELL,VTI,5,240,1,,,b1:5;b2,\n" +
		",2024-02-01,Brokerage,SELL,VTI,5,240,1,,,\" b1 : 5.00 ; b2 ;\",\n" +
		",2024-02-01,Brokerage,SELL,VTI,5,240,1,,,b2;b1:5,\n"
	rows, err := ParseTradesCSV(strings.NewReader(in), "t.csv", resolve)
	if err != nil {
		t.Fatal(err)
	}
	k0, k1, k2 := rows[0].Trade.Key, rows[1].Trade.Key, rows[2].Trade.Key
	if k0[:len(k0)-2] != k1[:len(k1)-2] || !strings.HasSuffix(k1, ":1") {
		t.Errorf("same picks spelled differently: keys %q and %q", k0, k1)
	}
	if k2[:len(k2)-2] == k0[:len(k0)-2] {
		t.Errorf("picks in another order (another sale) got the same hash: %q", k2)
	}
}
