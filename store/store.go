// Package store is Shaobao's database: the org tree, users and tokens, the
// catalogue, SLA policies, the working calendar and the read model of cases,
// through gorm on PostgreSQL (production) or an embedded SQLite file
// (`shaobao dev`). The workflow owns a case's state; the tables here are its
// projection, written only by the projection activity.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/shaobao/shaobao/redact"

	// The one SQLite engine of the binary: the embedded Temporal server
	// registers the same modernc driver, so we must not bring another.
	_ "modernc.org/sqlite"
)

// Store wraps the database.
type Store struct {
	DB      *gorm.DB
	dialect string // "postgres" or "sqlite"
}

// Open connects to dsn: a PostgreSQL URL (postgres://...) or "sqlite:PATH"
// for an embedded SQLite file (created with its folder if missing).
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
	var (
		db      *gorm.DB
		err     error
		dialect string
	)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		dialect = "postgres"
		var pool *sql.DB
		if pool, err = openPostgres(dsn); err == nil {
			db, err = gorm.Open(postgres.New(postgres.Config{Conn: pool}), cfg)
		}
	case strings.HasPrefix(dsn, "sqlite:"):
		dialect = "sqlite"
		path := strings.TrimPrefix(dsn, "sqlite:")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
		// WAL lets readers run beside the writer; immediate transactions
		// take the write lock up front, so a busy writer waits (busy
		// timeout) instead of failing a read-then-write transaction.
		q := "?_pragma=foreign_keys(1)&_pragma=busy_timeout(15000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		db, err = gorm.Open(sqlite.Dialector{DriverName: "sqlite", DSN: "file:" + path + q}, cfg)
	default:
		return nil, fmt.Errorf("open database: unsupported DSN %q (want postgres://... or sqlite:PATH)", redactDSN(dsn))
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	if err := guardText(db); err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	if dialect == "sqlite" {
		sqlDB.SetMaxOpenConns(4)
	} else {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(10)
	}
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqlDB.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("connect %s database: %w", dialect, err)
	}
	return &Store{DB: db, dialect: dialect}, nil
}

// openPostgres opens a pgx pool whose timestamptz values scan in UTC. By
// default pgx scans them in the process's local zone, so a server run with
// TZ=Asia/Shanghai would answer +08:00 where every other read answers Z.
func openPostgres(dsn string) (*sql.DB, error) {
	conf, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", redactDSN(dsn), err)
	}
	return stdlib.OpenDB(*conf, stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	})), nil
}

// Dialect is "postgres" or "sqlite".
func (s *Store) Dialect() string { return s.dialect }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close closes the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// redactDSN hides the secrets of a DSN for logs and errors.
func redactDSN(dsn string) string { return redact.URL(dsn) }

func (s *Store) log() *slog.Logger { return slog.Default().With("component", "store") }
