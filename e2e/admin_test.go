package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestAdminPagesInTheBrowser: the admin signs in with the password,
// creates a user, resets a password, issues and revokes a token, adds a
// holiday (confirmed: it holds city-wide), edits a catalogue item
// (confirmed), and reads each of those changes, with before and after, on
// the audit page; every admin page is scanned in Chinese and at 390 px.
func TestAdminPagesInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser walk builds and starts the whole product: skipped with -short")
	}
	w := setup(t)
	w.signIn("admin")

	// A user.
	w.open("/app/admin/users")
	w.click("#user-new summary")
	w.setValue(`#user-form input[name="username"]`, "zhang.wei7")
	w.setValue(`#user-form input[name="display_name"]`, "张伟")
	w.setValue(`#user-form select[name="role"]`, "community_secretary")
	w.setValue(`#user-form select[name="org_unit_id"]`, "110101001001")
	w.click(`#user-form button[type="submit"]`)
	w.waitVisible(`li.user[data-username="zhang.wei7"]`)
	w.shot("70-admin-users")

	// Its password reset: the user must change it at next sign-in.
	card := `li.user[data-username="zhang.wei7"]`
	w.click(card + ` details summary`)
	w.setValue(card+` .reset-form input[name="password"]`, "zhangwei-temp-2026")
	w.click(card + ` .reset-form button[type="submit"]`)
	w.waitJS(fmt.Sprintf(`(() => { const p = document.querySelector('%s p.muted:not(.meta)'); return p && !p.hidden && p.textContent.includes('下次登录'); })()`, card), "the reset confirmed")

	// A token for an integration, then revoked.
	w.open("/app/admin/tokens")
	w.click("#token-new summary")
	w.waitVisible("#token-form")
	w.eval(`(() => { const s = document.querySelector('#token-form select[name="user_id"]'); s.value = [...s.options].find((o) => o.text.includes('zhang.wei7')).value; return true; })()`)
	w.setValue(`#token-form input[name="name"]`, "热线对接")
	w.click(`#token-form button[type="submit"]`)
	w.waitJS(`(() => { const c = document.querySelector('#token-shown code.token-secret'); return c && c.textContent.startsWith('sb_'); })()`, "the new token shown once")
	w.waitVisible(`li.token[data-name="热线对接"]`)
	w.waitJS(`document.querySelector('li.token[data-name="热线对接"] .last-used').textContent === '从未使用'`, "the token never used yet")
	w.shot("71-admin-tokens")
	w.click(`li.token[data-name="热线对接"] button[data-action="revoke"]`)
	w.confirm("revoking the token")
	w.waitJS(`document.querySelector('li.token[data-name="热线对接"]') === null`, "the revoked token gone from the list")

	// A holiday: the calendar holds city-wide, so it asks first.
	year := time.Now().Year() + 1
	date := fmt.Sprintf("%d-03-16", year)
	w.open("/app/admin/calendar")
	w.setValue(`#cal-form input[name="date"]`, date)
	w.setValue(`#cal-form select[name="kind"]`, "holiday")
	w.setValue(`#cal-form input[name="name"]`, "测试假日")
	w.click(`#cal-form button[type="submit"]`)
	w.confirm("the holiday")
	w.waitVisible(fmt.Sprintf(`tr[data-date="%s"]`, date))
	w.shot("72-admin-calendar")

	// A catalogue item renamed, confirmed.
	w.open("/app/admin/catalogue")
	w.waitVisible("li.cat-item")
	item := w.evalString(`document.querySelector('li.cat-item').dataset.id`)
	sel := fmt.Sprintf(`li.cat-item[data-id="%s"]`, item)
	w.click(sel + ` details summary`)
	w.setValue(sel+` input[name="name"]`, "改名后的事项")
	w.click(sel + ` button[type="submit"]`)
	w.confirm("the catalogue item")
	w.waitJS(fmt.Sprintf(`document.querySelector('%s h3') && document.querySelector('%s h3').textContent === '改名后的事项'`, sel, sel), "the renamed item")
	w.shot("73-admin-catalogue")

	// The other admin pages, scanned.
	for _, pg := range []struct{ path, ready, shot string }{
		{"/app/admin/org", "li.org-unit", "74-admin-org"},
		{"/app/admin/rules", "#rule-list tr[data-id]", "75-admin-rules"},
		{"/app/admin/intake", "#intake-settings form", "76-admin-intake"},
		{"/app/admin/assessment", "#assessment-settings-form", "76b-admin-assessment"},
	} {
		w.open(pg.path)
		w.waitVisible(pg.ready)
		w.shot(pg.shot)
	}

	// The audit page reads every change, newest first, with what changed.
	w.open("/app/admin/audit")
	w.waitVisible("#audit-list")
	for _, want := range []struct{ kind, action string }{
		{"user", "create"}, {"credential", "reset"}, {"api_token", "create"}, {"api_token", "revoke"},
		{"calendar_day", "update"}, {"catalogue_item", "update"},
	} {
		w.waitJS(fmt.Sprintf(`document.querySelector('li.audit-line[data-category="admin"][data-kind="%s"][data-action="%s"]') !== null`, want.kind, want.action),
			"the audit of "+want.kind+" "+want.action)
	}
	w.waitVisible(`li.audit-line[data-category="signin"]`)
	w.shot("77-admin-audit")
	// Filtered to the catalogue: the name before and after.
	w.setValue(`#audit-filters select[name="kind"]`, "catalogue_item")
	w.click(`#audit-filters button[type="submit"]`)
	w.waitJS(`(() => { const rows = document.querySelectorAll('li.audit-line'); if (rows.length !== 1) return false;
		const tr = rows[0].querySelector('tr[data-field="name"]'); return tr && tr.querySelector('.after').textContent === '改名后的事项' && tr.querySelector('.before').textContent !== ''; })()`,
		"the catalogue change with the name before and after")
	w.phone(func() {
		w.open("/app/admin/audit")
		w.waitVisible("#audit-list")
		w.shot("78-admin-audit-phone")
	})

	// The user made here signs in with the reset password and must change it.
	w.signOut()
	w.open("/app/signin")
	w.setValue("#username", "zhang.wei7")
	w.setValue("#password", "zhangwei-temp-2026")
	w.click("#signin-btn")
	w.waitJS(`location.pathname === '/app/password'`, "the new user asked to change the reset password")

	w.checkDictionaries()
	w.checkNoErrors()
}
