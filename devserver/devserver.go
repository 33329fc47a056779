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
	"go.temporal.io/server/common/config"
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
	// release frees what guards the server's state (the SQLite flavour's
	// data folder lock); nil when nothing does.
	release func()
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
	// Two servers writing one SQLite file would corrupt each other's state.
	lock, err := lockDataDir(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("start temporal dev server: %w", err)
	}
	sqlCfg := sqliteConfig(filepath.Join(opts.DataDir, DBFileName))
	s, err := start(ctx, opts, flavour{
		prepare: func(ctx context.Context) error {
			return prepareDatabase(ctx, sqlCfg, opts.Namespace, opts.SearchAttributes)
		},
		persistence: config.Persistence{
			DefaultStore:    sqliteStore,
			VisibilityStore: sqliteStore,
			// One shard: more were slower on SQLite. The first start records
			// the count; later starts must not change it.
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteStore: {SQL: sqlCfg}},
		},
		release: lock.release,
	})
	if err != nil {
		return nil, fmt.Errorf("start temporal dev server on %s: %w", opts.DataDir, err)
	}
	return s, nil
}

// flavour is what differs between the SQLite and the PostgreSQL server:
// everything else starts through start.
type flavour struct {
	// prepare readies the database before the server starts.
	prepare func(ctx context.Context) error
	// persistence is the server's stores.
	persistence config.Persistence
	// register, when set, registers the namespace and its search attributes
	// through the started server's frontend.
	register bool
	// release, when set, is called once the server has stopped or failed
	// to start.
	release func()
}

// start prepares the database, starts the server on freshly picked ports
// and waits until opts.Namespace is usable. On failure it stops what it
// started and releases f.
func start(ctx context.Context, opts Options, f flavour) (s *Server, err error) {
	defer func() {
		if err != nil && f.release != nil {
			f.release()
		}
	}()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := f.prepare(ctx); err != nil {
		return nil, err
	}
	ports, err := pickPorts(opts.Host, opts.Port)
	if err != nil {
		return nil, err
	}
	dialHost := opts.Host
	if ip := net.ParseIP(dialHost); ip != nil && ip.IsUnspecified() {
		dialHost = defaultHost
	}
	s = &Server{
		hostPort:     net.JoinHostPort(dialHost, strconv.Itoa(ports.frontend)),
		httpHostPort: net.JoinHostPort(dialHost, strconv.Itoa(ports.frontendHTTP)),
		namespace:    opts.Namespace,
		logLevel:     new(slog.LevelVar),
	}
	s.logLevel.Set(slog.LevelWarn)
	logger := slog.New(minLevelHandler{next: opts.Logger.Handler(), min: s.logLevel}).
		With("component", "temporal-devserver")

	cfg := serverConfig(opts.Host, ports, s.hostPort, s.httpHostPort, f.persistence)
	s.temporal, err = newServer(cfg, ports, s.hostPort, newServerLogger(logger))
	if err != nil {
		return nil, fmt.Errorf("create temporal server: %w", err)
	}
	if err := s.temporal.Start(); err != nil {
		_ = s.stopServer() // release whatever did start; the start error is the one to report
		return nil, fmt.Errorf("start temporal server: %w", err)
	}
	if f.register {
		if err := registerNamespace(ctx, s.hostPort, opts.Namespace, opts.SearchAttributes, logger); err != nil {
			_ = s.stopServer()
			return nil, err
		}
	}
	if err := waitReady(ctx, s.hostPort, opts.Namespace, opts.SearchAttributes, logger); err != nil {
		_ = s.stopServer()
		return nil, err
	}
	s.release = f.release
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
		if s.release != nil {
			s.release()
		}
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
	if o.Port < 0 || o.Port > 65535 {
		return o, fmt.Errorf("options: Port %d out of range", o.Port)
	}
	return o, o.serverDefaults()
}

// serverDefaults checks and fills in what every flavour's Options share:
// Host, Namespace and Logger.
func (o *Options) serverDefaults() error {
	switch o.Host {
	case "", "localhost":
		o.Host = defaultHost
	}
	if net.ParseIP(o.Host) == nil {
		return fmt.Errorf("options: Host %q is not an IP address", o.Host)
	}
	if o.Namespace == "" {
		o.Namespace = defaultNamespace
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}
