package store

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shaobao/shaobao/whistle"
)

// Credential is a user's password and sign-in state, kept beside the user
// row so the users table and its admin routes stay as they were.
type Credential struct {
	UserID string `gorm:"primaryKey;size:40"`
	// PasswordHash is an argon2id PHC string; empty: no password (tokens only).
	PasswordHash string `gorm:"size:255;not null;default:''"`
	// MustChange: an admin reset the password; a session may do nothing
	// but change it.
	MustChange bool `gorm:"not null;default:false"`
	// Failures counts failed sign-ins since the last success or unlock.
	Failures      int `gorm:"not null;default:0"`
	LastFailureAt *time.Time
	// LockedAt is set after MaxSigninFailures failures; only an admin lifts it.
	LockedAt  *time.Time
	ChangedAt *time.Time
	UpdatedAt time.Time
}

// MinPasswordLength is the shortest password the policy accepts, in characters.
const MinPasswordLength = 10

// DemoPassword is the one documented password of the embedded default's
// demo users; `serve` never sets it.
const DemoPassword = "shaobao-demo"

// argon2id parameters: OWASP's m=19 MiB, t=2, p=1, about 30 ms a hash.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns pw hashed with argon2id under a fresh random salt,
// as a PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the PHC string phc, with the
// parameters phc names (so raising them later keeps old hashes working).
func VerifyPassword(phc, pw string) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("verify password: not an argon2id PHC string")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("verify password: unsupported argon2 version %q", parts[2])
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 {
		return false, fmt.Errorf("verify password: bad argon2 parameters %q", parts[3])
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("verify password: salt: %w", err)
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, fmt.Errorf("verify password: hash: %v", err)
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against when the username is unknown, so an
// unknown name costs the same time as a wrong password.
var dummyHash = func() string {
	h, err := HashPassword("not a password of anyone")
	if err != nil {
		panic(err)
	}
	return h
}()

// CheckPasswordPolicy returns an invalid error when pw is too short
// (MinPasswordLength characters), only digits, or the username itself.
func CheckPasswordPolicy(username, pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordLength {
		return whistle.Errorf(whistle.EInvalid, "密码至少 %d 个字符", "the password needs at least %d characters", MinPasswordLength)
	}
	if utf8.RuneCountInString(pw) > 128 {
		return whistle.Errorf(whistle.EInvalid, "密码至多 128 个字符", "the password may have at most 128 characters")
	}
	if strings.EqualFold(strings.TrimSpace(pw), username) {
		return whistle.Errorf(whistle.EInvalid, "密码不能与用户名相同", "the password must not be the username")
	}
	if strings.IndexFunc(pw, func(r rune) bool { return !unicode.IsDigit(r) }) < 0 {
		return whistle.Errorf(whistle.EInvalid, "密码不能全是数字", "the password must not be only digits")
	}
	return nil
}

// Credential returns the user's credential row; a user who never had a
// password has a zero one (with UserID set).
func (s *Store) Credential(ctx context.Context, userID string) (Credential, error) {
	return credentialOf(s.DB.WithContext(ctx), userID)
}

func credentialOf(db *gorm.DB, userID string) (Credential, error) {
	var c Credential
	err := db.Where("user_id = ?", userID).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Credential{UserID: userID}, nil
	}
	if err != nil {
		return Credential{}, fmt.Errorf("load credential of user %s: %w", userID, err)
	}
	return c, nil
}

// saveCredential writes c whole (insert or update).
func saveCredential(tx *gorm.DB, c Credential) error {
	c.UpdatedAt = time.Now().UTC()
	err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "user_id"}}, UpdateAll: true}).Create(&c).Error
	if err != nil {
		return fmt.Errorf("save credential of user %s: %w", c.UserID, err)
	}
	return nil
}

// SetPassword checks pw against the policy and stores it for the user.
// mustChange makes the user change it at next sign-in. The user's sign-in
// failures and lockout are cleared. It returns not_found for an unknown user.
func (s *Store) SetPassword(ctx context.Context, userID, pw string, mustChange bool) error {
	u, err := s.User(ctx, userID)
	if err != nil {
		return err
	}
	if err := CheckPasswordPolicy(u.Username, pw); err != nil {
		return err
	}
	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return setHash(tx, userID, hash, mustChange)
	})
}

func setHash(tx *gorm.DB, userID, hash string, mustChange bool) error {
	c, err := credentialOf(tx, userID)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	c.PasswordHash, c.MustChange, c.ChangedAt = hash, mustChange, &now
	c.Failures, c.LastFailureAt, c.LockedAt = 0, nil, nil
	return saveCredential(tx, c)
}

// ResetPassword is an admin's reset: it sets pw (policy-checked), forces a
// change at next sign-in, lifts any lockout, ends the user's sessions and
// audits it. It returns not_found for an unknown user.
func (s *Store) ResetPassword(ctx context.Context, userID, pw string, by Client) (User, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return User{}, err
	}
	if err := CheckPasswordPolicy(u.Username, pw); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(pw)
	if err != nil {
		return User{}, err
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := setHash(tx, userID, hash, true); err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", userID).Delete(&Session{}).Error; err != nil {
			return fmt.Errorf("end sessions of user %s: %w", userID, err)
		}
		return audit(tx, AuthEvent{Kind: AuditPassword, Outcome: "reset", UserID: u.ID, Username: u.Username, Actor: by.Actor, Address: by.Address, UserAgent: by.UserAgent})
	})
	return u, err
}

// ChangePassword is the user's own change: old must match, new must pass
// the policy and differ from old. It clears MustChange and ends the user's
// other sessions (keepSession stays; "" ends them all). It returns an
// invalid error for a wrong old password.
func (s *Store) ChangePassword(ctx context.Context, userID, old, new, keepSession string, from Client) error {
	u, err := s.User(ctx, userID)
	if err != nil {
		return err
	}
	c, err := s.Credential(ctx, userID)
	if err != nil {
		return err
	}
	ok := false
	if c.PasswordHash != "" {
		if ok, err = VerifyPassword(c.PasswordHash, old); err != nil {
			return err
		}
	}
	if !ok {
		return whistle.Errorf(whistle.EInvalid, "原密码不正确", "the current password is wrong")
	}
	if old == new {
		return whistle.Errorf(whistle.EInvalid, "新密码不能与原密码相同", "the new password must differ from the current one")
	}
	if err := CheckPasswordPolicy(u.Username, new); err != nil {
		return err
	}
	hash, err := HashPassword(new)
	if err != nil {
		return err
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := setHash(tx, userID, hash, false); err != nil {
			return err
		}
		if err := tx.Where("user_id = ? AND id <> ?", userID, keepSession).Delete(&Session{}).Error; err != nil {
			return fmt.Errorf("end other sessions of user %s: %w", userID, err)
		}
		return audit(tx, AuthEvent{Kind: AuditPassword, Outcome: "changed", UserID: u.ID, Username: u.Username, Actor: u.Username, Address: from.Address, UserAgent: from.UserAgent})
	})
}

// Unlock lifts a user's lockout and clears their failures, audited with
// the admin who did it. It returns not_found for an unknown user and a
// conflict error when the user is not locked.
func (s *Store) Unlock(ctx context.Context, userID string, by Client) (User, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return User{}, err
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := credentialOf(tx.Clauses(clause.Locking{Strength: "UPDATE"}), userID)
		if err != nil {
			return err
		}
		if c.LockedAt == nil && c.Failures == 0 {
			return whistle.Errorf(whistle.EConflict, "该用户未被锁定：%s", "the user is not locked: %s", u.Username)
		}
		c.Failures, c.LastFailureAt, c.LockedAt = 0, nil, nil
		if err := saveCredential(tx, c); err != nil {
			return err
		}
		return audit(tx, AuthEvent{Kind: AuditUnlock, Outcome: "unlocked", UserID: u.ID, Username: u.Username, Actor: by.Actor, Address: by.Address, UserAgent: by.UserAgent})
	})
	return u, err
}

// SetDemoPasswords gives every demo user without a password DemoPassword
// (the embedded default only), and returns how many it set.
func (s *Store) SetDemoPasswords(ctx context.Context) (int, error) {
	n := 0
	for _, d := range DemoUsers {
		u, err := s.UserByUsername(ctx, d.Username)
		if errors.Is(err, whistle.ErrNotFound) {
			continue
		}
		if err != nil {
			return n, err
		}
		c, err := s.Credential(ctx, u.ID)
		if err != nil {
			return n, err
		}
		if c.PasswordHash != "" {
			continue
		}
		if err := s.SetPassword(ctx, u.ID, DemoPassword, false); err != nil {
			return n, fmt.Errorf("demo password of %s: %w", u.Username, err)
		}
		n++
	}
	return n, nil
}

// CreateAdmin creates an active admin at the root org unit (made if the
// database has none yet: the city, 110000) with password pw. It returns a
// conflict error if the username is taken and an invalid error for a
// password the policy refuses.
func (s *Store) CreateAdmin(ctx context.Context, username, displayName, pw string) (User, error) {
	if err := CheckPasswordPolicy(username, pw); err != nil {
		return User{}, err
	}
	var root OrgUnit
	err := s.DB.WithContext(ctx).Where("parent_id IS NULL").Order("id").Take(&root).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		root = OrgUnit{ID: "110000", Kind: string(whistle.OrgCity), Name: "本市", NameEN: "City", Path: "/110000/", Depth: pathDepth("/110000/")}
		err = s.DB.WithContext(ctx).Create(&root).Error
	}
	if err != nil {
		return User{}, fmt.Errorf("root org unit: %w", err)
	}
	if displayName == "" {
		displayName = "系统管理员"
	}
	u, err := s.CreateUser(ctx, NewUser{Username: username, DisplayName: displayName, Role: whistle.RoleAdmin, OrgUnitID: root.ID})
	if err != nil {
		return User{}, err
	}
	if err := s.SetPassword(ctx, u.ID, pw, false); err != nil {
		return User{}, err
	}
	return u, nil
}

// HasAdmin reports whether any active admin exists.
func (s *Store) HasAdmin(ctx context.Context) (bool, error) {
	var n int64
	if err := s.DB.WithContext(ctx).Model(&User{}).Where("role = ? AND active = ?", whistle.RoleAdmin, true).Count(&n).Error; err != nil {
		return false, fmt.Errorf("count admins: %w", err)
	}
	return n > 0, nil
}
