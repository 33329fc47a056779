package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/shaobao/shaobao/cluster"
)

// startCluster starts, with --cluster, the multi-service cluster (the
// official Temporal server as frontend, --cluster-history history
// processes, 2 matching and a worker service; serve --role api ×2 and
// --role worker ×2) and watches every one of its processes; the
// lifecycles go to both api processes in turn.
func (e *benchEnv) startCluster(ctx context.Context, bc *benchConfig) error {
	if bc.TemporalTools == "" {
		return errors.New("bench: --cluster needs --temporal-tools DIR (SHAOBAO_TEMPORAL_TOOLS), the folder .ci/temporal-tools prints")
	}
	if !strings.HasPrefix(bc.ClusterPostgres, "postgres") {
		return errors.New("bench: --cluster needs --cluster-postgres URL, a PostgreSQL whose user may create databases")
	}
	exe := bc.exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return err
		}
	}
	c, err := cluster.Start(ctx, cluster.Options{
		Tools: bc.TemporalTools, Shaobao: exe, Postgres: bc.ClusterPostgres, Dir: filepath.Join(bc.DataDir, "cluster"),
		History: bc.ClusterHistory, Namespace: bc.TemporalNamespace, Keep: bc.Keep,
		Logf: func(format string, args ...any) { e.printf("cluster: "+format, args...) },
	})
	if err != nil {
		return err
	}
	e.closers = append(e.closers, c.Close)
	bal, err := cluster.NewBalancer(c.APIs, bc.Concurrency)
	if err != nil {
		return err
	}
	e.balancer = bal
	e.target = c.APIs[0]
	bc.TemporalAddress = c.Frontend
	bc.DatabaseURL = c.DatabaseURL
	e.pgDatabases = append(e.pgDatabases, c.TemporalDB, c.VisibilityDB)
	for _, p := range c.Procs {
		e.procs = append(e.procs, &benchProc{name: strings.ReplaceAll(p.Name, "-", "_"), pid: p.PID()})
	}
	return nil
}
