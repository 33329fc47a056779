// Package app wires one Shaobao process from its parts: the store, the
// Temporal client, the policy, the whistle worker and the HTTP API. It is
// what `shaobao dev` and `shaobao serve` run (cmd/shaobao only parses flags
// and picks the steps), and what the integration tests run, so the tests
// exercise the binary's wiring, not a copy of it.
//
// It links the Temporal SDK only; the embedded server stays in devserver.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/shaobao/shaobao/activities"
	"github.com/shaobao/shaobao/activities/channels"
	"github.com/shaobao/shaobao/api"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// Config is what the wiring needs to know; cmd/shaobao fills it from flags
// and the environment.
type Config struct {
	Addr              string // HTTP listen address
	DataDir           string // dev: embedded Temporal and SQLite live here
	DatabaseURL       string // serve: PostgreSQL URL (or sqlite:PATH)
	TemporalAddress   string // serve: host:port of the Temporal frontend
	TemporalNamespace string
	TemporalTLS       TemporalTLS // serve: TLS, mutual TLS and API key of a secured cluster
	Role              string      // serve: api, worker or all
	WebhookURL        string      // notifications go here when set, else to the log
	WebhookSecret     string
	SecretKey         string         // seals the outside channels' secrets; empty on SQLite: DataDir/secret.key
	PublicURL         string         // the pages' address, for the links in notifications
	TrustedProxies    string         // comma-separated proxies whose X-Forwarded-For is believed
	RequestTimeout    time.Duration  // 0: the API's default
	PolicyReload      time.Duration  // 0: the policy is loaded once
	MetricsAddr       string         // /metrics on this address alone, off the main one
	MetricsToken      string         // bearer token /metrics requires
	HealthAddr        string         // /healthz, /readyz and /metrics of a worker on a port of its own; empty: none
	PprofAddr         string         // runtime profiles on this loopback address; empty: none
	CityBounds        string         // "minLon,minLat,maxLon,maxLat" a filed point must lie in; empty: Beijing's
	FilesDir          string         // uploaded photos on disk; empty: DataDir/files (unless S3.Bucket is set)
	S3                store.S3Config // uploaded photos in an S3-compatible bucket when Bucket is set
	UploadQuota       string         // "FILES/SIZE" one user may upload in 24 hours; empty: api.DefaultUploadQuota
	OIDC              api.OIDCConfig // single sign-on; Issuer "" turns it off
	Map               api.MapConfig  // the map's base tiles; TileURL "" draws polygons on a plain background

	Dev bool // `shaobao dev`: the main address is loopback, /metrics stays open there
}

// oidc is the single sign-on configuration with the callback defaulted
// from the public address.
func (c *Config) oidc() api.OIDCConfig {
	o := c.OIDC
	if o.Issuer != "" && o.RedirectURL == "" && c.PublicURL != "" {
		o.RedirectURL = strings.TrimSuffix(c.PublicURL, "/") + "/api/v1/auth/oidc/callback"
	}
	return o
}

// StoreURL is the configured database URL or the SQLite file in the data
// folder.
func (c *Config) StoreURL() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return "sqlite:" + filepath.Join(c.DataDir, "shaobao.db")
}

// MetricsOffMain reports whether the main address answers 404 on /metrics:
// when they have their own address, and under serve when no token guards
// them (dev listens on loopback and keeps them open).
func (c *Config) MetricsOffMain() bool {
	return c.MetricsAddr != "" || (!c.Dev && c.MetricsToken == "")
}

// OpenStore opens and migrates the configured database, creating the data
// folder of the default SQLite file.
func OpenStore(ctx context.Context, cfg *Config) (*store.Store, error) {
	if cfg.DatabaseURL == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data folder: %w", err)
		}
	}
	st, err := store.Open(ctx, cfg.StoreURL())
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// App is one running Shaobao process and everything it started, closed in
// reverse order. Store and Temporal are set by OpenStore and
// ConnectTemporal, or by the caller before the steps that use them.
type App struct {
	Config   *Config
	Log      *slog.Logger
	Store    *store.Store
	Temporal client.Client

	http    *http.Server
	closers []func()
	reg     *prometheus.Registry // see registry
	sealer  *store.Sealer        // see Sealer
	blob    store.Blob           // see Blob
	health  healthState          // see ServeHealth
}

// New returns an app on cfg logging to log; it starts nothing.
func New(cfg *Config, log *slog.Logger) *App {
	return &App{Config: cfg, Log: log}
}

// OnClose makes Close run fn (before what was started earlier).
func (a *App) OnClose(fn func()) { a.closers = append(a.closers, fn) }

// OpenStore opens and migrates the configured database; Close closes it.
func (a *App) OpenStore(ctx context.Context) error {
	st, err := OpenStore(ctx, a.Config)
	if err != nil {
		return err
	}
	a.Store = st
	a.OnClose(func() { _ = st.Close() })
	return nil
}

// ConnectTemporal dials the configured Temporal frontend and namespace;
// Close closes the client.
func (a *App) ConnectTemporal(ctx context.Context) error {
	opts, err := a.Config.temporalOptions()
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", a.Config.TemporalAddress, err)
	}
	opts.Logger = sdklog.NewStructuredLogger(a.Log.With("component", "temporal-sdk"))
	// The SDK's own metrics (task latencies, schedule-to-start, failures)
	// on the process's /metrics.
	opts.MetricsHandler = a.sdkMetrics()
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", a.Config.TemporalAddress, a.Config.explainDial(err))
	}
	a.Temporal = c
	a.OnClose(c.Close)
	return nil
}

// EnsureSearchAttributes makes sure the namespace can run cases before the
// process takes any: it registers the namespace when it is missing and
// the search attributes the namespace lacks through the operator service,
// and refuses to start, saying what to register, when it may not. A case started without them would fail every
// workflow task forever.
func (a *App) EnsureSearchAttributes(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// The namespace itself first: a missing one is registered when the
	// credentials may (a fresh cluster), else named with the command.
	registered, err := a.ensureNamespace(ctx)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if registered {
		a.Log.Info("namespace registered", "namespace", a.Config.TemporalNamespace, "retention", namespaceRetention)
	}
	added, err := workflows.EnsureSearchAttributes(ctx, a.Temporal, a.Config.TemporalNamespace)
	if err != nil {
		return fmt.Errorf("serve: the Temporal namespace cannot run cases: %w", err)
	}
	if len(added) > 0 {
		a.Log.Info("search attributes registered", "namespace", a.Config.TemporalNamespace, "added", added)
	}
	return nil
}

// StartWorker starts the whistle workflow's worker on the task queue: the
// workflow, its activities and the projection into the app's store; the
// monthly publication of the supervision figures; and the sweep that
// pushes hotline results whose push failed. Close stops it.
func (a *App) StartWorker(ctx context.Context) error {
	w := worker.New(a.Temporal, workflows.TaskQueue, worker.Options{})
	metrics := activities.NewMetrics(a.registry())
	sealer, err := a.Sealer()
	if err != nil {
		return err
	}
	// Notifications reach people: in-app rows and the outside channels,
	// then the global webhook (or the log) as before; failed deliveries
	// are tried again every minute.
	chans := &activities.Channels{Store: a.Store, Sealer: sealer, Sender: &channels.Sender{}, Next: a.Notifier(),
		PublicURL: a.Config.PublicURL, Logger: a.Log.With("component", "channels"), Metrics: activities.NewChannelMetrics(a.registry())}
	// The lean path's notifications: written to the outbox by the
	// projection, delivered here through the same chain (issue 19).
	outbox := &activities.OutboxDispatcher{Store: a.Store, Notifier: chans, Logger: a.Log.With("component", "outbox"),
		Metrics: activities.NewOutboxMetrics(a.registry())}
	activities.Register(w, &activities.Activities{Store: a.Store, Notifier: chans, Logger: a.Log.With("component", "activities"),
		Metrics: metrics, Outbox: outbox})
	activities.RegisterSupervision(w, &activities.Supervision{Store: a.Store, Logger: a.Log.With("component", "supervision")})
	// Hotline results whose push failed are pushed again every minute.
	activities.RegisterHotlineSweep(w, &activities.HotlineSweeper{Store: a.Store, Notifier: a.Notifier(), Logger: a.Log.With("component", "hotline-sweep"),
		Metrics: metrics})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker on task queue %s: %w", workflows.TaskQueue, err)
	}
	// The monthly publication of the supervision figures (Asia/Shanghai)
	// and the hotline push sweep (every minute).
	if err := workflows.EnsureSchedules(ctx, a.Temporal); err != nil {
		w.Stop()
		return err
	}
	// Fold projection changes into the supervision roll-up in the
	// background, so a supervisor's read finds little left to fold.
	go a.Store.RunSupervisionRefresher(ctx, 30*time.Second)
	go chans.RunSweeper(ctx, time.Minute)
	go outbox.Run(ctx)
	// Uploads no case references within 24 hours are removed.
	blob, err := a.Blob()
	if err != nil {
		w.Stop()
		return err
	}
	go a.Store.RunUploadSweeper(ctx, blob, time.Hour)
	a.OnClose(w.Stop)
	// The read model's figures (open cases, backlog, breaches, failed
	// deliveries) on /metrics: a worker runs in every deployment.
	if err := a.registry().Register(activities.NewDomainCollector(a.Store, domainMetricsTTL, a.Log.With("component", "metrics"))); err != nil {
		return fmt.Errorf("register the domain metrics: %w", err)
	}
	a.health.workerUp.Store(true)
	a.OnClose(func() { a.health.workerUp.Store(false) })
	a.Log.Info("worker started", "task_queue", workflows.TaskQueue)
	return nil
}

// Notifier is where the worker sends notifications: the webhook when one
// is configured, else the log.
func (a *App) Notifier() activities.Notifier {
	if a.Config.WebhookURL != "" {
		return &activities.WebhookNotifier{URL: a.Config.WebhookURL, Secret: []byte(a.Config.WebhookSecret)}
	}
	return activities.LogNotifier{Logger: a.Log.With("component", "notify")}
}

// Sealer is the sealer of the outside channels' secrets, made on first
// use: under --secret-key; else, on the embedded SQLite file, under the key
// kept beside it in the data folder (made there the first time); else nil
// (no channel may hold a secret): processes sharing a PostgreSQL database
// must share one key, which only --secret-key can give them.
func (a *App) Sealer() (*store.Sealer, error) {
	if a.sealer != nil {
		return a.sealer, nil
	}
	var key []byte
	var err error
	switch {
	case a.Config.SecretKey != "":
		key, err = store.ParseSecretKey(a.Config.SecretKey)
	case a.Config.DataDir != "" && a.Config.DatabaseURL == "":
		key, err = store.LoadOrCreateKeyFile(filepath.Join(a.Config.DataDir, "secret.key"))
	default:
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("channel secret key: %w", err)
	}
	if a.sealer, err = store.NewSealer(key); err != nil {
		return nil, fmt.Errorf("channel secret key: %w", err)
	}
	return a.sealer, nil
}

// Blob is where uploaded photos are kept, made on first use: the S3
// bucket when one is configured, else FilesDir (default DataDir/files).
func (a *App) Blob() (store.Blob, error) {
	if a.blob != nil {
		return a.blob, nil
	}
	if a.Config.S3.Bucket != "" {
		b, err := store.NewS3Blob(a.Config.S3)
		if err != nil {
			return nil, fmt.Errorf("--s3-bucket: %w", err)
		}
		a.blob = b
		return b, nil
	}
	dir := a.Config.FilesDir
	if dir == "" {
		dir = filepath.Join(a.Config.DataDir, "files")
	}
	a.blob = store.DirBlob{Root: dir}
	return a.blob, nil
}

// Handler loads the policy (reloaded every PolicyReload until ctx ends)
// and returns the HTTP API on the app's store and Temporal client.
func (a *App) Handler(ctx context.Context) (http.Handler, error) {
	bounds, err := whistle.ParseBounds(a.Config.CityBounds)
	if err != nil {
		return nil, fmt.Errorf("--city-bounds: %w", err)
	}
	proxies := splitList(a.Config.TrustedProxies)
	for _, p := range proxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return nil, fmt.Errorf("--trusted-proxies: %q is neither an address nor a CIDR", p)
			}
		}
	}
	sealer, err := a.Sealer()
	if err != nil {
		return nil, err
	}
	blob, err := a.Blob()
	if err != nil {
		return nil, err
	}
	if m := a.Config.Map.TileCRS; m != "" && m != "wgs84" && m != "gcj02" {
		return nil, fmt.Errorf("--map-tile-crs: %q is neither wgs84 nor gcj02", m)
	}
	quota := api.DefaultUploadQuota
	if a.Config.UploadQuota != "" {
		if quota, err = api.ParseUploadQuota(a.Config.UploadQuota); err != nil {
			return nil, fmt.Errorf("--upload-quota: %w", err)
		}
	}
	pol, err := policy.New(ctx, a.Store.DB, policy.WithLogger(a.Log.With("component", "policy")))
	if err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	if a.Config.PolicyReload > 0 {
		go pol.Watch(ctx, a.Config.PolicyReload)
	}
	srv := &api.Server{Store: a.Store, Temporal: a.Temporal, Policy: pol, Logger: a.Log, RequestTimeout: a.Config.RequestTimeout,
		MetricsToken: a.Config.MetricsToken, MetricsOff: a.Config.MetricsOffMain(), Registry: a.registry(),
		Namespace: a.Config.TemporalNamespace, CityBounds: bounds, Secrets: sealer,
		SecureCookies: strings.HasPrefix(strings.ToLower(a.Config.PublicURL), "https://"), TrustedProxies: proxies, OIDC: a.Config.oidc(),
		Blob: blob, UploadQuota: quota, PublicURL: a.Config.PublicURL, Map: a.Config.Map}
	return srv.Handler(), nil
}

// ServeHTTP serves the API on Addr (and the metrics on MetricsAddr) until
// ctx ends, then shuts down gracefully.
func (a *App) ServeHTTP(ctx context.Context) error {
	h, err := a.Handler(ctx)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.Addr, err)
	}
	a.http = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	if err := a.ServeMetrics(); err != nil {
		ln.Close()
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- a.http.Serve(ln) }()
	a.Log.Info("Shaobao is up", "url", "http://"+ln.Addr().String(), "data", a.Config.DataDir)
	select {
	case err := <-errc:
		return fmt.Errorf("serve HTTP: %w", err)
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := a.http.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down HTTP: %w", err)
	}
	return nil
}

// ServeMetrics serves the process's registry on MetricsAddr when set;
// without it, under serve with no MetricsToken (or a worker), nobody
// serves them.
func (a *App) ServeMetrics() error {
	if a.Config.MetricsAddr == "" {
		if a.Config.HealthAddr == "" && (a.Config.MetricsOffMain() || a.Config.Role == "worker") {
			a.Log.Info("metrics off: set --health-addr, --metrics-addr or --metrics-token to serve /metrics")
		}
		return nil
	}
	ln, err := net.Listen("tcp", a.Config.MetricsAddr)
	if err != nil {
		return fmt.Errorf("listen for metrics on %s: %w", a.Config.MetricsAddr, err)
	}
	ms := &http.Server{Handler: api.MetricsHandler(a.registry(), a.Config.MetricsToken), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := ms.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("metrics listener stopped", "err", err)
		}
	}()
	a.OnClose(func() { _ = ms.Close() })
	a.Log.Info("metrics served", "url", "http://"+ln.Addr().String()+"/metrics", "token", a.Config.MetricsToken != "")
	return nil
}

// registry is the process's one Prometheus registry, made on first use:
// the API's HTTP metrics and the worker's projection failures are served
// together on /metrics when one process runs both.
func (a *App) registry() *prometheus.Registry {
	if a.reg == nil {
		a.reg = prometheus.NewRegistry()
		a.reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	}
	return a.reg
}

// Close stops what the app started, newest first.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// splitList splits a comma-separated setting, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
