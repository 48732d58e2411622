package importer

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

func nd(s string) decimal.NullDecimal { return decimal.NewNullDecimal(dec(s)) }

func TestParsePricesLong(t *testing.T) {
	in := "\uFEFFSymbol,Date,Open,High,Low,Close,Adj Close,Volume\n" +
		"vti,2024-01-02,235.1,236.5,234.0,236.25,230.123456789,3100200\n" +
		"\n" +
		"BND,2024-01-02,,,,72.5,,\n" +
		"# comment\n" +
		"BRK.B,2024-01-03,,,,\"360.00\",,\n"
	for _, format := range []string{"long", ""} {
		bars, err := ParsePricesCSV(strings.NewReader(in), "p.csv", format)
		if err != nil {
			t.Fatal(err)
		}
		d := portfolio.MustDate
		want := []portfolio.Bar{
			{Symbol: "VTI", Date: d("2024-01-02"), Open: nd("235.1"), High: nd("236.5"), Low: nd("234"), Close: dec("236.25"), AdjClose: nd("230.123457"), Volume: nd("3100200")},
			{Symbol: "BND", Date: d("2024-01-02"), Close: dec("72.5")},
			{Symbol: "BRK.B", Date: d("2024-01-03"), Close: dec("360")},
		}
		if diff := cmp.Diff(want, bars, decimalEqual); diff != "" {
			t.Errorf("format %q: bars (-want +got):\n%s", format, diff)
		}
	}
}

func TestParsePricesWide(t *testing.T) {
	in := "date,VTI,bnd\n2024-01-02,236.25,\n2024-01-03,,72.5\n"
	bars, err := ParsePricesCSV(strings.NewReader(in), "p.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	want := []portfolio.Bar{
		{Symbol: "VTI", Date: portfolio.MustDate("2024-01-02"), Close: dec("236.25")},
		{Symbol: "BND", Date: portfolio.MustDate("2024-01-03"), Close: dec("72.5")},
	}
	if diff := cmp.Diff(want, bars, decimalEqual); diff != "" {
		t.Errorf("bars (-want +got):\n%s", diff)
	}
}

// TestParsePricesStockdata reads the real plotly file: wide, CRLF line
// endings, the quoted Date column last.
func TestParsePricesStockdata(t *testing.T) {
	f, err := os.Open("testdata/stockdata.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bars, err := ParsePricesCSV(f, "stockdata.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(bars) != 2306*5 {
		t.Fatalf("%d bars, want 2306 rows × 5 symbols = %d", len(bars), 2306*5)
	}
	dates := map[portfolio.Date]bool{}
	perSymbol := map[string]int{}
	var gspc, aapl portfolio.Bar
	for _, b := range bars {
		dates[b.Date] = true
		perSymbol[b.Symbol]++
		if b.Date == portfolio.MustDate("2008-10-15") {
			switch b.Symbol {
			case "GSPC":
				gspc = b
			case "AAPL":
				aapl = b
			}
		}
	}
	if len(dates) != 2306 {
		t.Errorf("%d dates, want 2306", len(dates))
	}
	if diff := cmp.Diff(map[string]int{"MSFT": 2306, "IBM": 2306, "SBUX": 2306, "AAPL": 2306, "GSPC": 2306}, perSymbol); diff != "" {
		t.Errorf("bars per symbol (-want +got):\n%s", diff)
	}
	if !gspc.Close.Equal(dec("907.840027")) || !aapl.Close.Equal(dec("12.958635")) {
		t.Errorf("2008-10-15: GSPC %s, AAPL %s; want 907.840027 and 12.958635", gspc.Close, aapl.Close)
	}
	first, last := bars[0], bars[len(bars)-1]
	if first.Symbol != "MSFT" || first.Date != portfolio.MustDate("2007-01-03") || !first.Close.Equal(dec("23.950705")) ||
		last.Symbol != "GSPC" || last.Date != portfolio.MustDate("2016-03-01") {
		t.Errorf("first %+v, last %+v", first, last)
	}
}

func TestParsePricesErrors(t *testing.T) {
	long := "date,symbol,close,volume\n"
	tests := []struct {
		name         string
		in, format   string
		line, col    int
		field, value string
		expected     string
	}{
		{"long bad date", long + "2024/01/02,VTI,1,\n", "", 2, 1, "date", "2024/01/02", "YYYY-MM-DD"},
		{"long bad symbol", long + "2024-01-02,V#,1,\n", "", 2, 2, "symbol", "V#", "symbol such as"},
		{"long zero close", long + "2024-01-02,VTI,0,\n", "", 2, 3, "close", "0", "positive price"},
		{"long negative volume", long + "2024-01-02,VTI,1,-5\n", "", 2, 4, "volume", "-5", "non-negative"},
		{"long missing close", long + "2024-01-02,VTI,,\n", "", 2, 3, "close", "", "positive price"},
		{"long duplicate", long + "2024-01-02,VTI,1,\n2024-01-03,VTI,1,\n2024-01-02,vti,2,\n", "", 4, 2, "symbol", "VTI", "line 2 already has VTI on 2024-01-02"},
		{"long unknown column", "date,symbol,close,pe\n", "long", 1, 4, "column", "pe", "only known columns"},
		{"long missing column", "date,symbol,volume\n", "long", 1, 0, "columns", "date,symbol,volume", `"close" column`},
		{"wide bad number", "Date,VTI,BND\n2024-01-02,1,abc\n", "", 2, 3, "BND", "abc", "positive price"},
		{"wide dollar", "VTI,Date\n\"$1\",2024-01-02\n", "wide", 2, 1, "VTI", "$1", "no $"},
		{"wide duplicate date", "Date,VTI\n2024-01-02,1\n2024-01-02,2\n", "", 3, 1, "date", "2024-01-02", "line 2 already has 2024-01-02"},
		{"wide no date column", "Day,VTI\n", "", 1, 0, "columns", "Day,VTI", `"date" column`},
		{"wide ohlc header", "Date,Open,Close\n", "", 1, 2, "column", "Open", "long format"},
		{"wide duplicate symbol", "Date,VTI,vti\n", "", 1, 3, "column", "vti", "each symbol once"},
		{"wide bad symbol", "Date,VTI,\n", "", 1, 3, "column", "", "symbol such as"},
		{"wide two date columns", "Date,VTI,DATE\n", "", 1, 3, "column", "DATE", "one date column"},
		{"field count", "Date,VTI\n2024-01-02,1,2\n", "", 2, 3, "fields", "3", "2 fields"},
		{"semicolons", "date;symbol;close\n", "", 1, 0, "columns", "date;symbol;close", `separated by ";"`},
		{"bad format", "Date,VTI\n", "tall", 0, 0, "format", "tall", `"long", "wide"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bars, err := ParsePricesCSV(strings.NewReader(tt.in), "p.csv", tt.format)
			if err == nil {
				t.Fatalf("no error; bars %+v", bars)
			}
			re := rowErr(t, err)
			got := [5]any{re.File, re.Line, re.Column, re.Field, re.Value}
			want := [5]any{"p.csv", tt.line, tt.col, tt.field, tt.value}
			if got != want {
				t.Errorf("got %v, want %v (%v)", got, want, err)
			}
			if !strings.Contains(re.Expected, tt.expected) {
				t.Errorf("Expected %q does not contain %q", re.Expected, tt.expected)
			}
		})
	}
	if _, err := ParsePricesCSV(strings.NewReader(""), "p.csv", ""); err == nil {
		t.Error("empty input: no error")
	}
}
