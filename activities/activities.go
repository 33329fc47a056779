// Package activities holds the side effects of the whistle workflow: policy
// and calendar reads that turn an SLA policy into deadlines, the projection
// of a case into the read model, and notifications. Every activity is
// idempotent: a retry changes nothing twice.
package activities

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
	"github.com/shaobao/shaobao/worktime"
)

// CalendarTTL is how long a loaded working calendar is reused before the
// next activity reads it again, so an admin's edit applies within it.
const CalendarTTL = time.Minute

// Activities are the whistle workflow's activities. Store is required;
// a nil Notifier logs notifications; a nil Logger uses slog.Default.
type Activities struct {
	Store    *store.Store
	Notifier Notifier
	Logger   *slog.Logger
	// Metrics counts projection failures; nil counts nothing.
	Metrics *Metrics
	// Outbox is nudged when a projection wrote notifications to the
	// outbox (nil: its poll finds them).
	Outbox *OutboxDispatcher

	calMu     sync.Mutex
	cal       *worktime.Calendar
	calLoaded time.Time
}

// Register registers the Whistle workflow (as workflows.WorkflowName) and
// every activity under the names the workflow calls them by.
func Register(w worker.Registry, a *Activities) {
	w.RegisterWorkflowWithOptions(workflows.Whistle, workflow.RegisterOptions{Name: workflows.WorkflowName})
	for name, fn := range map[string]any{
		workflows.ActivityDeadlines:        a.Deadlines,
		workflows.ActivityWarnings:         a.Warnings,
		workflows.ActivityAddSpan:          a.AddSpan,
		workflows.ActivityEvaluationWindow: a.EvaluationWindow,
		workflows.ActivityProject:          a.Project,
		workflows.ActivityNotify:           a.Notify,
		workflows.ActivityAcceptDeadline:   a.AcceptDeadline,
	} {
		w.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

func (a *Activities) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

// calendar returns the working calendar, reloaded at most every CalendarTTL.
func (a *Activities) calendar(ctx context.Context) (*worktime.Calendar, error) {
	a.calMu.Lock()
	defer a.calMu.Unlock()
	if a.cal != nil && time.Since(a.calLoaded) < CalendarTTL {
		return a.cal, nil
	}
	days, err := a.Store.CalendarDays(ctx)
	if err != nil {
		return nil, fmt.Errorf("load working calendar: %w", err)
	}
	cal, err := worktime.NewCalendar(days)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("working calendar: %v", err), "bad_calendar", err)
	}
	a.cal, a.calLoaded = cal, time.Now()
	return cal, nil
}

// span parses a policy span; a bad span is an admin's error that no retry
// will fix, so it fails the activity at once.
func span(what, s string) (worktime.Span, error) {
	sp, err := worktime.ParseSpan(s)
	if err != nil {
		return sp, temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s %q: %v", what, s, err), "bad_span", err)
	}
	return sp, nil
}

// Deadlines returns a task's report and handling deadlines under the SLA
// policy in force for in.Class at in.Level, counted from in.From: on the
// wall clock for emergency whistles, on working time for the others. The
// deadlines are in UTC, the form every answer and the read model use.
func (a *Activities) Deadlines(ctx context.Context, in workflows.DeadlinesInput) (whistle.Deadlines, error) {
	p, err := a.Store.SLAPolicyFor(ctx, in.Class, in.Level)
	if err != nil {
		return whistle.Deadlines{}, fmt.Errorf("deadlines for %s at %s: %w", in.Class, in.Level, err)
	}
	report, err := span("report_within", p.ReportWithin)
	if err != nil {
		return whistle.Deadlines{}, err
	}
	handle, err := span("handle_within", p.HandleWithin)
	if err != nil {
		return whistle.Deadlines{}, err
	}
	cal, err := a.calendar(ctx)
	if err != nil {
		return whistle.Deadlines{}, err
	}
	wall := in.Class.WallClock()
	dl := whistle.Deadlines{Report: cal.Add(in.From, report, wall).UTC(), Handle: cal.Add(in.From, handle, wall).UTC()}
	yellow, red := warnFractions(p)
	dl.Warnings = whistle.ClockWarnings{
		Report: warningsAt(cal, in.From, dl.Report, wall, yellow, red),
		Handle: warningsAt(cal, in.From, dl.Handle, wall, yellow, red),
	}
	count, days := p.ExtensionLimits()
	// The total is in working days on every class: an emergency's wall
	// clock is for its own deadlines, not for how long it may be put off.
	limit := cal.Add(dl.Handle, worktime.Span{Days: days}, false).UTC()
	dl.Extensions = whistle.ExtensionLimits{Count: count, Cap: &limit}
	return dl, nil
}

// AddSpan returns in.From plus in.Span ("2d", "4h") on the wall clock or
// on working time, in UTC. A span that does not parse fails without retry.
func (a *Activities) AddSpan(ctx context.Context, in workflows.AddSpanInput) (time.Time, error) {
	return a.after(ctx, in.From, "span", in.Span, in.WallClock)
}

// after returns from plus the span s (what names it in errors) on the
// wall clock or on working time, in UTC.
func (a *Activities) after(ctx context.Context, from time.Time, what, s string, wallClock bool) (time.Time, error) {
	sp, err := span(what, s)
	if err != nil {
		return time.Time{}, err
	}
	cal, err := a.calendar(ctx)
	if err != nil {
		return time.Time{}, err
	}
	return cal.Add(from, sp, wallClock).UTC(), nil
}

// EvaluationWindow returns when the evaluation window opened at in.From
// closes — the policy's EvaluateWithin on working time, whatever the
// class ("3 working days" even for an emergency; whistle.DefaultEvaluateWithin
// if it names none) — and the policy's default satisfaction
// (whistle.DefaultSatisfaction if it names none that is valid). Due is in
// UTC.
func (a *Activities) EvaluationWindow(ctx context.Context, in workflows.DeadlinesInput) (workflows.EvaluationWindow, error) {
	p, err := a.Store.SLAPolicyFor(ctx, in.Class, in.Level)
	if err != nil {
		return workflows.EvaluationWindow{}, fmt.Errorf("evaluation window for %s at %s: %w", in.Class, in.Level, err)
	}
	due, err := a.after(ctx, in.From, "evaluate_within", whistle.EvaluateWithinOrDefault(p.EvaluateWithin), false)
	if err != nil {
		return workflows.EvaluationWindow{}, err
	}
	return workflows.EvaluationWindow{Due: due, DefaultSatisfaction: whistle.Satisfaction(p.DefaultSatisfaction).OrDefault()}, nil
}

// Project writes the case and the given timeline entries into the read
// model, and in.Notifications into the notification outbox in the same
// transaction (outbox.go). It is idempotent (store.ApplyCaseWithOutbox):
// the same input twice leaves one timeline row per seq, one outbox row per
// notification and the newest case row.
func (a *Activities) Project(ctx context.Context, in workflows.ProjectInput) error {
	items, err := outboxItems(in)
	if err != nil {
		return fmt.Errorf("project case %s at seq %d: %w", in.Case.ID, in.Case.Seq, err)
	}
	if err := a.Store.ApplyCaseWithOutbox(ctx, in.Case, in.Entries, items); err != nil {
		if a.Metrics != nil {
			a.Metrics.ProjectionFailures.Inc()
		}
		a.logger().ErrorContext(ctx, "projection failed", "case_id", in.Case.ID, "seq", in.Case.Seq, "error", err)
		return fmt.Errorf("project case %s at seq %d: %w", in.Case.ID, in.Case.Seq, err)
	}
	if len(items) > 0 {
		a.Outbox.Nudge()
	}
	a.pushHotlineResults(ctx, in) // hotline.go: a closed ticket's result goes back
	return nil
}

// Notify delivers n through the Notifier (the log when none is set). An
// error makes the activity retry; the receiver deduplicates by n's key.
func (a *Activities) Notify(ctx context.Context, n workflows.Notification) error {
	var nt Notifier = LogNotifier{Logger: a.logger()}
	if a.Notifier != nil {
		nt = a.Notifier
	}
	if err := nt.Notify(ctx, n); err != nil {
		a.logger().WarnContext(ctx, "notification failed", "case_id", n.CaseID, "task_id", n.TaskID, "seq", n.Seq, "event", n.Event, "error", err)
		return fmt.Errorf("notify %s: %w", IdempotencyKey(n), err)
	}
	return nil
}

// AcceptDeadline returns when a pending case from in.Source filed at
// in.From must be accepted: the source's intake setting (default
// whistle.DefaultAcceptWithin) on working time, like the key class's
// clocks, in UTC.
func (a *Activities) AcceptDeadline(ctx context.Context, in workflows.AcceptDeadlineInput) (time.Time, error) {
	within, err := a.Store.AcceptWithinFor(ctx, in.Source)
	if err != nil {
		return time.Time{}, fmt.Errorf("acceptance deadline for %s: %w", in.Source, err)
	}
	return a.after(ctx, in.From, "accept_within", within, false)
}

// Warnings returns the warning instants of a clock running in.From to
// in.Deadline under the thresholds of in.Class's policy at in.Level.
func (a *Activities) Warnings(ctx context.Context, in workflows.WarningsInput) ([]time.Time, error) {
	p, err := a.Store.SLAPolicyFor(ctx, in.Class, in.Level)
	if err != nil {
		return nil, fmt.Errorf("warnings for %s at %s: %w", in.Class, in.Level, err)
	}
	cal, err := a.calendar(ctx)
	if err != nil {
		return nil, err
	}
	yellow, red := warnFractions(p)
	return warningsAt(cal, in.From, in.Deadline, in.Class.WallClock(), yellow, red), nil
}

// warnFractions are the policy's warning thresholds, or the defaults.
func warnFractions(p store.SLAPolicy) (yellow, red float64) {
	yellow, red = p.WarnYellow, p.WarnRed
	if yellow <= 0 || yellow >= 1 {
		yellow = whistle.DefaultWarnYellow
	}
	if red <= 0 {
		red = whistle.DefaultWarnRed
	}
	if red <= yellow || red >= 1 {
		red = yellow + (1-yellow)/2 // halfway from yellow to the deadline
	}
	return yellow, red
}

// warningsAt places each fraction of the clock from→deadline: on the
// wall clock, or on working time (a fraction of the working time between
// them), whole seconds, in UTC.
func warningsAt(cal *worktime.Calendar, from, deadline time.Time, wall bool, fractions ...float64) []time.Time {
	out := make([]time.Time, 0, len(fractions))
	for _, f := range fractions {
		var at time.Time
		if wall {
			at = from.Add(time.Duration(f * float64(deadline.Sub(from))))
		} else {
			at = cal.Add(from, worktime.Span{Clock: time.Duration(f * float64(cal.WorkingBetween(from, deadline)))}, false)
		}
		out = append(out, at.Truncate(time.Second).UTC())
	}
	return out
}
