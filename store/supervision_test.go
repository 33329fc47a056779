package store_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// want is a group's counts as worked out by hand: cases, tasks, then each
// rate as numerator/denominator in the order response, resolution,
// satisfaction, on-time closure, rework, extension.
type want struct {
	cases, tasks int64
	rates        [6][2]int64
}

func (w want) String() string {
	return fmt.Sprintf("cases %d tasks %d rates %v", w.cases, w.tasks, w.rates)
}

func got(r store.RatesRow) want {
	g := want{cases: r.Counts.Cases, tasks: r.Counts.Tasks}
	for i, v := range []store.RateValue{r.Response, r.Resolution, r.Satisfaction, r.OnTimeClosure, r.Rework, r.Extension} {
		g.rates[i] = [2]int64{v.Numerator, v.Denominator}
		if (v.Denominator == 0) != (v.Rate == nil) || (v.Rate != nil && *v.Rate != float64(v.Numerator)/float64(v.Denominator)) {
			g.rates[i] = [2]int64{-1, -1} // a rate that does not match its counts
		}
	}
	return g
}

// March 2026, worked out case by case (see supervision_fixture_test.go):
//
//	task        resp   res   close  verifs  ext   (department rows)
//	A-T1 s1-pol 1/1    1/1   1/1    1 of 2  0/1
//	A-T2 s1-cm  0/1    1/1   1/1    1 of 2  1/1
//	B-T1 s1-pol 1/1    1/1   0/1    0 of 1  0/1   (overdue)
//	B-T2 s1-mkt 1/1    —     —      —       —     (returned in time)
//	B-T3 d1-pol 1/1    1/1   1/1    0 of 1  0/1
//	C-T1 s2-pol 0/1    —     —      —       0/1   (report breach)
//	C-T2 d1-cm  1/1    —     —      —       1/1
//	D-T1 s3-cm  1/1    1/1   —      0 of 1  0/1   (verified, not closed)
//	F-T1 d1-pol 1/1    1/1   1/1    0 of 1  0/1
//
// Evaluations: A s1-pol 5/4/5 satisfied, A s1-cm 3/3/4 basically, B s1-pol
// 2/2/3 dissatisfied, B d1-pol 4/4/4 satisfied, F d1-pol 5/5/5 satisfied.
var marchByDepartment = map[string]want{
	"s1-police":   {2, 2, [6][2]int64{{2, 2}, {2, 2}, {1, 2}, {1, 2}, {1, 3}, {0, 2}}},
	"s1-citymgmt": {1, 1, [6][2]int64{{0, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 2}, {1, 1}}},
	"s1-market":   {0, 1, [6][2]int64{{1, 1}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}}},
	"d1-police":   {2, 2, [6][2]int64{{2, 2}, {2, 2}, {2, 2}, {2, 2}, {0, 2}, {0, 2}}},
	"s2-police":   {1, 1, [6][2]int64{{0, 1}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 1}}},
	"d1-citymgmt": {1, 1, [6][2]int64{{1, 1}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {1, 1}}},
	"s3-citymgmt": {1, 1, [6][2]int64{{1, 1}, {1, 1}, {0, 0}, {0, 0}, {0, 1}, {0, 1}}},
}

// Areas count cases once: resolution, closure and rework per case.
var marchByStreet = map[string]want{
	"110101001": {2, 5, [6][2]int64{{4, 5}, {2, 2}, {3, 4}, {1, 2}, {1, 3}, {1, 4}}}, // A, B
	"110101002": {1, 2, [6][2]int64{{1, 2}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {1, 2}}}, // C
	"110101":    {1, 1, [6][2]int64{{1, 1}, {1, 1}, {1, 1}, {1, 1}, {0, 1}, {0, 1}}}, // F, filed at the district
	"110102001": {1, 1, [6][2]int64{{1, 1}, {1, 1}, {0, 0}, {0, 0}, {0, 1}, {0, 1}}}, // D
}

var marchByDistrict = map[string]want{
	"110101": {4, 8, [6][2]int64{{6, 8}, {3, 3}, {4, 5}, {2, 3}, {1, 4}, {2, 7}}},
	"110102": {1, 1, [6][2]int64{{1, 1}, {1, 1}, {0, 0}, {0, 0}, {0, 1}, {0, 1}}},
}

var marchTotal = want{5, 9, [6][2]int64{{7, 9}, {4, 4}, {4, 5}, {2, 3}, {1, 5}, {2, 8}}}

func only(m map[string]want, ids ...string) map[string]want {
	out := map[string]want{}
	for _, id := range ids {
		out[id] = m[id]
	}
	return out
}

func march() store.Period { return store.MonthPeriod(202603) }

func TestSupervisionRates(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		mustProject(t, s, fixtureCases()...)
		d1 := store.RollupScope{DistrictID: "110101"}
		d2 := store.RollupScope{DistrictID: "110102"}
		s1 := store.RollupScope{AreaID: "110101001"}
		tests := []struct {
			name  string
			scope store.RollupScope
			group string
			want  map[string]want
		}{
			{"CityByDepartment", store.RollupScope{}, store.GroupDepartment, marchByDepartment},
			{"CityByStreet", store.RollupScope{}, store.GroupStreet, marchByStreet},
			{"CityByDistrict", store.RollupScope{}, store.GroupDistrict, marchByDistrict},
			{"District1ByDepartment", d1, store.GroupDepartment, only(marchByDepartment, "s1-police", "s1-citymgmt", "s1-market", "d1-police", "s2-police", "d1-citymgmt")},
			{"District2ByDepartment", d2, store.GroupDepartment, only(marchByDepartment, "s3-citymgmt")},
			{"District1ByStreet", d1, store.GroupStreet, only(marchByStreet, "110101001", "110101002", "110101")},
			{"Street1ByDepartment", s1, store.GroupDepartment, map[string]want{
				"s1-police":   marchByDepartment["s1-police"],
				"s1-citymgmt": marchByDepartment["s1-citymgmt"],
				"s1-market":   marchByDepartment["s1-market"],
				"d1-police":   {1, 1, [6][2]int64{{1, 1}, {1, 1}, {1, 1}, {1, 1}, {0, 1}, {0, 1}}}, // B only
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rep, err := s.SupervisionRates(ctx, store.RatesQuery{Scope: tt.scope, Period: march(), Group: tt.group})
				if err != nil {
					t.Fatal(err)
				}
				gotRows := map[string]want{}
				for _, r := range rep.Items {
					gotRows[r.ID] = got(r)
					if r.Name == "" {
						t.Errorf("%s has no name", r.ID)
					}
				}
				if fmt.Sprint(gotRows) != fmt.Sprint(tt.want) {
					t.Errorf("rows\n got %v\nwant %v", gotRows, tt.want)
				}
			})
		}
		t.Run("Total", func(t *testing.T) {
			rep, err := s.SupervisionRates(ctx, store.RatesQuery{Period: march(), Group: store.GroupDistrict})
			if err != nil {
				t.Fatal(err)
			}
			if g := got(rep.Total); g != marchTotal {
				t.Errorf("total %v, want %v", g, marchTotal)
			}
			if rep.Total.Satisfied != 3 || rep.Total.BasicallySatisfied != 1 || rep.Total.Dissatisfied != 1 {
				t.Errorf("satisfaction split %d/%d/%d, want 3/1/1", rep.Total.Satisfied, rep.Total.BasicallySatisfied, rep.Total.Dissatisfied)
			}
		})
		t.Run("PeriodOfDays", func(t *testing.T) {
			// March as a month bucket plus April 1st as a day: E joins street 1.
			p := store.Period{From: at(3, 1, 0, 0), To: at(4, 2, 0, 0)}
			rep, err := s.SupervisionRates(ctx, store.RatesQuery{Period: p, Group: store.GroupStreet})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rep.Items {
				if r.ID == "110101001" && (r.Counts.Cases != 3 || r.Counts.Tasks != 6 || r.Response.Numerator != 5 || r.Response.Denominator != 6) {
					t.Errorf("street 1 with April 1st: %v", got(r))
				}
			}
			// 10 to 12 March, as days: C (03-10) and D (03-12 is outside [10, 12)).
			rep, err = s.SupervisionRates(ctx, store.RatesQuery{Period: store.Period{From: at(3, 10, 0, 0), To: at(3, 12, 0, 0)}, Group: store.GroupDistrict})
			if err != nil {
				t.Fatal(err)
			}
			if g := got(rep.Total); g.cases != 1 || g.tasks != 2 {
				t.Errorf("10–12 March: %v, want C alone", g)
			}
		})
		t.Run("BadPeriod", func(t *testing.T) {
			_, err := s.SupervisionRates(ctx, store.RatesQuery{Period: store.Period{From: at(3, 1, 8, 0), To: at(4, 1, 0, 0)}, Group: store.GroupStreet})
			if whistle.ErrorCode(err) != whistle.EInvalid {
				t.Errorf("a period not on midnight: %v, want invalid", err)
			}
		})
		t.Run("RebuildGivesTheSame", func(t *testing.T) {
			before, _ := s.SupervisionRates(ctx, store.RatesQuery{Period: store.YearPeriod(2026), Group: store.GroupDepartment})
			if _, err := s.RebuildSupervision(ctx, 3); err != nil {
				t.Fatal(err)
			}
			after, _ := s.SupervisionRates(ctx, store.RatesQuery{Period: store.YearPeriod(2026), Group: store.GroupDepartment})
			if fmt.Sprint(wants(before.Items)) != fmt.Sprint(wants(after.Items)) || len(before.Items) != 7 {
				t.Errorf("rebuild changed the rates\nbefore %v\n after %v", before.Items, after.Items)
			}
		})
	})
}

func wants(rows []store.RatesRow) []want {
	var out []want
	for _, r := range rows {
		out = append(out, got(r))
	}
	return out
}

func approx(a *float64, b float64) bool { return a != nil && math.Abs(*a-b) < 1e-9 }

func TestSupervisionAssessment(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		mustProject(t, s, fixtureCases()...)

		// Hand-computed (2026, E adds a third s1-police case that changes no score):
		// s1-police: street evaluations A 5/4/5 satisfied, B 2/2/3 dissatisfied:
		//   ((25·(21−6) + 100·1) / (4·2)) = 59.375
		//   performance = mean(100 response, 100 resolution, 50 on time, 100·(1−1/3)) = 79.1666…
		// d1-police: street B 4/4/4 satisfied = (25·9+100)/4 = 81.25; other F 5/5/5
		//   satisfied = 100; performance = mean(100, 100, 100, 100, 100) = 100
		// s1-citymgmt: street A 3/3/4 basically = (25·7+75)/4 = 62.5;
		//   performance = mean(0, 100, 100, 50) = 62.5
		s1PoliceStreet, s1PolicePerf := 59.375, (100+100+50+100*2.0/3)/4
		tests := []struct {
			name     string
			weight   float64
			minCases int
			ranks    map[string]int    // ranked departments
			unranked map[string]string // reasons
			totals   map[string]float64
		}{
			{"DefaultMinimumRanksNobody", store.DefaultStreetWeight, store.DefaultMinCases, map[string]int{},
				map[string]string{"s1-police": store.UnrankedTooFewCases, "d1-police": store.UnrankedTooFewCases, "s1-citymgmt": store.UnrankedTooFewCases},
				map[string]float64{"s1-police": s1PoliceStreet/3 + s1PolicePerf*2/3, "d1-police": 81.25/3 + 100*2.0/3}},
			{"MinimumTwo", store.DefaultStreetWeight, 2, map[string]int{"d1-police": 1, "s1-police": 2},
				map[string]string{"s1-citymgmt": store.UnrankedTooFewCases, "s1-market": store.UnrankedNoCases, "s2-police": store.UnrankedTooFewCases},
				map[string]float64{"s1-citymgmt": 62.5}},
			{"MinimumOne", store.DefaultStreetWeight, 1, map[string]int{"d1-police": 1, "s1-police": 2, "s1-citymgmt": 3},
				map[string]string{"s2-police": store.UnrankedNoStreetEvaluation, "d1-citymgmt": store.UnrankedNoStreetEvaluation,
					"s3-citymgmt": store.UnrankedNoStreetEvaluation, "s1-market": store.UnrankedNoCases},
				map[string]float64{"s2-police": 0, "s3-citymgmt": 100}},
			{"HalfWeight", 0.5, 2, map[string]int{"d1-police": 1, "s1-police": 2}, nil,
				map[string]float64{"s1-police": (s1PoliceStreet + s1PolicePerf) / 2, "d1-police": (81.25 + 100) / 2}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := s.PutAssessmentSetting(ctx, store.AssessmentSetting{Year: 0, StreetWeight: tt.weight, MinCases: tt.minCases}); err != nil {
					t.Fatal(err)
				}
				rep, err := s.Assessment(ctx, store.AssessmentQuery{Year: 2026})
				if err != nil {
					t.Fatal(err)
				}
				if rep.StreetWeight != tt.weight || rep.MinCases != tt.minCases {
					t.Errorf("settings %v/%d", rep.StreetWeight, rep.MinCases)
				}
				cards := map[string]store.Scorecard{}
				for _, c := range rep.Items {
					cards[c.DepartmentID] = c
				}
				if len(cards) != 7 {
					t.Errorf("%d scorecards, want 7", len(cards))
				}
				for id, r := range tt.ranks {
					if c := cards[id]; c.Rank == nil || *c.Rank != r {
						t.Errorf("%s rank %v, want %d (total %v)", id, c.Rank, r, c.Total)
					}
				}
				for id, reason := range tt.unranked {
					if c := cards[id]; c.Rank != nil || c.UnrankedReason != reason || c.Unranked == "" {
						t.Errorf("%s: rank %v reason %q, want unranked %q", id, c.Rank, c.UnrankedReason, reason)
					}
				}
				for id, total := range tt.totals {
					if c := cards[id]; !approx(c.Total, total) {
						t.Errorf("%s total %v, want %v", id, c.Total, total)
					}
				}
				if c := cards["s1-police"]; !approx(c.StreetScore, s1PoliceStreet) || !approx(c.PerformanceScore, s1PolicePerf) || c.Counts.Cases != 3 {
					t.Errorf("s1-police street %v performance %v cases %d", c.StreetScore, c.PerformanceScore, c.Counts.Cases)
				}
				if c := cards["d1-police"]; !approx(c.OtherScore, 100) || !approx(c.StreetScore, 81.25) {
					t.Errorf("d1-police other %v street %v", c.OtherScore, c.StreetScore)
				}
				// Ranked cards come first, in rank order.
				for i := 1; i < len(rep.Items); i++ {
					a, b := rep.Items[i-1], rep.Items[i]
					if a.Rank == nil && b.Rank != nil || a.Rank != nil && b.Rank != nil && *a.Rank > *b.Rank {
						t.Errorf("order: %s (%v) before %s (%v)", a.DepartmentID, a.Rank, b.DepartmentID, b.Rank)
					}
				}
			})
		}
		t.Run("LevelFilter", func(t *testing.T) {
			rep, err := s.Assessment(ctx, store.AssessmentQuery{Year: 2026, Level: "district"})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range rep.Items {
				if c.DepartmentID != "d1-police" && c.DepartmentID != "d1-citymgmt" {
					t.Errorf("district level lists %s", c.DepartmentID)
				}
			}
		})
		t.Run("WeightFloor", func(t *testing.T) {
			for _, w := range []float64{0.29, 1.01, math.NaN()} {
				if _, err := s.PutAssessmentSetting(ctx, store.AssessmentSetting{StreetWeight: w, MinCases: 1}); whistle.ErrorCode(err) != whistle.EInvalid {
					t.Errorf("weight %v: %v, want invalid", w, err)
				}
			}
			if _, err := s.PutAssessmentSetting(ctx, store.AssessmentSetting{StreetWeight: 0.3, MinCases: -1}); whistle.ErrorCode(err) != whistle.EInvalid {
				t.Errorf("negative minimum accepted: %v", err)
			}
			a, err := s.PutAssessmentSetting(ctx, store.AssessmentSetting{Year: 2027, StreetWeight: 0.3, MinCases: 5})
			if err != nil || a.Year != 2027 || a.StreetWeight != 0.3 {
				t.Fatalf("2027 setting: %v %v", a, err)
			}
			if d, _ := s.AssessmentSettingFor(ctx, 2028); d.Year != 0 {
				t.Errorf("2028 falls back to %v, want the default row", d)
			}
		})
	})
}

func TestSupervisionPublishedMonthNeverChanges(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		mustProject(t, s, fixtureCases()...)
		pub, ok, err := s.PublishMonth(ctx, 202603, time.Now())
		if err != nil || !ok || pub.Rows == 0 {
			t.Fatalf("publish: %v %v %v", pub, ok, err)
		}
		// C's summoned police station finally reports, after publication.
		c := fixtureCases()[1]
		c.Seq++
		c.Tasks[0].Status, c.Tasks[0].ReportedAt = whistle.TaskReported, tp(at(4, 2, 9, 0))
		mustProject(t, s, c)

		live, err := s.SupervisionRates(ctx, store.RatesQuery{Period: march(), Group: store.GroupDistrict})
		if err != nil {
			t.Fatal(err)
		}
		if live.Published || live.Total.Response.Denominator != 9 {
			t.Fatalf("live March: %+v", live.Total.Response)
		}
		frozen, err := s.SupervisionRates(ctx, store.RatesQuery{Month: 202603, Group: store.GroupDistrict})
		if err != nil {
			t.Fatal(err)
		}
		if !frozen.Published || got(frozen.Total) != marchTotal {
			t.Errorf("published March changed: %v, want %v", got(frozen.Total), marchTotal)
		}
		// The late report still counts late (live), and a second publication is a no-op.
		if live.Total.Response.Numerator != 7 {
			t.Errorf("late report counted on time: %+v", live.Total.Response)
		}
		if _, again, err := s.PublishMonth(ctx, 202603, time.Now()); err != nil || again {
			t.Errorf("republish: %v %v", again, err)
		}
		a, err := s.Assessment(ctx, store.AssessmentQuery{Year: 2026, AsOfMonth: 202603})
		if err != nil || !a.Published || a.AsOf != "2026-03" || len(a.Items) != 7 {
			t.Errorf("published assessment: %+v %v", a, err)
		}
		if _, err := s.Assessment(ctx, store.AssessmentQuery{Year: 2026, AsOfMonth: 202604}); whistle.ErrorCode(err) != whistle.ENotFound {
			t.Errorf("unpublished month: %v", err)
		}
	})
}

func TestSupervisionLists(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		mustProject(t, s, fixtureCases()...)
		yes, no := true, false
		d1 := store.Scope{PathPrefix: "/110000/110101/"}
		d2 := store.Scope{PathPrefix: "/110000/110102/"}
		from, to := at(3, 1, 0, 0), at(4, 1, 0, 0)
		breaches := []struct {
			name string
			f    store.BreachFilter
			want []string
		}{
			{"All", store.BreachFilter{Scope: store.Scope{All: true}}, []string{"C-B6", "B-B9", "A-B5"}},
			{"District1", store.BreachFilter{Scope: d1}, []string{"C-B6", "B-B9", "A-B5"}},
			{"District2", store.BreachFilter{Scope: d2}, nil},
			{"Unresolved", store.BreachFilter{Scope: d1, Resolved: &no}, []string{"C-B6"}},
			{"Resolved", store.BreachFilter{Scope: d1, Resolved: &yes}, []string{"B-B9", "A-B5"}},
			{"Department", store.BreachFilter{Scope: d1, DepartmentID: "s1-police"}, []string{"B-B9"}},
			{"Kind", store.BreachFilter{Scope: d1, Kind: "report"}, []string{"C-B6", "A-B5"}},
			{"OrgStreet2", store.BreachFilter{Scope: d1, OrgPath: "/110000/110101/110101002/"}, []string{"C-B6"}},
			{"Period", store.BreachFilter{Scope: d1, From: &from, To: tp(at(3, 6, 0, 0))}, []string{"A-B5"}},
			{"Level", store.BreachFilter{Scope: d1, Level: "street"}, nil},
			{"Class", store.BreachFilter{Scope: d1, Class: "routine"}, []string{"C-B6", "B-B9", "A-B5"}},
			{"NoScope", store.BreachFilter{}, nil},
		}
		for _, tt := range breaches {
			t.Run("Breaches"+tt.name, func(t *testing.T) {
				rows, total, err := s.ListBreaches(ctx, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, r := range rows {
					ids = append(ids, r.ID)
					if r.CaseID == "" || r.CaseTitle == "" || r.DepartmentName == "" {
						t.Errorf("row without its case or department: %+v", r)
					}
				}
				if fmt.Sprint(ids) != fmt.Sprint(tt.want) || total != int64(len(tt.want)) {
					t.Errorf("got %v (total %d), want %v", ids, total, tt.want)
				}
			})
		}
		escalations := []struct {
			name string
			f    store.EscalationFilter
			want int
		}{
			{"District1", store.EscalationFilter{Scope: d1}, 1},
			{"District2", store.EscalationFilter{Scope: d2}, 0},
			{"Open", store.EscalationFilter{Scope: d1, Open: &yes}, 0},
			{"Closed", store.EscalationFilter{Scope: d1, Open: &no}, 1},
			{"ToStreet", store.EscalationFilter{Scope: d1, Level: "street"}, 1},
			{"ToDistrict", store.EscalationFilter{Scope: d1, Level: "district"}, 0},
			{"Department", store.EscalationFilter{Scope: d1, DepartmentID: "d1-police"}, 1},
			{"OtherDepartment", store.EscalationFilter{Scope: d1, DepartmentID: "s2-police"}, 0},
			{"Period", store.EscalationFilter{Scope: d1, From: &from, To: &to}, 1},
		}
		for _, tt := range escalations {
			t.Run("Escalations"+tt.name, func(t *testing.T) {
				rows, total, err := s.ListEscalations(ctx, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) != tt.want || total != int64(tt.want) {
					t.Fatalf("got %d rows (total %d), want %d", len(rows), total, tt.want)
				}
				if tt.want > 0 && (rows[0].CaseID != "B" || rows[0].CaseTitle == "" || rows[0].To != whistle.LevelStreet) {
					t.Errorf("row %+v", rows[0])
				}
			})
		}
	})
}

// TestSupervisionBucketsSumLikeDays: any range read from years, months and
// weeks gives the counts of the same range read day by day.
func TestSupervisionBucketsSumLikeDays(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		mustProject(t, s, fixtureCases()...)
		day := func(y int, m time.Month, d int) time.Time {
			return time.Date(y, m, d, 0, 0, 0, 0, at(1, 1, 0, 0).Location())
		}
		periods := []store.Period{
			{From: day(2026, 3, 1), To: day(2026, 4, 2)},   // a month and a day
			{From: day(2026, 3, 2), To: day(2026, 3, 30)},  // four Monday weeks
			{From: day(2026, 2, 23), To: day(2026, 4, 6)},  // a week, March, a week
			{From: day(2026, 3, 5), To: day(2026, 3, 20)},  // days, a week, days
			{From: day(2025, 12, 29), To: day(2026, 4, 6)}, // a week across the year, months, a week
			{From: day(2026, 1, 1), To: day(2027, 1, 1)},   // a year
			{From: day(2026, 3, 3), To: day(2026, 3, 27)},  // runs of 2, 4, 16 days and days inside a month
			{From: day(2026, 2, 15), To: day(2026, 4, 10)}, // 54 days: runs, March, runs
			{From: day(2026, 3, 17), To: day(2026, 4, 2)},  // the 16-day run to the month's end, a day
		}
		scopes := []store.RollupScope{{}, {DistrictID: "110101"}, {AreaID: "110101001"}}
		for _, p := range periods {
			for _, sc := range scopes {
				for _, g := range []string{store.GroupDepartment, store.GroupStreet, store.GroupDistrict} {
					q := store.RatesQuery{Scope: sc, Period: p, Group: g}
					coarse, err := s.SupervisionRates(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					q.DaysOnly = true
					fine, err := s.SupervisionRates(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					if fmt.Sprint(wants(coarse.Items), got(coarse.Total)) != fmt.Sprint(wants(fine.Items), got(fine.Total)) {
						t.Errorf("%s–%s %+v %s:\n buckets %v %v\n    days %v %v", p.From.Format("2006-01-02"), p.To.Format("2006-01-02"), sc, g,
							wants(coarse.Items), got(coarse.Total), wants(fine.Items), got(fine.Total))
					}
				}
			}
		}
	})
}

// TestSupervisionLiveReadsFold: a live read first folds queued cases into
// the roll-up, up to its budget; a published month is served frozen and
// folds nothing.
func TestSupervisionLiveReadsFold(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		for _, c := range fixtureCases() {
			if err := s.ApplyCase(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
		}
		queued := func() int64 {
			var n int64
			if err := s.DB.Model(&store.SupervisionDirty{}).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := queued()
		if before == 0 {
			t.Fatal("the projection queued nothing")
		}
		stale, err := s.SupervisionRates(ctx, store.RatesQuery{Period: march(), Group: store.GroupDistrict})
		if err != nil || stale.Total.Counts.Cases != 0 || queued() != before {
			t.Fatalf("no budget: %+v %v, queue %d of %d", stale.Total.Counts, err, queued(), before)
		}
		if _, ok, err := s.PublishMonth(ctx, 202603, time.Now()); err != nil || !ok {
			t.Fatalf("publish: %v %v", ok, err)
		}
		frozen, err := s.SupervisionRates(ctx, store.RatesQuery{Month: 202603, Group: store.GroupDistrict, Refresh: 5000})
		if err != nil || !frozen.Published || frozen.Total.Counts.Cases != 0 || queued() != before {
			t.Fatalf("published month: %+v %v, queue %d of %d", frozen.Total.Counts, err, queued(), before)
		}
		a, err := s.Assessment(ctx, store.AssessmentQuery{Year: 2026, AsOfMonth: 202603, Refresh: 5000})
		if err != nil || len(a.Items) != 0 || queued() != before {
			t.Fatalf("published assessment: %+v %v, queue %d of %d", a, err, queued(), before)
		}
		live, err := s.SupervisionRates(ctx, store.RatesQuery{Period: march(), Group: store.GroupDistrict, Refresh: 5000})
		if err != nil || got(live.Total) != marchTotal || queued() != 0 {
			t.Fatalf("live read: %v %v, queue %d", got(live.Total), err, queued())
		}
	})
}

func TestSupervisionRatesPeriod(t *testing.T) {
	s := storetest.MustOpenSQLite(t)
	ctx := context.Background()
	now := time.Now().In(at(1, 1, 0, 0).Location())
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location())
	t.Run("ThisMonthByDefault", func(t *testing.T) {
		rep, err := s.SupervisionRates(ctx, store.RatesQuery{Group: store.GroupDistrict})
		if err != nil || !rep.From.Equal(first) || !rep.To.Equal(first.AddDate(0, 1, 0)) {
			t.Fatalf("default period %s–%s (%v), want the month from %s", rep.From, rep.To, err, first)
		}
	})
	t.Run("FromOnlyEndsWithThisMonth", func(t *testing.T) {
		from := first.AddDate(0, -2, 0)
		rep, err := s.SupervisionRates(ctx, store.RatesQuery{Period: store.Period{From: from}, Group: store.GroupDistrict})
		if err != nil || !rep.From.Equal(from) || !rep.To.Equal(first.AddDate(0, 1, 0)) {
			t.Fatalf("period %s–%s (%v)", rep.From, rep.To, err)
		}
	})
	t.Run("MonthAndPeriod", func(t *testing.T) {
		_, err := s.SupervisionRates(ctx, store.RatesQuery{Month: 202603, Period: march(), Group: store.GroupDistrict})
		if whistle.ErrorCode(err) != whistle.EInvalid {
			t.Fatalf("month and period: %v, want invalid", err)
		}
	})
}

func TestRollupScopeOf(t *testing.T) {
	tests := []struct {
		path whistle.OrgPath
		want store.RollupScope
		code string
	}{
		{"/", store.RollupScope{}, ""},
		{"/110000/", store.RollupScope{}, ""},
		{"/110000/110101/", store.RollupScope{DistrictID: "110101"}, ""},
		{"/110000/110101/110101001/", store.RollupScope{AreaID: "110101001"}, ""},
		{"/110000/110101/110101001/110101001001/", store.RollupScope{}, whistle.EForbidden},
		{"", store.RollupScope{}, whistle.EForbidden},
		{"110000", store.RollupScope{}, whistle.EForbidden},
	}
	for _, tt := range tests {
		sc, err := store.RollupScopeOf(tt.path)
		if sc != tt.want || whistle.ErrorCode(err) != tt.code {
			t.Errorf("RollupScopeOf(%q) = %+v, %v; want %+v, code %q", tt.path, sc, err, tt.want, tt.code)
		}
	}
}
