package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/shaobao/shaobao/api"
	"github.com/shaobao/shaobao/devserver"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/workflows"
)

// App is one running Shaobao process and everything it started, closed in
// reverse order.
type App struct {
	cfg      *Config
	log      *slog.Logger
	dev      *devserver.Server
	store    *store.Store
	temporal client.Client
	http     *http.Server
	closers  []func()
	reg      *prometheus.Registry // see registry
}

func runDev(ctx context.Context, args []string) error {
	var cfg Config
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	cfg.bind(fs, "addr", "data", "temporal-port", "namespace", "server")
	// --worker=false leaves the workflow to a separate `serve --role worker`
	// against this embedded Temporal (the fault tests kill that worker).
	runWorker := fs.Bool("worker", true, "run the whistle worker in this process")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	cfg.Role = "all"
	if !*runWorker {
		cfg.Role = "api"
	}
	cfg.DataDir = absDir(cfg.DataDir)
	cfg.dev = true
	app := newApp(&cfg, os.Stderr)
	defer app.Close()

	start := time.Now()
	dev, err := devserver.Start(ctx, devserver.Options{
		DataDir: filepath.Join(cfg.DataDir, "temporal"), Port: cfg.TemporalPort, Namespace: cfg.TemporalNamespace,
		SearchAttributes: workflows.SearchAttributes, Logger: app.log.With("component", "temporal"),
	})
	if err != nil {
		return err
	}
	app.dev = dev
	app.closers = append(app.closers, func() { _ = dev.Stop() })
	cfg.TemporalAddress = dev.HostPort()
	app.log.Info("embedded Temporal server started", "address", dev.HostPort(), "namespace", dev.Namespace(), "took", time.Since(start).Round(time.Millisecond))

	if err := app.openStore(ctx); err != nil {
		return err
	}
	seeded, err := app.store.IsSeeded(ctx)
	if err != nil {
		return err
	}
	if !seeded {
		if err := app.store.SeedDemo(ctx); err != nil {
			return err
		}
		app.log.Info("demo city seeded", "try", "shaobao token c1-secretary --data "+cfg.DataDir)
	}
	if err := app.connectTemporal(ctx); err != nil {
		return err
	}
	if *runWorker {
		if err := app.startWorker(ctx); err != nil {
			return err
		}
	}
	return app.serveHTTP(ctx)
}

func runServe(ctx context.Context, args []string) error {
	var cfg Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.bind(fs, "addr", "data", "db", "temporal", "namespace", "role", "server")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	switch cfg.Role {
	case "api", "worker", "all":
	default:
		return fmt.Errorf("serve: --role must be api, worker or all, not %q", cfg.Role)
	}
	app := newApp(&cfg, os.Stderr)
	defer app.Close()
	if err := app.openStore(ctx); err != nil {
		return err
	}
	if err := app.store.SeedDefaults(ctx); err != nil {
		return err
	}
	if err := app.connectTemporal(ctx); err != nil {
		return err
	}
	if err := app.ensureSearchAttributes(ctx); err != nil {
		return err
	}
	if cfg.Role == "worker" || cfg.Role == "all" {
		if err := app.startWorker(ctx); err != nil {
			return err
		}
	}
	if cfg.Role == "worker" {
		// No API here: the worker's metrics only on --metrics-addr.
		if err := app.serveMetrics(); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	}
	return app.serveHTTP(ctx)
}

// newApp returns an app logging to w through the configured logger, made
// the process's default too (the store logs through slog.Default), and
// logs the configuration.
func newApp(cfg *Config, w io.Writer) *App {
	app := &App{cfg: cfg, log: cfg.newLogger(w)}
	slog.SetDefault(app.log)
	cfg.logConfig(app.log)
	return app
}

func (a *App) openStore(ctx context.Context) error {
	st, err := openStore(ctx, a.cfg)
	if err != nil {
		return err
	}
	a.store = st
	a.closers = append(a.closers, func() { _ = st.Close() })
	return nil
}

func (a *App) connectTemporal(ctx context.Context) error {
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  a.cfg.TemporalAddress,
		Namespace: a.cfg.TemporalNamespace,
		Logger:    sdklog.NewStructuredLogger(a.log.With("component", "temporal-sdk")),
	})
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", a.cfg.TemporalAddress, err)
	}
	a.temporal = c
	a.closers = append(a.closers, c.Close)
	return nil
}

// serveHTTP serves the API until ctx ends, then shuts down gracefully.
func (a *App) serveHTTP(ctx context.Context) error {
	pol, err := policy.New(ctx, a.store.DB, policy.WithLogger(a.log.With("component", "policy")))
	if err != nil {
		return fmt.Errorf("load policy: %w", err)
	}
	go pol.Watch(ctx, a.cfg.PolicyReload)
	srv := &api.Server{Store: a.store, Temporal: a.temporal, Policy: pol, Logger: a.log, RequestTimeout: a.cfg.RequestTimeout,
		MetricsToken: a.cfg.MetricsToken, MetricsOff: a.cfg.metricsOffMain(), Registry: a.registry(),
		Namespace: a.cfg.TemporalNamespace}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	a.http = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	if err := a.serveMetrics(); err != nil {
		ln.Close()
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- a.http.Serve(ln) }()
	a.log.Info("Shaobao is up", "url", "http://"+ln.Addr().String(), "data", a.cfg.DataDir)
	select {
	case err := <-errc:
		return fmt.Errorf("serve HTTP: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := a.http.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down HTTP: %w", err)
	}
	return nil
}

// serveMetrics serves the process's registry on --metrics-addr when set;
// without it, under serve with no --metrics-token (or a worker), nobody
// serves them.
func (a *App) serveMetrics() error {
	if a.cfg.MetricsAddr == "" {
		if a.cfg.metricsOffMain() || a.cfg.Role == "worker" {
			a.log.Info("metrics off: set --metrics-addr or --metrics-token to serve /metrics")
		}
		return nil
	}
	ln, err := net.Listen("tcp", a.cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("listen for metrics on %s: %w", a.cfg.MetricsAddr, err)
	}
	ms := &http.Server{Handler: api.MetricsHandler(a.registry(), a.cfg.MetricsToken), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := ms.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("metrics listener stopped", "err", err)
		}
	}()
	a.closers = append(a.closers, func() { _ = ms.Close() })
	a.log.Info("metrics served", "url", "http://"+ln.Addr().String()+"/metrics", "token", a.cfg.MetricsToken != "")
	return nil
}

// Close stops what the app started, newest first.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}
