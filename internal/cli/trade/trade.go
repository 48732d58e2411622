// Package trade implements `wealthalloc trade`: order preview, submission
// and tracking against IB Gateway.
package trade

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// NewCmd returns `trade` with its subcommands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trade <command>",
		Short: "Preview, place and track orders, with lots and tax before you submit",
		Long: `Orders through IB Gateway. "trade buy" and "trade sell" preview by default:
the contract, the expected price, cost or proceeds with an estimated
commission, the broker's buying power, for a sale the lots it takes with
their realised gain, term and estimated tax, wash-sale warnings across every
account, and the weight after the trade. --submit places the order.

See docs/trading.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(NewCmdOrder(f, portfolio.Buy, nil), NewCmdOrder(f, portfolio.Sell, nil), NewCmdStatus(f), NewCmdCancel(f),
		NewCmdList(f), NewCmdHistory(f))
	return cmd
}

// OrderOptions are the inputs of `trade buy` and `trade sell`.
type OrderOptions struct {
	Factory *cmdutil.Factory
	Gateway cmdutil.GatewayFlags
	Request app.TradeRequest
	Submit  bool
	Yes     bool
	Wait    bool
}

// NewCmdOrder returns `trade buy` or `trade sell`; runF replaces the
// behaviour in tests.
func NewCmdOrder(f *cmdutil.Factory, action portfolio.Action, runF func(context.Context, *OrderOptions) error) *cobra.Command {
	opts := &OrderOptions{Factory: f}
	var limit, stop, stopLimit, tif, lots string
	verb := strings.ToLower(string(action))
	cmd := &cobra.Command{
		Use:   verb + " SYMBOL QTY",
		Short: map[portfolio.Action]string{portfolio.Buy: "Preview (or place) a purchase", portfolio.Sell: "Preview (or place) a sale, with its lots and tax"}[action],
		Long: `Preview an order: nothing is sent without --submit. A market order unless
--limit, --stop or --stop-limit is given; DAY unless --tif gtc. QTY is a
whole number of shares (orders through the TWS API are whole shares).

The preview asks the gateway for the contract (an unknown symbol is an
error) and a quote, estimates the commission (IBKR Fixed), checks a
purchase against the account's buying power ("insufficient funds: required
X, available Y"), and for a sale lists the lots it takes (--lots: fifo,
lifo, hifo, or specific lots ID[:QTY];ID[:QTY]; default the account's
method) with their realised gain, term and estimated tax from the books'
wash-adjusted lots and tax.rates. It warns of wash sales both ways, across
every account: a loss sale after a substantially identical purchase in the
last 30 days, and a purchase within 30 days after a loss sale.

--submit places the order, after a confirmation on a terminal (--yes
skips it; without a terminal --yes is required). The order is stored with
an idempotency key before it is sent; executions and commissions are
recorded as trades, with the lots previewed. --wait follows the order to
its final status; otherwise the command returns once the broker
acknowledged it. Orders on live (non-DU) accounts need trading.live: true
in the config and --live.`,
		Example: `  wealthalloc trade buy AAPL 10
  wealthalloc trade buy AAPL 10 --limit 90.50 --tif gtc --submit
  wealthalloc trade sell IBM 100 --lots hifo
  wealthalloc trade sell IBM 50 --lots "demo-ibm-2:50" --submit --yes --wait`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			r := &opts.Request
			r.Action = action
			r.Symbol = strings.ToUpper(strings.TrimSpace(args[0]))
			if r.Symbol == "" || strings.ContainsAny(r.Symbol, " ,;") {
				return cmdutil.FlagErrorf("symbol %q: give one symbol, such as AAPL", args[0])
			}
			q, err := decimal.NewFromString(strings.TrimSpace(args[1]))
			if err != nil || !q.IsPositive() {
				return cmdutil.FlagErrorf("quantity %q: want a positive number of shares", args[1])
			}
			if !q.IsInteger() {
				return cmdutil.FlagErrorf("QTY %s: orders through the TWS API are whole shares", args[1])
			}
			r.Quantity = q
			if err := parseType(r, limit, stop, stopLimit); err != nil {
				return err
			}
			switch strings.ToLower(tif) {
			case "day":
				r.TIF = ibkr.TIFDay
			case "gtc":
				r.TIF = ibkr.TIFGTC
			default:
				return cmdutil.FlagErrorf("--tif %q: want day or gtc", tif)
			}
			if r.Lots, err = app.ParseLotSpec(lots); err != nil {
				return cmdutil.FlagErrorf("--lots: %v", err)
			}
			if lots != "" && action == portfolio.Buy {
				return cmdutil.FlagErrorf("--lots: only a sale picks lots")
			}
			if opts.Yes && !opts.Submit {
				return cmdutil.FlagErrorf("--yes confirms a --submit: add --submit to place the order")
			}
			if opts.Wait && !opts.Submit {
				return cmdutil.FlagErrorf("--wait follows a submitted order: add --submit")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunOrder(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&limit, "limit", "", "limit price (LMT order)")
	fl.StringVar(&stop, "stop", "", "stop price (STP order)")
	fl.StringVar(&stopLimit, "stop-limit", "", "stop and limit prices STOP,LIMIT (STP LMT order)")
	fl.StringVar(&tif, "tif", "day", "time in force: day or gtc")
	fl.BoolVar(&opts.Request.OutsideRTH, "outside-rth", false, "allow the order to execute outside regular trading hours")
	fl.StringVar(&opts.Request.Account, "account", "", "account name or number (default: the only one the gateway manages)")
	fl.StringVar(&lots, "lots", "", "a sale's lots: fifo, lifo, hifo or ID[:QTY];ID[:QTY]…")
	fl.BoolVar(&opts.Submit, "submit", false, "place the order (without it: preview only)")
	fl.BoolVar(&opts.Yes, "yes", false, "do not ask for confirmation")
	fl.BoolVar(&opts.Gateway.Live, "live", false, "allow a live (non-DU) account; trading.live must be true in the config too")
	fl.BoolVar(&opts.Wait, "wait", false, "follow the order to its final status")
	cmdutil.AddGatewayFlags(cmd, &opts.Gateway)
	return cmd
}

func parseType(r *app.TradeRequest, limit, stop, stopLimit string) error {
	n := 0
	for _, s := range []string{limit, stop, stopLimit} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return cmdutil.FlagErrorf("--limit, --stop and --stop-limit exclude each other")
	}
	price := func(flag, s string) (decimal.Decimal, error) {
		d, err := decimal.NewFromString(strings.TrimSpace(s))
		if err != nil || !d.IsPositive() {
			return d, cmdutil.FlagErrorf("%s %q: want a positive price", flag, s)
		}
		return d, nil
	}
	var err error
	switch {
	case limit != "":
		r.Type = ibkr.Limit
		r.Limit, err = price("--limit", limit)
	case stop != "":
		r.Type = ibkr.Stop
		r.Stop, err = price("--stop", stop)
	case stopLimit != "":
		r.Type = ibkr.StopLimit
		s, l, ok := strings.Cut(stopLimit, ",")
		if !ok {
			return cmdutil.FlagErrorf("--stop-limit %q: want STOP,LIMIT such as 95,94.5", stopLimit)
		}
		if r.Stop, err = price("--stop-limit stop", s); err == nil {
			r.Limit, err = price("--stop-limit limit", l)
		}
	default:
		r.Type = ibkr.Market
	}
	return err
}

// DocumentJSON is `trade buy|sell -o json`.
type DocumentJSON struct {
	Preview PreviewJSON `json:"preview"`
	Order   *OrderJSON  `json:"order"`
}

// RunOrder previews the order and, with --submit, places it.
func RunOrder(ctx context.Context, opts *OrderOptions) error {
	f := opts.Factory
	pr, err := f.Printer()
	if err != nil {
		return err
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	opts.Request.Rates, opts.Request.Targets = Rates(cfg), Targets(cfg)
	if f.Global.AsOf != "" {
		if opts.Request.Date, err = f.AsOf(); err != nil {
			return err
		}
	}
	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	conn, err := Dial(ctx, f, &opts.Gateway)
	if err != nil {
		return err
	}
	defer conn.Close()
	start := time.Now()
	pv, err := p.PreviewTrade(ctx, conn.Client, opts.Request)
	if errors.Is(err, app.ErrAccountAmbiguous) {
		return &cmdutil.FlagError{Err: err}
	}
	if err != nil {
		return err
	}
	f.Timed("trade preview", start)
	doc := DocumentJSON{Preview: Preview(pv)}
	if err := PrintPreview(f, pr, doc.Preview); err != nil {
		return err
	}
	if err := pv.Refused(); err != nil {
		if pr.Format == output.FormatJSON {
			_ = output.WriteJSON(f.IO.Out, doc)
		}
		return err
	}
	if !opts.Submit {
		if pr.Format == output.FormatJSON {
			return output.WriteJSON(f.IO.Out, doc)
		}
		fmt.Fprintln(f.IO.ErrOut, "preview only: nothing was sent; add --submit to place the order")
		return nil
	}
	if pv.Live && !conn.AllowLive {
		return fmt.Errorf("%w: account %s (%s) is not a paper (DU) account; to trade it, set \"trading:\\n  live: true\" in the config and pass --live",
			ibkr.ErrLiveAccount, pv.Account.Name, pv.Account.Number)
	}
	if err := Confirm(f, opts.Yes, fmt.Sprintf("Place %s in %s?", doc.Preview.orderLine(), pv.Account.Name)); err != nil {
		return err
	}
	line := NewStatusLine(f)
	o, err := p.PlaceTrade(ctx, conn.Client, pv, app.PlaceOptions{Wait: opts.Wait, AllowLive: conn.AllowLive, OnUpdate: line.Update,
		Gateway: conn.Addr})
	line.Done()
	if o != nil {
		accts, aerr := p.Accounts(ctx)
		if aerr != nil {
			return errors.Join(err, aerr)
		}
		oj := Order(*o, accts)
		doc.Order = &oj
		if pr.Format == output.FormatJSON {
			if perr := output.WriteJSON(f.IO.Out, doc); perr != nil {
				return errors.Join(err, perr)
			}
		} else {
			fmt.Fprintln(f.IO.Out)
			if perr := pr.Print(OrderTable(oj), oj); perr != nil {
				return errors.Join(err, perr)
			}
		}
	}
	if err != nil {
		return err
	}
	return OrderDone(f, *o)
}

func (d PreviewJSON) orderLine() string {
	return OrderText(portfolio.Action(d.Action), d.Quantity, d.Symbol, d.OrderType, d.Limit, d.Stop, d.TIF, d.OutsideRTH)
}

// NewCmdStatus returns `trade status [ID]`.
func NewCmdStatus(f *cmdutil.Factory) *cobra.Command {
	var g cmdutil.GatewayFlags
	cmd := &cobra.Command{
		Use:   "status [ID]",
		Short: "Where an order stands (asks the gateway about orders not final)",
		Long: `Show an order (by id, reference, or a unique prefix of either), or without
an ID every order not yet final. Orders not final are reconciled with the
gateway by their reference first: new executions are recorded, and an order
the gateway never received is marked failed (safe to place again).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			pr, err := f.Printer()
			if err != nil {
				return err
			}
			p, err := f.Portfolio(ctx)
			if err != nil {
				return err
			}
			var os []store.Order
			if len(args) == 1 {
				o, err := p.Order(ctx, args[0])
				if err != nil {
					return err
				}
				os = []store.Order{o}
			} else if os, err = p.Orders(ctx, store.OrderFilter{Open: true}); err != nil {
				return err
			}
			var conn *Connection
			defer func() { conn.Close() }()
			for i, o := range os {
				if o.Status.Final() {
					continue
				}
				if conn == nil {
					if conn, err = Dial(ctx, f, &g); err != nil {
						return fmt.Errorf("order %s is %s in the books; to see where it stands: %w", o.ID, o.Status, err)
					}
				}
				if os[i], err = p.RefreshOrder(ctx, conn.Client, o); err != nil {
					return err
				}
			}
			accts, err := p.Accounts(ctx)
			if err != nil {
				return err
			}
			docs := make([]OrderJSON, len(os))
			for i, o := range os {
				docs[i] = Order(o, accts)
			}
			if len(args) == 1 {
				return pr.Print(OrderTable(docs[0]), docs[0])
			}
			if len(docs) == 0 && pr.Format == output.FormatTable {
				fmt.Fprintln(f.IO.ErrOut, "no open orders")
			}
			return pr.Print(OrdersTable(docs), docs)
		},
	}
	cmdutil.AddGatewayFlags(cmd, &g)
	return cmd
}

// NewCmdCancel returns `trade cancel ID`.
func NewCmdCancel(f *cmdutil.Factory) *cobra.Command {
	var g cmdutil.GatewayFlags
	cmd := &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a working order",
		Long: `Ask the gateway to cancel a working order and record how it ended (it may
have filled, in part or whole, before the cancel arrived). Cancelling does
not move money, so it does not ask for confirmation.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			pr, err := f.Printer()
			if err != nil {
				return err
			}
			p, err := f.Portfolio(ctx)
			if err != nil {
				return err
			}
			o, err := p.Order(ctx, args[0])
			if err != nil {
				return err
			}
			if o.Status.Final() {
				return fmt.Errorf("order %s is already %s: nothing to cancel", o.ID, o.Status)
			}
			conn, err := Dial(ctx, f, &g)
			if err != nil {
				return err
			}
			defer conn.Close()
			o, err = p.CancelOrder(ctx, conn.Client, o)
			if err != nil {
				return err
			}
			accts, err := p.Accounts(ctx)
			if err != nil {
				return err
			}
			oj := Order(o, accts)
			if err := pr.Print(OrderTable(oj), oj); err != nil {
				return err
			}
			return OrderDone(f, o)
		},
	}
	cmdutil.AddGatewayFlags(cmd, &g)
	return cmd
}

// NewCmdList returns `trade list [--open]`.
func NewCmdList(f *cmdutil.Factory) *cobra.Command {
	var open bool
	cmd := &cobra.Command{
		Use:   "list [--open]",
		Short: "List orders as the books last saw them",
		Long: `List the orders placed through wealthalloc, oldest first, with the status
last recorded (no gateway needed; "trade status" asks the gateway about the
open ones).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listOrders(cmd.Context(), f, store.OrderFilter{Open: open}, "")
		},
	}
	cmd.Flags().BoolVar(&open, "open", false, "only orders not final: pending, submitted, partially filled")
	return cmd
}

// NewCmdHistory returns `trade history`.
func NewCmdHistory(f *cmdutil.Factory) *cobra.Command {
	var from, to, symbol, account string
	cmd := &cobra.Command{
		Use:   "history [--from DATE] [--to DATE] [--symbol SYM] [--account A]",
		Short: "Orders placed, with their outcome",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var flt store.OrderFilter
			for _, d := range []struct {
				flag, v string
				to      *portfolio.Date
			}{{"--from", from, &flt.From}, {"--to", to, &flt.To}} {
				if d.v == "" {
					continue
				}
				v, err := portfolio.ParseDate(d.v)
				if err != nil {
					return cmdutil.FlagErrorf("%s: %v", d.flag, err)
				}
				*d.to = v
			}
			flt.Symbol = strings.ToUpper(strings.TrimSpace(symbol))
			return listOrders(cmd.Context(), f, flt, account)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "", "first trade date YYYY-MM-DD")
	fl.StringVar(&to, "to", "", "last trade date YYYY-MM-DD")
	fl.StringVar(&symbol, "symbol", "", "only this symbol")
	fl.StringVar(&account, "account", "", "only this account (name or number)")
	return cmd
}

func listOrders(ctx context.Context, f *cmdutil.Factory, flt store.OrderFilter, account string) error {
	pr, err := f.Printer()
	if err != nil {
		return err
	}
	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	accts, err := p.Accounts(ctx)
	if err != nil {
		return err
	}
	if account != "" {
		a, ok := app.AccountResolver(accts)(account)
		if !ok {
			return cmdutil.FlagErrorf("--account: no account %q (see \"wealthalloc accounts list\")", account)
		}
		flt.AccountID = a.ID
	}
	os, err := p.Orders(ctx, flt)
	if err != nil {
		return err
	}
	docs := make([]OrderJSON, len(os))
	for i, o := range os {
		docs[i] = Order(o, accts)
	}
	return pr.Print(OrdersTable(docs), docs)
}
