package loadgen

import (
	"context"
	"fmt"
	"slices"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	querypb "go.temporal.io/api/query/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// HistoryUpdates are the payload sizes of one workflow's start and
// Updates, read from its history: bytes of payload data, as encoded.
type HistoryUpdates struct {
	WorkflowID string
	StartInput int
	Updates    []HistoryUpdate // in the order they were accepted
}

// HistoryUpdate is one accepted Update's name and the sizes of its input
// and of its answer (0 until it completed).
type HistoryUpdate struct {
	Name          string
	Input, Result int
}

// nth is the k-th (from 0) Update named name.
func (h HistoryUpdates) nth(name string, k int) (HistoryUpdate, bool) {
	for _, u := range h.Updates {
		if u.Name != name {
			continue
		}
		if k == 0 {
			return u, true
		}
		k--
	}
	return HistoryUpdate{}, false
}

// Payload size kinds of History.Sizes.
const (
	KindStartInput = "start input"
	KindProjection = "projection input (ProjectInput)"
	KindQueryState = "query state answer"
)

// KindUpdateInput and the functions below name the per-name kinds.
func KindUpdateInput(name string) string  { return "update " + name + " input" }
func KindUpdateResult(name string) string { return "update " + name + " result" }
func kindMarker(name string) string       { return "marker " + name }
func kindActivityInput(name string) string {
	return "activity " + name + " input"
}

// History is what one workflow's history holds: its event count, its
// start's and Updates' payload sizes and, by kind, the size of every
// payload it carries (start input, Update inputs and results, marker
// details by local activity type, activity inputs).
type History struct {
	HistoryUpdates
	Events int
	Sizes  map[string][]int
}

// ReadHistory reads the history of workflowID through the client. For a
// whistle workflow it also rebuilds each projection's input: the
// workflow projects at every change, before it answers the Update, so
// the case each Update answered, with the timeline entries since the
// previous answer, is what its local activity carried (its input is not
// in the history: a local activity's marker records only its result).
func ReadHistory(ctx context.Context, c client.Client, workflowID string) (History, error) {
	h := History{HistoryUpdates: HistoryUpdates{WorkflowID: workflowID}, Sizes: map[string][]int{}}
	add := func(kind string, n int) { h.Sizes[kind] = append(h.Sizes[kind], n) }
	dc := converter.GetDefaultDataConverter()
	accepted := map[int64]int{} // accepted event id → index in h.Updates
	var projected int64
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return h, fmt.Errorf("history of %s: %w", workflowID, err)
		}
		h.Events++
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			h.StartInput = payloadsSize(ev.GetWorkflowExecutionStartedEventAttributes().GetInput())
			add(KindStartInput, h.StartInput)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			in := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput()
			u := HistoryUpdate{Name: in.GetName(), Input: payloadsSize(in.GetArgs())}
			accepted[ev.GetEventId()] = len(h.Updates)
			h.Updates = append(h.Updates, u)
			add(KindUpdateInput(u.Name), u.Input)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
			a := ev.GetWorkflowExecutionUpdateCompletedEventAttributes()
			i, ok := accepted[a.GetAcceptedEventId()]
			ok = ok && a.GetOutcome().GetSuccess() != nil
			if !ok {
				continue
			}
			u := &h.Updates[i]
			u.Result = payloadsSize(a.GetOutcome().GetSuccess())
			add(KindUpdateResult(u.Name), u.Result)
			var kase whistle.Case
			if dc.FromPayloads(a.GetOutcome().GetSuccess(), &kase) == nil && kase.ID != "" {
				if n, ok := projectionSize(kase, projected); ok {
					add(KindProjection, n)
					projected = kase.Seq
				}
			}
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			a := ev.GetMarkerRecordedEventAttributes()
			name := a.GetMarkerName()
			if data, ok := a.GetDetails()["data"]; ok && name == "LocalActivity" {
				var md struct{ ActivityType string }
				if dc.FromPayloads(data, &md) == nil && md.ActivityType != "" {
					name += " " + md.ActivityType
				}
			}
			n := 0
			for _, p := range a.GetDetails() {
				n += payloadsSize(p)
			}
			add(kindMarker(name), n)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			a := ev.GetActivityTaskScheduledEventAttributes()
			add(kindActivityInput(a.GetActivityType().GetName()), payloadsSize(a.GetInput()))
		}
	}
	return h, nil
}

// projectionSize is the encoded size of the projection that wrote kase's
// timeline entries after seq, and false when there are none.
func projectionSize(kase whistle.Case, seq int64) (int, bool) {
	i := slices.IndexFunc(kase.Timeline, func(e whistle.TimelineEntry) bool { return e.Seq > seq })
	if i < 0 {
		return 0, false
	}
	in := workflows.ProjectInput{Case: kase, Entries: kase.Timeline[i:]}
	in.Case.Timeline = nil
	n, err := encodedSize(in)
	return n, err == nil
}

// QueryStateSize is the encoded size of the whistle workflow's answer to
// QueryState, as the server returns it (a closed workflow is replayed by
// a worker to answer).
func QueryStateSize(ctx context.Context, c client.Client, namespace, workflowID string) (int, error) {
	res, err := c.WorkflowService().QueryWorkflow(ctx, &workflowservice.QueryWorkflowRequest{
		Namespace: namespace,
		Execution: &commonpb.WorkflowExecution{WorkflowId: workflowID},
		Query:     &querypb.WorkflowQuery{QueryType: workflows.QueryState},
	})
	if err != nil {
		return 0, fmt.Errorf("query %s of %s: %w", workflows.QueryState, workflowID, err)
	}
	return payloadsSize(res.GetQueryResult()), nil
}

func payloadsSize(ps *commonpb.Payloads) int {
	n := 0
	for _, p := range ps.GetPayloads() {
		n += len(p.GetData())
	}
	return n
}
