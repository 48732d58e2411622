package importer

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// docExamples returns the ```csv blocks of docs/import-formats.md in order.
func docExamples(t *testing.T) (doc string, blocks []string) {
	t.Helper()
	b, err := os.ReadFile("../../docs/import-formats.md")
	if err != nil {
		t.Fatal(err)
	}
	doc = string(b)
	for _, m := range regexp.MustCompile("(?s)```csv\n(.*?)```").FindAllStringSubmatch(doc, -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) < 4 {
		t.Fatalf("docs/import-formats.md has %d csv examples, want the trades, minimal, long and wide ones", len(blocks))
	}
	return doc, blocks
}

// TestDocsTradesExample parses and books the trades CSV example of the docs,
// and checks that it records a reinvested dividend once: as a REINVEST, not
// also as a DIVIDEND of the same amount on the same day (which would count
// the dividend twice, since a REINVEST moves no cash).
func TestDocsTradesExample(t *testing.T) {
	_, blocks := docExamples(t)
	for i, ex := range blocks[:2] {
		rows, err := ParseTradesCSV(strings.NewReader(ex), "example.csv", resolve)
		if err != nil {
			t.Fatalf("example %d: %v", i+1, err)
		}
		trades := make([]portfolio.Trade, len(rows))
		for j, r := range rows {
			trades[j] = r.Trade
		}
		if _, err := portfolio.Replay([]portfolio.Account{brokerage, roth}, trades); err != nil {
			t.Errorf("example %d does not book: %v", i+1, err)
		}
		type event struct {
			acct, sym string
			date      portfolio.Date
			amount    string
		}
		dividends := map[event]bool{}
		for _, tr := range trades {
			if tr.Action == portfolio.Dividend {
				dividends[event{tr.AccountID, tr.Symbol, tr.Date, tr.Amount.String()}] = true
			}
		}
		for j, tr := range trades {
			if tr.Action != portfolio.Reinvest {
				continue
			}
			if dividends[event{tr.AccountID, tr.Symbol, tr.Date, tr.CostBasis().String()}] {
				t.Errorf("example %d, line %d: REINVEST of %s %s also recorded as a DIVIDEND: the dividend counts twice",
					i+1, rows[j].Line, tr.Symbol, tr.CostBasis())
			}
		}
	}
}

// TestDocsPricesRounding checks the prices examples parse and that prices are
// rounded to 6 decimal places, half away from zero, as the docs say.
func TestDocsPricesRounding(t *testing.T) {
	doc, blocks := docExamples(t)
	for _, ex := range blocks[2:4] {
		if _, err := ParsePricesCSV(strings.NewReader(ex), "prices.csv", ""); err != nil {
			t.Errorf("prices example: %v", err)
		}
	}
	if !strings.Contains(doc, "Prices are rounded to 6 decimal places (half away from zero") {
		t.Error("docs/import-formats.md does not say that prices are rounded to 6 decimal places, half away from zero")
	}
	bars, err := ParsePricesCSV(strings.NewReader("date,symbol,close,open\n2024-01-02,X,23.950705261230469,1.0000005\n"), "p.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(bars) != 1 || !bars[0].Close.Equal(dec("23.950705")) || !bars[0].Open.Decimal.Equal(dec("1.000001")) {
		t.Errorf("bars %+v: want close 23.950705 and open 1.000001", bars)
	}
}
