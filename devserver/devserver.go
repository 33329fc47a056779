// Package devserver runs a Temporal server inside the current process, with
// its state in one SQLite file, for `shaobao dev`.
//
// It is the only non-test package of Shaobao that imports
// go.temporal.io/server: that module is very large and slow to build, so
// everything else links only the SDK and talks to this server through
// HostPort, exactly as it would talk to a real cluster.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/temporal"
)

const (
	// DBFileName is the name of the SQLite file that Start keeps in Options.DataDir.
	DBFileName = "temporal.db"

	defaultHost      = "127.0.0.1"
	defaultNamespace = "default"

	// readyTimeout bounds the wait for a started server to answer, when the
	// caller's context has no earlier deadline.
	readyTimeout = 60 * time.Second
)

// Options configure Start. The zero value of every field but DataDir is usable.
type Options struct {
	// DataDir is the folder that holds the SQLite file (DBFileName) and a
	// lock file; Start creates it if missing.
	DataDir string
	// Host is the address the frontend listens on; default "127.0.0.1".
	// The internal services (history, matching, worker) always listen on
	// 127.0.0.1.
	Host string
	// Port is the frontend gRPC port; 0 picks a free one. The internal
	// services always get free ports. Every picked port is at most 32767.
	Port int
	// Namespace is created on first start if missing; default "default".
	Namespace string
	// SearchAttributes are registered on Namespace: all of them at first
	// start, and any that an existing data folder lacks on later starts, so
	// an attribute added in a later release reaches old data folders. An
	// attribute already registered with another type makes Start fail.
	SearchAttributes map[string]enumspb.IndexedValueType
	// Logger receives the server's logs at WARN and above only (the server is
	// chatty at INFO); default slog.Default().
	Logger *slog.Logger
}

// Server is a running embedded Temporal server. Its methods are safe for
// concurrent use.
type Server struct {
	temporal     temporal.Server
	hostPort     string
	httpHostPort string
	namespace    string
	lock         *dirLock
	// logLevel is the floor of the server's logs: WARN while it runs,
	// silent once Stop begins (a stopping server logs every poll and dial
	// it cuts short, and some of its clients keep redialling after Stop).
	logLevel *slog.LevelVar

	stopOnce sync.Once
	stopErr  error
}

// ErrDataDirInUse is returned (wrapped) by Start when another server, in this
// process or another one, already runs on the same DataDir.
var ErrDataDirInUse = errors.New("data folder is in use by another Temporal dev server")

// Start starts a Temporal server on the SQLite file in opts.DataDir and
// returns once the frontend accepts calls and opts.Namespace, with all of
// opts.SearchAttributes, is usable. On the first start of a data folder it
// creates the schema and the namespace. Only one Server may run on a data
// folder at a time: a second Start, from this process or another, returns an
// error wrapping ErrDataDirInUse.
//
// ctx bounds the preparation of the database and the wait for readiness
// (at most a minute); the server's own start phase is bounded by its
// internal timeout.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("start temporal dev server: %w", err)
	}
	if err := os.MkdirAll(opts.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("start temporal dev server: create data folder: %w", err)
	}
	lock, err := lockDataDir(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("start temporal dev server: %w", err)
	}
	s, err := start(ctx, opts, lock)
	if err != nil {
		lock.release()
		return nil, fmt.Errorf("start temporal dev server on %s: %w", opts.DataDir, err)
	}
	return s, nil
}

func start(ctx context.Context, opts Options, lock *dirLock) (*Server, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ports, err := pickPorts(opts.Host, opts.Port)
	if err != nil {
		return nil, err
	}
	sqlCfg := sqliteConfig(filepath.Join(opts.DataDir, DBFileName))
	if err := prepareDatabase(ctx, sqlCfg, opts.Namespace, opts.SearchAttributes); err != nil {
		return nil, err
	}

	dialHost := opts.Host
	if ip := net.ParseIP(dialHost); ip != nil && ip.IsUnspecified() {
		dialHost = defaultHost
	}
	s := &Server{
		hostPort:     net.JoinHostPort(dialHost, strconv.Itoa(ports.frontend)),
		httpHostPort: net.JoinHostPort(dialHost, strconv.Itoa(ports.frontendHTTP)),
		namespace:    opts.Namespace,
		lock:         lock,
		logLevel:     new(slog.LevelVar),
	}
	s.logLevel.Set(slog.LevelWarn)
	logger := slog.New(minLevelHandler{next: opts.Logger.Handler(), min: s.logLevel}).
		With("component", "temporal-devserver")

	s.temporal, err = newTemporalServer(opts, ports, s.hostPort, s.httpHostPort, newServerLogger(logger), sqlCfg)
	if err != nil {
		return nil, fmt.Errorf("create temporal server: %w", err)
	}
	if err := s.temporal.Start(); err != nil {
		_ = s.stopServer() // release whatever did start; the start error is the one to report
		return nil, fmt.Errorf("start temporal server: %w", err)
	}
	if err := waitReady(ctx, s.hostPort, opts.Namespace, opts.SearchAttributes, logger); err != nil {
		_ = s.stopServer()
		return nil, err
	}
	return s, nil
}

// HostPort returns the frontend's "host:port" for client.Dial. When Host is
// an unspecified address (0.0.0.0, ::) it names 127.0.0.1.
func (s *Server) HostPort() string { return s.hostPort }

// HTTPHostPort returns the "host:port" of the frontend's HTTP API (the same
// calls as gRPC, as JSON under /api/v1). It follows Host like HostPort; its
// port is always picked free.
func (s *Server) HTTPHostPort() string { return s.httpHostPort }

// Namespace returns the namespace that Start made usable.
func (s *Server) Namespace() string { return s.namespace }

// Stop stops the server gracefully and releases the data folder. It takes
// about a second when clients are connected: the frontend lets in-flight
// calls and long polls drain for at least that long. It is safe to call more
// than once; later calls return the first call's result.
//
// The SQLite file stays open in this process until it exits: the server's
// SQLite plugin shares its connections per file for the life of the process
// and never closes them. A later Start on the same folder reuses them.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.stopErr = s.stopServer()
		s.lock.release()
	})
	return s.stopErr
}

func (s *Server) stopServer() error {
	s.logLevel.Set(silent)
	if err := s.temporal.Stop(); err != nil {
		return fmt.Errorf("stop temporal server: %w", err)
	}
	return nil
}

func (o Options) withDefaults() (Options, error) {
	if o.DataDir == "" {
		return o, errors.New("options: DataDir is required")
	}
	dir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return o, fmt.Errorf("options: DataDir: %w", err)
	}
	o.DataDir = dir
	switch o.Host {
	case "", "localhost":
		o.Host = defaultHost
	}
	if net.ParseIP(o.Host) == nil {
		return o, fmt.Errorf("options: Host %q is not an IP address", o.Host)
	}
	if o.Port < 0 || o.Port > 65535 {
		return o, fmt.Errorf("options: Port %d out of range", o.Port)
	}
	if o.Namespace == "" {
		o.Namespace = defaultNamespace
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}
