package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

func TestIdempotencyKeys(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		const ttl, stale = 24 * time.Hour, time.Minute
		first := store.IdempotencyKey{UserID: "u1", Key: "k1", Route: "POST /api/v1/tasks/:id/report", Target: "id=T1", BodyHash: "aa"}
		claimed, ok, err := s.ClaimIdempotencyKey(ctx, first, ttl, stale)
		if err != nil || !ok || claimed.Claim == "" {
			t.Fatalf("first claim = %+v, %v, %v; want claimed", claimed, ok, err)
		}

		// While in flight, the same user and key find the claim, whatever
		// the request; another user's same key is theirs alone.
		got, ok, err := s.ClaimIdempotencyKey(ctx, first, ttl, stale)
		if err != nil || ok || !got.InFlight() || !got.SameRequest(first) {
			t.Fatalf("second claim = %+v, %v, %v; want the in-flight key", got, ok, err)
		}
		other := first
		other.UserID = "u2"
		if _, ok, err := s.ClaimIdempotencyKey(ctx, other, ttl, stale); err != nil || !ok {
			t.Fatalf("another user's claim = %v, %v; want claimed", ok, err)
		}

		// The answer is stored and comes back on the next claim.
		if err := s.FinishIdempotencyKey(ctx, claimed, 200, "application/json", []byte(`{"id":"T1"}`)); err != nil {
			t.Fatal(err)
		}
		got, ok, err = s.ClaimIdempotencyKey(ctx, first, ttl, stale)
		if err != nil || ok || got.InFlight() || got.Status != 200 || string(got.Body) != `{"id":"T1"}` || got.ContentType != "application/json" {
			t.Fatalf("claim after the answer = %+v, %v, %v; want the stored answer", got, ok, err)
		}
		changed := first
		changed.BodyHash = "bb"
		got, ok, err = s.ClaimIdempotencyKey(ctx, changed, ttl, stale)
		if err != nil || ok || got.SameRequest(changed) {
			t.Fatalf("claim with another body = %+v, %v, %v; want the first request back", got, ok, err)
		}

		// A released key (5xx) may be used again.
		if err := s.ReleaseIdempotencyKey(ctx, got); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.ClaimIdempotencyKey(ctx, changed, ttl, stale); err != nil || !ok {
			t.Fatalf("claim after release = %v, %v; want claimed", ok, err)
		}
	})
}

func TestIdempotencyKeysExpireAndRecover(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		const ttl, stale = 24 * time.Hour, time.Minute
		age := func(k store.IdempotencyKey, d time.Duration) {
			t.Helper()
			if err := s.DB.Model(&store.IdempotencyKey{}).Where("user_id = ? AND idem_key = ?", k.UserID, k.Key).
				Update("created_at", time.Now().UTC().Add(-d)).Error; err != nil {
				t.Fatal(err)
			}
		}
		answered := store.IdempotencyKey{UserID: "u1", Key: "old", Route: "POST /api/v1/cases", BodyHash: "aa"}
		k, _, _ := s.ClaimIdempotencyKey(ctx, answered, ttl, stale)
		if err := s.FinishIdempotencyKey(ctx, k, 201, "application/json", []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		age(k, 25*time.Hour)
		reused := answered
		reused.BodyHash = "bb"
		if got, ok, err := s.ClaimIdempotencyKey(ctx, reused, ttl, stale); err != nil || !ok || got.BodyHash != "bb" {
			t.Fatalf("claim of an expired key = %+v, %v, %v; want claimed afresh", got, ok, err)
		}

		// A request whose process died holds its key only until stale, and
		// only the same request may take it over.
		dead := store.IdempotencyKey{UserID: "u1", Key: "dead", Route: "POST /api/v1/cases", BodyHash: "aa"}
		k, _, _ = s.ClaimIdempotencyKey(ctx, dead, ttl, stale)
		age(k, 2*stale)
		other := dead
		other.BodyHash = "bb"
		if _, ok, err := s.ClaimIdempotencyKey(ctx, other, ttl, stale); err != nil || ok {
			t.Fatalf("another request took over a stale key: %v, %v", ok, err)
		}
		retry, ok, err := s.ClaimIdempotencyKey(ctx, dead, ttl, stale)
		if err != nil || !ok || retry.Claim == k.Claim {
			t.Fatalf("retry of a stale key = %+v, %v, %v; want a new claim", retry, ok, err)
		}
		// The dead request's late answer is not stored over the retry's.
		if err := s.FinishIdempotencyKey(ctx, k, 200, "application/json", []byte(`late`)); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := s.ClaimIdempotencyKey(ctx, dead, ttl, stale); !got.InFlight() {
			t.Errorf("the lost claim stored its answer: %+v", got)
		}

		n, err := s.DeleteIdempotencyKeysBefore(ctx, time.Now().Add(-ttl))
		if err != nil || n != 0 {
			t.Errorf("deleted %d, %v; want 0 (nothing expired now)", n, err)
		}
		age(retry, 25*time.Hour)
		if n, err := s.DeleteIdempotencyKeysBefore(ctx, time.Now().Add(-ttl)); err != nil || n != 1 {
			t.Errorf("deleted %d, %v; want the expired key", n, err)
		}
	})
}

func TestTokenLastUsedAt(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		u, _ := s.UserByUsername(ctx, "c1-secretary")
		tok, err := s.IssueToken(ctx, u.ID, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		lastUsed := func() *time.Time {
			t.Helper()
			var row store.APIToken
			if err := s.DB.Where("hash = ?", store.HashToken(tok)).Take(&row).Error; err != nil {
				t.Fatal(err)
			}
			return row.LastUsedAt
		}
		if lastUsed() != nil {
			t.Fatal("a new token is marked used")
		}
		if _, err := s.UserByToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		first := lastUsed()
		if first == nil || time.Since(*first) > time.Minute {
			t.Fatalf("last_used_at = %v after use, want now", first)
		}
		// Used again at once: not written again.
		if _, err := s.UserByToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if again := lastUsed(); !again.Equal(*first) {
			t.Errorf("last_used_at rewritten within %s: %v → %v", store.TokenUseResolution, first, again)
		}
		// Used after the resolution: written.
		old := time.Now().UTC().Add(-2 * store.TokenUseResolution)
		s.DB.Model(&store.APIToken{}).Where("hash = ?", store.HashToken(tok)).Update("last_used_at", old)
		if _, err := s.UserByToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if later := lastUsed(); later == nil || !later.After(old.Add(time.Minute)) {
			t.Errorf("last_used_at = %v, want refreshed from %v", later, old)
		}
	})
}

func TestIssueTokenRefusesNegativeTTL(t *testing.T) {
	s := storetest.MustOpenSQLite(t)
	storetest.MustSeedDemo(t, s)
	u, _ := s.UserByUsername(context.Background(), "c1-secretary")
	if _, err := s.IssueToken(context.Background(), u.ID, "test", -5*time.Second); whistle.ErrorCode(err) != whistle.EInvalid {
		t.Errorf("IssueToken(-5s) = %v, want an invalid error", err)
	}
}
