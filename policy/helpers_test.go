package policy

import (
	"context"
	"path/filepath"
	"testing"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go)

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// mustOpenDB opens a fresh SQLite database in tb's temp dir with the
// policy_rules table.
func mustOpenDB(tb testing.TB) *gorm.DB {
	tb.Helper()
	return mustOpenDBAt(tb, filepath.Join(tb.TempDir(), "policy.db"))
}

// mustOpenDBAt opens (a second connection pool to) the database at path.
func mustOpenDBAt(tb testing.TB, path string) *gorm.DB {
	tb.Helper()
	db, err := gorm.Open(sqlite.Dialector{
		DriverName: "sqlite",
		DSN:        "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)",
	}, &gorm.Config{Logger: logger.Default.LogMode(logger.Silent)})
	if err != nil {
		tb.Fatal(err)
	}
	if err := db.AutoMigrate(&store.PolicyRule{}); err != nil {
		tb.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sqlDB.Close() })
	return db
}

// mustNew returns a Policy over db.
func mustNew(tb testing.TB, db *gorm.DB) *Policy {
	tb.Helper()
	p, err := New(context.Background(), db)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// parentPath and validPath are the path helpers the tests were written
// against, now whistle.OrgPath's methods.
func parentPath(p string) string { return string(whistle.OrgPath(p).Parent()) }

func validPath(p string) bool { return whistle.OrgPath(p).Valid() }
