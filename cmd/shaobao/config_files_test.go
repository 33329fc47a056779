package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"testing"
)

// TestConfigFilesFlags: the photo storage settings come from flags or
// SHAOBAO_S3_*, and the config line never shows the S3 secret key.
func TestConfigFilesFlags(t *testing.T) {
	t.Setenv("SHAOBAO_S3_BUCKET", "photos")
	t.Setenv("SHAOBAO_S3_SECRET_KEY", "hunter2")
	var cfg Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.bind(fs, "server")
	if _, err := parse(fs, []string{"--s3-endpoint", "http://127.0.0.1:7070", "--s3-prefix", "sb/", "--s3-access-key", "AK", "--upload-quota", "20/100MiB"}); err != nil {
		t.Fatal(err)
	}
	s3 := cfg.S3
	if s3.Bucket != "photos" || s3.SecretKey != "hunter2" || s3.Endpoint != "http://127.0.0.1:7070" || s3.Prefix != "sb/" || s3.AccessKey != "AK" ||
		s3.Region != "us-east-1" || cfg.UploadQuota != "20/100MiB" || cfg.FilesDir != "" {
		t.Errorf("files settings = %+v, quota %q", s3, cfg.UploadQuota)
	}
	cfg.LogFormat = "json"
	var out bytes.Buffer
	cfg.logConfig(cfg.newLogger(&out))
	if bytes.Contains(out.Bytes(), []byte("hunter2")) {
		t.Fatalf("config line shows the S3 secret key: %s", out.String())
	}
	var line map[string]any
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line["s3_secret_key"] != "xxxxx" || line["s3_bucket"] != "photos" || line["upload_quota"] != "20/100MiB" {
		t.Errorf("config line: %v", line)
	}
}
