package store

import (
	"testing"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

func rec(key string, conf float64) Recommendation {
	return Recommendation{Kind: "drift", Action: "sell", Symbol: key, Confidence: conf, Rationale: "r " + key, Key: "drift:" + key}
}

func keys(rs []Recommendation) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Key)
	}
	return out
}

func TestPlanRecs(t *testing.T) {
	d1, d2 := date("2008-11-20"), date("2008-11-21")
	t.Run("first_refresh_inserts_and_dedups", func(t *testing.T) {
		p := PlanRecs(nil, []Recommendation{rec("A", 0.4), rec("B", 0.5), rec("A", 0.6)}, d1, 30)
		if len(p.Insert) != 2 || len(p.Found) != 2 || !p.Created[0] || !p.Created[1] {
			t.Fatalf("plan = %+v, want 2 inserts", p)
		}
		if p.Insert[0].Confidence != 0.6 {
			t.Errorf("duplicate key kept confidence %v, want the higher 0.6", p.Insert[0].Confidence)
		}
		r := p.Insert[0]
		if r.Status != RecNew || !r.Active || r.DetectedOn != d1 || r.LastSeenOn != d1 || r.ExpiresOn == nil || *r.ExpiresOn != d1.AddDays(30) {
			t.Errorf("inserted = %+v", r)
		}
	})
	old := func(key string, st RecStatus, seen portfolio.Date) Recommendation {
		r := rec(key, 0.3)
		r.ID, r.Status, r.Active, r.DetectedOn, r.LastSeenOn, r.Note = "id-"+key, st, true, d1, seen, "n"
		return r
	}
	t.Run("refound_updates_missing_expires", func(t *testing.T) {
		active := []Recommendation{old("A", RecNew, d1), old("B", RecNew, d1), old("C", RecDismissed, d1), old("D", RecAccepted, d1)}
		p := PlanRecs(active, []Recommendation{rec("A", 0.8), rec("C", 0.9), rec("E", 0.2)}, d2, 30)
		if got := keys(p.Update); len(got) != 1 || got[0] != "drift:A" {
			t.Errorf("update = %v", got)
		}
		if u := p.Update[0]; u.ID != "id-A" || u.Confidence != 0.8 || u.DetectedOn != d1 || u.LastSeenOn != d2 || *u.ExpiresOn != d2.AddDays(30) {
			t.Errorf("updated row = %+v", u)
		}
		if got := keys(p.Keep); len(got) != 1 || got[0] != "drift:C" || p.Keep[0].Status != RecDismissed || p.Keep[0].Confidence != 0.3 {
			t.Errorf("keep = %+v: the dismissed row stands with its figures", p.Keep)
		}
		if got := keys(p.Insert); len(got) != 1 || got[0] != "drift:E" {
			t.Errorf("insert = %v", got)
		}
		if len(p.Expire) != 1 || p.Expire[0].Key != "drift:B" || p.Expire[0].Status != RecExpired || p.Expire[0].Active {
			t.Errorf("expire = %+v", p.Expire)
		}
		if len(p.Close) != 1 || p.Close[0].Key != "drift:D" || p.Close[0].Status != RecAccepted || p.Close[0].Active {
			t.Errorf("close = %+v", p.Close)
		}
	})
	t.Run("earlier_refresh_keeps_later_figures", func(t *testing.T) {
		active := []Recommendation{old("A", RecNew, d2), old("B", RecNew, d2)}
		p := PlanRecs(active, []Recommendation{rec("A", 0.9)}, d1, 0)
		if len(p.Update) != 1 || p.Update[0].Confidence != 0.3 || p.Update[0].LastSeenOn != d2 || p.Update[0].ExpiresOn != nil {
			t.Errorf("update = %+v", p.Update)
		}
		if len(p.Expire) != 0 {
			t.Errorf("an earlier refresh expired %v", keys(p.Expire))
		}
	})
}

// TestRecsContract runs the ai_recommendations and educational_videos
// contract on every engine.
func TestRecsContract(t *testing.T) {
	for _, leg := range legs {
		t.Run(leg.name, func(t *testing.T) {
			t.Parallel()
			t.Run("lifecycle", func(t *testing.T) { t.Parallel(); testRecsLifecycle(t, leg.open(t)) })
			t.Run("videos", func(t *testing.T) { t.Parallel(); testVideos(t, leg.open(t)) })
		})
	}
}

func testRecsLifecycle(t *testing.T, s *Store) {
	ctx := t.Context()
	f := newFixture(t, s, "recs")
	q := s.Queries
	vs, err := q.SeedVideos(ctx, []Video{{Slug: "v", Title: "V", URL: "https://example.org/v", Topic: "rebalancing"}})
	must(t, "SeedVideos", err)
	a := rec("A", 0.123456)
	a.VideoID, a.Details, a.AccountID = vs[0].ID, `{"x":1}`, f.taxable.ID
	b := rec("B", 1)
	d1, d2, d3 := date("2008-11-20"), date("2008-11-21"), date("2009-01-31")

	p, err := q.RecordRecs(ctx, f.user, f.pf, d1, []Recommendation{a, b}, 30)
	must(t, "RecordRecs 1", err)
	if len(p.Found) != 2 || p.Found[0].ID == "" || p.Found[0].ID == p.Found[1].ID {
		t.Fatalf("first refresh: %+v", p.Found)
	}
	idA, idB := p.Found[0].ID, p.Found[1].ID
	got, err := q.Recommendations(ctx, f.pf, RecNew)
	must(t, "Recommendations", err)
	if len(got) != 2 || got[0].ID != idB || got[1].ID != idA {
		t.Fatalf("listed %+v, want B then A (most confident first)", got)
	}
	g := got[1]
	if g.Confidence != 0.123456 || g.VideoID != vs[0].ID || g.Details != `{"x":1}` || g.AccountID != f.taxable.ID ||
		g.Rationale != "r A" || g.Kind != "drift" || g.Action != "sell" || g.Symbol != "A" || !g.Active ||
		g.DetectedOn != d1 || g.LastSeenOn != d1 || g.ExpiresOn == nil || *g.ExpiresOn != d1.AddDays(30) ||
		g.CreatedAt.IsZero() || g.CreatedAt.Location().String() != "UTC" {
		t.Errorf("stored A = %+v", g)
	}

	// Refresh again: A found (updated in place), B not (expired).
	a.Confidence = 0.5
	p, err = q.RecordRecs(ctx, f.user, f.pf, d2, []Recommendation{a}, 30)
	must(t, "RecordRecs 2", err)
	if len(p.Update) != 1 || p.Found[0].ID != idA || len(p.Expire) != 1 || p.Expire[0].ID != idB {
		t.Fatalf("second refresh: %+v", p)
	}
	all, err := q.Recommendations(ctx, f.pf)
	must(t, "Recommendations all", err)
	if len(all) != 2 {
		t.Fatalf("rows after the second refresh: %d, want 2 (no duplicate)", len(all))
	}
	r, err := q.Recommendation(ctx, f.pf, idA)
	must(t, "Recommendation", err)
	if r.Confidence != 0.5 || r.LastSeenOn != d2 || r.DetectedOn != d1 {
		t.Errorf("A after update = %+v", r)
	}
	r, err = q.Recommendation(ctx, f.pf, idB)
	must(t, "Recommendation B", err)
	if r.Status != RecExpired || r.Active {
		t.Errorf("B = %+v, want expired and inactive", r)
	}

	// Dismiss A: a refresh that finds it again keeps it dismissed.
	_, err = q.SetRecStatus(ctx, f.pf, idA, []RecStatus{RecNew}, RecDismissed, "not for me")
	must(t, "SetRecStatus", err)
	_, err = q.SetRecStatus(ctx, f.pf, idA, []RecStatus{RecNew}, RecAccepted, "")
	wantErr(t, "accept a dismissed one", err, ErrConflict)
	_, err = q.SetRecStatus(ctx, f.pf, "nope", []RecStatus{RecNew}, RecAccepted, "")
	wantErr(t, "unknown id", err, ErrNotFound)
	p, err = q.RecordRecs(ctx, f.user, f.pf, d2, []Recommendation{a, b}, 30)
	must(t, "RecordRecs 3", err)
	if len(p.Keep) != 1 || p.Keep[0].ID != idA || len(p.Insert) != 1 || p.Insert[0].Key != b.Key {
		t.Fatalf("third refresh: %+v", p)
	}
	r, err = q.Recommendation(ctx, f.pf, idA)
	must(t, "Recommendation A", err)
	if r.Status != RecDismissed || r.Note != "not for me" {
		t.Errorf("A = %+v, want dismissed with its reason", r)
	}

	// TTL: the new B expires once its TTL has passed.
	exp, err := q.ExpireRecs(ctx, f.pf, d2)
	must(t, "ExpireRecs early", err)
	if len(exp) != 0 {
		t.Errorf("expired before the TTL: %+v", exp)
	}
	exp, err = q.ExpireRecs(ctx, f.pf, d3)
	must(t, "ExpireRecs", err)
	if len(exp) != 1 || exp[0].Key != b.Key || exp[0].Status != RecExpired {
		t.Fatalf("ExpireRecs = %+v", exp)
	}
	cur, err := q.Recommendations(ctx, f.pf, RecNew)
	must(t, "Recommendations new", err)
	if len(cur) != 0 {
		t.Errorf("current after the TTL: %+v", cur)
	}
	// A refresh that no longer finds A closes it; finding it later raises it anew.
	_, err = q.RecordRecs(ctx, f.user, f.pf, d3, nil, 30)
	must(t, "RecordRecs 4", err)
	p, err = q.RecordRecs(ctx, f.user, f.pf, d3.AddDays(1), []Recommendation{a}, 30)
	must(t, "RecordRecs 5", err)
	if len(p.Insert) != 1 || p.Insert[0].ID == idA {
		t.Errorf("A found again after it lapsed: %+v, want a new row", p)
	}

	// Out-of-range confidence is refused.
	_, err = q.RecordRecs(ctx, f.user, f.pf, d3, []Recommendation{rec("Z", 1.5)}, 30)
	wantErr(t, "confidence 1.5", err, ErrConstraint)
}

func testVideos(t *testing.T, s *Store) {
	ctx := t.Context()
	q := s.Queries
	in := []Video{
		{Slug: "a", Title: "A", URL: "https://example.org/a", Topic: "risk", Description: "d"},
		{Slug: "b", Title: "B", URL: "https://example.org/b", Topic: "rebalancing", DurationSeconds: 60},
	}
	first, err := q.SeedVideos(ctx, in)
	must(t, "SeedVideos", err)
	in[0].Title = "A2"
	again, err := q.SeedVideos(ctx, in)
	must(t, "SeedVideos again", err)
	if again[0].ID != first[0].ID || again[0].Title != "A2" {
		t.Errorf("reseed = %+v, want the same id with the new title", again[0])
	}
	all, err := q.Videos(ctx, "")
	must(t, "Videos", err)
	if len(all) != 2 || all[0].Slug != "b" || all[1].Title != "A2" || all[0].DurationSeconds != 60 {
		t.Errorf("Videos = %+v", all)
	}
	risk, err := q.Videos(ctx, "RISK")
	must(t, "Videos risk", err)
	if len(risk) != 1 || risk[0].Slug != "a" {
		t.Errorf("Videos(risk) = %+v", risk)
	}
	_, err = q.SeedVideos(ctx, []Video{{Slug: "", URL: "x"}})
	wantErr(t, "no slug", err, ErrConstraint)
}
