package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

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

// update sends one human action to the workflow of the case whose header
// (kase) the caller was authorized against, and waits for its result. A
// closed case is a conflict: refused before the workflow is asked (after,
// for a keyed retry, which may be the action that closed it), or, when
// the workflow is no longer found, if the case's header now says closed. With an Idempotency-Key the update id is a
// digest of the user, the key and the request (updateID), so a retry that
// outlives its idempotency record is still applied once by Temporal;
// without one it is random.
func (s *Server) update(c *gin.Context, kase whistle.Case, name string, input any) (whistle.Case, error) {
	// A keyed retry of the action that closed the case (its process died
	// before the answer was kept) must get that action's result, which
	// Temporal still holds under the update id: ask it first.
	_, keyed := c.Get(ctxIdempotency)
	if kase.Status == whistle.CaseClosed && !keyed {
		return whistle.Case{}, caseClosed(kase.ID)
	}
	if s.Temporal == nil {
		return whistle.Case{}, fmt.Errorf("case %s: %w: no Temporal client", kase.ID, errUnavailable)
	}
	ctx := c.Request.Context()
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.WorkflowID(kase.ID), UpdateID: updateID(c, name), UpdateName: name,
		Args: []any{input}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		var updated whistle.Case
		if err = handle.Get(ctx, &updated); err == nil {
			// Cases filed before the deadlines were UTC hold +08:00 times in
			// their state: answer in UTC, as GET does.
			return updated.InUTC(), nil
		}
	}
	if kase.Status == whistle.CaseClosed {
		return whistle.Case{}, caseClosed(kase.ID) // not an action Temporal knows: refused as before
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		// No workflow to ask: the case closed since its header was read
		// (its workflow has finished), or its workflow is gone.
		if now, herr := s.Store.CaseHeader(ctx, kase.ID); herr == nil && now.Status == whistle.CaseClosed {
			return whistle.Case{}, caseClosed(kase.ID)
		}
	}
	return whistle.Case{}, temporalError(err, kase.ID)
}

// caseAction is the shape of an action on a case: bind the body into a
// Req, authorize act on the case of the route's :id, send the workflow
// update name with the input made from the request and the case's header,
// and answer with the case as it is now.
func caseAction[Req any](s *Server, c *gin.Context, act policy.Action, name string, input func(Req, whistle.Case) any) {
	var req Req
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	kase, ok := s.caseFor(c, c.Param("id"), act)
	if !ok {
		return
	}
	s.respondUpdate(c, kase, name, input(req, kase))
}

// taskAction is caseAction for an action on the task of the route's :id:
// it answers with the task as it is now.
func taskAction[Req any](s *Server, c *gin.Context, act policy.Action, name string, input func(Req, whistle.Task) any) {
	var req Req
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	task, kase, ok := s.taskFor(c, act)
	if !ok {
		return
	}
	s.respondTask(c, task, kase, name, input(req, task))
}

// respondUpdate sends an action on the case kase and answers with the case
// as it is now.
func (s *Server) respondUpdate(c *gin.Context, kase whistle.Case, name string, input any) {
	updated, err := s.update(c, kase, name, input)
	if err != nil {
		fail(c, err)
		return
	}
	logger(c).Info("case updated", "case_id", kase.ID, "action", name, "status", updated.Status)
	c.JSON(http.StatusOK, updated)
}

func caseClosed(caseID string) error {
	return whistle.Errorf(whistle.EConflict, "案件已结案，不能再操作：%s", "the case is closed: %s", caseID)
}

// temporalError maps what the Temporal client returned: the workflow's
// coded refusals keep their code; a missing workflow is a not_found; an
// unreachable Temporal is unavailable; anything else is internal.
func temporalError(err error, caseID string) error {
	err = workflows.AsError(err)
	var we *whistle.Error
	if errors.As(err, &we) {
		return err
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
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
