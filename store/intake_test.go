package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// intakeCases are March cases of the acceptance queue: P pending with a
// missed acceptance deadline (its breach names no task), R rejected, M
// merged into A. None of them is a case for the rates.
func intakeCases() []whistle.Case {
	p := kase("P", pathC1, at(3, 3, 9, 0), whistle.CasePending, whistle.LevelCommunity)
	p.Seq, p.AcceptDeadline, p.AcceptBreached = 2, tp(at(3, 3, 11, 0)), true
	p.Breaches = []whistle.Breach{{ID: "P-B2", CaseID: "P", Kind: whistle.BreachAccept, Deadline: at(3, 3, 11, 0), At: at(3, 3, 11, 0), Level: whistle.LevelCommunity}}
	q := kase("Q", pathC1, at(3, 3, 10, 0), whistle.CasePending, whistle.LevelCommunity)
	q.Seq, q.AcceptDeadline = 1, tp(time.Now().Add(time.Hour))
	r := kase("R", pathC1, at(3, 3, 9, 30), whistle.CaseClosed, whistle.LevelCommunity)
	r.Seq, r.Outcome, r.RejectReason, r.ClosedAt = 3, whistle.OutcomeRejected, "非政府职能", tp(at(3, 3, 10, 0))
	m := kase("M", pathC1, at(3, 3, 9, 40), whistle.CaseClosed, whistle.LevelCommunity)
	m.Seq, m.Outcome, m.MergedInto, m.ClosedAt = 3, whistle.OutcomeMerged, "A", tp(at(3, 3, 10, 0))
	return []whistle.Case{p, q, r, m}
}

func TestIntakeReadModel(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		for _, c := range append(fixtureCases(), intakeCases()...) {
			if err := s.ApplyCase(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("RatesLeavePendingRejectedMergedOut", func(t *testing.T) {
			rep, err := s.SupervisionRates(ctx, store.RatesQuery{Period: march(), Group: store.GroupDistrict, Refresh: 5000})
			if err != nil {
				t.Fatal(err)
			}
			if g := got(rep.Total); g != marchTotal {
				t.Errorf("total %v, want %v (the fixture's, without the intake cases)", g, marchTotal)
			}
		})
		t.Run("CaseColumns", func(t *testing.T) {
			r, err := s.Case(ctx, "R")
			if err != nil || r.Outcome != whistle.OutcomeRejected || r.RejectReason != "非政府职能" {
				t.Fatalf("R: %+v %v", r, err)
			}
			m, err := s.Case(ctx, "M")
			if err != nil || m.Outcome != whistle.OutcomeMerged || m.MergedInto != "A" {
				t.Fatalf("M: %+v %v", m, err)
			}
			p, err := s.Case(ctx, "P")
			if err != nil || p.AcceptDeadline == nil || !p.AcceptDeadline.Equal(at(3, 3, 11, 0)) || !p.AcceptBreached {
				t.Fatalf("P: %+v %v", p, err)
			}
		})
		t.Run("Queue", func(t *testing.T) {
			f := store.IntakeFilter{CaseFilter: store.CaseFilter{Scope: store.Scope{All: true}}, HolderOrgPath: pathC1, Now: time.Now()}
			items, total, err := s.ListIntake(ctx, f)
			if err != nil || total != 2 || len(items) != 2 || items[0].ID != "P" || items[1].ID != "Q" {
				t.Fatalf("queue: %d %v %v", total, ids(items), err)
			}
			yes := true
			f.Overdue = &yes
			items, _, err = s.ListIntake(ctx, f)
			if err != nil || len(items) != 1 || items[0].ID != "P" {
				t.Fatalf("overdue: %v %v", ids(items), err)
			}
			f.HolderOrgPath = pathS1
			if items, _, _ := s.ListIntake(ctx, f); len(items) != 0 {
				t.Fatalf("the street's queue: %v", ids(items))
			}
		})
		t.Run("AcceptBreachListed", func(t *testing.T) {
			list, _, err := s.ListBreaches(ctx, store.BreachFilter{Scope: store.Scope{All: true}, Kind: whistle.BreachAccept})
			if err != nil || len(list) != 1 || list[0].CaseID != "P" || list[0].TaskID != "" || list[0].CaseStatus != "pending" {
				t.Fatalf("accept breaches: %+v %v", list, err)
			}
		})
	})
}

func ids(cs []whistle.Case) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}
