package integration

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/temporal"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/workflows"
)

// newBareNamespaceEnv is newAPIEnv on a namespace that has none of the
// cases' search attributes, as a production namespace nobody prepared.
func newBareNamespaceEnv(t *testing.T) (*apiEnv, *temporaltest.TestServer) {
	t.Helper()
	ts := temporaltest.NewServer(temporaltest.WithT(t),
		temporaltest.WithBaseClientOptions(client.Options{Logger: log.NewStructuredLogger(discard)}),
		temporaltest.WithBaseServerOptions(temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): []dynamicconfig.ConstrainedValue{{Value: true}},
		})))
	c := ts.GetDefaultClient()
	st := storetest.MustOpenSQLite(t)
	storetest.MustSeedDemo(t, st)
	ns := ts.GetDefaultNamespace()
	e := &env{t: t, c: c, st: st, ns: ns, app: startApp(t, c, ns, st)}
	return serveAPI(e), ts
}

// TestNamespaceWithoutSearchAttributes: on a namespace lacking the search
// attributes a filing answers 503 with a message for the operator and
// leaves nothing behind (no case in the read model, no workflow), /readyz
// says not ready and why; serve's start-up check registers them, after
// which /readyz is ready and filing works. Before, /readyz said ready and
// the filing left a ghost case whose workflow failed every task.
func TestNamespaceWithoutSearchAttributes(t *testing.T) {
	a, _ := newBareNamespaceEnv(t)
	ctx := context.Background()

	r := a.call("", "GET", "/readyz", "")
	require.Equal(t, 503, r.Status, r.Raw)
	checks, _ := r.Body["checks"].(map[string]any)
	require.Contains(t, checks["search_attributes"], "ShaobaoClass", r.Raw)

	r = a.call("c1-secretary", "POST", "/api/v1/cases", jointBody)
	require.Equal(t, 503, r.Status, r.Raw)
	require.Equal(t, "unavailable", r.code())
	require.Contains(t, r.message(), "搜索属性")
	a.assertNoCase()

	// serve's start-up check registers what is missing.
	added, err := workflows.EnsureSearchAttributes(ctx, a.c, a.ns)
	require.NoError(t, err)
	require.Len(t, added, len(workflows.SearchAttributes))
	require.NoError(t, workflows.CheckSearchAttributes(ctx, a.c, a.ns))
	added, err = workflows.EnsureSearchAttributes(ctx, a.c, a.ns)
	require.NoError(t, err)
	require.Empty(t, added, "a second start registers nothing")

	// /readyz caches its answer briefly; within that it turns ready.
	require.Eventually(t, func() bool {
		return a.call("", "GET", "/readyz", "").Status == 200
	}, 15*time.Second, 250*time.Millisecond)
	id := a.fileJoint()
	a.must("c1-secretary", "GET", "/api/v1/cases/"+id, "", 200)
}

// TestNamespaceLosesSearchAttributes: when the namespace loses the
// attributes while the API still believes it has them (its cached check),
// Temporal itself refuses the start, which carries the attributes: 503 and
// no ghost case, where the first workflow task used to project the case
// before its upsert failed.
func TestNamespaceLosesSearchAttributes(t *testing.T) {
	a, _ := newBareNamespaceEnv(t)
	ctx := context.Background()
	_, err := workflows.EnsureSearchAttributes(ctx, a.c, a.ns)
	require.NoError(t, err)
	require.Equal(t, 200, a.call("", "GET", "/readyz", "").Status, "ready, and the check cached")

	var names []string
	for name := range workflows.SearchAttributes {
		names = append(names, name)
	}
	_, err = a.c.OperatorService().RemoveSearchAttributes(ctx, &operatorservice.RemoveSearchAttributesRequest{Namespace: a.ns, SearchAttributes: names})
	require.NoError(t, err)

	r := a.call("c1-secretary", "POST", "/api/v1/cases", jointBody)
	require.Equal(t, 503, r.Status, r.Raw)
	require.Contains(t, r.message(), "搜索属性")
	a.assertNoCase()
	require.Equal(t, 503, a.call("", "GET", "/readyz", "").Status, "the refusal dropped the cached check")
}

// TestEnsureSearchAttributesDenied: when the operator service refuses to
// add them (the credentials may not), serve refuses to start with a
// message naming the attributes and how to register them.
func TestEnsureSearchAttributesDenied(t *testing.T) {
	a, ts := newBareNamespaceEnv(t)
	deny := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if strings.HasSuffix(method, "/AddSearchAttributes") {
			// As a server refusing the caller answers, on the wire.
			return status.Error(codes.PermissionDenied, "not allowed to add search attributes")
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	c := ts.NewClientWithOptions(client.Options{Namespace: a.ns, Logger: log.NewStructuredLogger(discard),
		ConnectionOptions: client.ConnectionOptions{DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(deny)}}})
	_, err := workflows.EnsureSearchAttributes(context.Background(), c, a.ns)
	require.Error(t, err)
	require.True(t, errors.Is(err, workflows.ErrSearchAttributesMissing), "%v", err)
	var denied *serviceerror.PermissionDenied
	require.True(t, errors.As(err, &denied), "%v", err)
	require.Contains(t, err.Error(), "temporal operator search-attribute create --namespace "+a.ns+" --name ShaobaoClass --type Keyword")
	require.Contains(t, err.Error(), "--name ShaobaoPendingDepartments --type KeywordList")
	require.Error(t, workflows.CheckSearchAttributes(context.Background(), a.c, a.ns), "nothing was registered")
}

// assertNoCase checks a refused filing left nothing: no case in the read
// model or the lists, no workflow in the namespace.
func (a *apiEnv) assertNoCase() {
	a.t.Helper()
	var n int64
	require.NoError(a.t, a.st.DB.Model(&store.CaseRow{}).Count(&n).Error)
	require.Zero(a.t, n, "a refused filing left a case in the read model")
	list := a.must("c1-secretary", "GET", "/api/v1/cases", "", 200)
	require.EqualValues(a.t, 0, list["total"])
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := a.c.WorkflowService().ListOpenWorkflowExecutions(ctx, &workflowservice.ListOpenWorkflowExecutionsRequest{Namespace: a.ns, MaximumPageSize: 10})
	require.NoError(a.t, err)
	require.Empty(a.t, res.GetExecutions(), "a refused filing started a workflow")
}
