package store

import (
	"context"
	"testing"
)

// TestRollbackOutbox: the migration makes the outbox with the key and the
// dispatcher's index, the rollback drops it, and migrating again makes it
// anew.
func TestRollbackOutbox(t *testing.T) {
	ctx := context.Background()
	s := migratedSQLite(t)
	m := s.DB.Migrator()
	for _, idx := range []string{"idx_outbox_key", "idx_outbox_due"} {
		if !m.HasIndex(&OutboxRow{}, idx) {
			t.Errorf("index %s missing", idx)
		}
	}
	if err := rollbackOutbox(s.DB); err != nil {
		t.Fatal(err)
	}
	if m.HasTable(&OutboxRow{}) {
		t.Fatal("notification_outbox left after the rollback")
	}
	if err := s.DB.Exec("DELETE FROM schema_migrations WHERE id = ?", "202612031004_notification_outbox").Error; err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if !m.HasTable(&OutboxRow{}) {
		t.Fatal("notification_outbox not made again")
	}
}
