package activities_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/activities"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// TestProjectPushesHotlineResult: the projection that closes a case with a
// hotline ticket pushes the ticket's result through the webhook once
// (signed, keyed by ticket and seq), also for a ticket merged into it;
// projecting again pushes nothing; a failing receiver does not fail the
// projection; the caller's phone is in neither the push nor the log.
func TestProjectPushesHotlineResult(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var mu sync.Mutex
		var got []map[string]any
		var keys []string
		failing := false
		secret := []byte("s3cret")
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			require.True(t, activities.VerifySignature(secret, body, r.Header.Get(activities.SignatureHeader)))
			require.Equal(t, activities.HotlineResultEvent, r.Header.Get(activities.EventHeader))
			require.NotContains(t, string(body), "13812341234")
			mu.Lock()
			defer mu.Unlock()
			if failing {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			var m map[string]any
			require.NoError(t, json.Unmarshal(body, &m))
			got, keys = append(got, m), append(keys, r.Header.Get(activities.IdempotencyHeader))
		}))
		defer srv.Close()
		var logs bytes.Buffer
		a := &activities.Activities{Store: st, Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
			Notifier: &activities.WebhookNotifier{URL: srv.URL, Secret: secret}}

		// A duplicate merged into P1 (its ticket follows P1), then P1 closes.
		c, entries := sampleCase()
		require.NoError(t, a.Project(ctx, workflows.ProjectInput{Case: c, Entries: entries}))
		dup := c
		dup.ID, dup.Tasks, dup.Status, dup.Outcome, dup.MergedInto, dup.Seq = "P2", nil, whistle.CaseClosed, whistle.OutcomeMerged, "P1", 2
		dup.ClosedAt = &t0
		require.NoError(t, a.Project(ctx, workflows.ProjectInput{Case: dup, Entries: []whistle.TimelineEntry{
			{Seq: 1, At: t0, Type: whistle.EventFiled, Actor: "x"}, {Seq: 2, At: t0, Type: whistle.EventClosed, Actor: "system", Detail: "merged"}}}))
		for no, id := range map[string]string{"T-1": "P1", "T-2": "P2"} {
			require.NoError(t, st.RecordHotlineTicket(ctx, store.HotlineTicket{TicketNo: no, CaseID: id, CallAt: t0, CallerPhone: "13812341234", RequestType: "投诉"}))
		}
		// Merging closed P2, but its ticket waits for the survivor.
		require.NoError(t, a.Project(ctx, workflows.ProjectInput{Case: dup, Entries: nil}))
		require.Empty(t, got)

		closedAt := t0.Add(time.Hour)
		c.Status, c.Outcome, c.ClosedAt, c.Seq = whistle.CaseClosed, whistle.OutcomeResolved, &closedAt, 4
		close := workflows.ProjectInput{Case: c, Entries: []whistle.TimelineEntry{
			{Seq: 3, At: closedAt, Type: whistle.EventFeedback, Actor: "a", TaskID: "P1-T1", Detail: "已处理"},
			{Seq: 4, At: closedAt, Type: whistle.EventClosed, Actor: "system"}}}
		mu.Lock()
		failing = true
		mu.Unlock()
		require.NoError(t, a.Project(ctx, close), "a failing receiver fails the projection")
		require.Contains(t, logs.String(), "hotline result push failed")
		mu.Lock()
		failing = false
		mu.Unlock()
		require.NoError(t, a.Project(ctx, close))
		require.NoError(t, a.Project(ctx, close)) // a retried projection: no second push
		require.Len(t, got, 2)
		require.ElementsMatch(t, []string{"hotline-T-1-4", "hotline-T-2-4"}, keys)
		for _, m := range got {
			require.Equal(t, "hotline_result", m["event"])
			require.Equal(t, "resolved", m["outcome"])
			require.Equal(t, "已处理", m["reply"])
			if m["ticket_no"] == "T-2" {
				require.Equal(t, "P1", m["merged_into"])
			}
		}
		require.False(t, strings.Contains(logs.String(), "13812341234"))
	})
}

// TestSweepHotlinePushes: a result whose push failed is pushed again by
// the sweep against a real receiver that fails first and then succeeds:
// each failure is counted, logged and put off by the backoff (a sweep
// inside it pushes nothing); once the receiver answers, each due ticket
// (its own case closed, or merged into a closed one) is pushed once,
// keyed by ticket and the close's seq, and never again. A case still open,
// one closed within the grace (the projection's turn) and a result
// already pushed are left alone.
func TestSweepHotlinePushes(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		secret := []byte("s3cret")
		var mu sync.Mutex
		failing, requests := true, 0
		pushed := map[string]map[string]any{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			requests++
			if !activities.VerifySignature(secret, body, r.Header.Get(activities.SignatureHeader)) {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			if failing {
				http.Error(w, "hotline down", http.StatusBadGateway)
				return
			}
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			pushed[r.Header.Get(activities.IdempotencyHeader)] = m
		}))
		defer srv.Close()

		base := time.Now().UTC().Truncate(time.Second)
		place := func(id string, status whistle.CaseStatus, outcome whistle.Outcome, mergedInto string, closedAgo time.Duration) {
			c, _ := sampleCase()
			c.ID, c.Tasks, c.Status, c.Outcome, c.MergedInto, c.Seq = id, nil, status, outcome, mergedInto, 3
			entries := []whistle.TimelineEntry{{Seq: 1, At: t0, Type: whistle.EventFiled, Actor: "x"},
				{Seq: 2, At: t0, Type: whistle.EventFeedback, Actor: "a", Detail: "已处理 " + id}}
			if status == whistle.CaseClosed {
				at := base.Add(-closedAgo)
				c.ClosedAt = &at
				entries = append(entries, whistle.TimelineEntry{Seq: 3, At: at, Type: whistle.EventClosed, Actor: "system"})
			}
			require.NoError(t, st.ApplyCase(ctx, c, entries))
		}
		place("S1", whistle.CaseClosed, whistle.OutcomeResolved, "", time.Hour)
		place("S2", whistle.CaseClosed, whistle.OutcomeMerged, "S1", 2*time.Hour)
		place("S3", whistle.CaseOpen, "", "", 0)
		place("S4", whistle.CaseClosed, whistle.OutcomeResolved, "", -3*time.Minute) // closes just before the third sweep
		place("S5", whistle.CaseClosed, whistle.OutcomeRejected, "", time.Hour)
		for no, id := range map[string]string{"T-1": "S1", "T-2": "S2", "T-3": "S3", "T-4": "S4", "T-5": "S5"} {
			require.NoError(t, st.RecordHotlineTicket(ctx, store.HotlineTicket{TicketNo: no, CaseID: id, CallAt: t0, CallerPhone: "13812341234", RequestType: "投诉"}))
		}
		_, err := st.MarkHotlinePushed(ctx, "T-5", 3)
		require.NoError(t, err)

		reg := prometheus.NewRegistry()
		var logs bytes.Buffer
		now := base
		sw := &activities.HotlineSweeper{Store: st, Notifier: &activities.WebhookNotifier{URL: srv.URL, Secret: secret},
			Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Metrics: activities.NewMetrics(reg), Now: func() time.Time { return now }}
		sweep := func(want workflows.SweepResult) {
			t.Helper()
			res, err := sw.Sweep(ctx)
			require.NoError(t, err)
			require.Equal(t, want, res)
		}
		attempts := func(no string) (int, time.Time) {
			tk, err := st.HotlineTicket(ctx, no)
			require.NoError(t, err)
			if tk.NextPushAt == nil {
				return tk.PushAttempts, time.Time{}
			}
			return tk.PushAttempts, tk.NextPushAt.UTC()
		}

		sweep(workflows.SweepResult{Failed: 2})
		require.Equal(t, 2.0, hotlinePushFailures(t, reg))
		require.Contains(t, logs.String(), "hotline result push failed")
		require.Contains(t, logs.String(), "hotline down")
		n, next := attempts("T-1")
		require.Equal(t, 1, n)
		require.Equal(t, now.Add(time.Minute), next)

		now = base.Add(30 * time.Second) // inside the backoff
		sweep(workflows.SweepResult{})
		require.Equal(t, 2, requests)

		now = base.Add(61 * time.Second) // failing again: the backoff doubles
		sweep(workflows.SweepResult{Failed: 2})
		n, next = attempts("T-2")
		require.Equal(t, 2, n)
		require.Equal(t, now.Add(2*time.Minute), next)

		mu.Lock()
		failing = false
		mu.Unlock()
		now = now.Add(2*time.Minute + time.Second)
		sweep(workflows.SweepResult{Pushed: 2})
		require.Len(t, pushed, 2)
		require.Equal(t, "resolved", pushed["hotline-T-1-3"]["outcome"])
		require.Equal(t, "已处理 S1", pushed["hotline-T-1-3"]["reply"])
		require.Equal(t, "S1", pushed["hotline-T-2-3"]["merged_into"])
		n, next = attempts("T-1")
		require.Equal(t, 0, n)
		require.True(t, next.IsZero())

		before := requests
		now = now.Add(time.Hour)
		sweep(workflows.SweepResult{Pushed: 1}) // S4 is past its grace now
		require.Contains(t, pushed, "hotline-T-4-3")
		sweep(workflows.SweepResult{})
		require.Equal(t, before+1, requests, "a pushed result was pushed again")
		require.NotContains(t, logs.String(), "13812341234")
	})
}

func TestHotlinePushBackoff(t *testing.T) {
	for attempts, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 9: 256 * time.Minute, 10: 6 * time.Hour, 50: 6 * time.Hour} {
		require.Equal(t, want, activities.HotlinePushBackoff(attempts), "attempts %d", attempts)
	}
}

// hotlinePushFailures reads shaobao_hotline_push_failures_total from reg,
// as /metrics would show it.
func hotlinePushFailures(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == "shaobao_hotline_push_failures_total" {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("shaobao_hotline_push_failures_total is not registered")
	return 0
}
