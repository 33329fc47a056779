package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestIntakeInTheBrowser: c1-secretary files cases without departments,
// which wait pending (待受理) in the community's intake queue; one is
// accepted and whistled to s1-police, one rejected with a reason, and a
// third, filed next to the first, is hinted as a duplicate on the filing
// form and merged into it from the queue.
func TestIntakeInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser walk builds and starts the whole product: skipped with -short")
	}
	w := setup(t)
	w.open("/")
	w.waitJS(`document.querySelector('#signin-form') !== null`, "the sign-in page")
	w.checkDictionaries()
	w.signIn("c1-secretary")
	w.waitVisible("#nav-intake")

	// 1. Filed without departments: pending, with its number and its
	// acceptance deadline.
	stalls := w.filePending("和平里东口早市占道经营", "和平里东街 12 号", "39.9581", "116.4172", true)
	if got := w.evalString(`document.querySelector('.case-head .badge[data-value="pending"]').textContent`); got != "待受理" {
		t.Errorf("pending case shows status %q, want 待受理", got)
	}
	number := w.evalString(`(document.querySelector('#case-number') || {}).textContent || ''`)
	if !strings.HasPrefix(number, "20") || !strings.Contains(number, "-") {
		t.Errorf("case number %q, want YYYYMMDD-NNNNN", number)
	}
	w.waitVisible("#to-intake")

	// 2. It shows in the queue, with the count in the menu.
	w.click("#to-intake")
	card := func(id string) string { return fmt.Sprintf(`li.intake-card[data-case-id=%q]`, id) }
	w.waitVisible(card(stalls) + ` .accept-clock .clock`)
	w.waitJS(`document.querySelector('#intake-count').textContent === '1' && !document.querySelector('#intake-count').hidden`, "the intake count 1")

	// 3. Accepted with s1-police: open, with a summoned task.
	w.click(card(stalls) + ` button[data-action="accept"]`)
	w.waitVisible(card(stalls) + ` form.accept-form input[value="s1-police"]`)
	w.click(card(stalls) + ` form.accept-form input[value="s1-police"]`)
	w.shot("18-intake-accept")
	w.click(card(stalls) + ` form.accept-form button[type="submit"]`)
	w.waitJS(fmt.Sprintf(`document.querySelector('%s') === null && !document.querySelector('#intake .loading')`, card(stalls)), "the accepted case leaving the queue")
	w.waitJS(`document.querySelector('#intake-count').hidden`, "the intake count gone")
	w.open("/app/cases/" + stalls)
	w.waitVisible(`[data-case-status="open"]`)
	w.waitVisible(`#case .task[data-task-status="summoned"]`)
	w.waitJS(`document.querySelector('#timeline li[data-type="accepted"]') !== null`, "the acceptance in the timeline")

	// 4. A second case, rejected: first an API refusal (merge into an
	// unknown case) shown in place, then the reason; closed as rejected.
	noise := w.filePending("楼上装修噪音扰民", "和平里北街 5 号", "39.9650", "116.4230", false)
	w.open("/app/intake")
	w.click(card(noise) + ` button[data-action="merge"]`)
	w.sendKeys(card(noise)+` form.merge-form input[name="into_other"]`, "SB-no-such-case")
	w.click(card(noise) + ` form.merge-form button[type="submit"]`)
	w.waitJS(fmt.Sprintf(`(() => { const e = document.querySelector('%s form.merge-form .error'); return e && !e.hidden && /[\u4e00-\u9fff]/.test(e.textContent); })()`, card(noise)), "the API's refusal of the merge")
	w.click(card(noise) + ` button[data-action="reject"]`)
	w.waitVisible(card(noise) + ` form.reject-form`)
	w.sendKeys(card(noise)+` form.reject-form textarea[name="reason"]`, "属于民事纠纷，不属于政府职责范围，已告知当事人协商或诉讼。")
	w.click(card(noise) + ` form.reject-form button[type="submit"]`)
	w.waitJS(fmt.Sprintf(`document.querySelector('%s') === null && !document.querySelector('#intake .loading')`, card(noise)), "the rejected case leaving the queue")
	w.open("/app/cases/" + noise)
	w.waitVisible(`[data-case-status="closed"]`)
	w.waitVisible(`#outcome[data-outcome="rejected"]`)
	if got := w.evalString(`document.querySelector('#outcome').textContent`); !strings.Contains(got, "不予受理") || !strings.Contains(got, "民事纠纷") {
		t.Errorf("rejected case shows outcome %q, want 不予受理 with the reason", got)
	}
	w.shot("19-case-rejected")

	// 5. Filing 50 m from the open case of the same category: the form
	// hints at it before submitting.
	w.open("/app/cases/new")
	w.waitJS(`document.querySelectorAll('#departments input[type=checkbox]').length > 0`, "the whistleable departments")
	w.eval(`(() => { const s = document.querySelector('#catalogue'); s.value = 'stalls'; s.dispatchEvent(new Event('change')); return true; })()`)
	w.eval(`(() => { document.querySelector('#title').value = ''; return true; })()`)
	w.sendKeys("#title", "东街路口又见流动摊贩")
	w.sendKeys("#address", "和平里东街 14 号")
	w.sendKeys("#lat", "39.9585")
	w.sendKeys("#lon", "116.4173")
	w.waitVisible(fmt.Sprintf(`#dup-hints li[data-case-id=%q] a`, stalls))
	if got := w.evalString(`document.querySelector('#dup-hints').textContent`); !strings.Contains(got, "附近已有同类案件") {
		t.Errorf("duplicate hint %q, want 附近已有同类案件", got)
	}
	w.shot("20-community-duplicate-hint")
	// Filed anyway (pending), then merged into the first from the queue,
	// picked among the nearby cases.
	w.click("#whistle-btn")
	w.waitVisible(`[data-case-status="pending"]`)
	dup := w.evalString(`document.querySelector('.case-head').dataset.caseId`)
	w.open("/app/intake")
	w.click(card(dup) + ` button[data-action="merge"]`)
	w.waitVisible(fmt.Sprintf(`%s form.merge-form input[type="radio"][value=%q]`, card(dup), stalls))
	w.click(fmt.Sprintf(`%s form.merge-form input[type="radio"][value=%q]`, card(dup), stalls))
	w.shot("21-intake-merge")
	w.click(card(dup) + ` form.merge-form button[type="submit"]`)
	w.waitJS(fmt.Sprintf(`document.querySelector('%s') === null && !document.querySelector('#intake .loading')`, card(dup)), "the merged case leaving the queue")
	w.open("/app/cases/" + dup)
	w.waitVisible(`#outcome[data-outcome="merged"]`)
	w.click("#merged-into")
	w.waitJS(fmt.Sprintf(`document.querySelector('.case-head') && document.querySelector('.case-head').dataset.caseId === %q`, stalls), "the surviving case")
	w.waitJS(`document.querySelector('#timeline li[data-type="merged_in"]') !== null`, "the merge in the surviving case's timeline")

	// 6. The list shows numbers and outcomes; the pending filter works.
	w.open("/app/cases?status=closed")
	w.waitVisible(fmt.Sprintf(`li.case-card[data-case-id=%q] .badge[data-value="rejected"]`, noise))
	w.waitVisible(fmt.Sprintf(`li.case-card[data-case-id=%q] .badge[data-value="merged"]`, dup))

	w.checkNoErrors()
}

// filePending files a case without departments from the filing form and
// waits for its page, pending; stalls picks the catalogue item 占道经营
// (its category drives the duplicate hints). It returns the case id.
func (w *walk) filePending(title, address, lat, lon string, stalls bool) string {
	w.t.Helper()
	w.open("/app/cases/new")
	w.waitJS(`document.querySelectorAll('#departments input[type=checkbox]').length > 0`, "the whistleable departments")
	if stalls {
		w.eval(`(() => { const s = document.querySelector('#catalogue'); s.value = 'stalls'; s.dispatchEvent(new Event('change')); return true; })()`)
		w.eval(`(() => { document.querySelector('#title').value = ''; return true; })()`)
	} else {
		w.eval(`(() => { document.querySelector('#category').value = '噪音扰民'; return true; })()`)
	}
	w.waitJS(`document.querySelector('#whistle-btn').textContent === '提交待受理'`, "the pending submit button")
	w.sendKeys("#title", title)
	w.eval(`(() => { document.querySelector('#source').value = 'resident'; return true; })()`)
	w.sendKeys("#address", address)
	w.sendKeys("#lat", lat)
	w.sendKeys("#lon", lon)
	w.click("#whistle-btn")
	w.waitVisible(`[data-case-status="pending"]`)
	return w.evalString(`document.querySelector('.case-head').dataset.caseId`)
}
