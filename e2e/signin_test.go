package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPasswordSignInInTheBrowser: a deep link opened signed out leads,
// after the password sign-in, to that case, on a desktop and on a 390 px
// phone; the session cookie stays out of the page's reach; signing out
// ends it; a password an admin reset must be changed before anything else.
func TestPasswordSignInInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser walk builds and starts the whole product: skipped with -short")
	}
	w := setup(t)
	filed := w.apiJSON("c1-secretary", "POST", "/api/v1/cases", `{"title":"青年湖北门垃圾堆放","description":"北门外垃圾堆放三天未清运。","source":"resident","class":"routine",
		"department_ids":["s1-citymgmt"],"location":{"address":"青年湖北门","lat":39.96,"lon":116.41}}`, http.StatusCreated)
	id, _ := filed["id"].(string)
	if id == "" {
		t.Fatalf("filed case without id: %v", filed)
	}

	deepLink := func(shot string) {
		w.t.Helper()
		w.signOut()
		w.open("/app/cases/" + id)
		w.waitJS(`location.pathname === '/app/signin' && document.querySelector('#signin-form') !== null`, "the sign-in page for a deep link")
		if shot != "" {
			w.shot(shot)
		}
		w.setValue("#username", "c1-secretary")
		w.setValue("#password", demoPassword)
		w.click("#signin-btn")
		w.waitJS(fmt.Sprintf(`location.pathname === '/app/cases/%s' && document.querySelector('.case-head') && document.querySelector('.case-head').dataset.caseId === %q`, id, id), "the deep-linked case after sign-in")
		if wide := w.evalString(`String(document.documentElement.scrollWidth > window.innerWidth)`); wide != "false" {
			w.t.Errorf("the page scrolls sideways at %s px", w.evalString(`String(window.innerWidth)`))
		}
	}
	deepLink("")
	w.phone(func() { deepLink("32-sign-in-phone") })

	// The session cookie is HttpOnly: the page sees only the CSRF cookie.
	w.waitJS(`!document.cookie.includes('shaobao_session') && document.cookie.includes('shaobao_csrf=')`, "only the CSRF cookie readable")
	// A state-changing call without the CSRF header is refused, with it it passes.
	ctx, cancel := context.WithTimeout(w.b.ctx, stepTimeout)
	defer cancel()
	refused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch('/api/v1/auth/password', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{}'}).then(r => String(r.status))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if refused != "403" {
		t.Errorf("POST with the cookie but no X-CSRF-Token answered %s, want 403", refused)
	}

	// Signing out ends the session: the next page asks to sign in.
	w.click("#signout")
	w.waitVisible("#signin-form")
	w.open("/app/cases")
	w.waitJS(`location.pathname === '/app/signin'`, "sign-in after signing out")

	// An admin's reset: the user must set a new password first.
	w.apiJSON("admin", "POST", "/api/v1/admin/users/u-c2-secretary/reset-password", `{"password":"temporary-pass"}`, http.StatusNoContent)
	w.setValue("#username", "c2-secretary")
	w.setValue("#password", "temporary-pass")
	w.click("#signin-btn")
	w.waitJS(`location.pathname === '/app/password' && document.querySelector('#password-form') !== null`, "the change-password form")
	w.shot("33-must-change-password")
	w.setValue("#old-password", "temporary-pass")
	w.setValue("#new-password", "qingnianhu-2026")
	w.setValue("#new-password2", "qingnianhu-2027")
	w.click("#password-btn")
	w.waitJS(`(() => { const e = document.querySelector('#password-form .error'); return e && !e.hidden && e.textContent.includes('不一致'); })()`, "the mismatch refused")
	w.setValue("#new-password2", "qingnianhu-2026")
	w.click("#password-btn")
	w.waitJS(`location.pathname === '/app/cases' && document.querySelector('#who').title === 'c2-secretary'`, "c2-secretary's cases after the change")

	w.checkNoErrors()
}

// apiJSON sends one JSON request as user with their bearer token and
// returns the answer's object; it fails the test on another status.
func (w *walk) apiJSON(user, method, path, body string, want int) map[string]any {
	w.t.Helper()
	req, err := http.NewRequest(method, w.p.base+path, strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.p.token(w.t, user))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		w.t.Fatalf("%s %s answered %d, want %d: %s", method, path, res.StatusCode, want, raw)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			w.t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
	}
	return out
}
