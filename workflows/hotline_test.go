package workflows_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/shaobao/shaobao/activities"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// SweepHotlinePushes, run with the real activity and store, pushes a
// closed ticket's result that was never pushed to a real receiver and
// reports it; the next run finds nothing left.
func TestSweepHotlinePushesWorkflow(t *testing.T) {
	st := storetest.MustOpenSQLite(t)
	ctx := context.Background()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()

	c := marchCase("HL1", false)
	require.NoError(t, st.ApplyCase(ctx, c, []whistle.TimelineEntry{
		{Seq: 1, At: c.CreatedAt, Type: whistle.EventFiled, Actor: "c1-secretary"},
		{Seq: 9, At: *c.ClosedAt, Type: whistle.EventClosed, Actor: "system"}}))
	require.NoError(t, st.RecordHotlineTicket(ctx, store.HotlineTicket{TicketNo: "T-1", CaseID: "HL1", CallAt: c.CreatedAt, RequestType: "投诉"}))

	run := func() workflows.SweepResult {
		var s testsuite.WorkflowTestSuite
		s.SetLogger(log.NewStructuredLogger(discard))
		env := s.NewTestWorkflowEnvironment()
		activities.RegisterHotlineSweep(env, &activities.HotlineSweeper{Store: st, Logger: discard,
			Notifier: &activities.WebhookNotifier{URL: srv.URL, Secret: []byte("s")}})
		env.ExecuteWorkflow(workflows.SweepWorkflowName)
		require.True(t, env.IsWorkflowCompleted())
		require.NoError(t, env.GetWorkflowError())
		var res workflows.SweepResult
		require.NoError(t, env.GetWorkflowResult(&res))
		return res
	}
	require.Equal(t, workflows.SweepResult{Pushed: 1}, run())
	require.Equal(t, workflows.SweepResult{}, run())
	require.EqualValues(t, 1, hits.Load())
	tk, err := st.HotlineTicket(ctx, "T-1")
	require.NoError(t, err)
	require.EqualValues(t, 9, tk.PushedSeq)
}

func TestHotlinePushSweepSchedule(t *testing.T) {
	o := workflows.HotlinePushSweep()
	require.Len(t, o.Spec.Intervals, 1)
	require.Equal(t, time.Minute, o.Spec.Intervals[0].Every)
	require.Equal(t, enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, o.Overlap)
	a, ok := o.Action.(*client.ScheduleWorkflowAction)
	require.True(t, ok)
	require.Equal(t, workflows.TaskQueue, a.TaskQueue)
	require.Equal(t, workflows.SweepWorkflowName, a.Workflow)
}
