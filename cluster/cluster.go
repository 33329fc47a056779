// Package cluster runs Shaobao on a real multi-service Temporal cluster
// on this machine, every part its own process: the official Temporal
// server (built by .ci/temporal-tools at the version go.mod pins) as a
// frontend, history ×N, matching ×N and worker service, persisted on the
// local PostgreSQL in databases made for the cluster by temporal-sql-tool;
// and `shaobao serve --role api` ×N and `--role worker` ×N on a Shaobao
// database of their own. Any process can be killed (kill -9) and started
// again on the same ports.
//
// The cluster test (TestCluster) and `shaobao bench --cluster` start it;
// `shaobao cluster` starts one and prints its addresses. It links only the
// Temporal SDK: the server runs from its own binary.
package cluster

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/workflows"
)

// Options say what to start. Tools, Shaobao and Postgres are required.
type Options struct {
	// Tools is the folder .ci/temporal-tools prints: temporal-server,
	// temporal-sql-tool and the server's schema files.
	Tools string
	// Shaobao is the shaobao binary the api and worker processes run.
	Shaobao string
	// Postgres is a URL of the local PostgreSQL whose user may create
	// databases, e.g. postgres://postgres@127.0.0.1:5432/test; the
	// cluster's databases are made beside the one it names.
	Postgres string
	// Dir holds the config files and every process's log (a temporary
	// folder when empty, removed by Close unless Keep).
	Dir string
	// History, Matching, APIs and Workers are how many processes of each
	// (default 2 each); there is one frontend and one Temporal worker
	// service.
	History, Matching, APIs, Workers int
	// Namespace is registered by the cluster (default "default").
	Namespace string
	// Keep leaves the databases and Dir in place after Close.
	Keep bool
	// Logf, when not nil, is told what starts.
	Logf func(format string, args ...any)
	// ServeArgs are appended to every shaobao serve command line.
	ServeArgs []string
}

// Cluster is a started cluster.
type Cluster struct {
	// Frontend is the Temporal frontend's host:port.
	Frontend string
	// APIs are the base URLs of the api processes, in order.
	APIs []string
	// DatabaseURL is Shaobao's own database.
	DatabaseURL string
	// TemporalDB and VisibilityDB are the Temporal server's databases.
	TemporalDB, VisibilityDB string
	// Procs are every process: temporal-frontend, temporal-history-1..,
	// temporal-matching-1.., temporal-worker, shaobao-api-1..,
	// shaobao-worker-1...
	Procs []*Proc
	// Dir holds the config files and logs.
	Dir string

	opts    Options
	pg      pgConn
	created []string // databases to drop on Close
	tmpDir  bool
	api     map[*Proc]string // api process → base URL
}

// pgConn is the local PostgreSQL, from Options.Postgres.
type pgConn struct {
	url                        *url.URL
	host, port, user, password string
}

// Start makes the databases, starts every process and returns once the
// namespace is registered, every api process is ready and every worker
// polls. On error what was started is stopped again.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Tools == "" || opts.Shaobao == "" || opts.Postgres == "" {
		return nil, errors.New("cluster: Tools, Shaobao and Postgres are required")
	}
	for _, n := range []*int{&opts.History, &opts.Matching, &opts.APIs, &opts.Workers} {
		if *n <= 0 {
			*n = 2
		}
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	c := &Cluster{opts: opts, api: map[*Proc]string{}}
	var err error
	if c.pg, err = parsePostgres(opts.Postgres); err != nil {
		return nil, err
	}
	if err := c.start(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// start is Start after the options are checked; on error the caller
// closes what it started.
func (c *Cluster) start(ctx context.Context) (err error) {
	opts := c.opts
	c.Dir = opts.Dir
	if c.Dir == "" {
		if c.Dir, err = os.MkdirTemp("", "shaobao-cluster-"); err != nil {
			return err
		}
		c.tmpDir = true
	} else if err := os.MkdirAll(c.Dir, 0o750); err != nil {
		return err
	}

	// Unique names: clusters of several runs (and helpers) share the server.
	prefix := "shaobao_cluster_" + randomHex(4)
	c.TemporalDB, c.VisibilityDB = prefix+"_temporal", prefix+"_temporal_visibility"
	start := time.Now()
	if err := c.createTemporalDatabases(ctx); err != nil {
		return err
	}
	shaobaoDB := prefix + "_shaobao"
	if err := c.createDatabase(ctx, shaobaoDB); err != nil {
		return err
	}
	u := *c.pg.url
	u.Path = "/" + shaobaoDB
	c.DatabaseURL = u.String()
	c.logf("databases %s, %s (temporal-sql-tool setup-schema + update-schema) and %s created in %s",
		c.TemporalDB, c.VisibilityDB, shaobaoDB, time.Since(start).Round(time.Millisecond))

	if err := c.startTemporal(ctx); err != nil {
		return err
	}
	if err := c.registerNamespace(ctx); err != nil {
		return err
	}
	if err := seedDemo(ctx, c.DatabaseURL); err != nil {
		return err
	}
	if err := c.startShaobao(ctx); err != nil {
		return err
	}
	c.logf("cluster up in %s: frontend %s, api %s", time.Since(start).Round(time.Millisecond), c.Frontend, strings.Join(c.APIs, " "))
	return nil
}

// startTemporal writes the config files and starts the Temporal services.
func (c *Cluster) startTemporal(ctx context.Context) error {
	ports := &portPicker{taken: map[int]bool{}}
	var all []service
	add := func(kind string, n int) {
		for i := 1; i <= n; i++ {
			name := "temporal-" + kind
			if n > 1 || kind == "history" || kind == "matching" {
				name += "-" + itoa(i)
			}
			all = append(all, service{Name: name, Kind: kind, GRPC: ports.next(), Membership: ports.next()})
		}
	}
	add("frontend", 1)
	add("history", c.opts.History)
	add("matching", c.opts.Matching)
	add("worker", 1)
	if ports.err != nil {
		return ports.err
	}
	c.Frontend = fmt.Sprintf("127.0.0.1:%d", all[0].GRPC)

	dyn := filepath.Join(c.Dir, "config", "dynamicconfig.yaml")
	if err := os.MkdirAll(filepath.Dir(dyn), 0o750); err != nil {
		return err
	}
	if err := os.WriteFile(dyn, []byte(dynamicConfig), 0o600); err != nil {
		return err
	}
	cfg := serverConfig{Shards: HistoryShards, PGHost: c.pg.host, PGPort: c.pg.port, PGUser: c.pg.user, PGPassword: c.pg.password,
		Temporal: c.TemporalDB, Visibility: c.VisibilityDB, Frontend: c.Frontend, DynamicConfig: dyn, LogLevel: "warn"}
	server := filepath.Join(c.opts.Tools, "temporal-server")
	for i, s := range all {
		path, err := writeConfig(c.Dir, cfg, s, all)
		if err != nil {
			return err
		}
		p := c.newProc(s.Name, s.Kind, server, []string{"--config-file", path, "--allow-no-auth", "start", "--service", s.Kind}, nil)
		if err := p.Start(); err != nil {
			return err
		}
		c.logf("started %s (pid %d): gRPC 127.0.0.1:%d, membership %d", s.Name, p.PID(), s.GRPC, s.Membership)
		if i == 0 {
			// Every service writes the cluster metadata into a new
			// database at its first start, and all but one fail on the
			// duplicate key and exit: the frontend goes first, alone,
			// until it answers.
			if err := c.waitFrontend(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitFrontend waits (at most 3 minutes) until the frontend answers.
func (c *Cluster) waitFrontend(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	for {
		tc, err := c.Client(ctx)
		if err == nil {
			tc.Close()
			return nil
		}
		if err := c.checkRunning(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: the frontend at %s did not answer within 3 minutes: %w", c.Frontend, err)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// startShaobao starts the api and worker processes and waits until they
// are ready.
func (c *Cluster) startShaobao(ctx context.Context) error {
	ports := &portPicker{taken: map[int]bool{}}
	common := []string{"--database-url", c.DatabaseURL, "--temporal-address", c.Frontend, "--namespace", c.opts.Namespace, "--log-level", "warn"}
	var apis []*Proc
	for i := 1; i <= c.opts.APIs; i++ {
		name := "shaobao-api-" + itoa(i)
		addr := fmt.Sprintf("127.0.0.1:%d", ports.next())
		if ports.err != nil {
			return ports.err
		}
		args := append([]string{"serve", "--role", "api", "--addr", addr, "--data", filepath.Join(c.Dir, name)}, common...)
		p := c.newProc(name, "api", c.opts.Shaobao, append(args, c.opts.ServeArgs...), nil)
		c.api[p] = "http://" + addr
		c.APIs = append(c.APIs, "http://"+addr)
		apis = append(apis, p)
	}
	var workers []*Proc
	for i := 1; i <= c.opts.Workers; i++ {
		name := "shaobao-worker-" + itoa(i)
		args := append([]string{"serve", "--role", "worker", "--data", filepath.Join(c.Dir, name)}, common...)
		workers = append(workers, c.newProc(name, "shaobao-worker", c.opts.Shaobao, append(args, c.opts.ServeArgs...), nil))
	}
	for _, p := range append(workers, apis...) {
		if err := p.Start(); err != nil {
			return err
		}
		c.logf("started %s (pid %d)", p.Name, p.PID())
	}
	for _, p := range apis {
		if err := c.WaitReady(ctx, p); err != nil {
			return err
		}
	}
	if err := c.waitPollers(ctx, c.opts.Workers); err != nil {
		return err
	}
	// Whatever died at start, Temporal's services included, fails it.
	return c.checkRunning()
}

// WaitReady waits (at most 3 minutes) until p is ready: an api process
// answers 200 on /readyz; any other has not exited and, after a few
// seconds to join the membership, still runs.
func (c *Cluster) WaitReady(ctx context.Context, p *Proc) error {
	deadline := time.Now().Add(3 * time.Minute)
	base, isAPI := c.api[p]
	if !isAPI {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(3 * time.Second):
		}
		if !p.Running() {
			return fmt.Errorf("cluster: %s exited at start:\n%s", p.Name, p.LogTail(30))
		}
		return nil
	}
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if !p.Running() {
			return fmt.Errorf("cluster: %s exited before it was ready:\n%s", p.Name, p.LogTail(30))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster: %s was not ready within 3 minutes (last: %v)", p.Name, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitPollers waits until n pollers poll the whistle task queue's
// workflow tasks: the workers are in.
func (c *Cluster) waitPollers(ctx context.Context, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	tc, err := c.Client(ctx)
	if err != nil {
		return err
	}
	defer tc.Close()
	var seen int
	for {
		res, err := tc.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
			Namespace: c.opts.Namespace, TaskQueue: &taskqueue.TaskQueue{Name: workflows.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			TaskQueueType: enumspb.TASK_QUEUE_TYPE_WORKFLOW,
		})
		if err == nil {
			if seen = len(res.GetPollers()); seen >= n {
				return nil
			}
		}
		if err := c.checkRunning(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: %d of %d workers poll %s after 3 minutes (last error: %v)", seen, n, workflows.TaskQueue, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Client dials the cluster's frontend on its namespace.
func (c *Cluster) Client(ctx context.Context) (client.Client, error) {
	tc, err := client.DialContext(ctx, client.Options{HostPort: c.Frontend, Namespace: c.opts.Namespace, Logger: quietSDKLogger()})
	if err != nil {
		return nil, fmt.Errorf("cluster: dial the frontend at %s: %w", c.Frontend, err)
	}
	return tc, nil
}

// Namespace is the cluster's namespace.
func (c *Cluster) Namespace() string { return c.opts.Namespace }

// Proc is the process named name, or nil.
func (c *Cluster) Proc(name string) *Proc {
	for _, p := range c.Procs {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// checkRunning returns an error naming the first process that exited.
func (c *Cluster) checkRunning() error {
	for _, p := range c.Procs {
		if !p.Running() {
			return fmt.Errorf("cluster: %s exited:\n%s", p.Name, p.LogTail(30))
		}
	}
	return nil
}

// Close stops every process (Shaobao's first, SIGTERM, then SIGKILL after
// 15 s) and, unless Keep, drops the databases and removes the temporary
// folder.
func (c *Cluster) Close() {
	for i := len(c.Procs) - 1; i >= 0; i-- {
		_ = c.Procs[i].Stop(15 * time.Second)
	}
	if c.opts.Keep {
		c.logf("kept: databases %s, folder %s", strings.Join(c.created, ", "), c.Dir)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, db := range c.created {
		if err := c.dropDatabase(ctx, db); err != nil {
			c.logf("drop database %s: %v", db, err)
		}
	}
	if c.tmpDir {
		_ = os.RemoveAll(c.Dir)
	}
}

func (c *Cluster) newProc(name, kind, exe string, args, env []string) *Proc {
	p := &Proc{Name: name, Kind: kind, LogPath: filepath.Join(c.Dir, name+".log"), exe: exe, args: args, env: env}
	c.Procs = append(c.Procs, p)
	return p
}

func (c *Cluster) logf(format string, args ...any) {
	if c.opts.Logf != nil {
		c.opts.Logf(format, args...)
	}
}

// createDatabase creates db on the PostgreSQL server.
func (c *Cluster) createDatabase(ctx context.Context, db string) error {
	conn, err := pgx.Connect(ctx, c.pg.url.String())
	if err != nil {
		return fmt.Errorf("cluster: connect to %s: %w", c.pg.host, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
		return fmt.Errorf("cluster: create database %s: %w", db, err)
	}
	c.created = append(c.created, db)
	return nil
}

// dropDatabase drops db, closing any connection still on it.
func (c *Cluster) dropDatabase(ctx context.Context, db string) error {
	conn, err := pgx.Connect(ctx, c.pg.url.String())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)")
	return err
}

// seedDemo migrates Shaobao's database and seeds the demo city once,
// before the processes start (so that four of them do not race to
// migrate a new database).
func seedDemo(ctx context.Context, dsn string) error {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	return st.SeedDemo(ctx)
}

func parsePostgres(raw string) (pgConn, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return pgConn{}, fmt.Errorf("cluster: Postgres must be a postgres:// URL, not %q", raw)
	}
	pw, _ := u.User.Password()
	pg := pgConn{url: u, host: u.Hostname(), port: u.Port(), user: u.User.Username(), password: pw}
	if pg.port == "" {
		pg.port = "5432"
	}
	if pg.user == "" {
		pg.user = "postgres"
	}
	return pg, nil
}

// portPicker picks free ports in 20000-32767 (Temporal on PostgreSQL
// stores ports as smallint), never the same twice.
type portPicker struct {
	taken map[int]bool
	err   error
}

func (pp *portPicker) next() int {
	for range 500 {
		port := 20000 + rand.IntN(32767-20000+1)
		if pp.taken[port] {
			continue
		}
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			_ = l.Close()
			pp.taken[port] = true
			return port
		}
	}
	pp.err = errors.New("cluster: no free port in 20000-32767")
	return 0
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = io.ReadFull(crand.Reader, b)
	return hex.EncodeToString(b)
}

// quietSDKLogger logs the SDK's warnings and errors only.
func quietSDKLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
}
