package app_test

import (
	"context"
	"log/slog"
	"testing"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/temporaltest"

	"github.com/shaobao/shaobao/app"
	"github.com/shaobao/shaobao/workflows"
)

// TestStartRegistersMissingNamespace: on a fresh cluster whose namespace
// nobody created, serve's start-up check registers it and its search
// attributes, and a second start finds both and changes nothing.
func TestStartRegistersMissingNamespace(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t),
		temporaltest.WithBaseClientOptions(client.Options{Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))}))
	ns := "shaobao-city"
	for range 2 {
		a := app.New(&app.Config{TemporalAddress: ts.GetFrontendHostPort(), TemporalNamespace: ns}, slog.New(slog.DiscardHandler))
		if err := a.ConnectTemporal(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := a.EnsureSearchAttributes(t.Context()); err != nil {
			t.Fatal(err)
		}
		d, err := a.Temporal.WorkflowService().DescribeNamespace(context.Background(), &workflowservice.DescribeNamespaceRequest{Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		if got := d.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got <= 0 {
			t.Errorf("retention %s, want the registered one", got)
		}
		if err := workflows.CheckSearchAttributes(context.Background(), a.Temporal, ns); err != nil {
			t.Fatal(err)
		}
		a.Close()
	}
}
