// Package taxcmd implements `wealthalloc tax` (realized gains and the
// yearly summary) and the Form 8949 report of `harvest report`.
package taxcmd

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/config"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/tax"
)

// NewCmd returns `tax` and its subcommands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tax",
		Short: "Realized gains with wash sales, and the yearly capital-gains summary",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(NewCmdGains(f, nil), NewCmdSummary(f, nil))
	return cmd
}

// filterGains keeps the gains of year (0: all) and of the named accounts
// (none: all), matching names case-insensitively or broker numbers.
func filterGains(gains []tax.Gain, accts []portfolio.Account, year int, names []string) ([]tax.Gain, error) {
	keep := map[string]bool{}
	for _, n := range names {
		found := false
		for _, a := range accts {
			if strings.EqualFold(a.Name, n) || (a.Number != "" && a.Number == n) {
				keep[a.ID], found = true, true
			}
		}
		if !found {
			known := make([]string, 0, len(accts))
			for _, a := range accts {
				known = append(known, a.Name)
			}
			slices.Sort(known)
			return nil, cmdutil.FlagErrorf("--account %q: no such account (have: %s)", n, strings.Join(known, ", "))
		}
	}
	out := make([]tax.Gain, 0, len(gains))
	for _, g := range gains {
		if year != 0 && g.DateSold.Time().Year() != year {
			continue
		}
		if len(keep) > 0 && !keep[g.AccountID] {
			continue
		}
		out = append(out, g)
	}
	return out, nil
}

// rates reads the marginal rates from the config. Unset rates are
// tax.DefaultRates (24% short-term, 15% long-term, 0 state), the same
// defaults the harvest and trade previews assume; assumed reports whether
// short- or long-term was unset, for tax.DefaultRatesNote.
func rates(c *config.Config) (r tax.Rates, assumed bool, err error) {
	r = tax.DefaultRates
	for _, x := range []struct {
		name string
		val  string
		dst  *decimal.Decimal
	}{{"short", c.Tax.Rates.Short, &r.Short}, {"long", c.Tax.Rates.Long, &r.Long}, {"state", c.Tax.Rates.State, &r.State}} {
		if strings.TrimSpace(x.val) == "" {
			if x.name != "state" {
				assumed = true
			}
			continue
		}
		d, err := decimal.NewFromString(strings.TrimSpace(x.val))
		if err != nil {
			return r, false, fmt.Errorf("config tax.rates.%s %q is not a decimal fraction such as 0.24", x.name, x.val)
		}
		*x.dst = d
	}
	return r, assumed, nil
}
