package bench

import (
	"context"
	"time"

	"github.com/shaobao/shaobao/devserver"
	"github.com/shaobao/shaobao/workflows"
)

// startPostgresTemporal starts, in the bench process, a Temporal server
// persisted on bc.TemporalPostgres (created with its schema if missing)
// and returns its frontend's host:port. The Temporal server's memory is
// then part of the bench process's.
func (e *benchEnv) startPostgresTemporal(ctx context.Context, bc *benchConfig) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	start := time.Now()
	srv, err := devserver.StartPostgres(ctx, devserver.PostgresOptions{
		URL: bc.TemporalPostgres, Port: port, Namespace: bc.TemporalNamespace,
		SearchAttributes: workflows.SearchAttributes, Logger: quietLogger(),
	})
	if err != nil {
		return "", err
	}
	e.temporalInBench = true
	e.closers = append(e.closers, func() { _ = srv.Stop() })
	e.printf("bench: Temporal server on PostgreSQL started in this process at %s in %s", srv.HostPort(), time.Since(start).Round(time.Millisecond))
	return srv.HostPort(), nil
}
