package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/whistle"
)

// newPendingMachine files case P without departments at st0, its
// acceptance deadline two hours later.
func newPendingMachine(t *testing.T) *machine {
	t.Helper()
	in := WhistleInput{ID: "P", Title: "t", Class: whistle.ClassKey, Source: whistle.SourceGrid, Filer: filer,
		OrgUnitID: "c", OrgPath: "/x/d/s/c/", CreatedAt: st0, Chain: chain}
	m, err := newMachine(in)
	require.NoError(t, err)
	require.Equal(t, whistle.CasePending, m.c.Status)
	m.c.AcceptDeadline = ptr(st0.Add(2 * time.Hour))
	return m
}

func TestState_Intake(t *testing.T) {
	at := st0.Add(time.Hour)
	holder := chain[0].ID

	t.Run("Accept", func(t *testing.T) {
		m := newPendingMachine(t)
		in := AcceptInput{Actor: filer, Departments: []DepartmentRef{{ID: "a", Name: "a"}}, HolderOrgUnitID: holder}
		require.NoError(t, step(t, m, func() error { return m.checkAccept(in) }, func() { m.applyAccept(at, in, dl) }))
		require.Equal(t, whistle.CaseOpen, m.c.Status)
		require.Len(t, m.c.Tasks, 1)
		require.Equal(t, dl.Report, m.c.Tasks[0].ReportDeadline)
		require.Equal(t, whistle.EventAccepted, m.c.Timeline[1].Type)
		require.Equal(t, whistle.EventSummoned, m.c.Timeline[2].Type)
		// The acceptance clock is disarmed: the next clock is the report deadline.
		next, ok := m.nextDeadline()
		require.True(t, ok)
		require.Equal(t, dl.Report, next)
	})
	t.Run("Reject", func(t *testing.T) {
		m := newPendingMachine(t)
		in := RejectInput{Actor: filer, Reason: "非政府职能", HolderOrgUnitID: holder}
		require.NoError(t, step(t, m, func() error { return m.checkReject(in) }, func() { m.applyReject(at, in) }))
		require.Equal(t, whistle.CaseClosed, m.c.Status)
		require.Equal(t, whistle.OutcomeRejected, m.c.Outcome)
		require.Equal(t, "非政府职能", m.c.RejectReason)
		require.Equal(t, whistle.EventRejected, m.c.Timeline[1].Type)
		require.Equal(t, "非政府职能", m.c.Timeline[1].Detail)
		_, ok := m.nextDeadline()
		require.False(t, ok)
	})
	t.Run("Merge", func(t *testing.T) {
		m := newPendingMachine(t)
		in := MergeInput{Actor: filer, Into: "Q", IntoTitle: "first", HolderOrgUnitID: holder}
		require.NoError(t, step(t, m, func() error { return m.checkMerge(in) }, func() { m.applyMerge(at, in) }))
		require.Equal(t, whistle.OutcomeMerged, m.c.Outcome)
		require.Equal(t, "Q", m.c.MergedInto)
		require.Equal(t, whistle.CaseClosed, m.c.Status)
	})
	t.Run("Refusals", func(t *testing.T) {
		m := newPendingMachine(t)
		for _, tc := range []struct {
			name, code string
			check      func() error
		}{
			{"ErrAcceptNoDepartments", whistle.EInvalid, func() error { return m.checkAccept(AcceptInput{Actor: filer}) }},
			{"ErrAcceptTwice", whistle.EInvalid, func() error {
				return m.checkAccept(AcceptInput{Actor: filer, Departments: []DepartmentRef{{ID: "a"}, {ID: "a"}}})
			}},
			{"ErrRejectNoReason", whistle.EInvalid, func() error { return m.checkReject(RejectInput{Actor: filer, Reason: " "}) }},
			{"ErrMergeIntoItself", whistle.EInvalid, func() error { return m.checkMerge(MergeInput{Actor: filer, Into: "P"}) }},
			{"ErrMergeNoTarget", whistle.EInvalid, func() error { return m.checkMerge(MergeInput{Actor: filer}) }},
			{"ErrHolderMoved", whistle.EConflict, func() error { return m.checkReject(RejectInput{Actor: filer, Reason: "x", HolderOrgUnitID: "s"}) }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				require.Equal(t, tc.code, code(step(t, m, tc.check, func() {})))
			})
		}
		open := newTestMachine(t)
		require.Equal(t, whistle.EConflict, code(open.checkAccept(AcceptInput{Actor: filer, Departments: []DepartmentRef{{ID: "c"}}})))
		require.Equal(t, whistle.EConflict, code(open.checkReject(RejectInput{Actor: filer, Reason: "x"})))
		require.Equal(t, whistle.EConflict, code(open.checkMerge(MergeInput{Actor: filer, Into: "Q"})))
		// Summoning is for open cases: a pending case is accepted instead.
		require.Equal(t, whistle.EConflict, code(m.checkSummon(SummonInput{Actor: filer, Departments: []DepartmentRef{{ID: "a"}}})))
	})
	t.Run("AcceptClock", func(t *testing.T) {
		m := newPendingMachine(t)
		next, ok := m.nextDeadline()
		require.True(t, ok)
		require.Equal(t, st0.Add(2*time.Hour), next)
		require.False(t, m.onClock(st0.Add(time.Hour)), "nothing due yet")
		require.True(t, m.onClock(next))
		require.True(t, m.c.AcceptBreached)
		require.Len(t, m.c.Breaches, 1)
		b := m.c.Breaches[0]
		require.Equal(t, whistle.BreachAccept, b.Kind)
		require.Empty(t, b.TaskID)
		notes := m.takeOutbox()
		require.Len(t, notes, 1)
		require.Equal(t, chain[1].ID, notes[0].OrgUnitID, "the level above is told")
		_, ok = m.nextDeadline()
		require.False(t, ok, "the acceptance clock fires once")
		require.False(t, m.onClock(next.Add(time.Hour)))
		// Accepting late resolves the breach.
		in := AcceptInput{Actor: filer, Departments: []DepartmentRef{{ID: "a"}}}
		m.applyAccept(next.Add(time.Hour), in, dl)
		require.True(t, m.c.Breaches[0].Resolved)
	})
	t.Run("ResolvedOutcome", func(t *testing.T) {
		m := newTestMachine(t, "a")
		m.c.Status = whistle.CaseEvaluating
		m.c.Tasks[0].Status = whistle.TaskDone
		m.applyEvaluate(at, EvaluateInput{Actor: filer, DepartmentID: "a", Timeliness: 5, Quality: 5, Attitude: 5, Satisfaction: whistle.Satisfied})
		m.advance(at)
		require.Equal(t, whistle.CaseClosed, m.c.Status)
		require.Equal(t, whistle.OutcomeResolved, m.c.Outcome)
	})
}
