// Package quote implements `wealthalloc quote`.
package quote

import (
	"context"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
)

// Options are the inputs of `quote`.
type Options struct {
	Factory *cmdutil.Factory
	Gateway cmdutil.GatewayFlags
	Symbols []string
	TTL     time.Duration
}

// NewCmd returns `quote`; runF replaces the behaviour in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "quote SYMBOL...",
		Short: "Show bid, ask, last and close from IB Gateway (cached briefly)",
		Long: `Ask IB Gateway for a snapshot quote of each symbol (US stocks and ETFs on
SMART). When live data is not subscribed, delayed data is used and the
quote says so. Quotes are cached in the database: asking again within
--ttl answers from the cache without contacting the gateway.`,
		Example: `  wealthalloc quote AAPL MSFT
  wealthalloc quote AAPL -o json
  wealthalloc quote SPY --ttl 0   # always ask the gateway`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				s := strings.ToUpper(strings.TrimSpace(a))
				if s == "" || strings.ContainsAny(s, " ,;") {
					return cmdutil.FlagErrorf("symbol %q: give one symbol per argument, such as AAPL MSFT", a)
				}
				opts.Symbols = append(opts.Symbols, s)
			}
			if opts.TTL < 0 {
				return cmdutil.FlagErrorf("--ttl %s: must not be negative", opts.TTL)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmdutil.AddGatewayFlags(cmd, &opts.Gateway)
	cmd.Flags().DurationVar(&opts.TTL, "ttl", 15*time.Second, "serve a cached quote younger than this without asking the gateway")
	return cmd
}

// QuoteJSON is one element of `quote -o json`.
type QuoteJSON struct {
	Symbol   string              `json:"symbol"`
	Bid      decimal.NullDecimal `json:"bid"`
	Ask      decimal.NullDecimal `json:"ask"`
	Last     decimal.NullDecimal `json:"last"`
	Close    decimal.NullDecimal `json:"close"`
	BidSize  decimal.NullDecimal `json:"bid_size"`
	AskSize  decimal.NullDecimal `json:"ask_size"`
	LastSize decimal.NullDecimal `json:"last_size"`
	Delayed  bool                `json:"delayed"`
	Time     time.Time           `json:"time"`
	Cached   bool                `json:"cached"`
}

// Run fetches and prints the quotes.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	pr, err := f.Printer()
	if err != nil {
		return err
	}
	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	res, err := p.Quotes(ctx, opts.Symbols, app.QuoteOptions{TTL: opts.TTL, Now: f.Now,
		Connect: func(ctx context.Context) (app.QuoteSource, error) { return f.Gateway(ctx, &opts.Gateway) }})
	if err != nil {
		return err
	}
	t := output.Table{Columns: []output.Column{{Header: "Symbol", Key: "symbol"}, {Header: "Bid", Key: "bid", Kind: output.Price},
		{Header: "Ask", Key: "ask", Kind: output.Price}, {Header: "Last", Key: "last", Kind: output.Price},
		{Header: "Close", Key: "close", Kind: output.Price}, {Header: "Data", Key: "data"}, {Header: "Time", Key: "time"},
		{Header: "Source", Key: "source"}}}
	doc := make([]QuoteJSON, 0, len(res))
	for _, q := range res {
		data, src := "live", "gateway"
		if q.Delayed {
			data = "delayed"
		}
		if q.Cached {
			src = "cache"
		}
		t.Rows = append(t.Rows, []any{q.Symbol, q.Bid, q.Ask, q.Last, q.Close, data, q.Time.UTC().Format(time.RFC3339), src})
		doc = append(doc, QuoteJSON{Symbol: q.Symbol, Bid: q.Bid, Ask: q.Ask, Last: q.Last, Close: q.Close, BidSize: q.BidSize,
			AskSize: q.AskSize, LastSize: q.LastSize, Delayed: q.Delayed, Time: q.Time.UTC(), Cached: q.Cached})
	}
	return pr.Print(t, doc)
}
