package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
)

// DefaultTokenTTL is how long a token lives unless asked otherwise.
const DefaultTokenTTL = 30 * 24 * time.Hour

// HashToken is the stored form of a bearer token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokenUseResolution is how stale api_tokens.last_used_at may get: a token
// used again within it is not written again, so reads do not each write.
const TokenUseResolution = time.Minute

// IssueToken creates a random bearer token for the user and stores only its
// hash. The token itself is returned once and never again. A zero ttl
// means DefaultTokenTTL; a negative one is refused.
func (s *Store) IssueToken(ctx context.Context, userID, name string, ttl time.Duration) (string, error) {
	if ttl < 0 {
		return "", whistle.Errorf(whistle.EInvalid, "令牌有效期必须为正：%s", "token lifetime must be positive: %s", ttl)
	}
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	token := "sb_" + base64.RawURLEncoding.EncodeToString(raw)
	row := APIToken{ID: uuid.NewString(), UserID: userID, Hash: HashToken(token), Name: name, ExpiresAt: time.Now().UTC().Add(ttl)}
	if err := s.DB.WithContext(ctx).Create(&row).Error; err != nil {
		return "", fmt.Errorf("issue token for user %s: %w", userID, err)
	}
	return token, nil
}

// UserByToken returns the active user holding a valid token. It returns an
// unauthorized error for unknown, expired or revoked tokens.
func (s *Store) UserByToken(ctx context.Context, token string) (User, error) {
	var t APIToken
	err := s.DB.WithContext(ctx).Where("hash = ?", HashToken(token)).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return User{}, whistle.Errorf(whistle.EUnauthorized, "令牌无效", "invalid token")
	}
	if err != nil {
		return User{}, fmt.Errorf("look up token: %w", err)
	}
	now := time.Now().UTC()
	if t.RevokedAt != nil {
		return User{}, whistle.Errorf(whistle.EUnauthorized, "令牌已被吊销", "token revoked")
	}
	if now.After(t.ExpiresAt) {
		return User{}, whistle.Errorf(whistle.EUnauthorized, "令牌已过期", "token expired")
	}
	u, err := s.User(ctx, t.UserID)
	if err != nil {
		return User{}, err
	}
	if !u.Active {
		return User{}, whistle.Errorf(whistle.EUnauthorized, "用户已停用", "user disabled")
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= TokenUseResolution {
		// The condition repeats in SQL so concurrent requests write once.
		err := s.DB.WithContext(ctx).Model(&APIToken{}).
			Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", t.ID, now.Add(-TokenUseResolution)).
			Update("last_used_at", now).Error
		if err != nil {
			return User{}, fmt.Errorf("record use of token %s: %w", t.ID, err)
		}
	}
	return u, nil
}

// RevokeToken revokes every token of the user whose hash matches token.
func (s *Store) RevokeToken(ctx context.Context, token string) error {
	now := time.Now().UTC()
	res := s.DB.WithContext(ctx).Model(&APIToken{}).Where("hash = ? AND revoked_at IS NULL", HashToken(token)).Update("revoked_at", now)
	if res.Error != nil {
		return fmt.Errorf("revoke token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return whistle.ErrNotFound
	}
	return nil
}

// RevokeUserTokens revokes all tokens of a user.
func (s *Store) RevokeUserTokens(ctx context.Context, userID string) error {
	now := time.Now().UTC()
	if err := s.DB.WithContext(ctx).Model(&APIToken{}).Where("user_id = ? AND revoked_at IS NULL", userID).Update("revoked_at", now).Error; err != nil {
		return fmt.Errorf("revoke tokens of user %s: %w", userID, err)
	}
	return nil
}

// User returns a user by id, or a not_found error naming it (errors.Is
// whistle.ErrNotFound).
func (s *Store) User(ctx context.Context, id string) (User, error) {
	var u User
	return u, take(s.DB.WithContext(ctx).Where("id = ?", id), &u, "user", id)
}

// UserByUsername returns a user by username, or a not_found error naming
// it (errors.Is whistle.ErrNotFound).
func (s *Store) UserByUsername(ctx context.Context, username string) (User, error) {
	var u User
	return u, take(s.DB.WithContext(ctx).Where("username = ?", username), &u, "user", username)
}

// take loads one row, translating "no row" once into NotFound(what, key),
// which is errors.Is whistle.ErrNotFound.
func take(q *gorm.DB, dest any, what, key string) error {
	err := q.Take(dest).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return NotFound(what, key)
	}
	if err != nil {
		return fmt.Errorf("load %s %s: %w", what, key, err)
	}
	return nil
}

func whatZH(what string) string {
	switch what {
	case "user":
		return "用户"
	case "org unit":
		return "组织"
	case "department":
		return "部门"
	case "case":
		return "案件"
	case "task":
		return "任务"
	case "catalogue item":
		return "事项"
	case "SLA policy":
		return "时限策略"
	case "hotline system":
		return "热线系统"
	case "hotline ticket":
		return "热线工单"
	case "token":
		return "令牌"
	}
	return what
}
