package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
)

// Open311Client is an application (a resident app, a mini program, a
// partner's portal) allowed to file Open311 service requests. Its api_key
// is issued by an admin and stored only as a hash; it files as UserID, so
// the policy decides on that user as on anyone else.
type Open311Client struct {
	ID        string `gorm:"primaryKey;size:40"`
	Name      string `gorm:"size:128;not null"`
	KeyHash   string `gorm:"size:64;not null;uniqueIndex"`
	UserID    string `gorm:"size:40;not null;index"`
	CreatedAt time.Time
	RevokedAt *time.Time
}

// TableName keeps the table name the migration created.
func (Open311Client) TableName() string { return "open311_clients" }

// Open311Request is what Open311 knows of a case beyond the case itself:
// the client that filed it and the media_url it sent, returned as given.
type Open311Request struct {
	CaseID    string `gorm:"primaryKey;size:40"`
	ClientID  string `gorm:"size:40;index"`
	MediaURL  string `gorm:"size:1000"`
	CreatedAt time.Time
}

// TableName keeps the table name the migration created.
func (Open311Request) TableName() string { return "open311_requests" }

// migrateOpen311Clients creates the two Open311 tables. The structs are
// this migration's own snapshot, so a later change to the models above
// does not change what this id created.
func migrateOpen311Clients(tx *gorm.DB) error {
	type open311Client struct {
		ID        string `gorm:"primaryKey;size:40"`
		Name      string `gorm:"size:128;not null"`
		KeyHash   string `gorm:"size:64;not null;uniqueIndex:idx_open311_clients_key_hash"`
		UserID    string `gorm:"size:40;not null;index:idx_open311_clients_user_id"`
		CreatedAt time.Time
		RevokedAt *time.Time
	}
	type open311Request struct {
		CaseID    string `gorm:"primaryKey;size:40"`
		ClientID  string `gorm:"size:40;index:idx_open311_requests_client_id"`
		MediaURL  string `gorm:"size:1000"`
		CreatedAt time.Time
	}
	if err := tx.Table("open311_clients").AutoMigrate(&open311Client{}); err != nil {
		return fmt.Errorf("create open311_clients: %w", err)
	}
	if err := tx.Table("open311_requests").AutoMigrate(&open311Request{}); err != nil {
		return fmt.Errorf("create open311_requests: %w", err)
	}
	return nil
}

func rollbackOpen311Clients(tx *gorm.DB) error {
	if err := tx.Migrator().DropTable("open311_requests", "open311_clients"); err != nil {
		return fmt.Errorf("drop open311 tables: %w", err)
	}
	return nil
}

// CreateOpen311Client issues a client and its api_key for an active user.
// The key is returned once and never again.
func (s *Store) CreateOpen311Client(ctx context.Context, name, userID string) (Open311Client, string, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return Open311Client{}, "", invalidUser(err, userID)
	}
	if !u.Active {
		return Open311Client{}, "", whistle.Errorf(whistle.EInvalid, "用户已停用：%s", "the user is disabled: %s", userID)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Open311Client{}, "", fmt.Errorf("issue open311 key: %w", err)
	}
	key := "o311_" + base64.RawURLEncoding.EncodeToString(raw)
	row := Open311Client{ID: uuid.NewString(), Name: name, KeyHash: HashToken(key), UserID: u.ID, CreatedAt: time.Now().UTC()}
	if err := s.DB.WithContext(ctx).Create(&row).Error; err != nil {
		return Open311Client{}, "", fmt.Errorf("create open311 client %q: %w", name, err)
	}
	return row, key, nil
}

func invalidUser(err error, id string) error {
	if errors.Is(err, whistle.ErrNotFound) {
		return whistle.Errorf(whistle.EInvalid, "没有这个用户 user_id：%s", "no such user_id: %s", id)
	}
	return err
}

// Open311Clients lists every client, revoked ones too, oldest first.
func (s *Store) Open311Clients(ctx context.Context) ([]Open311Client, error) {
	var rows []Open311Client
	if err := s.DB.WithContext(ctx).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list open311 clients: %w", err)
	}
	return rows, nil
}

// RevokeOpen311Client revokes a client's key; revoking it again changes
// nothing. It returns a not_found error for an unknown id.
func (s *Store) RevokeOpen311Client(ctx context.Context, id string) (Open311Client, error) {
	var row Open311Client
	if err := take(s.DB.WithContext(ctx).Where("id = ?", id), &row, "open311 client", id); err != nil {
		return row, err
	}
	if row.RevokedAt != nil {
		return row, nil
	}
	now := time.Now().UTC()
	if err := s.DB.WithContext(ctx).Model(&Open311Client{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", now).Error; err != nil {
		return row, fmt.Errorf("revoke open311 client %s: %w", id, err)
	}
	row.RevokedAt = &now
	return row, nil
}

// Open311ClientByKey returns the client holding key and the active user
// it files as. An unknown or revoked key, or a disabled user, is a
// forbidden error: Open311 answers 403 for a bad api_key.
func (s *Store) Open311ClientByKey(ctx context.Context, key string) (Open311Client, User, error) {
	var row Open311Client
	err := s.DB.WithContext(ctx).Where("key_hash = ?", HashToken(key)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, User{}, whistle.Errorf(whistle.EForbidden, "api_key 无效", "invalid api_key")
	}
	if err != nil {
		return row, User{}, fmt.Errorf("look up open311 key: %w", err)
	}
	if row.RevokedAt != nil {
		return row, User{}, whistle.Errorf(whistle.EForbidden, "api_key 已被吊销", "api_key revoked")
	}
	u, err := s.User(ctx, row.UserID)
	if err != nil {
		return row, User{}, err
	}
	if !u.Active {
		return row, User{}, whistle.Errorf(whistle.EForbidden, "api_key 所属用户已停用", "the api_key's user is disabled")
	}
	return row, u, nil
}

// RecordOpen311Request remembers the client and media_url of a case filed
// through Open311. Recording the same case again keeps the first record
// (an idempotent replay of the filing).
func (s *Store) RecordOpen311Request(ctx context.Context, r Open311Request) error {
	r.CreatedAt = time.Now().UTC()
	var n int64
	if err := s.DB.WithContext(ctx).Model(&Open311Request{}).Where("case_id = ?", r.CaseID).Count(&n).Error; err != nil {
		return fmt.Errorf("look up open311 request %s: %w", r.CaseID, err)
	}
	if n > 0 {
		return nil
	}
	if err := s.DB.WithContext(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("record open311 request %s: %w", r.CaseID, err)
	}
	return nil
}

// open311Media returns the media_url of each of the cases that has one.
func (s *Store) open311Media(ctx context.Context, caseIDs []string) (map[string]string, error) {
	var rows []Open311Request
	if err := s.DB.WithContext(ctx).Where("case_id IN ? AND media_url <> ''", caseIDs).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("media of service requests: %w", err)
	}
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		m[r.CaseID] = r.MediaURL
	}
	return m, nil
}
