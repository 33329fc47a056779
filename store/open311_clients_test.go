package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// TestOpen311Clients: a key is stored as a hash, signs in as its user until
// revoked, and a revoked or unknown key is forbidden (Open311's 403).
func TestOpen311Clients(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		cl, key, err := s.CreateOpen311Client(ctx, "居民 App", "u-c1-secretary")
		if err != nil {
			t.Fatal(err)
		}
		if cl.KeyHash != store.HashToken(key) || cl.KeyHash == key {
			t.Errorf("the key is not stored as its hash: %+v", cl)
		}
		got, u, err := s.Open311ClientByKey(ctx, key)
		if err != nil || got.ID != cl.ID || u.Username != "c1-secretary" {
			t.Fatalf("by key = %+v %s %v", got, u.Username, err)
		}
		if _, _, err := s.CreateOpen311Client(ctx, "x", "nope"); !open311IsCode(err, whistle.EInvalid) {
			t.Errorf("unknown user = %v, want invalid", err)
		}
		if _, _, err := s.Open311ClientByKey(ctx, "o311_nope"); !open311IsCode(err, whistle.EForbidden) {
			t.Errorf("unknown key = %v, want forbidden", err)
		}
		if _, err := s.RevokeOpen311Client(ctx, cl.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RevokeOpen311Client(ctx, cl.ID); err != nil {
			t.Errorf("revoking again = %v", err)
		}
		if _, err := s.RevokeOpen311Client(ctx, "nope"); !errors.Is(err, whistle.ErrNotFound) {
			t.Errorf("revoking an unknown client = %v", err)
		}
		if _, _, err := s.Open311ClientByKey(ctx, key); !open311IsCode(err, whistle.EForbidden) {
			t.Errorf("revoked key = %v, want forbidden", err)
		}
		rows, err := s.Open311Clients(ctx)
		if err != nil || len(rows) != 1 || rows[0].RevokedAt == nil {
			t.Errorf("clients = %+v %v", rows, err)
		}
		// The media_url of a filed request is kept once.
		for _, u := range []string{"https://example.org/a.jpg", "https://example.org/b.jpg"} {
			if err := s.RecordOpen311Request(ctx, store.Open311Request{CaseID: "SB-1", ClientID: cl.ID, MediaURL: u}); err != nil {
				t.Fatal(err)
			}
		}
		var r store.Open311Request
		if err := s.DB.Where("case_id = ?", "SB-1").Take(&r).Error; err != nil || r.MediaURL != "https://example.org/a.jpg" {
			t.Errorf("recorded = %+v %v", r, err)
		}
	})
}

func open311IsCode(err error, code string) bool {
	var e *whistle.Error
	return errors.As(err, &e) && e.Code == code
}
