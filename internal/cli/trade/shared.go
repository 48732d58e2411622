package trade

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/config"
	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// Connection is an open gateway connection for order commands.
type Connection struct {
	Client    *ibkr.Client
	Addr      string
	AllowLive bool
}

// Dial connects for an order command: reconnecting after a drop (so that
// orders in flight are reconciled by their reference, never resent), with
// live trading allowed only when the config and --live both say so. Close
// the connection when done. A gateway that cannot be reached is an error
// that names the step (exit 5).
func Dial(ctx context.Context, f *cmdutil.Factory, g *cmdutil.GatewayFlags) (*Connection, error) {
	cfg, err := f.GatewayConfig(g)
	if err != nil {
		return nil, err
	}
	cfg.Reconnect = true
	cfg.ReconnectMaxBackoff = 5 * time.Second
	f.Progress("connecting to %s", cfg.Addr)
	start := time.Now()
	c, err := ibkr.Dial(ctx, cfg)
	f.ProgressDone()
	if err != nil {
		return nil, fmt.Errorf("connect to IB Gateway: %w", err)
	}
	f.Timed("gateway connect", start)
	return &Connection{Client: c, Addr: cfg.Addr, AllowLive: cfg.AllowLive}, nil
}

// Close closes the connection.
func (c *Connection) Close() {
	if c != nil && c.Client != nil {
		_ = c.Client.Close()
	}
}

// Rates reads the config's tax rates (unset ones stay unset).
func Rates(c *config.Config) portfolio.TaxRates {
	p := func(s string) decimal.NullDecimal {
		d, err := decimal.NewFromString(strings.TrimSpace(s))
		if err != nil {
			return decimal.NullDecimal{}
		}
		return decimal.NewNullDecimal(d)
	}
	return portfolio.TaxRates{Short: p(c.Tax.Rates.Short), Long: p(c.Tax.Rates.Long), State: p(c.Tax.Rates.State)}
}

// Targets reads the config's symbol targets (asset-class targets are left
// out: a single trade's drift is about its symbol).
func Targets(c *config.Config) map[string]decimal.Decimal {
	t, err := portfolio.ParseTargets(c.Targets)
	if err != nil {
		return nil
	}
	return t.Symbols
}

// Confirm asks on the terminal before money moves. yes skips the
// question; without a terminal and without yes it refuses.
func Confirm(f *cmdutil.Factory, yes bool, question string) error {
	if yes {
		return nil
	}
	if !f.IO.IsStdinTTY() {
		return cmdutil.FlagErrorf("refusing to place orders without confirmation: stdin is not a terminal; add --yes to confirm %s", strings.TrimSuffix(question, "?"))
	}
	fmt.Fprintf(f.IO.ErrOut, "%s [y/N] ", question)
	line, err := bufio.NewReader(f.IO.In).ReadString('\n')
	if err != nil && err != io.EOF {
		return err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return cmdutil.ErrCancelled
}

// StatusLine shows an order's progress on one line of stderr (a terminal
// only); call Done after.
type StatusLine struct {
	f     *cmdutil.Factory
	shown bool
}

// NewStatusLine returns a status line for f's stderr.
func NewStatusLine(f *cmdutil.Factory) *StatusLine { return &StatusLine{f: f} }

// Update shows o.
func (s *StatusLine) Update(o store.Order) {
	if !s.f.IO.IsStderrTTY() {
		return
	}
	s.shown = true
	fmt.Fprintf(s.f.IO.ErrOut, "\r\x1b[Korder %s %s %s %s: %s, filled %s/%s", short(o.ID), o.Action, o.Quantity, o.Symbol,
		o.Status, o.Filled, o.Quantity)
	if o.Filled.IsPositive() {
		fmt.Fprintf(s.f.IO.ErrOut, " at %s", o.AvgFillPrice.StringFixed(4))
	}
}

// Done ends the status line.
func (s *StatusLine) Done() {
	if s.shown {
		fmt.Fprintln(s.f.IO.ErrOut)
		s.shown = false
	}
}

func short(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}

// PreviewJSON is a previewed order.
type PreviewJSON struct {
	Action        string              `json:"action"`
	Symbol        string              `json:"symbol"`
	Quantity      decimal.Decimal     `json:"quantity"`
	OrderType     string              `json:"order_type"`
	Limit         decimal.NullDecimal `json:"limit_price"`
	Stop          decimal.NullDecimal `json:"stop_price"`
	TIF           string              `json:"tif"`
	OutsideRTH    bool                `json:"outside_rth"`
	Account       string              `json:"account"`
	BrokerAccount string              `json:"broker_account"`
	Live          bool                `json:"live_account"`
	Contract      ContractJSON        `json:"contract"`
	TradeDate     portfolio.Date      `json:"trade_date"`
	Quote         QuoteJSON           `json:"quote"`
	ExpectedPrice decimal.Decimal     `json:"expected_price"`
	PriceSource   string              `json:"price_source"`
	OrderPrice    decimal.Decimal     `json:"estimate_price"`
	Value         decimal.Decimal     `json:"value"`
	Commission    decimal.Decimal     `json:"estimated_commission"`
	Total         decimal.Decimal     `json:"total"` // cost of a buy, proceeds of a sale
	Available     decimal.NullDecimal `json:"available_funds"`
	AvailableTag  string              `json:"available_funds_tag"`
	Held          decimal.Decimal     `json:"held"`
	Lots          []app.PreviewLot    `json:"lots"`
	Gain          decimal.Decimal     `json:"realized_gain"`
	ShortGain     decimal.Decimal     `json:"short_term_gain"`
	LongGain      decimal.Decimal     `json:"long_term_gain"`
	Washed        decimal.Decimal     `json:"wash_disallowed"`
	// WashesRealized: a purchase's disallowing of losses already realised.
	WashesRealized decimal.Decimal     `json:"washes_realized_loss"`
	Tax            decimal.Decimal     `json:"estimated_tax"`
	RatesAssumed   bool                `json:"tax_rates_assumed"`
	SafeAfter      *portfolio.Date     `json:"buy_back_safe_from"`
	WeightBefore   decimal.NullDecimal `json:"weight_before"` // null when the order has problems
	WeightAfter    decimal.NullDecimal `json:"weight_after"`
	Target         decimal.NullDecimal `json:"target"`
	DriftAfter     decimal.NullDecimal `json:"drift_after"`
	Warnings       []string            `json:"warnings"`
	Problems       []string            `json:"problems"`
}

// ContractJSON is the gateway's contract.
type ContractJSON struct {
	ConID    int64           `json:"con_id"`
	Symbol   string          `json:"symbol"`
	Name     string          `json:"name"`
	Exchange string          `json:"exchange"`
	Primary  string          `json:"primary_exchange"`
	Currency string          `json:"currency"`
	MinTick  decimal.Decimal `json:"min_tick"`
}

// QuoteJSON is the quote the estimate used.
type QuoteJSON struct {
	Bid     decimal.NullDecimal `json:"bid"`
	Ask     decimal.NullDecimal `json:"ask"`
	Last    decimal.NullDecimal `json:"last"`
	Close   decimal.NullDecimal `json:"close"`
	Delayed bool                `json:"delayed"`
}

// Preview builds the JSON form of a preview.
func Preview(pv *app.TradePreview) PreviewJSON {
	r := pv.Request
	d := PreviewJSON{Action: string(r.Action), Symbol: r.Symbol, Quantity: r.Quantity, OrderType: string(r.Type), TIF: r.TIF,
		OutsideRTH: r.OutsideRTH, Account: pv.Account.Name, BrokerAccount: pv.Account.Number, Live: pv.Live,
		Contract: ContractJSON{ConID: pv.Contract.Contract.ConID, Symbol: pv.Contract.Contract.Symbol, Name: pv.Contract.LongName,
			Exchange: pv.Contract.Contract.Exchange, Primary: pv.Contract.Contract.PrimaryExchange, Currency: pv.Contract.Contract.Currency,
			MinTick: pv.Contract.MinTick},
		TradeDate: pv.TradeDate, Quote: QuoteJSON{Bid: pv.Quote.Bid, Ask: pv.Quote.Ask, Last: pv.Quote.Last, Close: pv.Quote.Close,
			Delayed: pv.Quote.Delayed},
		ExpectedPrice: pv.ExpectedPrice, PriceSource: pv.PriceSource, OrderPrice: pv.OrderPrice, Value: pv.Value,
		Commission: pv.Commission, Total: pv.Total, Available: pv.Available, AvailableTag: pv.AvailableTag, Held: pv.Held,
		Lots: pv.Lots, Gain: pv.Gain, ShortGain: pv.ShortGain, LongGain: pv.LongGain, Washed: pv.Washed, WashesRealized: pv.WashesRealized, Tax: pv.Tax,
		RatesAssumed: pv.RatesAssumed, SafeAfter: pv.SafeAfter, WeightBefore: pv.WeightBefore, WeightAfter: pv.WeightAfter,
		Target: pv.Target, Warnings: pv.Warnings, Problems: pv.Problems}
	if d.Lots == nil {
		d.Lots = []app.PreviewLot{}
	}
	if d.Warnings == nil {
		d.Warnings = []string{}
	}
	if d.Problems == nil {
		d.Problems = []string{}
	}
	if r.Type == ibkr.Limit || r.Type == ibkr.StopLimit {
		d.Limit = decimal.NewNullDecimal(r.Limit)
	}
	if r.Type == ibkr.Stop || r.Type == ibkr.StopLimit {
		d.Stop = decimal.NewNullDecimal(r.Stop)
	}
	if pv.Target.Valid && pv.WeightAfter.Valid {
		d.DriftAfter = decimal.NewNullDecimal(pv.WeightAfter.Decimal.Sub(pv.Target.Decimal))
	}
	return d
}

func money(d decimal.Decimal) string { return d.StringFixed(2) }

func pct(d decimal.Decimal) string { return d.Mul(decimal.NewFromInt(100)).StringFixed(2) + "%" }

func nullText(d decimal.NullDecimal) string {
	if !d.Valid {
		return "—"
	}
	return d.Decimal.String()
}

// OrderText is an order's terms on one line: "BUY 10 AAPL LMT 95.5 DAY".
func OrderText(action portfolio.Action, qty decimal.Decimal, sym, typ string, lmt, stp decimal.NullDecimal, tif string, rth bool) string {
	s := fmt.Sprintf("%s %s %s %s", action, qty, sym, typ)
	if stp.Valid {
		s += " stop " + stp.Decimal.String()
	}
	if lmt.Valid {
		s += " limit " + lmt.Decimal.String()
	}
	s += " " + tif
	if rth {
		s += " outside-rth"
	}
	return s
}

// PreviewTable is a preview as field/value rows.
func PreviewTable(d PreviewJSON) output.Table {
	t := output.Table{Columns: []output.Column{{Header: "Field", Key: "field"}, {Header: "Value", Key: "value"}}}
	add := func(k, v string) { t.Rows = append(t.Rows, []any{k, v}) }
	add("order", OrderText(portfolio.Action(d.Action), d.Quantity, d.Symbol, d.OrderType, d.Limit, d.Stop, d.TIF, d.OutsideRTH))
	acct := fmt.Sprintf("%s (%s)", d.Account, d.BrokerAccount)
	if d.Live {
		acct += " LIVE"
	}
	add("account", acct)
	add("contract", fmt.Sprintf("%s %s conId %d on %s (%s), %s, tick %s", d.Contract.Symbol, d.Contract.Name, d.Contract.ConID,
		d.Contract.Exchange, d.Contract.Primary, d.Contract.Currency, d.Contract.MinTick))
	add("trade date", d.TradeDate.String())
	q := fmt.Sprintf("bid %s ask %s last %s close %s", nullText(d.Quote.Bid), nullText(d.Quote.Ask), nullText(d.Quote.Last), nullText(d.Quote.Close))
	if d.Quote.Delayed {
		q += " (delayed)"
	}
	add("quote", q)
	add("expected price", fmt.Sprintf("%s (%s)", d.ExpectedPrice, d.PriceSource))
	if !d.OrderPrice.Equal(d.ExpectedPrice) {
		add("estimate price", d.OrderPrice.String()+" (the order's "+map[bool]string{true: "limit", false: "stop"}[d.Limit.Valid]+")")
	}
	add("value", money(d.Value))
	add("estimated commission", money(d.Commission))
	if d.Action == string(portfolio.Buy) {
		add("cost", money(d.Total))
		if d.Available.Valid {
			add("available funds", money(d.Available.Decimal)+" ("+d.AvailableTag+")")
		}
	} else {
		add("proceeds", money(d.Total))
		add("held", d.Held.String())
		if len(d.Lots) > 0 {
			add("realized gain", signed(d.Gain))
			add("short-term gain", signed(d.ShortGain))
			add("long-term gain", signed(d.LongGain))
			if d.Washed.IsPositive() {
				add("wash sale disallowed", money(d.Washed))
			}
			tx := signed(d.Tax)
			if d.RatesAssumed {
				tx += " (assumed rates 24% short, 15% long: set tax.rates)"
			}
			add("estimated tax", tx)
		}
		if d.SafeAfter != nil {
			add("buy back safe from", d.SafeAfter.String())
		}
	}
	if d.WeightBefore.Valid && d.WeightAfter.Valid {
		w := pct(d.WeightBefore.Decimal) + " -> " + pct(d.WeightAfter.Decimal)
		if d.DriftAfter.Valid {
			w += fmt.Sprintf(" (target %s, drift after %s pp)", pct(d.Target.Decimal), d.DriftAfter.Decimal.Mul(decimal.NewFromInt(100)).StringFixed(2))
		}
		add("weight", w)
	}
	return t
}

func signed(d decimal.Decimal) string {
	if d.IsPositive() {
		return "+" + money(d)
	}
	return money(d)
}

// LotsTable lists the lots a sale takes.
func LotsTable(lots []app.PreviewLot) output.Table {
	t := output.Table{Columns: []output.Column{{Header: "Lot", Key: "lot_id"}, {Header: "Acquired", Key: "date_acquired"},
		{Header: "Adj. acquired", Key: "adjusted_date_acquired"}, {Header: "Qty", Key: "quantity", Kind: output.Quantity},
		{Header: "Adj. basis", Key: "adjusted_basis", Kind: output.Money}, {Header: "Proceeds", Key: "proceeds", Kind: output.Money},
		{Header: "Gain", Key: "gain", Kind: output.Gain}, {Header: "Wash disallowed", Key: "wash_disallowed", Kind: output.Money},
		{Header: "Term", Key: "term"}, {Header: "Est. tax", Key: "estimated_tax", Kind: output.Money}}}
	for _, l := range lots {
		t.Rows = append(t.Rows, []any{"lot " + l.LotID, l.Acquired, l.AdjustedAcquired, l.Quantity, l.Basis, l.Proceeds, l.Gain,
			l.WashDisallowed, l.Term, l.Tax})
	}
	return t
}

// PrintPreview writes a preview in table or CSV form (JSON callers print
// their own document) and its warnings to stderr.
func PrintPreview(f *cmdutil.Factory, pr *output.Printer, d PreviewJSON) error {
	if pr.Format != output.FormatJSON {
		if err := pr.Print(PreviewTable(d), d); err != nil {
			return err
		}
		if len(d.Lots) > 0 {
			fmt.Fprintln(f.IO.Out)
			if err := pr.Print(LotsTable(d.Lots), d.Lots); err != nil {
				return err
			}
		}
	}
	for _, w := range d.Warnings {
		fmt.Fprintf(f.IO.ErrOut, "warning: %s\n", w)
	}
	return nil
}

// OrderJSON is a stored order.
type OrderJSON struct {
	ID            string              `json:"id"`
	OrderRef      string              `json:"order_ref"`
	PlanID        string              `json:"plan_id,omitempty"`
	HarvestID     string              `json:"harvest_id,omitempty"`
	TradeDate     portfolio.Date      `json:"trade_date"`
	Account       string              `json:"account"`
	Action        string              `json:"action"`
	Symbol        string              `json:"symbol"`
	Quantity      decimal.Decimal     `json:"quantity"`
	OrderType     string              `json:"order_type"`
	Limit         decimal.NullDecimal `json:"limit_price"`
	Stop          decimal.NullDecimal `json:"stop_price"`
	TIF           string              `json:"tif"`
	OutsideRTH    bool                `json:"outside_rth"`
	Lots          string              `json:"lots"`
	Status        string              `json:"status"`
	BrokerStatus  string              `json:"broker_status"`
	BrokerOrderID int64               `json:"broker_order_id"`
	PermID        int64               `json:"perm_id"`
	Filled        decimal.Decimal     `json:"filled"`
	AvgFillPrice  decimal.Decimal     `json:"avg_fill_price"`
	Commission    decimal.Decimal     `json:"commission"`
	Reason        string              `json:"reason"`
	CreatedAt     time.Time           `json:"created_at"`
	UpdatedAt     time.Time           `json:"updated_at"`
}

// Order builds the JSON form of an order.
func Order(o store.Order, accts []portfolio.Account) OrderJSON {
	lots := make([]string, len(o.Lots))
	for i, l := range o.Lots {
		lots[i] = l.LotID + ":" + l.Quantity.String()
	}
	return OrderJSON{ID: o.ID, OrderRef: o.OrderRef, PlanID: o.PlanID, HarvestID: o.HarvestID, TradeDate: o.TradeDate,
		Account: app.OrderAccountName(accts, o.AccountID), Action: string(o.Action), Symbol: o.Symbol, Quantity: o.Quantity,
		OrderType: o.Type, Limit: o.LimitPrice, Stop: o.StopPrice, TIF: o.TIF, OutsideRTH: o.OutsideRTH, Lots: strings.Join(lots, ";"),
		Status: string(o.Status), BrokerStatus: o.BrokerStatus, BrokerOrderID: o.BrokerOrderID, PermID: o.BrokerPermID,
		Filled: o.Filled, AvgFillPrice: o.AvgFillPrice, Commission: o.Commission, Reason: o.Reason,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

// OrderTable is one order as field/value rows.
func OrderTable(o OrderJSON) output.Table {
	t := output.Table{Columns: []output.Column{{Header: "Field", Key: "field"}, {Header: "Value", Key: "value"}}}
	add := func(k, v string) { t.Rows = append(t.Rows, []any{k, v}) }
	add("order id", o.ID)
	add("order ref", o.OrderRef)
	add("order", OrderText(portfolio.Action(o.Action), o.Quantity, o.Symbol, o.OrderType, o.Limit, o.Stop, o.TIF, o.OutsideRTH))
	add("account", o.Account)
	if o.Lots != "" {
		add("lots", o.Lots)
	}
	add("status", o.Status)
	if o.BrokerStatus != "" {
		add("broker status", o.BrokerStatus)
	}
	if o.BrokerOrderID != 0 {
		add("broker order id", fmt.Sprint(o.BrokerOrderID))
	}
	add("filled", o.Filled.String())
	if o.Filled.IsPositive() {
		add("average price", o.AvgFillPrice.String())
		add("commission", money(o.Commission))
	}
	if o.Reason != "" {
		add("reason", o.Reason)
	}
	return t
}

// OrdersTable lists orders one a row.
func OrdersTable(os []OrderJSON) output.Table {
	t := output.Table{Columns: []output.Column{{Header: "ID", Key: "id"}, {Header: "Date", Key: "trade_date"},
		{Header: "Account", Key: "account"}, {Header: "Action", Key: "action"}, {Header: "Qty", Key: "quantity", Kind: output.Quantity},
		{Header: "Symbol", Key: "symbol"}, {Header: "Type", Key: "order_type"}, {Header: "Limit", Key: "limit_price", Kind: output.Price},
		{Header: "Stop", Key: "stop_price", Kind: output.Price}, {Header: "TIF", Key: "tif"}, {Header: "Status", Key: "status"},
		{Header: "Filled", Key: "filled", Kind: output.Quantity}, {Header: "Avg price", Key: "avg_fill_price", Kind: output.Price},
		{Header: "Commission", Key: "commission", Kind: output.Money}, {Header: "Reason", Key: "reason"}}}
	for _, o := range os {
		t.Rows = append(t.Rows, []any{o.ID, o.TradeDate, o.Account, o.Action, o.Quantity, o.Symbol, o.OrderType, o.Limit, o.Stop,
			o.TIF, o.Status, o.Filled, o.AvgFillPrice, o.Commission, o.Reason})
	}
	return t
}

// OrderDone says on stderr how an order ended and returns an error for a
// rejection (exit 1), with IB's reason.
func OrderDone(f *cmdutil.Factory, o store.Order) error {
	switch o.Status {
	case store.OrderRejected:
		return fmt.Errorf("order %s rejected by the broker: %s", o.ID, o.Reason)
	case store.OrderFailed:
		return fmt.Errorf("order %s failed: %s", o.ID, o.Reason)
	case store.OrderFilled:
		fmt.Fprintf(f.IO.ErrOut, "order %s filled: %s %s %s at %s, commission %s; recorded\n", o.ID, o.Action, o.Filled, o.Symbol,
			o.AvgFillPrice, money(o.Commission))
	case store.OrderCancelled:
		fmt.Fprintf(f.IO.ErrOut, "order %s cancelled (filled %s of %s)", o.ID, o.Filled, o.Quantity)
		if o.Reason != "" {
			fmt.Fprintf(f.IO.ErrOut, ": %s", o.Reason)
		}
		fmt.Fprintln(f.IO.ErrOut)
	default:
		fmt.Fprintf(f.IO.ErrOut, "order %s %s at the broker; \"wealthalloc trade status %s\" follows it\n", o.ID, o.Status, o.ID)
	}
	return nil
}
