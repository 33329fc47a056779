package main

import (
	"context"
	"fmt"
	"time"

	"github.com/shaobao/shaobao/workflows"
)

// ensureSearchAttributes makes sure the namespace can run cases before
// serve takes any: it registers the search attributes the namespace lacks
// through the operator service, and refuses to start, saying what to
// register, when it may not. A case started without them would fail every
// workflow task forever.
func (a *App) ensureSearchAttributes(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	added, err := workflows.EnsureSearchAttributes(ctx, a.temporal, a.cfg.TemporalNamespace)
	if err != nil {
		return fmt.Errorf("serve: the Temporal namespace cannot run cases: %w", err)
	}
	if len(added) > 0 {
		a.log.Info("search attributes registered", "namespace", a.cfg.TemporalNamespace, "added", added)
	}
	return nil
}
