package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/shaobao/shaobao/whistle"
)

// The acceptance queue (受理): a case filed without departments starts
// pending, held by the command centre of its level, with an acceptance
// clock. The holder accepts it (and whistles), rejects it (不予受理) or
// merges it into another case (并案).

// Update names of the acceptance queue; each returns the new whistle.Case.
const (
	UpdateAccept = "accept" // AcceptInput
	UpdateReject = "reject" // RejectInput
	UpdateMerge  = "merge"  // MergeInput
)

// SignalMergedIn tells a surviving case that a duplicate was merged into
// it (MergedInInput). The merged case's workflow sends it before it
// closes, so the survivor's record survives any process dying: the signal
// is a command of the merged case's history, delivered by the server.
const SignalMergedIn = "merged_in"

// ActivityAcceptDeadline computes a pending case's acceptance deadline
// (AcceptDeadlineInput → time.Time).
const ActivityAcceptDeadline = "AcceptDeadline"

// AcceptDeadlineInput asks for the acceptance deadline of a case from
// Source filed at From, on working time.
type AcceptDeadlineInput struct {
	Source whistle.Source `json:"source"`
	From   time.Time      `json:"from"`
}

// AcceptInput accepts a pending case and summons Departments.
type AcceptInput struct {
	Actor       whistle.Actor   `json:"actor"`
	Departments []DepartmentRef `json:"departments"`
	// HolderOrgUnitID: see SummonInput.
	HolderOrgUnitID string `json:"holder_org_unit_id,omitempty"`
}

// RejectInput closes a pending case as not accepted (不予受理).
type RejectInput struct {
	Actor           whistle.Actor `json:"actor"`
	Reason          string        `json:"reason"`
	HolderOrgUnitID string        `json:"holder_org_unit_id,omitempty"`
}

// MergeInput closes a pending case into the case Into (并案). The API has
// checked that Into exists, is not closed and lies in the caller's
// jurisdiction.
type MergeInput struct {
	Actor           whistle.Actor `json:"actor"`
	Into            string        `json:"into"`
	IntoTitle       string        `json:"into_title,omitempty"`
	HolderOrgUnitID string        `json:"holder_org_unit_id,omitempty"`
}

// MergedInInput is SignalMergedIn's payload: the case merged into the
// receiver.
type MergedInInput struct {
	Actor  whistle.Actor `json:"actor"`
	CaseID string        `json:"case_id"`
	Title  string        `json:"title"`
}

// --- machine ------------------------------------------------------------------

func (m *machine) checkPending(holder, zhDoing, enDoing string) error {
	if err := m.checkHolder(holder); err != nil {
		return err
	}
	if m.c.Status != whistle.CasePending {
		return statusConflict(m.c.Status, zhDoing, enDoing)
	}
	return nil
}

func (m *machine) checkAccept(in AcceptInput) error {
	if err := m.checkPending(in.HolderOrgUnitID, "受理", "accept it"); err != nil {
		return err
	}
	return checkDepartments(in.Departments)
}

// applyAccept opens the case and summons its departments with the
// deadlines dl.
func (m *machine) applyAccept(now time.Time, in AcceptInput, dl whistle.Deadlines) {
	m.c.Status = whistle.CaseOpen
	m.resolveBreaches("", whistle.BreachAccept, now)
	m.record(now, whistle.EventAccepted, in.Actor, "", "", "")
	m.applySummon(now, in.Actor, SummonInput{Actor: in.Actor, Departments: in.Departments}, dl)
}

func (m *machine) checkReject(in RejectInput) error {
	if err := m.checkPending(in.HolderOrgUnitID, "不予受理", "reject it"); err != nil {
		return err
	}
	if strings.TrimSpace(in.Reason) == "" {
		return whistle.Errorf(whistle.EInvalid, "不予受理须说明理由", "a rejection needs a reason")
	}
	return nil
}

func (m *machine) applyReject(now time.Time, in RejectInput) {
	m.resolveBreaches("", whistle.BreachAccept, now)
	m.c.RejectReason = in.Reason
	m.close(now, whistle.OutcomeRejected)
	seq := m.record(now, whistle.EventRejected, in.Actor, "", "", in.Reason)
	m.notifyOrg(seq, m.filer(), "", fmt.Sprintf("「%s」不予受理：%s", m.c.Title, in.Reason))
	m.record(now, whistle.EventClosed, whistle.SystemActor, "", "", string(whistle.OutcomeRejected))
}

func (m *machine) checkMerge(in MergeInput) error {
	if err := m.checkPending(in.HolderOrgUnitID, "并案", "merge it"); err != nil {
		return err
	}
	switch strings.TrimSpace(in.Into) {
	case "":
		return whistle.Errorf(whistle.EInvalid, "请给出并入的案件 into", "into is required: the case to merge into")
	case m.c.ID:
		return whistle.Errorf(whistle.EInvalid, "案件不能并入自身", "a case cannot be merged into itself")
	}
	return nil
}

func (m *machine) applyMerge(now time.Time, in MergeInput) {
	m.resolveBreaches("", whistle.BreachAccept, now)
	m.c.MergedInto = in.Into
	m.close(now, whistle.OutcomeMerged)
	m.record(now, whistle.EventMerged, in.Actor, "", "", strings.TrimSpace(in.Into+" "+in.IntoTitle))
	m.record(now, whistle.EventClosed, whistle.SystemActor, "", "", string(whistle.OutcomeMerged))
}

// applyMergedIn records on the survivor that a duplicate was merged into it.
func (m *machine) applyMergedIn(now time.Time, in MergedInInput) {
	m.record(now, whistle.EventMergedIn, in.Actor, "", "", strings.TrimSpace(in.CaseID+" "+in.Title))
}

// close closes the case with an outcome. An escalation still waiting is
// withdrawn: nobody is left to answer it.
func (m *machine) close(now time.Time, o whistle.Outcome) {
	m.c.Status, m.c.ClosedAt, m.c.Outcome = whistle.CaseClosed, ptr(now), o
	if e := m.c.OpenEscalation(); e != nil {
		rec := *e
		rec.Status, rec.AnsweredAt, rec.AnsweredBy, rec.Comment = whistle.EscalationReturned, ptr(now), whistle.SystemActor.Username, "案件已结案，上报撤销"
		*e = rec
		m.resolveEscalationBreach(e.Seq, now)
	}
}

// acceptClock fires a missed acceptance deadline: a breach with no task,
// and the level above the holder is told, once.
func (m *machine) acceptClock(now time.Time) {
	if m.c.Status != whistle.CasePending || m.c.AcceptDeadline == nil || m.c.AcceptBreached || now.Before(*m.c.AcceptDeadline) {
		return
	}
	m.c.AcceptBreached = true
	seq := m.record(now, whistle.EventAcceptBreach, whistle.SystemActor, "", "", chinaTime(*m.c.AcceptDeadline))
	m.c.Breaches = append(m.c.Breaches, whistle.Breach{
		ID: fmt.Sprintf("%s-B%d", m.c.ID, seq), CaseID: m.c.ID, Kind: whistle.BreachAccept,
		Deadline: *m.c.AcceptDeadline, At: now, Level: m.c.Level,
	})
	to, ok := m.above()
	if !ok {
		to, _ = m.holder()
	}
	m.notifyOrg(seq, to, "", fmt.Sprintf("「%s」未在 %s 前受理", m.c.Title, chinaTime(*m.c.AcceptDeadline)))
}

// --- workflow -----------------------------------------------------------------

// startPending arms the acceptance clock of a case filed without
// departments, with the mutex held. Like the first summons, the read is
// retried until it succeeds.
func (r *run) startPending(ctx workflow.Context) error {
	defer r.mu.Unlock() // locked by Whistle
	defer func() { r.ready = true }()
	now := workflow.Now(ctx)
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	for {
		var due time.Time
		err := workflow.ExecuteLocalActivity(lctx, ActivityAcceptDeadline, AcceptDeadlineInput{Source: r.m.c.Source, From: now}).Get(lctx, &due)
		if err == nil {
			r.m.c.AcceptDeadline = &due
			break
		}
		r.log.Error("acceptance deadline unavailable, retrying", "error", err)
		if err := workflow.Sleep(ctx, reprojectEvery); err != nil {
			return err
		}
	}
	r.changed(ctx)
	return nil
}

// intakeHandlers are the acceptance queue's updates and the survivor's
// side of a merge.
func (r *run) intakeHandlers(ctx workflow.Context) []error {
	m := r.m
	errs := []error{
		handle(ctx, r, UpdateAccept, m.checkAccept, func(ctx workflow.Context, now time.Time, in AcceptInput) error {
			dl, err := r.deadlines(ctx, m.c.Level, now)
			if err != nil {
				return err
			}
			m.applyAccept(now, in, dl)
			return nil
		}),
		handle(ctx, r, UpdateReject, m.checkReject, func(_ workflow.Context, now time.Time, in RejectInput) error {
			m.applyReject(now, in)
			return nil
		}),
		handle(ctx, r, UpdateMerge, m.checkMerge, func(ctx workflow.Context, now time.Time, in MergeInput) error {
			// The survivor hears of it first: if it has finished meanwhile,
			// the merge is refused and this case stays pending.
			sig := MergedInInput{Actor: in.Actor, CaseID: m.c.ID, Title: m.c.Title}
			if err := workflow.SignalExternalWorkflow(ctx, WorkflowID(in.Into), "", SignalMergedIn, sig).Get(ctx, nil); err != nil {
				return whistle.Errorf(whistle.EConflict, "并入的案件「%s」已结案或不存在", "the case %s to merge into is closed or gone", in.Into)
			}
			m.applyMerge(workflow.Now(ctx), in)
			return nil
		}),
	}
	// A goroutine blocked on a channel issues no command, so histories
	// recorded before this signal existed replay unchanged.
	ch := workflow.GetSignalChannel(ctx, SignalMergedIn)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var in MergedInInput
			ch.Receive(ctx, &in)
			if err := r.mu.Lock(ctx); err != nil {
				return
			}
			m.applyMergedIn(workflow.Now(ctx), in)
			r.changed(ctx)
			r.mu.Unlock()
		}
	})
	return errs
}
