package e2e

import (
	"testing"
)

// TestAppealsInTheBrowser: the street secretary rates a station for this
// quarter on the 申诉与评议 page (定期评议) and corrects it; the station's
// clerk reaches the page from the inbox header, sees the rating and the
// appeal form over its own drill-down (a month not published answers with
// its reason, in Chinese).
func TestAppealsInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser walk builds and starts the whole product: skipped with -short")
	}
	w := setup(t)
	w.open("/")
	w.waitJS(`document.querySelector('#signin-form') !== null`, "the sign-in page")
	w.signIn("s1-secretary")
	w.waitVisible(`#nav a[href="/app/appeals"]`)
	w.open("/app/appeals?tab=periodic")
	w.waitJS(`document.querySelector('#periodic-form select[name="department_id"] option[value="s1-police"]') !== null`, "the departments to rate")
	rate := func(work string) {
		w.eval(`(() => { document.querySelector('#periodic-form select[name="department_id"]').value = 's1-police'; return true; })()`)
		w.setValue(`#periodic-form input[name="work"]`, work)
		w.setValue(`#periodic-form input[name="cooperation"]`, "85")
		w.setValue(`#periodic-form input[name="residents"]`, "80")
		w.click(`#periodic-form button[type="submit"]`)
		w.waitJS(`(() => { const c = document.querySelector('#periodic-list tbody td:nth-child(4)'); return !!c && c.textContent === '`+work+`'; })()`, "the rating listed with work "+work)
	}
	rate("90")
	rate("70") // corrected, still one row
	if n := w.evalString(`String(document.querySelectorAll('#periodic-list tbody tr').length)`); n != "1" {
		t.Errorf("%s ratings listed, want 1", n)
	}
	w.shot("70-periodic")

	w.signIn("s1-police")
	w.open("/app/inbox")
	w.click(`.page-head a[data-link="appeals"]`)
	w.waitVisible(`#appeals button[data-tab="file"]`)
	w.click(`#appeals .filters button.btn-primary`)
	w.waitJS(`(() => { const e = document.querySelector('#appeal-cells'); return !!e && !e.querySelector('.loading') && e.textContent.length > 0; })()`, "the drill-down answered")
	w.click(`button[data-tab="periodic"]`)
	w.waitJS(`(() => { const c = document.querySelector('#periodic-list tbody td:nth-child(3)'); return !!c && c.textContent.includes('和平派出所'); })()`, "the station's rating")
	w.checkDictionaries()
	w.checkNoErrors()
}
