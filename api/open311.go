package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// Open311 GeoReport v2 (JSON only) over the same data and policy as the
// rest of the API:
//
//   - a service is an active item of the whistle catalogue (吹哨事项清单);
//     the service list and definitions are public, like any Open311 discovery;
//   - a service request is a case. Reading and filing requests needs a
//     bearer token (or, filing with a form body, Open311's api_key field)
//     and sees only the caller's jurisdiction, exactly as /api/v1/cases does;
//   - filing goes through the one filing path (Server.file), so the same
//     policy decides; without department_ids the departments come from
//     the service's department kinds at the filer's level;
//   - the answer to a filing already names the case, so the token Open311
//     allows for deferred ids is the service_request_id itself;
//   - errors are Open311's: an array of {"code": HTTP status,
//     "description": message}, in Chinese or (Accept-Language: en) English.

// open311Error is one element of Open311's error array.
type open311Error struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
}

// isOpen311 reports whether the request is for the Open311 routes, whose
// errors fail writes in Open311's form, even those of the middleware
// (an oversized body, a panic) and of unknown Open311 paths.
func isOpen311(c *gin.Context) bool { return strings.HasPrefix(c.Request.URL.Path, "/open311/") }

// failOpen311 answers an error as Open311's error array and aborts.
func failOpen311(c *gin.Context, status int, e envelopeError) {
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="shaobao"`)
	}
	c.AbortWithStatusJSON(status, []open311Error{{Code: status, Description: e.Message}})
}

// open311User resolves the caller from the bearer token or, on a form
// POST, Open311's api_key field.
func (s *Server) open311User(c *gin.Context) (whistle.Actor, bool) {
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok && c.Request.Method == http.MethodPost {
		token = c.PostForm("api_key")
	}
	if strings.TrimSpace(token) == "" {
		fail(c, whistle.Errorf(whistle.EUnauthorized, "需要登录：请在 Authorization 头中提供 Bearer 令牌", "sign-in required: send a Bearer token in the Authorization header"))
		return whistle.Actor{}, false
	}
	a, err := s.signIn(c, strings.TrimSpace(token))
	if err != nil {
		fail(c, err)
		return whistle.Actor{}, false
	}
	return a, true
}

// jsonResource returns the id in a path segment such as "noise.json";
// Open311's other format, XML, is refused.
func jsonResource(c *gin.Context, param string) (string, bool) {
	v := c.Param(param)
	id, ok := strings.CutSuffix(v, ".json")
	if !ok || id == "" {
		if strings.HasSuffix(v, ".xml") {
			fail(c, whistle.Errorf(whistle.EInvalid, "只支持 JSON 格式：请用 .json", "only JSON is served: use .json"))
		} else {
			fail(c, whistle.Errorf(whistle.ENotFound, "没有这个地址：%s（Open311 资源以 .json 结尾）", "no such route: %s (Open311 resources end in .json)", c.Request.URL.Path))
		}
		return "", false
	}
	return id, true
}

// open311Service is a catalogue item as an Open311 service.
type open311Service struct {
	ServiceCode string `json:"service_code"`
	ServiceName string `json:"service_name"`
	Description string `json:"description"`
	Metadata    bool   `json:"metadata"`
	Type        string `json:"type"`
	Keywords    string `json:"keywords"`
	Group       string `json:"group"`
}

func toOpen311Service(c *gin.Context, it store.CatalogueItem) open311Service {
	class := whistle.Class(it.DefaultClass)
	name := it.Name
	desc := fmt.Sprintf("%s：默认%s，由%s类部门办理", it.Name, class.NameZH(), strings.ReplaceAll(it.DepartmentKinds, ",", "、"))
	if lang(c) == "en" && it.NameEN != "" {
		name = it.NameEN
		desc = fmt.Sprintf("%s: a %s whistle by default, handled by departments of kind %s", it.NameEN, class, strings.ReplaceAll(it.DepartmentKinds, ",", ", "))
	}
	keywords := []string{it.Category, it.Name}
	if it.NameEN != "" {
		keywords = append(keywords, it.NameEN)
	}
	keywords = append(keywords, strings.Split(it.DepartmentKinds, ",")...)
	return open311Service{ServiceCode: it.ID, ServiceName: name, Description: desc, Metadata: true, Type: "realtime",
		Keywords: strings.Join(keywords, ","), Group: it.Category}
}

func (s *Server) open311Services(c *gin.Context) {
	active := true
	items, err := s.Store.CatalogueItems(c.Request.Context(), &active)
	if err != nil {
		fail(c, err)
		return
	}
	out := make([]open311Service, len(items))
	for i, it := range items {
		out[i] = toOpen311Service(c, it)
	}
	c.JSON(http.StatusOK, out)
}

// open311Definition is a service definition: the attributes a request
// for the service may carry beyond Open311's standard fields.
type open311Definition struct {
	ServiceCode string             `json:"service_code"`
	Attributes  []open311Attribute `json:"attributes"`
}

type open311Attribute struct {
	Variable            bool           `json:"variable"`
	Code                string         `json:"code"`
	Datatype            string         `json:"datatype"`
	Required            bool           `json:"required"`
	DatatypeDescription string         `json:"datatype_description"`
	Order               int            `json:"order"`
	Description         string         `json:"description"`
	Values              []open311Value `json:"values,omitempty"`
}

type open311Value struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// open311Sources are the sources a request filed through Open311 may name.
var open311Sources = []whistle.Source{whistle.SourceResident, whistle.SourceHotline, whistle.SourceGrid, whistle.SourceCommunity, whistle.SourceProperty}

func (s *Server) open311ServiceDefinition(c *gin.Context) {
	code, ok := jsonResource(c, "service_code")
	if !ok {
		return
	}
	it, err := s.Store.CatalogueItemByID(c.Request.Context(), code)
	if err == nil && !it.Active {
		err = whistle.Errorf(whistle.ENotFound, "事项已停用：%s", "the service is inactive: %s", code)
	}
	if err != nil {
		fail(c, err)
		return
	}
	en := lang(c) == "en"
	text := func(zh, english string) string {
		if en {
			return english
		}
		return zh
	}
	sources := make([]open311Value, len(open311Sources))
	for i, src := range open311Sources {
		sources[i] = open311Value{Key: string(src), Name: sourceName(src, en)}
	}
	classes := make([]open311Value, len(whistle.Classes))
	for i, cl := range whistle.Classes {
		classes[i] = open311Value{Key: string(cl), Name: text(cl.NameZH(), string(cl))}
	}
	def := open311Definition{ServiceCode: it.ID, Attributes: []open311Attribute{
		{Variable: true, Code: "title", Datatype: "string", Order: 1, DatatypeDescription: text("至多 200 字", "at most 200 characters"),
			Description: text("标题（默认：事项名加描述开头）", "title (default: the service name and the start of the description)")},
		{Variable: true, Code: "source", Datatype: "singlevaluelist", Order: 2, Values: sources,
			Description: text("来源（默认 resident 居民）", "source (default resident)")},
		{Variable: true, Code: "class", Datatype: "singlevaluelist", Order: 3, Values: classes,
			Description: text("哨类（默认："+whistle.Class(it.DefaultClass).NameZH()+"）", "whistle class (default: "+it.DefaultClass+")")},
		{Variable: true, Code: "department_ids", Datatype: "string", Order: 4, DatatypeDescription: text("以逗号分隔的部门编号，至多 10 个", "comma-separated department ids, at most 10"),
			Description: text("要吹哨的部门（默认：本级可呼叫的"+strings.ReplaceAll(it.DepartmentKinds, ",", "、")+"类部门）",
				"departments to summon (default: the nearest departments of kind "+strings.ReplaceAll(it.DepartmentKinds, ",", ", ")+" you may summon)")},
		{Variable: true, Code: "grid_id", Datatype: "string", Order: 5, DatatypeDescription: text("网格编码", "grid id"),
			Description: text("问题所在网格", "the grid where the problem is")},
	}}
	c.JSON(http.StatusOK, def)
}

func sourceName(src whistle.Source, en bool) string {
	if en {
		return string(src)
	}
	return map[whistle.Source]string{whistle.SourceResident: "居民", whistle.SourceHotline: "12345 热线", whistle.SourceGrid: "网格巡查",
		whistle.SourceCommunity: "社区", whistle.SourceProperty: "物业纠纷"}[src]
}

// open311Request is a case as an Open311 service request, with a few
// Shaobao fields after the standard ones.
type open311Request struct {
	ServiceRequestID  string     `json:"service_request_id"`
	Status            string     `json:"status"`
	StatusNotes       string     `json:"status_notes"`
	ServiceName       string     `json:"service_name"`
	ServiceCode       string     `json:"service_code"`
	Description       string     `json:"description"`
	AgencyResponsible string     `json:"agency_responsible"`
	ServiceNotice     string     `json:"service_notice"`
	RequestedDatetime time.Time  `json:"requested_datetime"`
	UpdatedDatetime   time.Time  `json:"updated_datetime"`
	ExpectedDatetime  *time.Time `json:"expected_datetime,omitempty"`
	Address           string     `json:"address"`
	Lat               float64    `json:"lat"`
	Long              float64    `json:"long"`
	MediaURL          string     `json:"media_url"`
	Title             string     `json:"title"`
	Class             string     `json:"class"`
	Level             string     `json:"level"`
	Overdue           bool       `json:"overdue"`
}

var caseStatusNotes = map[whistle.CaseStatus][2]string{
	whistle.CaseOpen:       {"部门办理中", "departments at work"},
	whistle.CaseVerifying:  {"待核查", "awaiting verification"},
	whistle.CaseEvaluating: {"待评价", "awaiting evaluation"},
	whistle.CaseClosed:     {"已结案", "closed"},
}

func (s *Server) toOpen311Request(c *gin.Context, sr store.ServiceRequest, names map[string]store.CatalogueItem) open311Request {
	k := sr.Case
	status := "open"
	if k.Status == whistle.CaseClosed {
		status = "closed"
	}
	notes := caseStatusNotes[k.Status]
	name := k.Category
	if it, ok := names[k.CatalogueItem]; ok {
		name = it.Name
		if lang(c) == "en" && it.NameEN != "" {
			name = it.NameEN
		}
	}
	r := open311Request{ServiceRequestID: k.ID, Status: status, StatusNotes: pick(c, notes[0], notes[1]), ServiceName: name, ServiceCode: k.CatalogueItem,
		Description: k.Description, AgencyResponsible: strings.Join(sr.Departments, pick(c, "、", ", ")),
		RequestedDatetime: k.CreatedAt.In(worktime.Location), UpdatedDatetime: k.UpdatedAt.In(worktime.Location),
		Address: k.Location.Address, Lat: k.Location.Lat, Long: k.Location.Lon, Title: k.Title, Class: string(k.Class), Level: string(k.Level), Overdue: k.Overdue}
	if sr.ExpectedAt != nil && k.Status == whistle.CaseOpen {
		t := sr.ExpectedAt.In(worktime.Location)
		r.ExpectedDatetime = &t
	}
	return r
}

func (s *Server) catalogueByID(ctx context.Context) (map[string]store.CatalogueItem, error) {
	items, err := s.Store.CatalogueItems(ctx, nil)
	if err != nil {
		return nil, err
	}
	m := make(map[string]store.CatalogueItem, len(items))
	for _, it := range items {
		m[it.ID] = it
	}
	return m, nil
}

// open311Window is the span listed when a query names no dates (Open311's
// suggested default of 90 days).
const open311Window = 90 * 24 * time.Hour

func (s *Server) open311Requests(c *gin.Context) {
	u, ok := s.open311User(c)
	if !ok {
		return
	}
	q := &queryReader{c: c}
	f := store.ServiceRequestFilter{Scope: s.scope(u), CatalogueItem: q.text("service_code", 40), From: q.time("start_date"), To: q.time("end_date")}
	ids := q.text("service_request_id", 100*41)
	status := q.text("status", 20)
	_ = q.text("jurisdiction_id", 64) // one jurisdiction per server: accepted, not needed
	if q.err != nil {
		fail(c, q.err)
		return
	}
	if ids != "" {
		// Open311: with service_request_id every other filter is ignored.
		f = store.ServiceRequestFilter{Scope: f.Scope}
		for _, id := range strings.Split(ids, ",") {
			if id = strings.TrimSpace(id); id != "" {
				f.IDs = append(f.IDs, id)
			}
		}
		if len(f.IDs) > 100 {
			fail(c, whistle.Errorf(whistle.EInvalid, "service_request_id 至多 100 个", "at most 100 service_request_id values"))
			return
		}
	} else {
		if err := open311Status(status, &f); err != nil {
			fail(c, err)
			return
		}
		switch {
		case f.From == nil && f.To == nil:
			from := time.Now().Add(-open311Window)
			f.From = &from
		case f.From != nil && f.To != nil && f.To.Before(*f.From):
			fail(c, whistle.Errorf(whistle.EInvalid, "end_date 早于 start_date", "end_date is before start_date"))
			return
		}
	}
	s.answerRequests(c, f)
}

// open311Status reads Open311's status filter: open, closed, or both.
func open311Status(v string, f *store.ServiceRequestFilter) error {
	if v == "" {
		return nil
	}
	var open, closed bool
	for _, st := range strings.Split(v, ",") {
		switch strings.TrimSpace(st) {
		case "open":
			open = true
		case "closed":
			closed = true
		default:
			return whistle.Errorf(whistle.EInvalid, "查询参数 status 无效：%q，可选 open、closed", "invalid query parameter status %q: one of open, closed", v)
		}
	}
	if open != closed {
		f.Closed = &closed
	}
	return nil
}

func (s *Server) answerRequests(c *gin.Context, f store.ServiceRequestFilter) {
	ctx := c.Request.Context()
	rows, err := s.Store.ServiceRequests(ctx, f)
	if err != nil {
		fail(c, err)
		return
	}
	names, err := s.catalogueByID(ctx)
	if err != nil {
		fail(c, err)
		return
	}
	out := make([]open311Request, len(rows))
	for i, sr := range rows {
		out[i] = s.toOpen311Request(c, sr, names)
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) open311Request(c *gin.Context) {
	if id, ok := s.open311ReadableCase(c, "service_request_id"); ok {
		s.answerRequests(c, store.ServiceRequestFilter{Scope: store.Scope{All: true}, IDs: []string{id}})
	}
}

// open311Token resolves a token to its request. Filing answers with the
// case id at once, so the token is the service_request_id itself.
func (s *Server) open311Token(c *gin.Context) {
	if token, ok := s.open311ReadableCase(c, "token"); ok {
		c.JSON(http.StatusOK, []gin.H{{"service_request_id": token, "token": token}})
	}
}

// open311ReadableCase returns the case id in the route's param ("….json")
// once the caller is signed in and may read that case; otherwise it has
// failed the request.
func (s *Server) open311ReadableCase(c *gin.Context, param string) (string, bool) {
	id, ok := jsonResource(c, param)
	if !ok {
		return "", false
	}
	u, ok := s.open311User(c)
	if !ok {
		return "", false
	}
	if _, err := s.authorizedCase(c.Request.Context(), u, id, policy.ReadCase); err != nil {
		fail(c, err)
		return "", false
	}
	return id, true
}

// open311PostRequest is the body of POST requests.json: a form (as
// Open311 has it) or JSON with the same names; attribute[CODE] fields (an
// "attribute" object in JSON) carry the service definition's attributes.
type open311PostRequest struct {
	ServiceCode   string            `form:"service_code" json:"service_code" binding:"required,max=40"`
	Lat           *float64          `form:"lat" json:"lat" binding:"required,min=-90,max=90"`
	Long          *float64          `form:"long" json:"long" binding:"required,min=-180,max=180"`
	AddressString string            `form:"address_string" json:"address_string" binding:"max=255"`
	Description   string            `form:"description" json:"description" binding:"max=5000"`
	MediaURL      string            `form:"media_url" json:"media_url" binding:"omitempty,max=1000,httpurl"`
	Attribute     map[string]string `form:"-" json:"attribute" binding:"max=5"`
}

// open311Attributes are the attribute codes of every service definition.
var open311Attributes = []string{"title", "source", "class", "department_ids", "grid_id"}

func (s *Server) open311File(c *gin.Context) {
	u, ok := s.open311User(c)
	if !ok {
		return
	}
	var req open311PostRequest
	if err := c.ShouldBind(&req); err != nil {
		fail(c, bindError(c, err))
		return
	}
	if req.Attribute == nil {
		req.Attribute = c.PostFormMap("attribute")
		// Read after binding, so the binding's text check has not seen them.
		if err := checkText(&req); err != nil {
			fail(c, err)
			return
		}
	}
	fr, err := s.open311Filing(c.Request.Context(), req)
	if err != nil {
		fail(c, err)
		return
	}
	kase, err := s.file(c.Request.Context(), u, fr, c.GetHeader("Idempotency-Key"), true)
	if err != nil {
		fail(c, err)
		return
	}
	logger(c).Info("case filed through Open311", "case_id", kase.ID, "service_code", req.ServiceCode, "departments", len(kase.Tasks))
	notice := pick(c, "已受理，按"+kase.Class.NameZH()+"办理", "accepted as a "+string(kase.Class)+" whistle")
	c.JSON(http.StatusCreated, []gin.H{{"service_request_id": kase.ID, "token": kase.ID, "service_notice": notice, "account_id": nil}})
}

// open311Filing turns an Open311 request into the filing request of
// POST /api/v1/cases, checking what its binding could not.
func (s *Server) open311Filing(ctx context.Context, req open311PostRequest) (fileCaseRequest, error) {
	for code, v := range req.Attribute {
		if !slices.Contains(open311Attributes, code) {
			return fileCaseRequest{}, whistle.Errorf(whistle.EInvalid, "未知属性 attribute[%s]（可用：%s）", "unknown attribute[%s] (known: %s)", code, strings.Join(open311Attributes, ", "))
		}
		if len(v) > 1000 {
			return fileCaseRequest{}, whistle.Errorf(whistle.EInvalid, "属性 attribute[%s] 过长", "attribute[%s] is too long", code)
		}
	}
	it, err := s.Store.CatalogueItemByID(ctx, req.ServiceCode)
	if err != nil {
		return fileCaseRequest{}, invalidRef(err, "service_code", req.ServiceCode)
	}
	a := req.Attribute
	fr := fileCaseRequest{
		Title: strings.TrimSpace(a["title"]), Description: req.Description, Source: firstNonEmpty(a["source"], string(whistle.SourceResident)),
		Class: a["class"], CatalogueItem: it.ID,
		Location: locationRequest{Address: strings.TrimSpace(req.AddressString), Lat: req.Lat, Lon: req.Long, GridID: strings.TrimSpace(a["grid_id"])},
	}
	if fr.Title == "" {
		fr.Title = it.Name
		if d := []rune(strings.TrimSpace(req.Description)); len(d) > 0 {
			fr.Title += "：" + string(d[:min(len(d), 40)])
		}
	}
	if fr.Location.Address == "" {
		fr.Location.Address = fmt.Sprintf("%.6f, %.6f", *req.Lat, *req.Long)
	}
	if req.MediaURL != "" {
		fr.Description = strings.TrimSpace(fr.Description + "\n" + req.MediaURL)
	}
	for _, id := range strings.Split(a["department_ids"], ",") {
		if id = strings.TrimSpace(id); id != "" {
			fr.DepartmentIDs = append(fr.DepartmentIDs, id)
		}
	}
	switch {
	case utf8.RuneCountInString(fr.Title) > 200:
		return fr, whistle.Errorf(whistle.EInvalid, "attribute[title] 至多 200 字", "attribute[title] is at most 200 characters")
	case len(fr.Location.GridID) > 32:
		return fr, whistle.Errorf(whistle.EInvalid, "attribute[grid_id] 至多 32 字符", "attribute[grid_id] is at most 32 characters")
	case len(fr.DepartmentIDs) > 10:
		return fr, whistle.Errorf(whistle.EInvalid, "attribute[department_ids] 至多 10 个部门", "attribute[department_ids] names at most 10 departments")
	case utf8.RuneCountInString(fr.Description) > 5000:
		return fr, whistle.Errorf(whistle.EInvalid, "description 过长（上限 5000）", "description too long (limit 5000)")
	}
	for _, id := range fr.DepartmentIDs {
		if len(id) > 40 {
			return fr, whistle.Errorf(whistle.EInvalid, "attribute[department_ids] 中的部门编号过长：%.40s…", "a department id in attribute[department_ids] is too long: %.40s…", id)
		}
	}
	return fr, nil
}
