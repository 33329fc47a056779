package loadgen

import (
	"context"
	"fmt"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/shaobao/shaobao/workflows"
)

// NoopWorkflowName is the baseline workflow: it returns at once, so its
// throughput is what the Temporal server and one SDK worker can do for a
// workflow at all (start, one workflow task, complete) — the engine's
// ceiling that a Shaobao lifecycle is compared with.
const NoopWorkflowName = "ShaobaoBenchNoop"

func noop(workflow.Context) error { return nil }

// NoopResult is what the baseline measured.
type NoopResult struct {
	Workflows, Failed int
	Elapsed           time.Duration
	Latency           Percentiles
	Errors            []error
}

// PerSecond is completed no-op workflows per second.
func (r NoopResult) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Workflows-r.Failed) / r.Elapsed.Seconds()
}

// RunNoop runs n no-op workflows, concurrency at a time, each started and
// awaited through c, on a worker it starts in this process on a task queue
// of its own (so the server is the same as the lifecycles' and Shaobao's
// own workers are not involved). The worker stops before RunNoop returns.
func RunNoop(ctx context.Context, c client.Client, n, concurrency int) (NoopResult, error) {
	queue := "shaobao-bench-noop-" + randomTag()
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(noop, workflow.RegisterOptions{Name: NoopWorkflowName})
	if err := w.Start(); err != nil {
		return NoopResult{}, fmt.Errorf("start no-op worker: %w", err)
	}
	defer w.Stop()
	res := NoopResult{Workflows: n}
	var (
		mu  sync.Mutex
		lat []time.Duration
	)
	start := time.Now()
	inParallel(ctx, n, concurrency, time.Time{}, func(i int) {
		t0 := time.Now()
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: fmt.Sprintf("%s-%d", queue, i), TaskQueue: queue,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		}, NoopWorkflowName)
		if err == nil {
			err = run.Get(ctx, nil)
		}
		mu.Lock()
		if err != nil {
			keepFailure(&res.Failed, &res.Errors, err)
		} else {
			lat = append(lat, time.Since(t0))
		}
		mu.Unlock()
	})
	res.Elapsed = time.Since(start)
	res.Latency = Quantiles(lat)
	return res, nil
}

// HistoryEvents returns the number of events in the history of each case's
// workflow (all runs are one here: a lifecycle never continues as new).
func HistoryEvents(ctx context.Context, c client.Client, caseIDs []string) ([]int, error) {
	ids := make([]string, len(caseIDs))
	for i, id := range caseIDs {
		ids[i] = workflows.WorkflowID(id)
	}
	return HistoryEventsOf(ctx, c, ids)
}

// HistoryEventsOf returns the number of events in the history of each
// workflow.
func HistoryEventsOf(ctx context.Context, c client.Client, workflowIDs []string) ([]int, error) {
	counts := make([]int, 0, len(workflowIDs))
	for _, id := range workflowIDs {
		it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		n := 0
		for it.HasNext() {
			if _, err := it.Next(); err != nil {
				return counts, fmt.Errorf("history of %s: %w", id, err)
			}
			n++
		}
		counts = append(counts, n)
	}
	return counts, nil
}
