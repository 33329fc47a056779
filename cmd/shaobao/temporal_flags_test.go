package main

import (
	"bytes"
	"flag"
	"strings"
	"testing"
)

// TestTemporalSecurityFlags: the secured cluster's settings come from
// Temporal's own environment names, flags win over them, and the API key
// never reaches the log.
func TestTemporalSecurityFlags(t *testing.T) {
	t.Setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", "/etc/temporal/ca.pem")
	t.Setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", "/etc/temporal/client.pem")
	t.Setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", "/etc/temporal/client.key")
	t.Setenv("TEMPORAL_TLS_SERVER_NAME", "frontend.temporal.svc")
	t.Setenv("TEMPORAL_API_KEY", "hunter2-api-key")
	t.Setenv("TEMPORAL_TLS", "true")
	t.Setenv("SHAOBAO_HEALTH_ADDR", ":9090")
	var cfg Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.bind(fs, "temporal", "server")
	if _, err := parse(fs, []string{"--temporal-tls-server-name", "frontend.example.gov.cn"}); err != nil {
		t.Fatal(err)
	}
	got := cfg.TemporalTLS
	if !got.Enabled || got.CAFile != "/etc/temporal/ca.pem" || got.CertFile != "/etc/temporal/client.pem" || got.KeyFile != "/etc/temporal/client.key" ||
		got.ServerName != "frontend.example.gov.cn" || got.APIKey != "hunter2-api-key" || cfg.HealthAddr != ":9090" {
		t.Errorf("flags over environment broken: %+v health %q", got, cfg.HealthAddr)
	}
	var out bytes.Buffer
	cfg.LogFormat = "json"
	cfg.logConfig(cfg.newLogger(&out))
	if strings.Contains(out.String(), "hunter2") {
		t.Errorf("config line shows the API key: %s", out.String())
	}
	if !strings.Contains(out.String(), `"temporal_tls_ca":"/etc/temporal/ca.pem"`) {
		t.Errorf("config line does not show the CA: %s", out.String())
	}
}
