package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// taskFor loads a task and its case and checks the caller may do act on
// it: refused, a caller who may see the task's case is told the rule
// (403), anyone else gets the not_found of an unknown task id, so a
// refusal does not tell that a task outside their reach exists.
func (s *Server) taskFor(c *gin.Context, act policy.Action) (whistle.Task, whistle.Case, bool) {
	ctx := c.Request.Context()
	id := c.Param("id")
	task, err := s.Store.TaskByID(ctx, id)
	if err != nil {
		fail(c, err)
		return task, whistle.Case{}, false
	}
	kase, err := s.Store.CaseHeader(ctx, task.CaseID)
	if err != nil {
		fail(c, err)
		return task, kase, false
	}
	u := caller(c)
	obj := policy.Object{OrgPath: kase.OrgPath, HolderOrgPath: kase.HolderOrgPath, DepartmentID: task.DepartmentID}
	if err := s.Policy.Authorize(u, act, obj); err != nil {
		if _, rerr := s.authorizedCase(ctx, u, kase.ID, policy.ReadCase); rerr != nil {
			if whistle.ErrorCode(rerr) == whistle.ENotFound {
				rerr = store.NotFound("task", id)
			}
			fail(c, rerr)
			return whistle.Task{}, whistle.Case{}, false
		}
		fail(c, err)
		return task, kase, false
	}
	return task, kase, true
}

// respondTask sends an action on task, of the case kase, and answers with
// the task as it is now.
func (s *Server) respondTask(c *gin.Context, task whistle.Task, kase whistle.Case, name string, input any) {
	kase, err := s.update(c, kase, name, input)
	if err != nil {
		fail(c, err)
		return
	}
	logger(c).Info("task updated", "case_id", task.CaseID, "task_id", task.ID, "action", name)
	for _, t := range kase.Tasks {
		if t.ID == task.ID {
			c.JSON(http.StatusOK, t)
			return
		}
	}
	c.JSON(http.StatusOK, task)
}

func (s *Server) reportTask(c *gin.Context) {
	task, kase, ok := s.taskFor(c, policy.ReportTask)
	if !ok {
		return
	}
	s.respondTask(c, task, kase, workflows.UpdateReport, workflows.ReportInput{Actor: caller(c), TaskID: task.ID})
}

type feedbackRequest struct {
	Result   string   `json:"result" binding:"required,max=2000"`
	Notes    string   `json:"notes" binding:"max=5000"`
	Evidence []string `json:"evidence" binding:"max=20,dive,required,max=1000,httpurl"`
	// EvidenceFiles (after) and BeforeFiles are ids of the clerk's
	// uploads (POST /files), at most 9 each.
	EvidenceFiles []string `json:"evidence_files" binding:"max=9,dive,required,max=40"`
	BeforeFiles   []string `json:"before_files" binding:"max=9,dive,required,max=40"`
}

// feedback is taskAction with the uploads checked once the caller may act
// on the task: each must be the caller's own (files.go).
func (s *Server) feedback(c *gin.Context) {
	var req feedbackRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	task, kase, ok := s.taskFor(c, policy.Feedback)
	if !ok {
		return
	}
	u := caller(c)
	for _, list := range []struct {
		field string
		ids   []string
	}{{"evidence_files", req.EvidenceFiles}, {"before_files", req.BeforeFiles}} {
		if err := s.checkOwnFiles(c.Request.Context(), u, list.field, list.ids); err != nil {
			fail(c, err)
			return
		}
	}
	s.respondTask(c, task, kase, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: u, TaskID: task.ID, Result: req.Result, Notes: req.Notes,
		Evidence: req.Evidence, Files: req.EvidenceFiles, BeforeFiles: req.BeforeFiles})
}

func (s *Server) returnTask(c *gin.Context) {
	taskAction(s, c, policy.ReturnTask, workflows.UpdateReturn, func(req reasonRequest, task whistle.Task) any {
		return workflows.ReturnInput{Actor: caller(c), TaskID: task.ID, Reason: req.Reason}
	})
}

type extensionRequest struct {
	Until  *time.Time `json:"until"`
	Extra  string     `json:"extra" binding:"max=16"`
	Reason string     `json:"reason" binding:"required,max=2000"`
}

// requestExtension asks for a later handling deadline: until or extra,
// exactly one (the workflow's validator says so when not).
func (s *Server) requestExtension(c *gin.Context) {
	taskAction(s, c, policy.RequestExtension, workflows.UpdateRequestExtension, func(req extensionRequest, task whistle.Task) any {
		return workflows.ExtensionInput{Actor: caller(c), TaskID: task.ID, Until: req.Until, Extra: req.Extra, Reason: req.Reason}
	})
}
