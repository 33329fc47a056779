package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

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
// logged and not retried here: the projection must not fail for it, and
// the result stays readable at GET /api/v1/intake/hotline/{ticket_no}.
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
	var p HotlinePusher = LogNotifier{Logger: lg}
	if hp, ok := a.Notifier.(HotlinePusher); ok {
		p = hp
	}
	for _, t := range tickets {
		if t.PushedSeq >= seq {
			continue
		}
		r, err := a.Store.HotlineResult(ctx, t)
		if err != nil {
			lg.ErrorContext(ctx, "hotline result not pushed", "case_id", in.Case.ID, "ticket_no", t.TicketNo, "error", err)
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, hotlinePushTimeout)
		err = p.PushHotlineResult(pctx, HotlineResultKey(t.TicketNo, seq), r)
		cancel()
		if err != nil {
			lg.WarnContext(ctx, "hotline result push failed", "case_id", in.Case.ID, "ticket_no", t.TicketNo, "seq", seq, "error", err)
			continue
		}
		if _, err := a.Store.MarkHotlinePushed(ctx, t.TicketNo, seq); err != nil {
			lg.ErrorContext(ctx, "hotline push not recorded", "ticket_no", t.TicketNo, "error", err)
		}
	}
}
