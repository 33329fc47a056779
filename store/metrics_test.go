package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// TestDomainCounts: the /metrics figures count the cases being worked and
// their open tasks, not a closed case's; a pending case past its
// acceptance deadline is overdue intake.
func TestDomainCounts(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		open := sampleCase("m-open", 2, whistle.CaseOpen)
		open.Tasks[0].Overdue = true
		closed := sampleCase("m-closed", 2, whistle.CaseClosed)
		pending := sampleCase("m-pending", 1, whistle.CasePending)
		pending.Tasks = nil
		past := time.Now().Add(-time.Hour)
		pending.AcceptDeadline = &past
		for _, c := range []whistle.Case{open, closed, pending} {
			if err := s.ApplyCase(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
		}
		d, err := s.DomainCounts(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(d.OpenCases) != 1 || d.OpenCases[0] != (store.LabelledCount{Class: "routine", Level: "community", Status: "open", N: 1}) {
			t.Errorf("open cases %+v, want the one open routine case", d.OpenCases)
		}
		if len(d.OpenTasks) != 1 || d.OpenTasks[0] != (store.LabelledCount{Class: "routine", Status: "summoned", Overdue: true, N: 1}) {
			t.Errorf("open tasks %+v, want the open case's overdue task alone", d.OpenTasks)
		}
		if d.IntakePending != 1 || d.IntakeOverdue != 1 {
			t.Errorf("intake %d pending, %d overdue; want 1, 1", d.IntakePending, d.IntakeOverdue)
		}
	})
}
