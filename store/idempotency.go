package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// IdempotencyKey is one Idempotency-Key a user sent with a state-changing
// request: what it was bound to (route, target, body digest) and, once
// answered, the answer to replay. Status 0 means still in flight.
type IdempotencyKey struct {
	UserID      string `gorm:"primaryKey;size:40"`
	Key         string `gorm:"column:idem_key;primaryKey;size:255"`
	Route       string `gorm:"size:255;not null"` // method and route pattern: "POST /api/v1/tasks/:id/report"
	Target      string `gorm:"size:512;not null"` // path parameters: "id=SB…-T1"
	BodyHash    string `gorm:"size:64;not null"`  // hex SHA-256 of the request body
	Claim       string `gorm:"size:32;not null"`  // random id of the request holding the key
	Status      int    `gorm:"not null"`
	ContentType string `gorm:"size:128"`
	Body        []byte
	CreatedAt   time.Time `gorm:"not null;index"`
}

// TableName keeps the table name independent of the Go type's.
func (IdempotencyKey) TableName() string { return "idempotency_keys" }

// InFlight reports whether the request that claimed the key has not been
// answered yet.
func (k IdempotencyKey) InFlight() bool { return k.Status == 0 }

// SameRequest reports whether o is the request k was first used for: the
// same route, target and body.
func (k IdempotencyKey) SameRequest(o IdempotencyKey) bool {
	return k.Route == o.Route && k.Target == o.Target && k.BodyHash == o.BodyHash
}

// ClaimIdempotencyKey reserves (k.UserID, k.Key) for the request k
// describes and returns claimed=true with k's Claim set when the caller
// now holds the key: the key is new, older than ttl (expired keys are
// forgotten), or held by the same request for longer than stale (its
// process died before answering). Otherwise it returns the stored key for
// the caller to replay or refuse.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, k IdempotencyKey, ttl, stale time.Duration) (IdempotencyKey, bool, error) {
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return IdempotencyKey{}, false, fmt.Errorf("claim idempotency key: %w", err)
	}
	now := time.Now().UTC()
	k.Claim, k.Status, k.ContentType, k.Body, k.CreatedAt = hex.EncodeToString(raw), 0, "", nil, now
	db := s.DB.WithContext(ctx)
	// A concurrent release can delete the row between the insert and the
	// load: try again a few times.
	for range 3 {
		res := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&k)
		if res.Error != nil {
			return IdempotencyKey{}, false, fmt.Errorf("claim idempotency key of user %s: %w", k.UserID, res.Error)
		}
		if res.RowsAffected == 1 {
			return k, true, nil
		}
		res = db.Model(&IdempotencyKey{}).
			Where("user_id = ? AND idem_key = ?", k.UserID, k.Key).
			Where(db.Where("created_at < ?", now.Add(-ttl)).
				Or("status = 0 AND created_at < ? AND route = ? AND target = ? AND body_hash = ?", now.Add(-stale), k.Route, k.Target, k.BodyHash)).
			Updates(map[string]any{"route": k.Route, "target": k.Target, "body_hash": k.BodyHash, "claim": k.Claim,
				"status": 0, "content_type": "", "body": nil, "created_at": now})
		if res.Error != nil {
			return IdempotencyKey{}, false, fmt.Errorf("reclaim idempotency key of user %s: %w", k.UserID, res.Error)
		}
		if res.RowsAffected == 1 {
			return k, true, nil
		}
		var stored IdempotencyKey
		err := db.Where("user_id = ? AND idem_key = ?", k.UserID, k.Key).Take(&stored).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			continue
		}
		if err != nil {
			return IdempotencyKey{}, false, fmt.Errorf("load idempotency key of user %s: %w", k.UserID, err)
		}
		return stored, false, nil
	}
	return IdempotencyKey{}, false, fmt.Errorf("claim idempotency key of user %s: the key keeps changing hands", k.UserID)
}

// FinishIdempotencyKey stores the answer of the request holding k, so a
// retry replays it. It does nothing when k's claim was lost (reclaimed as
// stale).
func (s *Store) FinishIdempotencyKey(ctx context.Context, k IdempotencyKey, status int, contentType string, body []byte) error {
	err := s.DB.WithContext(ctx).Model(&IdempotencyKey{}).
		Where("user_id = ? AND idem_key = ? AND claim = ?", k.UserID, k.Key, k.Claim).
		Updates(map[string]any{"status": status, "content_type": contentType, "body": body}).Error
	if err != nil {
		return fmt.Errorf("store the answer of idempotency key of user %s: %w", k.UserID, err)
	}
	return nil
}

// ReleaseIdempotencyKey forgets a key whose request changed nothing (a
// refusal, a failure, a panic), so the client may use it again.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, k IdempotencyKey) error {
	err := s.DB.WithContext(ctx).Where("user_id = ? AND idem_key = ? AND claim = ?", k.UserID, k.Key, k.Claim).
		Delete(&IdempotencyKey{}).Error
	if err != nil {
		return fmt.Errorf("release idempotency key of user %s: %w", k.UserID, err)
	}
	return nil
}

// DeleteIdempotencyKeysBefore deletes the keys created before t (expired)
// and returns how many it deleted.
func (s *Store) DeleteIdempotencyKeysBefore(ctx context.Context, t time.Time) (int64, error) {
	res := s.DB.WithContext(ctx).Where("created_at < ?", t.UTC()).Delete(&IdempotencyKey{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired idempotency keys: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// idempotencyKeysV1 is the idempotency_keys table as migration
// 202612020002 creates it.
type idempotencyKeysV1 struct {
	UserID      string `gorm:"primaryKey;size:40"`
	Key         string `gorm:"column:idem_key;primaryKey;size:255"`
	Route       string `gorm:"size:255;not null"`
	Target      string `gorm:"size:512;not null"`
	BodyHash    string `gorm:"size:64;not null"`
	Claim       string `gorm:"size:32;not null"`
	Status      int    `gorm:"not null"`
	ContentType string `gorm:"size:128"`
	Body        []byte
	CreatedAt   time.Time `gorm:"not null;index:idx_idempotency_keys_created_at"`
}

func (idempotencyKeysV1) TableName() string { return "idempotency_keys" }

func migrateIdempotencyKeys(tx *gorm.DB) error {
	return tx.AutoMigrate(&idempotencyKeysV1{})
}

func rollbackIdempotencyKeys(tx *gorm.DB) error {
	return tx.Migrator().DropTable(&idempotencyKeysV1{})
}
