package sim

import (
	"strings"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// The historical-data pacing limits IB documents (reference/ibkr.md §3
// item 5). The ten-minute limit applies, as at IB, only to bars of 30
// seconds or less.
const (
	identicalWindow = 15 * time.Second
	sameWindow      = 2 * time.Second
	sameMax         = 5
	totalWindow     = 10 * time.Minute
	totalMax        = 60
)

type paced struct {
	at       time.Time
	identity string // the whole request
	contract string // contract, exchange and whatToShow
	weight   int    // BID_ASK counts twice
	small    bool   // bars of 30 s or less
}

// pacer remembers the historical requests admitted in the last ten
// minutes, across all connections, as one Gateway session does.
type pacer struct {
	recent []paced
}

// admit records a request and returns "" when it is within the limits,
// or which limit it breaks. Refused requests are not recorded.
func (p *pacer) admit(now time.Time, sym, what string, m wire.Msg) string {
	cut := 0
	for cut < len(p.recent) && now.Sub(p.recent[cut].at) >= totalWindow {
		cut++
	}
	p.recent = p.recent[cut:]
	contract := strings.Join([]string{sym, m.Get("exchange"), what}, "|")
	identity := strings.Join([]string{contract, m.Get("endDateTime"), m.Get("barSizeSetting"), m.Get("durationStr"),
		m.Get("useRTH"), m.Get("formatDate")}, "|")
	weight := 1
	if what == "BID_ASK" {
		weight = 2
	}
	small := barSizes[m.Get("barSizeSetting")] > 0 && barSizes[m.Get("barSizeSetting")] <= 30
	total, same := weight, weight
	for _, r := range p.recent {
		if r.small {
			total += r.weight
		}
		if r.identity == identity && now.Sub(r.at) < identicalWindow {
			return "identical request within 15 seconds"
		}
		if r.contract == contract && now.Sub(r.at) < sameWindow {
			same += r.weight
		}
	}
	if same > sameMax {
		return "more than 5 requests for the same contract within 2 seconds"
	}
	if small && total > totalMax {
		return "more than 60 requests for bars of 30 seconds or less within 10 minutes"
	}
	p.recent = append(p.recent, paced{at: now, identity: identity, contract: contract, weight: weight, small: small})
	return ""
}
