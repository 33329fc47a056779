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
	"gorm.io/gorm/clause"

	"github.com/shaobao/shaobao/whistle"
)

// Session is a signed-in browser: only the SHA-256 of its cookie is
// stored, so any API process accepts it and a database leak signs no one in.
type Session struct {
	ID         string    `gorm:"primaryKey;size:40"`
	UserID     string    `gorm:"size:40;not null;index"`
	Hash       string    `gorm:"size:64;not null;uniqueIndex"`
	CreatedAt  time.Time `gorm:"not null"`
	LastSeenAt time.Time `gorm:"not null"`
	// ExpiresAt is the absolute end, however active the session is.
	ExpiresAt time.Time `gorm:"not null;index"`
	Address   string    `gorm:"size:64;not null;default:''"`
	UserAgent string    `gorm:"size:255;not null;default:''"`
}

// AuthEvent is one line of the sign-in audit: who, when, from where, what
// came of it.
type AuthEvent struct {
	ID       uint64    `gorm:"primaryKey;autoIncrement"`
	At       time.Time `gorm:"not null;index"`
	Kind     string    `gorm:"size:16;not null;index"`
	Outcome  string    `gorm:"size:16;not null"`
	UserID   string    `gorm:"size:40;not null;default:''"`
	Username string    `gorm:"size:64;not null;default:'';index"`
	// Actor is who did it: the user, or the admin for a reset or unlock.
	Actor     string `gorm:"size:64;not null;default:''"`
	Address   string `gorm:"size:64;not null;default:''"`
	UserAgent string `gorm:"size:255;not null;default:''"`
}

// TableName keeps the audit under its own name.
func (AuthEvent) TableName() string { return "auth_audit" }

// Audit kinds.
const (
	AuditSignin   = "signin"   // outcomes: success, failure, backoff, locked, lockout
	AuditSignout  = "signout"  // success
	AuditPassword = "password" // changed, reset
	AuditUnlock   = "unlock"   // unlocked
	AuditToken    = "token"    // issued, revoked
)

// AuditKinds lists the kinds GET /admin/audit filters on.
var AuditKinds = []string{AuditSignin, AuditSignout, AuditPassword, AuditUnlock, AuditToken}

// Client is where a request came from, for the audit and the backoff.
type Client struct {
	Address   string
	UserAgent string
	// Actor is the username acting (an admin's own name for a reset).
	Actor string
}

// SessionPolicy is how long sessions live and how sign-in failures back off.
type SessionPolicy struct {
	Idle     time.Duration // a session unused this long ends (sliding)
	Absolute time.Duration // a session ends this long after sign-in, used or not
	// Per user: after FreeFailures failures each attempt waits
	// 2^(n-FreeFailures) s (at most MaxUserWait); at LockAfter the user is
	// locked until an admin unlocks.
	FreeFailures int
	MaxUserWait  time.Duration
	LockAfter    int
	// Per address: at most AddressFailures failures in AddressWindow.
	AddressFailures int
	AddressWindow   time.Duration
}

// DefaultSessionPolicy: 30 minutes idle, 12 hours at most; back off after
// 3 failures, lock at 10; 20 failures per address per 15 minutes.
var DefaultSessionPolicy = SessionPolicy{Idle: 30 * time.Minute, Absolute: 12 * time.Hour,
	FreeFailures: 3, MaxUserWait: 5 * time.Minute, LockAfter: 10, AddressFailures: 20, AddressWindow: 15 * time.Minute}

// SessionSeenResolution is how stale last_seen_at may get before a use
// writes it again: one write a minute, not one per request.
const SessionSeenResolution = time.Minute

// BackoffError refuses a sign-in attempt made too soon; Wait is the
// Retry-After. It unwraps to the rate_limited error users see.
type BackoffError struct {
	Wait time.Duration
	err  *whistle.Error
}

func (e *BackoffError) Error() string { return e.err.Error() }
func (e *BackoffError) Unwrap() error { return e.err }

func backoff(wait time.Duration) error {
	secs := int((wait + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return &BackoffError{Wait: time.Duration(secs) * time.Second,
		err: whistle.Errorf(whistle.ERateLimited, "登录失败次数过多，请 %d 秒后再试", "too many failed sign-ins: try again in %d s", secs)}
}

// errBadCredentials is the one answer for an unknown user, a wrong
// password or a user without one, so none can be told apart.
func errBadCredentials() error {
	return whistle.Errorf(whistle.EUnauthorized, "用户名或密码错误", "wrong username or password")
}

// NewSession is a successful sign-in: the session row, the cookie value
// (shown this once) and whether the password must be changed first.
type NewSession struct {
	Session    Session
	Token      string
	User       User
	MustChange bool
}

// SignIn checks username and password and opens a session. Every attempt
// is audited. It returns a *BackoffError (rate_limited) while the address
// or the user must wait, a forbidden error for a locked or inactive user,
// and an unauthorized error for wrong credentials (the same for an unknown
// user, checked in the same time).
func (s *Store) SignIn(ctx context.Context, username, password string, from Client, p SessionPolicy) (NewSession, error) {
	db := s.DB.WithContext(ctx)
	now := time.Now().UTC()
	ev := AuthEvent{Kind: AuditSignin, Username: truncate(username, 64), Actor: truncate(username, 64), Address: from.Address, UserAgent: truncate(from.UserAgent, 255)}
	record := func(outcome string) {
		ev.Outcome = outcome
		if err := audit(db, ev); err != nil {
			// The answer stands; the lost line is in the log.
			s.log().Error("sign-in audit not written", "err", err, "username", username, "outcome", outcome)
		}
	}
	if wait, err := s.addressWait(db, from.Address, now, p); err != nil {
		return NewSession{}, err
	} else if wait > 0 {
		record("backoff")
		return NewSession{}, backoff(wait)
	}
	u, err := s.UserByUsername(ctx, username)
	if errors.Is(err, whistle.ErrNotFound) {
		_, _ = VerifyPassword(dummyHash, password)
		record("failure")
		return NewSession{}, errBadCredentials()
	}
	if err != nil {
		return NewSession{}, err
	}
	ev.UserID = u.ID
	c, err := s.Credential(ctx, u.ID)
	if err != nil {
		return NewSession{}, err
	}
	if c.LockedAt != nil {
		record("locked")
		return NewSession{}, whistle.Errorf(whistle.EForbidden, "账号已因多次登录失败被锁定，请联系管理员解锁", "the account is locked after repeated failed sign-ins: ask an admin to unlock it")
	}
	if wait := userWait(c, now, p); wait > 0 {
		record("backoff")
		return NewSession{}, backoff(wait)
	}
	ok := false
	if c.PasswordHash != "" {
		if ok, err = VerifyPassword(c.PasswordHash, password); err != nil {
			return NewSession{}, err
		}
	} else {
		_, _ = VerifyPassword(dummyHash, password)
	}
	if !ok {
		locked, err := s.recordFailure(ctx, u.ID, p)
		if err != nil {
			return NewSession{}, err
		}
		record("failure")
		if locked {
			record("lockout")
		}
		return NewSession{}, errBadCredentials()
	}
	if !u.Active {
		record("failure")
		return NewSession{}, whistle.Errorf(whistle.EForbidden, "用户已停用", "the user is disabled")
	}
	ev.Outcome = "success"
	return s.openSession(ctx, u, c, from, p, ev)
}

// openSession opens a session for u, clears its failures and writes ev
// (the successful sign-in) in the same transaction.
func (s *Store) openSession(ctx context.Context, u User, c Credential, from Client, p SessionPolicy, ev AuthEvent) (NewSession, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return NewSession{}, fmt.Errorf("session token: %w", err)
	}
	token := "sbs_" + base64.RawURLEncoding.EncodeToString(raw)
	now := time.Now().UTC() // the session starts now, after the slow hash
	row := Session{ID: uuid.NewString(), UserID: u.ID, Hash: HashToken(token), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(p.Absolute),
		Address: truncate(from.Address, 64), UserAgent: truncate(from.UserAgent, 255)}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The user's ended sessions go now; the rest end on their next use.
		if err := tx.Where("user_id = ? AND (expires_at < ? OR last_seen_at < ?)", u.ID, now, now.Add(-p.Idle)).Delete(&Session{}).Error; err != nil {
			return fmt.Errorf("sweep sessions of %s: %w", u.Username, err)
		}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("open session for %s: %w", u.Username, err)
		}
		if c.Failures > 0 {
			if err := tx.Model(&Credential{}).Where("user_id = ?", u.ID).Updates(map[string]any{"failures": 0, "last_failure_at": nil}).Error; err != nil {
				return fmt.Errorf("clear failures of %s: %w", u.Username, err)
			}
		}
		return audit(tx, ev)
	})
	if err != nil {
		return NewSession{}, err
	}
	return NewSession{Session: row, Token: token, User: u, MustChange: c.MustChange}, nil
}

// userWait is how long the user must wait before the next attempt.
func userWait(c Credential, now time.Time, p SessionPolicy) time.Duration {
	if c.Failures < p.FreeFailures || c.LastFailureAt == nil {
		return 0
	}
	wait := p.MaxUserWait
	if n := c.Failures - p.FreeFailures; n < 20 {
		wait = min(time.Duration(1<<n)*time.Second, p.MaxUserWait)
	}
	return c.LastFailureAt.Add(wait).Sub(now)
}

// addressWait is how long the address must wait: until the oldest of the
// last AddressFailures failures in the window leaves it.
func (s *Store) addressWait(db *gorm.DB, address string, now time.Time, p SessionPolicy) (time.Duration, error) {
	if address == "" || p.AddressFailures <= 0 {
		return 0, nil
	}
	var at []time.Time
	err := db.Model(&AuthEvent{}).Where("address = ? AND kind = ? AND outcome = ? AND at > ?", address, AuditSignin, "failure", now.Add(-p.AddressWindow)).
		Order("at DESC").Limit(p.AddressFailures).Pluck("at", &at).Error
	if err != nil {
		return 0, fmt.Errorf("count failed sign-ins from %s: %w", address, err)
	}
	if len(at) < p.AddressFailures {
		return 0, nil
	}
	return at[len(at)-1].Add(p.AddressWindow).Sub(now), nil
}

// recordFailure counts a failed password for the user and locks them at
// p.LockAfter; it reports whether this failure locked them.
func (s *Store) recordFailure(ctx context.Context, userID string, p SessionPolicy) (bool, error) {
	locked := false
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := credentialOf(tx.Clauses(clause.Locking{Strength: "UPDATE"}), userID)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		c.Failures++
		c.LastFailureAt = &now
		if p.LockAfter > 0 && c.Failures >= p.LockAfter && c.LockedAt == nil {
			c.LockedAt = &now
			locked = true
		}
		return saveCredential(tx, c)
	})
	return locked, err
}

// SessionUser resolves a session cookie to its session and active user,
// sliding the idle expiry. It returns an unauthorized error for an unknown,
// idle-expired or expired session (which it deletes) or an inactive user.
func (s *Store) SessionUser(ctx context.Context, token string, p SessionPolicy) (Session, User, bool, error) {
	db := s.DB.WithContext(ctx)
	var row Session
	err := db.Where("hash = ?", HashToken(token)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Session{}, User{}, false, whistle.Errorf(whistle.EUnauthorized, "登录已失效，请重新登录", "the session has ended: sign in again")
	}
	if err != nil {
		return Session{}, User{}, false, fmt.Errorf("look up session: %w", err)
	}
	now := time.Now().UTC()
	if now.After(row.ExpiresAt) || now.Sub(row.LastSeenAt) > p.Idle {
		if err := db.Delete(&Session{}, "id = ?", row.ID).Error; err != nil {
			return Session{}, User{}, false, fmt.Errorf("end expired session: %w", err)
		}
		return Session{}, User{}, false, whistle.Errorf(whistle.EUnauthorized, "登录已超时，请重新登录", "the session has expired: sign in again")
	}
	u, err := s.User(ctx, row.UserID)
	if err != nil {
		return Session{}, User{}, false, err
	}
	if !u.Active {
		return Session{}, User{}, false, whistle.Errorf(whistle.EUnauthorized, "用户已停用", "user disabled")
	}
	c, err := s.Credential(ctx, u.ID)
	if err != nil {
		return Session{}, User{}, false, err
	}
	if now.Sub(row.LastSeenAt) >= SessionSeenResolution {
		// The condition repeats in SQL so concurrent requests write once.
		err := db.Model(&Session{}).Where("id = ? AND last_seen_at < ?", row.ID, now.Add(-SessionSeenResolution)).Update("last_seen_at", now).Error
		if err != nil {
			return Session{}, User{}, false, fmt.Errorf("touch session %s: %w", row.ID, err)
		}
		row.LastSeenAt = now
	}
	return row, u, c.MustChange, nil
}

// EndSession deletes the session (sign-out) and audits it; an unknown
// session is no error.
func (s *Store) EndSession(ctx context.Context, sessionID string, u User, from Client) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Delete(&Session{}, "id = ?", sessionID).Error; err != nil {
			return fmt.Errorf("end session: %w", err)
		}
		return audit(tx, AuthEvent{Kind: AuditSignout, Outcome: "success", UserID: u.ID, Username: u.Username, Actor: u.Username, Address: from.Address, UserAgent: from.UserAgent})
	})
}

// CSRFToken is the CSRF token of a session cookie: derived from the
// secret cookie, so every process computes the same one and a page that
// cannot read the cookie cannot forge it.
func CSRFToken(sessionToken string) string {
	sum := sha256.Sum256([]byte("shaobao-csrf\x00" + sessionToken))
	return hex.EncodeToString(sum[:])
}

func audit(db *gorm.DB, ev AuthEvent) error {
	if ev.At.IsZero() {
		ev.At = time.Now().UTC()
	}
	ev.UserAgent = truncate(ev.UserAgent, 255)
	ev.Address = truncate(ev.Address, 64)
	if err := db.Create(&ev).Error; err != nil {
		return fmt.Errorf("write auth audit: %w", err)
	}
	return nil
}

// Audit writes one audit line outside a sign-in (a token issued or revoked).
func (s *Store) Audit(ctx context.Context, ev AuthEvent) error {
	return audit(s.DB.WithContext(ctx), ev)
}

// AuditQuery narrows FindAudit; empty fields do not filter.
type AuditQuery struct {
	Kind, Outcome, Username, Address string
	Since, Until                     *time.Time
	Page                             Page
}

// FindAudit returns audit lines, newest first, and how many match.
func (s *Store) FindAudit(ctx context.Context, q AuditQuery) ([]AuthEvent, int64, error) {
	db := s.DB.WithContext(ctx).Model(&AuthEvent{})
	db = equal(db, "kind", q.Kind)
	db = equal(db, "outcome", q.Outcome)
	db = equal(db, "username", q.Username)
	db = equal(db, "address", q.Address)
	if q.Since != nil {
		db = db.Where("at >= ?", q.Since.UTC())
	}
	if q.Until != nil {
		db = db.Where("at < ?", q.Until.UTC())
	}
	return findCounted[AuthEvent](db, "audit lines", "at DESC, id DESC", q.Page.paginate)
}

// TokenRow is a token with its holder's username, for the admin list.
type TokenRow struct {
	APIToken
	Username string
}

// AllTokens returns every bearer token, newest first, with its holder's
// username, and how many there are; revoked ones only when withRevoked.
func (s *Store) AllTokens(ctx context.Context, withRevoked bool, page Page) ([]TokenRow, int64, error) {
	db := s.DB.WithContext(ctx).Table("api_tokens").Select("api_tokens.*, users.username").Joins("JOIN users ON users.id = api_tokens.user_id")
	if !withRevoked {
		db = db.Where("api_tokens.revoked_at IS NULL")
	}
	return findCounted[TokenRow](db, "tokens", "api_tokens.created_at DESC, api_tokens.id", page.paginate)
}

// RevokeTokenByID revokes one token by id. It returns not_found for an
// unknown id and a conflict error if it is already revoked.
func (s *Store) RevokeTokenByID(ctx context.Context, id string) (APIToken, error) {
	var row APIToken
	if err := take(s.DB.WithContext(ctx).Where("id = ?", id), &row, "token", id); err != nil {
		return APIToken{}, err
	}
	return s.RevokeUserToken(ctx, row.UserID, id)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s[:n])
	// Cutting may split a character: drop the broken tail.
	for len(string(r)) > n || (len(r) > 0 && r[len(r)-1] == '\uFFFD') {
		r = r[:len(r)-1]
	}
	return string(r)
}
