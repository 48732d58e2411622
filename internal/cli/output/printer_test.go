package output

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/iostreams"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sample() (Table, any) {
	d := decimal.RequireFromString
	t := Table{
		Columns: []Column{
			{Header: "Symbol", Key: "symbol"},
			{Header: "Quantity", Key: "quantity", Kind: Quantity},
			{Header: "Price", Key: "price", Kind: Price},
			{Header: "Market value", Key: "market_value", Kind: Money},
			{Header: "Unrealized P&L", Key: "unrealized_pl", Kind: Gain},
			{Header: "P&L %", Key: "unrealized_pl_pct", Kind: GainPct},
			{Header: "Acquired", Key: "date_acquired"},
		},
		Rows: [][]any{
			{"MSFT", d("1500"), decimal.NewNullDecimal(d("14.514842")), d("21772.26"), d("-14092.74"), decimal.NewNullDecimal(d("-0.393")), portfolio.MustDate("2007-01-04")},
			{"AAPL", d("0.5"), decimal.NullDecimal{}, d("0"), d("1234567.891"), decimal.NewNullDecimal(d("0.0712")), portfolio.MustDate("2008-02-11")},
		},
		Totals: []any{"TOTAL", nil, nil, d("21772.26"), d("1220475.151"), nil, nil},
	}
	doc := []map[string]decimal.Decimal{{"market_value": d("21772.26")}}
	return t, doc
}

func TestPrintFormats(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		tty    bool
		color  iostreams.ColorMode
		pal    Palette
	}{
		{"table_tty", FormatTable, true, iostreams.ColorNever, PaletteUS},
		{"table_tty_color", FormatTable, true, iostreams.ColorAlways, PaletteUS},
		{"table_tty_color_cn", FormatTable, true, iostreams.ColorAlways, PaletteCN},
		{"table_piped", FormatTable, false, iostreams.ColorAuto, PaletteUS},
		{"csv", FormatCSV, true, iostreams.ColorAlways, PaletteUS},
		{"json", FormatJSON, true, iostreams.ColorAlways, PaletteUS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, out, _ := iostreams.Test()
			io.SetStdoutTTY(tt.tty)
			io.SetColorMode(tt.color)
			tbl, doc := sample()
			p := &Printer{IO: io, Format: tt.format, Palette: tt.pal}
			if err := p.Print(tbl, doc); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), out.String()); diff != "" {
				t.Errorf("Print(%s) mismatch (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestJSONDecimalsAreStrings(t *testing.T) {
	io, _, out, _ := iostreams.Test()
	p := &Printer{IO: io, Format: FormatJSON}
	_, doc := sample()
	if err := p.Print(Table{}, doc); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if v, ok := got[0]["market_value"].(string); !ok || v != "21772.26" {
		t.Errorf("market_value = %#v; want the string \"21772.26\"", got[0]["market_value"])
	}
}

func TestHumanDecimal(t *testing.T) {
	d := decimal.RequireFromString
	tests := []struct {
		in   decimal.Decimal
		kind Kind
		want string
		sign int
	}{
		{d("1234567.891"), Money, "1,234,567.89", 0},
		{d("-1234.5"), Money, "−1,234.50", 0},
		{d("999.995"), Money, "1,000.00", 0},
		{d("14.514842"), Price, "14.5148", 0},
		{d("14.5"), Price, "14.50", 0},
		{d("100"), Price, "100.00", 0},
		{d("1000.25"), Quantity, "1,000.25", 0},
		{d("0.00000001"), Quantity, "0.00000001", 0},
		{d("12.5"), Gain, "+12.50", 1},
		{d("-12.5"), Gain, "−12.50", -1},
		{d("0"), Gain, "0.00", 0},
		{d("-0.0712"), GainPct, "−7.12%", -1},
		{d("0.25"), Percent, "25.00%", 0},
	}
	for _, tt := range tests {
		got, sign := humanDecimal(tt.in, tt.kind)
		if got != tt.want || sign != tt.sign {
			t.Errorf("humanDecimal(%s, %d) = %q, %d; want %q, %d", tt.in, tt.kind, got, sign, tt.want, tt.sign)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"table", "JSON", "csv"} {
		if _, err := ParseFormat(s); err != nil {
			t.Errorf("ParseFormat(%q) = %v", s, err)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil {
		t.Error("ParseFormat(yaml) = nil error; want an error")
	}
}
