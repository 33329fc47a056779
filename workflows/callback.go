package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// The resident call-back (回访, issue 17): on a case filed with
// WhistleInput.CallbackRequired (residents' and hotline cases), the
// filing side records each attempt to reach the resident once the case is
// verified; the resident's answer is the satisfaction of the case's
// evaluations (state.go: checkCallback, applyCallback, settleCallback).
//
// Versioning: none needed. The change is data-only: the new rules apply
// only when the case state carries CallbackRequired, which no case filed
// before this change has, so every recorded history replays the very same
// commands; registering one more update handler issues no command, and an
// update named "callback" on an old case is refused by its validator
// (checkCallback: no call-back needed) before anything is written. Workers
// must be upgraded before the API that starts sending CallbackRequired:
// an old worker would drop the field and run the case without a call-back.

// callbackHandlers registers the call-back update.
func (r *run) callbackHandlers(ctx workflow.Context) []error {
	m := r.m
	return []error{
		handle(ctx, r, UpdateCallback, m.checkCallback, func(_ workflow.Context, now time.Time, in CallbackInput) error {
			m.applyCallback(now, in)
			return nil
		}),
	}
}
