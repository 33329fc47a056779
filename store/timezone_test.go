package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
)

// TestTimesReadInUTCWhateverTheHostZone: on a host whose zone is Beijing
// time, every time the store reads back (here an org unit's and a token's)
// is in UTC, as the API answers them; pgx alone would scan them in the
// local zone.
func TestTimesReadInUTCWhateverTheHostZone(t *testing.T) {
	local := time.Local
	time.Local = time.FixedZone("CST", 8*3600)
	t.Cleanup(func() { time.Local = local })
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if s.Dialect() == "postgres" {
			var now time.Time
			if err := s.DB.WithContext(ctx).Raw("SELECT CURRENT_TIMESTAMP").Scan(&now).Error; err != nil {
				t.Fatal(err)
			}
			if now.Location() != time.UTC {
				t.Errorf("CURRENT_TIMESTAMP read in %v, want UTC", now.Location())
			}
		}
		storetest.MustSeedDemo(t, s)
		u, err := s.UserByUsername(ctx, "c1-secretary")
		if err != nil {
			t.Fatal(err)
		}
		if u.CreatedAt.Location() != time.UTC {
			t.Errorf("user created_at read in %v, want UTC", u.CreatedAt.Location())
		}
	})
}
