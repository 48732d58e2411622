package harvest

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/cli/trade"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/tax"
)

// AddTradingCommands adds `harvest execute` and `harvest list` to the
// harvest command.
func AddTradingCommands(cmd *cobra.Command, f *cmdutil.Factory) {
	cmd.AddCommand(NewCmdExecute(f), NewCmdList(f))
}

// ExecuteJSON is `harvest execute -o json`.
type ExecuteJSON struct {
	HarvestID   string            `json:"harvest_id"`
	Symbol      string            `json:"symbol"`
	LotID       string            `json:"lot_id"`
	Replacement string            `json:"replacement"`
	SafeAfter   portfolio.Date    `json:"switch_back_safe_from"`
	Sell        trade.PreviewJSON `json:"sell"`
	Buy         trade.PreviewJSON `json:"buy"`
	Orders      []trade.OrderJSON `json:"orders"`
	Executed    bool              `json:"executed"`
	Status      string            `json:"harvest_status"`
}

// NewCmdExecute returns `harvest execute ID`.
func NewCmdExecute(f *cmdutil.Factory) *cobra.Command {
	var (
		g           cmdutil.GatewayFlags
		opt         app.HarvestPlanOptions
		submit, yes bool
	)
	cmd := &cobra.Command{
		Use:   "execute ID",
		Short: "Sell a harvest opportunity's lot and buy its replacement, as one previewed plan",
		Long: `Preview (and with --submit place) a harvest: a market sale of the
opportunity's lot (named as the specific lot) and a market purchase of the
replacement (--replacement, default the scan's first suggestion) for the
sale's proceeds in whole shares. Refused when the sale would be a wash sale,
when the lot shows no loss at the current price, when the replacement is
substantially identical to what is sold, or when buying it would wash a loss
already realised (--allow-wash buys it anyway).

The sale is followed to its fill before the purchase is sent. The outcome
goes into tax_harvests: executed, the two trades, the loss realised and the
date from which buying the sold security back is safe (sale + 31 days).`,
		Example: `  wealthalloc harvest scan
  wealthalloc harvest execute 01a2… --replacement MSFT
  wealthalloc harvest execute 01a2… --submit --yes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if yes && !submit {
				return cmdutil.FlagErrorf("--yes confirms a --submit: add --submit to place the orders")
			}
			return runExecute(cmd.Context(), f, &g, args[0], opt, submit, yes)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opt.Replacement, "replacement", "", "symbol to buy instead (default: the scan's first suggestion)")
	fl.BoolVar(&opt.AllowWash, "allow-wash", false, "buy the replacement even when the purchase washes losses already realised")
	fl.BoolVar(&submit, "submit", false, "place the two orders (without it: preview only)")
	fl.BoolVar(&yes, "yes", false, "do not ask for confirmation")
	fl.BoolVar(&g.Live, "live", false, "allow a live (non-DU) account; trading.live must be true in the config too")
	cmdutil.AddGatewayFlags(cmd, &g)
	return cmd
}

func runExecute(ctx context.Context, f *cmdutil.Factory, g *cmdutil.GatewayFlags, id string, opt app.HarvestPlanOptions, submit, yes bool) error {
	pr, err := f.Printer()
	if err != nil {
		return err
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	conn, err := trade.Dial(ctx, f, g)
	if err != nil {
		return err
	}
	defer conn.Close()
	base := app.TradeRequest{Rates: trade.Rates(cfg), Targets: trade.Targets(cfg)}
	plan, err := p.PlanHarvest(ctx, conn.Client, id, opt, base)
	if plan == nil || plan.Sell == nil {
		return err
	}
	doc := ExecuteJSON{HarvestID: plan.Harvest.ID, Symbol: plan.Harvest.Symbol, LotID: plan.Harvest.LotID,
		Replacement: plan.Replacement, SafeAfter: plan.SafeAfter, Sell: trade.Preview(plan.Sell), Orders: []trade.OrderJSON{},
		Status: string(plan.Harvest.Status)}
	if plan.Buy != nil {
		doc.Buy = trade.Preview(plan.Buy)
	}
	if pr.Format != output.FormatJSON {
		fmt.Fprintln(f.IO.Out, "# 1. sell")
		if perr := trade.PrintPreview(f, pr, doc.Sell); perr != nil {
			return perr
		}
		if plan.Buy != nil {
			fmt.Fprintln(f.IO.Out, "\n# 2. buy the replacement")
			if perr := trade.PrintPreview(f, pr, doc.Buy); perr != nil {
				return perr
			}
		}
	}
	if err != nil {
		if pr.Format == output.FormatJSON {
			_ = output.WriteJSON(f.IO.Out, doc)
		}
		return err
	}
	if cfg.Tax.Rates.Short == "" || cfg.Tax.Rates.Long == "" {
		fmt.Fprintf(f.IO.ErrOut, "note: %s\n", tax.DefaultRatesNote)
	}
	if plan.Resized != "" {
		fmt.Fprintf(f.IO.ErrOut, "note: %s; tax_harvests keeps the scanned quantity, and the executed one goes in its note\n", plan.Resized)
	}
	if plan.Sell.SafeAfter != nil {
		fmt.Fprintf(f.IO.ErrOut, "switching back to %s is safe from %s\n", plan.Harvest.Symbol, plan.SafeAfter)
	}
	if !submit {
		if pr.Format == output.FormatJSON {
			return output.WriteJSON(f.IO.Out, doc)
		}
		fmt.Fprintln(f.IO.ErrOut, "preview only: nothing was sent; add --submit to place both orders")
		return nil
	}
	if err := trade.Confirm(f, yes, fmt.Sprintf("Sell %s %s and buy %s %s in %s?", plan.Sell.Request.Quantity, plan.Harvest.Symbol,
		plan.Buy.Request.Quantity, plan.Replacement, plan.Sell.Account.Name)); err != nil {
		return err
	}
	line := trade.NewStatusLine(f)
	steps, err := p.ExecuteHarvest(ctx, conn.Client, plan, app.PlaceOptions{AllowLive: conn.AllowLive, OnUpdate: line.Update, Gateway: conn.Addr})
	line.Done()
	accts, aerr := p.Accounts(ctx)
	if aerr != nil {
		return errors.Join(err, aerr)
	}
	for _, s := range steps {
		if s.Order != nil {
			doc.Orders = append(doc.Orders, trade.Order(*s.Order, accts))
		}
	}
	if h, herr := p.Store.Harvest(ctx, p.PortfolioID, plan.Harvest.ID); herr == nil {
		doc.Status, doc.Executed = string(h.Status), h.Status == "executed"
	}
	if pr.Format == output.FormatJSON {
		if perr := output.WriteJSON(f.IO.Out, doc); perr != nil {
			return errors.Join(err, perr)
		}
	} else {
		fmt.Fprintln(f.IO.Out)
		if perr := pr.Print(trade.OrdersTable(doc.Orders), doc.Orders); perr != nil {
			return errors.Join(err, perr)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "harvest %s executed: sold %s %s, bought %s %s; switching back is safe from %s\n", plan.Harvest.ID,
		plan.Sell.Request.Quantity, plan.Harvest.Symbol, plan.Buy.Request.Quantity, plan.Replacement, plan.SafeAfter)
	return nil
}
