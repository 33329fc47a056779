package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/shaobao/shaobao/api"
	"github.com/shaobao/shaobao/workflows"
)

// healthState is what the health listener's /readyz reports beyond the
// database and Temporal answering: whether this process's worker polls,
// and the namespace's last search attribute check (cached: probes come
// every few seconds from every kubelet).
type healthState struct {
	workerUp atomic.Bool
	addr     string // where ServeHealth listens

	mu    sync.Mutex
	nsAt  time.Time
	nsErr error
}

// nsCheckTTL is how long a namespace check answers the probes.
const nsCheckTTL = 10 * time.Second

func (a *App) checkNamespace(ctx context.Context) error {
	h := &a.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.nsAt.IsZero() && time.Since(h.nsAt) < nsCheckTTL {
		return h.nsErr
	}
	err := workflows.CheckSearchAttributes(ctx, a.Temporal, a.Config.TemporalNamespace)
	if ctx.Err() == nil { // a check cut short says nothing of the namespace
		h.nsAt, h.nsErr = time.Now(), err
	}
	return err
}

// ServeHealth serves /healthz, /readyz and /metrics on HealthAddr, the
// worker's own port (a worker has no API to put them on): the kubelet's
// probes and Prometheus reach a worker there. /metrics asks for
// MetricsToken when one is set.
func (a *App) ServeHealth() error {
	if a.Config.HealthAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", a.Config.HealthAddr)
	if err != nil {
		return fmt.Errorf("listen for health checks on %s (--health-addr): %w", a.Config.HealthAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", api.MetricsHandler(a.registry(), a.Config.MetricsToken))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.readyz)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("health listener stopped", "err", err)
		}
	}()
	a.OnClose(func() { _ = srv.Close() })
	a.health.addr = ln.Addr().String()
	a.Log.Info("health checks served", "url", "http://"+ln.Addr().String(), "paths", "/healthz /readyz /metrics")
	return nil
}

// HealthAddr is the address ServeHealth listens on ("" before it or
// without --health-addr): the port it picked for ":0".
func (a *App) HealthAddr() string { return a.health.addr }

// readyz answers 200 when the database and Temporal answer, the namespace
// can run cases and (on a worker) the worker polls; else 503 saying which
// check failed, as the API's /readyz does.
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	ok := true
	fail := func(name string, err error) {
		if err != nil {
			checks[name], ok = err.Error(), false
		} else {
			checks[name] = "ok"
		}
	}
	if a.Store == nil {
		fail("database", errors.New("not opened"))
	} else {
		fail("database", a.Store.Ping(ctx))
	}
	if a.Temporal == nil {
		fail("temporal", errors.New("not connected"))
	} else if _, err := a.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		fail("temporal", err)
	} else {
		checks["temporal"] = "ok"
		fail("search_attributes", a.checkNamespace(ctx))
	}
	if a.Config.Role == "worker" || a.Config.Role == "all" {
		if a.health.workerUp.Load() {
			checks["worker"] = "ok"
		} else {
			fail("worker", errors.New("not started"))
		}
	}
	if !ok {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "checks": checks})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "checks": checks})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
