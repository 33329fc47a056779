package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// The store's boundary for text: every string it sends to the database is
// valid UTF-8 without NUL. PostgreSQL refuses both ("invalid byte sequence
// for encoding UTF8: 0x00"), and a projection that can never be written
// wedges its case forever. The API refuses such text; this catches what
// reaches the store another way (cases filed before that check, a path
// id, a caller that forgets), replacing what PostgreSQL would refuse
// with U+FFFD.

// textSafeConn sends text-safe arguments through a pool or a transaction.
type textSafeConn struct{ gorm.ConnPool }

func (c textSafeConn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.ConnPool.ExecContext(ctx, query, safeArgs(args)...)
}

func (c textSafeConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.ConnPool.QueryContext(ctx, query, safeArgs(args)...)
}

func (c textSafeConn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return c.ConnPool.QueryRowContext(ctx, query, safeArgs(args)...)
}

// textSafePool is the connection pool with every argument made text-safe.
type textSafePool struct {
	textSafeConn
	db *sql.DB
}

// guardText makes db send only text-safe arguments, in and out of
// transactions.
func guardText(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	p := &textSafePool{textSafeConn: textSafeConn{db.ConnPool}, db: sqlDB}
	db.ConnPool = p
	db.Statement.ConnPool = p
	return nil
}

// BeginTx starts a transaction whose statements are text-safe too (gorm
// calls it through gorm.ConnPoolBeginner).
func (p *textSafePool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	tx, err := p.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &textSafeTx{textSafeConn: textSafeConn{tx}, tx: tx, db: p.db}, nil
}

// GetDBConn lets gorm's DB() find the pool (gorm.GetDBConnector).
func (p *textSafePool) GetDBConn() (*sql.DB, error) { return p.db, nil }

// textSafeTx is a transaction with every argument made text-safe.
type textSafeTx struct {
	textSafeConn
	tx *sql.Tx
	db *sql.DB
}

func (t *textSafeTx) Commit() error   { return t.tx.Commit() }
func (t *textSafeTx) Rollback() error { return t.tx.Rollback() }

// GetDBConn lets gorm's DB() find the pool inside a transaction.
func (t *textSafeTx) GetDBConn() (*sql.DB, error) { return t.db, nil }

// safeArgs returns args with every string made text-safe, copying only
// when one must change.
func safeArgs(args []any) []any {
	var out []any
	for i, a := range args {
		v, changed := safeArg(a)
		if !changed {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = v
	}
	if out == nil {
		return args
	}
	return out
}

func safeArg(a any) (any, bool) {
	switch v := a.(type) {
	case nil, bool, int, int64, int32, float64, time.Time, *time.Time, []byte, driver.Valuer:
		return a, false
	case string:
		if s := SafeText(v); s != v {
			return s, true
		}
		return a, false
	case *string:
		if v != nil {
			if s := SafeText(*v); s != *v {
				return s, true
			}
		}
		return a, false
	}
	// Named string types (whistle.Class and the like).
	if rv := reflect.ValueOf(a); rv.Kind() == reflect.String {
		if s := SafeText(rv.String()); s != rv.String() {
			return s, true
		}
	}
	return a, false
}

// SafeText returns s as valid UTF-8 without NUL: each NUL and each run of
// invalid bytes becomes U+FFFD; s itself comes back when it is already so.
func SafeText(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
