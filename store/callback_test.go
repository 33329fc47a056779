package store_test

import (
	"context"
	"testing"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// callbackCases: four closed cases of community 1 (street s1) in June 2026,
// each with s1-police done, and one waiting for its call-back.
//
//	K1  resident, reached: the resident basically satisfied (4/4/5)
//	K2  resident, unreached: evaluated 5/5/5 with no satisfaction
//	K3  hotline, expired: the window closed, evaluated by default
//	K4  grid, no call-back: evaluated 2/2/3 dissatisfied
//	K5  resident, evaluating, call-back pending
func callbackCases() []whistle.Case {
	var out []whistle.Case
	mk := func(id string, src whistle.Source, callback string, e *whistle.Evaluation) whistle.Case {
		created := at(6, 2, 10, 0)
		c := kase(id, pathC1, created, whistle.CaseClosed, whistle.LevelCommunity)
		c.Source, c.Seq = src, 10
		c.CallbackRequired, c.Callback = callback != "", callback
		c.Tasks = []whistle.Task{done(task(id, 1, "s1-police", created), created.Add(20*60e9))}
		c.VerifiedAt, c.ClosedAt = tp(at(6, 3, 9, 0)), tp(at(6, 3, 12, 0))
		if e != nil {
			c.Evaluations = []whistle.Evaluation{*e}
		}
		return c
	}
	when := at(6, 3, 12, 0)
	k1 := eval("K1", "s1-police", whistle.LevelCommunity, 4, 4, 5, whistle.BasicallySatisfied, when)
	k2 := eval("K2", "s1-police", whistle.LevelCommunity, 5, 5, 5, "", when)
	k3 := eval("K3", "s1-police", whistle.LevelCommunity, 3, 3, 3, whistle.Satisfied, when)
	k3.Default = true
	k4 := eval("K4", "s1-police", whistle.LevelCommunity, 2, 2, 3, whistle.Dissatisfied, when)
	out = append(out,
		mk("K1", whistle.SourceResident, whistle.CallbackReached, &k1),
		mk("K2", whistle.SourceResident, whistle.CallbackUnreached, &k2),
		mk("K3", whistle.SourceHotline, whistle.CallbackExpired, &k3),
		mk("K4", whistle.SourceGrid, "", &k4))
	k5 := mk("K5", whistle.SourceResident, whistle.CallbackPending, nil)
	k5.Status, k5.ClosedAt, k5.EvaluationDue = whistle.CaseEvaluating, nil, tp(at(6, 8, 12, 0))
	return append(out, k5)
}

// A case whose resident was not reached, or not called back, counts apart:
// in callbacks_unreached / callbacks_expired, never in the satisfaction
// rate nor the share score; the reached resident's answer counts.
func TestSupervisionCallbackApart(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		mustProject(t, s, callbackCases()...)
		june := store.MonthPeriod(202606)

		for _, g := range []struct{ group, row string }{{store.GroupStreet, "110101001"}, {store.GroupDepartment, "s1-police"}} {
			rep, err := s.SupervisionRates(ctx, store.RatesQuery{Period: june, Group: g.group})
			if err != nil {
				t.Fatal(err)
			}
			var row store.RatesRow
			for _, r := range rep.Items {
				if r.ID == g.row {
					row = r
				}
			}
			if row.ID != g.row {
				t.Fatalf("%s: no row %s", g.group, g.row)
			}
			// K1 basically satisfied, K4 dissatisfied: 1/2; K2 and K3 apart.
			sat := [2]int64{row.Satisfaction.Numerator, row.Satisfaction.Denominator}
			c := row.Counts
			if sat != [2]int64{1, 2} || c.CbUnreached != 1 || c.CbExpired != 1 || c.EvalsDefault != 1 || c.Cases != 5 {
				t.Errorf("%s %s: satisfaction %v, unreached %d, expired %d, defaulted %d, cases %d; want [1 2], 1, 1, 1, 5",
					g.group, g.row, sat, c.CbUnreached, c.CbExpired, c.EvalsDefault, c.Cases)
			}
			if g.group == store.GroupStreet && (rep.Total.Counts.CbUnreached != 1 || rep.Total.Counts.CbExpired != 1) {
				t.Errorf("total: unreached %d expired %d", rep.Total.Counts.CbUnreached, rep.Total.Counts.CbExpired)
			}
		}

		// The share score: K1 (25·3 + 25·3 + 25·4 + 75)/4 = 81.25 and K4
		// (25 + 25 + 50 + 0)/4 = 25 → 53.125 over 2 evaluations; K2's
		// 5/5/5 without the resident's answer is not among them.
		if _, err := s.PutAssessmentSetting(ctx, store.AssessmentSetting{StreetWeight: store.DefaultStreetWeight, MinCases: 0}); err != nil {
			t.Fatal(err)
		}
		rep, err := s.Assessment(ctx, store.AssessmentQuery{Year: 2026})
		if err != nil {
			t.Fatal(err)
		}
		var sp store.Scorecard
		for _, c := range rep.Items {
			if c.DepartmentID == "s1-police" {
				sp = c
			}
		}
		if sp.ShareEvaluations != 2 || !approx(sp.StreetScore, 53.125) || sp.Counts.CbUnreached != 1 || sp.Counts.CbExpired != 1 {
			t.Errorf("s1-police: share evaluations %d, street score %v, unreached %d, expired %d; want 2, 53.125, 1, 1",
				sp.ShareEvaluations, deref(sp.StreetScore), sp.Counts.CbUnreached, sp.Counts.CbExpired)
		}

		// The list filter and the case as read back.
		pending, n, err := s.ListCases(ctx, store.CaseFilter{Scope: store.Scope{All: true}, Callback: whistle.CallbackPending})
		if err != nil || n != 1 || pending[0].ID != "K5" || pending[0].Callback != whistle.CallbackPending || !pending[0].CallbackRequired {
			t.Errorf("callback=pending: %d %v %v", n, pending, err)
		}
		if _, n, _ := s.ListCases(ctx, store.CaseFilter{Scope: store.Scope{All: true}}); n != 5 {
			t.Errorf("unfiltered: %d cases", n)
		}
	})
}
