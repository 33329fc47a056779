package cluster

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shaobao/shaobao/loadgen"
)

// TestBalancer checks the round-robin in front of the api processes on
// real HTTP servers: a dead process is skipped, a 5xx answer or an
// idempotency_key_in_flight is sent again with the same key until it
// succeeds, and a request that may not be sent again (a POST without a
// key) gets its 5xx, counted as one that reached the caller.
func TestBalancer(t *testing.T) {
	// A process that died: its port refuses connections.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()

	var calls atomic.Int64
	var mu sync.Mutex
	var keys []string
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		switch {
		case r.URL.Path == "/always-503":
			w.WriteHeader(http.StatusServiceUnavailable)
		case n == 1:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":{"code":"unavailable","message":"temporal unavailable"}}`))
		case n == 2:
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"error":{"code":"idempotency_key_in_flight","message":"in flight"}}`))
		default:
			_, _ = w.Write([]byte(`{"id":"c-1"}`))
		}
	}))
	defer live.Close()

	b, err := NewBalancer([]string{dead, live.URL}, 2)
	if err != nil {
		t.Fatal(err)
	}
	b.Budget = 20 * time.Second
	api := b.Client(map[string]string{"u": "token"})
	ctx := context.Background()

	var out struct{ ID string }
	if err := api.Do(ctx, "u", "POST", "/api/v1/cases", `{}`, "key-1", &out); err != nil {
		t.Fatalf("keyed POST through a dead process, a 503 and an in-flight 409: %v", err)
	}
	if out.ID != "c-1" {
		t.Fatalf("answer %+v, want the live process's", out)
	}
	mu.Lock()
	sent := append([]string(nil), keys...)
	mu.Unlock()
	for i, k := range sent {
		if k != "key-1" {
			t.Fatalf("attempt %d sent Idempotency-Key %q, want key-1 every time", i+1, k)
		}
	}
	st := b.Stats()
	if st.Requests != 1 || st.Retried != 1 || st.Answers5xx != 1 || st.InFlight != 1 || st.ConnErrors < 1 || st.Final5xx != 0 {
		t.Fatalf("stats after a retried request: %s", st)
	}

	// No key: sent once to each process in turn until one answers, and
	// its 503 reaches the caller.
	err = api.Do(ctx, "u", "POST", "/always-503", `{}`, "", nil)
	if !loadgen.Retryable(err) {
		t.Fatalf("unkeyed POST answered 503: got %v, want the 503", err)
	}
	if st := b.Stats(); st.Final5xx != 1 {
		t.Fatalf("stats after an unkeyed 503: %s", st)
	}
}
