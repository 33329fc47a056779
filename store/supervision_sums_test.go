package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// TestSupervisionSumsAgreeAcrossDatabases: PostgreSQL reads the roll-up's
// sums through pgx as binary BIGINTs, SQLite through database/sql as
// packed text; the same cases give the same reports, row for row, with
// the same names and org levels, live and published.
func TestSupervisionSumsAgreeAcrossDatabases(t *testing.T) {
	ctx := context.Background()
	pg := storetest.MustOpenPostgres(t)
	lite := storetest.MustOpenSQLite(t)
	for _, s := range []*store.Store{lite, pg} {
		storetest.MustSeedDemo(t, s)
		mustProject(t, s, fixtureCases()...)
		if _, ok, err := s.PublishMonth(ctx, 202603, time.Now()); err != nil || !ok {
			t.Fatalf("publish March: %v %v", ok, err)
		}
	}
	same := func(t *testing.T, what string, read func(s *store.Store) (any, error)) {
		t.Helper()
		var out [2]string
		for i, s := range []*store.Store{lite, pg} {
			v, err := read(s)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = string(b)
		}
		if out[0] != out[1] {
			t.Errorf("%s:\n  sqlite   %s\n  postgres %s", what, out[0], out[1])
		}
	}
	periods := map[string]store.Period{
		"march":         store.MonthPeriod(202603),
		"2026":          store.YearPeriod(2026),
		"runs and days": {From: at(2, 15, 0, 0), To: at(4, 10, 0, 0)},
		"nothing filed": {From: at(6, 1, 0, 0), To: at(6, 9, 0, 0)},
	}
	scopes := map[string]store.RollupScope{"city": {}, "district 1": {DistrictID: "110101"}, "street 1": {AreaID: "110101001"}}
	for pn, p := range periods {
		for sn, sc := range scopes {
			for _, g := range []string{store.GroupDepartment, store.GroupStreet, store.GroupDistrict} {
				same(t, pn+", "+sn+", by "+g, func(s *store.Store) (any, error) {
					return s.SupervisionRates(ctx, store.RatesQuery{Scope: sc, Period: p, Group: g})
				})
			}
		}
	}
	for sn, sc := range scopes {
		same(t, "published March, "+sn, func(s *store.Store) (any, error) {
			rep, err := s.SupervisionRates(ctx, store.RatesQuery{Scope: sc, Month: 202603, Group: store.GroupDepartment})
			rep.PublishedAt = nil // the moment each database was published
			return rep, err
		})
		same(t, "assessment 2026, "+sn, func(s *store.Store) (any, error) {
			return s.Assessment(ctx, store.AssessmentQuery{Scope: sc, Year: 2026})
		})
		same(t, "assessment as of March, "+sn, func(s *store.Store) (any, error) {
			rep, err := s.Assessment(ctx, store.AssessmentQuery{Scope: sc, Year: 2026, AsOfMonth: 202603})
			rep.PublishedAt = nil
			return rep, err
		})
	}

	// A department's kind is the level of the unit it sits on.
	rep, err := pg.SupervisionRates(ctx, store.RatesQuery{Period: store.MonthPeriod(202603), Group: store.GroupDepartment})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, r := range rep.Items {
		kinds[r.ID] = r.Kind
	}
	for id, want := range map[string]whistle.Level{"s1-police": whistle.LevelStreet, "d1-police": whistle.LevelDistrict, "s3-citymgmt": whistle.LevelStreet} {
		if kinds[id] != string(want) {
			t.Errorf("%s is of kind %q, want %q", id, kinds[id], want)
		}
	}
}
