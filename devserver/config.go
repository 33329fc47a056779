package devserver

import (
	"net"
	"strconv"
	"time"

	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
)

const (
	clusterName = "active"
	// clusterID must stay the same for the life of a data folder: the first
	// start records it in the cluster metadata.
	clusterID = "314d92d6-e016-4b76-ae34-fffc2a4aff40"

	// sqliteMaxConns is the size of the connection pool shared by every
	// service of the server; the plugin honours more than one only in WAL mode.
	sqliteMaxConns = 4

	internalHost = "127.0.0.1"

	// sqliteStore names the one SQLite store, default and visibility.
	sqliteStore = "sqlite-default"
)

// sqliteConfig is the persistence config for both the default and the
// visibility store. Keys of ConnectAttributes other than SQLite's URI query
// parameters (mode, cache, ...) become PRAGMAs.
func sqliteConfig(dbFile string) *config.SQL {
	return &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: dbFile,
		ConnectAttributes: map[string]string{
			"mode": "rwc",
			// "journal_mode", not "_journal_mode": the plugin looks for this
			// exact key before it allows MaxConns > 1.
			"journal_mode": "wal",
			// In WAL mode NORMAL is safe against corruption and against a
			// crash of the process; only a power cut may drop the last commits.
			"synchronous": "normal",
			// Four connections in one process do contend for the one writer:
			// wait for it instead of failing with "database is locked".
			"busy_timeout": "10000",
		},
		MaxConns:     sqliteMaxConns,
		MaxIdleConns: sqliteMaxConns,
	}
}

// newServer builds the one-process server of every devserver flavour from
// its config: static membership and the dev server's dynamic config.
func newServer(cfg *config.Config, ports servicePorts, hostPort string, logger serverLogger) (temporal.Server, error) {
	internal := func(port int) static.Hosts {
		return static.SingleLocalHost(net.JoinHostPort(internalHost, strconv.Itoa(port)))
	}
	return temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		// Static membership: one process holds every service, so there is no
		// ringpop ring to join and no membership port to pick.
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			// The frontend is reached where clients reach it (Host may be a
			// non-loopback address); the others listen on loopback.
			primitives.FrontendService: static.SingleLocalHost(hostPort),
			primitives.HistoryService:  internal(ports.history),
			primitives.MatchingService: internal(ports.matching),
			primitives.WorkerService:   internal(ports.worker),
		}),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			// Search attributes added while a data folder is in use must be
			// seen at once, not after a cache refresh.
			dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
			// As the Temporal CLI's dev server: a bigger mutable-state cache
			// and more visibility requests per second than a cluster default.
			dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 8096,
			dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		}),
	)
}

// serverConfig is the one-process server's config on persistence: the
// frontend on host, the other services on loopback.
func serverConfig(host string, ports servicePorts, hostPort, httpHostPort string, persistence config.Persistence) *config.Config {
	var cfg config.Config

	cfg.Global.Membership = config.Membership{
		MaxJoinDuration:  30 * time.Second,
		BroadcastAddress: internalHost,
	}
	cfg.Persistence = persistence
	cfg.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             hostPort,
				HTTPAddress:            httpHostPort,
				ClusterID:              clusterID,
			},
		},
	}
	cfg.DCRedirectionPolicy.Policy = "noop"
	cfg.Services = map[string]config.Service{
		string(primitives.FrontendService): {RPC: frontendRPC(host, ports.frontend, ports.frontendHTTP)},
		string(primitives.HistoryService):  {RPC: config.RPC{GRPCPort: ports.history, BindOnLocalHost: true}},
		string(primitives.MatchingService): {RPC: config.RPC{GRPCPort: ports.matching, BindOnLocalHost: true}},
		string(primitives.WorkerService):   {RPC: config.RPC{GRPCPort: ports.worker, BindOnLocalHost: true}},
	}
	cfg.Archival.History.State = "disabled"
	cfg.Archival.Visibility.State = "disabled"
	cfg.NamespaceDefaults.Archival.History.State = "disabled"
	cfg.NamespaceDefaults.Archival.Visibility.State = "disabled"
	// The server's own system workers dial the frontend through this.
	cfg.PublicClient.HostPort = hostPort
	return &cfg
}

func frontendRPC(host string, grpcPort, httpPort int) config.RPC {
	rpc := config.RPC{GRPCPort: grpcPort, HTTPPort: httpPort}
	if host == internalHost {
		rpc.BindOnLocalHost = true
	} else {
		rpc.BindOnIP = host
	}
	return rpc
}
