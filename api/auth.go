package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// Sign-in with a password (issue 16): a session cookie for the pages, with
// a CSRF token that every state-changing request made with the cookie must
// echo in X-CSRF-Token. Bearer tokens stay for integrations and need none.

const (
	// SessionCookie holds the session secret (HttpOnly).
	SessionCookie = "shaobao_session"
	// CSRFCookie holds the session's CSRF token, readable by the pages.
	CSRFCookie = "shaobao_csrf"
	// CSRFHeader carries the CSRF token on state-changing requests.
	CSRFHeader = "X-CSRF-Token"

	ctxSession = "shaobao.session"
)

// sessionState is what a cookie-authenticated request knows of its session.
type sessionState struct {
	session    store.Session
	user       store.User
	token      string
	mustChange bool
}

// mustChangeAllowed are the routes a session whose password must change
// may still use.
var mustChangeAllowed = map[string]bool{
	"/api/v1/auth/password": true,
	"/api/v1/auth/logout":   true,
	"/api/v1/auth/session":  true,
}

func (s *Server) sessionPolicy() store.SessionPolicy {
	if s.Sessions.Idle == 0 {
		return store.DefaultSessionPolicy
	}
	return s.Sessions
}

// authenticateSession signs the caller in by the session cookie; it
// reports false after failing the request.
func (s *Server) authenticateSession(c *gin.Context, cookie string) bool {
	sess, u, mustChange, err := s.Store.SessionUser(c.Request.Context(), cookie, s.sessionPolicy())
	if err != nil {
		if whistle.ErrorCode(err) == whistle.EUnauthorized {
			s.clearCookies(c)
		}
		fail(c, err)
		return false
	}
	a := actorOf(u)
	c.Set(ctxCaller, signedIn{actor: a, displayName: u.DisplayName})
	c.Set(ctxSession, sessionState{session: sess, user: u, token: cookie, mustChange: mustChange})
	c.Set(ctxLogger, logger(c).With("user", a.Username))
	if !safeMethod(c.Request.Method) {
		got := c.GetHeader(CSRFHeader)
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(store.CSRFToken(cookie))) != 1 {
			fail(c, whistle.Errorf(whistle.EForbidden, "缺少或错误的 CSRF 令牌：使用登录会话的修改请求须带 X-CSRF-Token 头", "missing or wrong CSRF token: a state-changing request made with the session cookie must send the X-CSRF-Token header"))
			return false
		}
	}
	if mustChange && !mustChangeAllowed[c.FullPath()] {
		fail(c, whistle.Errorf(whistle.EForbidden, "管理员已重置您的密码，请先修改密码", "an admin reset your password: change it first (POST /api/v1/auth/password)"))
		return false
	}
	return true
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func currentSession(c *gin.Context) (sessionState, bool) {
	v, ok := c.Get(ctxSession)
	if !ok {
		return sessionState{}, false
	}
	return v.(sessionState), true
}

// clientOf is where the request came from, for the audit and the backoff.
func clientOf(c *gin.Context) store.Client {
	cl := store.Client{Address: c.ClientIP(), UserAgent: c.Request.UserAgent()}
	if v, ok := c.Get(ctxCaller); ok {
		cl.Actor = v.(signedIn).actor.Username
	}
	return cl
}

// secure reports whether cookies must be Secure: over TLS, or when the
// public address is https (TLS ends at a proxy).
func (s *Server) secure(c *gin.Context) bool {
	return c.Request.TLS != nil || s.SecureCookies
}

func (s *Server) setCookies(c *gin.Context, token string, maxAge time.Duration) {
	secs := int(maxAge / time.Second)
	http.SetCookie(c.Writer, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", MaxAge: secs, HttpOnly: true, Secure: s.secure(c), SameSite: http.SameSiteLaxMode})
	http.SetCookie(c.Writer, &http.Cookie{Name: CSRFCookie, Value: store.CSRFToken(token), Path: "/", MaxAge: secs, Secure: s.secure(c), SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearCookies(c *gin.Context) {
	for _, name := range []string{SessionCookie, CSRFCookie} {
		http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: name == SessionCookie, Secure: s.secure(c), SameSite: http.SameSiteLaxMode})
	}
}

// sessionView is a session as the sign-in answers show it.
type sessionView struct {
	// Method is "session" (the cookie) or "token" (a bearer token).
	Method      string       `json:"method"`
	UserID      string       `json:"user_id"`
	Username    string       `json:"username"`
	DisplayName string       `json:"display_name"`
	Role        whistle.Role `json:"role"`
	// CSRFToken goes in X-CSRF-Token on every state-changing request.
	CSRFToken          string     `json:"csrf_token,omitempty"`
	MustChangePassword bool       `json:"must_change_password"`
	ExpiresAt          *time.Time `json:"expires_at,omitempty"`
	IdleTimeoutSeconds int        `json:"idle_timeout_seconds,omitempty"`
}

func (s *Server) viewOf(sess store.Session, u store.User, token string, mustChange bool) sessionView {
	exp := sess.ExpiresAt.UTC()
	return sessionView{Method: "session", UserID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: whistle.Role(u.Role),
		CSRFToken: store.CSRFToken(token), MustChangePassword: mustChange, ExpiresAt: &exp, IdleTimeoutSeconds: int(s.sessionPolicy().Idle / time.Second)}
}

type loginRequest struct {
	Username string `json:"username" binding:"required,max=64"`
	Password string `json:"password" binding:"required,max=128"`
}

// login checks a username and password and opens a session: the cookie,
// the CSRF token (answer and readable cookie). Failures back off per user
// and per address (429 with Retry-After); a locked user is refused 403.
func (s *Server) login(c *gin.Context) {
	var req loginRequest
	if err := bindStrict(c, &req); err != nil {
		fail(c, err)
		return
	}
	p := s.sessionPolicy()
	ns, err := s.Store.SignIn(c.Request.Context(), req.Username, req.Password, clientOf(c), p)
	if err != nil {
		var be *store.BackoffError
		if errors.As(err, &be) {
			c.Header("Retry-After", strconv.Itoa(int(be.Wait/time.Second)))
		}
		fail(c, err)
		return
	}
	s.setCookies(c, ns.Token, p.Absolute)
	c.Set(ctxLogger, logger(c).With("user", ns.User.Username))
	logger(c).Info("signed in", "session_id", ns.Session.ID, "must_change_password", ns.MustChange)
	c.JSON(http.StatusOK, s.viewOf(ns.Session, ns.User, ns.Token, ns.MustChange))
}

// logout ends the cookie's session and clears the cookies; with a bearer
// token there is no session to end.
func (s *Server) logout(c *gin.Context) {
	if st, ok := currentSession(c); ok {
		if err := s.Store.EndSession(c.Request.Context(), st.session.ID, st.user, clientOf(c)); err != nil {
			fail(c, err)
			return
		}
		logger(c).Info("signed out", "session_id", st.session.ID)
	}
	s.clearCookies(c)
	c.Status(http.StatusNoContent)
}

// session answers who is signed in and how, with the CSRF token of a
// cookie session (the pages read it after a reload).
func (s *Server) session(c *gin.Context) {
	if st, ok := currentSession(c); ok {
		c.JSON(http.StatusOK, s.viewOf(st.session, st.user, st.token, st.mustChange))
		return
	}
	a := caller(c)
	c.JSON(http.StatusOK, sessionView{Method: "token", UserID: a.UserID, Username: a.Username, DisplayName: callerName(c), Role: a.Role})
}

type changePasswordRequest struct {
	Old string `json:"old" binding:"required,max=128"`
	New string `json:"new" binding:"required,max=128"`
}

// changePassword changes the caller's own password; the caller's other
// sessions end, this one stays.
func (s *Server) changePassword(c *gin.Context) {
	var req changePasswordRequest
	if err := bindStrict(c, &req); err != nil {
		fail(c, err)
		return
	}
	keep := ""
	if st, ok := currentSession(c); ok {
		keep = st.session.ID
	}
	err := s.Store.ChangePassword(c.Request.Context(), caller(c).UserID, req.Old, req.New, keep, clientOf(c))
	noContent(c, err, "password changed")
}

type resetPasswordRequest struct {
	Password string `json:"password" binding:"required,max=128"`
}

// resetPassword is an admin's reset: the user must change the password at
// next sign-in; their sessions end and any lockout is lifted.
func (s *Server) resetPassword(c *gin.Context) {
	var req resetPasswordRequest
	if err := bindStrict(c, &req); err != nil {
		fail(c, err)
		return
	}
	var u store.User
	err := s.audited(c, store.Change{Action: store.ActionReset, Kind: "credential", ObjectID: c.Param("id")}, func(tx *store.Store) (string, error) {
		var err error
		u, err = tx.ResetPassword(c.Request.Context(), c.Param("id"), req.Password, clientOf(c))
		return "", err
	})
	noContent(c, err, "password reset", "target_user", u.Username)
}

// unlockUser lifts a lockout after repeated failed sign-ins.
func (s *Server) unlockUser(c *gin.Context) {
	var u store.User
	err := s.audited(c, store.Change{Action: store.ActionUnlock, Kind: "credential", ObjectID: c.Param("id")}, func(tx *store.Store) (string, error) {
		var err error
		u, err = tx.Unlock(c.Request.Context(), c.Param("id"), clientOf(c))
		return "", err
	})
	noContent(c, err, "user unlocked", "target_user", u.Username)
}

// auditView is one line of the sign-in audit.
type auditView struct {
	ID        uint64    `json:"id"`
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"`
	Outcome   string    `json:"outcome"`
	UserID    string    `json:"user_id,omitempty"`
	Username  string    `json:"username"`
	Actor     string    `json:"actor,omitempty"`
	Address   string    `json:"address"`
	UserAgent string    `json:"user_agent,omitempty"`
}

func toAuditView(e store.AuthEvent) auditView {
	return auditView{ID: e.ID, At: e.At.UTC(), Kind: e.Kind, Outcome: e.Outcome, UserID: e.UserID, Username: e.Username, Actor: e.Actor,
		Address: e.Address, UserAgent: e.UserAgent}
}

// adminTokenView is a bearer token in the admin list: its holder, never
// its secret (only in the answer that issued it).
type adminTokenView struct {
	tokenView
	Username string `json:"username"`
}

func toAdminTokenView(t store.TokenRow) adminTokenView {
	return adminTokenView{tokenView: toTokenView(t.APIToken), Username: t.Username}
}

func (s *Server) listAllTokens(c *gin.Context) {
	q := &queryReader{c: c}
	revoked := q.bool("revoked")
	page := q.page()
	if q.failed() {
		return
	}
	rows, total, err := s.Store.AllTokens(c.Request.Context(), revoked != nil && *revoked, page)
	answerPage(c, rows, total, page, err, toAdminTokenView)
}

type createTokenRequest struct {
	UserID    string    `json:"user_id" binding:"required,max=40"`
	Name      string    `json:"name" binding:"required,max=64"`
	ExpiresAt time.Time `json:"expires_at" binding:"required"`
}

// createToken issues a bearer token for an integration; the answer holds
// the token, this once.
func (s *Server) createToken(c *gin.Context) {
	applyBody(c, http.StatusCreated, func(ctx context.Context, req *createTokenRequest) (adminTokenView, error) {
		name, err := requiredText("name", req.Name)
		if err != nil {
			return adminTokenView{}, err
		}
		ttl := time.Until(req.ExpiresAt)
		if ttl <= time.Minute || ttl > maxTokenTTL {
			return adminTokenView{}, whistle.Errorf(whistle.EInvalid, "expires_at 须在将来且不超过 365 天", "expires_at must be in the future and within 365 days")
		}
		var (
			row   store.APIToken
			token string
			u     store.User
		)
		err = s.audited(c, store.Change{Action: store.ActionCreate, Kind: "api_token"}, func(tx *store.Store) (string, error) {
			var err error
			if row, token, err = tx.IssueUserToken(ctx, req.UserID, name, ttl); err != nil {
				return "", err
			}
			if u, err = tx.User(ctx, row.UserID); err != nil {
				return "", err
			}
			by := clientOf(c)
			return row.ID, tx.Audit(ctx, store.AuthEvent{Kind: store.AuditToken, Outcome: "issued", UserID: u.ID, Username: u.Username, Actor: by.Actor, Address: by.Address, UserAgent: by.UserAgent})
		})
		if err != nil {
			return adminTokenView{}, err
		}
		logger(c).Info("token issued", "target_user", u.Username, "token_id", row.ID, "expires_at", row.ExpiresAt)
		v := toAdminTokenView(store.TokenRow{APIToken: row, Username: u.Username})
		v.Token = token
		return v, nil
	})
}

func (s *Server) deleteToken(c *gin.Context) {
	ctx := c.Request.Context()
	var row store.APIToken
	err := s.audited(c, store.Change{Action: store.ActionRevoke, Kind: "api_token", ObjectID: c.Param("id")}, func(tx *store.Store) (string, error) {
		var err error
		if row, err = tx.RevokeTokenByID(ctx, c.Param("id")); err != nil {
			return "", err
		}
		u, err := tx.User(ctx, row.UserID)
		if err != nil {
			return "", err
		}
		by := clientOf(c)
		return "", tx.Audit(ctx, store.AuthEvent{Kind: store.AuditToken, Outcome: "revoked", UserID: u.ID, Username: u.Username, Actor: by.Actor, Address: by.Address, UserAgent: by.UserAgent})
	})
	noContent(c, err, "token revoked", "token_id", row.ID, "target_user_id", row.UserID)
}
