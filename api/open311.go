package api

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"regexp"
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

// Open311 GeoReport v2 (open311.org/GeoReport_v2) over the same data and
// policy as the rest of the API, in both of the spec's formats: a route's
// format is its suffix, ".xml" (the spec's required format, text/xml) or
// ".json". Decisions beyond the spec:
//
//   - a service is an active item of the whistle catalogue (吹哨事项清单);
//     discovery, the service list and definitions are public;
//   - GET requests, GET requests/{id} and GET tokens/{token} are public
//     without credentials and then show only public fields (open311Public):
//     what a resident sees on a notice board, never who filed, a phone, a
//     name, an internal note or a staff username. With a staff bearer
//     token they answer the staff view (a few more Shaobao fields) inside
//     the caller's jurisdiction, as /api/v1/cases does;
//   - POST requests needs the spec's api_key, issued per client
//     application by an admin (open311_clients); the client files as the
//     user the admin bound it to, so the one filing path (Server.file) and
//     the same policy decide. Its report arrives pending (待受理) unless it
//     names attribute[department_ids]. A staff bearer token still files
//     (the integrations of before), with the service's default
//     departments; a staff token is not an api_key;
//   - the answer to a filing already names the case, so it carries
//     service_request_id (the spec asks for it or a token); GET tokens/{id}
//     resolves the id to itself;
//   - errors are the spec's: [{"code", "description"}] or
//     <errors><error><code/><description/></error></errors>, in Chinese or
//     (Accept-Language: en) English.

// open311Error is one element of Open311's error array.
type open311Error struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

type open311XMLErrors struct {
	XMLName xml.Name       `xml:"errors"`
	Errors  []open311Error `xml:"error"`
}

// isOpen311 reports whether the request is for the Open311 routes, whose
// errors fail writes in Open311's form, even those of the middleware
// (an oversized body, a panic) and of unknown Open311 paths.
func isOpen311(c *gin.Context) bool { return strings.HasPrefix(c.Request.URL.Path, "/open311/") }

// wantsXML reports whether the route asked for the spec's XML format.
func wantsXML(c *gin.Context) bool { return strings.HasSuffix(c.Request.URL.Path, ".xml") }

// failOpen311 answers an error as Open311's error list and aborts.
func failOpen311(c *gin.Context, status int, e envelopeError) {
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="shaobao"`)
	}
	errs := []open311Error{{Code: status, Description: e.Message}}
	if wantsXML(c) {
		c.Abort()
		answer311XML(c, status, open311XMLErrors{Errors: errs})
		return
	}
	c.AbortWithStatusJSON(status, errs)
}

// answer311 answers v as JSON, or x as XML on an ".xml" route.
func answer311(c *gin.Context, status int, v, x any) {
	if wantsXML(c) {
		answer311XML(c, status, x)
		return
	}
	c.JSON(status, v)
}

// answer311XML writes x with the XML declaration the spec requires.
func answer311XML(c *gin.Context, status int, x any) {
	b, err := xml.Marshal(x)
	if err != nil {
		// Only a programming error (an unmarshalable type) gets here.
		logger(c).Error("open311 xml answer", "err", err)
		status, b = http.StatusInternalServerError, []byte("<errors><error><code>500</code><description>internal error</description></error></errors>")
	}
	c.Data(status, "text/xml; charset=utf-8", append([]byte(xml.Header), b...))
}

// open311Staff resolves a staff bearer token when one is sent. ok is false
// once it has failed the request (a bad token fails rather than falling
// back to the public view: a client that sent credentials wants to know);
// signed is false for an anonymous, public read.
func (s *Server) open311Staff(c *gin.Context) (a whistle.Actor, signed, ok bool) {
	h := c.GetHeader("Authorization")
	if h == "" {
		return whistle.Actor{}, false, true
	}
	token, found := strings.CutPrefix(h, "Bearer ")
	if !found || strings.TrimSpace(token) == "" {
		fail(c, whistle.Errorf(whistle.EUnauthorized, "Authorization 头须为 Bearer 令牌", "the Authorization header must be a Bearer token"))
		return whistle.Actor{}, false, false
	}
	a, err := s.signIn(c, strings.TrimSpace(token))
	if err != nil {
		fail(c, err)
		return whistle.Actor{}, false, false
	}
	return a, true, true
}

// open311Filer resolves who files a POST: the client of the spec's
// api_key (form field, JSON field or query parameter), or a staff bearer
// token. Without either, or with a bad or revoked key, the spec answers
// 403. clientID is "" for a staff token.
func (s *Server) open311Filer(c *gin.Context, apiKey string) (a whistle.Actor, clientID string, ok bool) {
	if apiKey = strings.TrimSpace(firstNonEmpty(apiKey, c.Query("api_key"))); apiKey != "" {
		cl, u, err := s.Store.Open311ClientByKey(c.Request.Context(), apiKey)
		if err != nil {
			fail(c, err)
			return whistle.Actor{}, "", false
		}
		a := actorOf(u)
		c.Set(ctxCaller, signedIn{actor: a, displayName: u.DisplayName})
		c.Set(ctxLogger, logger(c).With("user", a.Username, "open311_client", cl.ID))
		return a, cl.ID, true
	}
	if c.GetHeader("Authorization") == "" {
		fail(c, whistle.Errorf(whistle.EForbidden, "需要 api_key：请向管理员申请客户端密钥", "api_key required: ask an admin for a client key"))
		return whistle.Actor{}, "", false
	}
	a, _, ok = s.open311Staff(c)
	return a, "", ok
}

// open311Resource returns the id in a path segment such as "noise.json"
// or "noise.xml".
func open311Resource(c *gin.Context, param string) (string, bool) {
	v := c.Param(param)
	id, ok := strings.CutSuffix(v, ".json")
	if !ok {
		id, ok = strings.CutSuffix(v, ".xml")
	}
	if !ok || id == "" {
		fail(c, whistle.Errorf(whistle.ENotFound, "没有这个地址：%s（Open311 资源以 .json 或 .xml 结尾）", "no such route: %s (Open311 resources end in .json or .xml)", c.Request.URL.Path))
		return "", false
	}
	return id, true
}

// open311Discovery is the spec's service discovery document.
type open311Discovery struct {
	XMLName    xml.Name          `json:"-" xml:"discovery"`
	Changeset  time.Time         `json:"changeset" xml:"changeset"`
	Contact    string            `json:"contact" xml:"contact"`
	KeyService string            `json:"key_service" xml:"key_service"`
	Endpoints  []open311Endpoint `json:"endpoints" xml:"endpoints>endpoint"`
}

type open311Endpoint struct {
	Specification string    `json:"specification" xml:"specification"`
	URL           string    `json:"url" xml:"url"`
	Changeset     time.Time `json:"changeset" xml:"changeset"`
	Type          string    `json:"type" xml:"type"`
	Formats       []string  `json:"formats" xml:"formats>format"`
}

// open311Changeset is when this endpoint's services or definitions last
// changed in shape: the spec's hint to refresh cached definitions.
var open311Changeset = time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)

func (s *Server) open311Discovery(c *gin.Context) {
	scheme := "http"
	if c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	base := scheme + "://" + c.Request.Host
	d := open311Discovery{Changeset: open311Changeset,
		Contact:    pick(c, "请联系本市城市运行管理中心", "contact the city operations centre"),
		KeyService: pick(c, "api_key 由管理员在 "+base+"/api/v1/admin/open311-clients 签发", "api_keys are issued by an admin at "+base+"/api/v1/admin/open311-clients"),
		Endpoints: []open311Endpoint{{Specification: "http://wiki.open311.org/GeoReport_v2", URL: base + "/open311/v2", Changeset: open311Changeset,
			Type: "production", Formats: []string{"text/xml", "application/json"}}}}
	answer311(c, http.StatusOK, d, d)
}

// open311Service is a catalogue item as an Open311 service.
type open311Service struct {
	ServiceCode string `json:"service_code" xml:"service_code"`
	ServiceName string `json:"service_name" xml:"service_name"`
	Description string `json:"description" xml:"description"`
	Metadata    bool   `json:"metadata" xml:"metadata"`
	Type        string `json:"type" xml:"type"`
	Keywords    string `json:"keywords" xml:"keywords"`
	Group       string `json:"group" xml:"group"`
}

type open311XMLServices struct {
	XMLName  xml.Name         `xml:"services"`
	Services []open311Service `xml:"service"`
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
	answer311(c, http.StatusOK, out, open311XMLServices{Services: out})
}

// open311Definition is a service definition: the attributes a request
// for the service may carry beyond Open311's standard fields.
type open311Definition struct {
	XMLName     xml.Name           `json:"-" xml:"service_definition"`
	ServiceCode string             `json:"service_code" xml:"service_code"`
	Attributes  []open311Attribute `json:"attributes" xml:"attributes>attribute"`
}

type open311Attribute struct {
	Variable            bool           `json:"variable" xml:"variable"`
	Code                string         `json:"code" xml:"code"`
	Datatype            string         `json:"datatype" xml:"datatype"`
	Required            bool           `json:"required" xml:"required"`
	DatatypeDescription string         `json:"datatype_description" xml:"datatype_description"`
	Order               int            `json:"order" xml:"order"`
	Description         string         `json:"description" xml:"description"`
	Values              []open311Value `json:"values,omitempty" xml:"values>value,omitempty"`
}

type open311Value struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

// open311Sources are the sources a request filed through Open311 may name.
var open311Sources = []whistle.Source{whistle.SourceResident, whistle.SourceHotline, whistle.SourceGrid, whistle.SourceCommunity, whistle.SourceProperty}

func (s *Server) open311ServiceDefinition(c *gin.Context) {
	code, ok := open311Resource(c, "service_code")
	if !ok {
		return
	}
	it, err := s.open311Service(c.Request.Context(), code)
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
	answer311(c, http.StatusOK, def, def)
}

// open311Service returns the active catalogue item of a service_code; an
// unknown or inactive one is not found, as the spec has it.
func (s *Server) open311Service(ctx context.Context, code string) (store.CatalogueItem, error) {
	it, err := s.Store.CatalogueItemByID(ctx, code)
	if errors.Is(err, whistle.ErrNotFound) {
		return it, whistle.Errorf(whistle.ENotFound, "没有这个服务 service_code：%s", "no such service_code: %s", code)
	}
	if err == nil && !it.Active {
		err = whistle.Errorf(whistle.ENotFound, "事项已停用：%s", "the service is inactive: %s", code)
	}
	return it, err
}

func sourceName(src whistle.Source, en bool) string {
	if en {
		return string(src)
	}
	return map[whistle.Source]string{whistle.SourceResident: "居民", whistle.SourceHotline: "12345 热线", whistle.SourceGrid: "网格巡查",
		whistle.SourceCommunity: "社区", whistle.SourceProperty: "物业纠纷"}[src]
}

// open311Request is a case as an Open311 service request. The public
// view (no credentials) fills only the spec's fields that a notice board
// would show: status and its notes, the service, the description and
// media_url the resident gave, the address and coordinates, the
// departments responsible and the times. Nobody's name, phone or username
// and no timeline note is ever in it. The staff view adds Shaobao's
// title, class, level and overdue after the standard fields.
type open311Request struct {
	ServiceRequestID  string     `json:"service_request_id" xml:"service_request_id"`
	Status            string     `json:"status" xml:"status"`
	StatusNotes       string     `json:"status_notes" xml:"status_notes"`
	ServiceName       string     `json:"service_name" xml:"service_name"`
	ServiceCode       string     `json:"service_code" xml:"service_code"`
	Description       string     `json:"description" xml:"description"`
	AgencyResponsible string     `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     string     `json:"service_notice" xml:"service_notice"`
	RequestedDatetime time.Time  `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   time.Time  `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  *time.Time `json:"expected_datetime,omitempty" xml:"expected_datetime,omitempty"`
	Address           string     `json:"address" xml:"address"`
	// Lat and Long are absent when the request gave only an address.
	Lat      *float64 `json:"lat,omitempty" xml:"lat,omitempty"`
	Long     *float64 `json:"long,omitempty" xml:"long,omitempty"`
	MediaURL string   `json:"media_url" xml:"media_url"`
	// Staff view only.
	Title   string `json:"title,omitempty" xml:"title,omitempty"`
	Class   string `json:"class,omitempty" xml:"class,omitempty"`
	Level   string `json:"level,omitempty" xml:"level,omitempty"`
	Overdue *bool  `json:"overdue,omitempty" xml:"overdue,omitempty"`
}

type open311XMLRequests struct {
	XMLName  xml.Name         `xml:"service_requests"`
	Requests []open311Request `xml:"request"`
}

var caseStatusNotes = map[whistle.CaseStatus][2]string{
	whistle.CaseOpen:       {"部门办理中", "departments at work"},
	whistle.CaseVerifying:  {"待核查", "awaiting verification"},
	whistle.CaseEvaluating: {"待评价", "awaiting evaluation"},
	whistle.CaseClosed:     {"已结案", "closed"},
	whistle.CasePending:    {"已收到，待受理", "received, awaiting acceptance"},
}

// outcomeNotes is the status_notes of a case closed without being
// resolved: the resident learns why (不予受理 and its reason) or where it
// went (已并入 and the surviving case's number, which Open311 can look
// up), not a bare "closed". survivor is the number, or the id, of the
// case a merged one went into.
func outcomeNotes(k whistle.Case, survivor string) (notes [2]string, ok bool) {
	switch k.Outcome {
	case whistle.OutcomeRejected:
		if k.RejectReason == "" {
			return [2]string{"不予受理", "not accepted"}, true
		}
		return [2]string{"不予受理：" + k.RejectReason, "not accepted: " + k.RejectReason}, true
	case whistle.OutcomeMerged:
		return [2]string{"已并入 " + survivor, "merged into " + survivor}, true
	}
	return notes, false
}

// survivorNumbers maps the merged_into of the merged cases among rows to
// the surviving case's number (its id when it has none, or is gone), so
// outcomeNotes can name it as a 12345 operator would read it out.
func (s *Server) survivorNumbers(ctx context.Context, rows []store.ServiceRequest) (map[string]string, error) {
	out := map[string]string{}
	for _, sr := range rows {
		id := sr.Case.MergedInto
		if sr.Case.Outcome != whistle.OutcomeMerged || id == "" {
			continue
		}
		if _, done := out[id]; done {
			continue
		}
		k, err := s.Store.CaseHeader(ctx, id)
		switch {
		case whistle.ErrorCode(err) == whistle.ENotFound:
			out[id] = id
		case err != nil:
			return nil, fmt.Errorf("survivor %s of a merged case: %w", id, err)
		default:
			out[id] = firstNonEmpty(k.Number, id)
		}
	}
	return out, nil
}

// toOpen311Request is sr as Open311 shows it; staff adds the staff fields.
// survivors maps a merged case's merged_into to the number to show
// (survivorNumbers).
func (s *Server) toOpen311Request(c *gin.Context, sr store.ServiceRequest, names map[string]store.CatalogueItem, survivors map[string]string, staff bool) open311Request {
	k := sr.Case
	status := "open"
	if k.Status == whistle.CaseClosed {
		status = "closed"
	}
	notes := caseStatusNotes[k.Status]
	if k.Status == whistle.CaseClosed {
		if n, ok := outcomeNotes(k, firstNonEmpty(survivors[k.MergedInto], k.MergedInto)); ok {
			notes = n
		}
	}
	name := k.Category
	if it, ok := names[k.CatalogueItem]; ok {
		name = it.Name
		if lang(c) == "en" && it.NameEN != "" {
			name = it.NameEN
		}
	}
	r := open311Request{ServiceRequestID: k.ID, Status: status, StatusNotes: pick(c, notes[0], notes[1]), ServiceName: name, ServiceCode: k.CatalogueItem,
		Description: open311Description(k.Description, sr.MediaURL), AgencyResponsible: strings.Join(sr.Departments, pick(c, "、", ", ")),
		RequestedDatetime: k.CreatedAt.In(worktime.Location), UpdatedDatetime: k.UpdatedAt.In(worktime.Location),
		Address: k.Location.Address, MediaURL: sr.MediaURL}
	// (0, 0) is no point either: Open311 filed address-only reports there
	// before coordinates became optional.
	if lat, lon, ok := k.Location.Point(); ok && (lat != 0 || lon != 0) {
		r.Lat, r.Long = &lat, &lon
	}
	if sr.ExpectedAt != nil && k.Status == whistle.CaseOpen {
		t := sr.ExpectedAt.In(worktime.Location)
		r.ExpectedDatetime = &t
	}
	if !staff {
		r.Description = maskPersonal(r.Description)
		r.StatusNotes = maskPersonal(r.StatusNotes) // a reject reason may quote the caller
	}
	if staff {
		overdue := k.Overdue
		r.Title, r.Class, r.Level, r.Overdue = k.Title, string(k.Class), string(k.Level), &overdue
	}
	return r
}

// open311Description is the description a request was filed with: filing
// appends media_url on a line of its own, so staff reading the case see
// the link; Open311 returns it apart, in media_url.
func open311Description(desc, mediaURL string) string {
	if mediaURL == "" {
		return desc
	}
	if d, ok := strings.CutSuffix(desc, mediaURL); ok {
		return strings.TrimRight(d, "\n")
	}
	return desc
}

// personalNumbers are what a resident may type into a description that
// must not reach a public page: a mainland mobile number or an identity
// card number.
var personalNumbers = regexp.MustCompile(`\d{17}[\dXx]|1[3-9]\d{9}`)

// maskPersonal masks the personal numbers of a public description the way
// lists mask a caller's phone (138****1234; an identity card keeps its
// first six and last four).
func maskPersonal(text string) string {
	return personalNumbers.ReplaceAllStringFunc(text, func(n string) string {
		if len(n) == 11 {
			return n[:3] + "****" + n[7:]
		}
		return n[:6] + "********" + n[14:]
	})
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

// open311Scope is what a read may see: the staff caller's jurisdiction,
// or, for an anonymous read, every case (public fields only).
func (s *Server) open311Scope(c *gin.Context) (scope store.Scope, staff, ok bool) {
	u, staff, ok := s.open311Staff(c)
	if !ok {
		return store.Scope{}, false, false
	}
	if !staff {
		return store.Scope{All: true}, false, true
	}
	return s.scope(u), true, true
}

// open311List splits a comma-separated parameter, dropping empty items.
func open311List(v string) []string {
	var out []string
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func (s *Server) open311Requests(c *gin.Context) {
	scope, staff, ok := s.open311Scope(c)
	if !ok {
		return
	}
	q := &queryReader{c: c}
	f := store.ServiceRequestFilter{Scope: scope, CatalogueItems: open311List(q.text("service_code", 41*50)), From: q.time("start_date"), To: q.time("end_date")}
	ids := q.text("service_request_id", 100*41)
	status := q.text("status", 20)
	_ = q.text("jurisdiction_id", 64) // one jurisdiction per server: accepted, not needed
	if q.err != nil {
		fail(c, q.err)
		return
	}
	if ids != "" {
		// Open311: with service_request_id every other filter is ignored.
		f = store.ServiceRequestFilter{Scope: f.Scope, IDs: open311List(ids)}
		if len(f.IDs) > 100 {
			fail(c, whistle.Errorf(whistle.EInvalid, "service_request_id 至多 100 个", "at most 100 service_request_id values"))
			return
		}
	} else {
		if len(f.CatalogueItems) > 50 {
			fail(c, whistle.Errorf(whistle.EInvalid, "service_code 至多 50 个", "at most 50 service_code values"))
			return
		}
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
	s.answerRequests(c, f, staff)
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

// answerRequests answers the requests f finds; with one, given, it
// answers 404 when none is found (GET requests/{id}).
func (s *Server) answerRequests(c *gin.Context, f store.ServiceRequestFilter, staff bool, one ...string) {
	ctx := c.Request.Context()
	rows, err := s.Store.ServiceRequests(ctx, f)
	if err != nil {
		fail(c, err)
		return
	}
	if len(one) > 0 && len(rows) == 0 {
		fail(c, whistle.Errorf(whistle.ENotFound, "没有这个服务请求：%s", "no such service request: %s", one[0]))
		return
	}
	names, err := s.catalogueByID(ctx)
	if err != nil {
		fail(c, err)
		return
	}
	survivors, err := s.survivorNumbers(ctx, rows)
	if err != nil {
		fail(c, err)
		return
	}
	out := make([]open311Request, len(rows))
	for i, sr := range rows {
		out[i] = s.toOpen311Request(c, sr, names, survivors, staff)
	}
	answer311(c, http.StatusOK, out, open311XMLRequests{Requests: out})
}

func (s *Server) open311Request(c *gin.Context) {
	if id, staff, ok := s.open311ReadableCase(c, "service_request_id"); ok {
		s.answerRequests(c, store.ServiceRequestFilter{Scope: store.Scope{All: true}, IDs: []string{id}}, staff, id)
	}
}

// open311TokenAnswer is the spec's answer to GET tokens/{token}.
type open311TokenAnswer struct {
	ServiceRequestID string `json:"service_request_id" xml:"service_request_id"`
	Token            string `json:"token" xml:"token"`
}

type open311XMLTokens struct {
	XMLName  xml.Name             `xml:"service_requests"`
	Requests []open311TokenAnswer `xml:"request"`
}

// open311Token resolves a token to its request. Filing answers with the
// case id at once, so the token is the service_request_id itself.
func (s *Server) open311Token(c *gin.Context) {
	if token, _, ok := s.open311ReadableCase(c, "token"); ok {
		out := []open311TokenAnswer{{ServiceRequestID: token, Token: token}}
		answer311(c, http.StatusOK, out, open311XMLTokens{Requests: out})
	}
}

// open311ReadableCase returns the case id in the route's param ("….json"
// or "….xml") once the caller may read that case: anyone may read a
// case's public view; a staff caller reads the staff view inside their
// jurisdiction (outside it the case is not found, as an unknown one).
// Otherwise it has failed the request.
func (s *Server) open311ReadableCase(c *gin.Context, param string) (id string, staff, ok bool) {
	id, ok = open311Resource(c, param)
	if !ok {
		return "", false, false
	}
	u, staff, ok := s.open311Staff(c)
	if !ok {
		return "", false, false
	}
	ctx := c.Request.Context()
	var err error
	if staff {
		_, err = s.authorizedCase(ctx, u, id, policy.ReadCase)
	} else {
		var rows []store.ServiceRequest
		if rows, err = s.Store.ServiceRequests(ctx, store.ServiceRequestFilter{Scope: store.Scope{All: true}, IDs: []string{id}, Limit: 1}); err == nil && len(rows) == 0 {
			err = whistle.Errorf(whistle.ENotFound, "没有这个服务请求：%s", "no such service request: %s", id)
		}
	}
	if err != nil {
		fail(c, err)
		return "", false, false
	}
	return id, staff, true
}

// open311PostRequest is the body of POST requests.json: a form (as
// Open311 has it) or JSON with the same names; attribute[CODE] fields (an
// "attribute" object in JSON) carry the service definition's attributes.
// A location is lat and long together, or address_string alone.
type open311PostRequest struct {
	APIKey        string            `form:"api_key" json:"api_key" binding:"max=200"`
	ServiceCode   string            `form:"service_code" json:"service_code" binding:"required,max=40"`
	Lat           *float64          `form:"lat" json:"lat" binding:"omitnil,min=-90,max=90"`
	Long          *float64          `form:"long" json:"long" binding:"omitnil,min=-180,max=180"`
	AddressString string            `form:"address_string" json:"address_string" binding:"max=255"`
	Description   string            `form:"description" json:"description" binding:"max=5000"`
	MediaURL      string            `form:"media_url" json:"media_url" binding:"omitempty,max=1000,httpurl"`
	Attribute     map[string]string `form:"-" json:"attribute" binding:"max=5"`
	// The spec's personal fields (email, device_id, account_id,
	// first_name, last_name, phone) are accepted and deliberately not
	// kept: the public view never shows them, and keeping no copy is the
	// surest way never to leak one.
	Email     string `form:"email" json:"email" binding:"max=254"`
	DeviceID  string `form:"device_id" json:"device_id" binding:"max=200"`
	AccountID string `form:"account_id" json:"account_id" binding:"max=200"`
	FirstName string `form:"first_name" json:"first_name" binding:"max=100"`
	LastName  string `form:"last_name" json:"last_name" binding:"max=100"`
	Phone     string `form:"phone" json:"phone" binding:"max=40"`
	// The spec's address_id, jurisdiction_id and description-less
	// alternatives: accepted, not needed (one jurisdiction per server).
	AddressID      string `form:"address_id" json:"address_id" binding:"max=100"`
	JurisdictionID string `form:"jurisdiction_id" json:"jurisdiction_id" binding:"max=64"`
}

// open311Attributes are the attribute codes of every service definition.
var open311Attributes = []string{"title", "source", "class", "department_ids", "grid_id"}

// open311Filed is the spec's answer to a filing.
type open311Filed struct {
	ServiceRequestID string  `json:"service_request_id" xml:"service_request_id"`
	ServiceNotice    string  `json:"service_notice" xml:"service_notice"`
	AccountID        *string `json:"account_id" xml:"account_id"`
}

type open311XMLFiled struct {
	XMLName  xml.Name       `xml:"service_requests"`
	Requests []open311Filed `xml:"request"`
}

func (s *Server) open311File(c *gin.Context) {
	var req open311PostRequest
	bindErr := c.ShouldBind(&req)
	// Who files is decided first: without a valid key nothing else about
	// the request is answered (403 before 400).
	if req.APIKey == "" && bindErr != nil {
		req.APIKey = c.PostForm("api_key")
	}
	u, clientID, ok := s.open311Filer(c, req.APIKey)
	if !ok {
		return
	}
	if bindErr != nil {
		fail(c, bindError(c, bindErr))
		return
	}
	if req.Attribute == nil {
		req.Attribute = c.PostFormMap("attribute")
		// Read after binding, so the binding's text check has not seen them.
		if err := checkText(&req); err != nil {
			fail(c, bindError(c, err))
			return
		}
	}
	fr, err := s.open311Filing(c.Request.Context(), req)
	if err != nil {
		fail(c, err)
		return
	}
	// A client application's report (a resident's) without named
	// departments arrives pending, for the command centre of its level to
	// accept, dispatch or reject; a staff filer's gets the service's
	// default departments, as before pending cases existed.
	kase, err := s.file(c.Request.Context(), u, fr, c.GetHeader("Idempotency-Key"), clientID == "")
	if err != nil {
		fail(c, err)
		return
	}
	if clientID != "" || req.MediaURL != "" {
		// The case is filed: a failure here loses only the media_url of the
		// Open311 view (the link stays in the case's description), so it is
		// logged, not answered as a failure of the filing.
		if err := s.Store.RecordOpen311Request(c.Request.Context(), store.Open311Request{CaseID: kase.ID, ClientID: clientID, MediaURL: req.MediaURL}); err != nil {
			logger(c).Error("record open311 request", "case_id", kase.ID, "err", err)
		}
	}
	logger(c).Info("case filed through Open311", "case_id", kase.ID, "service_code", req.ServiceCode, "departments", len(kase.Tasks))
	notice := pick(c, "已受理，按"+kase.Class.NameZH()+"办理", "accepted as a "+string(kase.Class)+" whistle")
	if kase.Status == whistle.CasePending {
		notice = pick(c, "已收到，待受理", "received, awaiting acceptance")
	}
	out := []open311Filed{{ServiceRequestID: kase.ID, ServiceNotice: notice}}
	answer311(c, http.StatusCreated, out, open311XMLFiled{Requests: out})
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
	it, err := s.open311Service(ctx, req.ServiceCode)
	if err != nil {
		return fileCaseRequest{}, err
	}
	if (req.Lat == nil) != (req.Long == nil) {
		return fileCaseRequest{}, whistle.Errorf(whistle.EInvalid, "lat 与 long 须同时给出", "lat and long go together: give both or neither")
	}
	if req.Lat == nil && strings.TrimSpace(req.AddressString) == "" {
		return fileCaseRequest{}, whistle.Errorf(whistle.EInvalid, "请给出位置：lat 与 long，或 address_string", "a location is required: lat and long, or address_string")
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
	if id := s.ownFileURL(req.MediaURL); id != "" {
		fr.Photos = []string{id} // an upload of the client's user (files.go)
	} else if req.MediaURL != "" {
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
