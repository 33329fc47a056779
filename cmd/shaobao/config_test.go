package main

import (
	"bytes"
	"flag"
	"strings"
	"testing"
)

func TestConfigPrintMasksSecrets(t *testing.T) {
	cfg := Config{DatabaseURL: "postgres://shaobao:hunter2@db:5432/shaobao", WebhookSecret: "s3cret", WebhookURL: "https://hooks.example.org/x"}
	var out bytes.Buffer
	cfg.print(&out)
	for _, secret := range []string{"hunter2", "s3cret"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("config printout shows a secret %q: %s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), "postgres://shaobao:xxxxx@db:5432/shaobao") {
		t.Errorf("database URL not shown masked: %s", out.String())
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
	cfg := Config{DataDir: "/srv/shaobao"}
	if got := cfg.databaseURL(); got != "sqlite:/srv/shaobao/shaobao.db" {
		t.Errorf("databaseURL = %q", got)
	}
}
