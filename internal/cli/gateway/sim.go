package gateway

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/demo"
	"github.com/wealthalloc/wealthalloc/internal/ibkr/sim"
	"github.com/wealthalloc/wealthalloc/internal/importer"
)

// SimOptions are the inputs of `gateway sim`.
type SimOptions struct {
	Factory    *cmdutil.Factory
	Listen     string
	Prices     string
	Accounts   []string
	State      string
	Commission string
	Faults     []string
	Seed       int64
	Speed      float64
}

// NewCmdSim returns `gateway sim`.
func NewCmdSim(f *cmdutil.Factory, runF func(context.Context, *SimOptions) error) *cobra.Command {
	opts := &SimOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run an IB Gateway simulator (TWS API server version 178) backed by real prices",
		Long: `Listen like IB Gateway does and answer the TWS API at server version 178:
managed accounts, positions, account summary, market data (snapshots and
streams, live or delayed), contract details, historical bars, orders with
fills, executions and commission reports. Any TWS API client can use it.

Prices: the bundled demo prices (MSFT, IBM, SBUX, AAPL, GSPC, 2007–2016) by
default, or --prices FILE in the long or wide CSV of "import prices". The
simulated today is --as-of (default 2008-11-20 with the demo prices, else the
last date in the file). Accounts: the demo's two accounts as of that date by
default, --state FILE (JSON), or --accounts with 100,000 cash each.

Faults (repeat --fault): ` + strings.Join(sim.FaultNames(), ", ") + `.
See docs/gateway-simulator.md for what each does.`,
		Example: `  wealthalloc gateway sim
  wealthalloc gateway sim --listen 127.0.0.1:4102 --fault delayed --fault disconnect-after=50
  wealthalloc gateway sim --prices prices.csv --accounts DU1111111,DU2222222 --as-of 2024-06-28`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunSim(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Listen, "listen", "127.0.0.1:4002", "address to listen on (4002 is IB Gateway's paper port)")
	fl.StringVar(&opts.Prices, "prices", "", "daily prices CSV (default: the bundled demo prices)")
	fl.StringSliceVar(&opts.Accounts, "accounts", nil, "account ids, comma-separated (each with 100,000 cash)")
	fl.StringVar(&opts.State, "state", "", "JSON file of accounts, cash and positions")
	fl.StringVar(&opts.Commission, "commission", "0.005,1,1%", "per share, minimum per order, maximum as % of value")
	fl.StringArrayVar(&opts.Faults, "fault", nil, "switch on a fault, NAME or NAME=ARG (repeatable)")
	fl.Int64Var(&opts.Seed, "seed", 1, "seed of the intraday price paths and fill ordering")
	fl.Float64Var(&opts.Speed, "speed", 1, "simulated seconds per wall-clock second on the market clock")
	return cmd
}

// BuildSimConfig turns the options into a simulator configuration.
func BuildSimConfig(opts *SimOptions) (sim.Config, error) {
	f := opts.Factory
	var cfg sim.Config
	var err error
	if opts.Prices == "" {
		asOf := demo.AsOf
		if f.Global.AsOf != "" {
			if asOf, err = f.AsOf(); err != nil {
				return cfg, err
			}
		}
		if cfg, err = DemoConfig(asOf); err != nil {
			return cfg, err
		}
	} else {
		r, err := os.Open(opts.Prices)
		if err != nil {
			return cfg, fmt.Errorf("--prices: %w", err)
		}
		defer r.Close()
		bars, err := importer.ParsePricesCSV(r, opts.Prices, "")
		if err != nil {
			return cfg, err
		}
		cfg.Prices = SimPrices(bars)
		if f.Global.AsOf != "" {
			d, err := f.AsOf()
			if err != nil {
				return cfg, err
			}
			cfg.AsOf = d.String()
		}
	}
	switch {
	case opts.State != "":
		if cfg.Accounts, err = ReadState(opts.State); err != nil {
			return cfg, err
		}
	case len(opts.Accounts) > 0:
		cfg.Accounts = nil
		for _, id := range opts.Accounts {
			if id = strings.TrimSpace(id); id == "" {
				return cfg, cmdutil.FlagErrorf("--accounts: an empty account id")
			}
			cfg.Accounts = append(cfg.Accounts, sim.Account{ID: id, Cash: decimal.NewFromInt(100000)})
		}
	case opts.Prices != "":
		cfg.Accounts = nil // the simulator's default account
	}
	if cfg.Commission, err = ParseCommission(opts.Commission); err != nil {
		return cfg, &cmdutil.FlagError{Err: err}
	}
	for _, s := range opts.Faults {
		ft, err := sim.ParseFault(s)
		if err != nil {
			return cfg, &cmdutil.FlagError{Err: fmt.Errorf("--fault: %w", err)}
		}
		cfg.Faults = append(cfg.Faults, ft)
	}
	cfg.Seed, cfg.Speed = opts.Seed, opts.Speed
	cfg.Logger = f.Logger
	return cfg, nil
}

// RunSim serves until interrupted.
func RunSim(ctx context.Context, opts *SimOptions) error {
	f := opts.Factory
	cfg, err := BuildSimConfig(opts)
	if err != nil {
		return err
	}
	if f.Global.Debug {
		cfg.Logger = slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := sim.New(cfg)
	if err != nil {
		return err
	}
	addr, err := srv.Start(opts.Listen)
	if err != nil {
		return fmt.Errorf("gateway sim: listen on %s: %w (is IB Gateway or another simulator already using it? try --listen 127.0.0.1:0)", opts.Listen, err)
	}
	var ids []string
	for _, a := range srv.Accounts() {
		ids = append(ids, a.ID)
	}
	syms := make([]string, 0, len(cfg.Prices))
	for s := range cfg.Prices {
		syms = append(syms, s)
	}
	sort.Strings(syms)
	var b bytes.Buffer
	fmt.Fprintf(&b, "IB Gateway simulator (TWS API server version %d) listening on %s\n", srv.ServerVersion(), addr)
	fmt.Fprintf(&b, "accounts: %s; symbols: %s", strings.Join(ids, ", "), strings.Join(syms, ", "))
	if cfg.AsOf != "" {
		fmt.Fprintf(&b, "; as of %s", cfg.AsOf)
	}
	if len(cfg.Faults) > 0 {
		fmt.Fprintf(&b, "; faults: %s", strings.Join(opts.Faults, ", "))
	}
	fmt.Fprintf(&b, "\ntry: wealthalloc gateway status --gateway %s   (Ctrl-C stops)\n", addr)
	_, _ = f.IO.ErrOut.Write(b.Bytes())
	<-ctx.Done()
	return srv.Close()
}
