package store

import (
	"context"
	"path/filepath"
	"testing"
)

// migratedSQLite opens a new SQLite store in the test's folder, migrated
// to the latest schema: where the migration tests roll one migration back
// and run it again. It is storetest.MustOpenSQLite, which these tests
// cannot import: storetest imports this package.
func migratedSQLite(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "shaobao.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}
