package accounts

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// AddOptions are the inputs of `accounts add`.
type AddOptions struct {
	Factory *cmdutil.Factory
	Account portfolio.Account
}

// NewCmdAdd returns `accounts add`; runF replaces the behaviour in tests.
func NewCmdAdd(f *cmdutil.Factory, runF func(context.Context, *AddOptions) error) *cobra.Command {
	opts := &AddOptions{Factory: f}
	var taxType, lotMethod string
	cmd := &cobra.Command{
		Use:   "add NAME --type taxable|traditional_ira|roth_ira|spouse_taxable",
		Short: "Add an account",
		Example: `  wealthalloc accounts add taxable --type taxable --broker ibkr --number DU1234567
  wealthalloc accounts add ira --type traditional_ira --lot-method hifo`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := portfolio.ParseTaxType(taxType)
			if err != nil {
				return &cmdutil.FlagError{Err: fmt.Errorf("--type: %w", err)}
			}
			m, err := portfolio.ParseLotMethod(lotMethod)
			if err != nil {
				return &cmdutil.FlagError{Err: fmt.Errorf("--lot-method: %w", err)}
			}
			opts.Account.Name, opts.Account.TaxType, opts.Account.LotMethod = args[0], t, m
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runAdd(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&taxType, "type", "", "tax type: taxable, traditional_ira, roth_ira or spouse_taxable (required)")
	cmd.Flags().StringVar(&opts.Account.Broker, "broker", "ibkr", "broker")
	cmd.Flags().StringVar(&opts.Account.Number, "number", "", "broker account number, e.g. DU1234567 (matches Flex accountId)")
	cmd.Flags().StringVar(&lotMethod, "lot-method", "fifo", "lots sold when a sale names none: fifo, lifo or hifo")
	_ = cmd.MarkFlagRequired("type")
	_ = cmd.RegisterFlagCompletionFunc("type", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"taxable", "traditional_ira", "roth_ira", "spouse_taxable"}, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("lot-method", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"fifo", "lifo", "hifo"}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func runAdd(ctx context.Context, opts *AddOptions) error {
	p, err := opts.Factory.Portfolio(ctx)
	if err != nil {
		return err
	}
	a, err := p.AddAccount(ctx, opts.Account)
	if err != nil {
		return err
	}
	pr, err := opts.Factory.Printer()
	if err != nil {
		return err
	}
	if pr.Format != output.FormatTable {
		return pr.Print(table([]portfolio.Account{a}), toJSON(a))
	}
	fmt.Fprintf(opts.Factory.IO.Out, "added account %q (%s, %s, lots %s)\n", a.Name, a.TaxType, a.Broker, a.LotMethod)
	return nil
}
