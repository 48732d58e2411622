package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/demo"
	"github.com/wealthalloc/wealthalloc/internal/ibkr/sim"
	"github.com/wealthalloc/wealthalloc/internal/importer"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// StateFile is the --state file: the simulated accounts.
type StateFile struct {
	Accounts []struct {
		ID        string `json:"id"`
		Cash      string `json:"cash"`
		Positions []struct {
			Symbol   string `json:"symbol"`
			Quantity string `json:"quantity"`
			AvgCost  string `json:"avg_cost"`
		} `json:"positions"`
	} `json:"accounts"`
}

// ReadState reads a --state file. Amounts are decimal strings.
func ReadState(path string) ([]sim.Account, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--state: %w", err)
	}
	var st StateFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("--state %s: %w (want {\"accounts\":[{\"id\":\"DU1234567\",\"cash\":\"10000\",\"positions\":[{\"symbol\":\"AAPL\",\"quantity\":\"10\",\"avg_cost\":\"150\"}]}]})", path, err)
	}
	if len(st.Accounts) == 0 {
		return nil, fmt.Errorf("--state %s: no accounts", path)
	}
	num := func(what, s string) (decimal.Decimal, error) {
		if s == "" {
			return decimal.Zero, nil
		}
		d, err := decimal.NewFromString(s)
		if err != nil {
			return d, fmt.Errorf("--state %s: %s %q is not a decimal number", path, what, s)
		}
		return d, nil
	}
	out := make([]sim.Account, 0, len(st.Accounts))
	for _, a := range st.Accounts {
		if a.ID == "" {
			return nil, fmt.Errorf("--state %s: an account has no id", path)
		}
		cash, err := num(a.ID+" cash", a.Cash)
		if err != nil {
			return nil, err
		}
		sa := sim.Account{ID: a.ID, Cash: cash}
		for _, p := range a.Positions {
			q, err := num(a.ID+" "+p.Symbol+" quantity", p.Quantity)
			if err != nil {
				return nil, err
			}
			c, err := num(a.ID+" "+p.Symbol+" avg_cost", p.AvgCost)
			if err != nil {
				return nil, err
			}
			sa.Positions = append(sa.Positions, sim.Position{Symbol: strings.ToUpper(p.Symbol), Quantity: q, AvgCost: c})
		}
		out = append(out, sa)
	}
	return out, nil
}

// SimPrices turns stored-format bars into the simulator's, by symbol. A
// symbol whose bars are closes only (like the demo's) gets days that open at
// the previous close, so its intraday path moves and resting orders fill.
func SimPrices(bars []portfolio.Bar) map[string][]sim.Bar {
	closesOnly := map[string]bool{}
	for _, b := range bars {
		if _, seen := closesOnly[b.Symbol]; !seen {
			closesOnly[b.Symbol] = true
		}
		if b.Open.Valid || b.High.Valid || b.Low.Valid {
			closesOnly[b.Symbol] = false
		}
	}
	out := map[string][]sim.Bar{}
	for _, b := range bars {
		or := func(n decimal.NullDecimal) decimal.Decimal {
			if n.Valid {
				return n.Decimal
			}
			return b.Close
		}
		vol := decimal.Zero
		if b.Volume.Valid {
			vol = b.Volume.Decimal
		}
		out[b.Symbol] = append(out[b.Symbol], sim.Bar{Date: b.Date.String(), Open: or(b.Open), High: or(b.High), Low: or(b.Low), Close: b.Close, Volume: vol})
	}
	for sym, bs := range out {
		sort.Slice(bs, func(i, j int) bool { return bs[i].Date < bs[j].Date })
		if closesOnly[sym] {
			dates := make([]string, len(bs))
			closes := make([]decimal.Decimal, len(bs))
			for i, b := range bs {
				dates[i], closes[i] = b.Date, b.Close
			}
			out[sym] = sim.BarsFromCloses(dates, closes)
		}
	}
	return out
}

// SimAccounts turns broker states into the simulator's accounts.
func SimAccounts(states []app.BrokerState) []sim.Account {
	out := make([]sim.Account, 0, len(states))
	for _, s := range states {
		a := sim.Account{ID: s.Account, Cash: s.Cash}
		for _, p := range s.Positions {
			a.Positions = append(a.Positions, sim.Position{Symbol: p.Symbol, Quantity: p.Quantity, AvgCost: p.AvgCost})
		}
		out = append(out, a)
	}
	return out
}

// DemoConfig is the simulator the demo runs: the bundled prices with asOf
// as the simulated today, and the demo accounts after their whole history
// (which ends before demo.AsOf), as IB would report them.
func DemoConfig(asOf portfolio.Date) (sim.Config, error) {
	bars, err := importer.ParsePricesCSV(bytes.NewReader(demo.Prices), "demo/stockdata.csv", "wide")
	if err != nil {
		return sim.Config{}, fmt.Errorf("demo prices: %w", err)
	}
	states, err := app.DemoBrokerState(max(asOf, demo.AsOf))
	if err != nil {
		return sim.Config{}, err
	}
	return sim.Config{Prices: SimPrices(bars), AsOf: asOf.String(), Accounts: SimAccounts(states), Seed: 1}, nil
}

// ParseCommission reads --commission PER_SHARE[,MIN[,MAX%]], e.g.
// "0.005,1,1%".
func ParseCommission(s string) (sim.Commission, error) {
	parts := strings.Split(s, ",")
	if len(parts) > 3 {
		return sim.Commission{}, fmt.Errorf("--commission %q: want PER_SHARE[,MIN[,MAX%%]], such as 0.005,1,1%%", s)
	}
	var vals [3]decimal.Decimal
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if i == 2 {
			p = strings.TrimSuffix(p, "%")
		}
		d, err := decimal.NewFromString(p)
		if err != nil || d.IsNegative() {
			return sim.Commission{}, fmt.Errorf("--commission %q: %q is not a non-negative number; want PER_SHARE[,MIN[,MAX%%]]", s, parts[i])
		}
		vals[i] = d
	}
	c := sim.Commission{PerShare: vals[0], Min: vals[1], MaxPercent: vals[2]}
	if len(parts) < 3 {
		c.MaxPercent = decimal.NewFromInt(100)
	}
	return c, nil
}
