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
