package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// TestRecurringRollupMatchesCases: over generated cases — grids and
// grid-less filings at community, street and district level, merged and
// rejected ones, cases re-filed under another category, stale writes —
// the recurring view read through the roll-up equals the view read from
// the cases alone, for windows on and off week boundaries, and the
// roll-up the projection kept equals the one the backfill sums.
func TestRecurringRollupMatchesCases(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		rng := rand.New(rand.NewPCG(17, 19))
		type where struct{ path, grid string }
		places := []where{{pathC1, grid1}, {pathC1, grid2}, {pathC1, ""}, {pathC3, grid3}, {pathC3, ""},
			{pathS1, grid1}, {pathS1, ""}, {pathD1, ""}, {pathC4, ""}}
		cats := []string{"占道经营", "噪音扰民", "垃圾堆放"}
		var cases []whistle.Case
		for i := 0; i < 240; i++ {
			p := places[rng.IntN(len(places))]
			c := problem(fmt.Sprintf("R%03d", i), p.path, p.grid, cats[rng.IntN(len(cats))], rng.IntN(70))
			c.CreatedAt = c.CreatedAt.Add(time.Duration(rng.IntN(24*60)) * time.Minute)
			c.Number = fmt.Sprintf("20260301-%05d", i+1)
			switch r := rng.Float64(); {
			case r < 0.05:
				c.Status, c.Outcome = whistle.CaseClosed, whistle.OutcomeMerged
			case r < 0.08:
				c.Status, c.Outcome = whistle.CaseClosed, whistle.OutcomeRejected
			case r < 0.10:
				c.Category = ""
			}
			cases = append(cases, c)
		}
		projectAll(t, s, cases)
		// Later versions: re-categorized, merged, or a stale write.
		for i := 0; i < 60; i++ {
			c := cases[rng.IntN(len(cases))]
			switch rng.IntN(3) {
			case 0:
				c.Seq, c.Category = c.Seq+1, cats[rng.IntN(len(cats))]
			case 1:
				c.Seq, c.Status, c.Outcome = c.Seq+1, whistle.CaseClosed, whistle.OutcomeMerged
			default:
				c.Seq, c.Category = c.Seq-1, "陈旧写入" // older than stored: changes nothing
			}
			if err := s.ApplyCase(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
			if c.Seq > 0 && c.Category != "陈旧写入" {
				for j := range cases {
					if cases[j].ID == c.ID {
						cases[j] = c
					}
				}
			}
		}
		for _, path := range []string{"", pathD1, pathS1, "/110000/110101/110101002/", pathC1, "/110000/110102/"} {
			for _, until := range []time.Time{leadersUntil, leadersUntil.Add(-37 * time.Hour), leadersUntil.AddDate(0, 0, -20).Add(5 * time.Hour)} {
				for _, nw := range [][2]int{{3, 4}, {2, 1}, {4, 8}} {
					q := store.RecurringQuery{Path: path, N: nw[0], Weeks: nw[1], Until: until}
					fast, err := s.Recurring(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					slow, err := s.RecurringScan(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					if a, b := fmt.Sprintf("%+v", fast), fmt.Sprintf("%+v", slow); a != b {
						t.Fatalf("%q until %s n=%d weeks=%d:\nroll-up %s\n  cases %s", path, until, nw[0], nw[1], a, b)
					}
				}
			}
		}
		// A district with problems at all, or the comparison proves little.
		rep, _ := s.Recurring(ctx, store.RecurringQuery{Path: pathD1, Until: leadersUntil})
		if len(rep.Streets) == 0 {
			t.Fatal("no recurring problem in district 1: the generated cases exercise nothing")
		}
		kept, err := s.RecurringCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.BackfillRecurringNow(ctx); err != nil {
			t.Fatal(err)
		}
		summed, err := s.RecurringCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		nonzero := func(rows []store.RecurringCount) (out []store.RecurringCount) {
			for _, r := range rows {
				if r.Cases != 0 {
					out = append(out, r)
				}
			}
			return out
		}
		if a, b := fmt.Sprint(nonzero(kept)), fmt.Sprint(nonzero(summed)); a != b {
			t.Fatalf("roll-up kept by the projection:\n%s\nsummed by the backfill:\n%s", a, b)
		}
	})
}

// TestBucketCoverPartitions: the buckets a custom range reads cover each of
// its days exactly once, for ranges of up to 120 days starting in
// 2025–2026; a month's first or last days take at most five buckets, and
// the 56-day shape of the benchmark five bucket sets.
func TestBucketCoverPartitions(t *testing.T) {
	loc := worktime.Location
	day := func(t time.Time) int { return t.Year()*10000 + int(t.Month())*100 + t.Day() }
	// expand lists the days of the buckets of kind with a start in [lo, hi).
	expand := func(kind string, lo, hi int) []int {
		var out []int
		for d := time.Date(lo/10000, time.Month(lo/100%100), lo%100, 12, 0, 0, 0, loc); day(d) < hi; d = d.AddDate(0, 0, 1) {
			var end time.Time
			first := time.Date(d.Year(), d.Month(), 1, 12, 0, 0, 0, loc)
			switch kind {
			case "d", "D":
				end = d.AddDate(0, 0, 1)
			case "w", "W":
				if d.Weekday() != time.Monday {
					continue
				}
				end = d.AddDate(0, 0, 7)
			case "m", "M":
				if d.Day() != 1 {
					continue
				}
				end = d.AddDate(0, 1, 0)
			case "y", "Y":
				if d.Day() != 1 || d.Month() != time.January {
					continue
				}
				end = d.AddDate(1, 0, 0)
			default:
				n := map[string]int{"b": 2, "c": 4, "e": 8, "f": 16}[kind]
				if n == 0 {
					t.Fatalf("bucket kind %q", kind)
				}
				if (d.Day()-1)%n != 0 {
					continue // no run of n days starts here
				}
				end = d.AddDate(0, 0, n)
				if next := first.AddDate(0, 1, 0); end.After(next) {
					end = next
				}
			}
			for x := d; x.Before(end); x = x.AddDate(0, 0, 1) {
				out = append(out, day(x))
			}
		}
		return out
	}
	for from := time.Date(2025, 1, 1, 0, 0, 0, 0, loc); from.Year() < 2027; from = from.AddDate(0, 0, 3) {
		for n := 1; n <= 120; n += 1 + n/10 {
			to := from.AddDate(0, 0, n)
			for _, fine := range []bool{false, true} {
				seen := map[int]int{}
				for _, c := range store.BucketCover(from, to, fine) {
					kind := c[0].(string)
					if !fine && kind != "d" && kind != "m" && kind != "y" {
						t.Fatalf("%s+%d: bucket kind %s without fine buckets", from.Format("2006-01-02"), n, kind)
					}
					for _, d := range expand(kind, c[1].(int), c[2].(int)) {
						seen[d]++
					}
				}
				for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
					if seen[day(d)] != 1 {
						t.Fatalf("%s+%d fine=%v: day %d covered %d times: %v", from.Format("2006-01-02"), n, fine, day(d), seen[day(d)], store.BucketCover(from, to, fine))
					}
					delete(seen, day(d))
				}
				if len(seen) > 0 {
					t.Fatalf("%s+%d fine=%v: days outside the range read: %v", from.Format("2006-01-02"), n, fine, seen)
				}
			}
		}
	}
	for m := 1; m <= 12; m++ {
		first := time.Date(2026, time.Month(m), 1, 0, 0, 0, 0, loc)
		for d := first.AddDate(0, 0, 1); d.Month() == first.Month(); d = d.AddDate(0, 0, 1) {
			for _, p := range [][2]time.Time{{first, d}, {d, first.AddDate(0, 1, 0)}} {
				if c := store.BucketCover(p[0], p[1], true); len(c) > 5 {
					t.Errorf("%s–%s: %d bucket sets, want at most 5: %v", p[0].Format("01-02"), p[1].Format("01-02"), len(c), c)
				}
			}
		}
	}
	odd := store.BucketCover(time.Date(2026, 8, 15, 0, 0, 0, 0, loc), time.Date(2026, 10, 10, 0, 0, 0, 0, loc), true)
	if len(odd) > 5 {
		t.Errorf("15 Aug–9 Oct 2026 reads %d bucket sets, want at most 5: %v", len(odd), odd)
	}
}

// TestRunBucketsBackfill: the run buckets the migration sums from the day
// buckets equal the ones the refresh keeps case by case.
func TestRunBucketsBackfill(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		mustProject(t, s, fixtureCases()...)
		kept, err := s.RunBuckets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(kept) == 0 {
			t.Fatal("the refresh kept no run buckets")
		}
		if err := s.BackfillRunsNow(ctx); err != nil {
			t.Fatal(err)
		}
		summed, err := s.RunBuckets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		nonzero := func(rows []store.SupervisionRollup) (out []string) {
			for _, r := range rows {
				if r.Counts != (store.Counts{}) {
					out = append(out, fmt.Sprintf("%s %d %s %s %s %+v", r.Kind, r.Start, r.DepartmentID, r.AreaID, r.DistrictID, r.Counts))
				}
			}
			return out
		}
		if a, b := fmt.Sprint(nonzero(kept)), fmt.Sprint(nonzero(summed)); a != b {
			t.Fatalf("kept by the refresh:\n%s\nsummed by the migration:\n%s", a, b)
		}
	})
}

// TestRecurringCasesNewestFirst: whatever order the cases were filed and
// read in, each problem lists its cases newest first (two filed in the
// same instant: the later id first), spans its oldest to its newest case,
// and each street lists its problems with the most cases first, Limit
// cutting the list but not the street's total; through the roll-up and
// from the cases alone.
func TestRecurringCasesNewestFirst(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		projectAll(t, s, []whistle.Case{
			problem("n-c", pathC1, grid1, "占道经营", 9), problem("n-a", pathC1, grid1, "占道经营", 1),
			problem("m-1", pathC1, grid2, "占道经营", 2), problem("n-d", pathC1, grid1, "占道经营", 20),
			problem("m-2", pathC1, grid2, "占道经营", 3), problem("k-x", pathC3, "", "垃圾堆放", 6),
			problem("n-b", pathC1, grid1, "占道经营", 1), problem("m-3", pathC1, grid2, "占道经营", 4),
			problem("k-y", pathC3, "", "垃圾堆放", 7), problem("k-z", pathC3, "", "垃圾堆放", 8),
		})
		day := func(n int) time.Time { return leadersUntil.AddDate(0, 0, -n).UTC() }
		for _, fromCases := range []bool{false, true} {
			for _, limit := range []int{0, 1} {
				rep, err := s.Recurring(ctx, store.RecurringQuery{Path: pathD1, Until: leadersUntil, Limit: limit, FromCases: fromCases})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, st := range rep.Streets {
					got = append(got, fmt.Sprintf("%s(%s) %d:", st.StreetID, st.StreetName, st.Total))
					for _, p := range st.Problems {
						var ids []string
						for _, c := range p.Cases {
							ids = append(ids, c.ID)
						}
						got = append(got, fmt.Sprintf("%s@%s(%s) %d %s..%s %v", p.Category, p.GridID+p.CommunityID, p.PlaceName, p.Count,
							p.First.Format("01-02"), p.Last.Format("01-02"), ids))
					}
				}
				street1 := []string{"110101001(和平街道) 2:",
					fmt.Sprintf("占道经营@%s(和平里第一网格) 4 %s..%s [n-b n-a n-c n-d]", grid1, day(20).Format("01-02"), day(1).Format("01-02"))}
				if limit == 0 {
					street1 = append(street1, fmt.Sprintf("占道经营@%s(和平里第二网格) 3 %s..%s [m-1 m-2 m-3]", grid2, day(4).Format("01-02"), day(2).Format("01-02")))
				}
				want := append(street1, "110101002(光明街道) 1:",
					fmt.Sprintf("垃圾堆放@110101002001(光明社区) 3 %s..%s [k-x k-y k-z]", day(8).Format("01-02"), day(6).Format("01-02")))
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("from cases %v, limit %d:\n got %q\nwant %q", fromCases, limit, got, want)
				}
			}
		}
	})
}
