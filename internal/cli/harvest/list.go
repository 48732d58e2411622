package harvest

import (
	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// HarvestJSON is one row of `harvest list -o json`.
type HarvestJSON struct {
	ID             string              `json:"id"`
	Status         string              `json:"status"`
	Account        string              `json:"account"`
	Symbol         string              `json:"symbol"`
	LotID          string              `json:"lot_id"`
	Quantity       decimal.Decimal     `json:"quantity"`
	UnrealizedLoss decimal.Decimal     `json:"unrealized_loss"`
	WashSafe       bool                `json:"wash_safe"`
	Replacement    string              `json:"replacement"`
	DetectedOn     portfolio.Date      `json:"detected_on"`
	LastSeenOn     portfolio.Date      `json:"last_seen_on"`
	ExecutedOn     *portfolio.Date     `json:"executed_on"`
	RealizedLoss   decimal.NullDecimal `json:"realized_loss"`
	SafeFrom       *portfolio.Date     `json:"wash_sale_until"`
	SellTradeID    string              `json:"sell_trade_id"`
	BuyTradeID     string              `json:"buy_trade_id"`
	Note           string              `json:"note"`
}

// NewCmdList returns `harvest list`.
func NewCmdList(f *cmdutil.Factory) *cobra.Command {
	var status string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List recorded harvest opportunities and what became of them",
		Long: `List the rows of tax_harvests: opportunities found by "harvest scan" (new,
expired, dismissed) and those executed, with the loss realised and the date
from which switching back is safe.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			pr, err := f.Printer()
			if err != nil {
				return err
			}
			p, err := f.Portfolio(ctx)
			if err != nil {
				return err
			}
			hs, err := p.Harvests(ctx)
			if err != nil {
				return err
			}
			accts, err := p.Accounts(ctx)
			if err != nil {
				return err
			}
			docs := []HarvestJSON{}
			t := output.Table{Columns: []output.Column{{Header: "ID", Key: "id"}, {Header: "Status", Key: "status"},
				{Header: "Account", Key: "account"}, {Header: "Symbol", Key: "symbol"}, {Header: "Lot", Key: "lot_id"},
				{Header: "Qty", Key: "quantity", Kind: output.Quantity}, {Header: "Loss", Key: "unrealized_loss", Kind: output.Money},
				{Header: "Replacement", Key: "replacement"}, {Header: "Executed", Key: "executed_on"},
				{Header: "Realized loss", Key: "realized_loss", Kind: output.Money}, {Header: "Safe from", Key: "wash_sale_until"}}}
			for _, h := range hs {
				if status != "" && string(h.Status) != status {
					continue
				}
				d := HarvestJSON{ID: h.ID, Status: string(h.Status), Account: app.OrderAccountName(accts, h.AccountID), Symbol: h.Symbol,
					LotID: h.LotID, Quantity: h.Quantity, UnrealizedLoss: h.UnrealizedLoss, WashSafe: h.WashSafe,
					Replacement: h.ReplacementSymbol, DetectedOn: h.DetectedOn, LastSeenOn: h.LastSeenOn, ExecutedOn: h.ExecutedOn,
					RealizedLoss: h.RealizedLoss, SafeFrom: h.WashSaleUntil, SellTradeID: h.SellTradeID, BuyTradeID: h.BuyTradeID, Note: h.Note}
				docs = append(docs, d)
				t.Rows = append(t.Rows, []any{d.ID, d.Status, d.Account, d.Symbol, d.LotID, d.Quantity, d.UnrealizedLoss, d.Replacement,
					d.ExecutedOn, d.RealizedLoss, d.SafeFrom})
			}
			return pr.Print(t, docs)
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only this status: new, executed, dismissed or expired")
	return cmd
}
