package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTwoWayInTheBrowser: the four levels both ways (issue 13).
// d1-commander dispatches a case down to street 1 (派单), whose secretary
// whistles s1-police; d1-commander accepts a second case from its queue by
// dispatching it, then recalls it; an escalation from community 1 is sent
// back by street 1 with instructions; community 1 applies to close a case
// as unresolvable (挂账), street 1 approves, and a supervisor finds it on
// the 挂账 list.
func TestTwoWayInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser walk builds and starts the whole product: skipped with -short")
	}
	w := setup(t)
	w.open("/")
	w.waitJS(`document.querySelector('#signin-form') !== null`, "the sign-in page")
	w.checkDictionaries()
	const street1 = "110101001"

	// 1. d1-commander files a case with its police bureau, then hands it
	// down to street 1 from the case page.
	w.signIn("d1-commander")
	down := w.fileWhistle("东四环辅路夜间渣土车抛撒", "和平街道东四环辅路 8 号", "d1-police")
	w.click("#dispatch summary")
	w.pickOption("#dispatch-to", street1)
	w.sendKeys(`#dispatch-form textarea[name="reason"]`, "属和平街道辖区，请街道吹哨属地部门处置。")
	w.shot("22-district-dispatch")
	w.click(`#dispatch-form button[type="submit"]`)
	w.waitJS(`document.querySelector('#timeline li[data-type="dispatched"]') !== null && document.querySelector('#held-above') !== null`, "the dispatched case, held below")
	w.waitVisible("#recall-form")
	if got := w.evalString(`document.querySelector('#timeline li[data-type="dispatched"]').textContent`); !strings.Contains(got, "派单") || !strings.Contains(got, "街道") {
		t.Errorf("dispatch in the timeline reads %q, want 派单 and 街道", got)
	}
	w.waitVisible(fmt.Sprintf(`#dispatches li[data-to=%q]`, street1))

	// 2. s1-secretary now holds it and whistles s1-police.
	w.signIn("s1-secretary")
	w.open("/app/cases/" + down)
	w.waitJS(`document.querySelector('#case .case-head') !== null && document.querySelector('#held-above') === null && document.querySelector('#recall-form') === null`, "street 1 holding the case")
	w.click(`#actions details.more:has(.summon-form) summary`)
	w.click(`.summon-form input[value="s1-police"]`)
	w.click(`.summon-form button[type="submit"]`)
	w.waitVisible(`#case .task[data-dept="s1-police"][data-task-status="summoned"]`)
	w.shot("23-street-whistles-dispatched-case")
	w.signIn("s1-police")
	w.waitVisible(fmt.Sprintf(`li.task-card[data-case-id=%q]`, down))

	// 3. A pending case accepted by dispatching it to street 1, then
	// recalled by the district.
	w.signIn("d1-commander")
	back := w.filePending("光明路口共享单车堆积", "光明路 3 号", "39.9602", "116.4101", false)
	w.open("/app/intake")
	card := fmt.Sprintf(`li.intake-card[data-case-id=%q]`, back)
	w.click(card + ` button[data-action="accept"]`)
	w.click(card + ` .accept-mode input[value="dispatch"]`)
	w.pickOption(card+` select.accept-dispatch-to`, street1)
	w.waitJS(fmt.Sprintf(`document.querySelector('%s form.accept-form button[type="submit"]').textContent === '受理并派单'`, card), "the dispatch submit button")
	w.shot("24-intake-accept-dispatch")
	w.click(card + ` form.accept-form button[type="submit"]`)
	w.waitJS(fmt.Sprintf(`document.querySelector('%s') === null && !document.querySelector('#intake .loading')`, card), "the dispatched case leaving the district's queue")
	w.open("/app/cases/" + back)
	w.waitVisible("#recall-form")
	w.sendKeys(`#recall-form textarea[name="reason"]`, "涉及区属道路，区里直接处置。")
	w.click(`#recall-form button[type="submit"]`)
	w.waitJS(`document.querySelector('#timeline li[data-type="recalled"]') !== null && document.querySelector('#recall-form') === null && document.querySelector('#held-above') === null`, "the recalled case back at the district")
	if got := w.evalString(`document.querySelector('#dispatches li').textContent`); !strings.Contains(got, "收回") {
		t.Errorf("the dispatch record reads %q, want it marked recalled (收回)", got)
	}

	// 4. Community 1 escalates; street 1 sends it back with instructions.
	w.signIn("c1-secretary")
	up := w.fileWhistle("青年湖路口井盖缺失", "青年湖路 6 号", "s1-citymgmt")
	w.click(`#actions details.more:last-of-type summary`)
	w.sendKeys(`form.escalate-form textarea[name="reason"]`, "井盖权属不清，社区协调不动。")
	w.click(`form.escalate-form button[type="submit"]`)
	w.confirm("the escalation")
	w.waitJS(`document.querySelector('#timeline li[data-type="escalation_requested"]') !== null && document.querySelector('#escalation-waiting') !== null`, "the escalation awaiting street 1")
	w.signIn("s1-secretary")
	w.open("/app/cases/" + up)
	w.waitVisible(`#escalation-answer[data-status="pending"]`)
	w.shot("25-street-escalation-answer")
	// Sending back without instructions is refused in place.
	w.click(`#escalation-answer button[data-action="send-back"]`)
	w.waitJS(`(() => { const e = document.querySelector('#escalation-answer .error'); return e && !e.hidden && e.textContent.includes('处理意见'); })()`, "the missing instructions")
	w.sendKeys(`#escalation-answer textarea[name="comment"]`, "请社区先联系市政管网公司核实权属，街道城管队协助设置围挡。")
	w.click(`#escalation-answer button[data-action="send-back"]`)
	w.waitJS(`document.querySelector('#timeline li[data-type="escalation_returned"]') !== null && document.querySelector('#escalation-answer') === null`, "the escalation sent back")
	w.signIn("c1-secretary")
	w.open("/app/cases/" + up)
	w.waitVisible(`#escalations li[data-status="returned"]`)
	if got := w.evalString(`document.querySelector('#escalations li[data-status="returned"]').textContent`); !strings.Contains(got, "市政管网公司") || !strings.Contains(got, "已退回") {
		t.Errorf("the returned escalation reads %q, want the instructions and 已退回", got)
	}
	w.waitJS(`document.querySelector('#actions form.escalate-form') !== null && document.querySelector('#escalation-waiting') === null`, "community 1 holding the case again")

	// 5. Community 1 applies to close it as unresolvable; street 1 approves.
	w.click("#unresolvable summary")
	w.sendKeys(`#unresolvable-form textarea[name="reason"]`, "井盖权属涉诉，需待法院判决后处置。")
	w.click(`#unresolvable-form button[type="submit"]`)
	w.waitVisible(`#unresolvable-status[data-status="pending"]`)
	w.signIn("s1-secretary")
	w.open("/app/cases/" + up)
	w.waitVisible("#unresolvable-answer")
	w.sendKeys(`#unresolvable-answer textarea[name="comment"]`, "同意挂账，每月复核。")
	w.click(`#unresolvable-answer button[data-action="approve"]`)
	w.waitVisible(`[data-case-status="closed"] #outcome[data-outcome="unresolvable"]`)
	if got := w.evalString(`document.querySelector('#outcome').textContent`); !strings.Contains(got, "挂账") || !strings.Contains(got, "法院判决") {
		t.Errorf("the unresolvable outcome reads %q, want 挂账 with the reason", got)
	}
	w.shot("26-case-unresolvable")
	w.signIn("d1-supervisor")
	w.waitJS(`location.pathname === '/app/supervision'`, "the supervision page")
	w.click(`.tab[data-tab="unresolvable"]`)
	w.waitVisible(fmt.Sprintf(`#unresolvable-list tr[data-case-id=%q][data-status="approved"]`, up))
	w.shot("27-supervisor-unresolvable-list")

	w.checkNoErrors()
}

// TestJointCaseExceptionsInTheBrowser: the exceptions of a joint case. A
// department's return after a missed report-for-duty deadline is refused
// by the holder and the breach stays on record; the department is then
// dropped, leaves the inbox and the case goes back to pending; the lead
// department (主办) releases an assisting one; a failed verification naming
// one department reopens only its task.
func TestJointCaseExceptionsInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser walk builds and starts the whole product: skipped with -short")
	}
	w := setup(t)
	// An emergency whistle with a 2-second report-for-duty clock (applies
	// to departments summoned after it).
	w.apiPut("admin", "/api/v1/admin/sla-policies/emergency", `{"report_within": "2s", "handle_within": "24h"}`)

	// 1. A return after a breach, refused: the breach stays.
	w.signIn("c1-secretary")
	w.open("/app/cases/new")
	w.waitJS(`document.querySelectorAll('#departments input[type=checkbox]').length > 0`, "the whistleable departments")
	w.eval(`(() => { document.querySelector('#class').value = 'emergency'; return true; })()`)
	late := w.fileWhistle("和平里北街燃气异味", "和平里北街 9 号", "s1-market")
	w.reloadUntil("/app/cases/"+late, `document.querySelector('#breaches li[data-kind="report"]') !== null`, "the report-for-duty breach on record")
	w.signIn("s1-market")
	card := fmt.Sprintf(`li.task-card[data-case-id=%q]`, late)
	w.click(card + ` button[data-action="return"]`)
	w.sendKeys(card+` form.return-form textarea[name="reason"]`, "燃气安全不属市场监管职责。")
	w.click(card + ` form.return-form button[type="submit"]`)
	w.waitVisible(card + `[data-task-status="return_requested"] .return-waiting`)
	if got := w.evalString(`document.querySelector('` + card + ` .badge[data-value="return_requested"]').textContent`); got != "退回待答复" {
		t.Errorf("a return awaiting its answer shows %q, want 退回待答复", got)
	}
	w.shot("28-department-return-requested")
	w.signIn("c1-secretary")
	w.open("/app/cases/" + late)
	answer := `.return-answer[data-task-id]`
	w.waitVisible(answer)
	w.sendKeys(answer+` textarea[name="comment"]`, "先到场排查并疏散，燃气公司随后到。")
	w.shot("29-holder-answers-return")
	w.click(answer + ` button[data-action="refuse-return"]`)
	w.waitJS(`document.querySelector('#timeline li[data-type="return_refused"]') !== null && document.querySelector('#case .task[data-dept="s1-market"][data-task-status="summoned"]') !== null`, "the refused return")
	w.waitVisible(`#breaches li.late-text[data-kind="report"]`)
	w.signIn("s1-market")
	w.waitVisible(card + `[data-task-status="summoned"]`)
	if got := w.evalString(`document.querySelector('` + card + `').textContent`); !strings.Contains(got, "燃气公司随后到") {
		t.Errorf("the department's card reads %q, want the holder's answer", got)
	}

	// 2. Dropped: it leaves the department's inbox; with no department
	// left the case awaits acceptance again.
	w.signIn("c1-secretary")
	w.open("/app/cases/" + late)
	task := `#case .task[data-dept="s1-market"]`
	w.click(task + ` button[data-action="drop"]`)
	w.sendKeys(task+` form.drop-form textarea[name="reason"]`, "误派：改由燃气公司和派出所处置。")
	w.click(task + ` form.drop-form button[type="submit"]`)
	w.waitVisible(`[data-case-status="pending"]`)
	w.waitVisible(task + `[data-task-status="dropped"]`)
	w.waitJS(`document.querySelector('#timeline li[data-type="dropped"]') !== null && document.querySelector('#timeline li[data-type="back_to_pending"]') !== null`, "the drop in the timeline")
	w.signIn("s1-market")
	w.open("/app/inbox?all=true")
	w.waitJS(`document.querySelector('#inbox') && !document.querySelector('#inbox .loading')`, "the inbox")
	if n := w.evalString(fmt.Sprintf(`String(document.querySelectorAll('li.task-card[data-case-id=%q]').length)`, late)); n != "0" {
		t.Errorf("the dropped task is still in the department's inbox")
	}

	// 3. Lead and assisting: s1-police leads and releases s1-market.
	w.signIn("c1-secretary")
	joint := w.fileWhistle("和平里东街违规经营烧烤", "和平里东街 20 号", "s1-police", "s1-citymgmt", "s1-market")
	w.click(`#case .task[data-dept="s1-police"] button[data-action="lead"]`)
	w.waitJS(`document.querySelector('#case .task[data-dept="s1-police"] .badge[data-role="lead"]') !== null && document.querySelector('#case .task[data-dept="s1-citymgmt"] .badge[data-role="assisting"]') !== null`, "主办 and 协办")
	if got := w.evalString(`document.querySelector('#case .task[data-dept="s1-police"] .badge[data-role="lead"]').textContent`); got != "主办" {
		t.Errorf("the lead badge reads %q, want 主办", got)
	}
	w.signIn("s1-police")
	w.open("/app/cases/" + joint)
	market := `#case .task[data-dept="s1-market"]`
	w.click(market + ` button[data-action="release"]`)
	w.sendKeys(market+` form.release-form textarea[name="reason"]`, "无证经营已由派出所一并处理，市场所无需到场。")
	w.shot("30-lead-releases-assisting")
	w.click(market + ` form.release-form button[type="submit"]`)
	w.waitVisible(market + `[data-task-status="released"]`)
	if n := w.evalString(`String(document.querySelectorAll('#case .task[data-dept="s1-citymgmt"] button[data-action="release"]').length)`); n != "1" {
		t.Errorf("the lead's clerk sees %s release buttons on the other assisting task, want 1", n)
	}

	// 4. Both remaining departments report and feed back; the failed
	// verification names s1-citymgmt: only its task reopens.
	for _, dept := range []string{"s1-police", "s1-citymgmt"} {
		w.signIn(dept)
		c := fmt.Sprintf(`li.task-card[data-case-id=%q]`, joint)
		w.click(c + ` button[data-action="report"]`)
		w.waitVisible(c + `[data-task-status="reported"]`)
		w.click(c + ` button[data-action="feedback"]`)
		w.sendKeys(c+` form.feedback-form textarea[name="result"]`, dept+"：已处置。")
		w.click(c + ` form.feedback-form button[type="submit"]`)
		w.waitVisible(c + `[data-task-status="done"]`)
	}
	w.signIn("c1-secretary")
	w.open("/app/cases/" + joint)
	w.waitVisible(`[data-case-status="verifying"]`)
	w.click(`#verify-departments input[value="s1-citymgmt"]`)
	w.sendKeys("#verify-comment", "烧烤架仍在人行道上，城管队需再次清理。")
	w.shot("31-verify-names-one-department")
	w.click("#verify-fail")
	w.confirm("the failed verification")
	w.waitVisible(`[data-case-status="open"]`)
	w.waitJS(`document.querySelector('#case .task[data-dept="s1-citymgmt"][data-task-status="reported"]') !== null && document.querySelector('#case .task[data-dept="s1-police"][data-task-status="done"]') !== null`, "only s1-citymgmt reopened")
	w.waitVisible(`#timeline li[data-type="verification_failed"]`)
	// The reopened task says so (返工), with the verifier's comment, and its
	// old feedback is marked as superseded; the done one is not.
	rework := `#case .task[data-dept="s1-citymgmt"]`
	w.waitVisible(rework + ` .badge.rework`)
	if got := w.evalString(`document.querySelector('` + rework + ` .rework-note').textContent`); !strings.Contains(got, "烧烤架仍在人行道上") {
		t.Errorf("the rework note reads %q, want the verification comment", got)
	}
	w.waitVisible(rework + ` .feedback.superseded`)
	if n := w.evalString(`String(document.querySelectorAll('#case .task[data-dept="s1-police"] .badge.rework, #case .task[data-dept="s1-police"] .feedback.superseded').length)`); n != "0" {
		t.Errorf("the done task is marked as rework")
	}
	w.shot("32-rework")
	// Its clerk acts from the case page as from the inbox: the same forms.
	w.signIn("s1-citymgmt")
	w.open("/app/cases/" + joint)
	w.click(rework + ` button[data-action="feedback"]`)
	w.sendKeys(rework+` form.feedback-form textarea[name="result"]`, "已再次清理，烧烤架已移走。")
	w.click(rework + ` form.feedback-form button[type="submit"]`)
	w.waitVisible(rework + `[data-task-status="done"]`)
	w.waitJS(`document.querySelector('`+rework+` .badge.rework') === null`, "the rework done")

	w.checkNoErrors()
}

// fileWhistle files a case from the filing form whistling depts (the
// class as the form has it) and waits for its open page. It returns the
// case id.
func (w *walk) fileWhistle(title, address string, depts ...string) string {
	w.t.Helper()
	if !strings.HasSuffix(w.evalString(`location.pathname`), "/app/cases/new") {
		w.open("/app/cases/new")
	}
	w.waitJS(`document.querySelectorAll('#departments input[type=checkbox]').length > 0`, "the whistleable departments")
	for _, d := range depts {
		w.click(fmt.Sprintf(`#departments input[value=%q]`, d))
	}
	w.sendKeys("#title", title)
	w.sendKeys("#address", address)
	w.click("#whistle-btn")
	w.waitVisible(`[data-case-status="open"]`)
	return w.evalString(`document.querySelector('.case-head').dataset.caseId`)
}

// pickOption waits for a select's option to load and picks it.
func (w *walk) pickOption(sel, value string) {
	w.t.Helper()
	w.waitJS(fmt.Sprintf(`document.querySelector('%s option[value=%q]') !== null`, sel, value), "the option "+value+" of "+sel)
	w.eval(fmt.Sprintf(`(() => { const s = document.querySelector('%s'); s.value = %q; s.dispatchEvent(new Event('change', { bubbles: true })); return true; })()`, sel, value))
}

// reloadUntil opens path again until cond holds (the page does not poll).
func (w *walk) reloadUntil(path, cond, what string) {
	w.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		w.open(path)
		w.waitJS(`document.querySelector('#case .case-head') !== null || document.querySelector('#case .error') !== null`, "the case page")
		if w.evalString(`String(`+cond+`)`) == "true" {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("waited %s for %s\n%s", stepTimeout, what, w.pageState())
		}
		time.Sleep(time.Second)
	}
}

// apiPut sends one JSON PUT as user, for a setting the walk needs but
// does not look at; it fails the test unless the API answers 2xx.
func (w *walk) apiPut(user, path, body string) {
	w.t.Helper()
	req, err := http.NewRequest(http.MethodPut, w.p.base+path, strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.p.token(w.t, user))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		w.t.Fatalf("PUT %s answered %d", path, res.StatusCode)
	}
}
