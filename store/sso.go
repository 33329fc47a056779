package store

import (
	"context"
	"errors"

	"github.com/shaobao/shaobao/whistle"
)

// SignInSSO opens a session for the user the identity provider vouched
// for, found by username. The provider checked the password, so no local
// backoff applies; a locked or disabled user is still refused, and a
// session opened this way never asks for a password change (the user may
// have no local password at all). Every attempt is audited, outcome
// "sso" or "sso_refused".
func (s *Store) SignInSSO(ctx context.Context, username string, from Client, p SessionPolicy) (NewSession, error) {
	ev := AuthEvent{Kind: AuditSignin, Username: truncate(username, 64), Actor: truncate(username, 64), Address: from.Address, UserAgent: truncate(from.UserAgent, 255)}
	refuse := func(err error) (NewSession, error) {
		ev.Outcome = "sso_refused"
		if aerr := audit(s.DB.WithContext(ctx), ev); aerr != nil {
			s.log().Error("sign-in audit not written", "err", aerr, "username", username, "outcome", ev.Outcome)
		}
		return NewSession{}, err
	}
	u, err := s.UserByUsername(ctx, username)
	if errors.Is(err, whistle.ErrNotFound) {
		return refuse(whistle.Errorf(whistle.EForbidden, "统一身份认证的账号「%s」在哨报中没有对应用户，请联系管理员", "the single sign-on account %q has no Shaobao user: ask an admin", username))
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
		return refuse(whistle.Errorf(whistle.EForbidden, "账号已被锁定，请联系管理员解锁", "the account is locked: ask an admin to unlock it"))
	}
	if !u.Active {
		return refuse(whistle.Errorf(whistle.EForbidden, "用户已停用", "the user is disabled"))
	}
	c.MustChange = false
	ev.Outcome = "sso"
	return s.openSession(ctx, u, c, from, p, ev)
}
