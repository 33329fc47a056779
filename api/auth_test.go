package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/api"
	"github.com/shaobao/shaobao/api/openapitest"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
)

// authServer is newServer with the demo password set and the given
// session policy; every exchange is checked against the document.
type authServer struct {
	t   *testing.T
	srv *httptest.Server
	st  *store.Store
	k   *openapitest.Contract
}

func newAuthServer(t *testing.T, p store.SessionPolicy, secure bool) *authServer {
	t.Helper()
	st := storetest.MustOpenSQLite(t)
	storetest.MustSeedDemo(t, st)
	if _, err := st.SetDemoPasswords(context.Background()); err != nil {
		t.Fatal(err)
	}
	pol, err := policy.New(context.Background(), st.DB)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&api.Server{Store: st, Policy: pol, Sessions: p, SecureCookies: secure}).Handler())
	t.Cleanup(srv.Close)
	return &authServer{t: t, srv: srv, st: st, k: openapitest.New(t, srv.URL)}
}

// browser is a signed-in page: its cookies and CSRF token.
type browser struct {
	session, csrf string
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// do sends one request: with b's session cookie (and X-CSRF-Token when
// csrf is set), or with a bearer token tok.
func (a *authServer) do(b *browser, csrf bool, tok, method, path, body string) answer {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if b != nil {
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: b.session})
		if csrf {
			req.Header.Set(api.CSRFHeader, b.csrf)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a.k.Check(req, []byte(body), res.StatusCode, res.Header, raw)
	ans := answer{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &ans.body); err != nil {
			a.t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
	}
	return ans
}

func (a *authServer) want(ans answer, status int, code string) {
	a.t.Helper()
	if ans.status != status {
		a.t.Fatalf("status %d, want %d: %s", ans.status, status, ans.raw)
	}
	if code != "" {
		e, _ := ans.body["error"].(map[string]any)
		if e["code"] != code || e["message"] == "" {
			a.t.Fatalf("error %v, want code %s with a message", ans.body, code)
		}
	}
}

func cookieOf(h http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// login signs in and returns the browser, checking the answer's cookies.
func (a *authServer) login(username, password string) (*browser, answer) {
	a.t.Helper()
	ans := a.do(nil, false, "", "POST", "/api/v1/auth/login", `{"username":"`+username+`","password":"`+password+`"}`)
	a.want(ans, 200, "")
	s, c := cookieOf(ans.header, api.SessionCookie), cookieOf(ans.header, api.CSRFCookie)
	if s == nil || c == nil || ans.body["csrf_token"] != c.Value {
		a.t.Fatalf("login answered cookies %v and body %v", ans.header.Values("Set-Cookie"), ans.body)
	}
	return &browser{session: s.Value, csrf: c.Value}, ans
}

func TestLoginInput(t *testing.T) {
	a := newAuthServer(t, store.DefaultSessionPolicy, false)
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"Empty", ``, 400, "invalid"},
		{"NotJSON", `{"username":`, 400, "invalid"},
		{"NoPassword", `{"username":"c1-secretary"}`, 400, "invalid"},
		{"UnknownField", `{"username":"c1-secretary","password":"x","remember":true}`, 400, "invalid"},
		{"LongPassword", `{"username":"c1-secretary","password":"` + strings.Repeat("x", 129) + `"}`, 400, "invalid"},
		{"WrongPassword", `{"username":"c1-secretary","password":"not-the-password"}`, 401, "unauthorized"},
		{"UnknownUser", `{"username":"nobody","password":"shaobao-demo"}`, 401, "unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ans := a.do(nil, false, "", "POST", "/api/v1/auth/login", tt.body)
			a.want(ans, tt.status, tt.code)
			if cookieOf(ans.header, api.SessionCookie) != nil {
				t.Errorf("a refused sign-in set a session cookie")
			}
		})
	}
}

func TestSessionCookies(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run("Secure="+strconv.FormatBool(secure), func(t *testing.T) {
			a := newAuthServer(t, store.DefaultSessionPolicy, secure)
			_, ans := a.login("c1-secretary", store.DemoPassword)
			s, c := cookieOf(ans.header, api.SessionCookie), cookieOf(ans.header, api.CSRFCookie)
			if !s.HttpOnly || s.SameSite != http.SameSiteLaxMode || s.Secure != secure || s.Path != "/" || s.MaxAge != int((12*time.Hour)/time.Second) {
				t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Secure=%v, Path=/, 12 h", s, secure)
			}
			if c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != secure {
				t.Errorf("CSRF cookie %+v: want readable, SameSite=Lax, Secure=%v", c, secure)
			}
			if ans.body["must_change_password"] != false || ans.body["method"] != "session" || ans.body["username"] != "c1-secretary" || ans.body["idle_timeout_seconds"] != float64(1800) {
				t.Errorf("login answered %v", ans.body)
			}
		})
	}
}

func TestSessionAndCSRF(t *testing.T) {
	a := newAuthServer(t, store.DefaultSessionPolicy, false)
	b, _ := a.login("c1-secretary", store.DemoPassword)
	bearer := token(t, a.st, "c1-secretary")

	a.want(a.do(b, false, "", "GET", "/api/v1/me", ""), 200, "")
	sess := a.do(b, false, "", "GET", "/api/v1/auth/session", "")
	a.want(sess, 200, "")
	if sess.body["csrf_token"] != b.csrf {
		t.Errorf("GET /auth/session csrf_token %v, want the login's", sess.body["csrf_token"])
	}
	a.want(a.do(nil, false, bearer, "GET", "/api/v1/auth/session", ""), 200, "")

	// A state-changing request with the cookie needs the token; a wrong
	// one is refused the same; the bearer token needs none.
	const wrongOld = `{"old":"not-the-password","new":"a-new-password"}`
	a.want(a.do(b, false, "", "POST", "/api/v1/auth/password", wrongOld), 403, "forbidden")
	a.want(a.do(&browser{session: b.session, csrf: strings.Repeat("0", 64)}, true, "", "POST", "/api/v1/auth/password", wrongOld), 403, "forbidden")
	a.want(a.do(b, false, "", "POST", "/api/v1/cases", `{"title":"x"}`), 403, "forbidden")
	a.want(a.do(b, true, "", "POST", "/api/v1/auth/password", wrongOld), 400, "invalid")
	a.want(a.do(nil, false, bearer, "POST", "/api/v1/auth/password", wrongOld), 400, "invalid")
	a.want(a.do(b, true, "", "POST", "/api/v1/auth/password", `{"old":"shaobao-demo"}`), 400, "invalid")

	// Sign-out ends the session and clears the cookies.
	a.want(a.do(b, false, "", "POST", "/api/v1/auth/logout", ""), 403, "forbidden")
	out := a.do(b, true, "", "POST", "/api/v1/auth/logout", "")
	a.want(out, 204, "")
	if c := cookieOf(out.header, api.SessionCookie); c == nil || c.MaxAge >= 0 {
		t.Errorf("logout did not clear the session cookie: %v", out.header.Values("Set-Cookie"))
	}
	a.want(a.do(b, false, "", "GET", "/api/v1/me", ""), 401, "unauthorized")
	a.want(a.do(&browser{session: "sbs_forged"}, false, "", "GET", "/api/v1/me", ""), 401, "unauthorized")
}

func TestLoginBackoffAndLockout(t *testing.T) {
	p := store.DefaultSessionPolicy
	p.FreeFailures, p.MaxUserWait, p.LockAfter = 2, time.Hour, 0
	a := newAuthServer(t, p, false)
	admin := token(t, a.st, "admin")
	bad := `{"username":"s1-police","password":"not-the-password"}`
	for i := 0; i < 2; i++ {
		a.want(a.do(nil, false, "", "POST", "/api/v1/auth/login", bad), 401, "unauthorized")
	}
	ans := a.do(nil, false, "", "POST", "/api/v1/auth/login", `{"username":"s1-police","password":"shaobao-demo"}`)
	a.want(ans, 429, "rate_limited")
	if s, err := strconv.Atoi(ans.header.Get("Retry-After")); err != nil || s < 1 || s > 2 {
		t.Errorf("Retry-After %q, want 1–2 s after the second failure", ans.header.Get("Retry-After"))
	}

	// The lockout: locked at the third failure; an admin lifts it.
	p.MaxUserWait, p.LockAfter = time.Millisecond, 3
	a = newAuthServer(t, p, false)
	admin = token(t, a.st, "admin")
	for i := 0; i < 3; i++ {
		time.Sleep(5 * time.Millisecond)
		a.want(a.do(nil, false, "", "POST", "/api/v1/auth/login", bad), 401, "unauthorized")
	}
	time.Sleep(5 * time.Millisecond)
	a.want(a.do(nil, false, "", "POST", "/api/v1/auth/login", `{"username":"s1-police","password":"shaobao-demo"}`), 403, "forbidden")
	a.want(a.do(nil, false, token(t, a.st, "s1-secretary"), "POST", "/api/v1/admin/users/u-s1-police/unlock", ""), 403, "forbidden")
	a.want(a.do(nil, false, admin, "POST", "/api/v1/admin/users/nope/unlock", ""), 404, "not_found")
	a.want(a.do(nil, false, admin, "POST", "/api/v1/admin/users/u-s1-police/unlock", ""), 204, "")
	a.want(a.do(nil, false, admin, "POST", "/api/v1/admin/users/u-s1-police/unlock", ""), 409, "conflict")
	a.login("s1-police", store.DemoPassword)

	// Every attempt is in the audit, newest first.
	au := a.do(nil, false, admin, "GET", "/api/v1/admin/audit?kind=signin&username=s1-police", "")
	a.want(au, 200, "")
	var outcomes []string
	for _, it := range au.body["items"].([]any) {
		row := it.(map[string]any)
		if row["address"] == "" || row["at"] == "" {
			t.Errorf("audit line without where or when: %v", row)
		}
		outcomes = append(outcomes, row["outcome"].(string))
	}
	if got := strings.Join(outcomes, ","); got != "success,locked,lockout,failure,failure,failure" {
		t.Errorf("audit outcomes %s", got)
	}
	a.want(a.do(nil, false, admin, "GET", "/api/v1/admin/audit?kind=everything", ""), 400, "invalid")
	a.want(a.do(nil, false, token(t, a.st, "d1-supervisor"), "GET", "/api/v1/admin/audit?kind=signin", ""), 403, "forbidden")
}

func TestLoginBackoffPerAddress(t *testing.T) {
	p := store.DefaultSessionPolicy
	p.AddressFailures = 2
	a := newAuthServer(t, p, false)
	for _, u := range []string{"ghost", "c2-secretary"} {
		a.want(a.do(nil, false, "", "POST", "/api/v1/auth/login", `{"username":"`+u+`","password":"wrong-password"}`), 401, "unauthorized")
	}
	ans := a.do(nil, false, "", "POST", "/api/v1/auth/login", `{"username":"c1-secretary","password":"shaobao-demo"}`)
	a.want(ans, 429, "rate_limited")
	if s, err := strconv.Atoi(ans.header.Get("Retry-After")); err != nil || s < 800 {
		t.Errorf("Retry-After %q, want about the 15-minute window", ans.header.Get("Retry-After"))
	}
}

// A client cannot dodge the per-address backoff by naming another address
// in X-Forwarded-For: no proxy is trusted unless configured.
func TestLoginBackoffIgnoresForwardedFor(t *testing.T) {
	p := store.DefaultSessionPolicy
	p.AddressFailures = 2
	a := newAuthServer(t, p, false)
	status := func(i int, user, password string) int {
		req, err := http.NewRequest("POST", a.srv.URL+"/api/v1/auth/login",
			strings.NewReader(`{"username":"`+user+`","password":"`+password+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for i, u := range []string{"ghost", "c2-secretary"} {
		if got := status(i, u, "wrong-password"); got != 401 {
			t.Fatalf("failure %d: %d, want 401", i, got)
		}
	}
	if got := status(9, "c1-secretary", "shaobao-demo"); got != 429 {
		t.Errorf("a third address named in X-Forwarded-For got %d, want 429: the peer address is the client", got)
	}
}

func TestMustChangePassword(t *testing.T) {
	a := newAuthServer(t, store.DefaultSessionPolicy, false)
	admin := token(t, a.st, "admin")
	old, _ := a.login("c1-secretary", store.DemoPassword)
	tests := []struct {
		name, body string
		status     int
	}{
		{"Empty", ``, 400},
		{"Policy", `{"password":"123456789012"}`, 400},
		{"UnknownField", `{"password":"temporary-pass","force":true}`, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.want(a.do(nil, false, admin, "POST", "/api/v1/admin/users/u-c1-secretary/reset-password", tt.body), tt.status, "invalid")
		})
	}
	a.want(a.do(nil, false, admin, "POST", "/api/v1/admin/users/nope/reset-password", `{"password":"temporary-pass"}`), 404, "not_found")
	a.want(a.do(nil, false, admin, "POST", "/api/v1/admin/users/u-c1-secretary/reset-password", `{"password":"temporary-pass"}`), 204, "")
	a.want(a.do(old, false, "", "GET", "/api/v1/me", ""), 401, "unauthorized") // the reset ended it

	b, ans := a.login("c1-secretary", "temporary-pass")
	if ans.body["must_change_password"] != true {
		t.Fatalf("login after reset answered %v", ans.body)
	}
	refused := a.do(b, false, "", "GET", "/api/v1/me", "")
	a.want(refused, 403, "forbidden")
	if e := refused.body["error"].(map[string]any); !strings.Contains(e["message"].(string), "修改密码") {
		t.Errorf("the refusal does not say to change the password: %v", e)
	}
	a.want(a.do(b, false, "", "GET", "/api/v1/auth/session", ""), 200, "")
	a.want(a.do(b, true, "", "POST", "/api/v1/auth/password", `{"old":"temporary-pass","new":"my-own-password"}`), 204, "")
	a.want(a.do(b, false, "", "GET", "/api/v1/me", ""), 200, "")
	a.login("c1-secretary", "my-own-password")
}

func TestAdminTokens(t *testing.T) {
	a := newAuthServer(t, store.DefaultSessionPolicy, false)
	admin := token(t, a.st, "admin")
	exp := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"NoUser", `{"name":"hotline","expires_at":"` + exp + `"}`, 400, "invalid"},
		{"BadTime", `{"user_id":"u-admin","name":"hotline","expires_at":"tomorrow"}`, 400, "invalid"},
		{"Past", `{"user_id":"u-admin","name":"hotline","expires_at":"2020-01-01T00:00:00Z"}`, 400, "invalid"},
		{"TooLong", `{"user_id":"u-admin","name":"hotline","expires_at":"2099-01-01T00:00:00Z"}`, 400, "invalid"},
		{"BlankName", `{"user_id":"u-admin","name":"  ","expires_at":"` + exp + `"}`, 400, "invalid"},
		{"UnknownUser", `{"user_id":"nope","name":"hotline","expires_at":"` + exp + `"}`, 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.want(a.do(nil, false, admin, "POST", "/api/v1/admin/tokens", tt.body), tt.status, tt.code)
		})
	}
	made := a.do(nil, false, admin, "POST", "/api/v1/admin/tokens", `{"user_id":"u-c1-secretary","name":"hotline","expires_at":"`+exp+`"}`)
	a.want(made, 201, "")
	secret, _ := made.body["token"].(string)
	id, _ := made.body["id"].(string)
	if !strings.HasPrefix(secret, "sb_") || made.body["username"] != "c1-secretary" {
		t.Fatalf("issued %v", made.body)
	}
	a.want(a.do(nil, false, secret, "GET", "/api/v1/me", ""), 200, "")
	list := a.do(nil, false, admin, "GET", "/api/v1/admin/tokens", "")
	a.want(list, 200, "")
	if strings.Contains(string(list.raw), secret) || !strings.Contains(string(list.raw), `"hotline"`) {
		t.Errorf("the list shows the secret or lacks the token: %s", list.raw)
	}
	a.want(a.do(nil, false, admin, "GET", "/api/v1/admin/tokens?revoked=maybe", ""), 400, "invalid")
	a.want(a.do(nil, false, token(t, a.st, "c1-secretary"), "GET", "/api/v1/admin/tokens", ""), 403, "forbidden")
	a.want(a.do(nil, false, admin, "DELETE", "/api/v1/admin/tokens/"+id, ""), 204, "")
	a.want(a.do(nil, false, admin, "DELETE", "/api/v1/admin/tokens/"+id, ""), 409, "conflict")
	a.want(a.do(nil, false, admin, "DELETE", "/api/v1/admin/tokens/nope", ""), 404, "not_found")
	a.want(a.do(nil, false, secret, "GET", "/api/v1/me", ""), 401, "unauthorized")
	au := a.do(nil, false, admin, "GET", "/api/v1/admin/audit?kind=token", "")
	if au.body["total"] != float64(2) {
		t.Errorf("token audit %s, want issued and revoked", au.raw)
	}
}
