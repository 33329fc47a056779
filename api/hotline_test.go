package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/shaobao/shaobao/api"
	"github.com/shaobao/shaobao/api/openapitest"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

const hotlinePhone = "13812341234"

// hotlineEnv is a server with its log captured, a hotline system of
// district 1 and the contract checker.
type hotlineEnv struct {
	t      *testing.T
	srv    *httptest.Server
	st     *store.Store
	k      *openapitest.Contract
	sys    store.HotlineSystem
	secret string
	log    *bytes.Buffer
}

func newHotlineEnv(t *testing.T) *hotlineEnv {
	t.Helper()
	st := storetest.MustOpenSQLite(t)
	storetest.MustSeedDemo(t, st)
	pol, err := policy.New(context.Background(), st.DB)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	lg := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer((&api.Server{Store: st, Policy: pol, Logger: lg, MaxBodyBytes: 1 << 20}).Handler())
	t.Cleanup(srv.Close)
	sys, secret, err := st.CreateHotlineSystem(context.Background(), "12345 城东", "u-d1-commander", "110101")
	if err != nil {
		t.Fatal(err)
	}
	return &hotlineEnv{t: t, srv: srv, st: st, k: openapitest.New(t, srv.URL), sys: sys, secret: secret, log: &buf}
}

// send sends a request with the given headers, checks it against the
// document and answers the status and body.
func (e *hotlineEnv) send(method, path, contentType string, body []byte, headers ...string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var raw bytes.Buffer
	raw.ReadFrom(res.Body)
	e.k.Check(req, body, res.StatusCode, res.Header, raw.Bytes())
	var out map[string]any
	if err := json.Unmarshal(raw.Bytes(), &out); err != nil {
		e.t.Fatalf("%s %s: not JSON: %s", method, path, raw.String())
	}
	return res.StatusCode, out
}

// signed sends body signed by system id with secret at ts.
func (e *hotlineEnv) signed(method, path, id, secret string, ts time.Time, body []byte) (int, map[string]any) {
	e.t.Helper()
	ct := ""
	if len(body) > 0 {
		ct = "application/json"
	}
	return e.send(method, path, ct, body, api.HotlineSystemHeader, id, api.HotlineTimestampHeader, strconv.FormatInt(ts.Unix(), 10),
		api.HotlineSignatureHeader, api.HotlineSign(secret, ts.Unix(), body))
}

func (e *hotlineEnv) tickets() int64 {
	var n int64
	if err := e.st.DB.Model(&store.HotlineTicket{}).Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

func ticketBody(no, requestType string) []byte {
	b, _ := json.Marshal(map[string]any{"ticket_no": no, "call_at": "2026-12-02T09:30:00+08:00", "caller_name": "张三", "caller_phone": hotlinePhone,
		"request_type": requestType, "content": "小区门口垃圾堆放三天无人清理", "address": "和平里大街 12 号", "community_id": "110101001001", "callback_required": true})
	return b
}

func envelopeCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// TestHotlineWebhookSignature: unsigned, badly signed, stale or unknown
// system → 401 with the envelope and nothing filed; a good signature
// reaches the filing (503 here: no Temporal); the ticket delivered again
// answers its case (200), the same delivery replayed 409 replayed,
// another body under its number 409 conflict.
func TestHotlineWebhookSignature(t *testing.T) {
	e := newHotlineEnv(t)
	const path = "/api/v1/intake/hotline"
	body := ticketBody("T-0001", "投诉")
	now := time.Now()
	refused := []struct {
		name string
		do   func() (int, map[string]any)
	}{
		{"Unsigned", func() (int, map[string]any) { return e.send("POST", path, "application/json", body) }},
		{"BadSignature", func() (int, map[string]any) {
			return e.send("POST", path, "application/json", body, api.HotlineSystemHeader, e.sys.ID,
				api.HotlineTimestampHeader, strconv.FormatInt(now.Unix(), 10), api.HotlineSignatureHeader, "sha256=00")
		}},
		{"WrongSecret", func() (int, map[string]any) { return e.signed("POST", path, e.sys.ID, "hl_guess", now, body) }},
		{"Stale", func() (int, map[string]any) {
			return e.signed("POST", path, e.sys.ID, e.secret, now.Add(-6*time.Minute), body)
		}},
		{"Future", func() (int, map[string]any) {
			return e.signed("POST", path, e.sys.ID, e.secret, now.Add(6*time.Minute), body)
		}},
		{"UnknownSystem", func() (int, map[string]any) { return e.signed("POST", path, "nope", e.secret, now, body) }},
		{"BodyChangedAfterSigning", func() (int, map[string]any) {
			return e.send("POST", path, "application/json", ticketBody("T-0001", "求助"), api.HotlineSystemHeader, e.sys.ID,
				api.HotlineTimestampHeader, strconv.FormatInt(now.Unix(), 10), api.HotlineSignatureHeader, api.HotlineSign(e.secret, now.Unix(), body))
		}},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			status, out := tc.do()
			if status != 401 || envelopeCode(out) != "unauthorized" {
				t.Errorf("= %d %v, want 401 unauthorized", status, out)
			}
		})
	}
	if n := e.tickets(); n != 0 {
		t.Fatalf("%d tickets after refusals", n)
	}
	// Signed but bad: 400, nothing kept.
	if status, out := e.signed("POST", path, e.sys.ID, e.secret, now, ticketBody("T-0001", "闲聊")); status != 400 || envelopeCode(out) != "invalid" {
		t.Errorf("bad request_type = %d %v", status, out)
	}
	// Signed and good: it reaches the workflow, which is not there. The
	// ticket stays claimed (its case id and number fixed) but the delivery
	// was not accepted: sent again as it was, it is not a replay.
	for i := 0; i < 2; i++ {
		if status, out := e.signed("POST", path, e.sys.ID, e.secret, now, body); status != 503 {
			t.Errorf("good ticket without Temporal (try %d) = %d %v, want 503", i, status, out)
		}
	}
	claim, err := e.st.HotlineTicket(context.Background(), "T-0001")
	if err != nil || claim.CaseID == "" || claim.CaseNumber == "" {
		t.Fatalf("claim = %+v %v", claim, err)
	}

	// As if the workflow had filed the claim's case: the ticket delivered
	// again (a new timestamp and signature) answers its case; that same
	// delivery replayed is refused (409 replayed); another body 409.
	placeCase(t, e.st, claim.CaseID, claim.CaseNumber, "市容环境", "110101001001", community1, north(0), whistle.CasePending)
	later := now.Add(time.Second)
	status, out := e.signed("POST", path, e.sys.ID, e.secret, later, body)
	if status != 200 || out["case_id"] != claim.CaseID || out["number"] != claim.CaseNumber || out["status"] != "pending" {
		t.Errorf("ticket delivered again = %d %v, want 200 with its case", status, out)
	}
	status, out = e.signed("POST", path, e.sys.ID, e.secret, later, body)
	if status != 409 || envelopeCode(out) != "replayed" || !strings.Contains(out["error"].(map[string]any)["message"].(string), "重复投递") {
		t.Errorf("replayed delivery = %d %v, want 409 replayed", status, out)
	}
	if status, out := e.signed("POST", path, e.sys.ID, e.secret, now, ticketBody("T-0001", "求助")); status != 409 || envelopeCode(out) != "conflict" {
		t.Errorf("another body under the ticket_no = %d %v, want 409", status, out)
	}
	if n := e.tickets(); n != 1 {
		t.Errorf("%d tickets, want 1", n)
	}
	if strings.Contains(e.log.String(), hotlinePhone) {
		t.Errorf("the log shows the caller's phone:\n%s", e.log.String())
	}
}

// TestHotlineCaseShowsTicket: GET /cases/{id} carries the ticket; the
// phone is whole for the holder's command centre only.
func TestHotlineCaseShowsTicket(t *testing.T) {
	e := newHotlineEnv(t)
	placeCase(t, e.st, "SB-HL-2", "20261202-00002", "市容环境", "110101001001", community1, north(0), whistle.CasePending)
	if err := e.st.RecordHotlineTicket(context.Background(), store.HotlineTicket{TicketNo: "T-0002", SystemID: e.sys.ID, CaseID: "SB-HL-2",
		CallAt: time.Now(), CallerName: "张三", CallerPhone: hotlinePhone, RequestType: "投诉", CallbackRequired: true}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ user, phone, name string }{
		{"c1-secretary", hotlinePhone, "张三"},  // the holder's command centre
		{"s1-secretary", "138****1234", "张*"}, // the street above: reads, masked
		{"d1-supervisor", "138****1234", "张*"},
	} {
		t.Run(tc.user, func(t *testing.T) {
			status, out := e.send("GET", "/api/v1/cases/SB-HL-2", "", nil, "Authorization", "Bearer "+token(t, e.st, tc.user))
			h, _ := out["hotline"].(map[string]any)
			if status != 200 || h == nil || h["caller_phone"] != tc.phone || h["caller_name"] != tc.name || h["ticket_no"] != "T-0002" {
				t.Errorf("= %d %v, want phone %s", status, out["hotline"], tc.phone)
			}
		})
	}
	if strings.Contains(e.log.String(), hotlinePhone) {
		t.Errorf("the log shows the caller's phone")
	}
}

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{hotlinePhone: "138****1234", "010-6512345": "010****2345", "12345": "*2345", "110": "***", "": ""} {
		if got := api.MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHotlineResult: the signing system or staff in jurisdiction read a
// ticket's result; a merged ticket answers the survivor's; anyone else
// gets 404, no one 401.
func TestHotlineResult(t *testing.T) {
	e := newHotlineEnv(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	closed := now.Add(time.Hour)
	mk := func(id string, outcome whistle.Outcome, mergedInto, reason string, entries ...whistle.TimelineEntry) {
		c := whistle.Case{ID: id, Number: "20261202-" + id[len(id)-5:], Title: "t", Source: whistle.SourceHotline, Class: whistle.ClassRoutine,
			Status: whistle.CaseClosed, Outcome: outcome, MergedInto: mergedInto, RejectReason: reason, ClosedAt: &closed,
			Location: whistle.Location{Address: "和平里"}, OrgUnitID: "110101001001", OrgPath: community1, Level: whistle.LevelCommunity,
			HolderOrgUnitID: "110101001001", HolderOrgPath: community1, FiledBy: "d1-commander", FiledByUserID: "u-d1-commander",
			CreatedAt: now, UpdatedAt: now, Seq: int64(len(entries)) + 1}
		entries = append([]whistle.TimelineEntry{{Seq: 1, At: now, Type: whistle.EventFiled, Actor: "d1-commander"}}, entries...)
		if err := e.st.ApplyCase(ctx, c, entries); err != nil {
			t.Fatal(err)
		}
	}
	mk("SB-HL-00010", whistle.OutcomeRejected, "", "不属于政府职能")
	mk("SB-HL-00011", whistle.OutcomeResolved, "", "", whistle.TimelineEntry{Seq: 2, At: now, Type: whistle.EventFeedback, Actor: "s1-police", Detail: "已清理完毕"})
	mk("SB-HL-00012", whistle.OutcomeMerged, "SB-HL-00011", "")
	for no, id := range map[string]string{"T-10": "SB-HL-00010", "T-12": "SB-HL-00012"} {
		if err := e.st.RecordHotlineTicket(ctx, store.HotlineTicket{TicketNo: no, SystemID: e.sys.ID, CaseID: id, CallAt: now, CallerPhone: hotlinePhone, RequestType: "投诉"}); err != nil {
			t.Fatal(err)
		}
	}
	other, otherSecret, err := e.st.CreateHotlineSystem(ctx, "12345 城西", "u-d2-commander", "110102")
	if err != nil {
		t.Fatal(err)
	}

	status, out := e.signed("GET", "/api/v1/intake/hotline/T-10", e.sys.ID, e.secret, time.Now(), nil)
	if status != 200 || out["outcome"] != "rejected" || out["reply"] != "不属于政府职能" || out["status"] != "closed" {
		t.Errorf("rejected ticket = %d %v", status, out)
	}
	status, out = e.signed("GET", "/api/v1/intake/hotline/T-12", e.sys.ID, e.secret, time.Now(), nil)
	if status != 200 || out["merged_into"] != "SB-HL-00011" || out["outcome"] != "resolved" || out["reply"] != "已清理完毕" || out["case_id"] != "SB-HL-00012" {
		t.Errorf("merged ticket = %d %v", status, out)
	}
	if status, out := e.send("GET", "/api/v1/intake/hotline/T-12", "", nil, "Authorization", "Bearer "+token(t, e.st, "c1-secretary")); status != 200 || out["outcome"] != "resolved" {
		t.Errorf("staff in jurisdiction = %d %v", status, out)
	}
	for name, do := range map[string]func() (int, map[string]any){
		"OtherSystem": func() (int, map[string]any) {
			return e.signed("GET", "/api/v1/intake/hotline/T-10", other.ID, otherSecret, time.Now(), nil)
		},
		"UnknownTicket": func() (int, map[string]any) {
			return e.signed("GET", "/api/v1/intake/hotline/T-99", e.sys.ID, e.secret, time.Now(), nil)
		},
		"StaffOutside": func() (int, map[string]any) {
			return e.send("GET", "/api/v1/intake/hotline/T-10", "", nil, "Authorization", "Bearer "+token(t, e.st, "c3-secretary"))
		},
		"StaleSignature": func() (int, map[string]any) {
			return e.signed("GET", "/api/v1/intake/hotline/T-10", e.sys.ID, e.secret, time.Now().Add(-time.Hour), nil)
		},
		"NeitherSignedNorIn": func() (int, map[string]any) { return e.send("GET", "/api/v1/intake/hotline/T-10", "", nil) },
	} {
		t.Run(name, func(t *testing.T) {
			status, out := do()
			want := 404
			if strings.HasPrefix(name, "Stale") || strings.HasPrefix(name, "Neither") {
				want = 401
			}
			if status != want || envelopeCode(out) == "" {
				t.Errorf("= %d %v, want %d", status, out, want)
			}
		})
	}
}

// TestHotlineSystemsAdmin: the secret is shown once; only admins manage.
func TestHotlineSystemsAdmin(t *testing.T) {
	e := newHotlineEnv(t)
	admin := "Bearer " + token(t, e.st, "admin")
	status, out := e.send("POST", "/api/v1/admin/hotline-systems", "application/json", []byte(`{"name":"12345 城西","user_id":"u-d2-commander","org_unit_id":"110102"}`), "Authorization", admin)
	if status != 201 || !strings.HasPrefix(out["secret"].(string), "hl_") {
		t.Fatalf("create = %d %v", status, out)
	}
	status, out = e.send("GET", "/api/v1/admin/hotline-systems", "", nil, "Authorization", admin)
	items, _ := out["items"].([]any)
	if status != 200 || len(items) != 2 || strings.Contains(e.log.String(), "hl_") {
		t.Errorf("list = %d %v", status, out)
	}
	for _, it := range items {
		if _, ok := it.(map[string]any)["secret"]; ok {
			t.Errorf("the list shows a secret: %v", it)
		}
	}
	if status, _ := e.send("POST", "/api/v1/admin/hotline-systems", "application/json", []byte(`{"name":"x","user_id":"nope","org_unit_id":"110102"}`), "Authorization", admin); status != 400 {
		t.Errorf("unknown user = %d", status)
	}
	if status, _ := e.send("GET", "/api/v1/admin/hotline-systems", "", nil, "Authorization", "Bearer "+token(t, e.st, "d1-commander")); status != 403 {
		t.Errorf("a commander lists = %d, want 403", status)
	}
}

const importHeader = "工单编号,来电时间,来电人,来电号码,诉求类型,诉求内容,地址,所属社区,是否回访\n"

func importCSV(rows ...string) []byte { return []byte(importHeader + strings.Join(rows, "\n") + "\n") }

func goodRow(no string) string {
	return no + ",2026-12-02 09:30:00,李四," + hotlinePhone + ",求助,路灯不亮,和平里大街 3 号,110101001001,是"
}

// TestHotlineImport: one bad row imports nothing and names the row; a dry
// run reports each row and files nothing; known tickets are duplicates;
// XLSX reads as CSV does; only a command centre imports.
func TestHotlineImport(t *testing.T) {
	e := newHotlineEnv(t)
	c1 := "Bearer " + token(t, e.st, "c1-secretary")
	const path = "/api/v1/intake/hotline/import"

	bad := importCSV(goodRow("I-1"), "I-2,2026-12-02 09:31:00,王五,13900001111,闲聊,路灯不亮,和平里,110101001001,否", goodRow("I-3"),
		"I-4,昨天,王五,13900001111,投诉,噪音,和平里,110101001001,否", goodRow("I-1"))
	status, out := e.send("POST", path, "text/csv", bad, "Authorization", c1)
	if status != 400 || envelopeCode(out) != "invalid" {
		t.Fatalf("bad file = %d %v", status, out)
	}
	msg := out["error"].(map[string]any)["message"].(string)
	if !strings.Contains(msg, "3、5、6") {
		t.Errorf("message %q does not name rows 3, 5 and 6", msg)
	}
	rows := out["rows"].([]any)
	if r := rows[1].(map[string]any); r["row"] != 3.0 || r["action"] != "error" || r["error"] == "" || r["caller_phone"] != "139****1111" {
		t.Errorf("row 3 = %v", r)
	}
	if n := e.tickets(); n != 0 {
		t.Fatalf("a bad file left %d tickets", n)
	}

	// Dry run: what would be filed, nothing filed; a known ticket is a duplicate.
	placeCase(t, e.st, "SB-HL-3", "20261202-00003", "市容环境", "110101001001", community1, north(0), whistle.CasePending)
	if err := e.st.RecordHotlineTicket(context.Background(), store.HotlineTicket{TicketNo: "I-9", CaseID: "SB-HL-3", CaseNumber: "20261202-00003", CallAt: time.Now(), RequestType: "投诉"}); err != nil {
		t.Fatal(err)
	}
	status, out = e.send("POST", path+"?dry_run=true", "text/csv", importCSV(goodRow("I-1"), goodRow("I-9")), "Authorization", c1)
	rows, _ = out["rows"].([]any)
	if status != 200 || len(rows) != 2 || out["filed"] != 0.0 || out["dry_run"] != true {
		t.Fatalf("dry run = %d %v", status, out)
	}
	if r := rows[0].(map[string]any); r["action"] != "file" || r["caller_phone"] != "138****1234" {
		t.Errorf("row 2 = %v", r)
	}
	if r := rows[1].(map[string]any); r["action"] != "duplicate" || r["case_id"] != "SB-HL-3" {
		t.Errorf("row 3 = %v", r)
	}
	if n := e.tickets(); n != 1 {
		t.Errorf("a dry run changed the tickets: %d", n)
	}
	// A dry run with a bad row reports it (200), files nothing.
	status, out = e.send("POST", path+"?dry_run=true", "text/csv", bad, "Authorization", c1)
	if status != 200 || len(out["rows"].([]any)) != 5 {
		t.Errorf("dry run of a bad file = %d %v", status, out)
	}

	// XLSX, as a multipart upload.
	f := excelize.NewFile()
	for i, row := range [][]string{strings.Split(strings.TrimSpace(importHeader), ","), strings.Split(goodRow("X-1"), ",")} {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			f.SetCellValue("Sheet1", cell, v)
		}
	}
	var xlsx bytes.Buffer
	if err := f.Write(&xlsx); err != nil {
		t.Fatal(err)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	part, _ := mw.CreateFormFile("file", "12345.xlsx")
	part.Write(xlsx.Bytes())
	mw.Close()
	status, out = e.send("POST", path+"?dry_run=true", mw.FormDataContentType(), form.Bytes(), "Authorization", c1)
	rows, _ = out["rows"].([]any)
	if status != 200 || len(rows) != 1 || rows[0].(map[string]any)["ticket_no"] != "X-1" || rows[0].(map[string]any)["action"] != "file" {
		t.Errorf("xlsx dry run = %d %v", status, out)
	}

	// The header must have every column; a clerk may not import; a
	// community outside the caller's jurisdiction is a bad row.
	if status, out := e.send("POST", path, "text/csv", []byte("工单编号,来电时间\nI-1,2026-12-02 09:30:00\n"), "Authorization", c1); status != 400 || envelopeCode(out) != "invalid" {
		t.Errorf("missing columns = %d %v", status, out)
	}
	if status, _ := e.send("POST", path, "text/csv", importCSV(goodRow("I-1")), "Authorization", "Bearer "+token(t, e.st, "s1-police")); status != 403 {
		t.Errorf("a clerk imports = %d, want 403", status)
	}
	if status, _ := e.send("POST", path, "text/csv", importCSV(strings.Replace(goodRow("I-1"), "110101001001", "110101002001", 1)), "Authorization", c1); status != 400 {
		t.Errorf("another community = %d, want 400", status)
	}
	if n := e.tickets(); n != 1 {
		t.Errorf("refusals changed the tickets: %d", n)
	}
	if strings.Contains(e.log.String(), hotlinePhone) {
		t.Errorf("the log shows the caller's phone")
	}
}

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestHotlineAcrossPaths: a ticket first imported, then posted to the
// webhook with another body (an export and a delivery never match byte
// for byte), answers the imported case (200), and the posting system
// reads its result; a ticket the webhook filed is, on import, a duplicate
// "already filed as" its number, in the dry run and for real, and nothing
// new is filed.
func TestHotlineAcrossPaths(t *testing.T) {
	e := newHotlineEnv(t)
	ctx := context.Background()
	c1 := "Bearer " + token(t, e.st, "c1-secretary")
	claim := func(no, systemID, hash string, d *store.HotlineDelivery) store.HotlineTicket {
		t.Helper()
		got, created, err := e.st.ClaimHotlineTicket(ctx, store.HotlineTicket{TicketNo: no, SystemID: systemID, CaseID: "SB-" + no,
			CallAt: time.Now(), CallerPhone: hotlinePhone, RequestType: "投诉", BodyHash: hash}, d)
		if err != nil || !created {
			t.Fatalf("claim %s = %v %v", no, created, err)
		}
		// As if its workflow had filed it.
		placeCase(t, e.st, got.CaseID, got.CaseNumber, "市容环境", "110101001001", community1, north(0), whistle.CasePending)
		return got
	}

	imported := claim("X-1", "", "import-hash", nil)
	status, out := e.signed("POST", "/api/v1/intake/hotline", e.sys.ID, e.secret, time.Now(), ticketBody("X-1", "求助"))
	if status != 200 || out["case_id"] != imported.CaseID || out["number"] != imported.CaseNumber {
		t.Errorf("webhook after import = %d %v, want 200 with the imported case", status, out)
	}
	if status, out := e.signed("GET", "/api/v1/intake/hotline/X-1", e.sys.ID, e.secret, time.Now(), nil); status != 200 || out["case_id"] != imported.CaseID {
		t.Errorf("the posting system reads the imported ticket = %d %v", status, out)
	}

	posted := claim("W-1", e.sys.ID, sha(ticketBody("W-1", "投诉")), &store.HotlineDelivery{SignatureHash: "sig-w-1", SystemID: e.sys.ID})
	for _, q := range []string{"?dry_run=true", ""} {
		status, out := e.send("POST", "/api/v1/intake/hotline/import"+q, "text/csv", importCSV(goodRow("W-1")), "Authorization", c1)
		rows, _ := out["rows"].([]any)
		if status != 200 || len(rows) != 1 || out["filed"] != 0.0 {
			t.Fatalf("import%s = %d %v", q, status, out)
		}
		r := rows[0].(map[string]any)
		if r["action"] != "duplicate" || r["case_id"] != posted.CaseID || r["number"] != posted.CaseNumber ||
			!strings.Contains(r["message"].(string), "已立案，案件编号 "+posted.CaseNumber) {
			t.Errorf("import%s row = %v, want already filed as %s", q, r, posted.CaseNumber)
		}
	}
	if n := e.tickets(); n != 2 {
		t.Errorf("%d tickets, want 2", n)
	}
}
