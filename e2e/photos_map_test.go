package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPhotosMap walks issue 15 in the browser: a grid worker on a phone
// takes a photo, picks the spot on the map, sees its grid and files; the
// case shows the photo's thumbnail (full view on tap) and the grid; a
// clerk gives feedback with before and after photos, shown side by side;
// the district command centre's map (一张图) shows the grids and the case's
// marker, which leads to the case; a user of the other district gets 404
// for every one of those files.
func TestPhotosMap(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser walk builds and starts the whole product: skipped with -short")
	}
	w := setup(t)
	dir := t.TempDir()
	scene := writeJPEG(t, filepath.Join(dir, "scene.jpg"), color.RGBA{200, 120, 40, 255})
	before := writeJPEG(t, filepath.Join(dir, "before.jpg"), color.RGBA{90, 90, 90, 255})
	after := writeJPEG(t, filepath.Join(dir, "after.jpg"), color.RGBA{40, 160, 90, 255})

	// 1. The grid worker, on a phone: a photo, the spot on the map, its grid.
	w.signIn("g1-worker")
	var caseID string
	w.phone(func() {
		w.open("/app/cases/new")
		w.waitVisible("#new-case-form")
		w.waitJS(`document.querySelectorAll('#departments input[type=checkbox]').length > 0`, "the whistleable departments")
		w.upload("#photos", scene)
		w.waitJS(`(() => { const i = document.querySelector('#photos-list li[data-file-id] img'); return i && i.complete && i.naturalWidth > 0; })()`, "the uploaded photo's thumbnail")
		w.waitVisible("#pick-map.leaflet-container")
		// A point outside every grid (青年湖社区 has none) says so and
		// offers filing by the address.
		w.sendKeys("#lat", "39.93")
		w.sendKeys("#lon", "116.42")
		w.waitVisible("#located-outside")
		w.waitVisible("#outside-grid")
		// Typing a point moves the map there; then a tap a little off it
		// picks the spot, which the server locates in its grid.
		w.setValue("#lat", "39.9581")
		w.setValue("#lon", "116.4172")
		w.eval(`(() => { document.querySelector('#lon').dispatchEvent(new Event('change', { bubbles: true })); return true; })()`)
		w.waitJS(`document.querySelector('#located-grid') !== null && document.querySelector('#outside-grid').hidden`, "the typed point located")
		w.tapMap("#pick-map", 24, -18)
		w.waitJS(`document.querySelector('#lat').value !== '39.9581' && document.querySelector('#located-grid') !== null && !document.querySelector('#located .spinner')`, "the tapped point located")
		if got := w.evalString(`document.querySelector('#located-grid').dataset.gridId`); got != "110101001001001" {
			t.Errorf("the tapped point is located in grid %q, want 110101001001001 (和平里第一网格)", got)
		}
		if got := w.evalString(`document.querySelector('#grid_id').value`); got != "110101001001001" {
			t.Errorf("the grid field holds %q after the locate, want 110101001001001", got)
		}
		w.click(`#departments input[value="s1-citymgmt"]`)
		w.sendKeys("#title", "和平里东街井盖破损")
		w.sendKeys("#description", "巡查发现井盖破损，已设置临时警示。")
		w.sendKeys("#address", "和平里东街 8 号")
		w.shot("50-grid-worker-photo-and-map-phone")
		w.click("#whistle-btn")
		w.waitVisible(`[data-case-status="open"]`)
		caseID = w.evalString(`document.querySelector('.case-head').dataset.caseId`)
		// 2. The case: the photo's thumbnail and the grid.
		w.waitJS(`(() => { const i = document.querySelector('#case-photos .thumb img'); return i && i.complete && i.naturalWidth > 0; })()`, "the case's photo thumbnail")
		w.waitJS(`document.querySelector('#case-grid') && document.querySelector('#case-grid').dataset.gridId === '110101001001001'`, "the case's grid")
		w.shot("51-case-photo-and-grid-phone")
	})
	photoID := w.evalString(`document.querySelector('#case-photos .thumb').dataset.fileId`)
	t.Logf("filed case %s with photo %s", caseID, photoID)

	// A tap opens the full image; Esc closes it.
	w.click("#case-photos .thumb")
	w.waitJS(`(() => { const i = document.querySelector('#photo-viewer img'); return i && i.complete && i.naturalWidth === 800; })()`, "the full photo")
	w.do("press Esc", chromedp.KeyEvent("\x1b"))
	w.waitJS(`document.querySelector('#photo-viewer') === null`, "the viewer closed")

	// 3. The clerk reports for duty and feeds back with before and after photos.
	w.signIn("s1-citymgmt")
	card := fmt.Sprintf(`li.task-card[data-case-id=%q]`, caseID)
	w.waitVisible(card)
	// The inbox card shows the filing's photo, so the clerk sees the scene.
	w.waitJS(fmt.Sprintf(`[...document.querySelectorAll('%s .case-photos img')].some((i) => i.complete && i.naturalWidth > 0)`, card), "the filing's photo on the inbox card")
	w.click(card + ` button[data-action="report"]`)
	w.waitVisible(card + `[data-task-status="reported"]`)
	w.click(card + ` button[data-action="feedback"]`)
	w.waitVisible(card + ` form.feedback-form`)
	w.sendKeys(card+` form.feedback-form textarea[name="result"]`, "已更换井盖，警示撤除。")
	w.upload(card+` .before-photos input[type=file]`, before)
	w.upload(card+` .after-photos input[type=file]`, after)
	w.waitJS(fmt.Sprintf(`document.querySelectorAll('%s .feedback-form li[data-file-id] img').length === 2`, card), "both feedback photos uploaded")
	w.shot("52-clerk-before-after-photos")
	w.click(card + ` form.feedback-form button[type="submit"]`)
	w.waitVisible(card + `[data-task-status="done"]`)
	w.waitVisible(card + ` .before-after .thumb[data-side="before"]`)
	beforeID := w.evalString(fmt.Sprintf(`document.querySelector('%s .before-after .thumb[data-side="before"]').dataset.fileId`, card))
	afterID := w.evalString(fmt.Sprintf(`document.querySelector('%s .before-after .thumb[data-side="after"]').dataset.fileId`, card))

	// The case page shows the pair side by side.
	w.open("/app/cases/" + caseID)
	w.waitJS(`(() => { const p = [...document.querySelectorAll('#case .task .before-after .pair:not(.pair-head) img')]; return p.length === 2 && p.every((i) => i.complete && i.naturalWidth > 0); })()`, "the before/after pair on the case")

	// 4. The district command centre's map: the grids and the case's marker.
	w.signIn("d1-commander")
	w.click(`#nav a[href="/app/map"]`)
	w.waitJS(`document.querySelectorAll('#map-canvas path.grid-shape').length > 0`, "the grid polygons")
	marker := fmt.Sprintf(`#map-canvas .case-pin[data-case-id=%q]`, caseID)
	w.waitVisible(marker)
	w.shot("53-command-centre-map")
	// Another class hides it; the marker leads to the case.
	w.eval(`(() => { const s = document.querySelector('#map-filters select[name="class"]'); s.value = 'emergency'; s.dispatchEvent(new Event('change', { bubbles: true })); return true; })()`)
	w.waitJS(fmt.Sprintf(`location.search.includes('class=emergency') && document.querySelector('#map-status').textContent !== '加载中…' && document.querySelector('%s') === null`, marker), "the filtered map")
	w.eval(`(() => { const s = document.querySelector('#map-filters select[name="class"]'); s.value = ''; s.dispatchEvent(new Event('change', { bubbles: true })); return true; })()`)
	w.click(marker)
	w.waitJS(fmt.Sprintf(`location.pathname === '/app/cases/%s'`, caseID), "the case from its marker")
	w.phone(func() {
		w.open("/app/map")
		w.waitVisible(marker)
		w.shot("54-command-centre-map-phone")
	})

	// 5. The files: the case's people see them; the other district does not.
	for _, id := range []string{photoID, beforeID, afterID} {
		for _, path := range []string{"/api/v1/files/" + id, "/api/v1/files/" + id + "/thumbnail"} {
			if got := w.p.status(t, "s1-citymgmt", path); got != http.StatusOK {
				t.Errorf("s1-citymgmt GET %s: %d, want 200", path, got)
			}
			if got := w.p.status(t, "d2-commander", path); got != http.StatusNotFound {
				t.Errorf("d2-commander (城西区) GET %s: %d, want 404", path, got)
			}
		}
	}
	w.checkNoErrors()
}

// writeJPEG writes an 800×600 JPEG of a gradient over c, as a phone's
// camera would hand the page a photo.
func writeJPEG(t *testing.T, path string, c color.RGBA) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 800, 600))
	for y := 0; y < 600; y++ {
		for x := 0; x < 800; x++ {
			img.Set(x, y, color.RGBA{uint8(int(c.R) * x / 800), c.G, uint8(int(c.B) * y / 600), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// upload hands the file input sel a file, as picking a photo does.
func (w *walk) upload(sel, file string) {
	w.t.Helper()
	w.do("upload "+file+" into "+sel, chromedp.SetUploadFiles(chromedp.CSS(sel), []string{file}))
}

// tapMap taps the map in sel dx, dy CSS pixels off its centre.
func (w *walk) tapMap(sel string, dx, dy float64) {
	w.t.Helper()
	w.eval(fmt.Sprintf(`(() => { document.querySelector(%q).scrollIntoView({ block: 'center' }); return true; })()`, sel))
	var r struct{ X, Y float64 }
	raw := w.evalString(fmt.Sprintf(`(() => { const b = document.querySelector(%q).getBoundingClientRect(); return JSON.stringify({ x: b.left + b.width / 2, y: b.top + b.height / 2 }); })()`, sel))
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		w.t.Fatalf("the map's place %s: %v", raw, err)
	}
	w.do("tap the map", chromedp.TapXY(r.X+dx, r.Y+dy))
}

// status is the HTTP status user gets for GET path, with their token.
func (p *product) status(t *testing.T, user, path string) int {
	t.Helper()
	req, err := http.NewRequest("GET", p.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.token(t, user))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
