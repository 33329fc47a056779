package integration

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/server/temporaltest"

	"github.com/shaobao/shaobao/app"
	"github.com/shaobao/shaobao/store/storetest"
)

// TestWorkerHealthAndMetrics runs a worker as `serve --role worker
// --health-addr` wires it, on a real Temporal server: its own port answers
// /healthz at once, /readyz 503 until the worker polls and 200 after;
// once a case is filed /metrics shows the Temporal SDK's task latencies
// and the read model's figures (the case open, its two tasks summoned).
// With SHAOBAO_TEST_PROMTOOL pointing at promtool (.ci/promtool), the
// scrape must pass `promtool check metrics`.
func TestWorkerHealthAndMetrics(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t),
		temporaltest.WithBaseClientOptions(client.Options{Logger: log.NewStructuredLogger(discard)}))
	st := storetest.MustOpenSQLite(t)
	storetest.MustSeedDemo(t, st)
	ctx := t.Context()

	cfg := &app.Config{TemporalAddress: ts.GetFrontendHostPort(), TemporalNamespace: ts.GetDefaultNamespace(),
		Role: "all", DataDir: t.TempDir(), HealthAddr: "127.0.0.1:0"}
	a := app.New(cfg, discard)
	t.Cleanup(a.Close)
	a.Store = st
	require.NoError(t, a.ConnectTemporal(ctx))
	require.NoError(t, a.EnsureSearchAttributes(ctx), "the start-up check registers the search attributes")
	require.NoError(t, a.ServeHealth())
	base := "http://" + a.HealthAddr()

	get := func(path string) (int, string) {
		res, err := http.Get(base + path)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(b)
	}
	code, _ := get("/healthz")
	require.Equal(t, 200, code)
	code, body := get("/readyz")
	require.Equal(t, 503, code, body)
	require.Contains(t, body, `"worker":"not started"`)

	require.NoError(t, a.StartWorker(ctx))
	code, body = get("/readyz")
	require.Equal(t, 200, code, body)
	require.Contains(t, body, `"search_attributes":"ok"`)

	e := &env{t: t, c: a.Temporal, st: st, ns: cfg.TemporalNamespace, app: a}
	api := serveAPI(e)
	id := api.fileJoint()
	// The two tasks are in the read model once the projection ran.
	require.Eventually(t, func() bool {
		tasks, _ := api.getCase(id)["tasks"].([]any)
		return len(tasks) == 2
	}, 30*time.Second, 100*time.Millisecond)

	var scrape string
	require.Eventually(t, func() bool {
		code, scrape = get("/metrics")
		// Counters reach the registry on tally's 1s report.
		return code == 200 && regexp.MustCompile(`(?m)^temporal_workflow_task_execution_latency_seconds_bucket\{`).MatchString(scrape) &&
			regexp.MustCompile(`(?m)^temporal_workflow_completed_total|^temporal_request_total\{`).MatchString(scrape)
	}, 30*time.Second, 250*time.Millisecond, "SDK metrics missing from /metrics:\n%s", scrape)
	for _, want := range []string{
		`(?m)^temporal_workflow_task_schedule_to_start_latency_seconds_bucket\{`,
		`(?m)^temporal_local_activity_execution_latency_seconds_bucket\{`,
		`(?m)^shaobao_open_cases\{class="routine",level="[a-z]+",status="open"\} 1$`,
		`(?m)^shaobao_open_tasks\{class="routine",overdue="false",status="summoned"\} 2$`,
		`(?m)^shaobao_intake_pending 0$`,
		`(?m)^shaobao_domain_metrics_up 1$`,
		`(?m)^shaobao_projection_failures_total 0$`,
	} {
		require.Regexp(t, want, scrape)
	}

	// The exposition an operator's Prometheus reads passes promtool's lint.
	if bin := os.Getenv("SHAOBAO_TEST_PROMTOOL"); bin != "" {
		cmd := exec.CommandContext(context.Background(), bin, "check", "metrics")
		cmd.Stdin = bytes.NewBufferString(scrape)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "promtool check metrics:\n%s", out)
	} else {
		t.Log("SHAOBAO_TEST_PROMTOOL unset: promtool check metrics skipped (bash .ci/promtool builds it)")
	}
}
