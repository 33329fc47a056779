// Package storetest opens real, migrated stores for tests: an SQLite file in
// a temporary folder, and a fresh schema on the PostgreSQL named by
// SHAOBAO_TEST_POSTGRES. Under CI (CI set) a missing PostgreSQL fails the
// test instead of skipping it.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/shaobao/shaobao/store"
)

// PostgresEnv names the variable holding the test PostgreSQL URL.
const PostgresEnv = "SHAOBAO_TEST_POSTGRES"

// MustOpenSQLite returns a migrated store on a new SQLite file.
func MustOpenSQLite(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "shaobao.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// PostgresURL returns the test PostgreSQL URL, skipping the test when none
// is set outside CI and failing it under CI.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(PostgresEnv)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: under CI the PostgreSQL tests must run", PostgresEnv)
		}
		t.Skipf("%s not set; PostgreSQL tests skipped", PostgresEnv)
	}
	return u
}

// MustOpenPostgres returns a migrated store on a fresh schema of the test
// PostgreSQL, dropped when the test ends.
func MustOpenPostgres(t testing.TB) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, PostgresSchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// PostgresSchemaURL creates a fresh, empty schema on the test PostgreSQL,
// dropped when the test ends, and returns the test URL with search_path
// set to it.
func PostgresSchemaURL(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	admin, err := store.Open(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	raw := make([]byte, 6)
	_, _ = rand.Read(raw)
	schema := "t_" + hex.EncodeToString(raw)
	if err := admin.DB.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if a, err := store.Open(context.Background(), base); err == nil {
			a.DB.Exec("DROP SCHEMA " + schema + " CASCADE")
			a.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// ForEachDB runs fn as a subtest on SQLite and on PostgreSQL.
func ForEachDB(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, db := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", MustOpenSQLite}, {"postgres", MustOpenPostgres}} {
		t.Run(db.name, func(t *testing.T) { fn(t, db.open(t)) })
	}
}

// MustSeedDemo seeds the demo city into s.
func MustSeedDemo(t testing.TB, s *store.Store) {
	t.Helper()
	if err := s.SeedDemo(context.Background()); err != nil {
		t.Fatal(fmt.Errorf("seed demo: %w", err))
	}
}
