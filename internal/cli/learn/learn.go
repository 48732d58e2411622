// Package learn implements `wealthalloc learn`.
package learn

import (
	"context"
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
)

// Options are the inputs of `learn`.
type Options struct {
	Factory *cmdutil.Factory
	Topic   string
}

// NewCmd returns `learn`; runF replaces the behaviour in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "learn [TOPIC]",
		Short: "Public investor-education pages that recommendations link to",
		Long: `List a small catalogue of public investor education — the SEC's
Investor.gov, FINRA, the IRS and the Bogleheads wiki — by topic: ` + strings.Join(app.Topics(), ", ") + `.
Each recommendation of "wealthalloc recs" links the first entry of its topic.`,
		Example: `  wealthalloc learn
  wealthalloc learn rebalancing
  wealthalloc learn wash-sales -o json`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return app.Topics(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Topic = args[0]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	return cmd
}

// EntryJSON is one catalogue entry.
type EntryJSON struct {
	Topic       string `json:"topic"`
	Title       string `json:"title"`
	URL         string `json:"url"`
	Description string `json:"description"`
	Slug        string `json:"slug"`
}

// Run lists the catalogue.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	pr, err := f.Printer()
	if err != nil {
		return err
	}
	p, err := f.Portfolio(ctx)
	if err != nil {
		return err
	}
	vs, err := p.Learn(ctx, opts.Topic)
	if errors.Is(err, app.ErrUnknownTopic) {
		return &cmdutil.FlagError{Err: err}
	}
	if err != nil {
		return err
	}
	doc := []EntryJSON{}
	t := output.Table{Columns: []output.Column{{Header: "TOPIC", Key: "topic"}, {Header: "TITLE", Key: "title"},
		{Header: "URL", Key: "url"}, {Header: "ABOUT", Key: "description"}}}
	for _, v := range vs {
		doc = append(doc, EntryJSON{Topic: v.Topic, Title: v.Title, URL: v.URL, Description: v.Description, Slug: v.Slug})
		t.Rows = append(t.Rows, []any{v.Topic, v.Title, v.URL, v.Description})
	}
	return pr.Print(t, doc)
}
