package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/shaobao/shaobao/whistle"
)

// UpdateFiled is sent with the workflow's start (update-with-start) by the
// API that files a case: it returns the case once the first summons is
// made and projected, so the filer's response and the lists agree.
const UpdateFiled = "filed"

// FiledInput is the input of UpdateFiled.
type FiledInput struct {
	Actor whistle.Actor `json:"actor"`
}

// registerFiled installs UpdateFiled. Its handler may run before start has
// taken the run's mutex, so it first waits for the summons to exist (or a
// pending case's start to finish), then
// for the mutex, which start holds until the summons is projected.
func (r *run) registerFiled(ctx workflow.Context) error {
	err := workflow.SetUpdateHandler(ctx, UpdateFiled, func(ctx workflow.Context, _ FiledInput) (whistle.Case, error) {
		// A pending case has no summons: it is filed once start is done.
		if err := workflow.Await(ctx, func() bool { return len(r.m.c.Tasks) > 0 || r.ready }); err != nil {
			return whistle.Case{}, err
		}
		if err := r.mu.Lock(ctx); err != nil {
			return whistle.Case{}, err
		}
		defer r.mu.Unlock()
		return r.m.copyCase(), nil
	})
	if err != nil {
		return fmt.Errorf("register update %s: %w", UpdateFiled, err)
	}
	return nil
}
