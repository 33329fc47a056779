package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// A routine joint whistle through the whole loop: summoned, reported,
// feedback, verified, evaluated, closed; the read model follows.
func TestWhistle_FullLoop(t *testing.T) {
	h := newHarness(t)
	in := input("C1", whistle.ClassRoutine, "s1-citymgmt", "s1-market")
	t1, t2 := taskID("C1", 1), taskID("C1", 2)
	start := h.caseAt(time.Second)
	h.update(1*time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-citymgmt"), TaskID: t1})
	h.update(2*time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-market"), TaskID: t2})
	fb1 := h.update(3*time.Hour, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-citymgmt"), TaskID: t1, Result: "已清理", Evidence: []string{"https://x/1.jpg"}})
	fb2 := h.update(4*time.Hour, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-market"), TaskID: t2, Result: "已立案"})
	vf := h.update(5*time.Hour, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true, Comment: "现场已恢复"})
	ev1 := h.update(6*time.Hour, workflows.UpdateEvaluate, workflows.EvaluateInput{Actor: secretary, DepartmentID: "s1-citymgmt", Timeliness: 5, Quality: 4, Attitude: 5, Satisfaction: whistle.Satisfied})
	h.update(7*time.Hour, workflows.UpdateEvaluate, workflows.EvaluateInput{Actor: secretary, DepartmentID: "s1-market", Timeliness: 4, Quality: 4, Attitude: 4, Satisfaction: whistle.BasicallySatisfied})

	c := h.run(in)
	require.NoError(t, h.env.GetWorkflowError())

	require.Len(t, start.Tasks, 2)
	require.Equal(t, whistle.TaskSummoned, start.Tasks[0].Status)
	require.Equal(t, whistle.CaseOpen, ok(t, fb1).Status, "one department still working")
	require.Equal(t, whistle.CaseVerifying, ok(t, fb2).Status)
	require.Equal(t, whistle.CaseEvaluating, ok(t, vf).Status)
	require.Equal(t, whistle.CaseEvaluating, ok(t, ev1).Status)
	require.Equal(t, whistle.CaseClosed, c.Status)
	require.Len(t, c.Evaluations, 2)
	require.False(t, c.Overdue)
	require.Empty(t, c.Breaches)

	var final whistle.Case
	require.NoError(t, h.env.GetWorkflowResult(&final))
	require.Equal(t, whistle.CaseClosed, final.Status)

	tl, err := h.st.Timeline(context.Background(), "C1")
	require.NoError(t, err)
	require.Len(t, tl, len(c.Timeline), "read model has every entry")
	require.Equal(t, c.Timeline[len(c.Timeline)-1].Type, whistle.EventClosed)
}

// Every class's clocks: key, routine and coordination on working time,
// emergency on the wall clock, both counted from the summons.
func TestWhistle_ClassClocks(t *testing.T) {
	for _, class := range whistle.Classes {
		t.Run(string(class), func(t *testing.T) {
			h := newHarness(t)
			start := h.caseAt(time.Second)
			h.stopAt(time.Minute)
			h.run(input("K-"+string(class), class, "s1-police"))
			want := h.clocks(class, t0)
			task := start.Tasks[0]
			require.True(t, want.Report.Equal(task.ReportDeadline), "report: want %v got %v", want.Report, task.ReportDeadline)
			require.True(t, want.Handle.Equal(task.HandleDeadline), "handle: want %v got %v", want.Handle, task.HandleDeadline)
			if class == whistle.ClassEmergency {
				require.Equal(t, 30*time.Minute, task.ReportDeadline.Sub(t0))
				require.Equal(t, 24*time.Hour, task.HandleDeadline.Sub(t0))
			} else {
				require.True(t, h.cal.IsWorkday(task.HandleDeadline), "working-time deadline on a working day")
			}
		})
	}
	t.Run("key in working days", func(t *testing.T) {
		h := newHarness(t)
		start := h.caseAt(time.Second)
		h.stopAt(time.Minute)
		h.run(input("K-key2", whistle.ClassKey, "s1-police"))
		// Monday 10:00 + 2 working hours, + 3 working days = Thursday 10:00.
		require.True(t, time.Date(2026, 3, 2, 12, 0, 0, 0, t0.Location()).Equal(start.Tasks[0].ReportDeadline))
		require.True(t, time.Date(2026, 3, 5, 10, 0, 0, 0, t0.Location()).Equal(start.Tasks[0].HandleDeadline))
	})
}

// A missed report deadline records a report breach and alerts the level
// above at once; reporting afterwards resolves it. No escalation.
func TestWhistle_ReportBreach(t *testing.T) {
	h := newHarness(t)
	dl := h.clocks(whistle.ClassRoutine, t0)
	due := dl.Report.Sub(t0)
	before := h.caseAt(due - time.Minute)
	after := h.caseAt(due + time.Minute)
	rep := h.update(due+time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-citymgmt"), TaskID: taskID("R1", 1)})
	h.stopAt(due + 2*time.Hour)
	h.run(input("R1", whistle.ClassRoutine, "s1-citymgmt"))

	require.Empty(t, before.Breaches)
	require.Len(t, after.Breaches, 1)
	b := after.Breaches[0]
	require.Equal(t, whistle.BreachReport, b.Kind)
	require.Equal(t, taskID("R1", 1), b.TaskID)
	require.True(t, dl.Report.Equal(b.Deadline))
	require.False(t, b.Resolved)
	require.True(t, after.Tasks[0].ReportBreached)
	require.False(t, after.Overdue, "a report breach does not make the case overdue")
	require.Empty(t, after.Escalations, "a report breach alerts, it does not escalate")
	require.Contains(t, types(*after), whistle.EventReportBreach)

	alerts := h.notes.find(whistle.EventReportBreach)
	require.Len(t, alerts, 1)
	require.Equal(t, chain[1].ID, alerts[0].OrgUnitID, "the street above the community is alerted")

	c := ok(t, rep)
	require.True(t, c.Breaches[0].Resolved)
	require.NotNil(t, c.Breaches[0].ResolvedAt)
}

// A missed handling deadline marks the task and the case overdue, records
// a handle breach and escalates the case one level; the new holder can
// then summon its own departments.
func TestWhistle_HandleBreachEscalates(t *testing.T) {
	h := newHarness(t)
	dl := h.clocks(whistle.ClassKey, t0)
	due := dl.Handle.Sub(t0)
	h.update(time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: taskID("H1", 1)})
	after := h.caseAt(due + time.Minute)
	sum := h.update(due+time.Hour, workflows.UpdateSummon, workflows.SummonInput{Actor: streetSecretary, Departments: []workflows.DepartmentRef{dept("d1-police")}})
	h.stopAt(due + 2*time.Hour)
	h.run(input("H1", whistle.ClassKey, "s1-police"))

	task := after.Tasks[0]
	require.True(t, task.Overdue)
	require.True(t, task.HandleBreached)
	require.True(t, after.Overdue)
	require.Len(t, after.Breaches, 1)
	require.Equal(t, whistle.BreachHandle, after.Breaches[0].Kind)
	require.Len(t, after.Escalations, 1)
	e := after.Escalations[0]
	require.Equal(t, whistle.LevelCommunity, e.From)
	require.Equal(t, whistle.LevelStreet, e.To)
	require.Equal(t, whistle.EscalationHandleBreach, e.Kind)
	require.Equal(t, chain[1].ID, e.ToOrgUnitID)
	require.True(t, dl.Handle.Add(0).Before(e.At) || dl.Handle.Equal(e.At))
	require.Equal(t, whistle.LevelStreet, after.Level)
	require.Equal(t, chain[1].Path, after.HolderOrgPath)

	c := ok(t, sum)
	nt := taskOf(t, c, "d1-police")
	require.Equal(t, whistle.LevelStreet, nt.SummonedLevel)
	require.Equal(t, whistle.TaskSummoned, nt.Status)
	require.Len(t, h.notes.find(whistle.EventEscalated), 1)
}

// Escalation goes up the chain one level at a time, to the city and no
// further: a breach at the city is recorded but escalates nowhere, and an
// escalation asked for at the city is refused.
func TestWhistle_EscalationChainStopsAtCity(t *testing.T) {
	h := newHarness(t)
	in := input("E1", whistle.ClassEmergency, "s1-police")
	// Emergency: 24 h wall-clock handling. Each holder summons one more
	// department, which breaches too; the first breach moves community →
	// street, then street → district, then district → city, then nothing.
	var at time.Duration
	for i, d := range []string{"d1-police", "city-police", "city-market"} {
		at = time.Duration(i+1)*25*time.Hour + time.Hour
		h.update(at, workflows.UpdateSummon, workflows.SummonInput{Actor: streetSecretary, Departments: []workflows.DepartmentRef{dept(d)}})
	}
	atCity := h.caseAt(4*25*time.Hour + 3*time.Hour)
	esc := h.update(4*25*time.Hour+4*time.Hour, workflows.UpdateEscalate, workflows.EscalateInput{Actor: streetSecretary, Reason: "市级也无法解决"})
	h.stopAt(4*25*time.Hour + 5*time.Hour)
	c := h.run(in)

	require.Equal(t, whistle.LevelCity, atCity.Level)
	require.Equal(t, chain[3].ID, atCity.HolderOrgUnitID)
	require.Len(t, atCity.Escalations, 3)
	for i, e := range atCity.Escalations {
		require.Equal(t, chain[i].Level, e.From)
		require.Equal(t, chain[i+1].Level, e.To)
		require.Equal(t, whistle.EscalationHandleBreach, e.Kind)
	}
	handle := 0
	for _, b := range atCity.Breaches {
		if b.Kind == whistle.BreachHandle {
			handle++
		}
	}
	require.Equal(t, 4, handle, "the breach at the city is still recorded")
	refused(t, esc, whistle.EConflict)
	require.Len(t, c.Escalations, 3)
}

// An extension granted moves the handling deadline (and the breach with
// it); one refused leaves it.
func TestWhistle_Extensions(t *testing.T) {
	h := newHarness(t)
	id := taskID("X1", 1)
	dl := h.clocks(whistle.ClassKey, t0)
	h.update(time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: id})
	req := h.update(2*time.Hour, workflows.UpdateRequestExtension, workflows.ExtensionInput{Actor: clerk("s1-police"), TaskID: id, Extra: "2d", Reason: "需等待检测报告"})
	dup := h.update(3*time.Hour, workflows.UpdateRequestExtension, workflows.ExtensionInput{Actor: clerk("s1-police"), TaskID: id, Extra: "1d", Reason: "再延"})
	grant := h.update(4*time.Hour, workflows.UpdateAnswerExtension, workflows.AnswerExtensionInput{Actor: secretary, TaskID: id, Grant: true, Comment: "同意"})
	early := h.update(5*time.Hour, workflows.UpdateRequestExtension, workflows.ExtensionInput{Actor: clerk("s1-police"), TaskID: id, Until: &dl.Handle, Reason: "再延"})
	later := dl.Handle.Add(7 * 24 * time.Hour)
	req2 := h.update(6*time.Hour, workflows.UpdateRequestExtension, workflows.ExtensionInput{Actor: clerk("s1-police"), TaskID: id, Until: &later, Reason: "再延"})
	refuse := h.update(7*time.Hour, workflows.UpdateAnswerExtension, workflows.AnswerExtensionInput{Actor: secretary, TaskID: id, Grant: false, Comment: "不同意"})
	noPending := h.update(8*time.Hour, workflows.UpdateAnswerExtension, workflows.AnswerExtensionInput{Actor: secretary, TaskID: id, Grant: true})
	extended := h.add(dl.Handle, "2d", false)
	atOld := h.caseAt(dl.Handle.Sub(t0) + time.Minute)
	atNew := h.caseAt(extended.Sub(t0) + time.Minute)
	h.stopAt(extended.Sub(t0) + time.Hour)
	h.run(input("X1", whistle.ClassKey, "s1-police"))

	c := ok(t, req)
	require.Equal(t, whistle.ExtensionPending, c.Tasks[0].Extension.Status)
	require.True(t, extended.Equal(c.Tasks[0].Extension.Until), "2 working days after the current deadline")
	require.True(t, dl.Handle.Equal(c.Tasks[0].HandleDeadline), "a request alone moves nothing")
	refused(t, dup, whistle.EConflict)
	c = ok(t, grant)
	require.True(t, extended.Equal(c.Tasks[0].HandleDeadline))
	require.Equal(t, 1, c.Tasks[0].Extensions)
	require.Equal(t, whistle.ExtensionGranted, c.Tasks[0].Extension.Status)
	refused(t, early, whistle.EInvalid)
	ok(t, req2)
	c = ok(t, refuse)
	require.True(t, extended.Equal(c.Tasks[0].HandleDeadline), "refused leaves the deadline")
	require.Equal(t, whistle.ExtensionRefused, c.Tasks[0].Extension.Status)
	require.Equal(t, 1, c.Tasks[0].Extensions)
	refused(t, noPending, whistle.EConflict)

	require.Empty(t, atOld.Breaches, "no breach at the old deadline")
	require.False(t, atOld.Overdue)
	require.Len(t, atNew.Breaches, 1, "breach at the extended deadline")
	require.True(t, atNew.Overdue)
	require.Len(t, h.notes.find(whistle.EventExtensionGranted), 1)
}

// A failed verification reopens the done tasks with a fresh handling clock
// counted from the failure; the third failure also escalates.
func TestWhistle_VerificationFails(t *testing.T) {
	h := newHarness(t)
	id := taskID("V1", 1)
	h.update(time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-citymgmt"), TaskID: id})
	var fails []*result
	for i := range 3 {
		base := time.Duration(2+3*i) * time.Hour
		h.update(base, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-citymgmt"), TaskID: id, Result: "已处理"})
		fails = append(fails, h.update(base+time.Hour, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: false, Comment: "摊贩仍在"}))
	}
	h.stopAt(12 * time.Hour)
	h.run(input("V1", whistle.ClassRoutine, "s1-citymgmt"))

	c := ok(t, fails[0])
	require.Equal(t, whistle.CaseOpen, c.Status)
	require.Equal(t, 1, c.VerifyFailures)
	task := c.Tasks[0]
	require.Equal(t, whistle.TaskReported, task.Status)
	require.Equal(t, 1, task.Reopened)
	require.Nil(t, task.DoneAt)
	failedAt := t0.Add(3 * time.Hour)
	require.True(t, h.clocks(whistle.ClassRoutine, failedAt).Handle.Equal(task.HandleDeadline), "fresh clock from the failure")
	require.Empty(t, c.Escalations)
	require.Contains(t, types(c), whistle.EventReopened)

	require.Empty(t, ok(t, fails[1]).Escalations)
	c = ok(t, fails[2])
	require.Equal(t, 3, c.VerifyFailures)
	require.Equal(t, 3, c.Tasks[0].Reopened)
	require.Len(t, c.Escalations, 1)
	require.Equal(t, whistle.EscalationVerification, c.Escalations[0].Kind)
	require.Equal(t, whistle.LevelStreet, c.Level)
}

// The evaluation window closing evaluates the remaining departments with
// the policy's default satisfaction and scores of 3, then closes.
func TestWhistle_EvaluationTimeout(t *testing.T) {
	h := newHarness(t)
	t1, t2 := taskID("EV", 1), taskID("EV", 2)
	h.update(time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-citymgmt"), TaskID: t1})
	h.update(time.Hour+time.Minute, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-market"), TaskID: t2})
	h.update(2*time.Hour, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-citymgmt"), TaskID: t1, Result: "ok"})
	h.update(2*time.Hour+time.Minute, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-market"), TaskID: t2, Result: "ok"})
	vf := h.update(3*time.Hour, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true})
	h.update(4*time.Hour, workflows.UpdateEvaluate, workflows.EvaluateInput{Actor: secretary, DepartmentID: "s1-citymgmt", Timeliness: 5, Quality: 5, Attitude: 5, Satisfaction: whistle.Dissatisfied})
	c := h.run(input("EV", whistle.ClassRoutine, "s1-citymgmt", "s1-market"))

	verified := ok(t, vf)
	due := h.add(t0.Add(3*time.Hour), "3d", false)
	require.NotNil(t, verified.EvaluationDue)
	require.True(t, due.Equal(*verified.EvaluationDue), "3 working days")
	require.Equal(t, whistle.CaseClosed, c.Status)
	require.True(t, due.Equal(*c.ClosedAt))
	require.Len(t, c.Evaluations, 2)
	require.False(t, c.Evaluations[0].Default)
	d := c.Evaluations[1]
	require.True(t, d.Default)
	require.Equal(t, "s1-market", d.DepartmentID)
	require.Equal(t, whistle.Satisfied, d.Satisfaction)
	require.Equal(t, []int{3, 3, 3}, []int{d.Timeliness, d.Quality, d.Attitude})
	require.Contains(t, types(c), whistle.EventEvaluationDefaulted)
}

// A joint whistle waits for every department; the slow one breaches alone.
func TestWhistle_JointSlowDepartment(t *testing.T) {
	h := newHarness(t)
	dl := h.clocks(whistle.ClassKey, t0)
	t1, t2 := taskID("J1", 1), taskID("J1", 2)
	h.update(time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: t1})
	fast := h.update(2*time.Hour, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-police"), TaskID: t1, Result: "已出警"})
	h.update(90*time.Minute, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-market"), TaskID: t2})
	waiting := h.caseAt(dl.Handle.Sub(t0) - time.Hour)
	breached := h.caseAt(dl.Handle.Sub(t0) + time.Minute)
	slow := h.update(dl.Handle.Sub(t0)+time.Hour, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-market"), TaskID: t2, Result: "已查处"})
	h.stopAt(dl.Handle.Sub(t0) + 2*time.Hour)
	h.run(input("J1", whistle.ClassKey, "s1-police", "s1-market"))

	require.Equal(t, whistle.CaseOpen, ok(t, fast).Status)
	require.Equal(t, whistle.CaseOpen, waiting.Status)
	require.Equal(t, []string{"s1-market"}, pending(*waiting))
	require.True(t, breached.Overdue)
	require.False(t, taskOf(t, *breached, "s1-police").Overdue)
	require.True(t, taskOf(t, *breached, "s1-market").Overdue)
	require.Len(t, breached.Breaches, 1)
	require.Equal(t, "s1-market", breached.Breaches[0].DepartmentID)
	c := ok(t, slow)
	require.Equal(t, whistle.CaseVerifying, c.Status)
	require.True(t, c.Breaches[0].Resolved)
}

func pending(c whistle.Case) []string {
	var out []string
	for _, t := range c.Tasks {
		if t.Active() {
			out = append(out, t.DepartmentID)
		}
	}
	return out
}

// Refused actions change nothing: the state queried before and after a
// run of bad updates is identical, and each refusal carries its code.
func TestWhistle_RefusalsChangeNothing(t *testing.T) {
	h := newHarness(t)
	id := taskID("RF", 1)
	h.update(time.Minute, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: id})
	before := h.caseAt(time.Hour)
	past := t0.Add(-time.Hour)
	cases := []struct {
		name, update, code string
		in                 any
	}{
		{"unknown task", workflows.UpdateReport, whistle.ENotFound, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: "nope"}},
		{"another department's task", workflows.UpdateFeedback, whistle.EForbidden, workflows.FeedbackInput{Actor: clerk("s1-market"), TaskID: id, Result: "x"}},
		{"report twice", workflows.UpdateReport, whistle.EConflict, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: id}},
		{"feedback without result", workflows.UpdateFeedback, whistle.EInvalid, workflows.FeedbackInput{Actor: clerk("s1-police"), TaskID: id}},
		{"verify while open", workflows.UpdateVerify, whistle.EConflict, workflows.VerifyInput{Actor: secretary, Passed: true}},
		{"evaluate while open", workflows.UpdateEvaluate, whistle.EConflict, workflows.EvaluateInput{Actor: secretary, DepartmentID: "s1-police", Timeliness: 3, Quality: 3, Attitude: 3, Satisfaction: whistle.Satisfied}},
		{"summon an active department", workflows.UpdateSummon, whistle.EConflict, workflows.SummonInput{Actor: secretary, Departments: []workflows.DepartmentRef{dept("s1-police")}}},
		{"summon nobody", workflows.UpdateSummon, whistle.EInvalid, workflows.SummonInput{Actor: secretary}},
		{"return without reason", workflows.UpdateReturn, whistle.EInvalid, workflows.ReturnInput{Actor: clerk("s1-police"), TaskID: id}},
		{"extension with a bad span", workflows.UpdateRequestExtension, whistle.EInvalid, workflows.ExtensionInput{Actor: clerk("s1-police"), TaskID: id, Extra: "two days", Reason: "r"}},
		{"extension before the deadline", workflows.UpdateRequestExtension, whistle.EInvalid, workflows.ExtensionInput{Actor: clerk("s1-police"), TaskID: id, Until: &past, Reason: "r"}},
		{"extension without reason", workflows.UpdateRequestExtension, whistle.EInvalid, workflows.ExtensionInput{Actor: clerk("s1-police"), TaskID: id, Extra: "1d"}},
		{"answer with nothing pending", workflows.UpdateAnswerExtension, whistle.EConflict, workflows.AnswerExtensionInput{Actor: secretary, TaskID: id, Grant: true}},
		{"escalate without reason", workflows.UpdateEscalate, whistle.EInvalid, workflows.EscalateInput{Actor: secretary}},
	}
	results := make([]*result, len(cases))
	for i, c := range cases {
		results[i] = h.update(time.Hour+time.Duration(i+1)*time.Minute, c.update, c.in)
	}
	after := h.caseAt(2 * time.Hour)
	h.stopAt(3 * time.Hour)
	h.run(input("RF", whistle.ClassKey, "s1-police"))

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) { refused(t, results[i], c.code) })
	}
	require.Equal(t, *before, *after)
	tl, err := h.st.Timeline(context.Background(), "RF")
	require.NoError(t, err)
	require.Len(t, tl, len(after.Timeline))
}

// Scores and satisfaction are validated when evaluating.
func TestWhistle_EvaluationRefusals(t *testing.T) {
	h := newHarness(t)
	id := taskID("ER", 1)
	h.update(time.Minute, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: id})
	h.update(2*time.Minute, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-police"), TaskID: id, Result: "ok"})
	h.update(3*time.Minute, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true})
	ev := func(at time.Duration, dept string, score int, sat whistle.Satisfaction) *result {
		return h.update(at, workflows.UpdateEvaluate, workflows.EvaluateInput{Actor: secretary, DepartmentID: dept, Timeliness: score, Quality: 3, Attitude: 3, Satisfaction: sat})
	}
	six := ev(4*time.Minute, "s1-police", 6, whistle.Satisfied)
	zero := ev(5*time.Minute, "s1-police", 0, whistle.Satisfied)
	badSat := ev(6*time.Minute, "s1-police", 3, "happy")
	stranger := ev(7*time.Minute, "s1-market", 3, whistle.Satisfied)
	good := ev(8*time.Minute, "s1-police", 5, whistle.Satisfied)
	c := h.run(input("ER", whistle.ClassKey, "s1-police"))
	refused(t, six, whistle.EInvalid)
	refused(t, zero, whistle.EInvalid)
	refused(t, badSat, whistle.EInvalid)
	refused(t, stranger, whistle.ENotFound)
	require.Equal(t, whistle.CaseClosed, ok(t, good).Status)
	require.Equal(t, whistle.CaseClosed, c.Status)
}

// When the server suggests it, the run continues as new carrying the case;
// the next run goes on from the same state without a gap in the timeline
// or a second projection of old entries.
func TestWhistle_ContinueAsNew(t *testing.T) {
	h := newHarness(t)
	id := taskID("CN", 1)
	h.update(time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: id})
	h.env.RegisterDelayedCallback(func() { h.env.SetContinueAsNewSuggested(true) }, 2*time.Hour)
	h.env.ExecuteWorkflow(workflows.WorkflowName, input("CN", whistle.ClassKey, "s1-police"))
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, h.env.GetWorkflowError(), &can)
	var next workflows.WhistleInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.State)
	require.Equal(t, whistle.TaskReported, next.State.Tasks[0].Status)
	require.Equal(t, next.State.Seq, next.ProjectedSeq)

	h2 := newHarnessOn(t, h.st)
	h2.env.SetStartTime(t0.Add(2 * time.Hour))
	h2.update(30*time.Minute, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-police"), TaskID: id, Result: "ok"})
	h2.update(time.Hour, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true})
	h2.update(2*time.Hour, workflows.UpdateEvaluate, workflows.EvaluateInput{Actor: secretary, DepartmentID: "s1-police", Timeliness: 5, Quality: 5, Attitude: 5, Satisfaction: whistle.Satisfied})
	c := h2.run(next)
	require.NoError(t, h2.env.GetWorkflowError())
	require.Equal(t, whistle.CaseClosed, c.Status)
	require.Equal(t, 1, countType(c, whistle.EventFiled))
	tl, err := h.st.Timeline(context.Background(), "CN")
	require.NoError(t, err)
	require.Len(t, tl, len(c.Timeline))
}

func countType(c whistle.Case, typ string) int {
	n := 0
	for _, e := range c.Timeline {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// Updates that arrive with the very first workflow task (update-with-start,
// or a client racing the start) wait for the initial summons: "filed"
// answers the summoned case, and a report is checked against it.
func TestWhistle_UpdatesWithTheFirstTask(t *testing.T) {
	h := newHarness(t)
	filed := h.update(0, workflows.UpdateFiled, workflows.FiledInput{Actor: secretary})
	rep := h.update(0, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: taskID("F1", 1)})
	h.stopAt(time.Hour)
	h.run(input("F1", whistle.ClassKey, "s1-police"))
	c := ok(t, filed)
	require.Len(t, c.Tasks, 1)
	require.Equal(t, whistle.TaskReported, ok(t, rep).Tasks[0].Status)
}

// An evaluation is credited to the evaluator's level, not the level
// holding the case: after escalation to the street, the community
// secretary's score is still a community's (一哨一评 by who gave it).
func TestWhistle_EvaluationCreditedToEvaluator(t *testing.T) {
	h := newHarness(t)
	t1 := taskID("EC", 1)
	h.update(time.Hour, workflows.UpdateEscalate, workflows.EscalateInput{Actor: secretary, Reason: "需街道协调"})
	h.update(2*time.Hour, workflows.UpdateAnswerEscalation, workflows.AnswerEscalationInput{Actor: streetSecretary, Accept: true, ByOrgUnitID: chain[1].ID})
	h.update(3*time.Hour, workflows.UpdateSummon, workflows.SummonInput{Actor: streetSecretary, Departments: []workflows.DepartmentRef{dept("d1-police")}})
	for i, x := range []struct{ dept, task string }{{"s1-police", t1}, {"d1-police", taskID("EC", 2)}} {
		at := time.Duration(4+2*i) * time.Hour
		h.update(at, workflows.UpdateReport, workflows.ReportInput{Actor: clerk(x.dept), TaskID: x.task})
		h.update(at+time.Hour, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk(x.dept), TaskID: x.task, Result: "已处理"})
	}
	h.update(9*time.Hour, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true})
	score := func(a whistle.Actor, d string) workflows.EvaluateInput {
		return workflows.EvaluateInput{Actor: a, DepartmentID: d, Timeliness: 4, Quality: 4, Attitude: 4, Satisfaction: whistle.Satisfied}
	}
	h.update(10*time.Hour, workflows.UpdateEvaluate, score(secretary, "s1-police"))
	h.update(11*time.Hour, workflows.UpdateEvaluate, score(streetSecretary, "d1-police"))
	c := h.run(input("EC", whistle.ClassRoutine, "s1-police"))

	require.Equal(t, whistle.CaseClosed, c.Status)
	require.Equal(t, whistle.LevelStreet, c.Level, "the street held the case")
	levels := map[string]whistle.Level{}
	for _, e := range c.Evaluations {
		levels[e.DepartmentID] = e.Level
		if e.DepartmentID == "s1-police" {
			require.Equal(t, chain[0].ID, e.OrgUnitID, "the evaluator's unit")
		}
	}
	require.Equal(t, map[string]whistle.Level{"s1-police": whistle.LevelCommunity, "d1-police": whistle.LevelStreet}, levels)
}
