package devserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	sqltool "go.temporal.io/server/tools/sql"
)

// TestStartPostgresRestart starts the server on a fresh PostgreSQL database
// (schema set up by the server's tooling, namespace and search attributes
// registered through the frontend), runs a workflow to its 72 h timer,
// restarts the server on the same database and finds the workflow still
// running and listed by its search attribute. It needs the PostgreSQL of
// SHAOBAO_TEST_POSTGRES (skipped without it, failed without it under CI).
func TestStartPostgresRestart(t *testing.T) {
	base := os.Getenv("SHAOBAO_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("SHAOBAO_TEST_POSTGRES is not set: under CI the PostgreSQL tests must run")
		}
		t.Skip("SHAOBAO_TEST_POSTGRES not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	raw := make([]byte, 4)
	_, _ = rand.Read(raw)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/temporal_t_" + hex.EncodeToString(raw)
	t.Cleanup(func() { dropPostgres(t, u.String()) })
	opts := PostgresOptions{URL: u.String(), SearchAttributes: testAttrs, Logger: testLogger()}

	began := time.Now()
	srv, err := StartPostgres(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first start (databases, schema, namespace): %v", time.Since(began))
	c := mustDial(t, srv)
	w := worker.New(c, testTaskQueue, worker.Options{})
	w.RegisterWorkflow(slaWorkflow)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "pg-sla-1", TaskQueue: testTaskQueue}, slaWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	waitForEvent(ctx, t, c, run, enumspb.EVENT_TYPE_TIMER_STARTED)
	if err := srv.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	opts.Port = port(t, srv.HostPort())
	began = time.Now()
	srv, err = StartPostgres(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	t.Logf("restart: %v", time.Since(began))
	desc, err := c.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	if got := desc.GetWorkflowExecutionInfo().GetStatus(); got != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("status = %v, want RUNNING", got)
	}
	waitForList(ctx, t, c, "ShaobaoStatus = 'open'", "pg-sla-1")
}

// dropPostgres drops the database of rawURL and its visibility database.
func dropPostgres(t *testing.T, rawURL string) {
	main, visibility, err := postgresConfigs(rawURL, 2)
	if err != nil {
		t.Error(err)
		return
	}
	for _, cfg := range []*config.SQL{main, visibility} {
		name := cfg.DatabaseName
		if err := sqltool.DoDropDatabase(cfg, "postgres", log.NewNoopLogger()); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	}
}
