// Package refdata classifies symbols by asset class, sector and region from
// bundled reference data: GICS sectors of S&P 500 members and a hand-made map
// of common ETFs (the S&P list has none). Unknown symbols are "unclassified"
// rather than guessed.
package refdata

import (
	_ "embed"
	"encoding/csv"
	"strings"
	"sync"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

//go:embed data/constituents.csv
var constituents string

// Unclassified is the sector and asset class of symbols the data does not know.
const Unclassified = "unclassified"

// etfs maps common ETFs (and the indexes our bundled prices carry) to their
// class. Sectors for broad funds name the fund's category.
var etfs = map[string]portfolio.Classification{
	"VTI":  {AssetClass: "us_equity", Sector: "US Total Market", Region: "US"},
	"ITOT": {AssetClass: "us_equity", Sector: "US Total Market", Region: "US"},
	"SCHB": {AssetClass: "us_equity", Sector: "US Total Market", Region: "US"},
	"VOO":  {AssetClass: "us_equity", Sector: "US Large Cap", Region: "US"},
	"IVV":  {AssetClass: "us_equity", Sector: "US Large Cap", Region: "US"},
	"SPY":  {AssetClass: "us_equity", Sector: "US Large Cap", Region: "US"},
	"SPLG": {AssetClass: "us_equity", Sector: "US Large Cap", Region: "US"},
	"SCHX": {AssetClass: "us_equity", Sector: "US Large Cap", Region: "US"},
	"QQQ":  {AssetClass: "us_equity", Sector: "US Large Cap Growth", Region: "US"},
	"QQQM": {AssetClass: "us_equity", Sector: "US Large Cap Growth", Region: "US"},
	"VUG":  {AssetClass: "us_equity", Sector: "US Large Cap Growth", Region: "US"},
	"VTV":  {AssetClass: "us_equity", Sector: "US Large Cap Value", Region: "US"},
	"VO":   {AssetClass: "us_equity", Sector: "US Mid Cap", Region: "US"},
	"IJH":  {AssetClass: "us_equity", Sector: "US Mid Cap", Region: "US"},
	"VB":   {AssetClass: "us_equity", Sector: "US Small Cap", Region: "US"},
	"IJR":  {AssetClass: "us_equity", Sector: "US Small Cap", Region: "US"},
	"IWM":  {AssetClass: "us_equity", Sector: "US Small Cap", Region: "US"},
	"VXUS": {AssetClass: "intl_equity", Sector: "International Total Market", Region: "ex-US"},
	"IXUS": {AssetClass: "intl_equity", Sector: "International Total Market", Region: "ex-US"},
	"VEA":  {AssetClass: "intl_equity", Sector: "International Developed", Region: "Developed ex-US"},
	"IEFA": {AssetClass: "intl_equity", Sector: "International Developed", Region: "Developed ex-US"},
	"EFA":  {AssetClass: "intl_equity", Sector: "International Developed", Region: "Developed ex-US"},
	"VWO":  {AssetClass: "intl_equity", Sector: "Emerging Markets", Region: "Emerging"},
	"IEMG": {AssetClass: "intl_equity", Sector: "Emerging Markets", Region: "Emerging"},
	"EEM":  {AssetClass: "intl_equity", Sector: "Emerging Markets", Region: "Emerging"},
	"BND":  {AssetClass: "bond", Sector: "US Aggregate Bond", Region: "US"},
	"AGG":  {AssetClass: "bond", Sector: "US Aggregate Bond", Region: "US"},
	"SCHZ": {AssetClass: "bond", Sector: "US Aggregate Bond", Region: "US"},
	"BNDX": {AssetClass: "bond", Sector: "International Bond", Region: "ex-US"},
	"TLT":  {AssetClass: "bond", Sector: "US Treasury Long", Region: "US"},
	"IEF":  {AssetClass: "bond", Sector: "US Treasury Intermediate", Region: "US"},
	"SHY":  {AssetClass: "bond", Sector: "US Treasury Short", Region: "US"},
	"SGOV": {AssetClass: "bond", Sector: "US Treasury Bills", Region: "US"},
	"BIL":  {AssetClass: "bond", Sector: "US Treasury Bills", Region: "US"},
	"TIP":  {AssetClass: "bond", Sector: "US TIPS", Region: "US"},
	"VTIP": {AssetClass: "bond", Sector: "US TIPS", Region: "US"},
	"LQD":  {AssetClass: "bond", Sector: "US Corporate Bond", Region: "US"},
	"HYG":  {AssetClass: "bond", Sector: "US High Yield Bond", Region: "US"},
	"MUB":  {AssetClass: "bond", Sector: "US Municipal Bond", Region: "US"},
	"VNQ":  {AssetClass: "real_estate", Sector: "Real Estate", Region: "US"},
	"SCHH": {AssetClass: "real_estate", Sector: "Real Estate", Region: "US"},
	"GLD":  {AssetClass: "commodity", Sector: "Gold", Region: "Global"},
	"IAU":  {AssetClass: "commodity", Sector: "Gold", Region: "Global"},
	"XLK":  {AssetClass: "us_equity", Sector: "Information Technology", Region: "US"},
	"XLF":  {AssetClass: "us_equity", Sector: "Financials", Region: "US"},
	"XLV":  {AssetClass: "us_equity", Sector: "Health Care", Region: "US"},
	"XLE":  {AssetClass: "us_equity", Sector: "Energy", Region: "US"},
	"XLY":  {AssetClass: "us_equity", Sector: "Consumer Discretionary", Region: "US"},
	"XLP":  {AssetClass: "us_equity", Sector: "Consumer Staples", Region: "US"},
	"XLI":  {AssetClass: "us_equity", Sector: "Industrials", Region: "US"},
	"XLU":  {AssetClass: "us_equity", Sector: "Utilities", Region: "US"},
	"XLB":  {AssetClass: "us_equity", Sector: "Materials", Region: "US"},
	"XLRE": {AssetClass: "us_equity", Sector: "Real Estate", Region: "US"},
	"XLC":  {AssetClass: "us_equity", Sector: "Communication Services", Region: "US"},
	"GSPC": {AssetClass: "index", Sector: "US Large Cap", Region: "US"},
}

var (
	loadOnce sync.Once
	sectors  map[string]string
)

func load() {
	sectors = map[string]string{}
	recs, err := csv.NewReader(strings.NewReader(constituents)).ReadAll()
	if err != nil {
		panic("refdata: bundled constituents.csv is corrupt: " + err.Error()) // caught by tests
	}
	for _, r := range recs[1:] {
		sectors[r[0]] = r[2]
	}
}

// Classify places a symbol. Share classes match with '.' or '-' or '/' (BRK.B, BRK-B, BRK/B).
func Classify(symbol string) portfolio.Classification {
	s := strings.ToUpper(symbol)
	if c, ok := etfs[s]; ok {
		return c
	}
	loadOnce.Do(load)
	norm := strings.NewReplacer("-", ".", "/", ".").Replace(s)
	if sec, ok := sectors[norm]; ok {
		return portfolio.Classification{AssetClass: "us_equity", Sector: sec, Region: "US"}
	}
	return portfolio.Classification{AssetClass: Unclassified, Sector: Unclassified}
}
