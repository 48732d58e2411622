package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wealthalloc/wealthalloc/internal/store"
)

// Catalogue is the seeded investor-education catalogue: public pages of
// the SEC (Investor.gov), FINRA, the IRS and the Bogleheads wiki, by topic.
// Recommendations link the first entry of their topic. The table is called
// educational_videos; these entries are pages (duration 0).
var Catalogue = []store.Video{
	{Slug: "finra-risk", Topic: "risk", Title: "Risk (FINRA, Investing Basics)",
		URL:         "https://www.finra.org/investors/investing/investing-basics/risk",
		Description: "The kinds of investment risk, and how risk and return go together."},
	{Slug: "investor-gov-risk-tolerance", Topic: "risk", Title: "Assessing Your Risk Tolerance (SEC, Investor.gov)",
		URL:         "https://www.investor.gov/introduction-investing/getting-started/assessing-your-risk-tolerance",
		Description: "How much loss you can stand, and why it decides your asset mix."},
	{Slug: "sec-beginners-guide-asset-allocation", Topic: "rebalancing",
		Title:       "Beginners' Guide to Asset Allocation, Diversification, and Rebalancing (SEC, Investor.gov)",
		URL:         "https://www.investor.gov/additional-resources/general-resources/publications-research/info-sheets/beginners-guide-asset",
		Description: "Why and how to bring a portfolio back to its target mix."},
	{Slug: "bogleheads-rebalancing", Topic: "rebalancing", Title: "Rebalancing (Bogleheads wiki)",
		URL:         "https://www.bogleheads.org/wiki/Rebalancing",
		Description: "Bands, schedules and tax-aware ways to rebalance."},
	{Slug: "investor-gov-asset-allocation", Topic: "asset-allocation", Title: "Asset Allocation (SEC, Investor.gov)",
		URL:         "https://www.investor.gov/introduction-investing/getting-started/asset-allocation",
		Description: "Dividing a portfolio among stocks, bonds and cash by time horizon and risk tolerance."},
	{Slug: "bogleheads-asset-allocation", Topic: "asset-allocation", Title: "Asset allocation (Bogleheads wiki)",
		URL:         "https://www.bogleheads.org/wiki/Asset_allocation",
		Description: "Choosing the stock/bond mix and sticking to it."},
	{Slug: "finra-asset-allocation-diversification", Topic: "diversification",
		Title:       "Asset Allocation and Diversification (FINRA, Investing Basics)",
		URL:         "https://www.finra.org/investors/investing/investing-basics/asset-allocation-diversification",
		Description: "Spreading money across and within asset classes so that one loss does not sink the whole."},
	{Slug: "finra-concentration-risk", Topic: "concentration", Title: "Concentrate on Concentration Risk (FINRA Investor Insights)",
		URL:         "https://www.finra.org/investors/insights/concentration-risk",
		Description: "How a large position in one stock, sector or correlated holdings amplifies losses."},
	{Slug: "bogleheads-tax-loss-harvesting", Topic: "tax-loss-harvesting", Title: "Tax loss harvesting (Bogleheads wiki)",
		URL:         "https://www.bogleheads.org/wiki/Tax_loss_harvesting",
		Description: "Selling at a loss to offset gains and income, and picking a replacement that is not substantially identical."},
	{Slug: "irs-pub-550", Topic: "wash-sales", Title: "Publication 550, Investment Income and Expenses (IRS; wash sales in chapter 4)",
		URL:         "https://www.irs.gov/publications/p550",
		Description: "The IRS's own text on wash sales: 30 days before or after, substantially identical, spouses and IRAs."},
	{Slug: "irs-topic-409", Topic: "capital-gains", Title: "Topic No. 409, Capital Gains and Losses (IRS)",
		URL:         "https://www.irs.gov/taxtopics/tc409",
		Description: "Short- and long-term gains, the $3,000 loss limit and carry-overs."},
}

// SeedCatalogue stores the catalogue (new entries added, changed ones
// updated) and returns the first entry of each topic by topic.
func (p *Portfolio) SeedCatalogue(ctx context.Context) (map[string]store.Video, error) {
	vs, err := p.Store.SeedVideos(ctx, Catalogue)
	if err != nil {
		return nil, err
	}
	out := map[string]store.Video{}
	for _, v := range vs {
		if _, ok := out[v.Topic]; !ok {
			out[v.Topic] = v
		}
	}
	return out, nil
}

// Topics lists the catalogue's topics in order.
func Topics() []string {
	var out []string
	for _, v := range Catalogue {
		if !slices.Contains(out, v.Topic) {
			out = append(out, v.Topic)
		}
	}
	slices.Sort(out)
	return out
}

// ErrUnknownTopic means learn was asked for a topic the catalogue lacks.
var ErrUnknownTopic = errors.New("no such topic")

// Learn seeds the catalogue and lists it, or one topic of it. A topic
// matches case-insensitively, with spaces or underscores for hyphens; an
// unknown topic is an error naming the known ones.
func (p *Portfolio) Learn(ctx context.Context, topic string) ([]store.Video, error) {
	if _, err := p.SeedCatalogue(ctx); err != nil {
		return nil, err
	}
	t := strings.NewReplacer(" ", "-", "_", "-").Replace(strings.ToLower(strings.TrimSpace(topic)))
	if t != "" && !slices.Contains(Topics(), t) {
		return nil, fmt.Errorf("%w: %q: choose one of %s", ErrUnknownTopic, topic, strings.Join(Topics(), ", "))
	}
	return p.Store.Videos(ctx, t)
}
