package api_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/shaobao/shaobao/api"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
)

// The identity provider in these tests is zitadel's OpenID provider
// (github.com/zitadel/oidc/v3/pkg/op, a certified implementation) run in
// process with its example storage and login form; Shaobao's side is
// coreos/go-oidc and x/oauth2, so the two ends share no code.

// idpUsers are the provider's accounts: two match demo users by
// username, one matches nobody in Shaobao.
type idpUsers map[string]*storage.User

func (u idpUsers) GetUserByID(id string) *storage.User { return u[id] }
func (u idpUsers) GetUserByUsername(name string) *storage.User {
	for _, x := range u {
		if x.Username == name {
			return x
		}
	}
	return nil
}
func (u idpUsers) ExampleClientID() string { return storage.ServiceUserID }

type ssoWorld struct {
	t        *testing.T
	st       *store.Store
	shaobao  *httptest.Server
	provider *httptest.Server
}

func newSSOWorld(t *testing.T) *ssoWorld {
	t.Helper()
	st := storetest.MustOpenSQLite(t)
	storetest.MustSeedDemo(t, st)
	pol, err := policy.New(context.Background(), st.DB)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := store.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	var shaobaoH, providerH http.Handler
	w := &ssoWorld{t: t, st: st,
		shaobao:  httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { shaobaoH.ServeHTTP(rw, r) })),
		provider: httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { providerH.ServeHTTP(rw, r) }))}
	t.Cleanup(w.shaobao.Close)
	t.Cleanup(w.provider.Close)
	callback := w.shaobao.URL + "/api/v1/auth/oidc/callback"
	users := idpUsers{
		"1": {ID: "1", Username: "c1-secretary", Password: "idp-pass-1", FirstName: "和平里", LastName: "书记", PreferredLanguage: language.Chinese},
		"2": {ID: "2", Username: "stranger", Password: "idp-pass-2", PreferredLanguage: language.Chinese},
		"3": {ID: "3", Username: "s2-police", Password: "idp-pass-3", PreferredLanguage: language.Chinese},
	}
	clients := map[string]*storage.Client{"shaobao": storage.WebClient("shaobao", "client-secret", callback)}
	providerH = exampleop.SetupServer(w.provider.URL, storage.NewStorageWithClients(users, clients), nil, false, op.WithAllowInsecure())
	shaobaoH = (&api.Server{Store: st, Policy: pol, Secrets: sealer, OIDC: api.OIDCConfig{
		Issuer: w.provider.URL, ClientID: "shaobao", ClientSecret: "client-secret", RedirectURL: callback}}).Handler()
	return w
}

// browser is a cookie jar that follows redirects and remembers where it
// went.
type ssoBrowser struct {
	*http.Client
	visited []*url.URL
}

func newSSOBrowser() *ssoBrowser {
	jar, _ := cookiejar.New(nil)
	b := &ssoBrowser{}
	b.Client = &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		b.visited = append(b.visited, r.URL)
		return nil
	}}
	return b
}

var loginFormID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// signIn starts at Shaobao, signs in at the provider's form and returns
// where the browser ended.
func (w *ssoWorld) signIn(b *ssoBrowser, next, username, password string) *url.URL {
	w.t.Helper()
	res, err := b.Get(w.shaobao.URL + "/api/v1/auth/oidc/start?next=" + url.QueryEscape(next))
	if err != nil {
		w.t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := loginFormID.FindSubmatch(page)
	if res.StatusCode != http.StatusOK || m == nil {
		w.t.Fatalf("provider login form: %d %s", res.StatusCode, page)
	}
	res, err = b.PostForm(w.provider.URL+"/login/username", url.Values{"id": {string(m[1])}, "username": {username}, "password": {password}})
	if err != nil {
		w.t.Fatal(err)
	}
	res.Body.Close()
	return res.Request.URL
}

func (w *ssoWorld) sessionUser(b *ssoBrowser) string {
	w.t.Helper()
	res, err := b.Get(w.shaobao.URL + "/api/v1/auth/session")
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return ""
	}
	var v struct {
		Username string `json:"username"`
		Method   string `json:"method"`
	}
	_ = json.NewDecoder(res.Body).Decode(&v)
	return v.Username
}

func TestSingleSignOn(t *testing.T) {
	w := newSSOWorld(t)
	ctx := context.Background()
	u, err := w.st.UserByUsername(ctx, "s2-police")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.st.DB.Model(&store.User{}).Where("id = ?", u.ID).Update("active", false).Error; err != nil {
		t.Fatal(err)
	}

	t.Run("a known user lands on the page asked for, signed in with a cookie session", func(t *testing.T) {
		b := newSSOBrowser()
		end := w.signIn(b, "/app/cases/SB-1?tab=timeline", "c1-secretary", "idp-pass-1")
		if end.Host != strings.TrimPrefix(w.shaobao.URL, "http://") || end.RequestURI() != "/app/cases/SB-1?tab=timeline" {
			t.Fatalf("ended at %s, want the deep link on Shaobao", end)
		}
		if got := w.sessionUser(b); got != "c1-secretary" {
			t.Fatalf("session user %q, want c1-secretary", got)
		}
		var sawPKCE bool
		for _, v := range b.visited {
			if "http://"+v.Host == w.provider.URL && v.Query().Get("redirect_uri") != "" && v.Query().Get("code_challenge_method") == "S256" && v.Query().Get("code_challenge") != "" && v.Query().Get("nonce") != "" {
				sawPKCE = true
			}
		}
		if !sawPKCE {
			t.Fatalf("no authorize request with a S256 code challenge and a nonce among %v", b.visited)
		}
		var ev store.AuthEvent
		if err := w.st.DB.Where("username = ? AND outcome = ?", "c1-secretary", "sso").Take(&ev).Error; err != nil {
			t.Fatalf("sign-in not audited: %v", err)
		}
	})

	refusals := []struct {
		name, username, password, want string
	}{
		{"an account Shaobao does not know is refused, not created", "stranger", "idp-pass-2", "没有对应用户"},
		{"a disabled user is refused", "s2-police", "idp-pass-3", "用户已停用"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			b := newSSOBrowser()
			end := w.signIn(b, "/app/cases", tc.username, tc.password)
			if end.Path != "/app/" || !strings.Contains(end.Query().Get("sso_error"), tc.want) {
				t.Fatalf("ended at %s, want the sign-in page saying %q", end, tc.want)
			}
			if got := w.sessionUser(b); got != "" {
				t.Fatalf("signed in as %q after a refusal", got)
			}
			var n int64
			w.st.DB.Model(&store.User{}).Where("username = ?", "stranger").Count(&n)
			if n != 0 {
				t.Fatal("an unknown account became a user")
			}
			if err := w.st.DB.Where("username = ? AND outcome = ?", tc.username, "sso_refused").Take(&store.AuthEvent{}).Error; err != nil {
				t.Fatalf("refusal not audited: %v", err)
			}
		})
	}

	t.Run("a callback with another state, or from another browser, signs nobody in", func(t *testing.T) {
		b := newSSOBrowser()
		res, err := b.Get(w.shaobao.URL + "/api/v1/auth/oidc/start")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		for _, tc := range []struct {
			name    string
			browser *ssoBrowser
		}{{"forged state", b}, {"no flow cookie", newSSOBrowser()}} {
			res, err := tc.browser.Get(w.shaobao.URL + "/api/v1/auth/oidc/callback?code=stolen&state=forged")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.Request.URL.Path != "/app/" || res.Request.URL.Query().Get("sso_error") == "" {
				t.Fatalf("%s: ended at %s, want the sign-in page with the reason", tc.name, res.Request.URL)
			}
			if got := w.sessionUser(tc.browser); got != "" {
				t.Fatalf("%s: signed in as %q", tc.name, got)
			}
		}
	})

	t.Run("next never leaves the pages", func(t *testing.T) {
		for _, next := range []string{"https://evil.example/", "//evil.example/app/", "/api/v1/cases", "/app/\\evil"} {
			b := newSSOBrowser()
			end := w.signIn(b, next, "c1-secretary", "idp-pass-1")
			if end.Host != strings.TrimPrefix(w.shaobao.URL, "http://") || end.Path != "/app/" {
				t.Fatalf("next %q: ended at %s, want /app/ on Shaobao", next, end)
			}
		}
	})

	t.Run("the sign-in page learns whether single sign-on is on", func(t *testing.T) {
		res, err := http.Get(w.shaobao.URL + "/api/v1/auth/config")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var v struct {
			Password bool `json:"password"`
			SSO      *struct {
				Name     string `json:"name"`
				StartURL string `json:"start_url"`
			} `json:"sso"`
		}
		if err := json.NewDecoder(res.Body).Decode(&v); err != nil || !v.Password || v.SSO == nil || v.SSO.Name != "统一身份认证" {
			t.Fatalf("auth config %+v (%v)", v, err)
		}
	})
}

func TestSingleSignOnOff(t *testing.T) {
	st := storetest.MustOpenSQLite(t)
	pol, err := policy.New(context.Background(), st.DB)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&api.Server{Store: st, Policy: pol}).Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/api/v1/auth/config")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"sso":null`) {
		t.Fatalf("auth config without a provider: %s", body)
	}
	res, err = http.Get(srv.URL + "/api/v1/auth/oidc/start")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("start without a provider: %d, want 404", res.StatusCode)
	}
}
