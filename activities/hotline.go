package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// HotlineResultEvent is the EventHeader of a pushed hotline result.
const HotlineResultEvent = "hotline_result"

// HotlinePusher is a Notifier that can also push a hotline ticket's result
// back (接诉即办's 回复). key is the same on every retry: ticket and seq.
type HotlinePusher interface {
	PushHotlineResult(ctx context.Context, key string, r store.HotlineResult) error
}

// HotlineResultKey identifies one push: the ticket and the seq of the
// close it reports.
func HotlineResultKey(ticketNo string, seq int64) string {
	return fmt.Sprintf("hotline-%s-%d", ticketNo, seq)
}

// hotlinePush is the body of a pushed result.
type hotlinePush struct {
	Event string `json:"event"`
	store.HotlineResult
}

// PushHotlineResult POSTs r, signed as the notifications are.
func (w *WebhookNotifier) PushHotlineResult(ctx context.Context, key string, r store.HotlineResult) error {
	body, err := json.Marshal(hotlinePush{Event: HotlineResultEvent, HotlineResult: r})
	if err != nil {
		return fmt.Errorf("encode hotline result: %w", err)
	}
	return w.post(ctx, body, key, HotlineResultEvent)
}

// PushHotlineResult logs the result: no caller's name or phone is in it.
func (l LogNotifier) PushHotlineResult(ctx context.Context, key string, r store.HotlineResult) error {
	lg := l.Logger
	if lg == nil {
		lg = slog.Default()
	}
	lg.InfoContext(ctx, "hotline result", "key", key, "ticket_no", r.TicketNo, "case_id", r.CaseID, "outcome", r.Outcome, "status", r.Status)
	return nil
}

// hotlinePushTimeout bounds a push inside the projection (a local
// activity of 10 s): a slow hotline must not hold the read model up.
const hotlinePushTimeout = 5 * time.Second

// pushHotlineResults pushes the result of every ticket following the case
// when in closes it (not when it closes as merged: a merged ticket follows
// the surviving case and is pushed when that one closes). It runs in the
// projection, after the read model has the close, so no workflow command
// changes (recorded histories replay as before). A push that fails is
// logged, counted and left to the sweeper (SweepHotlinePushes), with its
// backoff: the projection must not fail for it.
func (a *Activities) pushHotlineResults(ctx context.Context, in workflows.ProjectInput) {
	var seq int64
	for _, e := range in.Entries {
		if e.Type == whistle.EventClosed {
			seq = e.Seq
		}
	}
	if seq == 0 || in.Case.Status != whistle.CaseClosed || in.Case.Outcome == whistle.OutcomeMerged {
		return
	}
	lg := a.logger()
	tickets, err := a.Store.HotlineTicketsFollowing(ctx, in.Case.ID)
	if err != nil {
		lg.ErrorContext(ctx, "hotline result not pushed", "case_id", in.Case.ID, "error", err)
		return
	}
	p := hotlinePusher{Store: a.Store, Pusher: pusherOf(a.Notifier, lg), Logger: lg, Metrics: a.Metrics}
	for _, t := range tickets {
		if t.PushedSeq >= seq {
			continue
		}
		_ = p.push(ctx, t, seq, time.Now())
	}
}

// pusherOf is where results go: n when it can push them, else the log.
func pusherOf(n Notifier, lg *slog.Logger) HotlinePusher {
	if hp, ok := n.(HotlinePusher); ok {
		return hp
	}
	return LogNotifier{Logger: lg}
}

// HotlinePushBackoff is how long the sweeper waits after the attempts-th
// failed push of a result before the next: a minute, doubling, at most
// six hours, so a hotline down for a day is tried a few times an hour,
// not every minute.
func HotlinePushBackoff(attempts int) time.Duration {
	const first, most = time.Minute, 6 * time.Hour
	d := first
	for i := 1; i < attempts && d < most; i++ {
		d *= 2
	}
	return min(d, most)
}

// hotlinePusher pushes one ticket's result and records what came of it.
type hotlinePusher struct {
	Store   *store.Store
	Pusher  HotlinePusher
	Logger  *slog.Logger
	Metrics *Metrics
}

// push pushes t's result at seq (keyed by ticket and seq: a receiver
// drops a repeat) and marks it pushed; a failure is logged, counted and
// put off by HotlinePushBackoff. It returns the push's error.
func (p hotlinePusher) push(ctx context.Context, t store.HotlineTicket, seq int64, now time.Time) error {
	r, err := p.Store.HotlineResult(ctx, t)
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, hotlinePushTimeout)
		err = p.Pusher.PushHotlineResult(pctx, HotlineResultKey(t.TicketNo, seq), r)
		cancel()
	}
	if err != nil {
		if p.Metrics != nil {
			p.Metrics.HotlinePushFailures.Inc()
		}
		next := now.Add(HotlinePushBackoff(t.PushAttempts + 1))
		p.Logger.WarnContext(ctx, "hotline result push failed", "case_id", t.CaseID, "ticket_no", t.TicketNo, "seq", seq,
			"attempts", t.PushAttempts+1, "next_at", next.UTC(), "error", err)
		if rerr := p.Store.RecordHotlinePushFailure(ctx, t.TicketNo, seq, next, err.Error()); rerr != nil {
			p.Logger.ErrorContext(ctx, "hotline push failure not recorded", "ticket_no", t.TicketNo, "error", rerr)
		}
		return err
	}
	if _, err := p.Store.MarkHotlinePushed(ctx, t.TicketNo, seq); err != nil {
		p.Logger.ErrorContext(ctx, "hotline push not recorded", "ticket_no", t.TicketNo, "error", err)
		return err
	}
	return nil
}

// HotlineSweeper holds the activity of the hotline push sweep. Store is
// required; a Notifier that is a HotlinePusher receives the pushes (else
// they are logged); a nil Logger uses slog.Default; nil Metrics count
// nothing.
type HotlineSweeper struct {
	Store    *store.Store
	Notifier Notifier
	Logger   *slog.Logger
	Metrics  *Metrics
	// Now is the sweep's clock (default time.Now).
	Now func() time.Time
}

// RegisterHotlineSweep registers the SweepHotlinePushes workflow and its
// activity on a worker of workflows.TaskQueue.
func RegisterHotlineSweep(w worker.Registry, s *HotlineSweeper) {
	w.RegisterWorkflowWithOptions(workflows.SweepHotlinePushes, workflow.RegisterOptions{Name: workflows.SweepWorkflowName})
	w.RegisterActivityWithOptions(s.Sweep, activity.RegisterOptions{Name: workflows.ActivitySweepHotlinePushes})
}

// HotlineSweepGrace is how long after a close the sweeper leaves the
// result to the projection's own push.
const HotlineSweepGrace = 2 * time.Minute

// hotlineSweepBatch bounds one sweep; the next minute's takes the rest.
const hotlineSweepBatch = 200

// Sweep pushes the results whose case closed more than HotlineSweepGrace
// ago and that are not pushed yet (the projection's push failed, or the
// process died before it), each once its backoff has passed. A push
// failing is no error of the sweep (it is recorded for the next); only
// the store failing is.
func (s *HotlineSweeper) Sweep(ctx context.Context) (workflows.SweepResult, error) {
	lg := s.Logger
	if lg == nil {
		lg = slog.Default()
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	due, err := s.Store.DueHotlinePushes(ctx, now, now.Add(-HotlineSweepGrace), hotlineSweepBatch)
	if err != nil {
		return workflows.SweepResult{}, err
	}
	p := hotlinePusher{Store: s.Store, Pusher: pusherOf(s.Notifier, lg), Logger: lg, Metrics: s.Metrics}
	var res workflows.SweepResult
	for _, d := range due {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if p.push(ctx, d.Ticket, d.Seq, now) != nil {
			res.Failed++
			continue
		}
		res.Pushed++
	}
	return res, nil
}
