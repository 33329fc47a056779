package store_test

import (
	"context"
	"math"
	"testing"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// Periodic evaluation (定期评议) on the supervision fixture: street 1 rates
// s1-police 90/80/70 for 2026Q1, which enters its share score G with the
// year's periodic weight (0.3 by default), and is frozen by March's
// publication, with the weight it was computed with.
func TestPeriodicEvaluation(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		mustProject(t, s, fixtureCases()...)
		unit := func(id string) store.OrgUnit {
			u, err := s.OrgUnit(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		dept := func(id string) store.Department {
			d, err := s.Department(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		street, district := unit("110101001"), unit("110101")
		put := func(period string, rater store.OrgUnit, d string, w, c, r int) (store.PeriodicEvaluation, error) {
			return s.PutPeriodicEvaluation(ctx, store.PeriodicRequest{Period: period, Rater: rater, Department: dept(d),
				Work: w, Cooperation: c, Residents: r, Comment: "配合较好", By: "s1-secretary"}, at(3, 20, 9, 0))
		}

		t.Run("Refusals", func(t *testing.T) {
			tests := []struct {
				name, period string
				rater        store.OrgUnit
				dept         string
				w            int
				code         string
			}{
				{"BadPeriod", "2026Q5", street, "s1-police", 80, whistle.EInvalid},
				{"NotBegun", "2026Q2", street, "s1-police", 80, whistle.EInvalid},
				{"ScoreOver100", "2026Q1", street, "s1-police", 101, whistle.EInvalid},
				{"OtherStreetsDepartment", "2026Q1", street, "s3-citymgmt", 80, store.EPeriodicNotServing},
				{"CityDepartmentByAStreet", "2026Q1", street, "city-police", 80, store.EPeriodicNotServing},
				{"DistrictDepartmentByItsDistrict", "2026Q1", district, "d1-police", 80, store.EPeriodicNotServing},
				{"ByACommunity", "2026Q1", unit("110101001001"), "s1-police", 80, store.EPeriodicNotServing},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if _, err := put(tt.period, tt.rater, tt.dept, tt.w, 80, 80); whistle.ErrorCode(err) != tt.code {
						t.Errorf("got %v, want %s", err, tt.code)
					}
				})
			}
		})

		first, err := put("2026Q1", street, "s1-police", 60, 60, 60)
		if err != nil {
			t.Fatal(err)
		}
		e, err := put("2026Q1", street, "s1-police", 90, 80, 70) // corrected before publication
		if err != nil || e.ID != first.ID || e.Work != 90 || e.Residents != 70 || e.RaterLevel != "street" {
			t.Fatalf("correction: %+v %v", e, err)
		}
		if _, err := put("2026Q1", street, "d1-police", 70, 70, 70); err != nil { // a district department serving the street
			t.Fatal(err)
		}
		if _, err := put("2026Q1", district, "city-police", 70, 70, 70); err != nil { // Kunming: a district rates a city department
			t.Fatal(err)
		}
		if items, total, err := s.ListPeriodic(ctx, store.PeriodicFilter{Period: "2026Q1", PathPrefix: street.Path}); err != nil || total != 2 || items[0].RaterName == "" {
			t.Errorf("street 1's ratings: %d %+v %v", total, items, err)
		}

		// s1-police: G_case 59.375, P 79.1667 (TestSupervisionAssessment's example);
		// G = 0.7·59.375 + 0.3·80 = 65.5625; total = 65.5625/3 + 2·79.1667/3 = 74.63.
		// With the periodic weight p: G = (1 − p)·59.375 + p·80, total = G/3 + 2·79.1667/3.
		check := func(name string, q store.AssessmentQuery, p, g, total float64) {
			t.Helper()
			rep, err := s.Assessment(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if rep.PeriodicWeight != p {
				t.Errorf("%s: the report's periodic weight %v, want %v", name, rep.PeriodicWeight, p)
			}
			for _, c := range rep.Items {
				if c.DepartmentID != "s1-police" {
					continue
				}
				if c.PeriodicEvaluations != 1 || !approx(c.PeriodicScore, 80) || !approx(c.CaseShareScore, 59.375) || !approx(c.StreetScore, g) ||
					c.Total == nil || math.Abs(*c.Total-total) > 1e-4 {
					t.Errorf("%s: periodic %v/%d, case share %v, G %v, total %v; want G %v, total %v", name, deref(c.PeriodicScore), c.PeriodicEvaluations,
						deref(c.CaseShareScore), deref(c.StreetScore), deref(c.Total), g, total)
				}
				return
			}
			t.Errorf("%s: no scorecard for s1-police", name)
		}
		check("live", store.AssessmentQuery{Year: 2026}, 0.3, 65.5625, 74.6319444)

		if _, _, err := s.PublishMonth(ctx, 202603, at(4, 1, 2, 0)); err != nil {
			t.Fatal(err)
		}
		if _, err := put("2026Q1", street, "s1-police", 100, 100, 100); whistle.ErrorCode(err) != whistle.EConflict {
			t.Errorf("correction after publication: %v", err)
		}
		check("as of March", store.AssessmentQuery{Year: 2026, AsOfMonth: 202603}, 0.3, 65.5625, 74.6319444)

		// The weight as 2026's setting: 0.5 gives G = 0.5·59.375 + 0.5·80 =
		// 69.6875 and total = 69.6875/3 + 2·79.1667/3 = 76.01 live; March,
		// published with 0.3, keeps it.
		t.Run("Weight", func(t *testing.T) {
			for _, w := range []float64{0.09, 0.51, math.NaN()} {
				if _, err := s.PutAssessmentSetting(ctx, store.AssessmentSetting{Year: 2026, StreetWeight: 1.0 / 3, PeriodicWeight: w, MinCases: 1}); whistle.ErrorCode(err) != whistle.EInvalid {
					t.Errorf("periodic weight %v: %v, want invalid", w, err)
				}
			}
			a, err := s.PutAssessmentSetting(ctx, store.AssessmentSetting{Year: 2026, StreetWeight: 1.0 / 3, PeriodicWeight: 0.5, MinCases: 1})
			if err != nil || a.PeriodicWeight != 0.5 {
				t.Fatalf("setting %+v %v", a, err)
			}
			if d, err := s.AssessmentSettingFor(ctx, 2027); err != nil || d.PeriodicWeight != store.DefaultPeriodicWeight {
				t.Errorf("2027 without a setting: %+v %v, want the default weight", d, err)
			}
			check("live at 0.5", store.AssessmentQuery{Year: 2026}, 0.5, 69.6875, 76.0069444)
			check("as of March after the change", store.AssessmentQuery{Year: 2026, AsOfMonth: 202603}, 0.3, 65.5625, 74.6319444)
			// April is published with 0.5 and keeps it when the setting moves on.
			if _, _, err := s.PublishMonth(ctx, 202604, at(5, 1, 2, 0)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.PutAssessmentSetting(ctx, store.AssessmentSetting{Year: 2026, StreetWeight: 1.0 / 3, PeriodicWeight: 0.1, MinCases: 1}); err != nil {
				t.Fatal(err)
			}
			check("as of April after the change", store.AssessmentQuery{Year: 2026, AsOfMonth: 202604}, 0.5, 69.6875, 76.0069444)
			check("live at 0.1", store.AssessmentQuery{Year: 2026}, 0.1, 61.4375, 73.2569444)
		})
	})
}
