package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

func TestPasswordPolicy(t *testing.T) {
	tests := []struct {
		name, username, pw string
		ok                 bool
	}{
		{"Good", "c1-secretary", "correct horse", true},
		{"ChineseCountsCharacters", "c1-secretary", "和平里社区书记的密码", true},
		{"TooShort", "c1-secretary", "short-pw", false},
		{"OnlyDigits", "c1-secretary", "12345678901", false},
		{"TheUsername", "c1-secretary1", "C1-Secretary1", false},
		{"TooLong", "c1-secretary", strings.Repeat("x", 129), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := store.CheckPasswordPolicy(tt.username, tt.pw)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckPasswordPolicy(%q, %q) = %v, want ok=%v", tt.username, tt.pw, err, tt.ok)
			}
			if err != nil && whistle.ErrorCode(err) != whistle.EInvalid {
				t.Errorf("code %q, want invalid", whistle.ErrorCode(err))
			}
		})
	}
}

func TestHashPassword(t *testing.T) {
	a, err := store.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := store.HashPassword("correct horse")
	if a == b || !strings.HasPrefix(a, "$argon2id$v=19$m=") {
		t.Fatalf("hashes %q and %q: want distinct argon2id PHC strings (per-hash salt)", a, b)
	}
	if ok, err := store.VerifyPassword(a, "correct horse"); !ok || err != nil {
		t.Errorf("right password: %v, %v", ok, err)
	}
	if ok, err := store.VerifyPassword(a, "correct horsE"); ok || err != nil {
		t.Errorf("wrong password: %v, %v", ok, err)
	}
	for _, bad := range []string{"", "$2a$10$abc", "$argon2id$v=19$m=x$salt$hash", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA"} {
		if _, err := store.VerifyPassword(bad, "x"); err == nil {
			t.Errorf("VerifyPassword(%q) accepted a bad hash", bad)
		}
	}
}

// testPolicy backs off after 2 failures (waits of at most 1 ms, so the
// test need not sleep long) and locks at 4; 3 failures per address.
var testPolicy = store.SessionPolicy{Idle: time.Hour, Absolute: 2 * time.Hour, FreeFailures: 2, MaxUserWait: time.Millisecond, LockAfter: 4,
	AddressFailures: 3, AddressWindow: time.Hour}

func signinStore(t *testing.T, s *store.Store) {
	t.Helper()
	storetest.MustSeedDemo(t, s)
	if n, err := s.SetDemoPasswords(context.Background()); err != nil || n != len(store.DemoUsers) {
		t.Fatalf("SetDemoPasswords = %d, %v; want %d", n, err, len(store.DemoUsers))
	}
}

func TestSignIn(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		signinStore(t, s)
		if n, err := s.SetDemoPasswords(ctx); err != nil || n != 0 {
			t.Fatalf("second SetDemoPasswords = %d, %v; want 0: it never overwrites", n, err)
		}
		from := store.Client{Address: "10.0.0.1", UserAgent: "test"}

		ns, err := s.SignIn(ctx, "c1-secretary", store.DemoPassword, from, testPolicy)
		if err != nil || ns.Token == "" || ns.MustChange || ns.User.Username != "c1-secretary" {
			t.Fatalf("SignIn = %+v, %v", ns, err)
		}
		sess, u, mustChange, err := s.SessionUser(ctx, ns.Token, testPolicy)
		if err != nil || u.Username != "c1-secretary" || mustChange || sess.ID != ns.Session.ID {
			t.Fatalf("SessionUser = %+v, %+v, %v, %v", sess, u, mustChange, err)
		}
		if _, _, _, err := s.SessionUser(ctx, "sbs_forged", testPolicy); whistle.ErrorCode(err) != whistle.EUnauthorized {
			t.Errorf("a forged session: %v, want unauthorized", err)
		}
		if store.CSRFToken(ns.Token) == store.CSRFToken("sbs_other") || len(store.CSRFToken(ns.Token)) != 64 {
			t.Errorf("CSRF tokens must differ per session")
		}

		// Wrong password and unknown user answer the same.
		_, errWrong := s.SignIn(ctx, "s1-police", "wrong password", from, testPolicy)
		_, errUnknown := s.SignIn(ctx, "nobody", "wrong password", store.Client{Address: "10.0.0.9"}, testPolicy)
		if whistle.ErrorCode(errWrong) != whistle.EUnauthorized || whistle.ErrorMessage(errWrong, "en") != whistle.ErrorMessage(errUnknown, "en") {
			t.Fatalf("wrong password %v, unknown user %v: want the same unauthorized answer", errWrong, errUnknown)
		}

		// The second failure makes the next attempt wait; after the wait
		// the failures go on to the lockout, which even the right password
		// does not pass until an admin unlocks.
		other := store.Client{Address: "10.0.0.2"}
		if _, err := s.SignIn(ctx, "s1-police", "wrong again", other, testPolicy); whistle.ErrorCode(err) != whistle.EUnauthorized {
			t.Fatalf("second failure: %v", err)
		}
		slow := testPolicy
		slow.MaxUserWait = time.Hour
		var be *store.BackoffError
		if _, err := s.SignIn(ctx, "s1-police", store.DemoPassword, store.Client{Address: "10.0.0.3"}, slow); !errors.As(err, &be) || be.Wait < time.Second || whistle.ErrorCode(err) != whistle.ERateLimited {
			t.Fatalf("third attempt at once: %v, want a backoff", err)
		}
		for i := 0; i < 2; i++ {
			time.Sleep(5 * time.Millisecond)
			if _, err := s.SignIn(ctx, "s1-police", "wrong", store.Client{Address: "10.0.0.4"}, testPolicy); whistle.ErrorCode(err) != whistle.EUnauthorized {
				t.Fatalf("failure %d: %v", i+3, err)
			}
		}
		time.Sleep(5 * time.Millisecond)
		if _, err := s.SignIn(ctx, "s1-police", store.DemoPassword, store.Client{Address: "10.0.0.5"}, testPolicy); whistle.ErrorCode(err) != whistle.EForbidden {
			t.Fatalf("locked user with the right password: %v, want forbidden", err)
		}
		police, _ := s.UserByUsername(ctx, "s1-police")
		if _, err := s.Unlock(ctx, police.ID, store.Client{Actor: "admin"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Unlock(ctx, police.ID, store.Client{Actor: "admin"}); whistle.ErrorCode(err) != whistle.EConflict {
			t.Errorf("unlock of an unlocked user: %v, want conflict", err)
		}
		if _, err := s.SignIn(ctx, "s1-police", store.DemoPassword, store.Client{Address: "10.0.0.5"}, testPolicy); err != nil {
			t.Fatalf("after unlock: %v", err)
		}

		// Per address: the fourth failure from one address waits, another
		// address does not.
		for i := 0; i < 3; i++ {
			if _, err := s.SignIn(ctx, "ghost", "x", store.Client{Address: "10.9.9.9"}, testPolicy); whistle.ErrorCode(err) != whistle.EUnauthorized {
				t.Fatalf("address failure %d: %v", i+1, err)
			}
		}
		if _, err := s.SignIn(ctx, "c2-secretary", store.DemoPassword, store.Client{Address: "10.9.9.9"}, testPolicy); !errors.As(err, &be) {
			t.Fatalf("fourth attempt from the address: %v, want a backoff", err)
		}
		if _, err := s.SignIn(ctx, "c2-secretary", store.DemoPassword, store.Client{Address: "10.9.9.8"}, testPolicy); err != nil {
			t.Fatalf("another address: %v", err)
		}

		// The audit has each outcome.
		outcomes := map[string]int{}
		rows, total, err := s.FindAudit(ctx, store.AuditQuery{Kind: store.AuditSignin, Page: store.Page{PageSize: 200}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			outcomes[r.Outcome]++
			if r.At.IsZero() || r.Username == "" {
				t.Errorf("audit line without when or who: %+v", r)
			}
		}
		if int64(len(rows)) != total || outcomes["success"] != 3 || outcomes["lockout"] != 1 || outcomes["locked"] != 1 || outcomes["backoff"] != 2 || outcomes["failure"] != 8 {
			t.Errorf("audit outcomes %v (total %d)", outcomes, total)
		}
		unlocks, _, _ := s.FindAudit(ctx, store.AuditQuery{Kind: store.AuditUnlock})
		if len(unlocks) != 1 || unlocks[0].Actor != "admin" || unlocks[0].Username != "s1-police" {
			t.Errorf("unlock audit = %+v", unlocks)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		signinStore(t, s)
		tests := []struct {
			name string
			p    store.SessionPolicy
		}{
			{"Idle", store.SessionPolicy{Idle: 200 * time.Millisecond, Absolute: time.Hour}},
			{"Absolute", store.SessionPolicy{Idle: time.Hour, Absolute: 200 * time.Millisecond}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ns, err := s.SignIn(ctx, "c1-secretary", store.DemoPassword, store.Client{}, tt.p)
				if err != nil {
					t.Fatal(err)
				}
				if _, _, _, err := s.SessionUser(ctx, ns.Token, tt.p); err != nil {
					t.Fatalf("fresh session: %v", err)
				}
				time.Sleep(300 * time.Millisecond)
				if _, _, _, err := s.SessionUser(ctx, ns.Token, tt.p); whistle.ErrorCode(err) != whistle.EUnauthorized {
					t.Fatalf("expired session: %v, want unauthorized", err)
				}
				// Ended for good, whatever the policy says now.
				if _, _, _, err := s.SessionUser(ctx, ns.Token, store.DefaultSessionPolicy); whistle.ErrorCode(err) != whistle.EUnauthorized {
					t.Fatalf("expired session came back: %v", err)
				}
			})
		}
	})
}

func TestResetAndChangePassword(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		signinStore(t, s)
		p := store.DefaultSessionPolicy
		u, _ := s.UserByUsername(ctx, "c1-secretary")
		old, err := s.SignIn(ctx, "c1-secretary", store.DemoPassword, store.Client{}, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ResetPassword(ctx, u.ID, "12345678901", store.Client{Actor: "admin"}); whistle.ErrorCode(err) != whistle.EInvalid {
			t.Fatalf("reset to digits only: %v, want invalid", err)
		}
		if _, err := s.ResetPassword(ctx, "nope", "temporary-pass-1", store.Client{Actor: "admin"}); !errors.Is(err, whistle.ErrNotFound) {
			t.Fatalf("reset of an unknown user: %v", err)
		}
		if _, err := s.ResetPassword(ctx, u.ID, "temporary-pass-1", store.Client{Actor: "admin"}); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := s.SessionUser(ctx, old.Token, p); whistle.ErrorCode(err) != whistle.EUnauthorized {
			t.Errorf("a session from before the reset: %v, want ended", err)
		}
		if _, err := s.SignIn(ctx, "c1-secretary", store.DemoPassword, store.Client{}, p); whistle.ErrorCode(err) != whistle.EUnauthorized {
			t.Fatalf("old password after reset: %v", err)
		}
		a, err := s.SignIn(ctx, "c1-secretary", "temporary-pass-1", store.Client{}, p)
		if err != nil || !a.MustChange {
			t.Fatalf("sign-in after reset = %+v, %v; want must change", a, err)
		}
		b, _ := s.SignIn(ctx, "c1-secretary", "temporary-pass-1", store.Client{}, p)

		for _, tt := range []struct{ name, old, new string }{
			{"WrongOld", "not-the-password", "a-new-password"},
			{"Same", "temporary-pass-1", "temporary-pass-1"},
			{"Policy", "temporary-pass-1", "short"},
		} {
			if err := s.ChangePassword(ctx, u.ID, tt.old, tt.new, a.Session.ID, store.Client{}); whistle.ErrorCode(err) != whistle.EInvalid {
				t.Errorf("%s: %v, want invalid", tt.name, err)
			}
		}
		if err := s.ChangePassword(ctx, u.ID, "temporary-pass-1", "a-new-password", a.Session.ID, store.Client{}); err != nil {
			t.Fatal(err)
		}
		if _, _, mustChange, err := s.SessionUser(ctx, a.Token, p); err != nil || mustChange {
			t.Errorf("the changing session: must change %v, %v; want kept and cleared", mustChange, err)
		}
		if _, _, _, err := s.SessionUser(ctx, b.Token, p); whistle.ErrorCode(err) != whistle.EUnauthorized {
			t.Errorf("the other session: %v, want ended", err)
		}
		got, _, _ := s.FindAudit(ctx, store.AuditQuery{Kind: store.AuditPassword})
		if len(got) != 2 || got[0].Outcome != "changed" || got[1].Outcome != "reset" || got[1].Actor != "admin" {
			t.Errorf("password audit = %+v", got)
		}
	})
}

func TestAdminTokensAndFirstAdmin(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if has, err := s.HasAdmin(ctx); err != nil || has {
			t.Fatalf("HasAdmin on an empty database = %v, %v", has, err)
		}
		if _, err := s.CreateAdmin(ctx, "admin", "", "admin"); whistle.ErrorCode(err) != whistle.EInvalid {
			t.Fatalf("an admin whose password is the username: %v", err)
		}
		u, err := s.CreateAdmin(ctx, "admin", "", "first-admin-pw")
		if err != nil || u.Role != string(whistle.RoleAdmin) {
			t.Fatalf("CreateAdmin = %+v, %v", u, err)
		}
		if has, _ := s.HasAdmin(ctx); !has {
			t.Error("HasAdmin after CreateAdmin = false")
		}
		if _, err := s.SignIn(ctx, "admin", "first-admin-pw", store.Client{}, store.DefaultSessionPolicy); err != nil {
			t.Fatalf("the first admin signs in: %v", err)
		}
		if _, err := s.CreateAdmin(ctx, "admin", "", "first-admin-pw"); whistle.ErrorCode(err) != whistle.EConflict {
			t.Errorf("a second admin named admin: %v, want conflict", err)
		}

		row, _, err := s.IssueUserToken(ctx, u.ID, "hotline", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		rows, total, err := s.AllTokens(ctx, false, store.Page{})
		if err != nil || total != 1 || rows[0].Username != "admin" || rows[0].ID != row.ID {
			t.Fatalf("AllTokens = %+v, %d, %v", rows, total, err)
		}
		if _, err := s.RevokeTokenByID(ctx, row.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RevokeTokenByID(ctx, row.ID); whistle.ErrorCode(err) != whistle.EConflict {
			t.Errorf("revoke twice: %v, want conflict", err)
		}
		if _, err := s.RevokeTokenByID(ctx, "nope"); !errors.Is(err, whistle.ErrNotFound) {
			t.Errorf("revoke unknown: %v", err)
		}
		if _, total, _ := s.AllTokens(ctx, false, store.Page{}); total != 0 {
			t.Errorf("revoked token still listed without revoked: %d", total)
		}
		if _, total, _ := s.AllTokens(ctx, true, store.Page{}); total != 1 {
			t.Errorf("with revoked: %d, want 1", total)
		}
	})
}
