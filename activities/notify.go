package activities

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/shaobao/shaobao/redact"
	"github.com/shaobao/shaobao/workflows"
)

// Notifier delivers a notification about a case event. It may be called
// more than once for the same notification (activity retries); receivers
// deduplicate by IdempotencyKey.
type Notifier interface {
	Notify(ctx context.Context, n workflows.Notification) error
}

// IdempotencyKey identifies a notification: case id, timeline seq and the
// recipient, since one timeline entry can notify several (both departments
// of a joint case, or a department and its command level) and a receiver
// that deduplicates by key must keep each of them.
func IdempotencyKey(n workflows.Notification) string {
	switch {
	case n.DepartmentID != "":
		return fmt.Sprintf("%s-%d-dept:%s", n.CaseID, n.Seq, n.DepartmentID)
	case n.OrgUnitID != "":
		return fmt.Sprintf("%s-%d-unit:%s", n.CaseID, n.Seq, n.OrgUnitID)
	}
	return fmt.Sprintf("%s-%d", n.CaseID, n.Seq)
}

// LogNotifier writes notifications to the log; the default.
type LogNotifier struct{ Logger *slog.Logger }

// Notify logs n at info level and never fails.
func (l LogNotifier) Notify(ctx context.Context, n workflows.Notification) error {
	lg := l.Logger
	if lg == nil {
		lg = slog.Default()
	}
	// org_level, not level: a second "level" key would overwrite the log
	// line's own in JSON readers (jq, Loki).
	lg.InfoContext(ctx, "notification", "case_id", n.CaseID, "task_id", n.TaskID, "seq", n.Seq, "event", n.Event,
		"org_level", n.Level, "org_unit_id", n.OrgUnitID, "department_id", n.DepartmentID, "message", n.Message)
	return nil
}

// Webhook headers.
const (
	// SignatureHeader carries "sha256=" + hex HMAC-SHA256 of the body
	// under the shared secret.
	SignatureHeader = "X-Shaobao-Signature"
	// IdempotencyHeader carries IdempotencyKey: the same on every retry.
	IdempotencyHeader = "Idempotency-Key"
	// EventHeader carries the timeline event type.
	EventHeader = "X-Shaobao-Event"
)

// WebhookNotifier POSTs each notification as JSON to URL, signed with
// Secret. Any answer but 2xx is an error, so the activity retries.
type WebhookNotifier struct {
	URL    string
	Secret []byte
	// Client defaults to a client with a 10 s timeout.
	Client *http.Client
}

// Sign returns the SignatureHeader value for body under secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature reports whether header is the signature of body under
// secret, comparing in constant time. Receivers call it.
func VerifySignature(secret, body []byte, header string) bool {
	return strings.HasPrefix(header, "sha256=") && hmac.Equal([]byte(header), []byte(Sign(secret, body)))
}

var defaultWebhookClient = &http.Client{Timeout: 10 * time.Second}

// Notify POSTs n. It returns an error for a transport failure or a non-2xx
// status, with the status and the start of the answer's body.
func (w *WebhookNotifier) Notify(ctx context.Context, n workflows.Notification) error {
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode notification: %w", err)
	}
	return w.post(ctx, body, IdempotencyKey(n), n.Event)
}

// post sends one signed body to the webhook under key and event. Errors
// about the URL repeat it, token and password included, and reach the log
// and the activity's failure in Temporal's history: redact.Error masks them.
func (w *WebhookNotifier) post(ctx context.Context, body []byte, key, event string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook request: %w", redact.Error(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(w.Secret, body))
	req.Header.Set(IdempotencyHeader, key)
	req.Header.Set(EventHeader, event)
	c := w.Client
	if c == nil {
		c = defaultWebhookClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("webhook post: %w", redact.Error(err))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %s: %s", resp.Status, strings.TrimSpace(string(snippet)))
	}
	return nil
}
