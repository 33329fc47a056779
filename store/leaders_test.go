package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// leadersUntil is the end of the recurring window in these tests.
var leadersUntil = time.Date(2026, 6, 1, 0, 0, 0, 0, worktime.Location)

const (
	grid1 = "110101001001001" // 和平里第一网格, community c1, street s1
	grid2 = "110101001001002"
	grid3 = "110101002001001" // 光明第一网格, community c3, street s2
)

// problem is a case of category in a grid ("" = none: the community's),
// filed daysAgo days before leadersUntil.
func problem(id, path, grid, category string, daysAgo int) whistle.Case {
	c := kase(id, path, leadersUntil.AddDate(0, 0, -daysAgo), whistle.CaseOpen, whistle.LevelCommunity)
	c.Category, c.Location.GridID, c.Seq = category, grid, 1
	c.Number = fmt.Sprintf("20260501-%05d", len(id)*1000+int(id[len(id)-1]))
	return c
}

func projectAll(t *testing.T, s *store.Store, cases []whistle.Case) {
	t.Helper()
	for _, c := range cases {
		if err := s.ApplyCase(context.Background(), c, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRecurring: the same category in the same grid (or the community,
// without a grid) 3 times in the 4 weeks is flagged; twice is not; three
// times spread over 5 weeks is not; another category, another grid or a
// merged duplicate does not make up the count.
func TestRecurring(t *testing.T) {
	tests := []struct {
		name    string
		cases   []whistle.Case
		flagged []string // "category@place:count"
	}{
		{"ThreeInFourWeeks", []whistle.Case{
			problem("a1", pathC1, grid1, "占道经营", 1), problem("a2", pathC1, grid1, "占道经营", 10), problem("a3", pathC1, grid1, "占道经营", 27),
		}, []string{"占道经营@" + grid1 + ":3"}},
		{"TwoIsNot", []whistle.Case{
			problem("b1", pathC1, grid1, "占道经营", 1), problem("b2", pathC1, grid1, "占道经营", 10),
		}, nil},
		{"SpreadOverFiveWeeksIsNot", []whistle.Case{
			problem("c1", pathC1, grid1, "占道经营", 1), problem("c2", pathC1, grid1, "占道经营", 15), problem("c3", pathC1, grid1, "占道经营", 33),
		}, nil},
		{"OtherCategoryOrGridDoesNotCount", []whistle.Case{
			problem("d1", pathC1, grid1, "占道经营", 1), problem("d2", pathC1, grid1, "占道经营", 2),
			problem("d3", pathC1, grid1, "噪音扰民", 3), problem("d4", pathC1, grid2, "占道经营", 4),
		}, nil},
		{"MergedDuplicateDoesNotCount", func() []whistle.Case {
			m := problem("e3", pathC1, grid1, "占道经营", 3)
			m.Status, m.Outcome, m.MergedInto = whistle.CaseClosed, whistle.OutcomeMerged, "e1"
			return []whistle.Case{problem("e1", pathC1, grid1, "占道经营", 1), problem("e2", pathC1, grid1, "占道经营", 2), m}
		}(), nil},
		{"CommunityWithoutGrid", []whistle.Case{
			problem("f1", pathC3, "", "垃圾堆放", 1), problem("f2", pathC3, "", "垃圾堆放", 5), problem("f3", pathC3, "", "垃圾堆放", 20),
			problem("f4", pathC1, grid1, "占道经营", 2), problem("f5", pathC1, grid1, "占道经营", 3), problem("f6", pathC1, grid1, "占道经营", 4),
		}, []string{"占道经营@" + grid1 + ":3", "垃圾堆放@110101002001:3"}}, // streets in id order
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
				storetest.MustSeedDemo(t, s)
				projectAll(t, s, tc.cases)
				rep, err := s.Recurring(context.Background(), store.RecurringQuery{Path: pathD1, Until: leadersUntil})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, st := range rep.Streets {
					for _, p := range st.Problems {
						got = append(got, fmt.Sprintf("%s@%s:%d", p.Category, p.GridID+p.CommunityID, p.Count))
						if len(p.Cases) != p.Count || p.PlaceName == "" || st.StreetName == "" {
							t.Errorf("problem %+v of street %q: want its %d cases and names", p, st.StreetName, p.Count)
						}
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.flagged) {
					t.Fatalf("flagged %v, want %v", got, tc.flagged)
				}
				// The same cases do not recur in a street outside the read.
				other, err := s.Recurring(context.Background(), store.RecurringQuery{Path: "/110000/110102/", Until: leadersUntil})
				if err != nil || len(other.Streets) != 0 {
					t.Fatalf("district 2 sees %+v, %v; want nothing", other.Streets, err)
				}
			})
		})
	}
}

// TestRecurringParameters: n and weeks move the rule; RecurringGroup
// reads one place's group as the coordinated filing checks it.
func TestRecurringParameters(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		projectAll(t, s, []whistle.Case{
			problem("p1", pathC1, grid1, "占道经营", 1), problem("p2", pathC1, grid1, "占道经营", 15), problem("p3", pathC1, grid1, "占道经营", 33),
		})
		for _, tc := range []struct{ n, weeks, streets int }{{3, 4, 0}, {3, 5, 1}, {2, 4, 1}, {4, 5, 0}} {
			rep, err := s.Recurring(ctx, store.RecurringQuery{Path: pathS1, N: tc.n, Weeks: tc.weeks, Until: leadersUntil})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Streets) != tc.streets {
				t.Errorf("n=%d weeks=%d: %d streets, want %d", tc.n, tc.weeks, len(rep.Streets), tc.streets)
			}
		}
		g, street, err := s.RecurringGroup(ctx, "占道经营", grid1, "", 5, leadersUntil)
		if err != nil || g.Count != 3 || street != "110101001" || g.Cases[0].ID != "p1" {
			t.Fatalf("group %+v street %q err %v: want p1..p3 of street 110101001", g, street, err)
		}
		if g, _, _ := s.RecurringGroup(ctx, "占道经营", grid2, "", 5, leadersUntil); g.Count != 0 {
			t.Fatalf("grid 2's group has %d cases, want none", g.Count)
		}
	})
}

// TestCategoryStats: every case counts once by category and once by
// source, in its China-time month; the lists sum to the cases filed in
// the period and subtree; the top categories rank a street's and a grid's.
func TestCategoryStats(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		cases := []whistle.Case{
			problem("s1", pathC1, grid1, "占道经营", 1), problem("s2", pathC1, grid1, "占道经营", 2), problem("s3", pathC1, grid2, "噪音扰民", 3),
			problem("s4", pathC3, grid3, "噪音扰民", 4), problem("s5", pathC3, "", "", 5),
			problem("s6", pathC4, "", "占道经营", 6), // district 2
		}
		cases[2].Source = whistle.SourceHotline
		// 1 June 00:30 China time is June there, May in UTC.
		late := problem("s7", pathC1, grid1, "占道经营", 0)
		late.CreatedAt = leadersUntil.Add(30 * time.Minute)
		cases = append(cases, late)
		projectAll(t, s, cases)
		q := store.StatsQuery{Path: pathD1, From: leadersUntil.AddDate(0, -1, 0), To: leadersUntil.AddDate(0, 1, 0)}
		st, err := s.CategoryStats(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var cats, srcs int64
		byKey := map[string]int64{}
		for _, c := range st.Categories {
			cats += c.Count
			byKey[c.Month+" "+c.Key] += c.Count
		}
		for _, c := range st.Sources {
			srcs += c.Count
			byKey["source "+c.Month+" "+c.Key] += c.Count
		}
		_, total, err := s.ListCases(ctx, store.CaseFilter{Scope: store.Scope{PathPrefix: pathD1}, From: &q.From, To: &q.To})
		if err != nil {
			t.Fatal(err)
		}
		if st.Total != 6 || cats != total || srcs != total {
			t.Fatalf("total %d, categories sum %d, sources sum %d; want the %d cases of district 1", st.Total, cats, srcs, total)
		}
		want := map[string]int64{"2026-05 占道经营": 2, "2026-05 噪音扰民": 2, "2026-05 ": 1, "2026-06 占道经营": 1,
			"source 2026-05 grid": 4, "source 2026-05 hotline": 1, "source 2026-06 grid": 1}
		for k, n := range want {
			if byKey[k] != n {
				t.Errorf("%s: %d, want %d (all: %v)", k, byKey[k], n, byKey)
			}
		}
		if fmt.Sprint(st.Months) != "[2026-05 2026-06]" {
			t.Errorf("months %v", st.Months)
		}

		top, err := s.TopCategories(ctx, store.TopQuery{StatsQuery: q, By: store.TopByStreet, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(top.Items) != 2 || top.Items[0].ID != "110101001" || top.Items[0].Total != 4 ||
			len(top.Items[0].Categories) != 1 || top.Items[0].Categories[0] != (store.CategoryCount{Category: "占道经营", Count: 3}) {
			t.Fatalf("top by street: %+v", top.Items)
		}
		grids, err := s.TopCategories(ctx, store.TopQuery{StatsQuery: q, By: store.TopByGrid, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(grids.Items) != 3 || grids.Items[0].ID != grid1 || grids.Items[0].Total != 3 || grids.Items[0].StreetID != "110101001" || grids.Items[0].Name == "" {
			t.Fatalf("top by grid: %+v", grids.Items)
		}
	})
}

// TestLedgerNewestFirst: the ledger gives every matching case once, newest
// first, id descending among cases filed at the same instant, with its
// unit's name and its departments.
func TestLedgerNewestFirst(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		var cases []whistle.Case
		for i := range 7 {
			c := problem(fmt.Sprintf("L%d", i), pathC1, grid1, "占道经营", i/2) // pairs share a day
			c.CreatedAt = leadersUntil.AddDate(0, 0, -(i / 2))
			c.Tasks = []whistle.Task{task(c.ID, 1, "s1-police", c.CreatedAt)}
			cases = append(cases, c)
		}
		cases = append(cases, problem("X", pathC4, "", "占道经营", 1)) // outside the scope
		projectAll(t, s, cases)
		var got []string
		err := s.EachLedgerRow(ctx, store.CaseFilter{Scope: store.Scope{PathPrefix: pathS1}}, func(r store.LedgerRow) error {
			got = append(got, r.ID)
			if r.UnitName == "" || r.Departments != "s1-police" {
				t.Errorf("row %s: unit %q departments %q", r.ID, r.UnitName, r.Departments)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := "[L1 L0 L3 L2 L5 L4 L6]" // newest first, id descending within an instant
		if fmt.Sprint(got) != want {
			t.Fatalf("ledger %v, want %s", got, want)
		}
	})
}

// TestLeadersRulesMigration: a policy table seeded before issue 17 gets
// the street secretaries' supervision row and the bureaus' stationed-unit
// row once, however often the migration runs; an empty table is left to
// the defaults.
func TestLeadersRulesMigration(t *testing.T) {
	const id = "202612021703_leaders"
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		count := func() int64 {
			var n int64
			if err := s.DB.Raw("SELECT COUNT(*) FROM policy_rules WHERE v0 = 'street_secretary' AND v1 = 'supervision:read'").Scan(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(); n != 0 {
			t.Fatalf("an empty table got %d rows: the defaults seed it", n)
		}
		if err := s.DB.Exec("INSERT INTO policy_rules (p_type, v0, v1, v2, v3, v4, v5) VALUES ('p', 'admin', 'admin:manage', 'anywhere', 'admin:anywhere', '', '')").Error; err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := s.DB.Exec("DELETE FROM schema_migrations WHERE id = ?", id).Error; err != nil {
				t.Fatal(err)
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 1 {
				t.Fatalf("%d street secretary supervision rows, want 1", n)
			}
			var clerk int64
			if err := s.DB.Raw("SELECT COUNT(*) FROM policy_rules WHERE v0 = 'clerk' AND v1 = 'task:read' AND v2 = 'stationed_unit'").Scan(&clerk).Error; err != nil || clerk != 1 {
				t.Fatalf("%d bureau rows (%v), want 1", clerk, err)
			}
		}
	})
}
