package main

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/shaobao/shaobao/activities"
	"github.com/shaobao/shaobao/workflows"
)

// startWorker starts the whistle workflow's worker on the task queue: the
// workflow, its activities and the projection into this process's store.
func (a *App) startWorker(ctx context.Context) error {
	notifier := a.notifier()
	w := worker.New(a.temporal, workflows.TaskQueue, worker.Options{})
	activities.Register(w, &activities.Activities{Store: a.store, Notifier: notifier, Logger: a.log.With("component", "activities"),
		Metrics: activities.NewMetrics(a.registry())})
	activities.RegisterSupervision(w, &activities.Supervision{Store: a.store, Logger: a.log.With("component", "supervision")})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker on task queue %s: %w", workflows.TaskQueue, err)
	}
	// The monthly publication of the supervision figures (Asia/Shanghai).
	if err := workflows.EnsureSchedules(ctx, a.temporal); err != nil {
		w.Stop()
		return err
	}
	// Fold projection changes into the supervision roll-up in the
	// background, so a supervisor's read finds little left to fold.
	go a.store.RunSupervisionRefresher(ctx, 30*time.Second)
	a.closers = append(a.closers, w.Stop)
	a.log.Info("worker started", "task_queue", workflows.TaskQueue)
	return nil
}

// notifier is where notifications go: the webhook when one is configured,
// else the log.
func (a *App) notifier() activities.Notifier {
	if a.cfg.WebhookURL != "" {
		return &activities.WebhookNotifier{URL: a.cfg.WebhookURL, Secret: []byte(a.cfg.WebhookSecret)}
	}
	return activities.LogNotifier{Logger: a.log.With("component", "notify")}
}
