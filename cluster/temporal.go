package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/shaobao/shaobao/workflows"
)

// HistoryShards is the cluster's numHistoryShards, fixed when its
// database is created and never changed after. 8: with two history
// processes the shards' consistent hashing splits 8 nearly evenly (4 could
// fall 3 to 1); each shard runs its own queue processors and timers that
// poll the database even when idle, so many more would spend the 2 cores
// of this machine on nothing. A production cluster picks 512 or more
// before its first start, for the history hosts it may grow to.
const HistoryShards = 8

// service is one Temporal service process: its kind and its ports, fixed
// for its life so that a restart comes back where the others look for it.
type service struct {
	Name       string // temporal-history-2
	Kind       string // frontend, history, matching or worker
	GRPC       int
	Membership int
}

// serverConfig is what a process's config file says.
type serverConfig struct {
	Shards               int
	PGHost, PGPort       string
	PGUser, PGPassword   string
	Temporal, Visibility string // database names
	Frontend             string // host:port of the frontend
	// Services has one entry per kind: this process's own, and the first
	// of each other kind. Every process lists all four, as each keeps a
	// membership ring per service; the others' ports are only defaults,
	// each member announces its own.
	Services      []service
	DynamicConfig string
	LogLevel      string
}

// configTemplate is a Temporal server config for one service process.
// Membership goes through the database (cluster_membership) with every
// process broadcasting 127.0.0.1; every port is below 32768, as the
// PostgreSQL schema stores them as smallint. No metrics, no pprof: ports
// of their own per process would be just more to pick.
var configTemplate = template.Must(template.New("config").Parse(`log:
  stdout: true
  level: {{.LogLevel}}

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: {{.Shards}}
  datastores:
    postgres-default:
      sql:
        pluginName: postgres12
        databaseName: {{.Temporal}}
        connectAddr: "{{.PGHost}}:{{.PGPort}}"
        connectProtocol: tcp
        user: "{{.PGUser}}"
        password: "{{.PGPassword}}"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    postgres-visibility:
      sql:
        pluginName: postgres12
        databaseName: {{.Visibility}}
        connectAddr: "{{.PGHost}}:{{.PGPort}}"
        connectProtocol: tcp
        user: "{{.PGUser}}"
        password: "{{.PGPassword}}"
        maxConns: 10
        maxIdleConns: 10
        maxConnLifetime: 1h

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1

services:
{{- range .Services}}
  {{.Kind}}:
    rpc:
      grpcPort: {{.GRPC}}
      membershipPort: {{.Membership}}
      bindOnIP: 127.0.0.1
{{- end}}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: {{.Frontend}}

dcRedirectionPolicy:
  policy: noop

publicClient:
  hostPort: {{.Frontend}}

dynamicConfigClient:
  filepath: {{.DynamicConfig}}
  pollInterval: 10s
`))

// dynamicConfig is the cluster's dynamic config: search attributes added
// while it runs are seen at once, and more visibility requests per second
// than the default 10 (the list pages count cases), both as the embedded
// dev server sets them.
const dynamicConfig = `system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
frontend.namespaceRPS.visibility:
  - value: 100
`

// writeConfig writes the config file of s, one of all, and returns its
// path.
func writeConfig(dir string, cfg serverConfig, s service, all []service) (string, error) {
	seen := map[string]bool{s.Kind: true}
	cfg.Services = []service{s}
	for _, o := range all {
		if !seen[o.Kind] {
			seen[o.Kind] = true
			cfg.Services = append(cfg.Services, o)
		}
	}
	sdir := filepath.Join(dir, "config", s.Name)
	if err := os.MkdirAll(sdir, 0o750); err != nil {
		return "", err
	}
	f, err := os.Create(filepath.Join(sdir, "config.yaml"))
	if err != nil {
		return "", err
	}
	if err := configTemplate.Execute(f, cfg); err != nil {
		f.Close()
		return "", fmt.Errorf("cluster: config of %s: %w", s.Name, err)
	}
	return filepath.Join(sdir, "config.yaml"), f.Close()
}

// sqlTool runs temporal-sql-tool with the connection flags and args.
func (c *Cluster) sqlTool(ctx context.Context, db string, args ...string) error {
	all := append([]string{"--endpoint", c.pg.host, "--port", c.pg.port, "--user", c.pg.user, "--password", c.pg.password,
		"--plugin", "postgres12", "--database", db}, args...)
	cmd := exec.CommandContext(ctx, filepath.Join(c.opts.Tools, "temporal-sql-tool"), all...)
	cmd.Env = append(os.Environ(), "SQL_PASSWORD="+c.pg.password)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("cluster: temporal-sql-tool %s on %s: %w\n%s", args[0], db, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// createTemporalDatabases creates the history and visibility databases
// with temporal-sql-tool, as an operator would: create-database,
// setup-schema -v 0.0 (the version tables), then update-schema from the
// versioned schema files shipped in the server module.
func (c *Cluster) createTemporalDatabases(ctx context.Context) error {
	for _, db := range []struct{ name, schema string }{
		{c.TemporalDB, "temporal"}, {c.VisibilityDB, "visibility"},
	} {
		dir := filepath.Join(c.opts.Tools, "schema", "postgresql", "v12", db.schema, "versioned")
		if _, err := os.Stat(dir); err != nil {
			return fmt.Errorf("cluster: schema files of %s: %w (run .ci/temporal-tools)", db.schema, err)
		}
		if err := c.sqlTool(ctx, db.name, "create-database", "--defaultdb", "postgres"); err != nil {
			return err
		}
		c.created = append(c.created, db.name)
		if err := c.sqlTool(ctx, db.name, "setup-schema", "-v", "0.0"); err != nil {
			return err
		}
		if err := c.sqlTool(ctx, db.name, "update-schema", "-d", dir); err != nil {
			return err
		}
	}
	return nil
}

// registerNamespace registers the namespace through the frontend (7 days'
// retention) once the cluster answers, then its search attributes with
// the code `serve` uses at start (workflows.EnsureSearchAttributes).
func (c *Cluster) registerNamespace(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var tc client.Client
	var err error
	for {
		if tc, err = client.DialContext(ctx, client.Options{HostPort: c.Frontend, Namespace: c.opts.Namespace, Logger: quietSDKLogger()}); err == nil {
			break
		}
		if err := c.checkRunning(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: the frontend at %s did not answer: %w", c.Frontend, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
	defer tc.Close()
	for {
		_, err = tc.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace: c.opts.Namespace, WorkflowExecutionRetentionPeriod: durationpb.New(7 * 24 * time.Hour),
		})
		var exists *serviceerror.NamespaceAlreadyExists
		if err == nil || errors.As(err, &exists) {
			break
		}
		if err := c.checkRunning(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: register namespace %q: %w", c.opts.Namespace, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
	// A new namespace reaches every frontend's cache within seconds.
	for {
		added, err := workflows.EnsureSearchAttributes(ctx, tc, c.opts.Namespace)
		if err == nil {
			c.logf("namespace %s registered, search attributes added: %s", c.opts.Namespace, strings.Join(added, ", "))
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: search attributes of %q: %w", c.opts.Namespace, err)
		case <-time.After(time.Second):
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
