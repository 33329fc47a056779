package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// The four levels both ways and the exceptions of a joint case, each
// branch in the time-skipping suite on the real activities.

var districtCommander = whistle.Actor{UserID: "u-d1", Username: "d1-commander", Role: whistle.RoleCommander,
	OrgUnitID: chain[2].ID, OrgPath: whistle.OrgPath(chain[2].Path)}

// An escalation asked for waits for the level above: it accepts (and
// holds the case) or sends it back with instructions; left unanswered past
// its clock it is the upper level's breach, and the level above that is told.
func TestWhistle_EscalationAnswered(t *testing.T) {
	h := newHarness(t)
	ask := func(at time.Duration, a whistle.Actor, reason string) *result {
		return h.update(at, workflows.UpdateEscalate, workflows.EscalateInput{Actor: a, Reason: reason})
	}
	answer := func(at time.Duration, by workflows.OrgRef, accept bool, comment string) *result {
		return h.update(at, workflows.UpdateAnswerEscalation, workflows.AnswerEscalationInput{Actor: streetSecretary, Accept: accept, Comment: comment, ByOrgUnitID: by.ID})
	}
	e1 := ask(time.Hour, secretary, "涉及多个街道")
	again := ask(90*time.Minute, secretary, "再报")
	own := answer(2*time.Hour, chain[0], true, "")
	bare := answer(150*time.Minute, chain[1], false, "")
	took := answer(3*time.Hour, chain[1], true, "街道接收")
	e2 := ask(4*time.Hour, streetSecretary, "需区级协调")
	back := answer(5*time.Hour, chain[2], false, "请街道先召集联席会议")
	e3 := ask(6*time.Hour, streetSecretary, "联席会议未果")
	// Coordination: the district answers within its report span (2 working days).
	due := h.clocks(whistle.ClassCoordination, t0.Add(6*time.Hour)).Report
	late := h.caseAt(due.Sub(t0) + time.Minute)
	accepted := answer(due.Sub(t0)+time.Hour, chain[2], true, "区级接收")
	h.stopAt(due.Sub(t0) + 2*time.Hour)
	h.run(input("EA", whistle.ClassCoordination, "s1-police"))

	c := ok(t, e1)
	require.Equal(t, whistle.LevelCommunity, c.Level, "the case stays until the level above accepts")
	require.Len(t, c.Escalations, 1)
	require.Equal(t, whistle.EscalationPending, c.Escalations[0].Status)
	require.NotNil(t, c.Escalations[0].AnswerDeadline)
	require.Equal(t, chain[1].Path, c.Escalations[0].ToOrgPath)
	require.Len(t, h.notes.find(whistle.EventEscalationRequested), 3)
	refused(t, again, whistle.EConflict)
	refused(t, own, whistle.EForbidden)
	refused(t, bare, whistle.EInvalid)
	c = ok(t, took)
	require.Equal(t, whistle.LevelStreet, c.Level)
	require.Equal(t, chain[1].ID, c.HolderOrgUnitID)
	require.Equal(t, whistle.EscalationAccepted, c.Escalations[0].Status)
	require.Equal(t, whistle.EscalationPending, ok(t, e2).Escalations[1].Status)
	c = ok(t, back)
	require.Equal(t, whistle.LevelStreet, c.Level, "sent back: the street keeps it")
	require.Equal(t, whistle.EscalationReturned, c.Escalations[1].Status)
	require.Equal(t, "请街道先召集联席会议", c.Escalations[1].Comment)
	require.Len(t, h.notes.find(whistle.EventEscalationReturned), 1)
	ok(t, e3)

	var b whistle.Breach
	for _, x := range late.Breaches {
		if x.Kind == whistle.BreachEscalation {
			require.Empty(t, b.ID, "one escalation breach")
			b = x
		}
	}
	require.Equal(t, whistle.LevelDistrict, b.Level, "the upper level's breach")
	require.Empty(t, b.TaskID)
	require.False(t, b.Resolved)
	require.True(t, late.Escalations[2].AnswerBreached)
	alerts := h.notes.find(whistle.EventEscalationAnswerBreach)
	require.Len(t, alerts, 1)
	require.Equal(t, chain[3].ID, alerts[0].OrgUnitID, "the city hears the district did not answer")
	c = ok(t, accepted)
	require.Equal(t, whistle.LevelDistrict, c.Level)
	for _, x := range c.Breaches {
		if x.ID == b.ID {
			require.True(t, x.Resolved, "answered late: the breach stays on record, resolved")
		}
	}
}

// With the review step the asking level's own command centre passes the
// escalation up before the level above's clock starts.
func TestWhistle_EscalationReview(t *testing.T) {
	h := newHarness(t)
	ask := h.update(time.Hour, workflows.UpdateEscalate, workflows.EscalateInput{Actor: secretary, Reason: "需街道协调", Review: true})
	early := h.update(2*time.Hour, workflows.UpdateAnswerEscalation, workflows.AnswerEscalationInput{Actor: streetSecretary, Accept: true, ByOrgUnitID: chain[1].ID})
	reviewed := h.update(3*time.Hour, workflows.UpdateAnswerEscalation, workflows.AnswerEscalationInput{Actor: secretary, Accept: true, Comment: "同意上报", ByOrgUnitID: chain[0].ID})
	took := h.update(4*time.Hour, workflows.UpdateAnswerEscalation, workflows.AnswerEscalationInput{Actor: streetSecretary, Accept: true, ByOrgUnitID: chain[1].ID})
	h.stopAt(5 * time.Hour)
	h.run(input("ER", whistle.ClassRoutine, "s1-police"))

	c := ok(t, ask)
	require.Equal(t, whistle.EscalationInReview, c.Escalations[0].Status)
	require.Nil(t, c.Escalations[0].AnswerDeadline, "no clock for the level above until reviewed")
	refused(t, early, whistle.EForbidden)
	c = ok(t, reviewed)
	require.Equal(t, whistle.EscalationPending, c.Escalations[0].Status)
	require.NotNil(t, c.Escalations[0].AnswerDeadline)
	require.Equal(t, whistle.LevelCommunity, c.Level)
	require.Equal(t, whistle.LevelStreet, ok(t, took).Level)
}

// A district files a case and dispatches it down to a street, which
// accepts it and whistles its own departments, hands it on to a community
// and recalls it; escalation then goes back up through the district.
func TestWhistle_DispatchAndRecall(t *testing.T) {
	h := newHarness(t)
	in := input("DR", whistle.ClassRoutine)
	in.Filer, in.OrgUnitID, in.OrgPath, in.Chain = districtCommander, chain[2].ID, chain[2].Path, chain[2:]
	down := h.update(time.Hour, workflows.UpdateDispatch, workflows.DispatchInput{Actor: districtCommander, To: chain[1], Chain: chain[1:], Reason: "属地处置", HolderOrgUnitID: chain[2].ID})
	outside := workflows.OrgRef{ID: "110102001", Path: "/110000/110102/110102001/", Level: whistle.LevelStreet}
	away := h.update(90*time.Minute, workflows.UpdateDispatch, workflows.DispatchInput{Actor: streetSecretary, To: outside, Chain: []workflows.OrgRef{outside}, HolderOrgUnitID: chain[1].ID})
	wrongRecall := h.update(2*time.Hour, workflows.UpdateRecall, workflows.RecallInput{Actor: streetSecretary, ByOrgUnitID: chain[1].ID, HolderOrgUnitID: chain[1].ID})
	accept := h.update(150*time.Minute, workflows.UpdateAccept, workflows.AcceptInput{Actor: streetSecretary, Departments: []workflows.DepartmentRef{dept("s1-police")}, HolderOrgUnitID: chain[1].ID})
	toCommunity := h.update(3*time.Hour, workflows.UpdateDispatch, workflows.DispatchInput{Actor: streetSecretary, To: chain[0], Chain: chain, HolderOrgUnitID: chain[1].ID})
	recall := h.update(4*time.Hour, workflows.UpdateRecall, workflows.RecallInput{Actor: streetSecretary, Reason: "街道直接处置", ByOrgUnitID: chain[1].ID, HolderOrgUnitID: chain[0].ID})
	up := h.update(5*time.Hour, workflows.UpdateEscalate, workflows.EscalateInput{Actor: streetSecretary, Reason: "需区级协调", HolderOrgUnitID: chain[1].ID})
	whileUp := h.update(6*time.Hour, workflows.UpdateDispatch, workflows.DispatchInput{Actor: streetSecretary, To: chain[0], Chain: chain, HolderOrgUnitID: chain[1].ID})
	h.stopAt(7 * time.Hour)
	h.run(in)

	c := ok(t, down)
	require.Equal(t, whistle.CasePending, c.Status, "a pending case handed down stays pending")
	require.Equal(t, chain[1].ID, c.HolderOrgUnitID)
	require.Equal(t, whistle.LevelStreet, c.Level)
	require.Len(t, c.Dispatches, 1)
	require.Equal(t, chain[2].ID, c.Dispatches[0].FromOrgUnit)
	notes := h.notes.find(whistle.EventDispatched)
	require.NotEmpty(t, notes)
	require.Equal(t, chain[1].ID, notes[0].OrgUnitID, "the receiving unit is told")
	refused(t, away, whistle.EForbidden)
	refused(t, wrongRecall, whistle.EForbidden)
	c = ok(t, accept)
	require.Equal(t, whistle.LevelStreet, taskOf(t, c, "s1-police").SummonedLevel)
	require.Equal(t, chain[0].ID, ok(t, toCommunity).HolderOrgUnitID)
	c = ok(t, recall)
	require.Equal(t, chain[1].ID, c.HolderOrgUnitID)
	require.NotNil(t, c.Dispatches[1].RecalledAt)
	c = ok(t, up)
	require.Equal(t, chain[2].ID, c.Escalations[0].ToOrgUnitID, "escalation goes back up through the district")
	refused(t, whileUp, whistle.EConflict)
}

// A return waits for the holder: refused, the task goes back with its
// clocks and its breach still open; accepted, the holder drops it and the
// case moves on without it.
func TestWhistle_ReturnReviewed(t *testing.T) {
	h := newHarness(t)
	t1, t2 := taskID("RV", 1), taskID("RV", 2)
	late := h.clocks(whistle.ClassRoutine, t0).Report.Sub(t0) + time.Hour
	ret := func(at time.Duration) *result {
		return h.update(at, workflows.UpdateReturn, workflows.ReturnInput{Actor: clerk("s1-market"), TaskID: t2, Reason: "不属于市场监管职责"})
	}
	answer := func(at time.Duration, accept bool, comment string) *result {
		return h.update(at, workflows.UpdateAnswerReturn, workflows.AnswerReturnInput{Actor: secretary, TaskID: t2, Accept: accept, Comment: comment})
	}
	r1 := ret(late)
	bare := answer(late+time.Hour, false, "")
	refuse := answer(late+2*time.Hour, false, "涉及无照经营，属市场监管职责")
	r2 := ret(late + 3*time.Hour)
	accept := answer(late+4*time.Hour, true, "同意退回")
	h.update(late+5*time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-citymgmt"), TaskID: t1})
	fb := h.update(late+6*time.Hour, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-citymgmt"), TaskID: t1, Result: "已处理"})
	drop := h.update(late+7*time.Hour, workflows.UpdateDrop, workflows.DropInput{Actor: secretary, TaskID: t2, Reason: "退回已同意，无需改派"})
	h.stopAt(late + 8*time.Hour)
	h.run(input("RV", whistle.ClassRoutine, "s1-citymgmt", "s1-market"))

	c := ok(t, r1)
	task := c.Tasks[1]
	require.Equal(t, whistle.TaskReturnRequested, task.Status)
	require.Equal(t, whistle.TaskSummoned, task.ReturnFrom)
	breaches := func(c whistle.Case) (open int) {
		for _, b := range c.Breaches {
			if b.TaskID == t2 && !b.Resolved {
				open++
			}
		}
		return open
	}
	require.Equal(t, 1, breaches(c), "a return does not resolve the report breach")
	require.Len(t, h.notes.find(whistle.EventReturnRequested), 2)
	refused(t, bare, whistle.EInvalid)
	c = ok(t, refuse)
	require.Equal(t, whistle.TaskSummoned, c.Tasks[1].Status, "refused: back to the department as it was")
	require.Equal(t, 1, breaches(c))
	require.Len(t, h.notes.find(whistle.EventReturnRefused), 1)
	ok(t, r2)
	c = ok(t, accept)
	require.Equal(t, whistle.TaskReturned, c.Tasks[1].Status)
	require.Equal(t, 1, breaches(c), "the breach stays on record")
	require.Equal(t, whistle.CaseOpen, ok(t, fb).Status, "an accepted return not yet re-routed or dropped holds the case")
	c = ok(t, drop)
	require.Equal(t, whistle.TaskDropped, c.Tasks[1].Status)
	require.Equal(t, whistle.CaseVerifying, c.Status)
}

// Dropping the only department sends the case back to the acceptance
// queue; a done task cannot be dropped.
func TestWhistle_DropToPending(t *testing.T) {
	h := newHarness(t)
	t1 := taskID("DP", 1)
	noReason := h.update(time.Hour, workflows.UpdateDrop, workflows.DropInput{Actor: secretary, TaskID: t1})
	drop := h.update(2*time.Hour, workflows.UpdateDrop, workflows.DropInput{Actor: secretary, TaskID: t1, Reason: "误派"})
	report := h.update(3*time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: t1})
	accept := h.update(4*time.Hour, workflows.UpdateAccept, workflows.AcceptInput{Actor: secretary, Departments: []workflows.DepartmentRef{dept("s1-citymgmt")}})
	h.update(5*time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-citymgmt"), TaskID: taskID("DP", 2)})
	h.update(6*time.Hour, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-citymgmt"), TaskID: taskID("DP", 2), Result: "已处理"})
	dropDone := h.update(7*time.Hour, workflows.UpdateDrop, workflows.DropInput{Actor: secretary, TaskID: taskID("DP", 2), Reason: "误派"})
	h.stopAt(8 * time.Hour)
	h.run(input("DP", whistle.ClassRoutine, "s1-police"))

	refused(t, noReason, whistle.EInvalid)
	c := ok(t, drop)
	require.Equal(t, whistle.CasePending, c.Status)
	require.Equal(t, whistle.TaskDropped, c.Tasks[0].Status)
	require.Equal(t, "误派", c.Tasks[0].DropReason)
	require.Contains(t, types(c), whistle.EventBackToPending)
	require.Len(t, h.notes.find(whistle.EventDropped), 1)
	refused(t, report, whistle.EConflict)
	require.Equal(t, whistle.CaseOpen, ok(t, accept).Status)
	refused(t, dropDone, whistle.EConflict)
}

// The lead (主办) hears the assisting departments' feedback and may release
// one; verification waits for the rest.
func TestWhistle_LeadAndAssisting(t *testing.T) {
	h := newHarness(t)
	t1, t2, t3 := taskID("LA", 1), taskID("LA", 2), taskID("LA", 3)
	lead := h.update(time.Hour, workflows.UpdateSetLead, workflows.SetLeadInput{Actor: secretary, TaskID: t1})
	notLead := h.update(2*time.Hour, workflows.UpdateRelease, workflows.ReleaseInput{Actor: clerk("s1-market"), TaskID: t3, Reason: "无需协办"})
	self := h.update(150*time.Minute, workflows.UpdateRelease, workflows.ReleaseInput{Actor: clerk("s1-citymgmt"), TaskID: t1, Reason: "x"})
	release := h.update(3*time.Hour, workflows.UpdateRelease, workflows.ReleaseInput{Actor: clerk("s1-citymgmt"), TaskID: t2, Reason: "无需市场监管协办"})
	h.update(4*time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: t3})
	h.update(5*time.Hour, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-police"), TaskID: t3, Result: "已维持秩序"})
	h.update(6*time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-citymgmt"), TaskID: t1})
	done := h.update(7*time.Hour, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-citymgmt"), TaskID: t1, Result: "已清理"})
	h.stopAt(8 * time.Hour)
	h.run(input("LA", whistle.ClassRoutine, "s1-citymgmt", "s1-market", "s1-police"))

	c := ok(t, lead)
	require.True(t, c.Tasks[0].Lead)
	refused(t, notLead, whistle.EForbidden)
	refused(t, self, whistle.EInvalid)
	c = ok(t, release)
	require.Equal(t, whistle.TaskReleased, c.Tasks[1].Status)
	var toLead int
	for _, n := range h.notes.find(whistle.EventFeedback) {
		if n.DepartmentID == "s1-citymgmt" && n.TaskID == t1 {
			toLead++
		}
	}
	require.Equal(t, 1, toLead, "the assisting department's feedback reaches the lead")
	require.Equal(t, whistle.CaseVerifying, ok(t, done).Status)
}

// A failed verification naming one department reopens only its task.
func TestWhistle_TargetedRework(t *testing.T) {
	h := newHarness(t)
	t1, t2 := taskID("TR", 1), taskID("TR", 2)
	for i, id := range []string{t1, t2} {
		d := []string{"s1-citymgmt", "s1-market"}[i]
		h.update(time.Duration(i+1)*time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk(d), TaskID: id})
		h.update(time.Duration(i+3)*time.Hour, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk(d), TaskID: id, Result: "已处理"})
	}
	unknown := h.update(5*time.Hour, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: false, Comment: "x", DepartmentIDs: []string{"s1-police"}})
	passedNamed := h.update(5*time.Hour+time.Minute, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true, DepartmentIDs: []string{"s1-market"}})
	failed := h.update(6*time.Hour, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: false, Comment: "摊位仍在", DepartmentIDs: []string{"s1-market"}})
	h.stopAt(7 * time.Hour)
	h.run(input("TR", whistle.ClassRoutine, "s1-citymgmt", "s1-market"))

	refused(t, unknown, whistle.EInvalid)
	refused(t, passedNamed, whistle.EInvalid)
	c := ok(t, failed)
	require.Equal(t, whistle.CaseOpen, c.Status)
	require.Equal(t, whistle.TaskDone, c.Tasks[0].Status, "the department not named stays done")
	require.Equal(t, whistle.TaskReported, c.Tasks[1].Status)
	require.Equal(t, 1, c.Tasks[1].Reopened)
	require.Equal(t, 0, c.Tasks[0].Reopened)
	require.Len(t, h.notes.find(whistle.EventReopened), 1)
}

// An unresolvable application is answered by the level above: refused,
// the case goes on; approved, it closes as unresolvable and its
// departments are released.
func TestWhistle_Unresolvable(t *testing.T) {
	h := newHarness(t)
	apply := func(at time.Duration, reason string) *result {
		return h.update(at, workflows.UpdateApplyUnresolvable, workflows.UnresolvableInput{Actor: secretary, Reason: reason})
	}
	answer := func(at time.Duration, by workflows.OrgRef, approve bool, comment string) *result {
		return h.update(at, workflows.UpdateAnswerUnresolvable, workflows.AnswerUnresolvableInput{Actor: streetSecretary, Approve: approve, Comment: comment, ByOrgUnitID: by.ID})
	}
	noReason := apply(time.Hour, " ")
	a1 := apply(2*time.Hour, "涉及产权诉讼，待法院判决")
	dup := apply(3*time.Hour, "再申请")
	own := answer(4*time.Hour, chain[0], true, "")
	refuse := answer(5*time.Hour, chain[1], false, "先协调产权方")
	apply(6*time.Hour, "协调未果，诉讼中")
	approve := answer(7*time.Hour, chain[1], true, "同意挂账，每月复核")
	c := h.run(input("UN", whistle.ClassRoutine, "s1-police"))

	refused(t, noReason, whistle.EInvalid)
	u := ok(t, a1).Unresolvable
	require.Equal(t, whistle.UnresolvablePending, u.Status)
	require.Equal(t, chain[1].ID, u.ApproverOrgUnitID, "the street above the community answers")
	refused(t, dup, whistle.EConflict)
	refused(t, own, whistle.EForbidden)
	r := ok(t, refuse)
	require.Equal(t, whistle.CaseOpen, r.Status)
	require.Equal(t, whistle.UnresolvableRefused, r.Unresolvable.Status)
	ok(t, approve)
	require.Equal(t, whistle.CaseClosed, c.Status)
	require.Equal(t, whistle.OutcomeUnresolvable, c.Outcome)
	require.Equal(t, whistle.TaskDropped, c.Tasks[0].Status)
	require.Equal(t, whistle.EventClosed, c.Timeline[len(c.Timeline)-1].Type)
}

// Extensions are asked before the deadline, at most twice, and never past
// the first handling deadline plus 15 working days.
func TestWhistle_ExtensionLimits(t *testing.T) {
	h := newHarness(t)
	id := taskID("XL", 1)
	dl := h.clocks(whistle.ClassKey, t0)
	ask := func(at time.Duration, in workflows.ExtensionInput) *result {
		in.Actor, in.TaskID, in.Reason = clerk("s1-police"), id, "需等待检测报告"
		return h.update(at, workflows.UpdateRequestExtension, in)
	}
	grant := func(at time.Duration) *result {
		return h.update(at, workflows.UpdateAnswerExtension, workflows.AnswerExtensionInput{Actor: secretary, TaskID: id, Grant: true})
	}
	h.update(time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: id})
	farAway := h.add(dl.Handle, "16d", false)
	tooFar := ask(2*time.Hour, workflows.ExtensionInput{Until: &farAway})
	ask(3*time.Hour, workflows.ExtensionInput{Extra: "1d"})
	grant(4 * time.Hour)
	ask(5*time.Hour, workflows.ExtensionInput{Extra: "1d"})
	second := grant(6 * time.Hour)
	third := ask(7*time.Hour, workflows.ExtensionInput{Extra: "1d"})
	h.stopAt(8 * time.Hour)
	h.run(input("XL", whistle.ClassKey, "s1-police"))

	refused(t, tooFar, whistle.EInvalid)
	c := ok(t, second)
	require.Equal(t, 2, c.Tasks[0].Extensions)
	require.Equal(t, 2, c.Tasks[0].ExtensionLimits.Count)
	require.True(t, h.add(dl.Handle, "15d", false).Equal(*c.Tasks[0].ExtensionLimits.Cap))
	refused(t, third, whistle.EConflict)

	t.Run("after the deadline", func(t *testing.T) {
		h := newHarness(t)
		after := dl.Handle.Sub(t0) + time.Hour
		late := h.update(after, workflows.UpdateRequestExtension, workflows.ExtensionInput{Actor: clerk("s1-police"), TaskID: taskID("XD", 1), Extra: "1d", Reason: "来不及"})
		h.stopAt(after + time.Hour)
		h.run(input("XD", whistle.ClassKey, "s1-police"))
		refused(t, late, whistle.EConflict)
	})
}
