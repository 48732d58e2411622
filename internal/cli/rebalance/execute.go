package rebalance

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/cli/trade"
	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// executeFlags are the flags --execute adds.
type executeFlags struct {
	execute, submit, yes bool
	gateway              cmdutil.GatewayFlags
}

// addExecute gives rebalance --execute: the plan sent as market orders
// through IB Gateway, previewed, sales before purchases.
func addExecute(cmd *cobra.Command, opts *Options) {
	ex := &executeFlags{}
	fl := cmd.Flags()
	fl.BoolVar(&ex.execute, "execute", false, "turn the plan into orders: previewed against IB Gateway, sales before purchases (--submit places them)")
	fl.BoolVar(&ex.submit, "submit", false, "with --execute: place the orders")
	fl.BoolVar(&ex.yes, "yes", false, "with --execute --submit: do not ask for confirmation")
	fl.BoolVar(&ex.gateway.Live, "live", false, "with --execute: allow live (non-DU) accounts; trading.live must be true in the config too")
	cmdutil.AddGatewayFlags(cmd, &ex.gateway)
	plan := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if !ex.execute {
			if ex.submit || ex.yes {
				return cmdutil.FlagErrorf("--submit and --yes go with --execute")
			}
			return plan(c, args)
		}
		if ex.yes && !ex.submit {
			return cmdutil.FlagErrorf("--yes confirms a --submit: add --submit to place the orders")
		}
		if opts.Band < 0 || opts.Band > 100 {
			return cmdutil.FlagErrorf("--band %g: want percentage points between 0 and 100", opts.Band)
		}
		if opts.MinTrade < 0 {
			return cmdutil.FlagErrorf("--min-trade %g: want a non-negative amount", opts.MinTrade)
		}
		return runExecute(c.Context(), opts, ex)
	}
}

// StepJSON is one order of an executed plan.
type StepJSON struct {
	Preview trade.PreviewJSON `json:"preview"`
	Order   *trade.OrderJSON  `json:"order"`
	Error   string            `json:"error,omitempty"`
}

// ExecuteJSON is `rebalance --execute -o json`.
type ExecuteJSON struct {
	Plan      DocumentJSON `json:"plan"`
	Orders    []StepJSON   `json:"orders"`
	Submitted bool         `json:"submitted"`
	Completed bool         `json:"completed"`
}

func runExecute(ctx context.Context, opts *Options, ex *executeFlags) error {
	f := opts.Factory
	pl, err := makePlan(ctx, opts)
	if err != nil {
		return err
	}
	asOf, pr, cfg, p, plan, names, src, rateNote := pl.asOf, pl.pr, pl.cfg, pl.p, pl.plan, pl.names, pl.src, pl.rateNote
	doc := ExecuteJSON{Plan: Document(asOf, plan, names, opts, src, rateNote), Orders: []StepJSON{}}
	if !plan.Feasible {
		for _, pb := range plan.Problems {
			fmt.Fprintf(f.IO.ErrOut, "not feasible: %s\n", pb)
		}
	}
	if len(plan.Trades) == 0 {
		if pr.Format == output.FormatJSON {
			return output.WriteJSON(f.IO.Out, doc)
		}
		fmt.Fprintln(f.IO.ErrOut, "every weight is within its band: nothing to trade")
		return nil
	}
	// Sales first: their proceeds pay for the purchases in the same account.
	trades := slices.Clone(plan.Trades)
	slices.SortStableFunc(trades, func(a, b portfolio.PlannedTrade) int {
		return boolRank(a.Action != portfolio.Sell) - boolRank(b.Action != portfolio.Sell)
	})
	conn, err := trade.Dial(ctx, f, &ex.gateway)
	if err != nil {
		return err
	}
	defer conn.Close()
	raised := map[string]decimal.Decimal{}
	pvs := make([]*app.TradePreview, 0, len(trades))
	var refused []string
	for _, t := range trades {
		r := app.TradeRequest{Action: t.Action, Symbol: t.Symbol, Quantity: t.Quantity, Type: ibkr.Market, Account: names[t.AccountID],
			Rates: trade.Rates(cfg), Targets: trade.Targets(cfg), ExtraCash: raised[t.AccountID]}
		if t.Action == portfolio.Sell {
			r.Lots = app.LotSpec{Picks: t.Lots}
		}
		if f.Global.AsOf != "" {
			r.Date = asOf
		}
		pv, err := p.PreviewTrade(ctx, conn.Client, r)
		if err != nil {
			return fmt.Errorf("preview %s %s %s: %w", t.Action, t.Quantity, t.Symbol, err)
		}
		if t.Action == portfolio.Sell {
			raised[t.AccountID] = raised[t.AccountID].Add(pv.Total)
		}
		if err := pv.Refused(); err != nil {
			refused = append(refused, fmt.Sprintf("%s %s %s: %v", t.Action, t.Quantity, t.Symbol, err))
		}
		pvs = append(pvs, pv)
		doc.Orders = append(doc.Orders, StepJSON{Preview: trade.Preview(pv)})
	}
	if pr.Format != output.FormatJSON {
		if err := pr.Print(planOrdersTable(doc.Orders), doc.Orders); err != nil {
			return err
		}
		for _, s := range doc.Orders {
			for _, w := range s.Preview.Warnings {
				fmt.Fprintf(f.IO.ErrOut, "warning: %s %s: %s\n", s.Preview.Action, s.Preview.Symbol, w)
			}
		}
	}
	if len(refused) > 0 {
		if pr.Format == output.FormatJSON {
			_ = output.WriteJSON(f.IO.Out, doc)
		}
		return fmt.Errorf("the plan cannot be sent as it is: %s: %w", refused[0], app.ErrTradeRefused)
	}
	if !ex.submit {
		if pr.Format == output.FormatJSON {
			return output.WriteJSON(f.IO.Out, doc)
		}
		fmt.Fprintf(f.IO.ErrOut, "preview only: %d orders, nothing was sent; add --submit to place them (sales first, each followed to its fill)\n", len(pvs))
		return nil
	}
	if err := trade.Confirm(f, ex.yes, fmt.Sprintf("Place these %d orders?", len(pvs))); err != nil {
		return err
	}
	doc.Submitted = true
	line := trade.NewStatusLine(f)
	steps, err := p.ExecutePlan(ctx, conn.Client, pvs, app.PlaceOptions{AllowLive: conn.AllowLive, OnUpdate: line.Update, Gateway: conn.Addr})
	line.Done()
	accts, aerr := p.Accounts(ctx)
	if aerr != nil {
		return errors.Join(err, aerr)
	}
	done := 0
	for i, s := range steps {
		if s.Order != nil {
			oj := trade.Order(*s.Order, accts)
			doc.Orders[i].Order = &oj
			if s.Order.Status == "filled" {
				done++
			}
		}
		switch {
		case s.Err != nil:
			doc.Orders[i].Error = s.Err.Error()
		case s.Order == nil:
			doc.Orders[i].Error = "not sent: the plan stopped before it"
		}
	}
	doc.Completed = err == nil
	if pr.Format == output.FormatJSON {
		if perr := output.WriteJSON(f.IO.Out, doc); perr != nil {
			return errors.Join(err, perr)
		}
	} else {
		fmt.Fprintln(f.IO.Out)
		if perr := pr.Print(planOrdersTable(doc.Orders), doc.Orders); perr != nil {
			return errors.Join(err, perr)
		}
	}
	fmt.Fprintf(f.IO.ErrOut, "rebalance: %d of %d orders filled\n", done, len(steps))
	return err
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func planOrdersTable(steps []StepJSON) output.Table {
	t := output.Table{Columns: []output.Column{{Header: "#", Key: "n"}, {Header: "Account", Key: "account"},
		{Header: "Action", Key: "action"}, {Header: "Qty", Key: "quantity", Kind: output.Quantity}, {Header: "Symbol", Key: "symbol"},
		{Header: "Price", Key: "expected_price", Kind: output.Price}, {Header: "Total", Key: "total", Kind: output.Money},
		{Header: "Commission", Key: "estimated_commission", Kind: output.Money}, {Header: "Gain", Key: "realized_gain", Kind: output.Gain},
		{Header: "Est. tax", Key: "estimated_tax", Kind: output.Money}, {Header: "Status", Key: "status"}, {Header: "Note", Key: "note"}}}
	for i, s := range steps {
		status, note := "preview", ""
		if len(s.Preview.Problems) > 0 {
			status, note = "refused", s.Preview.Problems[0]
		}
		if s.Order != nil {
			status, note = s.Order.Status, s.Order.Reason
		} else if s.Error != "" {
			status, note = "not sent", s.Error
		}
		t.Rows = append(t.Rows, []any{fmt.Sprint(i + 1), s.Preview.Account, s.Preview.Action, s.Preview.Quantity, s.Preview.Symbol,
			s.Preview.ExpectedPrice, s.Preview.Total, s.Preview.Commission, s.Preview.Gain, s.Preview.Tax, status, note})
	}
	return t
}
