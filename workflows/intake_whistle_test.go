package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// A pending case's acceptance clock: 2 working hours by default, one
// breach (no task) when it passes, the street above told once; accepting
// later summons with fresh clocks and resolves the breach.
func TestWhistle_AcceptClock(t *testing.T) {
	h := newHarness(t)
	due := h.add(t0, whistle.DefaultAcceptWithin, false)
	wait := due.Sub(t0)
	before := h.caseAt(wait - time.Minute)
	after := h.caseAt(wait + time.Hour)
	acc := h.update(wait+2*time.Hour, workflows.UpdateAccept, workflows.AcceptInput{Actor: secretary,
		Departments: []workflows.DepartmentRef{dept("s1-citymgmt")}, HolderOrgUnitID: chain[0].ID})
	h.stopAt(wait + 3*time.Hour)
	h.run(input("A1", whistle.ClassKey))

	require.Equal(t, whistle.CasePending, before.Status)
	require.NotNil(t, before.AcceptDeadline)
	require.True(t, due.Equal(*before.AcceptDeadline), "want %s got %s", due, before.AcceptDeadline)
	require.Empty(t, before.Breaches)
	require.Len(t, after.Breaches, 1)
	require.Equal(t, whistle.BreachAccept, after.Breaches[0].Kind)
	require.Empty(t, after.Breaches[0].TaskID)
	alerts := h.notes.find(whistle.EventAcceptBreach)
	require.Len(t, alerts, 1, "the level above is told once")
	require.Equal(t, chain[1].ID, alerts[0].OrgUnitID)

	c := ok(t, acc)
	require.Equal(t, whistle.CaseOpen, c.Status)
	require.Len(t, c.Tasks, 1)
	require.True(t, c.Breaches[0].Resolved)
	accepted := t0.Add(wait + 2*time.Hour)
	require.True(t, h.clocks(whistle.ClassKey, accepted).Report.Equal(c.Tasks[0].ReportDeadline))
}

// The acceptance span is data: a source's setting replaces the default.
func TestWhistle_AcceptClockPerSource(t *testing.T) {
	h := newHarness(t)
	require.NoError(t, h.st.PutIntakeSetting(context.Background(), store.IntakeSetting{Source: string(whistle.SourceGrid), AcceptWithin: "30m"}))
	c := h.caseAt(time.Minute)
	h.stopAt(time.Hour)
	h.run(input("A2", whistle.ClassKey))
	require.NotNil(t, c.AcceptDeadline)
	require.True(t, h.add(t0, "30m", false).Equal(*c.AcceptDeadline))
}

func TestWhistle_RejectAndRefusals(t *testing.T) {
	h := newHarness(t)
	summon := h.update(time.Minute, workflows.UpdateSummon, workflows.SummonInput{Actor: secretary, Departments: []workflows.DepartmentRef{dept("s1-citymgmt")}})
	noReason := h.update(2*time.Minute, workflows.UpdateReject, workflows.RejectInput{Actor: secretary})
	rej := h.update(3*time.Minute, workflows.UpdateReject, workflows.RejectInput{Actor: secretary, Reason: "不属于政府职能"})
	c := h.run(input("J1", whistle.ClassKey))
	refused(t, summon, whistle.EConflict)
	refused(t, noReason, whistle.EInvalid)
	ok(t, rej)
	require.Equal(t, whistle.CaseClosed, c.Status)
	require.Equal(t, whistle.OutcomeRejected, c.Outcome)
	require.Equal(t, "不属于政府职能", c.RejectReason)
	require.Equal(t, []string{whistle.EventFiled, whistle.EventRejected, whistle.EventClosed}, types(c))
	row, err := h.st.Case(context.Background(), "J1")
	require.NoError(t, err)
	require.Equal(t, whistle.OutcomeRejected, row.Outcome)
	require.Equal(t, "不属于政府职能", row.RejectReason)
}

// Merging signals the survivor before the case closes; a survivor that is
// gone refuses the merge and the case stays pending.
func TestWhistle_Merge(t *testing.T) {
	t.Run("Merged", func(t *testing.T) {
		h := newHarness(t)
		h.env.OnSignalExternalWorkflow(mock.Anything, workflows.WorkflowID("S1"), "", workflows.SignalMergedIn, mock.Anything).Return(nil).Once()
		m := h.update(time.Minute, workflows.UpdateMerge, workflows.MergeInput{Actor: secretary, Into: "S1"})
		c := h.run(input("M1", whistle.ClassKey))
		ok(t, m)
		require.Equal(t, whistle.OutcomeMerged, c.Outcome)
		require.Equal(t, "S1", c.MergedInto)
		h.env.AssertExpectations(t)
	})
	t.Run("SurvivorGone", func(t *testing.T) {
		h := newHarness(t)
		h.env.OnSignalExternalWorkflow(mock.Anything, workflows.WorkflowID("S2"), "", workflows.SignalMergedIn, mock.Anything).Return(errors.New("not found"))
		m := h.update(time.Minute, workflows.UpdateMerge, workflows.MergeInput{Actor: secretary, Into: "S2"})
		st := h.caseAt(2 * time.Minute)
		h.stopAt(time.Hour)
		h.run(input("M2", whistle.ClassKey))
		require.True(t, m.done)
		require.Equal(t, whistle.EConflict, whistle.ErrorCode(workflows.AsError(m.err)))
		require.Equal(t, whistle.CasePending, st.Status)
	})
	t.Run("SurvivorRecords", func(t *testing.T) {
		h := newHarness(t)
		h.env.RegisterDelayedCallback(func() {
			h.env.SignalWorkflow(workflows.SignalMergedIn, workflows.MergedInInput{Actor: secretary, CaseID: "D1", Title: "dup"})
		}, time.Minute)
		c := h.caseAt(2 * time.Minute)
		h.stopAt(time.Hour)
		h.run(input("S3", whistle.ClassKey, "s1-citymgmt"))
		require.Contains(t, types(*c), whistle.EventMergedIn)
		require.Equal(t, "D1 dup", c.Timeline[len(c.Timeline)-1].Detail)
	})
}
