// Package e2e walks a whole case through Shaobao's pages in a real headless
// Chromium, against the real binary (`shaobao dev`): a community files a
// joint whistle, two departments report for duty and give feedback, the
// community verifies and evaluates, the case closes; a supervisor and an
// admin see their pages.
//
// It is its own module so that chromedp stays out of the product's
// dependencies. Run it with `cd e2e && go test ./...`. It needs Debian's
// chromium (and fonts-noto-cjk for readable screenshots): without it the
// test is skipped, or fails when CI is set. SHAOBAO_E2E_SCREENSHOTS=1
// writes the screenshots to docs/screenshots/; otherwise they go to a
// temporary folder.
//
// Every page a test screenshots is scanned (scan_test.go): in Chinese no
// English word and no RFC 3339 time may show, and at 390 px the page must
// not scroll sideways.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// product is a running `shaobao dev`.
type product struct {
	bin, data, base string
	log             *syncBuffer
}

func TestWholeCaseInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser walk builds and starts the whole product: skipped with -short")
	}
	start := time.Now()
	w := setup(t)
	shots := w.shots

	// The page itself is served by the binary.
	w.open("/")
	w.waitJS(`document.querySelector('#signin-form') !== null`, "the sign-in page")
	w.checkDictionaries()
	w.checkScanner()
	w.shot("00-sign-in")

	// A wrong password is refused in place, next to the form; so is a
	// wrong token behind 使用令牌登录.
	w.setValue("#username", "c1-secretary")
	w.setValue("#password", "not-the-password")
	w.click("#signin-btn")
	w.waitJS(`(() => { const e = document.querySelector('#signin-form .error'); return e && !e.hidden && e.textContent.includes('用户名或密码错误'); })()`, "the sign-in error")
	w.click("#use-token")
	w.setValue("#token", "not-a-token")
	w.click("#token-btn")
	w.waitJS(`(() => { const e = document.querySelector('#token-form .error'); return e && !e.hidden && e.textContent.length > 0; })()`, "the token sign-in error")

	// 1. c1-secretary files a routine joint whistle to s1-police and s1-citymgmt.
	w.signIn("c1-secretary")
	w.waitJS(`location.pathname === '/app/cases'`, "my cases")
	w.click("#new-case")
	w.waitVisible("#new-case-form")
	w.waitJS(`document.querySelectorAll('#departments input[type=checkbox]').length > 0`, "the whistleable departments")
	w.eval(`(() => { const s = document.querySelector('#catalogue'); s.value = 'stalls'; s.dispatchEvent(new Event('change')); return true; })()`)
	w.eval(`(() => { document.querySelector('#class').value = 'routine'; return true; })()`)
	w.click(`#departments input[value="s1-police"]`)
	w.click(`#departments input[value="s1-citymgmt"]`)
	w.eval(`(() => { document.querySelector('#title').value = ''; return true; })()`) // the item filled in its name
	w.sendKeys("#title", "和平里东口早市占道经营")
	w.sendKeys("#description", "早市摊位占用人行道和消防通道，居民多次反映。")
	w.eval(`(() => { document.querySelector('#source').value = 'resident'; return true; })()`)
	w.sendKeys("#address", "和平里东街 12 号")
	w.sendKeys("#lat", "39.9581")
	w.sendKeys("#lon", "116.4172")
	w.shot("01-community-new-case")
	w.click("#whistle-btn")
	w.waitJS(`document.querySelector('[data-case-status="open"]') !== null`, "the filed case page")
	caseID := w.evalString(`document.querySelector('.case-head').dataset.caseId`)
	t.Logf("filed case %s", caseID)
	w.waitJS(`document.querySelectorAll('#case .task[data-task-status="summoned"]').length === 2`, "two summoned tasks")
	w.shot("02-community-case-open")

	// 2. Each department signs in, reports for duty and gives feedback.
	for i, dept := range []string{"s1-police", "s1-citymgmt"} {
		w.signIn(dept)
		card := fmt.Sprintf(`li.task-card[data-case-id=%q]`, caseID)
		w.waitVisible(card)
		if i == 0 {
			w.shot("03-department-inbox")
			// The card says what the problem is and who whistled.
			if got := w.evalString(`document.querySelector('` + card + `').textContent`); !strings.Contains(got, "早市摊位占用人行道") || !strings.Contains(got, "c1-secretary") {
				t.Errorf("the inbox card lacks the description or the filer: %q", got)
			}
		}
		w.click(card + ` button[data-action="report"]`)
		w.waitVisible(card + `[data-task-status="reported"]`)
		w.click(card + ` button[data-action="feedback"]`)
		w.waitVisible(card + ` form.feedback-form`)
		w.sendKeys(card+` form.feedback-form textarea[name="result"]`, dept+"：已到场处置，摊位已清理，通道恢复畅通。")
		w.sendKeys(card+` form.feedback-form textarea[name="notes"]`, "联合执法，劝离摊贩 8 户。")
		w.sendKeys(card+` form.feedback-form textarea[name="evidence"]`, "https://example.invalid/evidence/"+dept+"-after.jpg")
		if i == 0 {
			w.shot("04-department-feedback")
		}
		w.click(card + ` form.feedback-form button[type="submit"]`)
		w.waitVisible(card + `[data-task-status="done"]`)
	}

	// The inbox on a phone.
	w.phone(func() {
		w.open("/app/inbox?all=true")
		w.waitVisible(fmt.Sprintf(`li.task-card[data-case-id=%q]`, caseID))
		w.shot("05-department-inbox-phone")
	})

	// 3. c1-secretary verifies and evaluates both departments: closed.
	w.signIn("c1-secretary")
	w.open("/app/cases/" + caseID)
	w.waitVisible(`[data-case-status="verifying"]`)
	w.shot("06-community-verify")
	w.sendKeys("#verify-comment", "现场核查：通道已畅通。")
	w.click("#verify-pass")
	w.waitVisible(`[data-case-status="evaluating"]`)
	// 回访: a resident's case is called back first; the evaluations then
	// take the resident's answer and ask for none.
	w.waitVisible("#callback-form")
	w.eval(`(() => { document.querySelector('#callback-satisfaction').value = 'satisfied'; return true; })()`)
	w.click(`#callback-form button[type="submit"]`)
	w.waitVisible(`#callbacks li[data-reached="true"]`)
	for _, dept := range []string{"s1-police", "s1-citymgmt"} {
		form := fmt.Sprintf(`form.evaluation-form[data-dept=%q]`, dept)
		w.waitVisible(form)
		// The form starts unset: sending it so is refused in place.
		w.click(form + ` button[type="submit"]`)
		if n := w.evalString(fmt.Sprintf(`String(document.querySelectorAll('%s select:invalid').length)`, form)); n != "3" {
			t.Errorf("evaluation form of %s: %s unset choices are invalid, want 3 (no preset stars; the satisfaction is the resident's)", dept, n)
		}
		for name, v := range map[string]string{"timeliness": "5", "quality": "4", "attitude": "5"} {
			w.eval(fmt.Sprintf(`(() => { document.querySelector('%s select[name="%s"]').value = '%s'; return true; })()`, form, name, v))
		}
		w.click(form + ` button[type="submit"]`)
		w.confirm("the evaluation of " + dept)
		w.waitJS(fmt.Sprintf(`document.querySelector('#evaluations li[data-dept=%q]') !== null || document.querySelector('[data-case-status="closed"]') !== null`, dept), "the evaluation of "+dept)
	}
	w.waitVisible(`[data-case-status="closed"]`)
	status := w.evalString(`document.querySelector('.case-head .badge[data-value="closed"]').textContent`)
	if status != "已结案" {
		t.Errorf("closed case shows status %q, want 已结案", status)
	}
	types := w.evalString(`[...document.querySelectorAll('#timeline li')].map(li => li.dataset.type).join(',')`)
	for _, want := range []string{"filed", "summoned", "reported", "feedback", "verified", "callback", "evaluated", "closed"} {
		if !strings.Contains(types, want) {
			t.Errorf("timeline %q lacks %q", types, want)
		}
	}
	w.shot("07-community-case-closed")
	w.phone(func() {
		w.open("/app/cases/" + caseID)
		w.waitVisible(`[data-case-status="closed"]`)
		w.shot("08-community-case-phone")
	})
	w.open("/app/cases")
	w.waitVisible(fmt.Sprintf(`li.case-card[data-case-id=%q]`, caseID))
	w.shot("09-community-my-cases")
	// The filters: the closed case is not among the open ones, and is
	// among the closed ones.
	pick := func(status string) {
		w.eval(fmt.Sprintf(`(() => { const s = document.querySelector('#case-filters select[name="status"]'); s.value = %q; s.dispatchEvent(new Event('change', { bubbles: true })); return true; })()`, status))
		w.waitJS(fmt.Sprintf(`location.search.includes('status=%s') && !document.querySelector('#case-list .loading')`, status), "the "+status+" cases")
	}
	pick("open")
	if n := w.evalString(fmt.Sprintf(`String(document.querySelectorAll('li.case-card[data-case-id=%q]').length)`, caseID)); n != "0" {
		t.Errorf("the closed case is listed among the open ones")
	}
	pick("closed")
	w.waitVisible(fmt.Sprintf(`li.case-card[data-case-id=%q]`, caseID))
	// A search that finds nothing says so and offers 清除筛选.
	w.setValue(`#case-filters input[name="q"]`, "没有这样的案件")
	w.eval(`(() => { document.querySelector('#case-filters').requestSubmit(); return true; })()`)
	w.waitVisible("#clear-filters")
	w.shot("09b-no-match")
	w.click("#clear-filters")
	w.waitVisible(fmt.Sprintf(`li.case-card[data-case-id=%q]`, caseID))
	if q := w.evalString(`location.search`); q != "" {
		t.Errorf("after 清除筛选 the address keeps %q", q)
	}
	// A case that is not there is said so in words, without a useless 重试.
	w.open("/app/cases/SB000000NOSUCH")
	w.waitJS(`(() => { const e = document.querySelector('#case .error'); return e && !e.hidden && e.textContent.includes('找不到'); })()`, "the not-found page")
	if n := w.evalString(`String([...document.querySelectorAll('#case button')].filter(b => b.textContent.includes('重试')).length)`); n != "0" {
		t.Errorf("the not-found page offers 重试")
	}
	w.shot("09c-not-found")

	// English: the switch re-draws the page and the API answers in English.
	w.click("#lang")
	w.waitJS(`document.querySelector('#nav a').textContent === 'My cases'`, "the English menu")
	w.open("/app/cases/" + caseID)
	w.waitVisible(`[data-case-status="closed"]`)
	if got := w.evalString(`document.querySelector('.case-head .badge[data-value="closed"]').textContent`); got != "closed" {
		t.Errorf("English status %q, want closed", got)
	}
	w.shot("10-community-case-english")
	w.click("#lang")
	w.waitJS(`document.querySelector('#nav a').textContent === '我的案件'`, "the Chinese menu")

	// 4. A supervisor sees the supervision page, whether or not its routes
	// answer yet: each section shows its data or the API's message.
	w.signIn("d1-supervisor")
	w.waitJS(`location.pathname === '/app/supervision'`, "the supervision page")
	settled := func(id string) string {
		return fmt.Sprintf(`(() => { const e = document.querySelector('#%s'); return e && !e.querySelector('.loading') && e.children.length > 0; })()`, id)
	}
	w.waitJS(settled("breaches-list"), "the breaches list")
	w.shot("11-supervisor-breaches")
	w.click(`.tab[data-tab="escalations"]`)
	w.waitJS(settled("escalations-list"), "the escalations list")
	w.click(`.tab[data-tab="rates"]`)
	w.waitJS(settled("rates"), "the rates")
	w.shot("12-supervisor-rates")
	// An export is fetched with the token and handed to the browser as a file.
	w.eval(`(() => { window.__saved = []; HTMLAnchorElement.prototype.click = function () { if (this.download) window.__saved.push(this.download); }; return true; })()`)
	w.click(`.exports a[data-export="csv"]`)
	w.waitJS(`window.__saved.length === 1 && /\.csv$/.test(window.__saved[0])`, "the CSV export")
	w.click(`.tab[data-tab="assessments"]`)
	w.waitJS(settled("assessments"), "the assessment")
	w.shot("13-supervisor-assessment")

	// The rates chart and the ranking, drawn from sample rows in the shape
	// the supervision routes are to answer (see supervision.js).
	w.checkSampleCharts()

	// 5. The admin sees the SLA policies (signed in with a token, as
	// scripts do).
	w.signInWithToken("admin")
	w.waitJS(`location.pathname === '/app/admin'`, "the admin page")
	w.waitVisible(`.sla-cards li[data-class="routine"]`)
	w.shot("14-admin-sla")
	// A bad span is refused in place with the API's message; a good one saves.
	keyForm := `.sla-cards li[data-class="key"] form`
	w.setValue(keyForm+` input[name="handle_within"]`, "3dd")
	w.click(keyForm + ` button[type="submit"]`)
	w.confirm("saving the city-wide policy")
	w.waitJS(fmt.Sprintf(`(() => { const e = document.querySelector('%s .error'); return e && !e.hidden && e.textContent.includes('办结时限「3dd」'); })()`, keyForm), "the refused span")
	w.scan("the refused span")
	w.setValue(keyForm+` input[name="handle_within"]`, "4d")
	w.click(keyForm + ` button[type="submit"]`)
	w.confirm("saving the city-wide policy")
	w.waitJS(`(() => { const c = document.querySelector('.sla-cards li[data-class="key"]'); return !c.querySelector('.saved').hidden && c.querySelector('input[name="handle_within"]').value === '4d' && c.textContent.includes('admin'); })()`, "the saved policy")

	// 6. Signing out lands on sign-in, and so does a page opened without a
	// token; a token that the API no longer accepts (401) sends the user
	// back to sign-in with a notice.
	w.click("#signout")
	w.waitVisible("#signin-form")
	w.open("/app/cases/" + caseID)
	w.waitVisible("#signin-form")
	w.eval(`(() => { localStorage.setItem('shaobao.token', 'sb_expired'); return true; })()`)
	w.open("/app/cases/" + caseID)
	w.waitJS(`location.pathname === '/app/signin' && document.querySelector('.notice') !== null`, "sign-in with the session-expired notice")

	w.checkNoErrors()
	t.Logf("browser walk done in %s (screenshots in %s)", time.Since(start).Round(time.Millisecond), shots)
}

// TestReturnedTaskInTheBrowser: s1-market returns a misrouted task,
// c1-secretary accepts the return and re-routes it to s1-citymgmt, who
// reports for duty and asks for two more days, which c1-secretary grants;
// the community escalates and street 1 takes the case.
func TestReturnedTaskInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser walk builds and starts the whole product: skipped with -short")
	}
	w := setup(t)
	w.signIn("c1-secretary")
	w.open("/app/cases/new")
	w.waitJS(`document.querySelectorAll('#departments input[type=checkbox]').length > 0`, "the whistleable departments")
	w.click(`#departments input[value="s1-market"]`)
	w.sendKeys("#title", "青年湖路口垃圾堆放")
	w.sendKeys("#address", "青年湖路 3 号")
	w.sendKeys("#lat", "39.9602")
	w.sendKeys("#lon", "116.4101")
	w.click("#whistle-btn")
	w.waitVisible(`[data-case-status="open"]`)
	second := w.evalString(`document.querySelector('.case-head').dataset.caseId`)
	w.signIn("s1-market")
	card := fmt.Sprintf(`li.task-card[data-case-id=%q]`, second)
	w.click(card + ` button[data-action="return"]`)
	w.sendKeys(card+` form.return-form textarea[name="reason"]`, "垃圾清运属城管职责，非市场监管事项。")
	w.click(card + ` form.return-form button[type="submit"]`)
	w.waitVisible(card + `[data-task-status="return_requested"]`)
	w.signIn("c1-secretary")
	w.open("/app/cases/" + second)
	w.click(`.return-answer button[data-action="accept-return"]`)
	w.waitVisible(`form.reroute-form input[value="s1-citymgmt"]`)
	w.shot("15-community-reroute")
	// The department that returned it is not offered again.
	if n := w.evalString(`String(document.querySelectorAll('form.reroute-form input[value="s1-market"]').length)`); n != "0" {
		t.Errorf("the re-route list offers s1-market, which returned the task")
	}
	w.click(`form.reroute-form input[value="s1-citymgmt"]`)
	w.click(`form.reroute-form button[type="submit"]`)
	w.waitVisible(`#case .task[data-task-status="summoned"]`)
	w.signIn("s1-citymgmt")
	w.click(card + ` button[data-action="report"]`)
	w.waitVisible(card + `[data-task-status="reported"]`)
	w.click(card + ` button[data-action="extension"]`)
	w.sendKeys(card+` form.extension-form input[name="extra"]`, "2d")
	w.sendKeys(card+` form.extension-form textarea[name="reason"]`, "需协调环卫车辆，两天内清运完毕。")
	w.scan("the extension form") // on a phone too: it must not overflow sideways
	w.click(card + ` form.extension-form button[type="submit"]`)
	w.waitJS(fmt.Sprintf(`document.querySelector('%s').textContent.includes('延期申请待答复')`, card), "the pending extension")
	w.signIn("c1-secretary")
	w.open("/app/cases/" + second)
	w.waitVisible(`.extension-answer`)
	w.shot("16-community-extension-answer")
	w.click(`.extension-answer button.btn-primary`)
	w.waitJS(`document.querySelector('#timeline li[data-type="extension_granted"]') !== null`, "the granted extension")

	// The community cannot resolve it: it escalates to the street, whose
	// secretary takes the case, then holds it and may whistle.
	w.click(`#actions details.more:last-of-type summary`)
	w.sendKeys(`form.escalate-form textarea[name="reason"]`, "涉及多个部门，社区协调不动。")
	w.click(`form.escalate-form button[type="submit"]`)
	w.confirm("the escalation")
	w.waitJS(`document.querySelector('#timeline li[data-type="escalation_requested"]') !== null && document.querySelector('#escalation-waiting') !== null`, "the escalation")
	w.signIn("s1-secretary")
	// The street's list is named for what it is, and marks the case whose
	// escalation waits on the street; 仅我发起的 leaves out what others filed.
	w.waitJS(`document.querySelector('#main h1') && document.querySelector('#main h1').textContent === '本街道案件'`, "the street's list title")
	w.waitVisible(fmt.Sprintf(`li.case-card[data-case-id=%q] .badge.waits-on-me`, second))
	w.shot("17a-street-cases")
	w.click("#only-mine")
	w.waitJS(fmt.Sprintf(`document.querySelector('#main h1').textContent === '我发起的案件' && !document.querySelector('#case-list .loading') && !document.querySelector('li.case-card[data-case-id=%q]')`, second), "only the cases s1-secretary filed")
	w.open("/app/cases/" + second)
	w.click(`#escalation-answer button[data-action="accept"]`)
	w.waitJS(`document.querySelector('#timeline li[data-type="escalation_accepted"]') !== null`, "the escalation accepted")
	w.waitJS(`document.querySelector('#actions form.escalate-form') !== null && document.querySelector('#held-above') === null`, "the street holding the case")
	w.shot("17-street-escalated-case")
	// In the street's list the case is marked as now held here.
	w.open("/app/cases")
	w.waitVisible(fmt.Sprintf(`li.case-card[data-case-id=%q] .badge[data-held="here"]`, second))

	w.checkNoErrors()
}

// setup builds and starts the product and a browser for one test.
func setup(t *testing.T) *walk {
	t.Helper()
	chrome := findChrome(t)
	start := time.Now()
	p := startProduct(t)
	t.Logf("product up in %s at %s", time.Since(start).Round(time.Millisecond), p.base)
	return &walk{t: t, b: newBrowser(t, chrome), p: p, shots: screenshotDir(t)}
}

// ---- the product ----

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "cmd", "shaobao")); err != nil {
		t.Fatalf("cannot find the repository root from %s: %v", dir, err)
	}
	return dir
}

// startProduct builds cmd/shaobao, starts `shaobao dev` on a free port
// with a fresh data folder and waits for /readyz.
func startProduct(t *testing.T) *product {
	t.Helper()
	root := repoRoot(t)
	tmp := t.TempDir()
	p := &product{bin: filepath.Join(tmp, "shaobao"), data: filepath.Join(tmp, "data"), log: &syncBuffer{}}
	build := exec.Command("go", "build", "-o", p.bin, "./cmd/shaobao")
	build.Dir = root
	build.Env = append(os.Environ(), "GOTOOLCHAIN=auto")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/shaobao: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	p.base = "http://" + addr
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, p.bin, "dev", "--addr", addr, "--data", p.data, "--temporal-port", "0")
	cmd.Stdout, cmd.Stderr = p.log, p.log
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 20 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start shaobao dev: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-exited
		if t.Failed() {
			t.Logf("shaobao dev log (last 60 lines):\n%s", p.log.tail(60))
		}
	})
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-exited:
			t.Fatalf("shaobao dev exited before it was ready: %v\n%s", err, p.log.tail(60))
		default:
		}
		res, err := http.Get(p.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("shaobao dev not ready after 2 minutes\n%s", p.log.tail(60))
		}
		time.Sleep(250 * time.Millisecond)
	}
	// The pages must be served by the same binary.
	res, err := http.Get(p.base + "/app/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /app/ answered %d %s: the web pages (web.Handler) are not mounted in api/server.go", res.StatusCode, res.Header.Get("Content-Type"))
	}
	return p
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

var tokens sync.Map

// token asks the binary for a demo user's bearer token, as a person would.
func (p *product) token(t *testing.T, user string) string {
	t.Helper()
	if v, ok := tokens.Load(p.data + user); ok {
		return v.(string)
	}
	out, err := exec.Command(p.bin, "token", user, "--data", p.data).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("shaobao token %s: %v\n%s", user, err, ee.Stderr)
		}
		t.Fatalf("shaobao token %s: %v", user, err)
	}
	tok := strings.TrimSpace(lastLine(string(out)))
	tokens.Store(p.data+user, tok)
	return tok
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// ---- the browser ----

// findChrome returns Chromium's path; without one the test is skipped,
// or fails under CI.
func findChrome(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("SHAOBAO_CHROME"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := "no Chromium found (apt-get install -y chromium fonts-noto-cjk, or set SHAOBAO_CHROME)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T, chrome string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &browser{}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.mu.Lock()
			b.errors = append(b.errors, "uncaught: "+e.ExceptionDetails.Text+" "+exceptionText(e.ExceptionDetails))
			b.mu.Unlock()
		}
	}))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium (%s): %v", chrome, err)
	}
	b.ctx = ctx
	return b
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d.Exception != nil && d.Exception.Description != "" {
		return d.Exception.Description
	}
	return ""
}

// walk is one user journey: each step fails the test with what it waited
// for, the page's address and any error shown on it.
type walk struct {
	t     *testing.T
	b     *browser
	p     *product
	shots string
	n     int
	// inPhone: the viewport is a phone's now; noScan: the page shows
	// sample data, not a page of the product (see scan_test.go).
	inPhone, noScan bool
}

const stepTimeout = 45 * time.Second

func (w *walk) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		w.t.Fatalf("%s: %v\n%s", what, err, w.pageState())
	}
}

// pageState tells where the browser is and what error the page shows.
func (w *walk) pageState() string {
	ctx, cancel := context.WithTimeout(w.b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + '\n' + [...document.querySelectorAll('.error:not([hidden])')].map(e => 'error shown: ' + e.textContent).join('\n') + '\n' + document.querySelector('#main').innerText.slice(0, 1500)`))
	if err != nil {
		return "(page state unavailable: " + err.Error() + ")"
	}
	return "page: " + s
}

func (w *walk) open(path string) {
	w.t.Helper()
	w.do("open "+path, chromedp.Navigate(w.p.base+path))
}

func (w *walk) click(sel string) {
	w.t.Helper()
	w.do("click "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

func (w *walk) sendKeys(sel, text string) {
	w.t.Helper()
	w.do("type into "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

func (w *walk) setValue(sel, v string) {
	w.t.Helper()
	w.do("set "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SetValue(chromedp.CSS(sel), v))
}

func (w *walk) waitVisible(sel string) {
	w.t.Helper()
	w.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

func (w *walk) waitJS(cond, what string) {
	w.t.Helper()
	w.do("wait for "+what, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
}

func (w *walk) eval(js string) {
	w.t.Helper()
	w.do("evaluate "+js, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](js)(ctx, t)
		return err
	}))
}

func (w *walk) evalString(js string) string {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		w.t.Fatalf("evaluate %s: %v\n%s", js, err, w.pageState())
	}
	return s
}

// demoPassword is the embedded default's documented demo password.
const demoPassword = "shaobao-demo"

// confirm answers the page's confirmation dialog (确认) for what.
func (w *walk) confirm(what string) {
	w.t.Helper()
	w.waitVisible(`dialog.confirm-dialog[open]`)
	w.scan("confirming " + what)
	w.click(`dialog.confirm-dialog button[data-action="confirm"]`)
	w.waitJS(`document.querySelector('dialog.confirm-dialog') === null`, "the confirmation of "+what+" closed")
}

// signIn signs out whoever is signed in and signs in as user through the
// sign-in form, with the demo password.
func (w *walk) signIn(user string) {
	w.t.Helper()
	w.signOut()
	w.open("/app/signin")
	w.setValue("#username", user)
	w.setValue("#password", demoPassword)
	w.click("#signin-btn")
	w.waitJS(fmt.Sprintf(`document.querySelector('#who') && document.querySelector('#who').title === %q && !document.querySelector('#signin-form')`, user), "signed in as "+user)
}

// signInWithToken signs in as user through the token form (使用令牌登录),
// with the token `shaobao token USER` prints.
func (w *walk) signInWithToken(user string) {
	w.t.Helper()
	tok := w.p.token(w.t, user)
	w.signOut()
	w.open("/app/signin")
	w.click("#use-token")
	w.setValue("#token", tok)
	w.click("#token-btn")
	w.waitJS(fmt.Sprintf(`document.querySelector('#who') && document.querySelector('#who').title === %q && !document.querySelector('#signin-form')`, user), "signed in as "+user)
}

// signOut forgets every sign-in: the session cookies and a stored token.
func (w *walk) signOut() {
	w.t.Helper()
	// The cookies go first: a page opened while the session lives renders
	// its home, and a request of it answered 401 after the cookies went
	// would remember that page to open after the next sign-in.
	w.do("clear the sign-in", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}))
	w.open("/app/signin")
	w.eval(`(() => { localStorage.removeItem('shaobao.token'); sessionStorage.clear(); return true; })()`)
}

// phone runs fn in a phone-sized viewport (390×844, touch).
func (w *walk) phone(fn func()) {
	w.t.Helper()
	w.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	w.inPhone = true
	defer func() { w.inPhone = false }()
	defer w.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
	fn()
}

func (w *walk) shot(name string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.b.ctx, stepTimeout)
	defer cancel()
	// From the top (a click may have scrolled; the top bar is sticky), once
	// the fonts are in.
	_, _ = chromedp.Run(ctx, chromedp.Evaluate[bool](`window.scrollTo(0, 0), document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise))
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		w.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(w.shots, name+".png"), png, 0o644); err != nil {
		w.t.Fatal(err)
	}
	w.scan(name)
}

// checkSampleCharts draws the rates over time and the ranking from sample
// rows, checks the SVG has a line per group, and keeps a screenshot in the
// test's temporary folder or SHAOBAO_E2E_SAMPLE_DIR (sample data never goes
// to docs/).
func (w *walk) checkSampleCharts() {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.b.ctx, stepTimeout)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`import('/assets/js/supervision.js').then(({ ratesResult, ranking }) => {
		const rv = (r) => ({ numerator: Math.round(r * 20), denominator: 20, rate: r });
		const row = (id, name, base, i) => ({ id, name, kind: 'street', counts: { cases: 20 },
			response_rate: rv(base + i * 0.03), resolution_rate: rv(base - 0.1), satisfaction_rate: rv(0.95),
			on_time_closure_rate: rv(0.9), rework_rate: rv(0.05), extension_rate: { numerator: 0, denominator: 0, rate: null } });
		const both = (i) => [row('s1-police', '和平派出所', 0.8, i), row('s1-citymgmt', '和平城管执法队', 0.9, i)];
		const monthly = ['2026-01', '2026-02', '2026-03'].map((month, i) => ({ month, report: { items: both(i) } }));
		const report = { group: 'department', from: '2026-01-01T00:00:00+08:00', to: '2026-04-01T00:00:00+08:00', items: both(0), total: row('', '', 0.85, 0) };
		const box = document.createElement('div');
		box.id = 'sample-charts';
		box.className = 'card';
		box.append(...ratesResult(report, monthly), ...ranking({ year: 2026, street_weight: 1 / 3, min_cases: 1, items: [
			{ department_id: 's1-police', name: '和平派出所', rank: 1, total: 91.5, street_score: 95, performance_score: 89.75, response_rate: rv(0.98) },
			{ department_id: 's1-citymgmt', name: '和平城管执法队', rank: null, total: null, unranked_reason: 'too_few_cases', response_rate: rv(0.95) }] }));
		document.querySelector('#main').replaceChildren(box);
		return box.querySelectorAll('svg polyline').length + ' lines, ' + box.querySelectorAll('tbody tr').length + ' rows';
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		w.t.Fatalf("draw the sample charts: %v", err)
	}
	if got != "2 lines, 5 rows" {
		w.t.Errorf("sample charts: got %s, want 2 lines, 5 rows (2 rates rows and the total, 2 scorecards)", got)
	}
	keep := w.shots
	w.shots = os.Getenv("SHAOBAO_E2E_SAMPLE_DIR")
	if w.shots == "" {
		w.shots = w.t.TempDir()
	}
	w.noScan = true
	w.shot("sample-rates")
	w.noScan = false
	w.t.Logf("sample charts: %s, screenshot in %s", got, w.shots)
	w.shots = keep
}

// checkDictionaries fails when the Chinese and English dictionaries do
// not have the same keys.
func (w *walk) checkDictionaries() {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.b.ctx, stepTimeout)
	defer cancel()
	diff, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`import('/assets/js/i18n.js').then(({ dictionaries: { zh, en } }) =>
		[...Object.keys(zh).filter(k => !(k in en)).map(k => 'en lacks ' + k), ...Object.keys(en).filter(k => !(k in zh)).map(k => 'zh lacks ' + k)])`, chromedp.EvalAwaitPromise))
	if err != nil {
		w.t.Fatalf("read the dictionaries: %v", err)
	}
	for _, d := range diff {
		w.t.Errorf("i18n: %s", d)
	}
}

func (w *walk) checkNoErrors() {
	w.t.Helper()
	w.b.mu.Lock()
	defer w.b.mu.Unlock()
	for _, e := range w.b.errors {
		w.t.Errorf("JavaScript error in the page: %s", e)
	}
}

// screenshotDir is docs/screenshots/ with SHAOBAO_E2E_SCREENSHOTS=1, a
// temporary folder otherwise (so CI runs leave the tree clean).
func screenshotDir(t *testing.T) string {
	t.Helper()
	if os.Getenv("SHAOBAO_E2E_SCREENSHOTS") == "1" {
		dir := filepath.Join(repoRoot(t), "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// syncBuffer collects the product's log for a failure report.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
