package devserver

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/shaobao/shaobao/workflows"
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
	missing, err := workflows.MissingSearchAttributes(ctx, c, namespace, attrs)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("search attributes %v not yet listed", slices.Sorted(maps.Keys(missing)))
	}
	if _, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace}); err != nil {
		return fmt.Errorf("count workflows: %w", err)
	}
	return nil
}
