package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
	"github.com/shaobao/shaobao/worktime"
)

// fileCaseRequest is the body of POST /api/v1/cases.
type fileCaseRequest struct {
	Title         string          `json:"title" binding:"required,max=200"`
	Description   string          `json:"description" binding:"max=5000"`
	Category      string          `json:"category" binding:"max=64"`
	Source        string          `json:"source" binding:"required"`
	Class         string          `json:"class"`
	DepartmentIDs []string        `json:"department_ids" binding:"max=10,dive,required,max=40"` // none: filed pending
	CatalogueItem string          `json:"catalogue_item" binding:"max=40"`
	Location      locationRequest `json:"location" binding:"required"`
	// Photos are ids of the filer's uploads (POST /files), at most 9.
	Photos []string `json:"photos" binding:"max=9,dive,required,max=40"`
	// OutsideGrid files a point that lies outside every grid by its
	// address, without a grid (map.go, placeInGrid).
	OutsideGrid bool `json:"outside_grid"`
	// strictGrid refuses such a point unless OutsideGrid: set for POST
	// /cases, where the filer can answer; other channels file it gridless.
	strictGrid bool
}

// locationRequest is where the problem is: an address, and optionally a
// point (lat and lon together, inside the city: Server.location).
type locationRequest struct {
	Address string   `json:"address" binding:"required,max=255"`
	Lat     *float64 `json:"lat" binding:"omitempty,min=-90,max=90"`
	Lon     *float64 `json:"lon" binding:"omitempty,min=-180,max=180"`
	GridID  string   `json:"grid_id" binding:"max=32"`
}

// location checks l beyond its binding and returns it as the domain's:
// lat and lon come both or neither, and a point lies inside the city's
// bounds (Server.CityBounds).
func (s *Server) location(l locationRequest) (whistle.Location, error) {
	loc := whistle.Location{Address: l.Address, GridID: l.GridID}
	if (l.Lat == nil) != (l.Lon == nil) {
		return loc, whistle.Errorf(whistle.EInvalid, "location.lat 与 location.lon 须同时给出或都不给（只有地址也可以）",
			"location.lat and location.lon go together: give both or neither (an address alone is enough)")
	}
	if l.Lat == nil {
		return loc, nil
	}
	if err := s.cityBounds().CheckPoint(*l.Lat, *l.Lon); err != nil {
		return loc, err
	}
	return whistle.At(l.Address, *l.Lat, *l.Lon).WithGrid(l.GridID), nil
}

// cityBounds is the box filed points must lie in: CityBounds, or Beijing.
func (s *Server) cityBounds() whistle.Bounds {
	if s.CityBounds.IsZero() {
		return whistle.BeijingBounds
	}
	return s.CityBounds
}

// newCaseID names a case: SB + filing date + random, or, with an
// Idempotency-Key, a digest of the user and the key, so the same key
// always names the same case (and the same workflow).
func newCaseID(userID, idemKey string, now time.Time) string {
	if idemKey != "" {
		sum := sha256.Sum256([]byte(userID + "\x00" + idemKey))
		return "SB" + hex.EncodeToString(sum[:8])
	}
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return "SB" + now.In(worktime.Location).Format("060102") + strings.ToUpper(hex.EncodeToString(b))
}

func (s *Server) fileCase(c *gin.Context) {
	var req fileCaseRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	req.strictGrid = true
	kase, err := s.file(c.Request.Context(), caller(c), req, c.GetHeader("Idempotency-Key"), false)
	if err != nil {
		fail(c, err)
		return
	}
	logger(c).Info("case filed", "case_id", kase.ID, "class", kase.Class, "departments", len(kase.Tasks))
	c.JSON(http.StatusCreated, kase)
}

// file files a case for u and whistles its departments (or, naming none,
// files it pending for its level's acceptance queue): the one filing
// path behind POST /api/v1/cases and Open311's POST requests.json. req has
// passed its binding checks; file checks the references (source, class,
// catalogue item), asks the policy whether u may file here and summon each
// department, asks the workflow's own check (workflows.CheckFiling, which
// refuses a department named twice) and starts the workflow. With
// defaultDepartments, an empty department list is filled from the
// catalogue item's department kinds at the filer's level (defaultFor).
func (s *Server) file(ctx context.Context, u whistle.Actor, req fileCaseRequest, idemKey string, defaultDepartments bool) (whistle.Case, error) {
	if len(idemKey) > 128 {
		return whistle.Case{}, whistle.Errorf(whistle.EInvalid, "Idempotency-Key 过长（上限 128 字符）", "Idempotency-Key too long (limit 128 characters)")
	}
	now := time.Now().UTC()
	in, err := s.filing(ctx, u, req, defaultDepartments, newCaseID(u.UserID, idemKey, now), now)
	if err != nil {
		return whistle.Case{}, err
	}
	// The number last, once nothing can refuse the filing: a refusal
	// would burn it (numbers.go).
	if in.Number, err = s.caseNumber(ctx, in.ID, idemKey, now); err != nil {
		return whistle.Case{}, err
	}
	return s.startCase(ctx, in, idemKey)
}

// filing checks req as file does and returns the workflow input of the
// case id filed at now, without its number: a hotline ticket numbers its
// case when it claims the ticket (hotline.go).
func (s *Server) filing(ctx context.Context, u whistle.Actor, req fileCaseRequest, defaultDepartments bool, id string, now time.Time) (workflows.WhistleInput, error) {
	source := whistle.Source(req.Source)
	if !source.Valid() {
		return workflows.WhistleInput{}, whistle.Errorf(whistle.EInvalid, "来源 source 无效：%[1]q（可选 %[2]s）", "invalid source %[1]q (one of %[3]s)",
			req.Source, strings.Join(names(whistle.Sources), "、"), strings.Join(names(whistle.Sources), ", "))
	}
	loc, err := s.location(req.Location)
	if err != nil {
		return workflows.WhistleInput{}, err
	}
	class := whistle.Class(req.Class)
	var item *store.CatalogueItem
	if req.CatalogueItem != "" {
		it, err := s.Store.CatalogueItemByID(ctx, req.CatalogueItem)
		if err != nil {
			return workflows.WhistleInput{}, invalidRef(err, "catalogue_item", req.CatalogueItem)
		}
		if !it.Active {
			return workflows.WhistleInput{}, whistle.Errorf(whistle.EInvalid, "事项已停用：%s", "the catalogue item is inactive: %s", it.ID)
		}
		if class == "" {
			class = whistle.Class(it.DefaultClass)
		}
		if req.Category == "" {
			req.Category = it.Category
		}
		item = &it
	}
	if class == "" {
		return workflows.WhistleInput{}, whistle.Errorf(whistle.EInvalid, "请选择哨类 class（或给出带默认哨类的 catalogue_item）", "class is required (or give a catalogue_item that has a default class)")
	}
	if !class.Valid() {
		return workflows.WhistleInput{}, invalidClass("哨类 class ", req.Class)
	}
	chain, err := s.Store.Chain(ctx, u.OrgUnitID)
	if err != nil {
		return workflows.WhistleInput{}, err
	}
	if err := s.Policy.Authorize(u, policy.FileCase, policy.Object{OrgPath: string(u.OrgPath), HolderOrgPath: chain[0].Path}); err != nil {
		return workflows.WhistleInput{}, err
	}
	if loc, err = s.placeInGrid(ctx, u, req, loc); err != nil { // map.go
		return workflows.WhistleInput{}, err
	}
	holder := whistle.OrgPath(chain[0].Path)
	if len(req.DepartmentIDs) == 0 && defaultDepartments && item != nil {
		if req.DepartmentIDs, err = s.defaultFor(ctx, u, holder, *item); err != nil {
			return workflows.WhistleInput{}, err
		}
	}
	// No departments: the case is filed pending (待受理), held by the
	// command centre of its level, which accepts and whistles it.
	var depts []workflows.DepartmentRef
	if len(req.DepartmentIDs) > 0 {
		if depts, err = s.summonable(ctx, u, string(holder), req.DepartmentIDs); err != nil {
			return workflows.WhistleInput{}, err
		}
	}
	if err := s.checkOwnFiles(ctx, u, "photos", req.Photos); err != nil { // files.go
		return workflows.WhistleInput{}, err
	}
	in := workflows.WhistleInput{
		ID: id, Title: strings.TrimSpace(req.Title), Description: req.Description, Category: req.Category, CatalogueItem: req.CatalogueItem,
		Source: source, Class: class, Filer: u, OrgUnitID: u.OrgUnitID, OrgPath: string(u.OrgPath), CreatedAt: now,
		Location: loc, Departments: depts, Photos: req.Photos,
		// 回访: a resident's or a hotline case's satisfaction is the resident's.
		CallbackRequired: whistle.CallbackRequiredFor(source),
	}
	for _, o := range chain {
		in.Chain = append(in.Chain, workflows.OrgRef{ID: o.ID, Path: o.Path, Level: whistle.LevelOf(whistle.OrgKind(o.Kind))})
	}
	if in.Title == "" {
		return workflows.WhistleInput{}, whistle.Errorf(whistle.EInvalid, "标题 title 不能为空", "title must not be blank")
	}
	if err := workflows.CheckFiling(in); err != nil {
		return workflows.WhistleInput{}, err
	}
	return in, nil
}

// invalidClass refuses an unknown class, listing whistle.Classes; zh
// names the field in Chinese.
func invalidClass(zh, class string) error {
	return whistle.Errorf(whistle.EInvalid, "%[1]s无效：%[2]q（可选 %[3]s）", "invalid class %[2]q (one of %[4]s)",
		zh, class, strings.Join(names(whistle.Classes), "、"), strings.Join(names(whistle.Classes), ", "))
}

// invalidRef turns "the referenced row does not exist" into a 400 naming
// the field: the request is wrong, the route exists.
func invalidRef(err error, field, value string) error {
	var we *whistle.Error
	if errors.As(err, &we) && we.Code == whistle.ENotFound {
		if value != "" {
			return whistle.Errorf(whistle.EInvalid, "%s 引用的对象不存在：%s", "%s refers to something that does not exist: %s", field, value)
		}
		return &whistle.Error{Code: whistle.EInvalid, Message: field + "：" + we.Message, MessageEN: field + ": " + we.MessageEN}
	}
	return err
}

// duplicate returns the first id listed twice, "" if none.
func duplicate(ids []string) string {
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return id
		}
		seen[id] = true
	}
	return ""
}

// caseFor loads a case header and checks the caller may do act on it,
// answering the request itself when not.
func (s *Server) caseFor(c *gin.Context, id string, act policy.Action) (whistle.Case, bool) {
	kase, err := s.authorizedCase(c.Request.Context(), caller(c), id, act)
	if err != nil {
		fail(c, err)
		return kase, false
	}
	return kase, true
}

// authorizedCase loads a case header and the departments with a task on
// it, and returns an error unless u may do act on it: forbidden, naming
// the rule, when u may see the case; otherwise the very not_found of an
// unknown id, so a refusal does not tell that a case outside u's
// jurisdiction exists (as GitHub answers for a private repository).
func (s *Server) authorizedCase(ctx context.Context, sub whistle.Actor, id string, act policy.Action) (whistle.Case, error) {
	kase, err := s.Store.CaseHeader(ctx, id)
	if err != nil {
		return kase, err
	}
	depts, err := s.Store.TaskDepartments(ctx, id)
	if err != nil {
		return kase, err
	}
	obj := policy.Object{OrgPath: kase.OrgPath, HolderOrgPath: kase.HolderOrgPath, TaskDepartmentIDs: depts}
	err = s.Policy.Authorize(sub, act, obj)
	if err == nil {
		return kase, nil
	}
	// Whether sub may see the case at all decides the answer: a refusal
	// naming the rule (403) if so, "not found" if not. The filer of a case
	// merged into this one may read it (followsMerged).
	visible := act != policy.ReadCase && s.Policy.Authorize(sub, policy.ReadCase, obj) == nil
	if !visible {
		follows, ferr := s.followsMerged(ctx, sub, id)
		switch {
		case ferr != nil:
			return whistle.Case{}, ferr
		case !follows:
			return whistle.Case{}, store.NotFound("case", id)
		case act == policy.ReadCase:
			return kase, nil
		}
	}
	return kase, err
}

// followsMerged reports whether sub filed a case merged into id: its
// filer follows the surviving case and may read it (并案: both filers see
// its progress), wherever the survivor lies. It grants reading only; it
// is asked only once the policy has refused, so the common read costs no
// query.
func (s *Server) followsMerged(ctx context.Context, sub whistle.Actor, id string) (bool, error) {
	return s.Store.FiledCaseMergedInto(ctx, sub.UserID, id)
}

// getCase answers GET /cases/{id}, where id may also be the case's number
// (numbers.go: caseByRef).
func (s *Server) getCase(c *gin.Context) {
	id, err := s.caseByRef(c.Request.Context(), caller(c), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	kase, err := s.Store.Case(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	// A hotline ticket's caller: whole to the holder's command centre only.
	out, err := s.withHotline(c.Request.Context(), caller(c), kase)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

type whistleRequest struct {
	DepartmentIDs []string `json:"department_ids" binding:"required,min=1,max=10,dive,required,max=40"`
	// RerouteTaskID answers a returned task with these departments.
	RerouteTaskID string `json:"reroute_task_id" binding:"max=48"`
}

func (s *Server) whistleMore(c *gin.Context) {
	var req whistleRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	// Whistling more is the holding level's; then each department is
	// decided on its own (its level and jurisdiction).
	s.summonAction(c, policy.Whistle, workflows.UpdateSummon, req.DepartmentIDs, func(u whistle.Actor, kase whistle.Case, depts []workflows.DepartmentRef) any {
		return workflows.SummonInput{Actor: u, Departments: depts, RerouteTaskID: req.RerouteTaskID, HolderOrgUnitID: kase.HolderOrgUnitID}
	})
}

type reasonRequest struct {
	Reason string `json:"reason" binding:"required,max=2000"`
}

// escalate asks the level above to take the case; where the holding
// level reviews its escalations (admin escalation-review), its own
// command centre reviews it first.
func (s *Server) escalate(c *gin.Context) {
	var req reasonRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	kase, ok := s.caseFor(c, c.Param("id"), policy.Escalate)
	if !ok {
		return
	}
	review, err := s.Store.EscalationReviewFor(c.Request.Context(), kase.Level)
	if err != nil {
		fail(c, err)
		return
	}
	s.respondUpdate(c, kase, workflows.UpdateEscalate, workflows.EscalateInput{Actor: caller(c), Reason: req.Reason, Review: review.Review, HolderOrgUnitID: kase.HolderOrgUnitID})
}

type verifyRequest struct {
	Passed  *bool  `json:"passed" binding:"required"`
	Comment string `json:"comment" binding:"max=2000"`
	// DepartmentIDs, on a failed verification, names the departments
	// whose work failed: only their tasks reopen (targeted rework).
	DepartmentIDs []string `json:"department_ids" binding:"max=10,dive,required,max=40"`
}

func (s *Server) verify(c *gin.Context) {
	var req verifyRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	if *req.Passed && len(req.DepartmentIDs) > 0 {
		fail(c, whistle.Errorf(whistle.EInvalid, "核查通过时不能指定返工部门 department_ids", "department_ids names rework: only with passed false"))
		return
	}
	kase, ok := s.caseFor(c, c.Param("id"), policy.Verify)
	if !ok {
		return
	}
	s.respondUpdate(c, kase, workflows.UpdateVerify, workflows.VerifyInput{Actor: caller(c), Passed: *req.Passed, Comment: req.Comment,
		DepartmentIDs: req.DepartmentIDs, HolderOrgUnitID: kase.HolderOrgUnitID})
}

type evaluateRequest struct {
	DepartmentID string `json:"department_id" binding:"required,max=40"`
	Timeliness   int    `json:"timeliness" binding:"required,min=1,max=5"`
	Quality      int    `json:"quality" binding:"required,min=1,max=5"`
	Attitude     int    `json:"attitude" binding:"required,min=1,max=5"`
	// Satisfaction is required, except on a case with a call-back (回访),
	// where it must be left out: it is the resident's (callback.go).
	Satisfaction string `json:"satisfaction" binding:"omitempty,oneof=satisfied basically_satisfied dissatisfied"`
	Comment      string `json:"comment" binding:"max=2000"`
}

func (s *Server) evaluate(c *gin.Context) {
	var req evaluateRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	kase, ok := s.caseFor(c, c.Param("id"), policy.Evaluate)
	if !ok {
		return
	}
	if err := typedSatisfaction(kase, req.Satisfaction); err != nil { // callback.go
		fail(c, err)
		return
	}
	s.respondUpdate(c, kase, workflows.UpdateEvaluate, workflows.EvaluateInput{Actor: caller(c), DepartmentID: req.DepartmentID,
		Timeliness: req.Timeliness, Quality: req.Quality, Attitude: req.Attitude, Satisfaction: whistle.Satisfaction(req.Satisfaction), Comment: req.Comment,
		HolderOrgUnitID: kase.HolderOrgUnitID})
}

type answerExtensionRequest struct {
	TaskID  string `json:"task_id" binding:"required,max=48"`
	Grant   *bool  `json:"grant" binding:"required"`
	Comment string `json:"comment" binding:"max=2000"`
}

func (s *Server) answerExtension(c *gin.Context) {
	caseAction(s, c, policy.AnswerExtension, workflows.UpdateAnswerExtension, func(req answerExtensionRequest, kase whistle.Case) any {
		return workflows.AnswerExtensionInput{Actor: caller(c), TaskID: req.TaskID, Grant: *req.Grant, Comment: req.Comment, HolderOrgUnitID: kase.HolderOrgUnitID}
	})
}
