package refdata

import "testing"

func TestClassify(t *testing.T) {
	tests := []struct{ sym, class, sector string }{
		{"AAPL", "us_equity", "Information Technology"},
		{"msft", "us_equity", "Information Technology"},
		{"SBUX", "us_equity", "Consumer Discretionary"},
		{"BRK-B", "us_equity", "Financials"},
		{"VOO", "us_equity", "US Large Cap"},
		{"BND", "bond", "US Aggregate Bond"},
		{"ZZZZ", Unclassified, Unclassified},
	}
	for _, tt := range tests {
		got := Classify(tt.sym)
		if got.AssetClass != tt.class || got.Sector != tt.sector {
			t.Errorf("Classify(%q) = %+v; want class %q sector %q", tt.sym, got, tt.class, tt.sector)
		}
	}
}
