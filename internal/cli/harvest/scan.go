package harvest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/config"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/refdata"
	"github.com/wealthalloc/wealthalloc/internal/tax"
)

// NotifySecret is the name of the secret that signs --notify payloads
// (environment variable WEALTHALLOC_HARVEST_NOTIFY_SECRET, see
// config.SecretEnvVar; or the OS keyring; or the secrets file).
const NotifySecret = "harvest_notify_secret"

// notifySecretAlias is also read, for setups that spell the variable with
// a SECRET_ prefix.
const notifySecretAlias = "WEALTHALLOC_SECRET_HARVEST_NOTIFY_SECRET"

// ScanOptions are the inputs of `harvest scan`.
type ScanOptions struct {
	Factory    *cmdutil.Factory
	MinLoss    decimal.Decimal
	MinLossPct decimal.Decimal // percent: 5 means 5%
	Accounts   []string        // names or broker numbers
	ExitCode   bool
	Notify     string
}

// NewCmdScan returns `harvest scan`; runF replaces the behaviour in tests.
func NewCmdScan(f *cmdutil.Factory, runF func(context.Context, *ScanOptions) error) *cobra.Command {
	opts := &ScanOptions{Factory: f}
	var minLoss, minPct string
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "List lots worth selling for a tax loss, with wash-sale safety and replacements",
		Long: `List the open lots of taxable accounts (not IRA or Roth) whose unrealized
loss at --as-of (default today), against the wash-adjusted basis and the
latest stored close on or before that date, is at least --min-loss dollars
and --min-loss-pct percent of basis, and whose estimated tax saving (the
loss at your short- or long-term rate from tax.rates, plus tax.rates.state)
exceeds the round-trip cost: IBKR Fixed commissions on the sale and on the
replacement purchase, plus an estimated half-spread of 0.05% a leg.

For each it shows whether selling today is wash-sale safe (no substantially
identical purchase in the last 30 days in any account, IRA, Roth and spouse
included, other than the lot's own purchase and purchases already sold in
full, which are no replacement), naming on stderr each blocking purchase and
the shares of it still held, warns when dividends appear to
reinvest, gives the lock-out date (sale + 31 days) before which buying back
is unsafe, and suggests replacements that are not substantially identical,
ranked by asset class and by the correlation of daily returns over the last
year of stored prices.

Opportunities are kept in the database: a repeated scan updates them rather
than adding duplicates, and those no longer found become expired.

For cron: --exit-code exits 10 when there are opportunities; --notify URL
POSTs the JSON document signed with HMAC-SHA256 (header
X-WealthAlloc-Signature: sha256=<hex>; secret "harvest_notify_secret", env
WEALTHALLOC_HARVEST_NOTIFY_SECRET), retrying with backoff. A lock stops
overlapping runs; nothing prompts; notes and logs go to stderr.`,
		Example: `  wealthalloc harvest scan
  wealthalloc harvest scan --as-of 2008-11-20 --min-loss 500 -o json
  wealthalloc harvest scan --account taxable --exit-code --notify https://hooks.example.com/harvest`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if opts.MinLoss, err = nonNegative("--min-loss", minLoss); err != nil {
				return err
			}
			if opts.MinLossPct, err = nonNegative("--min-loss-pct", minPct); err != nil {
				return err
			}
			if opts.MinLossPct.GreaterThan(decimal.NewFromInt(100)) {
				return cmdutil.FlagErrorf("--min-loss-pct: %s is over 100", minPct)
			}
			if opts.Notify != "" {
				u, err := url.Parse(opts.Notify)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return cmdutil.FlagErrorf("--notify: want an http:// or https:// URL, got %q", opts.Notify)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunScan(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&minLoss, "min-loss", "100", "smallest unrealized loss per lot, in dollars")
	fl.StringVar(&minPct, "min-loss-pct", "5", "smallest loss as a percentage of the lot's adjusted basis")
	fl.StringSliceVar(&opts.Accounts, "account", nil, "scan only these accounts (name or number; repeat or comma-separate)")
	fl.BoolVar(&opts.ExitCode, "exit-code", false, "exit 10 when opportunities are found")
	fl.StringVar(&opts.Notify, "notify", "", "POST the signed JSON result to this URL when opportunities are found")
	return cmd
}

func nonNegative(flag, s string) (decimal.Decimal, error) {
	v, err := decimal.NewFromString(strings.TrimSpace(s))
	if err != nil || v.IsNegative() {
		return decimal.Zero, cmdutil.FlagErrorf("%s: want a number of at least 0, got %q", flag, s)
	}
	return v, nil
}

// RunScan scans, records, prints and notifies.
func RunScan(ctx context.Context, opts *ScanOptions) error {
	f := opts.Factory
	asOf, err := f.AsOf()
	if err != nil {
		return err
	}
	pr, err := f.Printer()
	if err != nil {
		return err
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	policy, notes, err := Policy(cfg, opts.MinLoss, opts.MinLossPct)
	if err != nil {
		return err
	}
	var secret string
	if opts.Notify != "" {
		if secret, err = notifySecret(ctx, f); err != nil {
			return err
		}
	}
	dsn, err := f.DSN()
	if err != nil {
		return err
	}
	paths, err := f.Paths()
	if err != nil {
		return err
	}
	lock, err := acquireLock(paths.StateDir, dsn, f.Now())
	if err != nil {
		return err
	}
	defer lock.Unlock()

	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	if p.Identical, err = tax.NewIdentical(tax.DefaultIdentical, cfg.Tax.SubstantiallyIdentical); err != nil {
		return fmt.Errorf("config tax.substantially_identical: %w", err)
	}
	accts, err := p.Accounts(ctx)
	if err != nil {
		return err
	}
	var only []string
	resolve := app.AccountResolver(accts)
	for _, ref := range opts.Accounts {
		a, ok := resolve(ref)
		if !ok {
			return cmdutil.FlagErrorf("--account: no account %q (see \"wealthalloc accounts list\")", ref)
		}
		if a.TaxType.TaxDeferred() {
			return cmdutil.FlagErrorf("--account: %s is a %s account: its losses are not deductible, so there is nothing to harvest", a.Name, a.TaxType)
		}
		only = append(only, a.ID)
	}
	start := time.Now()
	res, err := p.ScanHarvest(ctx, app.HarvestOptions{AsOf: asOf, Accounts: only, Policy: policy, Classify: refdata.Classify})
	if err != nil {
		return err
	}
	f.Timed("harvest scan", start)
	doc := Document(res, policy)
	if err := pr.Print(Table(doc), doc); err != nil {
		return err
	}
	w := f.IO.ErrOut
	for _, n := range notes {
		fmt.Fprintln(w, "note: "+n)
	}
	writeNotes(f, res, doc)
	found := len(doc.Opportunities) > 0
	if opts.Notify != "" {
		if found {
			if err := notify(ctx, f, opts.Notify, secret, doc); err != nil {
				return err
			}
		} else {
			fmt.Fprintln(w, "nothing to notify: no opportunities")
		}
	}
	if opts.ExitCode && found {
		return &cmdutil.CodeError{Code: cmdutil.ExitFound}
	}
	return nil
}

// Policy builds the scan policy from the config's rates and the
// thresholds (minPct in percent). notes says which defaults were assumed.
func Policy(cfg *config.Config, minLoss, minPct decimal.Decimal) (tax.HarvestPolicy, []string, error) {
	p := tax.DefaultHarvestPolicy()
	p.MinLoss, p.MinLossPct = minLoss, minPct.Div(decimal.NewFromInt(100))
	var notes []string
	if cfg.Tax.Rates.Short == "" || cfg.Tax.Rates.Long == "" {
		notes = append(notes, tax.DefaultRatesNote)
	}
	rate := func(key, v string, def decimal.Decimal) (decimal.Decimal, error) {
		if v == "" {
			return def, nil
		}
		r, err := decimal.NewFromString(v)
		if err != nil {
			return decimal.Zero, fmt.Errorf("config %s: invalid rate %q", key, v)
		}
		return r, nil
	}
	short, err := rate("tax.rates.short", cfg.Tax.Rates.Short, tax.DefaultRates.Short)
	if err != nil {
		return p, nil, err
	}
	long, err := rate("tax.rates.long", cfg.Tax.Rates.Long, tax.DefaultRates.Long)
	if err != nil {
		return p, nil, err
	}
	state, err := rate("tax.rates.state", cfg.Tax.Rates.State, tax.DefaultRates.State)
	if err != nil {
		return p, nil, err
	}
	p.ShortRate, p.LongRate = short.Add(state), long.Add(state)
	return p, notes, nil
}

// writeNotes tells the user on stderr what the table cannot show.
func writeNotes(f *cmdutil.Factory, res *app.HarvestResult, doc DocumentJSON) {
	w := f.IO.ErrOut
	for _, o := range doc.Opportunities {
		for _, b := range o.BlockingPurchases {
			held := ""
			if b.Held != nil {
				held = fmt.Sprintf(", %s still held", b.Held)
			}
			fmt.Fprintf(w, "not wash-safe: %s %s lot %s: %s %s bought in %s on %s (%s%s); selling before %s would be a wash sale\n",
				o.Account, o.Symbol, o.LotID, b.Quantity, b.Symbol, b.Account, b.Date, b.Action, held, b.Date.AddDays(31))
		}
		if len(o.Replacements) == 0 {
			fmt.Fprintf(w, "note: %s %s lot %s: no replacement suggested: every candidate is substantially identical to it, to another loss of this scan or to a loss sold in the last 30 days (buying one would wash that loss); hold cash until %s or pass harvest execute --replacement\n",
				o.Account, o.Symbol, o.LotID, o.LockoutUntil)
		}
		for _, r := range o.Reinvesting {
			fmt.Fprintf(w, "warning: %s dividends appear to reinvest in %s (last %s): turn reinvestment off before selling %s, or the next one within 30 days washes part of the loss\n",
				r.Symbol, r.Account, r.Date, o.Symbol)
		}
	}
	if len(doc.Unpriced) > 0 {
		fmt.Fprintf(w, "warning: no price on or before %s for %s: not scanned; run \"wealthalloc import prices FILE\"\n", doc.AsOf, strings.Join(doc.Unpriced, ", "))
	}
	if doc.NotWorthCost > 0 {
		fmt.Fprintf(w, "%d lot(s) past the loss thresholds left out: the estimated saving does not exceed the trading costs\n", doc.NotWorthCost)
	}
	if res.Dismissed > 0 {
		fmt.Fprintf(w, "%d dismissed opportunit%s not shown\n", res.Dismissed, plural(res.Dismissed, "y", "ies"))
	}
	fmt.Fprintf(w, "harvest scan %s: %d opportunit%s (%d new, %d updated, %d expired)\n", doc.AsOf,
		len(doc.Opportunities), plural(len(doc.Opportunities), "y", "ies"), res.Created, res.Updated, len(res.Expired))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// notifySecret finds the signing secret, failing with exit code 4 when
// there is none.
func notifySecret(ctx context.Context, f *cmdutil.Factory) (string, error) {
	if v := f.Getenv(notifySecretAlias); v != "" {
		return v, nil
	}
	paths, err := f.Paths()
	if err != nil {
		return "", err
	}
	s := config.NewSecrets(config.SecretsOptions{Getenv: f.Getenv, File: paths.SecretsFile(), Keyring: config.OSKeyring(), Warn: f.IO.ErrOut})
	v, _, err := s.Get(ctx, NotifySecret)
	if errors.Is(err, config.ErrSecretNotFound) {
		return "", &cmdutil.CodeError{Code: cmdutil.ExitCredentials, Err: fmt.Errorf(
			"--notify signs its payload with the secret %q, which is not set: export %s (or %s_FILE naming a file that holds it), or store it in the OS keyring (service %q) or %s",
			NotifySecret, config.SecretEnvVar(NotifySecret), config.SecretEnvVar(NotifySecret), config.KeyringService, paths.SecretsFile())}
	}
	if err != nil {
		return "", &cmdutil.CodeError{Code: cmdutil.ExitCredentials, Err: fmt.Errorf("read the --notify secret: %w", err)}
	}
	return v, nil
}

// NotifyPayload is the body --notify POSTs: the scan document plus what a
// receiver needs to route it.
type NotifyPayload struct {
	Event  string    `json:"event"`
	SentAt time.Time `json:"sent_at"`
	DocumentJSON
}

func notify(ctx context.Context, f *cmdutil.Factory, target, secret string, doc DocumentJSON) error {
	body, err := json.Marshal(NotifyPayload{Event: "harvest.scan", SentAt: f.Now().UTC().Truncate(time.Second), DocumentJSON: doc})
	if err != nil {
		return fmt.Errorf("encode notification: %w", err)
	}
	n := &app.Notifier{URL: target, Secret: []byte(secret), Event: "harvest.scan", Logger: f.Logger,
		UserAgent: "wealthalloc/" + f.Version}
	if err := n.Send(ctx, body); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "notified %s (%d bytes, signed)\n", redact(target), len(body))
	return nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(URL)"
	}
	u.RawQuery, u.Fragment = "", ""
	return u.Redacted()
}

// PurchaseJSON is a purchase in the JSON output.
type PurchaseJSON struct {
	TradeID  string          `json:"trade_id"`
	Account  string          `json:"account"`
	Symbol   string          `json:"symbol"`
	Date     portfolio.Date  `json:"date"`
	Action   string          `json:"action"`
	Quantity decimal.Decimal `json:"quantity"`
	// Held is the purchase's shares still held at as_of (blocking
	// purchases only): what makes it a replacement.
	Held *decimal.Decimal `json:"held,omitempty"`
}

// ReplacementJSON is a replacement suggestion. Correlation is a decimal
// string with 4 places, null when there is too little common history.
type ReplacementJSON struct {
	Symbol         string  `json:"symbol"`
	Correlation    *string `json:"correlation"`
	OverlapDays    int     `json:"overlap_days"`
	SameSector     bool    `json:"same_sector"`
	SameAssetClass bool    `json:"same_asset_class"`
	AssetClass     string  `json:"asset_class"`
	Sector         string  `json:"sector"`
	Partner        bool    `json:"partner"`
}

// OpportunityJSON is one opportunity. Decimals are strings; loss_pct and
// tax_rate are fractions (0.1 = 10%).
type OpportunityJSON struct {
	ID                   string            `json:"id"`
	Status               string            `json:"status"`
	Account              string            `json:"account"`
	AccountType          string            `json:"account_type"`
	Symbol               string            `json:"symbol"`
	LotID                string            `json:"lot_id"`
	Quantity             decimal.Decimal   `json:"quantity"`
	AdjustedBasis        decimal.Decimal   `json:"adjusted_basis"`
	AdjustedDateAcquired portfolio.Date    `json:"adjusted_date_acquired"`
	Price                decimal.Decimal   `json:"price"`
	PriceDate            portfolio.Date    `json:"price_date"`
	MarketValue          decimal.Decimal   `json:"market_value"`
	UnrealizedLoss       decimal.Decimal   `json:"unrealized_loss"`
	LossPct              decimal.Decimal   `json:"loss_pct"`
	Term                 string            `json:"term"`
	TaxRate              decimal.Decimal   `json:"tax_rate"`
	EstimatedSaving      decimal.Decimal   `json:"estimated_saving"`
	Commissions          decimal.Decimal   `json:"commissions"`
	SpreadCost           decimal.Decimal   `json:"spread_cost"`
	Costs                decimal.Decimal   `json:"costs"`
	NetBenefit           decimal.Decimal   `json:"net_benefit"`
	WashSafe             bool              `json:"wash_safe"`
	BlockingPurchases    []PurchaseJSON    `json:"blocking_purchases"`
	Reinvesting          []PurchaseJSON    `json:"reinvesting"`
	LockoutUntil         portfolio.Date    `json:"lockout_until"`
	LockoutSymbols       []string          `json:"lockout_symbols"`
	Replacements         []ReplacementJSON `json:"replacements"`
	DetectedOn           portfolio.Date    `json:"detected_on"`
}

// PolicyJSON records the assumptions of a scan.
type PolicyJSON struct {
	MinLoss          decimal.Decimal `json:"min_loss"`
	MinLossPct       decimal.Decimal `json:"min_loss_pct"`
	ShortRate        decimal.Decimal `json:"short_term_rate"`
	LongRate         decimal.Decimal `json:"long_term_rate"`
	CommissionShare  decimal.Decimal `json:"commission_per_share"`
	CommissionMin    decimal.Decimal `json:"commission_min"`
	CommissionMaxPct decimal.Decimal `json:"commission_max_pct"`
	HalfSpread       decimal.Decimal `json:"half_spread"`
	CorrelationDays  string          `json:"correlation_window"`
}

// DocumentJSON is the whole `harvest scan -o json` document (and the
// --notify payload).
type DocumentJSON struct {
	AsOf          portfolio.Date    `json:"as_of"`
	Policy        PolicyJSON        `json:"policy"`
	Opportunities []OpportunityJSON `json:"opportunities"`
	Totals        struct {
		UnrealizedLoss  decimal.Decimal `json:"unrealized_loss"`
		EstimatedSaving decimal.Decimal `json:"estimated_saving"`
		NetBenefit      decimal.Decimal `json:"net_benefit"`
	} `json:"totals"`
	NotWorthCost int      `json:"not_worth_cost"`
	Dismissed    int      `json:"dismissed"`
	Unpriced     []string `json:"unpriced"`
}

// Document builds the JSON form.
func Document(res *app.HarvestResult, p tax.HarvestPolicy) DocumentJSON {
	names := map[string]portfolio.Account{}
	for _, a := range res.Accounts {
		names[a.ID] = a
	}
	doc := DocumentJSON{AsOf: res.Scan.AsOf, Opportunities: []OpportunityJSON{}, NotWorthCost: res.Scan.NotWorthCost,
		Dismissed: res.Dismissed, Unpriced: append([]string{}, res.Scan.Unpriced...),
		Policy: PolicyJSON{MinLoss: p.MinLoss, MinLossPct: p.MinLossPct, ShortRate: p.ShortRate, LongRate: p.LongRate,
			CommissionShare: p.Commission.PerShare, CommissionMin: p.Commission.Min, CommissionMaxPct: p.Commission.MaxPct,
			HalfSpread: p.HalfSpread, CorrelationDays: "daily log returns over the year to as_of, at least " + strconv.Itoa(p.MinOverlap) + " common days"}}
	purchases := func(ps []tax.HarvestPurchase) []PurchaseJSON {
		out := make([]PurchaseJSON, 0, len(ps))
		for _, x := range ps {
			j := PurchaseJSON{TradeID: x.TradeID, Account: names[x.AccountID].Name, Symbol: x.Symbol, Date: x.Date,
				Action: string(x.Action), Quantity: x.Quantity}
			if x.Held.IsPositive() {
				held := x.Held
				j.Held = &held
			}
			out = append(out, j)
		}
		return out
	}
	for i, o := range res.Scan.Opportunities {
		rec := res.Records[i]
		term := "short"
		if o.LongTerm {
			term = "long"
		}
		j := OpportunityJSON{ID: rec.ID, Status: string(rec.Status), Account: names[o.AccountID].Name,
			AccountType: string(names[o.AccountID].TaxType), Symbol: o.Symbol, LotID: o.LotID, Quantity: o.Quantity,
			AdjustedBasis: o.AdjustedBasis, AdjustedDateAcquired: o.AdjustedDateAcquired, Price: o.Price, PriceDate: o.PriceDate,
			MarketValue: o.MarketValue, UnrealizedLoss: o.Loss, LossPct: o.LossPct, Term: term, TaxRate: o.Rate,
			EstimatedSaving: o.Saving, Commissions: o.Commissions, SpreadCost: o.SpreadCost, Costs: o.Costs,
			NetBenefit: o.NetBenefit, WashSafe: o.WashSafe, BlockingPurchases: purchases(o.Blocking),
			Reinvesting: purchases(o.Reinvesting), LockoutUntil: o.LockoutUntil,
			LockoutSymbols: append([]string{}, o.LockoutSymbols...), Replacements: []ReplacementJSON{}, DetectedOn: rec.DetectedOn}
		for _, r := range o.Replacements {
			rj := ReplacementJSON{Symbol: r.Symbol, OverlapDays: r.Overlap, SameSector: r.SameSector,
				SameAssetClass: r.SameAssetClass, AssetClass: r.AssetClass, Sector: r.Sector, Partner: r.Partner}
			if r.HasCorrelation {
				s := strconv.FormatFloat(r.Correlation, 'f', 4, 64)
				rj.Correlation = &s
			}
			j.Replacements = append(j.Replacements, rj)
		}
		doc.Opportunities = append(doc.Opportunities, j)
		doc.Totals.UnrealizedLoss = doc.Totals.UnrealizedLoss.Add(o.Loss)
		doc.Totals.EstimatedSaving = doc.Totals.EstimatedSaving.Add(o.Saving)
		doc.Totals.NetBenefit = doc.Totals.NetBenefit.Add(o.NetBenefit)
	}
	return doc
}

// Table builds the terminal, TSV and CSV form.
func Table(doc DocumentJSON) output.Table {
	t := output.Table{Columns: []output.Column{
		{Header: "Account", Key: "account"}, {Header: "Symbol", Key: "symbol"}, {Header: "Lot", Key: "lot_id"},
		{Header: "Quantity", Key: "quantity", Kind: output.Quantity}, {Header: "Term", Key: "term"},
		{Header: "Basis", Key: "adjusted_basis", Kind: output.Money}, {Header: "Price", Key: "price", Kind: output.Price},
		{Header: "Loss", Key: "unrealized_loss", Kind: output.Money}, {Header: "Loss %", Key: "loss_pct", Kind: output.Percent},
		{Header: "Saving", Key: "estimated_saving", Kind: output.Money}, {Header: "Costs", Key: "costs", Kind: output.Money},
		{Header: "Net", Key: "net_benefit", Kind: output.Money}, {Header: "Wash-safe", Key: "wash_safe"},
		{Header: "Lock-out until", Key: "lockout_until"}, {Header: "Replacements (correlation)", Key: "replacements"},
		{Header: "ID", Key: "id"},
	}}
	for _, o := range doc.Opportunities {
		safe := "yes"
		if !o.WashSafe {
			safe = "NO"
		}
		var reps []string
		for _, r := range o.Replacements {
			c := "n/a"
			if r.Correlation != nil {
				c = *r.Correlation
			}
			reps = append(reps, r.Symbol+" "+c)
		}
		t.Rows = append(t.Rows, []any{o.Account, o.Symbol, o.LotID, o.Quantity, o.Term, o.AdjustedBasis, o.Price,
			o.UnrealizedLoss, o.LossPct, o.EstimatedSaving, o.Costs, o.NetBenefit, safe, o.LockoutUntil,
			strings.Join(reps, ", "), o.ID})
	}
	if len(doc.Opportunities) > 0 {
		t.Totals = make([]any, len(t.Columns))
		t.Totals[0] = "TOTAL"
		t.Totals[7], t.Totals[9], t.Totals[11] = doc.Totals.UnrealizedLoss, doc.Totals.EstimatedSaving, doc.Totals.NetBenefit
	}
	return t
}
