package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shaobao/shaobao/activities"
	"github.com/shaobao/shaobao/app"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// lockedBuffer is a log destination written by the server's goroutines
// and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// topLevelKeys returns the keys of the one JSON object that line is, in
// order and with repeats (a map would hide a repeated key).
func topLevelKeys(line string) ([]string, error) {
	dec := json.NewDecoder(strings.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object (%v)", err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("more than one JSON value")
	}
	return keys, nil
}

// With --log-format json every line the process writes is one JSON object
// with one level key and no secret: the config line, the policy's lines,
// the API's refusals, notifications and failed webhook deliveries.
func TestJSONLogLinesAreJSON(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // the webhook's address: nothing listens there

	var out lockedBuffer
	cfg := Config{LogFormat: "json", LogLevel: "debug", Config: app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Role: "all",
		WebhookURL:    "http://ops:s3cret-pw@" + closed + "/robot/send?access_token=s3cret-token",
		WebhookSecret: "s3cret-hmac", RequestTimeout: 10 * time.Second, PolicyReload: time.Hour}}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	a := newApp(&cfg, &out)
	defer a.Close()
	if err := a.OpenStore(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- a.ServeHTTP(ctx) }()

	// A refusal (a grid worker asks for the admin's user list), and an
	// SLA change and its removal, which name an org level.
	base := waitForURL(t, &out)
	for _, rq := range []struct {
		user, method, path, body string
		status                   int
	}{
		{"g1-worker", "GET", "/api/v1/admin/users", "", http.StatusForbidden},
		{"admin", "PUT", "/api/v1/admin/sla-policies/key", `{"level":"street","report_within":"1h","handle_within":"2d"}`, http.StatusOK},
		{"admin", "DELETE", "/api/v1/admin/sla-policies/key?level=street", "", http.StatusNoContent},
	} {
		u, err := a.Store.UserByUsername(ctx, rq.user)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := a.Store.IssueToken(ctx, u.ID, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequestWithContext(ctx, rq.method, base+rq.path, strings.NewReader(rq.body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != rq.status {
			t.Fatalf("%s %s as %s: status %d, want %d", rq.method, rq.path, rq.user, resp.StatusCode, rq.status)
		}
	}

	// A notification to the log, then one to the unreachable webhook.
	n := workflows.Notification{CaseID: "W1", TaskID: "W1-T1", Seq: 3, Event: whistle.EventReportBreach, Level: whistle.LevelStreet, Message: "未按时报到"}
	webhook := cfg.WebhookURL
	cfg.WebhookURL = ""
	if err := (&activities.Activities{Notifier: a.Notifier(), Logger: a.Log}).Notify(ctx, n); err != nil {
		t.Fatal(err)
	}
	cfg.WebhookURL = webhook
	if err := (&activities.Activities{Notifier: a.Notifier(), Logger: a.Log}).Notify(ctx, n); err == nil {
		t.Fatal("a webhook nobody listens to took the notification")
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}

	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		keys, err := topLevelKeys(line)
		if err != nil {
			t.Errorf("not one JSON object: %v: %s", err, line)
			continue
		}
		levels := 0
		for _, k := range keys {
			if k == "level" {
				levels++
			}
		}
		if levels != 1 {
			t.Errorf("%d level keys: %s", levels, line)
		}
		if strings.Contains(line, "s3cret") {
			t.Errorf("a secret in the log: %s", line)
		}
		var l struct{ Msg string }
		_ = json.Unmarshal([]byte(line), &l)
		seen[l.Msg] = true
	}
	for _, msg := range []string{"config", "policy: seeded default rules", "Shaobao is up", "request refused", "SLA policy changed", "SLA policy deleted", "notification", "notification failed"} {
		if !seen[msg] {
			t.Errorf("no %q line in the log:\n%s", msg, out.String())
		}
	}
}

// waitForURL waits for the "Shaobao is up" line and returns its url.
func waitForURL(t *testing.T, out *lockedBuffer) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(out.String(), "\n") {
			var l struct{ Msg, URL string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "Shaobao is up" {
				return l.URL
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the server did not come up:\n%s", out.String())
	return ""
}
