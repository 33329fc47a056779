package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// 12345 hotline tickets (接诉即办). A hotline system posts each ticket to a
// signed webhook, or a command centre imports a CSV/XLSX export; either
// way a ticket files a pending case at its community's command centre.
// The caller's name and phone stay in hotline_tickets: the case (and so
// the workflow's input, history and search attributes) carries only the
// complaint.

// Hotline webhook headers. The signature is "sha256=" + hex HMAC-SHA256,
// under the system's secret, of the timestamp (unix seconds), a dot and
// the body: GET requests sign an empty body.
const (
	HotlineSystemHeader    = "X-Hotline-System"
	HotlineTimestampHeader = "X-Hotline-Timestamp"
	HotlineSignatureHeader = "X-Hotline-Signature"
)

// hotlineWindow is how far a signed request's timestamp may be from now
// before it is refused as stale (a replay).
const hotlineWindow = 5 * time.Minute

// HotlineSign returns the X-Hotline-Signature of body sent at ts.
func HotlineSign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.", ts)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// hotlineTicketRequest is a ticket as the webhook takes it.
type hotlineTicketRequest struct {
	TicketNo         string    `json:"ticket_no" binding:"required,max=64"`
	CallAt           time.Time `json:"call_at" binding:"required"`
	CallerName       string    `json:"caller_name" binding:"max=64"`
	CallerPhone      string    `json:"caller_phone" binding:"max=32"`
	RequestType      string    `json:"request_type" binding:"required"`
	Content          string    `json:"content" binding:"required,max=5000"`
	Address          string    `json:"address" binding:"required,max=255"`
	CommunityID      string    `json:"community_id" binding:"max=32"`
	GridID           string    `json:"grid_id" binding:"max=32"`
	CallbackRequired bool      `json:"callback_required"`
}

// hotlineFiled answers a filed ticket, or one delivered again.
type hotlineFiled struct {
	TicketNo string `json:"ticket_no"`
	CaseID   string `json:"case_id"`
	Number   string `json:"number"`
	Status   string `json:"status"`
}

// hotlineView is a ticket as GET /cases/{id} shows it: the phone whole
// only to whoever may case:read_personal (the holder's command centre).
type hotlineView struct {
	TicketNo         string    `json:"ticket_no"`
	CallAt           time.Time `json:"call_at"`
	CallerName       string    `json:"caller_name"`
	CallerPhone      string    `json:"caller_phone"`
	RequestType      string    `json:"request_type"`
	CallbackRequired bool      `json:"callback_required"`
}

// caseWithHotline is GET /cases/{id}'s answer for a case filed from a ticket.
type caseWithHotline struct {
	whistle.Case
	Hotline *hotlineView `json:"hotline,omitempty"`
}

// MaskPhone masks a phone number for lists and exports: 138****1234.
func MaskPhone(p string) string {
	r := []rune(strings.TrimSpace(p))
	switch {
	case len(r) == 0:
		return ""
	case len(r) <= 4:
		return strings.Repeat("*", len(r))
	case len(r) < 8:
		return strings.Repeat("*", len(r)-4) + string(r[len(r)-4:])
	}
	return string(r[:3]) + "****" + string(r[len(r)-4:])
}

// MaskName keeps a caller's surname: 张**.
func MaskName(n string) string {
	r := []rune(strings.TrimSpace(n))
	if len(r) == 0 {
		return ""
	}
	return string(r[:1]) + strings.Repeat("*", len(r)-1)
}

func toHotlineView(t store.HotlineTicket, whole bool) *hotlineView {
	v := &hotlineView{TicketNo: t.TicketNo, CallAt: t.CallAt.UTC(), CallerName: t.CallerName, CallerPhone: t.CallerPhone,
		RequestType: t.RequestType, CallbackRequired: t.CallbackRequired}
	if !whole {
		v.CallerName, v.CallerPhone = MaskName(t.CallerName), MaskPhone(t.CallerPhone)
	}
	return v
}

// withHotline attaches the ticket kase was filed from, if any: whole for
// the holder's command centre, masked for anyone else.
func (s *Server) withHotline(ctx context.Context, u whistle.Actor, kase whistle.Case) (any, error) {
	t, ok, err := s.Store.HotlineTicketOfCase(ctx, kase.ID)
	if err != nil || !ok {
		return kase, err
	}
	whole := s.Policy.Authorize(u, policy.ReadPersonal, policy.Object{OrgPath: kase.OrgPath, HolderOrgPath: kase.HolderOrgPath}) == nil
	return caseWithHotline{Case: kase, Hotline: toHotlineView(t, whole)}, nil
}

func unauthorizedHotline(zh, en string) error {
	return &whistle.Error{Code: whistle.EUnauthorized, Message: "热线签名无效：" + zh, MessageEN: "hotline signature refused: " + en}
}

// hotlineSigned checks the signature headers of a request whose body is
// body and returns the hotline system that signed it.
func (s *Server) hotlineSigned(c *gin.Context, body []byte) (store.HotlineSystem, error) {
	id, tsText, sig := c.GetHeader(HotlineSystemHeader), c.GetHeader(HotlineTimestampHeader), c.GetHeader(HotlineSignatureHeader)
	if id == "" || tsText == "" || sig == "" {
		return store.HotlineSystem{}, unauthorizedHotline("缺少 X-Hotline-System、X-Hotline-Timestamp 或 X-Hotline-Signature", "X-Hotline-System, X-Hotline-Timestamp and X-Hotline-Signature are required")
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return store.HotlineSystem{}, unauthorizedHotline("时间戳须为 Unix 秒", "the timestamp must be unix seconds")
	}
	if d := time.Since(time.Unix(ts, 0)); d > hotlineWindow || d < -hotlineWindow {
		return store.HotlineSystem{}, unauthorizedHotline("请求已过期（时间窗 5 分钟）", "stale request (window 5 minutes)")
	}
	sys, err := s.Store.HotlineSystem(c.Request.Context(), id)
	if whistle.ErrorCode(err) == whistle.ENotFound {
		return sys, unauthorizedHotline("未知的热线系统", "unknown hotline system")
	}
	if err != nil {
		return sys, err
	}
	if !hmac.Equal([]byte(sig), []byte(HotlineSign(sys.Secret, ts, body))) {
		return sys, unauthorizedHotline("签名不符", "signature mismatch")
	}
	return sys, nil
}

// hotlineWebhook answers POST /api/v1/intake/hotline: a signed ticket files
// a pending case (201); the ticket delivered again (a new timestamp and
// signature) answers its case (200), as does a ticket first imported;
// another body under a ticket_no the webhook sent is a conflict (409); the
// same delivery again within the window (same signature) is a replay (409
// replayed).
func (s *Server) hotlineWebhook(c *gin.Context) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		fail(c, whistle.Errorf(whistle.EInvalid, "请求体读取失败或过大", "the body could not be read or is too large"))
		return
	}
	sys, err := s.hotlineSigned(c, body)
	if err != nil {
		fail(c, err)
		return
	}
	var req hotlineTicketRequest
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	user, err := s.Store.User(ctx, sys.UserID)
	if err != nil {
		fail(c, fmt.Errorf("hotline system %s files as %s: %w", sys.ID, sys.UserID, err))
		return
	}
	sum := sha256.Sum256(body)
	sig := sha256.Sum256([]byte(c.GetHeader(HotlineSignatureHeader)))
	d := &store.HotlineDelivery{SignatureHash: hex.EncodeToString(sig[:]), SystemID: sys.ID}
	filed, created, err := s.fileTicket(ctx, actorOf(user), sys.OrgUnitID, sys.ID, req, hex.EncodeToString(sum[:]), d)
	if err != nil {
		fail(c, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		logger(c).Info("hotline ticket filed", "case_id", filed.CaseID, "system", sys.ID)
	}
	c.JSON(status, filed)
}

// checkTicket checks what binding cannot: the request type and the text.
func checkTicket(req *hotlineTicketRequest) error {
	req.TicketNo, req.Content, req.Address = strings.TrimSpace(req.TicketNo), strings.TrimSpace(req.Content), strings.TrimSpace(req.Address)
	switch {
	case req.TicketNo == "":
		return whistle.Errorf(whistle.EInvalid, "工单编号 ticket_no 不能为空", "ticket_no must not be blank")
	case !slices.Contains(store.HotlineRequestTypes, req.RequestType):
		return whistle.Errorf(whistle.EInvalid, "诉求类型 request_type 无效：%[1]q（可选 %[2]s）", "invalid request_type %[1]q (one of %[2]s)",
			req.RequestType, strings.Join(store.HotlineRequestTypes, "、"))
	case req.Content == "":
		return whistle.Errorf(whistle.EInvalid, "诉求内容 content 不能为空", "content must not be blank")
	case req.Address == "":
		return whistle.Errorf(whistle.EInvalid, "地址 address 不能为空", "address must not be blank")
	case utf8.RuneCountInString(req.Content) > 5000:
		return whistle.Errorf(whistle.EInvalid, "诉求内容过长（上限 5000）", "content too long (limit 5000)")
	case req.CallAt.IsZero():
		return whistle.Errorf(whistle.EInvalid, "来电时间 call_at 无效", "invalid call_at")
	}
	return nil
}

// ticketUnit is the unit a ticket is filed at: its community (which must
// lie inside within), else the default unit.
func (s *Server) ticketUnit(ctx context.Context, req hotlineTicketRequest, within whistle.OrgPath, defaultUnit string) (store.OrgUnit, error) {
	id := req.CommunityID
	if id == "" {
		id = defaultUnit
	}
	unit, err := s.Store.OrgUnit(ctx, id)
	if err != nil {
		return unit, invalidRef(err, "community_id", id)
	}
	if !whistle.OrgPath(unit.Path).Within(within) {
		return unit, whistle.Errorf(whistle.EInvalid, "所属社区不在辖区内：%s", "community_id is outside the jurisdiction: %s", id)
	}
	return unit, nil
}

// ticketFiling is the filing request of a ticket: the complaint only.
func ticketFiling(req hotlineTicketRequest) fileCaseRequest {
	c := []rune(req.Content)
	return fileCaseRequest{
		Title:       req.RequestType + "：" + string(c[:min(len(c), 40)]),
		Description: req.Content, Source: string(whistle.SourceHotline), Class: string(whistle.ClassRoutine),
		Location: locationRequest{Address: req.Address, GridID: req.GridID},
	}
}

// ticketCaseID is the id of the case a ticket files: from the ticket
// number alone, so every path and every retry names the same workflow.
func ticketCaseID(ticketNo string) string {
	sum := sha256.Sum256([]byte("hotline-ticket\x00" + ticketNo))
	return "SB" + hex.EncodeToString(sum[:8])
}

// fileTicket files req as u acting at the ticket's community (inside
// defaultUnit's jurisdiction), or answers the case the ticket already
// filed (created false). Everything that can refuse the ticket is checked
// first; then the store claims the ticket number for one case id and
// number in one step (with the webhook's delivery d, refused if already
// recorded), and only then does the workflow start, under that id: two
// deliveries, or a delivery and an import, racing file one case. A claim
// whose workflow never started (Temporal was down) is filed by whoever
// meets the ticket next.
func (s *Server) fileTicket(ctx context.Context, u whistle.Actor, defaultUnit, systemID string, req hotlineTicketRequest, bodyHash string, d *store.HotlineDelivery) (hotlineFiled, bool, error) {
	if err := checkTicket(&req); err != nil {
		return hotlineFiled{}, false, err
	}
	def, err := s.Store.OrgUnit(ctx, defaultUnit)
	if err != nil {
		return hotlineFiled{}, false, fmt.Errorf("default unit %s: %w", defaultUnit, err)
	}
	unit, err := s.ticketUnit(ctx, req, whistle.OrgPath(def.Path), defaultUnit)
	if err != nil {
		return hotlineFiled{}, false, err
	}
	u.OrgUnitID, u.OrgPath = unit.ID, whistle.OrgPath(unit.Path)
	in, err := s.filing(ctx, u, ticketFiling(req), false, ticketCaseID(req.TicketNo), time.Now().UTC())
	if err != nil {
		return hotlineFiled{}, false, err
	}
	t, created, err := s.Store.ClaimHotlineTicket(ctx, store.HotlineTicket{TicketNo: req.TicketNo, SystemID: systemID, CaseID: in.ID,
		CallAt: req.CallAt.UTC(), CallerName: strings.TrimSpace(req.CallerName), CallerPhone: strings.TrimSpace(req.CallerPhone),
		RequestType: req.RequestType, CallbackRequired: req.CallbackRequired, BodyHash: bodyHash}, d)
	if err != nil {
		return hotlineFiled{}, false, err
	}
	if !created {
		k, err := s.Store.CaseHeader(ctx, t.CaseID)
		if err == nil {
			return hotlineFiled{TicketNo: t.TicketNo, CaseID: k.ID, Number: t.CaseNumber, Status: string(k.Status)}, false, nil
		}
		if whistle.ErrorCode(err) != whistle.ENotFound {
			return hotlineFiled{}, false, err
		}
		// Claimed, not (yet) in the read model: start it under the
		// claim's id; a workflow already running is joined, not doubled.
	}
	in.ID, in.Number = t.CaseID, t.CaseNumber
	kase, err := s.startCase(ctx, in, "hotline:"+t.TicketNo)
	if err != nil {
		if d != nil {
			// Not accepted: the sender may send this delivery again.
			if ferr := s.Store.ForgetHotlineDelivery(context.WithoutCancel(ctx), d.SignatureHash); ferr != nil {
				s.Logger.ErrorContext(ctx, "hotline delivery not forgotten", "ticket_no", t.TicketNo, "err", ferr)
			}
		}
		return hotlineFiled{}, false, err
	}
	return hotlineFiled{TicketNo: t.TicketNo, CaseID: kase.ID, Number: kase.Number, Status: string(kase.Status)}, created, nil
}

// hotlineTicketResult answers GET /api/v1/intake/hotline/{ticket_no}, for
// the hotline system that posted the ticket (signed, empty body) or for
// staff who may read its case (bearer token).
func (s *Server) hotlineTicketResult(c *gin.Context) {
	ctx := c.Request.Context()
	no := c.Param("ticket_no")
	var t store.HotlineTicket
	var err error
	if c.GetHeader(HotlineSystemHeader) != "" {
		var sys store.HotlineSystem
		if sys, err = s.hotlineSigned(c, nil); err != nil {
			fail(c, err)
			return
		}
		if t, err = s.Store.HotlineTicket(ctx, no); err == nil && t.SystemID != sys.ID {
			err = whistle.Errorf(whistle.ENotFound, "热线工单不存在：%s", "hotline ticket not found: %s", no)
		}
	} else {
		s.authenticate()(c)
		if c.IsAborted() {
			return
		}
		if t, err = s.Store.HotlineTicket(ctx, no); err == nil {
			if _, err = s.authorizedCase(ctx, caller(c), t.CaseID, policy.ReadCase); err != nil {
				err = whistle.Errorf(whistle.ENotFound, "热线工单不存在：%s", "hotline ticket not found: %s", no)
			}
		}
	}
	if err != nil {
		fail(c, err)
		return
	}
	r, err := s.Store.HotlineResult(ctx, t)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

// hotlineSystemView is a hotline system as the admin routes show it; the
// secret appears once, in the answer that created it.
type hotlineSystemView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	UserID    string    `json:"user_id"`
	OrgUnitID string    `json:"org_unit_id"`
	CreatedAt time.Time `json:"created_at"`
	Secret    string    `json:"secret,omitempty"`
}

func toHotlineSystemView(r store.HotlineSystem) hotlineSystemView {
	return hotlineSystemView{ID: r.ID, Name: r.Name, UserID: r.UserID, OrgUnitID: r.OrgUnitID, CreatedAt: r.CreatedAt.UTC()}
}

func (s *Server) listHotlineSystems(c *gin.Context) {
	rows, err := s.Store.HotlineSystems(c.Request.Context())
	answerAll(c, rows, err, toHotlineSystemView)
}

type createHotlineSystemRequest struct {
	Name      string `json:"name" binding:"required,max=128"`
	UserID    string `json:"user_id" binding:"required,max=40"`
	OrgUnitID string `json:"org_unit_id" binding:"required,max=32"`
}

func (s *Server) createHotlineSystem(c *gin.Context) {
	var req createHotlineSystemRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	var row store.HotlineSystem
	var secret string
	err := s.audited(c, store.Change{Action: store.ActionCreate, Kind: "hotline_system"}, func(tx *store.Store) (string, error) {
		var err error
		row, secret, err = tx.CreateHotlineSystem(c.Request.Context(), strings.TrimSpace(req.Name), req.UserID, req.OrgUnitID)
		return row.ID, err
	})
	if err != nil {
		fail(c, err)
		return
	}
	v := toHotlineSystemView(row)
	v.Secret = secret
	logger(c).Info("hotline system created", "hotline_system", row.ID, "files_as", row.UserID)
	c.JSON(http.StatusCreated, v)
}

// HotlineImportColumns are the header row of an import, as a 12345 system
// exports it (docs/hotline.md).
var HotlineImportColumns = []string{"工单编号", "来电时间", "来电人", "来电号码", "诉求类型", "诉求内容", "地址", "所属社区", "是否回访"}

// importRow is one row's verdict.
type importRow struct {
	Row      int    `json:"row"` // the spreadsheet's row number (the header is row 1)
	TicketNo string `json:"ticket_no"`
	Action   string `json:"action"` // file, duplicate, error; filed once filed
	Error    string `json:"error,omitempty"`
	// Message says what became of a duplicate: already filed as its number.
	Message string `json:"message,omitempty"`
	CaseID  string `json:"case_id,omitempty"`
	Number  string `json:"number,omitempty"`
	// CallerPhone is masked: an import answer is an export of sorts.
	CallerPhone string `json:"caller_phone"`
}

type importAnswer struct {
	DryRun bool        `json:"dry_run"`
	Rows   []importRow `json:"rows"`
	Filed  int         `json:"filed"`
}

// readImport reads the rows of a CSV or XLSX upload (multipart field
// "file", or the body itself by Content-Type).
func readImport(c *gin.Context) ([][]string, error) {
	var data []byte
	name := ""
	if fh, err := c.FormFile("file"); err == nil {
		f, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("open upload: %w", err)
		}
		defer f.Close()
		if data, err = io.ReadAll(f); err != nil {
			return nil, whistle.Errorf(whistle.EInvalid, "上传文件读取失败", "the upload could not be read")
		}
		name = strings.ToLower(fh.Filename)
	} else {
		if data, err = io.ReadAll(c.Request.Body); err != nil {
			return nil, whistle.Errorf(whistle.EInvalid, "请求体读取失败或过大", "the body could not be read or is too large")
		}
		if strings.Contains(c.ContentType(), "spreadsheetml") {
			name = ".xlsx"
		}
	}
	if strings.HasSuffix(name, ".xlsx") || bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			return nil, whistle.Errorf(whistle.EInvalid, "无法读取 XLSX 文件", "not a readable XLSX file")
		}
		defer f.Close()
		rows, err := f.GetRows(f.GetSheetName(0))
		if err != nil {
			return nil, whistle.Errorf(whistle.EInvalid, "无法读取 XLSX 工作表", "the XLSX sheet could not be read")
		}
		return rows, nil
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, whistle.Errorf(whistle.EInvalid, "CSV 格式错误：%v", "malformed CSV: %v", err)
	}
	return rows, nil
}

// parseImportRow turns one row into a ticket.
func parseImportRow(cols map[string]int, row []string) (hotlineTicketRequest, error) {
	get := func(h string) string {
		if i := cols[h]; i < len(row) {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	req := hotlineTicketRequest{TicketNo: get("工单编号"), CallerName: get("来电人"), CallerPhone: get("来电号码"), RequestType: get("诉求类型"),
		Content: get("诉求内容"), Address: get("地址"), CommunityID: get("所属社区")}
	at := get("来电时间")
	var err error
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02 15:04", "2006/01/02 15:04:05", "2006/1/2 15:04"} {
		if req.CallAt, err = time.ParseInLocation(layout, at, worktime.Location); err == nil {
			break
		}
	}
	if err != nil {
		return req, whistle.Errorf(whistle.EInvalid, "来电时间无效：%q", "invalid 来电时间 (call time): %q", at)
	}
	switch get("是否回访") {
	case "是", "Y", "y", "true", "1":
		req.CallbackRequired = true
	case "否", "N", "n", "false", "0", "":
	default:
		return req, whistle.Errorf(whistle.EInvalid, "是否回访须为 是 或 否", "是否回访 (callback) must be 是 or 否")
	}
	switch {
	case len(req.TicketNo) > 64, len(req.CallerName) > 64, len(req.CallerPhone) > 32, len(req.CommunityID) > 32, utf8.RuneCountInString(req.Address) > 255:
		return req, whistle.Errorf(whistle.EInvalid, "字段过长", "a field is too long")
	}
	return req, checkTicket(&req)
}

// duplicateRow marks row as a ticket already filed as the case id, number.
func duplicateRow(c *gin.Context, row *importRow, id, number string) {
	row.Action, row.CaseID, row.Number = "duplicate", id, number
	row.Message = pick(c, "已立案，案件编号 "+number+"，跳过", "already filed as "+number+", skipped")
}

// hotlineImport answers POST /api/v1/intake/hotline/import: every row is
// checked before any is filed, so a file with a bad row files nothing
// (400 naming the rows); ?dry_run=true reports what would be filed.
// Tickets already known (by either path) are reported as duplicates with
// the case they filed, not filed again.
func (s *Server) hotlineImport(c *gin.Context) {
	u := caller(c)
	ctx := c.Request.Context()
	// Importing files cases at the caller's unit or below, as its command
	// centre: whoever may accept there.
	if err := s.Policy.Authorize(u, policy.Accept, policy.Object{HolderOrgPath: string(u.OrgPath)}); err != nil {
		fail(c, err)
		return
	}
	dry := c.Query("dry_run") == "true"
	rows, err := readImport(c)
	if err != nil {
		fail(c, err)
		return
	}
	if len(rows) < 2 {
		fail(c, whistle.Errorf(whistle.EInvalid, "文件没有数据行（首行为表头）", "the file has no data rows (the first row is the header)"))
		return
	}
	cols := map[string]int{}
	for i, h := range rows[0] {
		cols[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, h := range HotlineImportColumns {
		if _, ok := cols[h]; !ok {
			fail(c, whistle.Errorf(whistle.EInvalid, "表头缺少列：%s（须有 %s）", "the header lacks the column %s (needs %s)", h, strings.Join(HotlineImportColumns, ", ")))
			return
		}
	}
	if len(rows) > 2001 {
		fail(c, whistle.Errorf(whistle.EInvalid, "一次至多导入 2000 行", "at most 2000 rows per import"))
		return
	}
	ans := importAnswer{DryRun: dry}
	reqs := make([]hotlineTicketRequest, len(rows)-1)
	hashes := make([]string, len(rows)-1)
	var numbers, bad []string
	seen := map[string]int{}
	for i, row := range rows[1:] {
		n := i + 2
		req, err := parseImportRow(cols, row)
		v := importRow{Row: n, TicketNo: req.TicketNo, Action: "file", CallerPhone: MaskPhone(req.CallerPhone)}
		if err == nil {
			_, err = s.ticketUnit(ctx, req, u.OrgPath, u.OrgUnitID)
		}
		if err == nil && seen[req.TicketNo] != 0 {
			err = whistle.Errorf(whistle.EInvalid, "工单编号与第 %d 行重复", "ticket_no repeats row %d", seen[req.TicketNo])
		}
		if err != nil {
			v.Action, v.Error = "error", whistle.ErrorMessage(err, lang(c))
			bad = append(bad, strconv.Itoa(n))
		} else {
			seen[req.TicketNo] = n
			numbers = append(numbers, req.TicketNo)
		}
		canon, _ := json.Marshal(req)
		sum := sha256.Sum256(canon)
		reqs[i], hashes[i] = req, hex.EncodeToString(sum[:])
		ans.Rows = append(ans.Rows, v)
	}
	known, err := s.Store.HotlineTicketsIn(ctx, numbers)
	if err != nil {
		fail(c, err)
		return
	}
	for i := range ans.Rows {
		if t, ok := known[ans.Rows[i].TicketNo]; ok && ans.Rows[i].Action == "file" {
			duplicateRow(c, &ans.Rows[i], t.CaseID, t.CaseNumber)
		}
	}
	if len(bad) > 0 && !dry {
		c.JSON(http.StatusBadRequest, gin.H{"error": envelopeError{Code: string(whistle.EInvalid),
			Message:   pick(c, "以下行有误，未导入任何工单：第 "+strings.Join(bad, "、")+" 行", "nothing imported: bad rows "+strings.Join(bad, ", ")),
			RequestID: requestID(c)}, "rows": ans.Rows})
		return
	}
	if !dry {
		for i := range ans.Rows {
			row := &ans.Rows[i]
			if row.Action == "duplicate" {
				// Skipped, unless its claim never became a case (a filing
				// that failed): fileTicket files that one under its claim.
				_, err := s.Store.CaseHeader(ctx, row.CaseID)
				if whistle.ErrorCode(err) != whistle.ENotFound {
					if err != nil {
						fail(c, fmt.Errorf("import row %d: %w", row.Row, err))
						return
					}
					continue
				}
			} else if row.Action != "file" {
				continue
			}
			filed, created, err := s.fileTicket(ctx, u, u.OrgUnitID, "", reqs[i], hashes[i], nil)
			if err != nil {
				// Checked above; only the service failing gets here. What
				// was filed stays filed and is idempotent on ticket_no: the
				// same file again files the rest.
				fail(c, fmt.Errorf("import row %d: %w", row.Row, err))
				return
			}
			if !created {
				// The webhook filed it meanwhile: one case, reported as such.
				duplicateRow(c, row, filed.CaseID, filed.Number)
				continue
			}
			row.Action, row.CaseID, row.Number, row.Message = "filed", filed.CaseID, filed.Number, ""
			ans.Filed++
		}
	}
	logger(c).Info("hotline import", "rows", len(ans.Rows), "filed", ans.Filed, "dry_run", dry)
	c.JSON(http.StatusOK, ans)
}
