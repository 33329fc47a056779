package devserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

const testTaskQueue = "devserver-test"

var (
	attrStatus = temporal.NewSearchAttributeKeyKeyword("ShaobaoStatus")
	testAttrs  = map[string]enumspb.IndexedValueType{
		attrStatus.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"ShaobaoOverdue":     enumspb.INDEXED_VALUE_TYPE_BOOL,
	}
)

// slaWorkflow marks itself open and waits on a 72 h timer, like a case
// waiting for its deadline.
func slaWorkflow(ctx workflow.Context) error {
	if err := workflow.UpsertTypedSearchAttributes(ctx, attrStatus.ValueSet("open")); err != nil {
		return err
	}
	return workflow.Sleep(ctx, 72*time.Hour)
}

// closeSignal is the signal that finishes signalWorkflow.
const closeSignal = "close"

// signalWorkflow marks itself open, waits for closeSignal, marks itself
// closed and returns the signal's payload.
func signalWorkflow(ctx workflow.Context) (string, error) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, attrStatus.ValueSet("open")); err != nil {
		return "", err
	}
	var note string
	workflow.GetSignalChannel(ctx, closeSignal).Receive(ctx, &note)
	if err := workflow.UpsertTypedSearchAttributes(ctx, attrStatus.ValueSet("closed")); err != nil {
		return "", err
	}
	return "closed: " + note, nil
}

func TestRestartKeepsRunningTimer(t *testing.T) {
	testStart := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	opts := Options{DataDir: t.TempDir(), SearchAttributes: testAttrs, Logger: testLogger()}

	began := time.Now()
	srv := mustStart(ctx, t, opts)
	t.Logf("first start (schema setup): %v", time.Since(began))

	// The worker and its client live across the restart: the server comes
	// back on the same port and they must reconnect on their own.
	c := mustDial(t, srv)
	w := worker.New(c, testTaskQueue, worker.Options{})
	w.RegisterWorkflow(slaWorkflow)
	w.RegisterWorkflow(signalWorkflow)
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	defer w.Stop()

	start := func(id string, wf any) client.WorkflowRun {
		t.Helper()
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: testTaskQueue}, wf)
		if err != nil {
			t.Fatalf("start %s: %v", id, err)
		}
		return run
	}
	slaRun := start("sla-1", slaWorkflow)
	signalRun := start("signal-1", signalWorkflow)
	waitForEvent(ctx, t, c, slaRun, enumspb.EVENT_TYPE_TIMER_STARTED)
	waitForEvent(ctx, t, c, signalRun, enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)

	began = time.Now()
	if err := srv.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	t.Logf("stop: %v", time.Since(began))

	opts.Port = port(t, srv.HostPort())
	began = time.Now()
	srv = mustStart(ctx, t, opts)
	t.Logf("restart: %v", time.Since(began))

	t.Run("TimerStillPending", func(t *testing.T) {
		desc, err := c.DescribeWorkflowExecution(ctx, slaRun.GetID(), slaRun.GetRunID())
		if err != nil {
			t.Fatalf("describe: %v", err)
		}
		if got := desc.GetWorkflowExecutionInfo().GetStatus(); got != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			t.Fatalf("status = %v, want RUNNING", got)
		}
		started, fired := timerEvents(ctx, t, c, slaRun)
		if len(started) != 1 || len(fired) != 0 {
			t.Fatalf("timers started %d, fired %d; want 1 pending", len(started), len(fired))
		}
		if got := started[0].GetStartToFireTimeout().AsDuration(); got != 72*time.Hour {
			t.Errorf("timer = %v, want 72h", got)
		}
	})

	t.Run("VisibilityFindsBySearchAttribute", func(t *testing.T) {
		ids := waitForList(ctx, t, c, "ShaobaoStatus = 'open'", "sla-1", "signal-1")
		t.Logf("listed: %v", ids)
	})

	t.Run("SignalCompletesAfterRestart", func(t *testing.T) {
		if err := c.SignalWorkflow(ctx, signalRun.GetID(), signalRun.GetRunID(), closeSignal, "resolved"); err != nil {
			t.Fatalf("signal: %v", err)
		}
		var got string
		if err := signalRun.Get(ctx, &got); err != nil {
			t.Fatalf("result: %v", err)
		}
		if got != "closed: resolved" {
			t.Fatalf("result = %q, want %q", got, "closed: resolved")
		}
		waitForList(ctx, t, c, "ShaobaoStatus = 'closed'", "signal-1")
	})
	t.Logf("test wall time (to here): %v", time.Since(testStart))
}

func TestStartTwiceSameDir(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := Options{DataDir: t.TempDir(), Logger: testLogger()}
	srv := mustStart(ctx, t, opts)

	if second, err := Start(ctx, opts); !errors.Is(err, ErrDataDirInUse) {
		if err == nil {
			_ = second.Stop()
		}
		t.Fatalf("second Start on the same dir: err = %v, want ErrDataDirInUse", err)
	} else {
		t.Logf("second Start: %v", err)
	}

	if err := srv.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("second stop: %v", err)
	}
	// Stop released the folder.
	mustStart(ctx, t, opts)
}

func TestLaterStartAddsSearchAttributes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	srv := mustStart(ctx, t, Options{DataDir: dir, Namespace: "cases", SearchAttributes: testAttrs, Logger: testLogger()})
	if err := srv.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	t.Run("NewAttributeIsAdded", func(t *testing.T) {
		later := map[string]enumspb.IndexedValueType{"ShaobaoLevel": enumspb.INDEXED_VALUE_TYPE_INT}
		for k, v := range testAttrs {
			later[k] = v
		}
		srv := mustStart(ctx, t, Options{DataDir: dir, Namespace: "cases", SearchAttributes: later, Logger: testLogger()})
		if srv.Namespace() != "cases" {
			t.Fatalf("Namespace() = %q", srv.Namespace())
		}
		c := mustDial(t, srv)
		listed, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "cases"})
		if err != nil {
			t.Fatalf("list search attributes: %v", err)
		}
		for name, want := range later {
			if got := listed.GetCustomAttributes()[name]; got != want {
				t.Errorf("%s: type %v, want %v", name, got, want)
			}
		}
		if _, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "ShaobaoLevel > 2"}); err != nil {
			t.Errorf("query on the new attribute: %v", err)
		}
		if err := srv.Stop(); err != nil {
			t.Fatalf("stop: %v", err)
		}
	})

	t.Run("TypeChangeIsRefused", func(t *testing.T) {
		changed := map[string]enumspb.IndexedValueType{attrStatus.GetName(): enumspb.INDEXED_VALUE_TYPE_INT}
		srv, err := Start(ctx, Options{DataDir: dir, Namespace: "cases", SearchAttributes: changed, Logger: testLogger()})
		if err == nil {
			_ = srv.Stop()
			t.Fatal("Start with a changed attribute type succeeded")
		}
		if !strings.Contains(err.Error(), "ShaobaoStatus") {
			t.Fatalf("error does not name the attribute: %v", err)
		}
		t.Logf("refused: %v", err)
	})
}

func TestWithSearchAttributes(t *testing.T) {
	keyword := enumspb.INDEXED_VALUE_TYPE_KEYWORD
	tests := []struct {
		name    string
		aliases map[string]string
		attrs   map[string]enumspb.IndexedValueType
		want    map[string]string
		wantErr string
	}{
		{name: "AllPresent", aliases: map[string]string{"Keyword01": "A"}, attrs: map[string]enumspb.IndexedValueType{"A": keyword}, want: nil},
		{name: "AddsOnFirstFreeColumn", aliases: map[string]string{"Keyword01": "A"}, attrs: map[string]enumspb.IndexedValueType{"A": keyword, "B": keyword},
			want: map[string]string{"Keyword01": "A", "Keyword02": "B"}},
		{name: "FromNothing", aliases: nil, attrs: map[string]enumspb.IndexedValueType{"B": enumspb.INDEXED_VALUE_TYPE_BOOL},
			want: map[string]string{"Bool01": "B"}},
		{name: "TypeChanged", aliases: map[string]string{"Keyword01": "A"}, attrs: map[string]enumspb.IndexedValueType{"A": enumspb.INDEXED_VALUE_TYPE_INT},
			wantErr: `"A" is registered as Keyword`},
		{name: "NoColumnLeft", aliases: map[string]string{"Bool01": "X", "Bool02": "Y", "Bool03": "Z"}, attrs: map[string]enumspb.IndexedValueType{"B": enumspb.INDEXED_VALUE_TYPE_BOOL},
			wantErr: "no free Bool column"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := withSearchAttributes(tt.aliases, tt.attrs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if len(got) != len(tt.want) || (got == nil) != (tt.want == nil) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestPickPortsStayLow(t *testing.T) {
	p, err := pickPorts("127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, port := range []int{p.frontend, p.history, p.matching, p.worker} {
		if port < minPickedPort || port > maxPickedPort || seen[port] {
			t.Fatalf("ports %+v: want distinct, within %d-%d", p, minPickedPort, maxPickedPort)
		}
		seen[port] = true
	}
}

// testLogger writes the server's warnings to stderr rather than to t.Log:
// a server goroutine may still log just after a test returns.
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}

func mustStart(ctx context.Context, t *testing.T, opts Options) *Server {
	t.Helper()
	srv, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return srv
}

func mustDial(t *testing.T, srv *Server) client.Client {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	c, err := client.Dial(client.Options{HostPort: srv.HostPort(), Namespace: srv.Namespace(), Logger: sdklog.NewStructuredLogger(logger)})
	if err != nil {
		t.Fatalf("dial %s: %v", srv.HostPort(), err)
	}
	t.Cleanup(c.Close)
	return c
}

func port(t *testing.T, hostPort string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(hostPort)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func history(ctx context.Context, t *testing.T, c client.Client, run client.WorkflowRun) []*historypb.HistoryEvent {
	t.Helper()
	var events []*historypb.HistoryEvent
	it := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", run.GetID(), err)
		}
		events = append(events, e)
	}
	return events
}

func timerEvents(ctx context.Context, t *testing.T, c client.Client, run client.WorkflowRun) (started []*historypb.TimerStartedEventAttributes, fired []*historypb.TimerFiredEventAttributes) {
	t.Helper()
	for _, e := range history(ctx, t, c, run) {
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			started = append(started, e.GetTimerStartedEventAttributes())
		case enumspb.EVENT_TYPE_TIMER_FIRED:
			fired = append(fired, e.GetTimerFiredEventAttributes())
		}
	}
	return started, fired
}

// waitForEvent polls the run's history until it holds an event of type typ.
func waitForEvent(ctx context.Context, t *testing.T, c client.Client, run client.WorkflowRun, typ enumspb.EventType) {
	t.Helper()
	poll(ctx, t, 30*time.Second, func() (bool, string) {
		for _, e := range history(ctx, t, c, run) {
			if e.GetEventType() == typ {
				return true, ""
			}
		}
		return false, run.GetID() + " has no " + typ.String()
	})
}

// waitForList polls a visibility query until it lists every id in want
// (visibility is eventually consistent) and returns the ids it listed.
func waitForList(ctx context.Context, t *testing.T, c client.Client, query string, want ...string) []string {
	t.Helper()
	var ids []string
	poll(ctx, t, 30*time.Second, func() (bool, string) {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			return false, "list: " + err.Error()
		}
		ids = ids[:0]
		for _, e := range resp.GetExecutions() {
			ids = append(ids, e.GetExecution().GetWorkflowId())
		}
		for _, id := range want {
			if !slices.Contains(ids, id) {
				return false, query + " lists " + strings.Join(ids, ",") + ", not " + id
			}
		}
		return true, ""
	})
	return ids
}

// poll calls check until it reports done, failing the test after limit.
func poll(ctx context.Context, t *testing.T, limit time.Duration, check func() (done bool, why string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		done, why := check()
		if done {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("gave up after %v: %s", limit, why)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
