package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
)

func countTokens(t *testing.T, st *store.Store, userID string) int64 {
	t.Helper()
	var n int64
	if err := st.DB.Model(&store.APIToken{}).Where("user_id = ?", userID).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIdempotencyKey: admin routes change the store without Temporal, so
// they show the middleware's promises on their own.
func TestIdempotencyKey(t *testing.T) {
	srv, st := newServer(t)
	admin := token(t, st, "admin")
	const issue = "/api/v1/admin/users/u-g1-worker/tokens"
	body := `{"name":"phone","ttl":"1d"}`

	first := call(t, srv, admin, "POST", issue, body, "Idempotency-Key", "k-replay")
	if first.status != 201 || first.header.Get("Idempotent-Replayed") != "" || first.body["token"] == nil {
		t.Fatalf("first: %d %v", first.status, first.body)
	}
	t.Run("ReplaySameAnswer", func(t *testing.T) {
		again := call(t, srv, admin, "POST", issue, body, "Idempotency-Key", "k-replay")
		h := again.header
		if again.status != 201 || !reflect.DeepEqual(again.body, first.body) || h.Get("Idempotent-Replayed") != "true" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Fatalf("replay: %d replayed=%q type=%q\n%v\nwant 201 and\n%v", again.status, h.Get("Idempotent-Replayed"), h.Get("Content-Type"), again.body, first.body)
		}
		if n := countTokens(t, st, "u-g1-worker"); n != 1 {
			t.Errorf("%d tokens issued, want 1", n)
		}
	})

	reuse := []struct{ name, method, path, body string }{
		{"OtherBody", "POST", issue, `{"name":"laptop","ttl":"1d"}`},
		{"OtherTarget", "POST", "/api/v1/admin/users/u-s1-police/tokens", body},
		{"OtherRoute", "POST", "/api/v1/admin/users", `{"username":"x1","display_name":"X","role":"admin","org_unit_id":"110000"}`},
	}
	for _, tt := range reuse {
		t.Run("Reused"+tt.name, func(t *testing.T) {
			r := call(t, srv, admin, tt.method, tt.path, tt.body, "Idempotency-Key", "k-replay")
			if r.status != 422 || errCode(r) != "idempotency_key_reused" || !strings.Contains(errMessage(r), "Idempotency-Key") {
				t.Fatalf("%d %v, want 422 idempotency_key_reused", r.status, r.body)
			}
			en := call(t, srv, admin, tt.method, tt.path, tt.body, "Idempotency-Key", "k-replay", "Accept-Language", "en")
			if !strings.Contains(errMessage(en), "already used for a different request") {
				t.Errorf("English message: %q", errMessage(en))
			}
		})
	}
	if n := countTokens(t, st, "u-s1-police"); n != 0 {
		t.Errorf("a reused key issued %d tokens to another target", n)
	}

	t.Run("OtherUserSameKey", func(t *testing.T) {
		r := call(t, srv, admin, "POST", "/api/v1/admin/users", `{"username":"admin2","display_name":"Admin 2","role":"admin","org_unit_id":"110000"}`)
		if r.status != 201 {
			t.Fatalf("create admin2: %d %v", r.status, r.body)
		}
		u, _ := st.UserByUsername(context.Background(), "admin2")
		tok, _ := st.IssueToken(context.Background(), u.ID, "test", time.Hour)
		r = call(t, srv, tok, "POST", issue, body, "Idempotency-Key", "k-replay")
		if r.status != 201 || r.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("another user's same key: %d replayed=%q, want applied", r.status, r.header.Get("Idempotent-Replayed"))
		}
		if n := countTokens(t, st, "u-g1-worker"); n != 2 {
			t.Errorf("%d tokens, want 2", n)
		}
	})

	t.Run("InFlight", func(t *testing.T) {
		sum := sha256.Sum256([]byte(body))
		_, ok, err := st.ClaimIdempotencyKey(context.Background(), store.IdempotencyKey{UserID: "u-admin", Key: "k-busy",
			Route: "POST /api/v1/admin/users/:id/tokens", Target: "id=u-g1-worker", BodyHash: hex.EncodeToString(sum[:])}, time.Hour, time.Hour)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		r := call(t, srv, admin, "POST", issue, body, "Idempotency-Key", "k-busy")
		if r.status != 409 || errCode(r) != "idempotency_key_in_flight" {
			t.Fatalf("%d %v, want 409 idempotency_key_in_flight", r.status, r.body)
		}
	})

	t.Run("RefusalsAreNotKept", func(t *testing.T) {
		// A refused request changed nothing: the client corrects it and
		// sends it again with the same key.
		bad := call(t, srv, admin, "POST", issue, `{"name":"phone","ttl":"forever"}`, "Idempotency-Key", "k-bad")
		if bad.status != 400 {
			t.Fatalf("bad ttl: %d %v", bad.status, bad.body)
		}
		fixed := call(t, srv, admin, "POST", issue, `{"name":"phone","ttl":"2d"}`, "Idempotency-Key", "k-bad")
		if fixed.status != 201 || fixed.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("corrected request with the same key: %d %v, want 201 applied", fixed.status, fixed.body)
		}
	})

	t.Run("ServerErrorsAreNotKept", func(t *testing.T) {
		// No Temporal behind this server: a valid filing fails with a 5xx.
		c1 := token(t, st, "c1-secretary")
		file := `{"title":"噪音","source":"grid","class":"routine","department_ids":["s1-police"],"location":{"address":"和平里1号","lat":39.9,"lon":116.4}}`
		for i := range 2 {
			r := call(t, srv, c1, "POST", "/api/v1/cases", file, "Idempotency-Key", "k-5xx")
			if r.status < 500 || r.header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("try %d: %d replayed=%q, want a fresh 5xx", i, r.status, r.header.Get("Idempotent-Replayed"))
			}
		}
		var n int64
		st.DB.Model(&store.IdempotencyKey{}).Where("idem_key = ?", "k-5xx").Count(&n)
		if n != 0 {
			t.Errorf("%d records kept for a 5xx", n)
		}
	})

	t.Run("Expired", func(t *testing.T) {
		st.DB.Model(&store.IdempotencyKey{}).Where("user_id = ? AND idem_key = ?", "u-admin", "k-replay").
			Update("created_at", time.Now().UTC().Add(-25*time.Hour))
		again := call(t, srv, admin, "POST", issue, body, "Idempotency-Key", "k-replay")
		if again.status != 201 || again.header.Get("Idempotent-Replayed") != "" || again.body["token"] == first.body["token"] {
			t.Fatalf("after 24 h: %d replayed=%q, want applied anew", again.status, again.header.Get("Idempotent-Replayed"))
		}
	})

	t.Run("NoKeyNoReplay", func(t *testing.T) {
		before := countTokens(t, st, "u-g1-worker")
		call(t, srv, admin, "POST", issue, body, "X-Request-ID", "same-trace")
		call(t, srv, admin, "POST", issue, body, "X-Request-ID", "same-trace")
		if n := countTokens(t, st, "u-g1-worker"); n != before+2 {
			t.Errorf("%d tokens, want %d: X-Request-ID must not deduplicate", n, before+2)
		}
	})

	t.Run("BadKey", func(t *testing.T) {
		for _, key := range []string{strings.Repeat("k", 129), "has space", "ключ"} {
			r := call(t, srv, admin, "POST", issue, body, "Idempotency-Key", key)
			if r.status != 400 || errCode(r) != "invalid" {
				t.Errorf("key %q: %d %v, want 400", key, r.status, r.body)
			}
		}
	})
}
