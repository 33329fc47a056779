package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// A routine joint whistle through the whole loop: summoned, reported,
// feedback, verified, evaluated, closed; the read model follows.
func TestWhistle_FullLoop(t *testing.T) {
	h := newHarness(t)
	in := input("C1", whistle.ClassRoutine, "s1-citymgmt", "s1-market")
	t1, t2 := taskID("C1", 1), taskID("C1", 2)
	start := h.snapshot(time.Second)
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
