package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// A resident's case: the evaluation waits for the call-back; one attempt
// misses, the next reaches the resident, whose answer every evaluation
// takes; the read model shows the attempts.
func TestWhistle_CallbackReached(t *testing.T) {
	h := newHarness(t)
	in := input("CB", whistle.ClassRoutine, "s1-citymgmt")
	in.Source, in.CallbackRequired = whistle.SourceResident, true
	t1 := taskID("CB", 1)
	h.update(time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-citymgmt"), TaskID: t1})
	h.update(2*time.Hour, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-citymgmt"), TaskID: t1, Result: "已清理"})
	early := h.update(150*time.Minute, workflows.UpdateCallback, workflows.CallbackInput{Actor: secretary, Method: whistle.CallbackPhone})
	h.update(3*time.Hour, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true})
	first := h.update(4*time.Hour, workflows.UpdateEvaluate, workflows.EvaluateInput{Actor: secretary, DepartmentID: "s1-citymgmt", Timeliness: 5, Quality: 5, Attitude: 5})
	miss := h.update(5*time.Hour, workflows.UpdateCallback, workflows.CallbackInput{Actor: secretary, Method: whistle.CallbackPhone, Note: "无人接听"})
	pending := h.caseAt(5*time.Hour + time.Minute)
	h.update(6*time.Hour, workflows.UpdateCallback, workflows.CallbackInput{Actor: secretary, Method: whistle.CallbackVisit,
		Reached: true, Satisfaction: whistle.BasicallySatisfied})
	typed := h.update(7*time.Hour, workflows.UpdateEvaluate, workflows.EvaluateInput{Actor: secretary, DepartmentID: "s1-citymgmt",
		Timeliness: 5, Quality: 4, Attitude: 5, Satisfaction: whistle.Satisfied})
	done := h.update(8*time.Hour, workflows.UpdateEvaluate, workflows.EvaluateInput{Actor: secretary, DepartmentID: "s1-citymgmt", Timeliness: 5, Quality: 4, Attitude: 5})
	c := h.run(in)

	refused(t, early, whistle.EConflict) // not verified yet
	refused(t, first, whistle.EConflict) // call back first
	ok(t, miss)
	require.Equal(t, whistle.CallbackPending, pending.Callback, "one miss leaves it pending")
	refused(t, typed, whistle.EInvalid) // the satisfaction is the resident's
	ok(t, done)
	require.Equal(t, whistle.CaseClosed, c.Status)
	require.Equal(t, whistle.CallbackReached, c.Callback)
	require.Len(t, c.Callbacks, 2)
	require.Len(t, c.Evaluations, 1)
	require.Equal(t, whistle.BasicallySatisfied, c.Evaluations[0].Satisfaction)
	require.Equal(t, 2, countType(c, whistle.EventCallback))

	stored, err := h.st.Case(context.Background(), "CB")
	require.NoError(t, err)
	require.True(t, stored.CallbackRequired)
	require.Equal(t, whistle.CallbackReached, stored.Callback)
	require.Len(t, stored.Callbacks, 2)
	require.Equal(t, "无人接听", stored.Callbacks[0].Note)
	require.Equal(t, whistle.BasicallySatisfied, stored.Evaluations[0].Satisfaction)
}

// The window closes with the call-back pending and no attempt: the case is
// 未回访 (expired), the departments evaluated by default as before.
func TestWhistle_CallbackExpired(t *testing.T) {
	h := newHarness(t)
	in := input("CBX", whistle.ClassRoutine, "s1-citymgmt")
	in.Source, in.CallbackRequired = whistle.SourceHotline, true
	t1 := taskID("CBX", 1)
	h.update(time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-citymgmt"), TaskID: t1})
	h.update(2*time.Hour, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-citymgmt"), TaskID: t1, Result: "ok"})
	h.update(3*time.Hour, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true})
	c := h.run(in)

	require.Equal(t, whistle.CaseClosed, c.Status)
	require.Equal(t, whistle.CallbackExpired, c.Callback)
	require.Equal(t, 1, countType(c, whistle.EventCallbackSettled))
	require.Len(t, c.Evaluations, 1)
	require.True(t, c.Evaluations[0].Default)
	stored, err := h.st.Case(context.Background(), "CBX")
	require.NoError(t, err)
	require.Equal(t, whistle.CallbackExpired, stored.Callback)
}
