package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// The monthly publication of the supervision figures (docs/supervision.md):
// a Temporal Schedule in Asia/Shanghai starts PublishSupervision at 02:00
// on the first of every month; it folds every queued projection change into
// the roll-up and freezes the month just ended, with the assessment
// settings in force, so a published month (and the running annual
// assessment as of it) never changes afterwards.
const (
	// PublishWorkflowName is the name PublishSupervision is registered under.
	PublishWorkflowName = "PublishSupervision"
	// ActivityPublishMonth refreshes the roll-up and publishes one month.
	ActivityPublishMonth = "PublishSupervisionMonth"
	// PublishScheduleID is the id of the monthly schedule.
	PublishScheduleID = "supervision-monthly-publication"
)

// PublishInput names the month to publish ("YYYY-MM"); empty means the
// month before the workflow's start, in China time (what the schedule
// sends).
type PublishInput struct {
	Month string `json:"month,omitempty"`
}

// PublishResult says what a publication did. Published is false when the
// month had already been published (and was left as it was).
type PublishResult struct {
	Month       string    `json:"month"`
	Published   bool      `json:"published"`
	Rows        int       `json:"rows"`
	PublishedAt time.Time `json:"published_at"`
}

// publishOptions: the refresh may fold a long queue after an outage, so the
// activity has time; a failure (the database down) is retried for a day.
var publishOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    30 * time.Minute,
	ScheduleToCloseTimeout: 24 * time.Hour,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: 10 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute,
		NonRetryableErrorTypes: []string{whistle.EInvalid},
	},
}

// PublishSupervision publishes one month's supervision figures once. It is
// idempotent: the activity leaves a published month as it is, so a
// retried, repeated or overlapping run changes nothing.
func PublishSupervision(ctx workflow.Context, in PublishInput) (PublishResult, error) {
	now := workflow.Now(ctx).In(worktime.Location)
	month, err := publishMonth(in.Month, now)
	if err != nil {
		return PublishResult{}, toApplicationError(err)
	}
	var res PublishResult
	err = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, publishOptions), ActivityPublishMonth, month).Get(ctx, &res)
	if err != nil {
		return res, fmt.Errorf("publish %d: %w", month, err)
	}
	workflow.GetLogger(ctx).Info("supervision month published", "month", res.Month, "published", res.Published, "rows", res.Rows)
	return res, nil
}

// publishMonth resolves the month to publish (YYYYMM): the given one, which
// must have ended by now, or the month before now.
func publishMonth(month string, now time.Time) (int, error) {
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, worktime.Location)
	if month == "" {
		prev := first.AddDate(0, -1, 0)
		return prev.Year()*100 + int(prev.Month()), nil
	}
	t, err := time.ParseInLocation("2006-01", month, worktime.Location)
	if err != nil {
		return 0, whistle.Errorf(whistle.EInvalid, "月份 %q 无效（应为 YYYY-MM）", "month %q is not YYYY-MM", month)
	}
	if !t.Before(first) {
		return 0, whistle.Errorf(whistle.EInvalid, "%s 尚未结束，不能发布", "%s has not ended yet: it cannot be published", month)
	}
	return t.Year()*100 + int(t.Month()), nil
}

// MonthlyPublication is the schedule EnsureSchedules keeps: 02:00 on the
// first of every month, Asia/Shanghai; a run missed while Temporal was down
// is caught up within a week; runs never overlap.
func MonthlyPublication() client.ScheduleOptions {
	return client.ScheduleOptions{
		ID: PublishScheduleID,
		Spec: client.ScheduleSpec{
			Calendars: []client.ScheduleCalendarSpec{{
				Second: []client.ScheduleRange{{Start: 0}}, Minute: []client.ScheduleRange{{Start: 0}},
				Hour: []client.ScheduleRange{{Start: 2}}, DayOfMonth: []client.ScheduleRange{{Start: 1}},
				Comment: "每月1日02:00发布上月督查指标 / publish last month's supervision figures",
			}},
			TimeZoneName: "Asia/Shanghai",
		},
		Action: &client.ScheduleWorkflowAction{
			ID: "supervision-publication", Workflow: PublishWorkflowName, Args: []any{PublishInput{}},
			TaskQueue: TaskQueue, WorkflowExecutionTimeout: 48 * time.Hour,
		},
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: 7 * 24 * time.Hour,
		Note:          "Shaobao supervision: monthly publication (docs/supervision.md)",
	}
}

// EnsureSchedules creates the schedules (the supervision publication, the
// hotline push sweep), or brings an existing one's spec, action and
// policies up to date (its pause state and history are kept). Call it
// once at start; it is safe from every process.
func EnsureSchedules(ctx context.Context, c client.Client) error {
	for _, opts := range []client.ScheduleOptions{MonthlyPublication(), HotlinePushSweep()} {
		if err := ensureSchedule(ctx, c, opts); err != nil {
			return err
		}
	}
	return nil
}

func ensureSchedule(ctx context.Context, c client.Client, opts client.ScheduleOptions) error {
	_, err := c.ScheduleClient().Create(ctx, opts)
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create schedule %s: %w", opts.ID, err)
	}
	h := c.ScheduleClient().GetHandle(ctx, opts.ID)
	err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
		s := in.Description.Schedule
		s.Spec = &opts.Spec
		s.Action = opts.Action
		if s.Policy == nil {
			s.Policy = &client.SchedulePolicies{}
		}
		s.Policy.Overlap, s.Policy.CatchupWindow = opts.Overlap, opts.CatchupWindow
		return &client.ScheduleUpdate{Schedule: &s}, nil
	}})
	if err != nil {
		return fmt.Errorf("update schedule %s: %w", opts.ID, err)
	}
	return nil
}
