package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	pgplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/shaobao/shaobao/workflows"
)

// Schema names of the server's own tooling, embedded in the server module.
const (
	postgresSchema           = "postgresql/v12/temporal"
	postgresVisibilitySchema = "postgresql/v12/visibility"
)

// PostgresOptions configure StartPostgres.
type PostgresOptions struct {
	// URL names the PostgreSQL database of the server's history:
	// postgres://user:password@host:port/database[?sslmode=...]. The
	// visibility store is the database of the same name plus "_visibility"
	// on the same server. Both are created, with their schema, if missing.
	URL string
	// Host, Port, Namespace, SearchAttributes and Logger are as in Options.
	// Port must be at most 32767: the server stores membership ports in a
	// smallint column, and a higher port hangs its start.
	Host             string
	Port             int
	Namespace        string
	SearchAttributes map[string]enumspb.IndexedValueType
	Logger           *slog.Logger
	// HistoryShards is recorded at the first start and must never change
	// for the database; default 4.
	HistoryShards int32
	// MaxConns is the connection pool of each store; default 20.
	MaxConns int
}

// StartPostgres starts a Temporal server in this process persisted on
// PostgreSQL (plugin postgres12), the production shape of persistence
// without a separate cluster. It sets up or updates the schema with the
// server's own tooling, starts the server, registers opts.Namespace and
// every search attribute it lacks through the frontend, and returns once
// the namespace is usable.
//
// Unlike Start, nothing guards against a second server on the same
// database: run one. (Start's lock keeps two servers from writing one
// SQLite file; PostgreSQL arbitrates concurrent writers itself, and a
// second server would only contend for the history shards.)
func StartPostgres(ctx context.Context, opts PostgresOptions) (*Server, error) {
	s, err := startPostgres(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("start temporal server on postgresql: %w", err)
	}
	return s, nil
}

func startPostgres(ctx context.Context, opts PostgresOptions) (*Server, error) {
	common, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := validateSearchAttributes(opts.SearchAttributes); err != nil {
		return nil, err
	}
	main, visibility, err := postgresConfigs(opts.URL, opts.MaxConns)
	if err != nil {
		return nil, err
	}
	return start(ctx, common, flavour{
		prepare: func(context.Context) error {
			if err := preparePostgres(main, postgresSchema); err != nil {
				return err
			}
			return preparePostgres(visibility, postgresVisibilitySchema)
		},
		persistence: config.Persistence{
			DefaultStore:     "postgres-default",
			VisibilityStore:  "postgres-visibility",
			NumHistoryShards: opts.HistoryShards,
			DataStores: map[string]config.DataStore{
				"postgres-default":    {SQL: main},
				"postgres-visibility": {SQL: visibility},
			},
		},
		// The schema tools create no namespace: the running server does.
		register: true,
	})
}

// withDefaults returns the Options of the server, checked and with the
// defaults filled in, and fills in o's own defaults.
func (o *PostgresOptions) withDefaults() (Options, error) {
	if o.URL == "" {
		return Options{}, errors.New("options: URL is required")
	}
	if o.Port < 0 || o.Port > maxPickedPort {
		return Options{}, fmt.Errorf("options: Port %d out of range 0-%d (PostgreSQL stores membership ports as smallint)", o.Port, maxPickedPort)
	}
	if o.HistoryShards == 0 {
		o.HistoryShards = 4
	}
	if o.MaxConns == 0 {
		o.MaxConns = 20
	}
	opts := Options{Host: o.Host, Port: o.Port, Namespace: o.Namespace, SearchAttributes: o.SearchAttributes, Logger: o.Logger}
	return opts, opts.serverDefaults()
}

// postgresConfigs turns the URL into the default and visibility stores.
func postgresConfigs(rawURL string, maxConns int) (main, visibility *config.SQL, err error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, nil, fmt.Errorf("options: URL must be postgres://user:password@host:port/database")
	}
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" || strings.Contains(db, "/") {
		return nil, nil, fmt.Errorf("options: URL must name one database, not %q", u.Path)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "5432")
	}
	attrs := map[string]string{}
	for k, v := range u.Query() {
		if len(v) > 0 {
			attrs[k] = v[0]
		}
	}
	password, _ := u.User.Password()
	mk := func(name string) *config.SQL {
		return &config.SQL{
			PluginName: pgplugin.PluginName, DatabaseName: name, ConnectAddr: host, ConnectProtocol: "tcp",
			User: u.User.Username(), Password: password, ConnectAttributes: attrs,
			MaxConns: maxConns, MaxIdleConns: maxConns, MaxConnLifetime: time.Hour,
		}
	}
	return mk(db), mk(db + "_visibility"), nil
}

// preparePostgres creates the database if missing, sets up the schema's
// version tables on a new database, and brings the schema up to the
// server's version — what temporal-sql-tool's create-database,
// setup-schema -v 0.0 and update-schema do.
func preparePostgres(cfg *config.SQL, schemaName string) error {
	logger := log.NewNoopLogger()
	admin := *cfg
	if err := sqltool.DoCreateDatabase(&admin, "postgres", logger); err != nil {
		return fmt.Errorf("create database %s: %w", cfg.DatabaseName, err)
	}
	conn, err := sqltool.NewConnection(cfg, logger)
	if err != nil {
		return fmt.Errorf("connect to database %s: %w", cfg.DatabaseName, err)
	}
	defer conn.Close()
	if _, err := conn.ReadSchemaVersion(); err != nil {
		setup := schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, logger)
		if err := setup.Run(); err != nil {
			return fmt.Errorf("set up schema versioning in %s: %w", cfg.DatabaseName, err)
		}
	}
	update := schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{DBName: cfg.DatabaseName, SchemaName: schemaName}, logger)
	if err := update.Run(); err != nil {
		return fmt.Errorf("update schema %s in %s: %w", schemaName, cfg.DatabaseName, err)
	}
	return nil
}

// registerNamespace registers namespace (7 days' retention) if missing and
// adds every attribute of attrs it lacks, through the frontend as an
// operator would; it retries while the just-started server warms up.
func registerNamespace(ctx context.Context, hostPort, namespace string, attrs map[string]enumspb.IndexedValueType, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: hostPort, Namespace: namespace, Logger: sdklog.NewStructuredLogger(logger)})
	if err != nil {
		return fmt.Errorf("dial temporal frontend at %s: %w", hostPort, err)
	}
	defer c.Close()
	register := func() error {
		_, err := c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace: namespace, WorkflowExecutionRetentionPeriod: durationpb.New(7 * 24 * time.Hour),
		})
		var exists *serviceerror.NamespaceAlreadyExists
		if err != nil && !errors.As(err, &exists) {
			return fmt.Errorf("register namespace %q: %w", namespace, err)
		}
		missing, err := workflows.MissingSearchAttributes(ctx, c, namespace, attrs)
		if err != nil {
			return err
		}
		if len(missing) == 0 {
			return nil
		}
		_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
		if err != nil {
			return fmt.Errorf("add search attributes: %w", err)
		}
		return nil
	}
	for {
		err := register()
		if err == nil {
			return nil
		}
		if errors.Is(err, workflows.ErrSearchAttributeType) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("register namespace %q: %w (last: %v)", namespace, ctx.Err(), err)
		case <-time.After(readyPollInterval * 4):
		}
	}
}
