package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// Warnings, urging and supervision orders in the time-skipping suite on
// the real activities and the default policy (50% and 75%).

// A key case's report clock (2 working hours) warns yellow at half and red
// at three quarters, the department and the holder are told each time,
// reporting stops that clock's warning, and the handling clock warns in
// its turn.
func TestWhistle_Warnings(t *testing.T) {
	h := newHarness(t)
	id := taskID("W1", 1)
	dl := h.clocks(whistle.ClassKey, t0)
	handleYellow := h.cal.Add(t0, spanOf(h.cal.WorkingBetween(t0, dl.Handle)/2), false)
	before := h.caseAt(59 * time.Minute)
	yellow := h.caseAt(61 * time.Minute)
	red := h.caseAt(91 * time.Minute)
	rep := h.update(100*time.Minute, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: id})
	beforeHandle := h.caseAt(handleYellow.Sub(t0) - time.Minute)
	afterHandle := h.caseAt(handleYellow.Sub(t0) + time.Minute)
	h.stopAt(handleYellow.Sub(t0) + time.Hour)
	c := h.run(input("W1", whistle.ClassKey, "s1-police"))

	require.Len(t, before.Tasks[0].WarnAt.Report, 2)
	require.True(t, t0.Add(time.Hour).Equal(before.Tasks[0].WarnAt.Report[0]), "yellow at half the report span")
	require.True(t, t0.Add(90*time.Minute).Equal(before.Tasks[0].WarnAt.Report[1]), "red at three quarters")
	require.Equal(t, whistle.WarningNone, before.Tasks[0].Warning)
	require.Equal(t, whistle.WarningYellow, yellow.Tasks[0].Warning)
	require.Equal(t, whistle.WarningRed, red.Tasks[0].Warning)
	require.Equal(t, whistle.WarningNone, ok(t, rep).Tasks[0].Warning, "reported: the report clock no longer warns")
	require.Equal(t, whistle.WarningNone, beforeHandle.Tasks[0].Warning)
	require.Equal(t, whistle.WarningYellow, afterHandle.Tasks[0].Warning, "the handling clock warns in its turn")
	require.Empty(t, afterHandle.Breaches, "warnings come before any breach")

	notes := h.notes.find(whistle.EventWarning)
	require.Len(t, notes, 6, "three warnings, each to the department and the holder")
	var toDept, toHolder int
	for _, n := range notes { // sent concurrently: in any order
		switch {
		case n.DepartmentID == "s1-police":
			toDept++
		case n.OrgUnitID == chain[0].ID:
			toHolder++
		}
		require.NotNil(t, n.Deadline)
		require.True(t, dl.Report.Equal(*n.Deadline) || dl.Handle.Equal(*n.Deadline), "the deadline warned of: %v", n.Deadline)
	}
	require.Equal(t, 3, toDept)
	require.Equal(t, 3, toHolder)
	var warnings int
	for _, e := range c.Timeline {
		if e.Type == whistle.EventWarning {
			warnings++
		}
	}
	require.Equal(t, 3, warnings)

	t.Run("wall clock, both thresholds passed at once", func(t *testing.T) {
		h := newHarness(t)
		at := h.caseAt(23 * time.Minute)
		h.stopAt(24 * time.Minute)
		h.run(input("W2", whistle.ClassEmergency, "s1-police"))
		task := at.Tasks[0]
		require.True(t, t0.Add(15*time.Minute).Equal(task.WarnAt.Report[0]))
		require.True(t, t0.Add(22*time.Minute+30*time.Second).Equal(task.WarnAt.Report[1]))
		require.Equal(t, whistle.WarningRed, task.Warning)
	})
}

// An extension granted gives the handling clock fresh thresholds.
func TestWhistle_WarningsAfterExtension(t *testing.T) {
	h := newHarness(t)
	id := taskID("WX", 1)
	h.update(time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: id})
	h.update(2*time.Hour, workflows.UpdateRequestExtension, workflows.ExtensionInput{Actor: clerk("s1-police"), TaskID: id, Extra: "5d", Reason: "等待检测"})
	grant := h.update(3*time.Hour, workflows.UpdateAnswerExtension, workflows.AnswerExtensionInput{Actor: secretary, TaskID: id, Grant: true})
	h.stopAt(4 * time.Hour)
	h.run(input("WX", whistle.ClassKey, "s1-police"))

	task := ok(t, grant).Tasks[0]
	from := t0.Add(3 * time.Hour)
	want := h.cal.Add(from, spanOf(h.cal.WorkingBetween(from, task.HandleDeadline)/2), false)
	require.True(t, want.Equal(task.WarnAt.Handle[0]), "want %v got %v", want, task.WarnAt.Handle[0])
	require.Equal(t, 0, task.WarnedHandle)
}

// 催办: once per hour per task, a timeline entry and a notification each.
func TestWhistle_Urge(t *testing.T) {
	h := newHarness(t)
	t1, t2 := taskID("UG", 1), taskID("UG", 2)
	urge := func(at time.Duration, task, msg string) *result {
		return h.update(at, workflows.UpdateUrge, workflows.UrgeInput{Actor: streetSecretary, TaskID: task, Message: msg})
	}
	first := urge(time.Hour, t1, "请尽快到场")
	soon := urge(90*time.Minute, t1, "再催")
	other := urge(95*time.Minute, t2, "请尽快到场")
	blank := urge(100*time.Minute, t1, " ")
	second := urge(2*time.Hour+time.Minute, t1, "再催")
	h.update(3*time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-market"), TaskID: t2})
	h.update(4*time.Hour, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-market"), TaskID: t2, Result: "已处理"})
	done := urge(5*time.Hour, t2, "催已办结的任务")
	h.stopAt(6 * time.Hour)
	h.run(input("UG", whistle.ClassRoutine, "s1-police", "s1-market"))

	require.Equal(t, 1, ok(t, first).Tasks[0].Urges)
	refused(t, soon, whistle.ERateLimited)
	ok(t, other)
	refused(t, blank, whistle.EInvalid)
	c := ok(t, second)
	require.Equal(t, 2, c.Tasks[0].Urges)
	refused(t, done, whistle.EConflict)
	urged := h.notes.find(whistle.EventUrged)
	require.Len(t, urged, 3)
	var police int
	for _, n := range urged {
		if n.DepartmentID == "s1-police" {
			police++
		}
	}
	require.Equal(t, 2, police)
}

// 督办: an order to two departments; one answers in time, the other's
// silence past the due is a breach of its own kind, and its late answer
// resolves it.
func TestWhistle_SupervisionOrders(t *testing.T) {
	h := newHarness(t)
	supervisor := whistle.Actor{UserID: "u-d1s", Username: "d1-supervisor", Role: whistle.RoleSupervisor, OrgUnitID: chain[2].ID, OrgPath: whistle.OrgPath(chain[2].Path)}
	issuer := chain[2]
	order := func(at time.Duration, due time.Time, depts ...string) *result {
		in := workflows.SupervisionOrderInput{Actor: supervisor, Requirement: "三日内清理完毕并报告", Due: due, Issuer: issuer}
		for _, d := range depts {
			in.Departments = append(in.Departments, dept(d))
		}
		return h.update(at, workflows.UpdateSupervisionOrder, in)
	}
	answer := func(at time.Duration, by, orderID string) *result {
		return h.update(at, workflows.UpdateAnswerSupervisionOrder, workflows.AnswerSupervisionOrderInput{Actor: clerk(by), OrderID: orderID, Answer: "已按要求处理"})
	}
	due := t0.Add(3 * time.Hour)
	past := order(time.Hour, t0.Add(30*time.Minute), "s1-police")
	stranger := order(time.Hour+time.Minute, due, "s1-housing")
	issued := order(time.Hour+2*time.Minute, due, "s1-police", "s1-market")
	inTime := answer(2*time.Hour, "s1-police", "SO-S1")
	twice := answer(2*time.Hour+time.Minute, "s1-police", "SO-S1")
	notNamed := answer(2*time.Hour+2*time.Minute, "s1-citymgmt", "SO-S1")
	unknown := answer(2*time.Hour+3*time.Minute, "s1-market", "SO-S9")
	overdue := h.caseAt(3*time.Hour + time.Minute)
	late := answer(4*time.Hour, "s1-market", "SO-S1")
	h.stopAt(5 * time.Hour)
	h.run(input("SO", whistle.ClassRoutine, "s1-police", "s1-market", "s1-citymgmt"))

	refused(t, past, whistle.EInvalid)
	refused(t, stranger, whistle.EInvalid)
	o := ok(t, issued).SupervisionOrders[0]
	require.Equal(t, "SO-S1", o.ID)
	require.Len(t, o.Departments, 2)
	require.Len(t, h.notes.find(whistle.EventSupervisionOrdered), 2)
	c := ok(t, inTime)
	require.False(t, c.SupervisionOrders[0].Departments[0].Late)
	refused(t, twice, whistle.EConflict)
	refused(t, notNamed, whistle.EForbidden)
	refused(t, unknown, whistle.ENotFound)

	var b whistle.Breach
	for _, x := range overdue.Breaches {
		if x.Kind == whistle.BreachSupervision {
			require.Empty(t, b.ID, "one department missed the order")
			b = x
		}
	}
	require.Equal(t, "s1-market", b.DepartmentID)
	require.True(t, due.Equal(b.Deadline))
	require.True(t, overdue.SupervisionOrders[0].Departments[1].Breached)
	missed := h.notes.find(whistle.EventSupervisionBreach)
	require.Len(t, missed, 1)
	require.Equal(t, issuer.ID, missed[0].OrgUnitID, "the issuing unit hears of it")

	c = ok(t, late)
	d := c.SupervisionOrders[0].Departments[1]
	require.True(t, d.Late)
	require.False(t, c.SupervisionOrders[0].Open())
	for _, x := range c.Breaches {
		if x.ID == b.ID {
			require.True(t, x.Resolved, "the late answer resolves the breach, which stays on record")
		}
	}
	require.Len(t, h.notes.find(whistle.EventSupervisionAnswered), 2)
}

func TestOrderCaseID(t *testing.T) {
	for _, tt := range []struct {
		id, want string
		ok       bool
	}{
		{"C-20261202-S3", "C-20261202", true},
		{"abc-S12", "abc", true},
		{"abc-S", "", false},
		{"abc-Sx", "", false},
		{"-S1", "", false},
		{"abc", "", false},
	} {
		got, ok := workflows.OrderCaseID(tt.id)
		require.Equal(t, tt.ok, ok, tt.id)
		require.Equal(t, tt.want, got, tt.id)
	}
}
