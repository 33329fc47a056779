package activities

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// Supervision holds the activity of the monthly publication. Store is
// required; a nil Logger uses slog.Default.
type Supervision struct {
	Store  *store.Store
	Logger *slog.Logger
	// Now is the clock stamped on a publication (default time.Now).
	Now func() time.Time
}

// RegisterSupervision registers the PublishSupervision workflow and its
// activity on a worker of workflows.TaskQueue.
func RegisterSupervision(w worker.Registry, a *Supervision) {
	w.RegisterWorkflowWithOptions(workflows.PublishSupervision, workflow.RegisterOptions{Name: workflows.PublishWorkflowName})
	w.RegisterActivityWithOptions(a.PublishMonth, activity.RegisterOptions{Name: workflows.ActivityPublishMonth})
}

// PublishMonth folds every queued projection change into the roll-up, then
// freezes month (YYYYMM) once. It is idempotent: a month already published
// is left untouched and reported with Published false.
func (a *Supervision) PublishMonth(ctx context.Context, month int) (workflows.PublishResult, error) {
	log := a.Logger
	if log == nil {
		log = slog.Default()
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	label := fmt.Sprintf("%04d-%02d", month/100, month%100)
	if _, err := a.Store.Publication(ctx, month); err == nil {
		return workflows.PublishResult{Month: label}, nil
	}
	refreshed, err := a.Store.RefreshSupervision(ctx, 0, 1000, true)
	if err != nil {
		return workflows.PublishResult{}, fmt.Errorf("refresh before publishing %s: %w", label, err)
	}
	pub, published, err := a.Store.PublishMonth(ctx, month, now())
	if err != nil {
		if whistle.ErrorCode(err) == whistle.EInvalid {
			return workflows.PublishResult{}, temporal.NewNonRetryableApplicationError(err.Error(), whistle.EInvalid, err)
		}
		return workflows.PublishResult{}, err
	}
	log.Info("supervision month", "month", label, "published", published, "rows", pub.Rows, "folded", refreshed.Cases)
	return workflows.PublishResult{Month: label, Published: published, Rows: pub.Rows, PublishedAt: pub.PublishedAt}, nil
}
