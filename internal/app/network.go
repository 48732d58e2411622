package app

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/wealthalloc/wealthalloc/internal/ml"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// HoldingsNetwork builds the holdings network (ml.Network) from the stored
// daily prices of the portfolio's holdings (or symbols) up to asOf, on the
// dates all of them have.
func (p *Portfolio) HoldingsNetwork(ctx context.Context, symbols []string, asOf portfolio.Date, opt ml.NetworkOptions) (ml.NetworkReport, error) {
	if len(symbols) == 0 {
		var err error
		if symbols, err = p.heldSymbols(ctx); err != nil {
			return ml.NetworkReport{}, err
		}
	}
	var series []ml.Series
	var syms []string
	for _, sym := range symbols {
		s, err := p.priceSeries(ctx, sym, asOf)
		if err != nil {
			return ml.NetworkReport{}, err
		}
		if len(s.Values) < 2 {
			continue // no prices: not part of the network
		}
		series = append(series, s)
		syms = append(syms, sym)
	}
	if len(series) < 2 {
		return ml.NetworkReport{}, errors.New("network: fewer than two holdings have stored prices")
	}
	// Dates every series has, in order.
	count := map[string]int{}
	for _, s := range series {
		for _, t := range s.Times {
			count[t]++
		}
	}
	vals := make([]map[string]float64, len(series))
	for i, s := range series {
		vals[i] = make(map[string]float64, len(s.Times))
		for j, t := range s.Times {
			vals[i][t] = s.Values[j]
		}
	}
	var dates []string
	for _, t := range series[0].Times {
		if count[t] == len(series) {
			dates = append(dates, t)
		}
	}
	if len(dates) < 2 {
		return ml.NetworkReport{}, fmt.Errorf("network: the holdings share %d price dates", len(dates))
	}
	rets := make([][]float64, len(dates)-1)
	for t := 1; t < len(dates); t++ {
		row := make([]float64, len(series))
		for i := range series {
			row[i] = math.Log(vals[i][dates[t]] / vals[i][dates[t-1]])
		}
		rets[t-1] = row
	}
	return ml.Network(ctx, syms, dates[1:], rets, opt)
}
