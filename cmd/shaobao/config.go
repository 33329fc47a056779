package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/shaobao/shaobao/app"
	"github.com/shaobao/shaobao/redact"
)

// Config is every setting of every subcommand: flags with environment
// fallbacks, printed at start with secrets masked. What the running
// process's wiring needs is app.Config; the rest only cmd/shaobao uses.
type Config struct {
	app.Config
	TemporalPort int // dev: the embedded frontend's port (0 = pick)
	LogLevel     string
	LogFormat    string // text or json
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(env(key, "")); err == nil {
		return v
	}
	return def
}

// envBool is true when key is set to a true value (1, true, yes).
func envBool(key string) bool {
	v, err := strconv.ParseBool(env(key, ""))
	return err == nil && v
}

func envDuration(key string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(env(key, "")); err == nil {
		return v
	}
	return def
}

// bind registers the flags that apply to a subcommand; the defaults come
// from the environment.
func (c *Config) bind(fs *flag.FlagSet, which ...string) {
	want := map[string]bool{}
	for _, w := range which {
		want[w] = true
	}
	if want["addr"] {
		fs.StringVar(&c.Addr, "addr", env("SHAOBAO_ADDR", "127.0.0.1:8080"), "HTTP listen address (SHAOBAO_ADDR)")
	}
	if want["data"] {
		fs.StringVar(&c.DataDir, "data", env("SHAOBAO_DATA", "./data"), "data folder of the embedded default (SHAOBAO_DATA)")
	}
	if want["db"] {
		fs.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", ""), "PostgreSQL URL, or sqlite:PATH; empty: the SQLite file in --data (DATABASE_URL)")
	}
	if want["temporal"] {
		fs.StringVar(&c.TemporalAddress, "temporal-address", env("TEMPORAL_ADDRESS", "127.0.0.1:7233"), "Temporal frontend host:port (TEMPORAL_ADDRESS)")
		// A secured cluster (docs/metrics.md): the environment names are
		// those of Temporal's own clients (envconfig, the CLI).
		fs.BoolVar(&c.TemporalTLS.Enabled, "temporal-tls", envBool("TEMPORAL_TLS"), "connect to Temporal over TLS, trusting the system's CAs unless --temporal-tls-ca is given (TEMPORAL_TLS)")
		fs.StringVar(&c.TemporalTLS.CAFile, "temporal-tls-ca", env("TEMPORAL_TLS_SERVER_CA_CERT_PATH", ""), "PEM file of the CA that signed the Temporal frontend's certificate; turns TLS on (TEMPORAL_TLS_SERVER_CA_CERT_PATH)")
		fs.StringVar(&c.TemporalTLS.CertFile, "temporal-tls-cert", env("TEMPORAL_TLS_CLIENT_CERT_PATH", ""), "PEM client certificate for mutual TLS, with --temporal-tls-key; read again at each connection (TEMPORAL_TLS_CLIENT_CERT_PATH)")
		fs.StringVar(&c.TemporalTLS.KeyFile, "temporal-tls-key", env("TEMPORAL_TLS_CLIENT_KEY_PATH", ""), "PEM private key of --temporal-tls-cert (TEMPORAL_TLS_CLIENT_KEY_PATH)")
		fs.StringVar(&c.TemporalTLS.ServerName, "temporal-tls-server-name", env("TEMPORAL_TLS_SERVER_NAME", ""), "name the frontend's certificate must carry when it is not the host of --temporal-address (TEMPORAL_TLS_SERVER_NAME)")
		fs.StringVar(&c.TemporalTLS.APIKey, "temporal-api-key", env("TEMPORAL_API_KEY", ""), "API key (Temporal Cloud), sent as a bearer token; turns TLS on; never printed (TEMPORAL_API_KEY)")
	}
	if want["temporal-port"] {
		fs.IntVar(&c.TemporalPort, "temporal-port", envInt("SHAOBAO_TEMPORAL_PORT", 7233), "port of the embedded Temporal frontend, 0 picks a free one (SHAOBAO_TEMPORAL_PORT)")
	}
	if want["namespace"] {
		fs.StringVar(&c.TemporalNamespace, "namespace", env("TEMPORAL_NAMESPACE", "default"), "Temporal namespace (TEMPORAL_NAMESPACE)")
	}
	if want["role"] {
		fs.StringVar(&c.Role, "role", env("SHAOBAO_ROLE", "all"), "what this process runs: api, worker or all (SHAOBAO_ROLE)")
	}
	if want["server"] {
		fs.StringVar(&c.LogLevel, "log-level", env("SHAOBAO_LOG_LEVEL", "info"), "debug, info, warn or error (SHAOBAO_LOG_LEVEL)")
		fs.StringVar(&c.LogFormat, "log-format", env("SHAOBAO_LOG_FORMAT", "text"), "text or json (SHAOBAO_LOG_FORMAT)")
		fs.StringVar(&c.WebhookURL, "webhook-url", env("SHAOBAO_WEBHOOK_URL", ""), "notifications are POSTed here, signed; empty: logged (SHAOBAO_WEBHOOK_URL)")
		fs.StringVar(&c.WebhookSecret, "webhook-secret", env("SHAOBAO_WEBHOOK_SECRET", ""), "HMAC secret of the webhook signature (SHAOBAO_WEBHOOK_SECRET)")
		fs.StringVar(&c.SecretKey, "secret-key", env("SHAOBAO_SECRET_KEY", ""), "32-byte key (base64 or hex) sealing the outside channels' secrets; required on PostgreSQL, else kept in --data/secret.key (SHAOBAO_SECRET_KEY)")
		fs.StringVar(&c.TrustedProxies, "trusted-proxies", env("SHAOBAO_TRUSTED_PROXIES", ""), "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For names the client; empty: none, the peer address is the client (SHAOBAO_TRUSTED_PROXIES)")
		fs.StringVar(&c.PublicURL, "public-url", env("SHAOBAO_PUBLIC_URL", ""), "address of the pages, for the links in notifications, e.g. https://shaobao.example.gov.cn (SHAOBAO_PUBLIC_URL)")
		fs.DurationVar(&c.RequestTimeout, "request-timeout", envDuration("SHAOBAO_REQUEST_TIMEOUT", 30*time.Second), "longest time a request may take (SHAOBAO_REQUEST_TIMEOUT)")
		fs.DurationVar(&c.PolicyReload, "policy-reload", envDuration("SHAOBAO_POLICY_RELOAD", 10*time.Second), "how often policy rules are checked for changes (SHAOBAO_POLICY_RELOAD)")
		fs.StringVar(&c.MetricsAddr, "metrics-addr", env("SHAOBAO_METRICS_ADDR", ""), "serve /metrics on this address instead of --addr (SHAOBAO_METRICS_ADDR)")
		fs.StringVar(&c.HealthAddr, "health-addr", env("SHAOBAO_HEALTH_ADDR", ""), "serve /healthz, /readyz and /metrics on this address, e.g. :9090 for a worker's probes and scrapes; empty: none (SHAOBAO_HEALTH_ADDR)")
		fs.StringVar(&c.MetricsToken, "metrics-token", env("SHAOBAO_METRICS_TOKEN", ""), "bearer token /metrics requires; serve without it or --metrics-addr answers 404 on /metrics (SHAOBAO_METRICS_TOKEN)")
		fs.StringVar(&c.CityBounds, "city-bounds", env("SHAOBAO_CITY_BOUNDS", ""), "minLon,minLat,maxLon,maxLat a filed point must lie in; empty: Beijing's (SHAOBAO_CITY_BOUNDS)")
		// The map's base tiles (docs/map.md): none by default, so an
		// air-gapped deployment fetches nothing from outside.
		fs.StringVar(&c.Map.TileURL, "map-tile-url", env("SHAOBAO_MAP_TILE_URL", ""), "tile URL template of the map's base layer, e.g. https://tiles.example.gov.cn/{z}/{x}/{y}.png; empty: polygons on a plain background (SHAOBAO_MAP_TILE_URL)")
		fs.StringVar(&c.Map.TileCRS, "map-tile-crs", env("SHAOBAO_MAP_TILE_CRS", "wgs84"), "coordinate system of the tiles: wgs84, or gcj02 for mainland tiles (SHAOBAO_MAP_TILE_CRS)")
		fs.StringVar(&c.Map.Attribution, "map-attribution", env("SHAOBAO_MAP_ATTRIBUTION", ""), "attribution shown over the tiles (SHAOBAO_MAP_ATTRIBUTION)")
		// Uploaded photos (docs/files.md): a folder, or an S3-compatible bucket.
		fs.StringVar(&c.FilesDir, "files-dir", env("SHAOBAO_FILES_DIR", ""), "folder of the uploaded photos; empty: --data/files; unused with --s3-bucket (SHAOBAO_FILES_DIR)")
		fs.StringVar(&c.S3.Endpoint, "s3-endpoint", env("SHAOBAO_S3_ENDPOINT", ""), "S3-compatible endpoint URL for the photos, path-style, e.g. https://minio.example.gov.cn (SHAOBAO_S3_ENDPOINT)")
		fs.StringVar(&c.S3.Bucket, "s3-bucket", env("SHAOBAO_S3_BUCKET", ""), "bucket of the photos; empty: photos stay in --files-dir (SHAOBAO_S3_BUCKET)")
		fs.StringVar(&c.S3.Prefix, "s3-prefix", env("SHAOBAO_S3_PREFIX", ""), "key prefix inside the bucket, e.g. shaobao/ (SHAOBAO_S3_PREFIX)")
		fs.StringVar(&c.S3.Region, "s3-region", env("SHAOBAO_S3_REGION", "us-east-1"), "region the endpoint signs for (SHAOBAO_S3_REGION)")
		fs.StringVar(&c.S3.AccessKey, "s3-access-key", env("SHAOBAO_S3_ACCESS_KEY", ""), "access key of the bucket (SHAOBAO_S3_ACCESS_KEY)")
		fs.StringVar(&c.S3.SecretKey, "s3-secret-key", env("SHAOBAO_S3_SECRET_KEY", ""), "secret key of the bucket; never printed (SHAOBAO_S3_SECRET_KEY)")
		fs.StringVar(&c.UploadQuota, "upload-quota", env("SHAOBAO_UPLOAD_QUOTA", "300/1GiB"), "photos FILES/SIZE one user may upload in 24 hours (SHAOBAO_UPLOAD_QUOTA)")
		fs.StringVar(&c.OIDC.Issuer, "oidc-issuer", env("SHAOBAO_OIDC_ISSUER", ""), "OpenID Connect issuer URL of the single sign-on provider; empty: password sign-in only (SHAOBAO_OIDC_ISSUER)")
		fs.StringVar(&c.OIDC.ClientID, "oidc-client-id", env("SHAOBAO_OIDC_CLIENT_ID", ""), "client id registered at the provider (SHAOBAO_OIDC_CLIENT_ID)")
		fs.StringVar(&c.OIDC.ClientSecret, "oidc-client-secret", env("SHAOBAO_OIDC_CLIENT_SECRET", ""), "client secret registered at the provider (SHAOBAO_OIDC_CLIENT_SECRET)")
		fs.StringVar(&c.OIDC.RedirectURL, "oidc-redirect-url", env("SHAOBAO_OIDC_REDIRECT_URL", ""), "callback registered at the provider; empty: --public-url + /api/v1/auth/oidc/callback (SHAOBAO_OIDC_REDIRECT_URL)")
		fs.StringVar(&c.OIDC.UsernameClaim, "oidc-username-claim", env("SHAOBAO_OIDC_USERNAME_CLAIM", "preferred_username"), "ID token claim holding the Shaobao username (SHAOBAO_OIDC_USERNAME_CLAIM)")
		fs.StringVar(&c.OIDC.Name, "oidc-name", env("SHAOBAO_OIDC_NAME", ""), "label of the single sign-on button; empty: 统一身份认证 (SHAOBAO_OIDC_NAME)")
		fs.StringVar(&c.PprofAddr, "pprof-addr", env("SHAOBAO_PPROF_ADDR", ""), "serve runtime profiles under /debug/pprof/ on this loopback host:port; empty: off (SHAOBAO_PPROF_ADDR)")
	}
}

// checkTokenTTL refuses a token lifetime that is not positive.
func checkTokenTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("token: --ttl must be positive, not %s (e.g. --ttl 720h)", ttl)
	}
	return nil
}

// logConfig logs the configuration through l, secrets masked (redact.URL
// for the URLs): one structured line, JSON when JSON is asked for. It is
// written whatever --log-level says, as the start-up printout always was.
func (c *Config) logConfig(l *slog.Logger) {
	secret := ""
	if c.WebhookSecret != "" {
		secret = redact.Mask
	}
	metricsToken := ""
	if c.MetricsToken != "" {
		metricsToken = redact.Mask
	}
	secretKey := ""
	if c.SecretKey != "" {
		secretKey = redact.Mask
	}
	oidcSecret := ""
	if c.OIDC.ClientSecret != "" {
		oidcSecret = redact.Mask
	}
	s3Secret := ""
	if c.S3.SecretKey != "" {
		s3Secret = redact.Mask
	}
	temporalKey := ""
	if c.TemporalTLS.APIKey != "" {
		temporalKey = redact.Mask
	}
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "config", 0)
	r.Add("addr", c.Addr, "data", c.DataDir, "database", redact.URL(c.StoreURL()),
		"temporal", c.TemporalAddress, "namespace", c.TemporalNamespace, "role", c.Role,
		"temporal_tls", c.TemporalTLS.Enabled, "temporal_tls_ca", c.TemporalTLS.CAFile, "temporal_tls_cert", c.TemporalTLS.CertFile,
		"temporal_tls_server_name", c.TemporalTLS.ServerName, "temporal_api_key", temporalKey, "health_addr", c.HealthAddr,
		"log_level", c.LogLevel, "log_format", c.LogFormat, "webhook", redact.URL(c.WebhookURL), "webhook_secret", secret,
		"request_timeout", c.RequestTimeout, "policy_reload", c.PolicyReload,
		"metrics_addr", c.MetricsAddr, "metrics_token", metricsToken, "pprof_addr", c.PprofAddr, "city_bounds", c.CityBounds,
		"secret_key", secretKey, "public_url", c.PublicURL, "trusted_proxies", c.TrustedProxies,
		"oidc_issuer", c.OIDC.Issuer, "oidc_client_id", c.OIDC.ClientID, "oidc_client_secret", oidcSecret,
		"files_dir", c.FilesDir, "s3_endpoint", redact.URL(c.S3.Endpoint), "s3_bucket", c.S3.Bucket, "s3_prefix", c.S3.Prefix,
		"s3_region", c.S3.Region, "s3_access_key", c.S3.AccessKey, "s3_secret_key", s3Secret, "upload_quota", c.UploadQuota,
		"map_tile_url", redact.URL(c.Map.TileURL), "map_tile_crs", c.Map.TileCRS, "map_attribution", c.Map.Attribution)
	_ = l.Handler().Handle(context.Background(), r)
}

// logger is the process's logger on stderr, at --log-level in --log-format.
func (c *Config) logger() *slog.Logger { return c.newLogger(os.Stderr) }

// newLogger is logger writing to w.
func (c *Config) newLogger(w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if strings.EqualFold(c.LogFormat, "json") {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(h)
}
