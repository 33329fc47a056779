package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/shaobao/shaobao/whistle"
)

// Single sign-on through OpenID Connect (issue 16): the authorization code
// flow with PKCE against a government identity provider, mapped onto
// existing users by username. The provider proves who the person is;
// Shaobao still decides what they may do, so an account the provider
// knows but Shaobao does not is refused, never created.

// OIDCConfig configures the identity provider; Issuer "" turns SSO off.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this server's callback as registered at the provider
	// (<public-url>/api/v1/auth/oidc/callback).
	RedirectURL string
	// UsernameClaim names the ID token claim holding the Shaobao username
	// (default preferred_username).
	UsernameClaim string
	// Name labels the sign-in button (default 统一身份认证).
	Name string
}

// oidcFlowCookie carries one sign-in attempt's state, nonce and PKCE
// verifier, sealed, from the start to the callback: several api
// processes need no shared memory, and the state is bound to the browser
// that started (a callback link sent to someone else fails).
const oidcFlowCookie = "shaobao_oidc"

// oidcFlowLifetime bounds how long a person may take at the provider.
const oidcFlowLifetime = 10 * time.Minute

type oidcFlow struct {
	State    string    `json:"s"`
	Nonce    string    `json:"n"`
	Verifier string    `json:"v"`
	Next     string    `json:"x"`
	Expires  time.Time `json:"e"`
}

// oidcClient discovers the provider on first use and again after a failed
// discovery, so a provider that is down at start does not stop the server.
type oidcClient struct {
	cfg OIDCConfig

	mu       sync.Mutex
	provider *oidc.Provider
}

func (o *oidcClient) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover identity provider %s: %w", o.cfg.Issuer, err)
	}
	o.provider = p
	return p, nil
}

func (o *oidcClient) oauth(p *oidc.Provider) oauth2.Config {
	return oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile"}}
}

func (o *oidcClient) name(c *gin.Context) string {
	if o.cfg.Name != "" {
		return o.cfg.Name
	}
	return pick(c, "统一身份认证", "Single sign-on")
}

type authConfigView struct {
	Password bool     `json:"password"`
	SSO      *ssoView `json:"sso"`
}

type ssoView struct {
	Name     string `json:"name"`
	StartURL string `json:"start_url"`
}

// authConfig tells the sign-in page which ways in there are.
func (s *Server) authConfig(c *gin.Context) {
	v := authConfigView{Password: true}
	if s.oidc != nil {
		v.SSO = &ssoView{Name: s.oidc.name(c), StartURL: "/api/v1/auth/oidc/start"}
	}
	c.JSON(http.StatusOK, v)
}

// oidcStart sends the browser to the provider with a fresh state, nonce
// and PKCE challenge; next is the page to open after sign-in.
func (s *Server) oidcStart(c *gin.Context) {
	if s.oidc == nil {
		fail(c, whistle.Errorf(whistle.ENotFound, "未启用统一身份认证", "single sign-on is not configured"))
		return
	}
	if s.Secrets == nil {
		fail(c, whistle.Errorf(whistle.EUnavailable, "统一身份认证需要服务器密钥（--secret-key）", "single sign-on needs the server's secret key (--secret-key)"))
		return
	}
	p, err := s.oidc.discover(c.Request.Context())
	if err != nil {
		logger(c).Error("single sign-on unavailable", "err", err)
		fail(c, whistle.Errorf(whistle.EUnavailable, "统一身份认证暂时不可用，请稍后再试或使用密码登录", "single sign-on is unavailable: try again later or sign in with a password"))
		return
	}
	flow := oidcFlow{State: randomToken(), Nonce: randomToken(), Verifier: oauth2.GenerateVerifier(),
		Next: safeNext(c.Query("next")), Expires: time.Now().Add(oidcFlowLifetime).UTC()}
	raw, _ := json.Marshal(flow)
	sealed, err := s.Secrets.Seal(raw)
	if err != nil {
		fail(c, fmt.Errorf("seal sign-on state: %w", err))
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: oidcFlowCookie, Value: sealed, Path: "/api/v1/auth/oidc/", MaxAge: int(oidcFlowLifetime / time.Second),
		HttpOnly: true, Secure: s.secure(c), SameSite: http.SameSiteLaxMode})
	cfg := s.oidc.oauth(p)
	c.Redirect(http.StatusFound, cfg.AuthCodeURL(flow.State, oidc.Nonce(flow.Nonce), oauth2.S256ChallengeOption(flow.Verifier)))
}

// oidcCallback finishes the flow: the state must match the browser's
// sealed cookie, the code is exchanged with the PKCE verifier, the ID
// token is verified (issuer, audience, expiry, signature, nonce), and the
// username claim must name an active Shaobao user. The browser is then
// sent to the page it asked for, signed in; a refusal lands on the
// sign-in page with the reason.
func (s *Server) oidcCallback(c *gin.Context) {
	refuse := func(err error) {
		logger(c).Warn("single sign-on refused", "err", err)
		c.Redirect(http.StatusFound, "/app/?sso_error="+url.QueryEscape(whistle.ErrorMessage(err, lang(c))))
	}
	if s.oidc == nil || s.Secrets == nil {
		fail(c, whistle.Errorf(whistle.ENotFound, "未启用统一身份认证", "single sign-on is not configured"))
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: oidcFlowCookie, Value: "", Path: "/api/v1/auth/oidc/", MaxAge: -1, HttpOnly: true, Secure: s.secure(c), SameSite: http.SameSiteLaxMode})
	var flow oidcFlow
	// Not c.Cookie: it query-unescapes, and the sealed value's base64 has "+".
	cookie, err := c.Request.Cookie(oidcFlowCookie)
	if err == nil {
		var raw []byte
		if raw, err = s.Secrets.Open(cookie.Value); err == nil {
			err = json.Unmarshal(raw, &flow)
		}
	}
	if err != nil || flow.State == "" || time.Now().After(flow.Expires) {
		refuse(whistle.Errorf(whistle.EInvalid, "登录已超时或不是从本浏览器发起，请重新登录", "the sign-in expired or was not started in this browser: sign in again"))
		return
	}
	if c.Query("state") != flow.State {
		refuse(whistle.Errorf(whistle.EInvalid, "登录状态不符，请重新登录", "the sign-in state does not match: sign in again"))
		return
	}
	if e := c.Query("error"); e != "" {
		refuse(whistle.Errorf(whistle.EForbidden, "统一身份认证未通过：%s", "the identity provider refused: %s", e))
		return
	}
	username, err := s.oidcUsername(c.Request.Context(), c.Query("code"), flow)
	if err != nil {
		refuse(err)
		return
	}
	p := s.sessionPolicy()
	ns, err := s.Store.SignInSSO(c.Request.Context(), username, clientOf(c), p)
	if err != nil {
		refuse(err)
		return
	}
	s.setCookies(c, ns.Token, p.Absolute)
	logger(c).Info("signed in", "user", ns.User.Username, "session_id", ns.Session.ID, "method", "oidc")
	c.Redirect(http.StatusFound, flow.Next)
}

// oidcUsername exchanges the code and returns the verified username.
func (s *Server) oidcUsername(ctx context.Context, code string, flow oidcFlow) (string, error) {
	unavailable := whistle.Errorf(whistle.EUnavailable, "统一身份认证暂时不可用，请稍后再试", "single sign-on is unavailable: try again later")
	p, err := s.oidc.discover(ctx)
	if err != nil {
		return "", errors.Join(unavailable, err)
	}
	cfg := s.oidc.oauth(p)
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(flow.Verifier))
	if err != nil {
		return "", errors.Join(whistle.Errorf(whistle.EForbidden, "统一身份认证未通过，请重新登录", "the identity provider did not confirm the sign-in: sign in again"), err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return "", whistle.Errorf(whistle.EForbidden, "统一身份认证没有返回身份令牌", "the identity provider returned no ID token")
	}
	id, err := p.Verifier(&oidc.Config{ClientID: s.oidc.cfg.ClientID}).Verify(ctx, rawID)
	if err != nil {
		return "", errors.Join(whistle.Errorf(whistle.EForbidden, "身份令牌无效，请重新登录", "the ID token is not valid: sign in again"), err)
	}
	if id.Nonce != flow.Nonce {
		return "", whistle.Errorf(whistle.EForbidden, "身份令牌不属于本次登录，请重新登录", "the ID token belongs to another sign-in: sign in again")
	}
	claims := map[string]any{}
	if err := id.Claims(&claims); err != nil {
		return "", fmt.Errorf("read ID token claims: %w", err)
	}
	claim := s.oidc.cfg.UsernameClaim
	if claim == "" {
		claim = "preferred_username"
	}
	username, _ := claims[claim].(string)
	if username == "" {
		// Providers often put profile claims only in the userinfo answer.
		if info, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
			all := map[string]any{}
			if info.Claims(&all) == nil && all["sub"] == id.Subject {
				username, _ = all[claim].(string)
			}
		}
	}
	if username == "" {
		return "", whistle.Errorf(whistle.EForbidden, "统一身份认证没有提供用户名（%s）", "the identity provider gave no username (%s)", claim)
	}
	return username, nil
}

// safeNext keeps next only when it is one of the pages: never another
// site (an open redirect) and never the API.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/app/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		if u, err := url.Parse(next); err == nil && u.Host == "" && u.Scheme == "" {
			return next
		}
	}
	return "/app/"
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
