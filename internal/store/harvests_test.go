package store

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/shopspring/decimal"
)

// TestHarvestContract runs the tax_harvests contract on every engine.
func TestHarvestContract(t *testing.T) {
	for _, leg := range legs {
		t.Run(leg.name, func(t *testing.T) {
			t.Parallel()
			t.Run("scan-lifecycle", func(t *testing.T) { t.Parallel(); testHarvestLifecycle(t, leg.open(t)) })
			t.Run("rejected", func(t *testing.T) { t.Parallel(); testHarvestRejected(t, leg.open(t)) })
		})
	}
}

func harvestFixture(acct, lot, sym, loss string) Harvest {
	return Harvest{AccountID: acct, Symbol: sym, LotID: lot, Quantity: d("100.5"), AdjustedBasis: d("5000.123456"),
		Price: d("39.75"), PriceDate: date("2008-11-20"), UnrealizedLoss: d(loss), LongTerm: true,
		EstimatedSaving: d("150.25"), Costs: d("6.01"), WashSafe: true, ReplacementSymbol: "IBM",
		WashSaleUntil: datep("2008-12-21")}
}

func testHarvestLifecycle(t *testing.T, s *Store) {
	ctx := t.Context()
	f := newFixture(t, s, "harvest")
	q := s.Queries
	a := harvestFixture(f.taxable.ID, "lot-a", "MSFT", "1000")
	b := harvestFixture(f.taxable.ID, "lot-b", "SBUX", "2000")
	b.LongTerm, b.WashSafe, b.ReplacementSymbol, b.WashSaleUntil = false, false, "", nil

	// First scan: both inserted as new.
	res, err := q.RecordHarvestScan(ctx, f.user, f.pf, date("2008-11-20"), nil, []Harvest{a, b})
	must(t, "RecordHarvestScan 1", err)
	if len(res.Found) != 2 || !res.Created[0] || !res.Created[1] || len(res.Expired) != 0 {
		t.Fatalf("first scan: %+v", res)
	}
	idA, idB := res.Found[0].ID, res.Found[1].ID
	got, err := q.Harvests(ctx, f.pf)
	must(t, "Harvests", err)
	want := []Harvest{a, b}
	want[0].ID, want[1].ID = idA, idB
	for i := range want {
		want[i].Status, want[i].DetectedOn, want[i].LastSeenOn = HarvestNew, date("2008-11-20"), date("2008-11-20")
	}
	opts := cmp.Options{cmp.Comparer(decimal.Decimal.Equal), cmpopts.IgnoreFields(Harvest{}, "CreatedAt", "UpdatedAt"),
		cmpopts.EquateEmpty()}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Fatalf("stored harvests (-want +got):\n%s", diff)
	}
	if got[0].CreatedAt.IsZero() || got[0].CreatedAt.Location().String() != "UTC" {
		t.Errorf("created_at = %v, want a UTC time", got[0].CreatedAt)
	}

	// A later scan finds a again with a bigger loss, not b: a is updated in
	// place (no duplicate), b expires.
	a2 := a
	a2.UnrealizedLoss = d("1500")
	res, err = q.RecordHarvestScan(ctx, f.user, f.pf, date("2008-11-21"), nil, []Harvest{a2})
	must(t, "RecordHarvestScan 2", err)
	if res.Created[0] || res.Found[0].ID != idA || len(res.Expired) != 1 || res.Expired[0].ID != idB {
		t.Fatalf("second scan: %+v", res)
	}
	got, err = q.Harvests(ctx, f.pf, HarvestNew)
	must(t, "Harvests new", err)
	if len(got) != 1 || got[0].ID != idA || !got[0].UnrealizedLoss.Equal(d("1500")) ||
		got[0].DetectedOn != date("2008-11-20") || got[0].LastSeenOn != date("2008-11-21") {
		t.Fatalf("after the second scan: %+v", got)
	}
	got, err = q.Harvests(ctx, f.pf, HarvestExpired)
	must(t, "Harvests expired", err)
	if len(got) != 1 || got[0].ID != idB {
		t.Fatalf("expired: %+v", got)
	}

	// A scan of an earlier date widens the range and expires nothing seen later.
	res, err = q.RecordHarvestScan(ctx, f.user, f.pf, date("2008-11-19"), nil, nil)
	must(t, "RecordHarvestScan earlier", err)
	if len(res.Expired) != 0 {
		t.Errorf("a scan of an earlier date expired %+v", res.Expired)
	}
	// ... and finding a on that earlier date keeps the later figures.
	a3 := a
	a3.UnrealizedLoss = d("900")
	res, err = q.RecordHarvestScan(ctx, f.user, f.pf, date("2008-11-18"), nil, []Harvest{a3})
	must(t, "RecordHarvestScan earlier with a", err)
	got, err = q.Harvests(ctx, f.pf, HarvestNew)
	must(t, "Harvests new", err)
	if len(got) != 1 || !got[0].UnrealizedLoss.Equal(d("1500")) || got[0].DetectedOn != date("2008-11-18") || got[0].LastSeenOn != date("2008-11-21") {
		t.Fatalf("after an earlier scan: %+v", got)
	}

	// b found again: its expired row stays as it was and a new one starts.
	res, err = q.RecordHarvestScan(ctx, f.user, f.pf, date("2008-11-24"), nil, []Harvest{a, b})
	must(t, "RecordHarvestScan 3", err)
	if res.Created[0] || !res.Created[1] || res.Found[1].ID == idB {
		t.Fatalf("third scan: created %v, ids %s %s", res.Created, res.Found[0].ID, res.Found[1].ID)
	}
	idB2 := res.Found[1].ID

	// Dismissed stays dismissed: a later scan returns it so, writes nothing.
	must(t, "SetHarvestStatus", q.SetHarvestStatus(ctx, f.pf, idB2, HarvestDismissed, "not now"))
	res, err = q.RecordHarvestScan(ctx, f.user, f.pf, date("2008-11-25"), nil, []Harvest{a, b})
	must(t, "RecordHarvestScan 4", err)
	if res.Found[1].Status != HarvestDismissed || res.Found[1].ID != idB2 || res.Created[1] || len(res.Expired) != 0 {
		t.Fatalf("dismissed: %+v", res)
	}
	all, err := q.Harvests(ctx, f.pf)
	must(t, "Harvests all", err)
	if len(all) != 3 {
		t.Errorf("rows = %d, want 3 (a, b expired, b dismissed): %+v", len(all), all)
	}
	for _, h := range all {
		if h.ID == idB2 && h.Note != "not now" {
			t.Errorf("note = %q", h.Note)
		}
	}

	// A scan limited to the IRA leaves the taxable account's rows alone.
	res, err = q.RecordHarvestScan(ctx, f.user, f.pf, date("2008-11-26"), []string{f.ira.ID}, nil)
	must(t, "RecordHarvestScan IRA only", err)
	if len(res.Expired) != 0 {
		t.Errorf("an IRA-only scan expired %+v", res.Expired)
	}
	// An unscoped empty scan expires a.
	res, err = q.RecordHarvestScan(ctx, f.user, f.pf, date("2008-11-26"), nil, nil)
	must(t, "RecordHarvestScan empty", err)
	if len(res.Expired) != 1 || res.Expired[0].ID != idA {
		t.Errorf("empty scan expired %+v, want a", res.Expired)
	}

	// Another portfolio sees none of it.
	g := newFixture(t, s, "other")
	got, err = q.Harvests(ctx, g.pf)
	must(t, "Harvests other", err)
	if len(got) != 0 {
		t.Errorf("another portfolio sees %d harvests", len(got))
	}
	wantErr(t, "status of another portfolio's harvest", q.SetHarvestStatus(ctx, g.pf, idA, HarvestExecuted, ""), ErrNotFound)
}

func testHarvestRejected(t *testing.T, s *Store) {
	ctx := t.Context()
	f := newFixture(t, s, "harvest-bad")
	g := newFixture(t, s, "harvest-other")
	q := s.Queries
	// An account of another user is refused by the composite foreign key.
	_, err := q.RecordHarvestScan(ctx, f.user, f.pf, date("2008-11-20"), nil, []Harvest{harvestFixture(g.taxable.ID, "x", "MSFT", "1")})
	wantErr(t, "foreign account", err, ErrConstraint)
	// Values beyond the column scale are refused, not rounded.
	h := harvestFixture(f.taxable.ID, "x", "MSFT", "1")
	h.Quantity = d("0.000000001")
	_, err = q.RecordHarvestScan(ctx, f.user, f.pf, date("2008-11-20"), nil, []Harvest{h})
	wantErr(t, "sub-scale quantity", err, ErrPrecision)
	// Nothing was written by the failed scans.
	got, err := q.Harvests(ctx, f.pf)
	must(t, "Harvests", err)
	if len(got) != 0 {
		t.Errorf("failed scans left %d rows", len(got))
	}
	res, err := q.RecordHarvestScan(ctx, f.user, f.pf, date("2008-11-20"), nil, []Harvest{harvestFixture(f.taxable.ID, "x", "MSFT", "1")})
	must(t, "RecordHarvestScan", err)
	wantErr(t, "unknown status", q.SetHarvestStatus(ctx, f.pf, res.Found[0].ID, "open", ""), ErrConstraint)
	wantErr(t, "unknown id", q.SetHarvestStatus(ctx, f.pf, "nope", HarvestDismissed, ""), ErrNotFound)
}
