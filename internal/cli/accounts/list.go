package accounts

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// ListOptions are the inputs of `accounts list`.
type ListOptions struct {
	Factory *cmdutil.Factory
}

// NewCmdList returns `accounts list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{Factory: f}
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List accounts",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runList(cmd.Context(), opts)
		},
	}
}

func runList(ctx context.Context, opts *ListOptions) error {
	p, err := opts.Factory.Portfolio(ctx)
	if err != nil {
		return err
	}
	accts, err := p.Accounts(ctx)
	if err != nil {
		return err
	}
	pr, err := opts.Factory.Printer()
	if err != nil {
		return err
	}
	doc := make([]accountJSON, 0, len(accts))
	for _, a := range accts {
		doc = append(doc, toJSON(a))
	}
	return pr.Print(table(accts), doc)
}

type accountJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	Broker    string `json:"broker"`
	Number    string `json:"number"`
	LotMethod string `json:"lot_method"`
}

func toJSON(a portfolio.Account) accountJSON {
	return accountJSON{ID: a.ID, Name: a.Name, Type: string(a.TaxType), Broker: a.Broker, Number: a.MaskedNumber(), LotMethod: string(a.LotMethod)}
}

func table(accts []portfolio.Account) output.Table {
	t := output.Table{Columns: []output.Column{
		{Header: "Name", Key: "name"}, {Header: "Type", Key: "type"}, {Header: "Broker", Key: "broker"},
		{Header: "Number", Key: "number"}, {Header: "Lot method", Key: "lot_method"}, {Header: "ID", Key: "id"},
	}}
	for _, a := range accts {
		t.Rows = append(t.Rows, []any{a.Name, string(a.TaxType), a.Broker, a.MaskedNumber(), string(a.LotMethod), a.ID})
	}
	return t
}
