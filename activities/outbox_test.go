package activities_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
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

// fakeClock is the dispatcher's clock, moved by the test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// receiver is a webhook receiver that fails its first `failures` requests
// (503) and records every request by Idempotency-Key; with hang set, it
// holds its first request until the sender goes away.
type receiver struct {
	mu        sync.Mutex
	failures  int
	hang      bool
	requests  []string // idempotency keys, in order
	delivered map[string]int
	inFlight  map[string]bool
	overlaps  []string // keys received while a try of theirs was under way
	hold      time.Duration
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get(activities.IdempotencyHeader)
	// Read the body first: only then does the server notice a sender that
	// goes away (and end r's context).
	_, _ = io.Copy(io.Discard, r.Body)
	rc.mu.Lock()
	rc.requests = append(rc.requests, key)
	first := len(rc.requests) == 1
	fail := len(rc.requests) <= rc.failures
	if rc.inFlight[key] {
		rc.overlaps = append(rc.overlaps, key)
	}
	rc.inFlight[key] = true
	rc.mu.Unlock()
	defer func() { rc.mu.Lock(); delete(rc.inFlight, key); rc.mu.Unlock() }()
	if rc.hang && first {
		select {
		case <-r.Context().Done(): // the sending process died mid-try
		case <-time.After(time.Minute): // the test failed before that
		}
		return
	}
	time.Sleep(rc.hold)
	if fail {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	rc.mu.Lock()
	rc.delivered[key]++
	rc.mu.Unlock()
}

func (rc *receiver) snapshot() (requests []string, delivered map[string]int, overlaps []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	d := make(map[string]int, len(rc.delivered))
	for k, v := range rc.delivered {
		d[k] = v
	}
	return append([]string(nil), rc.requests...), d, append([]string(nil), rc.overlaps...)
}

func newReceiver(t *testing.T, rc *receiver) *activities.WebhookNotifier {
	t.Helper()
	rc.delivered, rc.inFlight = map[string]int{}, map[string]bool{}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return &activities.WebhookNotifier{URL: srv.URL, Secret: []byte("s")}
}

// notes are the notifications of sampleCase's entries: the filing to the
// community, the summons to the department and to the community (two
// recipients of one entry).
func notes(c whistle.Case) []workflows.Notification {
	n := func(seq int64, event, dept, org string) workflows.Notification {
		return workflows.Notification{CaseID: c.ID, Seq: seq, Event: event, At: t0, Title: c.Title, Class: string(c.Class),
			DepartmentID: dept, OrgUnitID: org, Level: whistle.LevelCommunity, Message: event + " " + c.ID}
	}
	return []workflows.Notification{n(1, whistle.EventFiled, "", "c"), n(2, whistle.EventSummoned, "a", ""), n(2, whistle.EventSummoned, "", "c")}
}

// outboxItem is a notification as the outbox holds it, written at at.
func outboxItem(t testing.TB, n workflows.Notification, at time.Time) store.OutboxItem {
	t.Helper()
	b, err := json.Marshal(n)
	require.NoError(t, err)
	return store.OutboxItem{CaseID: n.CaseID, Seq: n.Seq, Recipient: fmt.Sprintf("r%d-%s%s", n.Seq, n.DepartmentID, n.OrgUnitID), Payload: string(b), CreatedAt: at}
}

func outboxCount(t *testing.T, reg *prometheus.Registry, outcome string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == "shaobao_outbox_notifications_total" {
			for _, m := range mf.GetMetric() {
				if m.GetLabel()[0].GetValue() == outcome {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("shaobao_outbox_notifications_total{outcome=%q} is not registered", outcome)
	return 0
}

// TestProjectWritesOutbox: a projection with notifications leaves one
// pending outbox row per notification beside its timeline; projecting the
// same input again (a retried local activity) adds nothing and does not
// bring back a row already delivered.
func TestProjectWritesOutbox(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rc := &receiver{}
		d := &activities.OutboxDispatcher{Store: st, Notifier: newReceiver(t, rc), Logger: discard}
		a := &activities.Activities{Store: st, Logger: discard, Outbox: d}
		c, entries := sampleCase()
		in := workflows.ProjectInput{Case: c, Entries: entries, Notifications: notes(c)}
		require.NoError(t, a.Project(ctx, in))
		rows, err := st.OutboxOf(ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, rows, 3)
		for _, r := range rows {
			require.Equal(t, store.OutboxPending, r.State)
		}
		var got workflows.Notification
		require.NoError(t, json.Unmarshal([]byte(rows[0].Payload), &got))
		require.Equal(t, notes(c)[0].Message, got.Message)
		require.Equal(t, []string{"org_unit:c", "department:a", "org_unit:c"}, []string{rows[0].Recipient, rows[1].Recipient, rows[2].Recipient})

		n, err := d.DispatchOnce(ctx, 10)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		require.NoError(t, a.Project(ctx, in)) // retried
		rows, err = st.OutboxOf(ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, rows, 3)
		for _, r := range rows {
			require.Equal(t, store.OutboxDone, r.State)
		}
		n, err = d.DispatchOnce(ctx, 10)
		require.NoError(t, err)
		require.Zero(t, n)
		_, delivered, _ := rc.snapshot()
		require.Equal(t, map[string]int{"P1-1-unit:c": 1, "P1-2-dept:a": 1, "P1-2-unit:c": 1}, delivered) // seq 2 went to two recipients, each under its own key
	})
}

// TestProjectOutboxAtomic: when the projection's transaction fails (here
// the database refuses the case row, written after the timeline and the
// outbox), neither the timeline entries nor their notifications stay; the
// next try writes both.
func TestProjectOutboxAtomic(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if st.Dialect() == "postgres" {
			require.NoError(t, st.DB.Exec(`CREATE FUNCTION refuse_case() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'case refused'; END $$`).Error)
			require.NoError(t, st.DB.Exec(`CREATE TRIGGER refuse_case BEFORE INSERT OR UPDATE ON cases FOR EACH ROW EXECUTE FUNCTION refuse_case()`).Error)
		} else {
			require.NoError(t, st.DB.Exec(`CREATE TRIGGER refuse_case BEFORE INSERT ON cases BEGIN SELECT RAISE(ABORT, 'case refused'); END`).Error)
		}
		a := &activities.Activities{Store: st, Logger: discard}
		c, entries := sampleCase()
		in := workflows.ProjectInput{Case: c, Entries: entries, Notifications: notes(c)}
		require.ErrorContains(t, a.Project(ctx, in), "case refused")
		tl, err := st.Timeline(ctx, c.ID)
		require.NoError(t, err)
		require.Empty(t, tl)
		rows, err := st.OutboxOf(ctx, c.ID)
		require.NoError(t, err)
		require.Empty(t, rows)

		require.NoError(t, st.DB.Exec(`DROP TRIGGER refuse_case`+map[bool]string{true: ` ON cases`}[st.Dialect() == "postgres"]).Error)
		require.NoError(t, a.Project(ctx, in))
		tl, err = st.Timeline(ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, tl, 2)
		rows, err = st.OutboxOf(ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, rows, 3)
	})
}

// TestOutboxRetriesWithBackoff: a receiver that fails three times gets the
// notification again after 5 s, 10 s and 20 s (never earlier), takes it
// the fourth time, and gets it no more; done rows go a day later.
func TestOutboxRetriesWithBackoff(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		start := time.Now().UTC().Truncate(time.Second)
		clock := &fakeClock{t: start}
		rc := &receiver{failures: 3}
		reg := prometheus.NewRegistry()
		d := &activities.OutboxDispatcher{Store: st, Notifier: newReceiver(t, rc), Logger: discard, Metrics: activities.NewOutboxMetrics(reg), Now: clock.Now}
		c, entries := sampleCase()
		require.NoError(t, st.ApplyCaseWithOutbox(ctx, c, entries, []store.OutboxItem{outboxItem(t, notes(c)[1], start)}))

		var waits []time.Duration
		at := start
		for try := 1; try <= 4; try++ {
			n, err := d.DispatchOnce(ctx, 10)
			require.NoError(t, err)
			require.Equal(t, 1, n, "try %d", try)
			rows, err := st.OutboxOf(ctx, c.ID)
			require.NoError(t, err)
			r := rows[0]
			require.Equal(t, try, r.Attempts)
			if try == 4 {
				require.Equal(t, store.OutboxDone, r.State)
				break
			}
			require.Equal(t, store.OutboxPending, r.State)
			require.Contains(t, r.LastError, "503")
			waits = append(waits, r.NextTryAt.Sub(at))
			clock.Set(r.NextTryAt.Add(-time.Millisecond)) // not yet due
			n, err = d.DispatchOnce(ctx, 10)
			require.NoError(t, err)
			require.Zero(t, n)
			at = r.NextTryAt
			clock.Set(at)
		}
		require.Equal(t, []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second}, waits)
		clock.Set(start.Add(2 * time.Hour))
		n, err := d.DispatchOnce(ctx, 10)
		require.NoError(t, err)
		require.Zero(t, n)
		requests, delivered, _ := rc.snapshot()
		require.Equal(t, []string{"P1-2-dept:a", "P1-2-dept:a", "P1-2-dept:a", "P1-2-dept:a"}, requests) // the same key on every try
		require.Equal(t, map[string]int{"P1-2-dept:a": 1}, delivered)
		require.Equal(t, 1.0, outboxCount(t, reg, "delivered"))
		require.Equal(t, 3.0, outboxCount(t, reg, "retried"))
		require.Zero(t, outboxCount(t, reg, "failed"))

		removed, err := st.CleanOutbox(ctx, at.Add(23*time.Hour))
		require.NoError(t, err)
		require.Zero(t, removed)
		removed, err = st.CleanOutbox(ctx, at.Add(25*time.Hour))
		require.NoError(t, err)
		require.EqualValues(t, 1, removed)
	})
}

// TestOutboxGivesUpAfterAnHour: a receiver that always fails is tried with
// the activity's backoff (5 s doubling to 5 min) until the next try would
// start more than an hour after the write: 17 tries, then the row is
// failed, counted and logged at ERROR, and tried no more.
func TestOutboxGivesUpAfterAnHour(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		start := time.Now().UTC().Truncate(time.Second)
		clock := &fakeClock{t: start}
		rc := &receiver{failures: 1 << 30}
		reg := prometheus.NewRegistry()
		var logs bytes.Buffer
		d := &activities.OutboxDispatcher{Store: st, Notifier: newReceiver(t, rc), Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
			Metrics: activities.NewOutboxMetrics(reg), Now: clock.Now}
		c, entries := sampleCase()
		require.NoError(t, st.ApplyCaseWithOutbox(ctx, c, entries, []store.OutboxItem{outboxItem(t, notes(c)[1], start)}))

		var last store.OutboxRow
		for range 100 {
			n, err := d.DispatchOnce(ctx, 10)
			require.NoError(t, err)
			require.Equal(t, 1, n)
			rows, err := st.OutboxOf(ctx, c.ID)
			require.NoError(t, err)
			last = rows[0]
			if last.State != store.OutboxPending {
				break
			}
			clock.Set(last.NextTryAt)
		}
		require.Equal(t, store.OutboxFailed, last.State)
		require.Equal(t, 17, last.Attempts)
		require.True(t, clock.Now().Before(start.Add(time.Hour)), "the last try started within the hour")
		requests, _, _ := rc.snapshot()
		require.Len(t, requests, 17)
		require.Equal(t, 16.0, outboxCount(t, reg, "retried"))
		require.Equal(t, 1.0, outboxCount(t, reg, "failed"))

		clock.Set(start.Add(3 * time.Hour))
		n, err := d.DispatchOnce(ctx, 10)
		require.NoError(t, err)
		require.Zero(t, n)

		var gaveUp map[string]any
		for _, line := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
			var m map[string]any
			require.NoError(t, json.Unmarshal(line, &m))
			if m["level"] == "ERROR" {
				gaveUp = m
			}
		}
		require.NotNil(t, gaveUp, "an ERROR line says the notification was given up")
		require.Equal(t, c.ID, gaveUp["case_id"])
		require.EqualValues(t, 2, gaveUp["seq"])
	})
}

// TestOutboxRedeliversAfterLease: a worker that dies while its receiver
// holds the request leaves the row leased; another worker does not touch
// it until the lease ends, then delivers it.
func TestOutboxRedeliversAfterLease(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		start := time.Now().UTC().Truncate(time.Second)
		clock := &fakeClock{t: start}
		rc := &receiver{hang: true}
		wh := newReceiver(t, rc)
		c, entries := sampleCase()
		require.NoError(t, st.ApplyCaseWithOutbox(ctx, c, entries, []store.OutboxItem{outboxItem(t, notes(c)[1], start)}))

		dying := &activities.OutboxDispatcher{Store: st, Notifier: wh, Logger: discard, Now: clock.Now}
		dctx, die := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { _, err := dying.DispatchOnce(dctx, 10); done <- err }()
		require.Eventually(t, func() bool { r, _, _ := rc.snapshot(); return len(r) == 1 }, 10*time.Second, 5*time.Millisecond)
		die()
		require.NoError(t, <-done)

		other := &activities.OutboxDispatcher{Store: st, Notifier: wh, Logger: discard, Now: clock.Now}
		clock.Set(start.Add(activities.OutboxLease - time.Second))
		n, err := other.DispatchOnce(ctx, 10)
		require.NoError(t, err)
		require.Zero(t, n, "the lease still holds")
		clock.Set(start.Add(activities.OutboxLease))
		n, err = other.DispatchOnce(ctx, 10)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		rows, err := st.OutboxOf(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, store.OutboxDone, rows[0].State)
		requests, delivered, _ := rc.snapshot()
		require.Equal(t, []string{"P1-2-dept:a", "P1-2-dept:a"}, requests)
		require.Equal(t, map[string]int{"P1-2-dept:a": 1}, delivered)
	})
}

// TestOutboxNudge: a dispatcher that polls only hourly delivers a
// projection's notifications at once, woken by the projection.
func TestOutboxNudge(t *testing.T) {
	st := storetest.MustOpenSQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	rc := &receiver{}
	d := &activities.OutboxDispatcher{Store: st, Notifier: newReceiver(t, rc), Logger: discard, Poll: time.Hour}
	a := &activities.Activities{Store: st, Logger: discard, Outbox: d}
	ran := make(chan struct{})
	go func() { d.Run(ctx); close(ran) }()
	defer func() { cancel(); <-ran }()
	c, entries := sampleCase()
	ns := notes(c)
	c.Seq = 1
	require.NoError(t, a.Project(ctx, workflows.ProjectInput{Case: c, Entries: entries[:1], Notifications: ns[:1]}))
	require.Eventually(t, func() bool { _, d, _ := rc.snapshot(); return d["P1-1-unit:c"] == 1 }, 10*time.Second, 5*time.Millisecond)
	// The dispatcher now waits (for an hour, unless nudged).
	c.Seq = 2
	require.NoError(t, a.Project(ctx, workflows.ProjectInput{Case: c, Entries: entries[1:], Notifications: ns[1:2]}))
	require.Eventually(t, func() bool { _, d, _ := rc.snapshot(); return d["P1-2-dept:a"] == 1 }, 10*time.Second, 5*time.Millisecond)
}

// TestOutboxTwoDispatchers: two workers (two processes' stores) on one
// database share the outbox: every notification is delivered exactly once
// and no receiver ever sees two tries of one notification at once.
func TestOutboxTwoDispatchers(t *testing.T) {
	for name, url := range map[string]func(t testing.TB) string{
		"sqlite":   func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "shaobao.db") },
		"postgres": storetest.PostgresSchemaURL,
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			dsn := url(t)
			var stores [2]*store.Store
			for i := range stores {
				st, err := store.Open(ctx, dsn)
				require.NoError(t, err)
				t.Cleanup(func() { st.Close() })
				stores[i] = st
			}
			require.NoError(t, stores[0].Migrate(ctx))
			rc := &receiver{hold: 2 * time.Millisecond}
			wh := newReceiver(t, rc)
			var wg sync.WaitGroup
			for _, st := range stores {
				d := &activities.OutboxDispatcher{Store: st, Notifier: wh, Logger: discard, Poll: 5 * time.Millisecond}
				wg.Add(1)
				go func() { defer wg.Done(); d.Run(ctx) }()
			}
			// Rows arrive while both run, as projections write them.
			const cases, perCase = 20, 15
			want := map[string]int{}
			for i := range cases {
				c, _ := sampleCase()
				c.ID = fmt.Sprintf("P%d", i)
				var items []store.OutboxItem
				for seq := int64(1); seq <= perCase; seq++ {
					n := workflows.Notification{CaseID: c.ID, Seq: seq, Event: whistle.EventSummoned, DepartmentID: "a", Message: "m"}
					items = append(items, outboxItem(t, n, time.Now()))
					want[activities.IdempotencyKey(n)] = 1
				}
				require.NoError(t, stores[i%2].ApplyCaseWithOutbox(ctx, c, nil, items))
			}
			require.Eventually(t, func() bool {
				n, err := stores[0].OutboxBacklog(ctx)
				return err == nil && n == 0
			}, 60*time.Second, 20*time.Millisecond)
			cancel()
			wg.Wait()
			_, delivered, overlaps := rc.snapshot()
			require.Empty(t, overlaps)
			require.Equal(t, want, delivered)
		})
	}
}
