package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// fileCaseRequest is the body of POST /api/v1/cases.
type fileCaseRequest struct {
	Title         string          `json:"title" binding:"required,max=200"`
	Description   string          `json:"description" binding:"max=5000"`
	Category      string          `json:"category" binding:"max=64"`
	Source        string          `json:"source" binding:"required"`
	Class         string          `json:"class"`
	DepartmentIDs []string        `json:"department_ids" binding:"required,min=1,max=10,dive,required,max=40"`
	CatalogueItem string          `json:"catalogue_item" binding:"max=40"`
	Location      locationRequest `json:"location" binding:"required"`
}

type locationRequest struct {
	Address string   `json:"address" binding:"required,max=255"`
	Lat     *float64 `json:"lat" binding:"required,min=-90,max=90"`
	Lon     *float64 `json:"lon" binding:"required,min=-180,max=180"`
	GridID  string   `json:"grid_id" binding:"max=32"`
}

func (s *Server) subject(u store.User) policy.Subject {
	sub := policy.Subject{UserID: u.ID, Username: u.Username, Role: whistle.Role(u.Role), OrgUnitID: u.OrgUnitID, OrgPath: u.OrgPath}
	if u.DepartmentID != nil {
		sub.DepartmentID = *u.DepartmentID
	}
	return sub
}

func actor(u store.User) whistle.Actor {
	a := whistle.Actor{UserID: u.ID, Username: u.Username, Role: whistle.Role(u.Role), OrgUnitID: u.OrgUnitID, OrgPath: u.OrgPath}
	if u.DepartmentID != nil {
		a.DepartmentID = *u.DepartmentID
	}
	return a
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
	return "SB" + now.In(time.FixedZone("CST", 8*3600)).Format("060102") + strings.ToUpper(hex.EncodeToString(b))
}

func (s *Server) fileCase(c *gin.Context) {
	var req fileCaseRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	kase, err := s.file(c.Request.Context(), currentUser(c), req, c.GetHeader("Idempotency-Key"), false)
	if err != nil {
		fail(c, err)
		return
	}
	logger(c).Info("case filed", "case_id", kase.ID, "class", kase.Class, "departments", len(kase.Tasks))
	c.JSON(http.StatusCreated, kase)
}

// file files a case for u and whistles its departments: the one filing
// path behind POST /api/v1/cases and Open311's POST requests.json. req has
// passed its binding checks; file checks the rest (source, class,
// catalogue item, duplicates), asks the policy whether u may file here and
// summon each department, and starts the workflow. With
// defaultDepartments, an empty department list is filled from the
// catalogue item's department kinds at the filer's level (defaultFor).
func (s *Server) file(ctx context.Context, u store.User, req fileCaseRequest, idemKey string, defaultDepartments bool) (whistle.Case, error) {
	if len(idemKey) > 128 {
		return whistle.Case{}, whistle.Errorf(whistle.EInvalid, "Idempotency-Key 过长（上限 128 字符）", "Idempotency-Key too long (limit 128 characters)")
	}
	source := whistle.Source(req.Source)
	if !source.Valid() {
		return whistle.Case{}, whistle.Errorf(whistle.EInvalid, "来源 source 无效：%q（可选 grid、hotline、resident、community、property、escalation）", "invalid source %q (one of grid, hotline, resident, community, property, escalation)", req.Source)
	}
	class := whistle.Class(req.Class)
	var item *store.CatalogueItem
	if req.CatalogueItem != "" {
		it, err := s.Store.CatalogueItemByID(ctx, req.CatalogueItem)
		if err != nil {
			return whistle.Case{}, invalidRef(err, "catalogue_item", req.CatalogueItem)
		}
		if !it.Active {
			return whistle.Case{}, whistle.Errorf(whistle.EInvalid, "事项已停用：%s", "the catalogue item is inactive: %s", it.ID)
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
		return whistle.Case{}, whistle.Errorf(whistle.EInvalid, "请选择哨类 class（或给出带默认哨类的 catalogue_item）", "class is required (or give a catalogue_item that has a default class)")
	}
	if !class.Valid() {
		return whistle.Case{}, whistle.Errorf(whistle.EInvalid, "哨类 class 无效：%q（可选 emergency、key、routine、coordination）", "invalid class %q (one of emergency, key, routine, coordination)", req.Class)
	}
	if seen := duplicate(req.DepartmentIDs); seen != "" {
		return whistle.Case{}, whistle.Errorf(whistle.EInvalid, "部门重复：%s", "department listed twice: %s", seen)
	}
	chain, err := s.Store.Chain(ctx, u.OrgUnitID)
	if err != nil {
		return whistle.Case{}, err
	}
	sub := s.subject(u)
	if err := s.Policy.Authorize(sub, policy.FileCase, policy.Object{OrgPath: u.OrgPath, HolderOrgPath: chain[0].Path}); err != nil {
		return whistle.Case{}, err
	}
	if len(req.DepartmentIDs) == 0 && defaultDepartments && item != nil {
		if req.DepartmentIDs, err = s.defaultFor(ctx, sub, chain, *item); err != nil {
			return whistle.Case{}, err
		}
	}
	if len(req.DepartmentIDs) == 0 {
		return whistle.Case{}, whistle.Errorf(whistle.EInvalid, "请给出要吹哨的部门 department_ids", "department_ids is required: name the departments to summon")
	}
	depts, err := s.summonable(ctx, sub, chain[0].Path, req.DepartmentIDs)
	if err != nil {
		return whistle.Case{}, err
	}
	now := time.Now().UTC()
	id := newCaseID(u.ID, idemKey, now)
	in := workflows.WhistleInput{
		ID: id, Title: strings.TrimSpace(req.Title), Description: req.Description, Category: req.Category, CatalogueItem: req.CatalogueItem,
		Source: source, Class: class, Filer: actor(u), OrgUnitID: u.OrgUnitID, OrgPath: u.OrgPath, CreatedAt: now,
		Location:    whistle.Location{Address: req.Location.Address, Lat: *req.Location.Lat, Lon: *req.Location.Lon, GridID: req.Location.GridID},
		Departments: depts,
	}
	for _, o := range chain {
		in.Chain = append(in.Chain, workflows.OrgRef{ID: o.ID, Path: o.Path, Level: whistle.LevelOf(whistle.OrgKind(o.Kind))})
	}
	if in.Title == "" {
		return whistle.Case{}, whistle.Errorf(whistle.EInvalid, "标题 title 不能为空", "title must not be blank")
	}
	return s.startCase(ctx, in, idemKey)
}

// defaultFor picks, for each department kind of a catalogue item, the
// department of that kind nearest the filer's level that sub may summon:
// at the holding unit itself, else at the unit directly above (a
// community's street squads). It returns an invalid error when no kind has
// such a department.
func (s *Server) defaultFor(ctx context.Context, sub policy.Subject, chain []store.OrgUnit, item store.CatalogueItem) ([]string, error) {
	units := []string{chain[0].ID}
	if len(chain) > 1 {
		units = append(units, chain[1].ID)
	}
	depts, err := s.Store.ListDepartments(ctx, store.DepartmentFilter{OrgUnitIDs: units})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, kind := range strings.Split(item.DepartmentKinds, ",") {
	units:
		for _, unit := range units {
			for _, d := range depts {
				if d.Kind != kind || d.OrgUnitID != unit {
					continue
				}
				if s.Policy.Authorize(sub, policy.Summon, policy.Object{HolderOrgPath: chain[0].Path, DepartmentID: d.ID, DepartmentOrgPath: d.OrgPath}) == nil {
					ids = append(ids, d.ID)
					break units
				}
			}
		}
	}
	if len(ids) == 0 {
		return nil, whistle.Errorf(whistle.EInvalid, "本级附近没有可呼叫的“%s”（%s）部门，请给出 department_ids", "no department of the kinds of %q (%s) may be summoned from your level; give department_ids",
			item.Name, item.DepartmentKinds)
	}
	return ids, nil
}

// startCase starts the case's workflow and waits, in the same call, for
// the workflow to accept the filing and project it, so the case is in the
// lists when the response arrives. With the same Idempotency-Key (same
// case id), the running workflow is reused and the same case comes back.
//
// A namespace without the cases' search attributes gets no case: the
// start carries them (Temporal refuses it before any workflow task could
// project the case), and a cached check refuses it before that; both
// answer 503 (EUnavailable) with a message for the operator.
func (s *Server) startCase(ctx context.Context, in workflows.WhistleInput, idemKey string) (whistle.Case, error) {
	if s.Temporal == nil {
		return whistle.Case{}, fmt.Errorf("case %s: %w: no Temporal client", in.ID, errUnavailable)
	}
	if err := s.checkNamespace(ctx); errors.Is(err, workflows.ErrSearchAttributesMissing) {
		s.Logger.ErrorContext(ctx, "filing refused: the namespace lacks search attributes", "case_id", in.ID, "err", err)
		return whistle.Case{}, s.noSearchAttributes()
	}
	start := s.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       workflows.WorkflowID(in.ID),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes:    workflows.StartSearchAttributes(in),
	}, workflows.WorkflowName, in)
	updateID := "filed"
	handle, err := s.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID: updateID, UpdateName: workflows.UpdateFiled, WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{workflows.FiledInput{Actor: in.Filer}},
		},
	})
	if err != nil {
		var already *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &already) && idemKey != "" {
			// The case of this key has finished its workflow: it is closed.
			return s.Store.Case(ctx, in.ID)
		}
		if isSearchAttributeRefusal(err) {
			s.forgetNamespaceCheck()
			s.Logger.ErrorContext(ctx, "filing refused: the namespace lacks search attributes", "case_id", in.ID, "err", err)
			return whistle.Case{}, s.noSearchAttributes()
		}
		return whistle.Case{}, temporalError(err, in.ID)
	}
	var kase whistle.Case
	if err := handle.Get(ctx, &kase); err != nil {
		return whistle.Case{}, temporalError(err, in.ID)
	}
	return kase.InUTC(), nil
}

// summonable loads the departments and checks the subject may summon each
// for a case held at holderPath.
func (s *Server) summonable(ctx context.Context, sub policy.Subject, holderPath string, ids []string) ([]workflows.DepartmentRef, error) {
	depts, err := s.Store.Departments(ctx, ids)
	if err != nil {
		return nil, invalidRef(err, "department_ids", "")
	}
	refs := make([]workflows.DepartmentRef, len(depts))
	for i, d := range depts {
		if !d.Active {
			return nil, whistle.Errorf(whistle.EInvalid, "部门已停用：%s", "department is inactive: %s", d.ID)
		}
		if err := s.Policy.Authorize(sub, policy.Summon, policy.Object{HolderOrgPath: holderPath, DepartmentID: d.ID, DepartmentOrgPath: d.OrgPath}); err != nil {
			return nil, fmt.Errorf("summon %s (%s): %w", d.ID, d.Name, err)
		}
		refs[i] = workflows.DepartmentRef{ID: d.ID, Name: d.Name, OrgUnitID: d.OrgUnitID, OrgPath: d.OrgPath}
	}
	return refs, nil
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

// temporalError maps what the Temporal client returned: the workflow's
// coded refusals keep their code; a missing or finished workflow is a
// not_found or conflict; anything else is internal.
func temporalError(err error, caseID string) error {
	err = workflows.AsError(err)
	var we *whistle.Error
	if errors.As(err, &we) {
		return err
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		if strings.Contains(strings.ToLower(notFound.Error()), "completed") || strings.Contains(strings.ToLower(notFound.Error()), "closed") {
			return whistle.Errorf(whistle.EConflict, "案件已结案，不能再操作：%s", "the case is closed: %s", caseID)
		}
		return whistle.Errorf(whistle.ENotFound, "案件不存在：%s", "case not found: %s", caseID)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("case %s: %w: %w", caseID, errUnavailable, err)
	}
	var unavailable *serviceerror.Unavailable
	if errors.As(err, &unavailable) {
		return fmt.Errorf("case %s: %w: %w", caseID, errUnavailable, err)
	}
	return fmt.Errorf("case %s: %w", caseID, err)
}

// caseFor loads a case header and checks the caller may do act on it,
// answering the request itself when not.
func (s *Server) caseFor(c *gin.Context, id string, act policy.Action) (whistle.Case, bool) {
	kase, err := s.authorizedCase(c.Request.Context(), currentUser(c), id, act)
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
func (s *Server) authorizedCase(ctx context.Context, u store.User, id string, act policy.Action) (whistle.Case, error) {
	kase, err := s.Store.CaseHeader(ctx, id)
	if err != nil {
		return kase, err
	}
	depts, err := s.Store.TaskDepartments(ctx, id)
	if err != nil {
		return kase, err
	}
	sub := s.subject(u)
	obj := policy.Object{OrgPath: kase.OrgPath, HolderOrgPath: kase.HolderOrgPath, TaskDepartmentIDs: depts}
	if err := s.Policy.Authorize(sub, act, obj); err != nil {
		if act == policy.ReadCase || s.Policy.Authorize(sub, policy.ReadCase, obj) != nil {
			return whistle.Case{}, store.NotFound("case", id)
		}
		return kase, err
	}
	return kase, nil
}

func (s *Server) getCase(c *gin.Context) {
	id := c.Param("id")
	if _, ok := s.caseFor(c, id, policy.ReadCase); !ok {
		return
	}
	kase, err := s.Store.Case(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, kase)
}

// update sends one human action to the case's workflow and waits for its
// result. With an Idempotency-Key the update id is a digest of the user,
// the key and the request (updateID), so a retry that outlives its
// idempotency record is still applied once by Temporal; without one it is
// random.
func (s *Server) update(c *gin.Context, caseID, name string, input any) (whistle.Case, error) {
	ctx := c.Request.Context()
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.WorkflowID(caseID), UpdateID: updateID(c, name), UpdateName: name,
		Args: []any{input}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return whistle.Case{}, temporalError(err, caseID)
	}
	var kase whistle.Case
	if err := handle.Get(ctx, &kase); err != nil {
		return whistle.Case{}, temporalError(err, caseID)
	}
	// Cases filed before the deadlines were UTC hold +08:00 times in
	// their state: answer in UTC, as GET does.
	return kase.InUTC(), nil
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
	if seen := duplicate(req.DepartmentIDs); seen != "" {
		fail(c, whistle.Errorf(whistle.EInvalid, "部门重复：%s", "department listed twice: %s", seen))
		return
	}
	// Whistling more is the holding level's; then each department is
	// decided on its own (its level and jurisdiction).
	kase, ok := s.caseFor(c, c.Param("id"), policy.Whistle)
	if !ok {
		return
	}
	u := currentUser(c)
	depts, err := s.summonable(c.Request.Context(), s.subject(u), kase.HolderOrgPath, req.DepartmentIDs)
	if err != nil {
		fail(c, err)
		return
	}
	s.respondUpdate(c, kase.ID, workflows.UpdateSummon, workflows.SummonInput{Actor: actor(u), Departments: depts, RerouteTaskID: req.RerouteTaskID,
		HolderOrgUnitID: kase.HolderOrgUnitID})
}

type reasonRequest struct {
	Reason string `json:"reason" binding:"required,max=2000"`
}

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
	s.respondUpdate(c, kase.ID, workflows.UpdateEscalate, workflows.EscalateInput{Actor: actor(currentUser(c)), Reason: req.Reason,
		HolderOrgUnitID: kase.HolderOrgUnitID})
}

type verifyRequest struct {
	Passed  *bool  `json:"passed" binding:"required"`
	Comment string `json:"comment" binding:"max=2000"`
}

func (s *Server) verify(c *gin.Context) {
	var req verifyRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	kase, ok := s.caseFor(c, c.Param("id"), policy.Verify)
	if !ok {
		return
	}
	s.respondUpdate(c, kase.ID, workflows.UpdateVerify, workflows.VerifyInput{Actor: actor(currentUser(c)), Passed: *req.Passed, Comment: req.Comment,
		HolderOrgUnitID: kase.HolderOrgUnitID})
}

type evaluateRequest struct {
	DepartmentID string `json:"department_id" binding:"required,max=40"`
	Timeliness   int    `json:"timeliness" binding:"required,min=1,max=5"`
	Quality      int    `json:"quality" binding:"required,min=1,max=5"`
	Attitude     int    `json:"attitude" binding:"required,min=1,max=5"`
	Satisfaction string `json:"satisfaction" binding:"required,oneof=satisfied basically_satisfied dissatisfied"`
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
	s.respondUpdate(c, kase.ID, workflows.UpdateEvaluate, workflows.EvaluateInput{Actor: actor(currentUser(c)), DepartmentID: req.DepartmentID,
		Timeliness: req.Timeliness, Quality: req.Quality, Attitude: req.Attitude, Satisfaction: whistle.Satisfaction(req.Satisfaction), Comment: req.Comment,
		HolderOrgUnitID: kase.HolderOrgUnitID})
}

type answerExtensionRequest struct {
	TaskID  string `json:"task_id" binding:"required,max=48"`
	Grant   *bool  `json:"grant" binding:"required"`
	Comment string `json:"comment" binding:"max=2000"`
}

func (s *Server) answerExtension(c *gin.Context) {
	var req answerExtensionRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	kase, ok := s.caseFor(c, c.Param("id"), policy.AnswerExtension)
	if !ok {
		return
	}
	s.respondUpdate(c, kase.ID, workflows.UpdateAnswerExtension, workflows.AnswerExtensionInput{Actor: actor(currentUser(c)), TaskID: req.TaskID, Grant: *req.Grant, Comment: req.Comment,
		HolderOrgUnitID: kase.HolderOrgUnitID})
}

func (s *Server) respondUpdate(c *gin.Context, caseID, name string, input any) {
	kase, err := s.update(c, caseID, name, input)
	if err != nil {
		fail(c, err)
		return
	}
	logger(c).Info("case updated", "case_id", caseID, "action", name, "status", kase.Status)
	c.JSON(http.StatusOK, kase)
}
