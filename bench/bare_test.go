package bench

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/shaobao/shaobao/devserver"
	"github.com/shaobao/shaobao/loadgen"
	"github.com/shaobao/shaobao/workflows"
)

// TestBareShapeOnTemporal runs bare shapes on an embedded Temporal server
// and reads one back: its history must hold the shape's Updates, in its
// order, with exactly its payload sizes, and the workflow must complete
// after the last one.
func TestBareShapeOnTemporal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{DataDir: t.TempDir(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	tc, err := client.DialContext(ctx, client.Options{HostPort: srv.HostPort(), Namespace: srv.Namespace(), Logger: sdklog.NewStructuredLogger(quietLogger())})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()

	// Sizes as a lifecycle's history gives them, for a one-department case.
	solo := loadgen.DemoJoint
	solo.Clerks = solo.Clerks[:1]
	hist := loadgen.HistoryUpdates{WorkflowID: "case-x", StartInput: 1200, Updates: []loadgen.HistoryUpdate{
		{Name: workflows.UpdateFiled, Input: 50, Result: 2900},
		{Name: workflows.UpdateReport, Input: 120, Result: 3300},
		{Name: workflows.UpdateFeedback, Input: 310, Result: 3900},
		{Name: workflows.UpdateVerify, Input: 160, Result: 4400},
		{Name: workflows.UpdateEvaluate, Input: 210, Result: 5100},
	}}
	shape, err := loadgen.ShapeOf(solo.Shape(), hist)
	if err != nil {
		t.Fatal(err)
	}
	res, err := loadgen.RunBare(ctx, tc, shape, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 0 || len(res.WorkflowIDs) != 3 {
		t.Fatalf("%d of 3 bare shapes done, %d failed: %v", len(res.WorkflowIDs), res.Failed, res.Errors)
	}
	if len(res.All) != 3*5 || len(res.Latencies[loadgen.ActEvaluate]) != 3 {
		t.Fatalf("%d Update latencies (%d evaluations), want 15 (3)", len(res.All), len(res.Latencies[loadgen.ActEvaluate]))
	}
	id := res.WorkflowIDs[0]
	if err := tc.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
		t.Fatalf("bare workflow %s did not complete after its last Update: %v", id, err)
	}
	h, err := loadgen.ReadHistory(ctx, tc, id)
	if err != nil {
		t.Fatal(err)
	}
	if h.StartInput != hist.StartInput {
		t.Errorf("start input %d bytes, want %d", h.StartInput, hist.StartInput)
	}
	if !slices.Equal(h.Updates, hist.Updates) {
		t.Errorf("the bare workflow's Updates\n  %v\nwant the lifecycle's\n  %v", h.Updates, hist.Updates)
	}
	for kind := range h.Sizes {
		if strings.HasPrefix(kind, "marker ") || strings.HasPrefix(kind, "activity ") {
			t.Errorf("the bare workflow's history has %s payloads: it must run no activity", kind)
		}
	}
}
