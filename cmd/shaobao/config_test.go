package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"github.com/shaobao/shaobao/api"
	"github.com/shaobao/shaobao/app"
)

// The config line names every setting with its secrets masked, in the
// configured format: a JSON line when JSON is asked for.
func TestConfigLogMasksSecrets(t *testing.T) {
	for _, tc := range []struct {
		name, database, webhook string
		want                    map[string]string // attribute → masked value
	}{
		{"DatabasePassword", "postgres://shaobao:hunter2@db:5432/shaobao", "https://hooks.example.org/x",
			map[string]string{"database": "postgres://shaobao:xxxxx@db:5432/shaobao", "webhook": "https://hooks.example.org/x"}},
		{"DingTalkToken", "postgres://shaobao@db/shaobao?password=hunter2", "https://oapi.dingtalk.com/robot/send?access_token=hunter2&timestamp=1&sign=hunter2",
			map[string]string{"database": "postgres://shaobao@db/shaobao?password=xxxxx", "webhook": "https://oapi.dingtalk.com/robot/send?access_token=xxxxx&timestamp=1&sign=xxxxx"}},
		{"WebhookBasicAuth", "host=db password=hunter2", "https://ops:hunter2@hooks.example.org/notify",
			map[string]string{"database": "host=db password=xxxxx", "webhook": "https://ops:xxxxx@hooks.example.org/notify"}},
	} {
		for _, format := range []string{"json", "text"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				// At --log-level error too: the config line is always written.
				cfg := Config{LogFormat: format, LogLevel: "error", Config: app.Config{DatabaseURL: tc.database, WebhookURL: tc.webhook, WebhookSecret: "hunter2",
					SecretKey: "hunter2hunter2hunter2hunter2hunter2hunter2aa=", OIDC: api.OIDCConfig{Issuer: "https://idp.example.gov.cn", ClientSecret: "hunter2"}}}
				var out bytes.Buffer
				cfg.logConfig(cfg.newLogger(&out))
				if strings.Contains(out.String(), "hunter2") {
					t.Errorf("config line shows a secret: %s", out.String())
				}
				if format == "text" {
					return
				}
				var line map[string]any
				if err := json.Unmarshal(out.Bytes(), &line); err != nil {
					t.Fatalf("config line is not JSON: %v: %s", err, out.String())
				}
				tc.want["msg"], tc.want["webhook_secret"], tc.want["secret_key"], tc.want["oidc_client_secret"] = "config", "xxxxx", "xxxxx", "xxxxx"
				for k, v := range tc.want {
					if line[k] != v {
						t.Errorf("%s = %v, want %q", k, line[k], v)
					}
				}
			})
		}
	}
}

func TestFlagsHaveEnvironmentFallbacks(t *testing.T) {
	t.Setenv("SHAOBAO_ADDR", "0.0.0.0:9999")
	t.Setenv("DATABASE_URL", "postgres://db/x")
	t.Setenv("TEMPORAL_NAMESPACE", "city")
	var cfg Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.bind(fs, "addr", "db", "namespace")
	if _, err := parse(fs, []string{"--addr", "127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:1" || cfg.DatabaseURL != "postgres://db/x" || cfg.TemporalNamespace != "city" {
		t.Errorf("flags over environment over defaults broken: %+v", cfg)
	}
}

func TestParseTakesPositionalsAnywhere(t *testing.T) {
	var cfg Config
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	cfg.bind(fs, "data")
	pos, err := parse(fs, []string{"c1-secretary", "--data", "/tmp/x"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pos) != 1 || pos[0] != "c1-secretary" || cfg.DataDir != "/tmp/x" {
		t.Errorf("positional %v data %q", pos, cfg.DataDir)
	}
}

func TestDatabaseURLDefaultsToTheDataFolder(t *testing.T) {
	cfg := Config{Config: app.Config{DataDir: "/srv/shaobao"}}
	if got := cfg.StoreURL(); got != "sqlite:/srv/shaobao/shaobao.db" {
		t.Errorf("StoreURL = %q", got)
	}
}

func TestTokenTTLMustBePositive(t *testing.T) {
	for _, tc := range []struct {
		ttl string
		ok  bool
	}{{"-5s", false}, {"0s", false}, {"1s", true}, {"720h", true}} {
		t.Run(tc.ttl, func(t *testing.T) {
			var cfg Config
			fs := flag.NewFlagSet("token", flag.ContinueOnError)
			cfg.bind(fs, "data", "db")
			ttl := fs.Duration("ttl", 0, "")
			if _, err := parse(fs, []string{"c1-secretary", "--ttl", tc.ttl}); err != nil {
				t.Fatal(err)
			}
			err := checkTokenTTL(*ttl)
			if (err == nil) != tc.ok {
				t.Fatalf("checkTokenTTL(%s) = %v, want ok %v", tc.ttl, err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "--ttl must be positive") {
				t.Errorf("unclear message: %v", err)
			}
		})
	}
}

// /metrics on the main address: open under dev (loopback), behind the
// token when one is set, off (404) under serve without one or when they
// have their own address.
func TestMetricsOffMain(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  app.Config
		off  bool
	}{
		{"DevDefault", app.Config{Dev: true}, false},
		{"ServeDefault", app.Config{}, true},
		{"ServeToken", app.Config{MetricsToken: "t"}, false},
		{"ServeOwnAddress", app.Config{MetricsAddr: "127.0.0.1:9090"}, true},
		{"DevOwnAddress", app.Config{Dev: true, MetricsAddr: "127.0.0.1:9090", MetricsToken: "t"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cfg.MetricsOffMain(); got != tc.off {
				t.Errorf("MetricsOffMain = %v, want %v", got, tc.off)
			}
		})
	}
	t.Setenv("SHAOBAO_METRICS_ADDR", "127.0.0.1:9090")
	t.Setenv("SHAOBAO_METRICS_TOKEN", "hunter2")
	var cfg Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.bind(fs, "server")
	if _, err := parse(fs, nil); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cfg.logConfig(cfg.newLogger(&out))
	if cfg.MetricsAddr != "127.0.0.1:9090" || strings.Contains(out.String(), "hunter2") || !strings.Contains(out.String(), "metrics_token=xxxxx") {
		t.Errorf("metrics flags from the environment, token masked: %+v\n%s", cfg, out.String())
	}
}
