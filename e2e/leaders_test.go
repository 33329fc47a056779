package e2e

import (
	"testing"
	"time"
)

// TestLeadersInTheBrowser: three cases of one category in one grid make a
// recurring problem on the street secretary's 研判 page, filed from there as
// one coordinated case in one action; the statistics tab counts them.
func TestLeadersInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser walk builds and starts the whole product: skipped with -short")
	}
	w := setup(t)
	body := `{"title":"人行道占道经营","source":"grid","class":"routine","category":"占道经营","department_ids":["s1-citymgmt"],
		"location":{"address":"和平里东街 3 号","grid_id":"110101001001001"}}`
	for range 3 {
		w.apiJSON("c1-secretary", "POST", "/api/v1/cases", body, 201)
	}
	w.open("/")
	w.waitJS(`document.querySelector('#signin-form') !== null`, "the sign-in page")
	w.signIn("s1-secretary")
	w.waitVisible(`#nav a[href="/app/leaders"]`)
	problem := `.card.recurring[data-category="占道经营"]`
	deadline := time.Now().Add(stepTimeout)
	for { // the projection writes the cases
		w.open("/app/leaders")
		w.waitJS(`(() => { const l = document.querySelector('#recurring-list'); return !!l && !l.querySelector('.loading') && l.children.length > 0; })()`, "the recurring problems")
		if w.evalString(`String(document.querySelector('`+problem+`') !== null)`) == "true" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recurring problem\n%s", w.pageState())
		}
		time.Sleep(time.Second)
	}
	if n := w.evalString(`String(document.querySelectorAll('` + problem + ` tbody tr').length)`); n != "3" {
		t.Errorf("the problem lists %s cases, want 3", n)
	}
	w.click(problem + ` details summary`)
	w.waitJS(`document.querySelector('`+problem+` select[name="departments"] option[value="s1-citymgmt"]') !== null`, "the whistleable departments")
	w.eval(`(() => { document.querySelector('` + problem + ` select[name="departments"] option[value="s1-citymgmt"]').selected = true; return true; })()`)
	w.shot("60-recurring-file")
	w.click(problem + ` form button[type="submit"]`)
	w.waitVisible(problem + ` .notice a`)

	w.click(`button[data-tab="stats"]`)
	w.waitVisible(`#stats-out table`)
	w.waitJS(`document.querySelector('#stats-out').textContent.includes('占道经营')`, "the category in the statistics")
	w.checkDictionaries()
	w.checkNoErrors()
}
