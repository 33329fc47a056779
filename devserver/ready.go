package devserver

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

const readyPollInterval = 50 * time.Millisecond

// waitReady returns once the frontend at hostPort answers, the namespace
// exists, it lists every attribute of attrs with its type, and a visibility
// query on the namespace succeeds.
func waitReady(ctx context.Context, hostPort, namespace string, attrs map[string]enumspb.IndexedValueType, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()

	c, err := client.DialContext(ctx, client.Options{
		HostPort:  hostPort,
		Namespace: namespace,
		Logger:    sdklog.NewStructuredLogger(logger),
	})
	if err != nil {
		return fmt.Errorf("dial temporal frontend at %s: %w", hostPort, err)
	}
	defer c.Close()

	var lastErr error
	for {
		if lastErr = checkReady(ctx, c, namespace, attrs); lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for namespace %q to be usable: %w (last: %v)", namespace, ctx.Err(), lastErr)
		case <-time.After(readyPollInterval):
		}
	}
}

func checkReady(ctx context.Context, c client.Client, namespace string, attrs map[string]enumspb.IndexedValueType) error {
	if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace}); err != nil {
		return fmt.Errorf("describe namespace: %w", err)
	}
	listed, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	for name, want := range attrs {
		if have, ok := listed.GetCustomAttributes()[name]; !ok || have != want {
			return fmt.Errorf("search attribute %q not yet listed as %v", name, want)
		}
	}
	if _, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace}); err != nil {
		return fmt.Errorf("count workflows: %w", err)
	}
	return nil
}
