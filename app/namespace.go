package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// namespaceRetention is how long Temporal keeps a closed case's history
// in a namespace serve registers (the embedded server's too): the read
// model keeps the case; the history is for debugging a recent one.
const namespaceRetention = 7 * 24 * time.Hour

// ensureNamespace makes sure the configured namespace exists: it registers
// a missing one when the credentials may, and otherwise refuses to start
// saying how an operator creates it. It returns whether it registered it.
func (a *App) ensureNamespace(ctx context.Context) (bool, error) {
	ns := a.Config.TemporalNamespace
	_, err := a.Temporal.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns})
	var notFound *serviceerror.NamespaceNotFound
	if err == nil {
		return false, nil
	}
	if !errors.As(err, &notFound) {
		return false, fmt.Errorf("describe Temporal namespace %q: %w", ns, err)
	}
	_, err = a.Temporal.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: ns, WorkflowExecutionRetentionPeriod: durationpb.New(namespaceRetention),
		Description: "Shaobao (哨报) cases",
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return false, fmt.Errorf("Temporal namespace %q does not exist and could not be registered: %w; create it with:\n  temporal operator namespace create --namespace %s --retention %s",
			ns, err, ns, namespaceRetention)
	}
	// The frontend serves a new namespace once its namespace caches
	// refresh: the operator service's (search attributes) after the
	// workflow service's.
	for {
		_, err := a.Temporal.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns})
		if err == nil {
			_, err = a.Temporal.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
		}
		if err == nil {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("registered Temporal namespace %q, but the frontend does not serve it yet: %w", ns, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
