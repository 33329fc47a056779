package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// BareWorkflowName is the bare-shape baseline: a workflow that takes
// exactly the Updates a lifecycle takes, with payloads of the same sizes,
// and does nothing with them (empty handlers, no activities, no timers, no
// search attributes). Against it a lifecycle's cost splits into the
// engine's share for that many Updates and Shaobao's own.
const BareWorkflowName = "ShaobaoBenchBare"

// BareInput starts a bare workflow: the Update names to accept, how many
// Updates to take before it completes, and padding to the size of the
// real start input.
type BareInput struct {
	Names   []string `json:"names"`
	Updates int      `json:"updates"`
	Pad     string   `json:"pad"`
}

// BareUpdate is the input of every bare Update: padding to the real
// input's size, and the size the answer must have.
type BareUpdate struct {
	Result int    `json:"result"`
	Pad    string `json:"pad"`
}

// bare accepts in.Updates Updates, answering each with a string whose
// encoded size is the one asked for, and then completes.
func bare(ctx workflow.Context, in BareInput) error {
	done := 0
	for _, name := range in.Names {
		err := workflow.SetUpdateHandler(ctx, name, func(_ workflow.Context, u BareUpdate) (string, error) {
			done++
			// A JSON string's payload is its characters and two quotes.
			return strings.Repeat("x", max(u.Result-2, 0)), nil
		})
		if err != nil {
			return fmt.Errorf("register update %s: %w", name, err)
		}
	}
	return workflow.Await(ctx, func() bool { return done >= in.Updates && workflow.AllHandlersFinished(ctx) })
}

// BareShape is a lifecycle's Updates with the encoded sizes (bytes of
// payload data) of their inputs and answers.
type BareShape struct {
	StartInput int
	Phases     []BarePhase
}

// BarePhase is a Phase with the sizes of each of its Updates.
type BarePhase struct {
	Phase
	Inputs, Results []int // one per Update of the phase
}

// Updates is the number of Updates of the shape.
func (b BareShape) Updates() int {
	n := 0
	for _, p := range b.Phases {
		n += p.Count
	}
	return n
}

// Names are the distinct Update names of the shape, in order.
func (b BareShape) Names() []string {
	var names []string
	for _, p := range b.Phases {
		if !slices.Contains(names, p.Update) {
			names = append(names, p.Update)
		}
	}
	return names
}

// ShapeOf gives each Update of the phases the sizes of the one of the same
// name and rank in a real lifecycle's history (the second report Update
// of the phases takes the second report Update's sizes).
func ShapeOf(phases []Phase, h HistoryUpdates) (BareShape, error) {
	b := BareShape{StartInput: h.StartInput}
	seen := map[string]int{}
	for _, p := range phases {
		bp := BarePhase{Phase: p}
		for range p.Count {
			k := seen[p.Update]
			seen[p.Update]++
			u, ok := h.nth(p.Update, k)
			if !ok {
				return BareShape{}, fmt.Errorf("bare shape: the history of %s has %d %q Updates, the lifecycle takes at least %d",
					h.WorkflowID, k, p.Update, k+1)
			}
			bp.Inputs = append(bp.Inputs, u.Input)
			bp.Results = append(bp.Results, u.Result)
		}
		b.Phases = append(b.Phases, bp)
	}
	return b, nil
}

// padded returns mk(pad) with pad long enough that its encoded payload
// data is size bytes (or as small as it gets when size is smaller).
func padded[T any](size int, mk func(pad string) T) (T, error) {
	base, err := encodedSize(mk(""))
	if err != nil {
		var zero T
		return zero, err
	}
	return mk(strings.Repeat("x", max(size-base, 0))), nil
}

// encodedSize is the size of v's payload data under the default data
// converter (JSON), as the SDK sends it.
func encodedSize(v any) (int, error) {
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		return 0, fmt.Errorf("encode %T: %w", v, err)
	}
	return len(p.GetData()), nil
}

// BareResult is what a run of bare shapes measured.
type BareResult struct {
	Shapes, Failed int
	Elapsed        time.Duration
	// Latencies holds every successful Update's latency by action, and
	// All every successful Update's.
	Latencies map[string][]time.Duration
	All       []time.Duration
	// WorkflowIDs are the bare workflows that took all their Updates.
	WorkflowIDs []string
	Errors      []error
}

// PerSecond is completed bare shapes per second of wall time.
func (r BareResult) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.WorkflowIDs)) / r.Elapsed.Seconds()
}

// RunBare runs n bare shapes, concurrency at a time, on a worker it starts
// in this process on a task queue of its own. Each is driven through the
// Temporal client as the API drives a case: the first Update starts the
// workflow (update-with-start, the API's conflict and reuse policies), the
// others are UpdateWorkflow calls, each waiting for the Update's
// completion, phase by phase as the lifecycle sends them. The worker
// stops before RunBare returns.
func RunBare(ctx context.Context, c client.Client, shape BareShape, n, concurrency int) (BareResult, error) {
	if len(shape.Phases) == 0 || shape.Phases[0].Count != 1 {
		return BareResult{}, fmt.Errorf("bare shape: the first phase must be the one Update that starts the workflow")
	}
	queue := "shaobao-bench-bare-" + randomTag()
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(bare, workflow.RegisterOptions{Name: BareWorkflowName})
	if err := w.Start(); err != nil {
		return BareResult{}, fmt.Errorf("start bare-shape worker: %w", err)
	}
	defer w.Stop()

	start, err := padded(shape.StartInput, func(pad string) BareInput {
		return BareInput{Names: shape.Names(), Updates: shape.Updates(), Pad: pad}
	})
	if err != nil {
		return BareResult{}, err
	}
	inputs := make([][]BareUpdate, len(shape.Phases))
	for i, p := range shape.Phases {
		for k := range p.Count {
			u, err := padded(p.Inputs[k], func(pad string) BareUpdate { return BareUpdate{Result: p.Results[k], Pad: pad} })
			if err != nil {
				return BareResult{}, err
			}
			inputs[i] = append(inputs[i], u)
		}
	}

	res := BareResult{Shapes: n, Latencies: map[string][]time.Duration{}}
	var mu sync.Mutex
	observe := func(action string, d time.Duration) {
		mu.Lock()
		res.Latencies[action] = append(res.Latencies[action], d)
		res.All = append(res.All, d)
		mu.Unlock()
	}
	t0 := time.Now()
	inParallel(ctx, n, concurrency, time.Time{}, func(i int) {
		id := fmt.Sprintf("%s-%d", queue, i)
		err := bareOnce(ctx, c, queue, id, shape, start, inputs, observe)
		mu.Lock()
		if err != nil {
			keepFailure(&res.Failed, &res.Errors, fmt.Errorf("bare shape %s: %w", id, err))
		} else {
			res.WorkflowIDs = append(res.WorkflowIDs, id)
		}
		mu.Unlock()
	})
	res.Elapsed = time.Since(t0)
	return res, nil
}

// bareOnce drives one bare workflow through the shape.
func bareOnce(ctx context.Context, c client.Client, queue, id string, shape BareShape, start BareInput, inputs [][]BareUpdate,
	observe func(string, time.Duration)) error {
	send := func(p Phase, in BareUpdate, first bool) error {
		t0 := time.Now()
		opts := client.UpdateWorkflowOptions{
			UpdateID: updateIDFor(p.Update), UpdateName: p.Update,
			Args: []any{in}, WaitForStage: client.WorkflowUpdateStageCompleted,
		}
		var (
			h   client.WorkflowUpdateHandle
			err error
		)
		if first {
			opts.UpdateID = p.Update // as the API's filing: one fixed id per workflow
			h, err = c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
				StartWorkflowOperation: c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
					ID: id, TaskQueue: queue,
					WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
					WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
				}, BareWorkflowName, start),
				UpdateOptions: opts,
			})
		} else {
			opts.WorkflowID = id
			h, err = c.UpdateWorkflow(ctx, opts)
		}
		if err == nil {
			var answer string
			err = h.Get(ctx, &answer)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p.Update, err)
		}
		observe(p.Action, time.Since(t0))
		return nil
	}
	for i, p := range shape.Phases {
		errs := make([]error, p.Count)
		if p.Parallel {
			var wg sync.WaitGroup
			for k := range p.Count {
				wg.Go(func() { errs[k] = send(p.Phase, inputs[i][k], i == 0) })
			}
			wg.Wait()
		} else {
			for k := range p.Count {
				if errs[k] = send(p.Phase, inputs[i][k], i == 0); errs[k] != nil {
					break
				}
			}
		}
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// updateIDFor is an Update id of the API's form: the name and 32 hex
// digits (the API's digest of the idempotency key).
func updateIDFor(name string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return name + "-" + hex.EncodeToString(b)
}
