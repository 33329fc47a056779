package workflows

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// The hotline push sweep: the projection pushes a closed ticket's result
// back to the hotline once; a push that fails there is found and pushed
// again by SweepHotlinePushes, which a Temporal Schedule starts every
// minute (one run at a time, whatever the number of workers).
const (
	// SweepWorkflowName is the name SweepHotlinePushes is registered under.
	SweepWorkflowName = "SweepHotlinePushes"
	// ActivitySweepHotlinePushes pushes the results still due, with backoff.
	ActivitySweepHotlinePushes = "SweepHotlinePushes"
	// SweepScheduleID is the id of the sweep's schedule.
	SweepScheduleID = "hotline-push-sweep"
)

// SweepResult says what one sweep did.
type SweepResult struct {
	Pushed int `json:"pushed"`
	Failed int `json:"failed"`
}

// sweepOptions: one sweep is short; a failed sweep (the database down) is
// retried a few times and otherwise left to the next minute's run. The
// backoff of a failing hotline is per ticket, in the activity.
var sweepOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 5 * time.Minute,
	RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumAttempts: 3},
}

// SweepHotlinePushes runs one sweep of the hotline results not pushed yet.
func SweepHotlinePushes(ctx workflow.Context) (SweepResult, error) {
	var res SweepResult
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, sweepOptions), ActivitySweepHotlinePushes).Get(ctx, &res); err != nil {
		return res, fmt.Errorf("sweep hotline pushes: %w", err)
	}
	if res.Pushed > 0 || res.Failed > 0 {
		workflow.GetLogger(ctx).Info("hotline push sweep", "pushed", res.Pushed, "failed", res.Failed)
	}
	return res, nil
}

// HotlinePushSweep is the schedule EnsureSchedules keeps: a sweep every
// minute; runs never overlap and a missed one is not caught up (the next
// does its work).
func HotlinePushSweep() client.ScheduleOptions {
	return client.ScheduleOptions{
		ID:   SweepScheduleID,
		Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Minute}}},
		Action: &client.ScheduleWorkflowAction{
			ID: "hotline-push-sweep", Workflow: SweepWorkflowName,
			TaskQueue: TaskQueue, WorkflowExecutionTimeout: 10 * time.Minute,
		},
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: time.Minute,
		Note:          "Shaobao 12345: push back hotline results whose push failed (docs/hotline.md)",
	}
}
