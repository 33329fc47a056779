package activities_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/shaobao/shaobao/activities"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// hook is a webhook receiver that verifies signatures, fails the first
// `failFirst` deliveries with a 500 and records what it accepted.
type hook struct {
	secret    []byte
	failFirst int

	mu       sync.Mutex
	calls    int
	accepted []workflows.Notification
	keys     []string
	badSigs  int
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	if !activities.VerifySignature(h.secret, body, r.Header.Get(activities.SignatureHeader)) {
		h.badSigs++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if h.calls <= h.failFirst {
		http.Error(w, "try later", http.StatusInternalServerError)
		return
	}
	var n workflows.Notification
	if err := json.Unmarshal(body, &n); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.accepted = append(h.accepted, n)
	h.keys = append(h.keys, r.Header.Get(activities.IdempotencyHeader))
	w.WriteHeader(http.StatusNoContent)
}

var note = workflows.Notification{CaseID: "W1", Seq: 7, Event: whistle.EventReportBreach, At: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC),
	Title: "占道经营", Class: "key", Level: whistle.LevelStreet, OrgUnitID: "110101001", TaskID: "W1-T1", Message: "未按时报到"}

func TestWebhook_SignedAndKeyed(t *testing.T) {
	h := &hook{secret: []byte("s3cret")}
	srv := httptest.NewServer(h)
	defer srv.Close()
	wn := &activities.WebhookNotifier{URL: srv.URL, Secret: h.secret}
	require.NoError(t, wn.Notify(context.Background(), note))
	require.Equal(t, []workflows.Notification{note}, h.accepted)
	require.Equal(t, []string{"W1-7-unit:110101001"}, h.keys)

	wrong := &activities.WebhookNotifier{URL: srv.URL, Secret: []byte("other")}
	err := wrong.Notify(context.Background(), note)
	require.ErrorContains(t, err, "401")
	require.Equal(t, 1, h.badSigs)
}

// One timeline entry that notifies two departments and a command level
// reaches the webhook under three keys: a receiver deduplicating by key
// keeps every recipient's message.
func TestWebhook_KeyPerRecipient(t *testing.T) {
	h := &hook{secret: []byte("k")}
	srv := httptest.NewServer(h)
	defer srv.Close()
	wn := &activities.WebhookNotifier{URL: srv.URL, Secret: h.secret}
	police, market, street := note, note, note
	police.OrgUnitID, police.DepartmentID = "", "D-police"
	market.OrgUnitID, market.DepartmentID = "", "D-market"
	for _, n := range []workflows.Notification{police, market, street, police} {
		require.NoError(t, wn.Notify(context.Background(), n))
	}
	require.Equal(t, []string{"W1-7-dept:D-police", "W1-7-dept:D-market", "W1-7-unit:110101001", "W1-7-dept:D-police"}, h.keys,
		"one key per recipient, the same key when the same message is sent again")
}

func TestWebhook_Non2xxIsAnError(t *testing.T) {
	h := &hook{secret: []byte("k"), failFirst: 1}
	srv := httptest.NewServer(h)
	defer srv.Close()
	wn := &activities.WebhookNotifier{URL: srv.URL, Secret: h.secret}
	require.ErrorContains(t, wn.Notify(context.Background(), note), "500")
	require.NoError(t, wn.Notify(context.Background(), note))
}

// notifyWithRetries sends one notification under a retry policy like the
// whistle workflow's.
func notifyWithRetries(ctx workflow.Context, n workflows.Notification) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumAttempts: 5},
	})
	return workflow.ExecuteActivity(ctx, workflows.ActivityNotify, n).Get(ctx, nil)
}

// The Notify activity retries after a 500 under the activity retry policy
// and delivers once, with the same idempotency key on every attempt.
func TestNotifyActivity_RetriesAfter500(t *testing.T) {
	h := &hook{secret: []byte("k"), failFirst: 2}
	srv := httptest.NewServer(h)
	defer srv.Close()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(discard))
	env := s.NewTestWorkflowEnvironment()
	activities.Register(env, &activities.Activities{Notifier: &activities.WebhookNotifier{URL: srv.URL, Secret: h.secret}, Logger: discard})
	env.RegisterWorkflow(notifyWithRetries)
	env.ExecuteWorkflow(notifyWithRetries, note)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, 3, h.calls, "two 500s, then delivered")
	require.Len(t, h.accepted, 1)
	require.Equal(t, []string{"W1-7-unit:110101001"}, h.keys)
}
