package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/shaobao/shaobao/app"
	"github.com/shaobao/shaobao/devserver"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/workflows"
)

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
	cfg.Dev = true
	a := newApp(&cfg, os.Stderr)
	defer a.Close()
	if err := a.ServePprof(); err != nil {
		return err
	}

	start := time.Now()
	dev, err := devserver.Start(ctx, devserver.Options{
		DataDir: filepath.Join(cfg.DataDir, "temporal"), Port: cfg.TemporalPort, Namespace: cfg.TemporalNamespace,
		SearchAttributes: workflows.SearchAttributes, Logger: a.Log.With("component", "temporal"),
	})
	if err != nil {
		return err
	}
	a.OnClose(func() { _ = dev.Stop() })
	cfg.TemporalAddress = dev.HostPort()
	a.Log.Info("embedded Temporal server started", "address", dev.HostPort(), "namespace", dev.Namespace(), "took", time.Since(start).Round(time.Millisecond))

	if err := a.OpenStore(ctx); err != nil {
		return err
	}
	seeded, err := a.Store.IsSeeded(ctx)
	if err != nil {
		return err
	}
	if !seeded {
		if err := a.Store.SeedDemo(ctx); err != nil {
			return err
		}
		a.Log.Info("demo city seeded")
	}
	// The embedded default only: demo users without a password get the
	// documented demo password.
	if _, err := a.Store.SetDemoPasswords(ctx); err != nil {
		return err
	}
	a.Log.Info("demo sign-in: every demo user (c1-secretary, s1-police, admin, …) has the password "+store.DemoPassword,
		"password", store.DemoPassword, "token", selfCommand()+" token c1-secretary --data "+cfg.DataDir)
	if err := a.ConnectTemporal(ctx); err != nil {
		return err
	}
	if err := a.ServeHealth(); err != nil {
		return err
	}
	if *runWorker {
		if err := a.StartWorker(ctx); err != nil {
			return err
		}
	}
	return a.ServeHTTP(ctx)
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
	a := newApp(&cfg, os.Stderr)
	defer a.Close()
	if err := a.ServePprof(); err != nil {
		return err
	}
	if err := a.OpenStore(ctx); err != nil {
		return err
	}
	if err := a.Store.SeedDefaults(ctx); err != nil {
		return err
	}
	// serve has no default password: the first admin comes from
	// `shaobao admin create` or this variable, read once.
	if err := firstAdminFromEnv(ctx, a.Store, a.Log.Info); err != nil {
		return err
	}
	if err := a.ConnectTemporal(ctx); err != nil {
		return err
	}
	// A worker's probes and scrapes (--health-addr): up before the
	// start-up checks and the worker, so /readyz says what it waits for.
	if err := a.ServeHealth(); err != nil {
		return err
	}
	if err := a.EnsureSearchAttributes(ctx); err != nil {
		return err
	}
	if cfg.Role == "worker" || cfg.Role == "all" {
		if err := a.StartWorker(ctx); err != nil {
			return err
		}
	}
	if cfg.Role == "worker" {
		// No API here: the worker's metrics on --health-addr or --metrics-addr.
		if err := a.ServeMetrics(); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	}
	return a.ServeHTTP(ctx)
}

// newApp returns an app logging to w through the configured logger, made
// the process's default too (the store logs through slog.Default), and
// logs the configuration.
func newApp(cfg *Config, w io.Writer) *app.App {
	log := cfg.newLogger(w)
	slog.SetDefault(log)
	cfg.logConfig(log)
	return app.New(&cfg.Config, log)
}
