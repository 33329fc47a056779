package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/shaobao/shaobao/whistle"
)

// The four levels both ways and the exceptions of a joint case: dispatch
// down (派单) and recall, escalations the level above answers, returns the
// holder answers, dropped and released tasks, the lead department (主办),
// and unresolvable cases (挂账). The rules are here; their updates are
// registered in twowayHandlers.

// Update names of issue 13; each returns the new whistle.Case.
const (
	UpdateDispatch           = "dispatch"            // DispatchInput
	UpdateRecall             = "recall"              // RecallInput
	UpdateAnswerEscalation   = "answer_escalation"   // AnswerEscalationInput
	UpdateAnswerReturn       = "answer_return"       // AnswerReturnInput
	UpdateDrop               = "drop"                // DropInput
	UpdateSetLead            = "set_lead"            // SetLeadInput
	UpdateRelease            = "release"             // ReleaseInput
	UpdateApplyUnresolvable  = "apply_unresolvable"  // UnresolvableInput
	UpdateAnswerUnresolvable = "answer_unresolvable" // AnswerUnresolvableInput
)

// Version change ids (workflow.GetVersion) of the changes to existing
// updates: cases that escalated or returned before them keep their path.
const (
	// versionEscalationAnswer: a requested escalation waits for the level
	// above to answer instead of moving the case at once.
	versionEscalationAnswer = "escalation-answer"
	// versionReturnReview: a return waits for the holder's answer and no
	// longer resolves the task's breaches.
	versionReturnReview = "return-review"
	// versionLean: one timer per case at the next instant anything is due,
	// notifications written to the outbox by the projection instead of one
	// activity each, and search attributes upserted once per workflow task.
	versionLean = "lean-clock-outbox"
)

// DispatchInput hands the case down to To, a unit inside the holder's
// jurisdiction. Chain is To's command chain up to the city, bottom first
// (the API reads it from the org tree); it replaces the case's chain, so
// escalation from To goes back up through the sender.
type DispatchInput struct {
	Actor           whistle.Actor `json:"actor"`
	To              OrgRef        `json:"to"`
	Chain           []OrgRef      `json:"chain"`
	Reason          string        `json:"reason,omitempty"`
	HolderOrgUnitID string        `json:"holder_org_unit_id,omitempty"`
}

// RecallInput takes a dispatched case back. ByOrgUnitID is the caller's
// unit: only the unit that dispatched it may recall it.
type RecallInput struct {
	Actor           whistle.Actor `json:"actor"`
	Reason          string        `json:"reason,omitempty"`
	ByOrgUnitID     string        `json:"by_org_unit_id"`
	HolderOrgUnitID string        `json:"holder_org_unit_id,omitempty"`
}

// AnswerEscalationInput answers the case's open escalation: the asking
// level's review passes it up (or sends it back), the level above takes
// it (or sends it back with instructions in Comment). ByOrgUnitID is the
// caller's unit, which must be the one the escalation waits on.
type AnswerEscalationInput struct {
	Actor       whistle.Actor `json:"actor"`
	Accept      bool          `json:"accept"`
	Comment     string        `json:"comment"`
	ByOrgUnitID string        `json:"by_org_unit_id"`
}

// AnswerReturnInput is the holder's answer to a department's return.
type AnswerReturnInput struct {
	Actor           whistle.Actor `json:"actor"`
	TaskID          string        `json:"task_id"`
	Accept          bool          `json:"accept"`
	Comment         string        `json:"comment"`
	HolderOrgUnitID string        `json:"holder_org_unit_id,omitempty"`
}

// DropInput withdraws a wrongly summoned department without a replacement.
type DropInput struct {
	Actor           whistle.Actor `json:"actor"`
	TaskID          string        `json:"task_id"`
	Reason          string        `json:"reason"`
	HolderOrgUnitID string        `json:"holder_org_unit_id,omitempty"`
}

// SetLeadInput makes the task's department the lead (主办).
type SetLeadInput struct {
	Actor           whistle.Actor `json:"actor"`
	TaskID          string        `json:"task_id"`
	HolderOrgUnitID string        `json:"holder_org_unit_id,omitempty"`
}

// ReleaseInput is the lead department releasing an assisting one.
type ReleaseInput struct {
	Actor  whistle.Actor `json:"actor"`
	TaskID string        `json:"task_id"`
	Reason string        `json:"reason"`
}

// UnresolvableInput applies to close the case as unresolvable (挂账).
type UnresolvableInput struct {
	Actor           whistle.Actor `json:"actor"`
	Reason          string        `json:"reason"`
	HolderOrgUnitID string        `json:"holder_org_unit_id,omitempty"`
}

// AnswerUnresolvableInput is the approving unit's answer.
type AnswerUnresolvableInput struct {
	Actor       whistle.Actor `json:"actor"`
	Approve     bool          `json:"approve"`
	Comment     string        `json:"comment"`
	ByOrgUnitID string        `json:"by_org_unit_id"`
}

// --- dispatch and recall ------------------------------------------------------

func (m *machine) checkMovable(zhDoing, enDoing string) error {
	if m.c.Status != whistle.CaseOpen && m.c.Status != whistle.CasePending {
		return statusConflict(m.c.Status, zhDoing, enDoing)
	}
	if e := m.c.OpenEscalation(); e != nil {
		return whistle.Errorf(whistle.EConflict, "案件的上报尚待答复，不能%[1]s", "an escalation awaits its answer: cannot %[2]s", zhDoing, enDoing)
	}
	return nil
}

func (m *machine) checkDispatch(in DispatchInput) error {
	if err := m.checkHolder(in.HolderOrgUnitID); err != nil {
		return err
	}
	if err := m.checkMovable("派单", "dispatch it"); err != nil {
		return err
	}
	h, _ := m.holder()
	to := whistle.OrgPath(in.To.Path)
	switch {
	case in.To.ID == "" || !to.Valid():
		return whistle.Errorf(whistle.EInvalid, "请给出派往的单位 to", "to is required: the unit to dispatch to")
	case in.To.ID == h.ID || !to.Within(whistle.OrgPath(h.Path)):
		return whistle.Errorf(whistle.EForbidden, "只能派往本级辖区内的下级单位", "you may dispatch only to a unit below yours, inside your jurisdiction")
	case len(in.Chain) == 0 || in.Chain[0].ID != in.To.ID:
		return whistle.Errorf(whistle.EInvalid, "派单的指挥链无效", "the dispatch's command chain does not start at its unit")
	}
	return nil
}

// applyDispatch hands the case down: To holds it with its own chain; the
// sender is recorded so it can recall it.
func (m *machine) applyDispatch(now time.Time, in DispatchInput) {
	from, _ := m.holder()
	m.chain = slices.Clone(in.Chain)
	m.c.Level, m.c.HolderOrgUnitID, m.c.HolderOrgPath = in.To.Level, in.To.ID, in.To.Path
	seq := m.record(now, whistle.EventDispatched, in.Actor, "", "",
		strings.TrimSpace(fmt.Sprintf("%s → %s %s", from.Level, in.To.Level, in.Reason)))
	m.c.Dispatches = append(m.c.Dispatches, whistle.Dispatch{
		Seq: seq, FromOrgUnit: from.ID, FromOrgPath: from.Path, FromLevel: from.Level,
		ToOrgUnit: in.To.ID, ToOrgPath: in.To.Path, ToLevel: in.To.Level, Reason: in.Reason, At: now, By: in.Actor.Username,
	})
	msg := fmt.Sprintf("「%s」由%s派至本级，请处置", m.c.Title, levelZH(from.Level))
	if in.Reason != "" {
		msg += "：" + in.Reason
	}
	m.notifyOrg(seq, in.To, "", msg)
}

func (m *machine) checkRecall(in RecallInput) error {
	if err := m.checkHolder(in.HolderOrgUnitID); err != nil {
		return err
	}
	if err := m.checkMovable("收回", "recall it"); err != nil {
		return err
	}
	d := m.c.Recallable()
	if d == nil {
		return whistle.Errorf(whistle.EConflict, "案件不是由派单转到当前层级的，无可收回", "the case was not dispatched to its holder: nothing to recall")
	}
	if in.ByOrgUnitID != d.FromOrgUnit {
		return whistle.Errorf(whistle.EForbidden, "只有派单的单位可以收回", "only the unit that dispatched the case may recall it")
	}
	return nil
}

// applyRecall gives the case back to the sender, with the sender's chain
// (the part of the chain from the sender up).
func (m *machine) applyRecall(now time.Time, in RecallInput) {
	d := m.c.Recallable()
	to, _ := m.holder()
	if i := slices.IndexFunc(m.chain, func(o OrgRef) bool { return o.ID == d.FromOrgUnit }); i >= 0 {
		m.chain = slices.Clone(m.chain[i:])
	}
	m.c.Level, m.c.HolderOrgUnitID, m.c.HolderOrgPath = d.FromLevel, d.FromOrgUnit, d.FromOrgPath
	rec := *d
	rec.RecalledAt, rec.RecalledBy = ptr(now), in.Actor.Username
	m.c.Dispatches[len(m.c.Dispatches)-1] = rec
	seq := m.record(now, whistle.EventRecalled, in.Actor, "", "", strings.TrimSpace(fmt.Sprintf("%s → %s %s", to.Level, d.FromLevel, in.Reason)))
	m.notifyOrg(seq, to, "", fmt.Sprintf("「%s」已被%s收回", m.c.Title, levelZH(d.FromLevel)))
}

// --- escalation answered --------------------------------------------------------

// requestEscalation records an escalation that waits: for the asking
// level's review (review) or for the level above to answer by due. The
// case stays with its holder until the level above accepts.
func (m *machine) requestEscalation(now time.Time, in EscalateInput, due *time.Time) {
	from, _ := m.holder()
	to, _ := m.above()
	status := whistle.EscalationPending
	if in.Review {
		status, due = whistle.EscalationInReview, nil
	}
	seq := m.record(now, whistle.EventEscalationRequested, in.Actor, "", "", fmt.Sprintf("%s → %s: %s", from.Level, to.Level, in.Reason))
	m.c.Escalations = append(m.c.Escalations, whistle.Escalation{
		Seq: seq, CaseID: m.c.ID, From: from.Level, To: to.Level, FromOrgUnitID: from.ID, ToOrgUnitID: to.ID, ToOrgPath: to.Path,
		Kind: whistle.EscalationRequested, Reason: in.Reason, At: now, By: in.Actor.Username, Status: status, AnswerDeadline: due,
	})
	if in.Review {
		m.notifyOrg(seq, from, "", fmt.Sprintf("「%s」申请上报至%s，请本级审核：%s", m.c.Title, levelZH(to.Level), in.Reason))
		return
	}
	m.notifyOrg(seq, to, "", fmt.Sprintf("%s申请将「%s」上报至本级，请于 %s 前答复：%s", levelZH(from.Level), m.c.Title, chinaTime(*due), in.Reason))
}

func (m *machine) checkAnswerEscalation(in AnswerEscalationInput) error {
	if m.c.Status == whistle.CaseClosed {
		return statusConflict(m.c.Status, "答复上报", "answer its escalation")
	}
	e := m.c.OpenEscalation()
	if e == nil {
		return whistle.Errorf(whistle.EConflict, "案件没有待答复的上报", "the case has no escalation awaiting an answer")
	}
	waitsOn := e.ToOrgUnitID
	if e.Status == whistle.EscalationInReview {
		waitsOn = e.FromOrgUnitID
	}
	if in.ByOrgUnitID != waitsOn {
		return whistle.Errorf(whistle.EForbidden, "该上报须由%[1]s答复", "the escalation is for the %[2]s to answer", levelZH(m.waitsOnLevel(e)), m.waitsOnLevel(e))
	}
	if !in.Accept && strings.TrimSpace(in.Comment) == "" {
		return whistle.Errorf(whistle.EInvalid, "退回上报须写明处理意见", "sending an escalation back needs instructions in comment")
	}
	return nil
}

func (m *machine) waitsOnLevel(e *whistle.Escalation) whistle.Level {
	if e.Status == whistle.EscalationInReview {
		return e.From
	}
	return e.To
}

// applyAnswerEscalation: a review that passes sends the escalation up with
// the answer deadline due; the level above accepting moves the case up;
// either sending it back leaves the case where it is, with the comment.
func (m *machine) applyAnswerEscalation(now time.Time, in AnswerEscalationInput, due *time.Time) {
	e := m.c.OpenEscalation()
	rec := *e
	rec.AnsweredAt, rec.AnsweredBy, rec.Comment = ptr(now), in.Actor.Username, in.Comment
	from := OrgRef{ID: e.FromOrgUnitID, Level: e.From}
	if h, _ := m.holder(); h.ID == e.FromOrgUnitID {
		from = h
	}
	to := OrgRef{ID: e.ToOrgUnitID, Path: e.ToOrgPath, Level: e.To}
	switch {
	case !in.Accept:
		rec.Status = whistle.EscalationReturned
		*e = rec
		m.resolveEscalationBreach(e.Seq, now)
		seq := m.record(now, whistle.EventEscalationReturned, in.Actor, "", "", in.Comment)
		m.notifyOrg(seq, from, "", fmt.Sprintf("「%s」的上报被退回：%s", m.c.Title, in.Comment))
	case rec.Status == whistle.EscalationInReview:
		rec.Status, rec.AnswerDeadline, rec.AnsweredAt, rec.AnsweredBy = whistle.EscalationPending, due, nil, ""
		*e = rec
		seq := m.record(now, whistle.EventEscalationReviewed, in.Actor, "", "", in.Comment)
		m.notifyOrg(seq, to, "", fmt.Sprintf("%s申请将「%s」上报至本级，请于 %s 前答复：%s", levelZH(e.From), m.c.Title, chinaTime(*due), e.Reason))
	default:
		rec.Status = whistle.EscalationAccepted
		*e = rec
		m.resolveEscalationBreach(e.Seq, now)
		m.c.Level, m.c.HolderOrgUnitID, m.c.HolderOrgPath = to.Level, to.ID, to.Path
		seq := m.record(now, whistle.EventEscalationAccepted, in.Actor, "", "", strings.TrimSpace(fmt.Sprintf("%s → %s %s", e.From, e.To, in.Comment)))
		m.notifyOrg(seq, from, "", fmt.Sprintf("「%s」已由%s接收", m.c.Title, levelZH(e.To)))
	}
}

// supersedeEscalation closes a waiting escalation when a clock moves the
// case up anyway.
func (m *machine) supersedeEscalation(now time.Time) {
	if e := m.c.OpenEscalation(); e != nil {
		rec := *e
		rec.Status, rec.AnsweredAt, rec.AnsweredBy, rec.Comment = whistle.EscalationAccepted, ptr(now), whistle.SystemActor.Username, "超时自动升级"
		*e = rec
		m.resolveEscalationBreach(e.Seq, now)
	}
}

func (m *machine) resolveEscalationBreach(seq int64, now time.Time) {
	id := m.escalationBreachID(seq)
	for i := range m.c.Breaches {
		if b := &m.c.Breaches[i]; b.ID == id && !b.Resolved {
			b.Resolved, b.ResolvedAt = true, ptr(now)
		}
	}
}

func (m *machine) escalationBreachID(seq int64) string { return fmt.Sprintf("%s-E%d", m.c.ID, seq) }

// escalationClock fires a missed answer deadline: a breach of the level
// above, once, and its own level above is told.
func (m *machine) escalationClock(now time.Time) {
	e := m.c.OpenEscalation()
	if e == nil || e.Status != whistle.EscalationPending || e.AnswerDeadline == nil || e.AnswerBreached || now.Before(*e.AnswerDeadline) {
		return
	}
	e.AnswerBreached = true
	seq := m.record(now, whistle.EventEscalationAnswerBreach, whistle.SystemActor, "", "", chinaTime(*e.AnswerDeadline))
	m.c.Breaches = append(m.c.Breaches, whistle.Breach{
		ID: m.escalationBreachID(e.Seq), CaseID: m.c.ID, Kind: whistle.BreachEscalation,
		Deadline: *e.AnswerDeadline, At: now, Level: e.To,
	})
	to := OrgRef{ID: e.ToOrgUnitID, Path: e.ToOrgPath, Level: e.To}
	if i := slices.IndexFunc(m.chain, func(o OrgRef) bool { return o.ID == e.ToOrgUnitID }); i >= 0 && i+1 < len(m.chain) {
		to = m.chain[i+1]
	}
	m.notifyOrg(seq, to, "", fmt.Sprintf("「%s」的上报未在 %s 前答复", m.c.Title, chinaTime(*e.AnswerDeadline)))
}

// --- returns answered -----------------------------------------------------------

// applyRequestReturn is a return under review: the task waits for the
// holder's answer, its clocks keep running and its breaches stay open.
func (m *machine) applyRequestReturn(now time.Time, in ReturnInput) {
	t, _ := m.task(in.TaskID)
	t.ReturnFrom, t.Status = t.Status, whistle.TaskReturnRequested
	t.ReturnedAt, t.ReturnReason, t.ReturnAnswer = ptr(now), in.Reason, ""
	seq := m.record(now, whistle.EventReturnRequested, in.Actor, t.ID, t.DepartmentID, in.Reason)
	h, _ := m.holder()
	m.notifyOrg(seq, h, t.ID, fmt.Sprintf("%s申请退回「%s」，请答复：%s", t.DepartmentName, m.c.Title, in.Reason))
}

func (m *machine) checkAnswerReturn(in AnswerReturnInput) error {
	if err := m.checkHolder(in.HolderOrgUnitID); err != nil {
		return err
	}
	t, err := m.task(in.TaskID)
	if err != nil {
		return err
	}
	if t.Status != whistle.TaskReturnRequested {
		return taskConflict(t, "答复退回", "answer a return")
	}
	if !in.Accept && strings.TrimSpace(in.Comment) == "" {
		return whistle.Errorf(whistle.EInvalid, "不同意退回须说明理由", "refusing a return needs a reason in comment")
	}
	return nil
}

// applyAnswerReturn: accepted, the task is returned (re-route or drop
// next); refused, it goes back to the department as it was.
func (m *machine) applyAnswerReturn(now time.Time, in AnswerReturnInput) {
	t, _ := m.task(in.TaskID)
	t.ReturnAnswer = in.Comment
	if in.Accept {
		t.Status, t.ReturnFrom = whistle.TaskReturned, ""
		seq := m.record(now, whistle.EventReturnAccepted, in.Actor, t.ID, t.DepartmentID, in.Comment)
		m.notifyDept(seq, t, fmt.Sprintf("「%s」的退回已同意", m.c.Title))
		return
	}
	t.Status, t.ReturnFrom, t.ReturnedAt = t.ReturnFrom, "", nil
	seq := m.record(now, whistle.EventReturnRefused, in.Actor, t.ID, t.DepartmentID, in.Comment)
	m.notifyDept(seq, t, fmt.Sprintf("「%s」的退回未获同意，请继续办理：%s", m.c.Title, in.Comment))
}

// clockStatus is the status a task's clocks run on: a return under review
// keeps the clocks of the status it was asked from.
func clockStatus(t *whistle.Task) whistle.TaskStatus {
	if t.Status == whistle.TaskReturnRequested {
		return t.ReturnFrom
	}
	return t.Status
}

// --- drop, lead, release --------------------------------------------------------

func (m *machine) checkDrop(in DropInput) error {
	if err := m.checkHolder(in.HolderOrgUnitID); err != nil {
		return err
	}
	if m.c.Status != whistle.CaseOpen {
		return statusConflict(m.c.Status, "撤回部门", "drop a department")
	}
	t, err := m.task(in.TaskID)
	if err != nil {
		return err
	}
	if !t.Waiting() {
		return taskConflict(t, "撤回", "drop it")
	}
	if strings.TrimSpace(in.Reason) == "" {
		return whistle.Errorf(whistle.EInvalid, "撤回部门须说明理由", "dropping a department needs a reason")
	}
	return nil
}

// applyDrop withdraws the task; a case left with no department at all goes
// back to the acceptance queue.
func (m *machine) applyDrop(now time.Time, in DropInput) {
	t, _ := m.task(in.TaskID)
	m.endTask(t, whistle.TaskDropped, now, in.Reason)
	seq := m.record(now, whistle.EventDropped, in.Actor, t.ID, t.DepartmentID, in.Reason)
	m.notifyDept(seq, t, fmt.Sprintf("「%s」已撤回贵部门的任务：%s", m.c.Title, in.Reason))
	for _, o := range m.c.Tasks {
		if o.Waiting() || o.Status == whistle.TaskDone {
			return
		}
	}
	m.c.Status = whistle.CasePending
	m.record(now, whistle.EventBackToPending, whistle.SystemActor, "", "", "")
}

// endTask ends a task that owes nothing more.
func (m *machine) endTask(t *whistle.Task, s whistle.TaskStatus, now time.Time, reason string) {
	t.Status, t.ReturnFrom, t.DroppedAt, t.DropReason = s, "", ptr(now), reason
	if t.Extension != nil && t.Extension.Status == whistle.ExtensionPending {
		e := *t.Extension
		e.Status, e.AnsweredAt = whistle.ExtensionRefused, ptr(now)
		t.Extension = &e
	}
}

func (m *machine) checkSetLead(in SetLeadInput) error {
	if err := m.checkHolder(in.HolderOrgUnitID); err != nil {
		return err
	}
	if m.c.Status != whistle.CaseOpen {
		return statusConflict(m.c.Status, "指定主办部门", "set the lead")
	}
	t, err := m.task(in.TaskID)
	if err != nil {
		return err
	}
	if !t.Active() {
		return taskConflict(t, "指定为主办", "make it the lead")
	}
	if t.Lead {
		return whistle.Errorf(whistle.EConflict, "%s已是主办部门", "%s is already the lead", t.DepartmentName)
	}
	return nil
}

func (m *machine) applySetLead(now time.Time, in SetLeadInput) {
	for i := range m.c.Tasks {
		m.c.Tasks[i].Lead = m.c.Tasks[i].ID == in.TaskID
	}
	t, _ := m.task(in.TaskID)
	seq := m.record(now, whistle.EventLeadSet, in.Actor, t.ID, t.DepartmentID, "")
	m.notifyDept(seq, t, fmt.Sprintf("贵部门为「%s」的主办部门，其他部门协办", m.c.Title))
}

// lead is the lead task still on the case, if any.
func (m *machine) lead() *whistle.Task {
	for i := range m.c.Tasks {
		if t := &m.c.Tasks[i]; t.Lead && t.Status != whistle.TaskDropped && t.Status != whistle.TaskReturned {
			return t
		}
	}
	return nil
}

func (m *machine) checkRelease(in ReleaseInput) error {
	if m.c.Status != whistle.CaseOpen {
		return statusConflict(m.c.Status, "解除协办", "release a department")
	}
	l := m.lead()
	if l == nil || in.Actor.DepartmentID == "" || in.Actor.DepartmentID != l.DepartmentID {
		return whistle.Errorf(whistle.EForbidden, "只有主办部门可以解除协办部门", "only the lead department may release an assisting one")
	}
	t, err := m.task(in.TaskID)
	if err != nil {
		return err
	}
	if t.ID == l.ID || t.DepartmentID == l.DepartmentID {
		return whistle.Errorf(whistle.EInvalid, "主办部门不能解除自身", "the lead cannot release itself")
	}
	if !t.Active() {
		return taskConflict(t, "解除协办", "release it")
	}
	if strings.TrimSpace(in.Reason) == "" {
		return whistle.Errorf(whistle.EInvalid, "解除协办须说明理由", "a release needs a reason")
	}
	return nil
}

func (m *machine) applyRelease(now time.Time, in ReleaseInput) {
	t, _ := m.task(in.TaskID)
	m.endTask(t, whistle.TaskReleased, now, in.Reason)
	seq := m.record(now, whistle.EventReleased, in.Actor, t.ID, t.DepartmentID, in.Reason)
	m.notifyDept(seq, t, fmt.Sprintf("主办部门已解除贵部门在「%s」的协办任务：%s", m.c.Title, in.Reason))
}

// notifyLead tells the lead that an assisting department fed back.
func (m *machine) notifyLead(seq int64, from *whistle.Task) {
	if l := m.lead(); l != nil && l.ID != from.ID {
		m.notifyDept(seq, l, fmt.Sprintf("协办部门%s已反馈「%s」：%s", from.DepartmentName, m.c.Title, from.Feedback.Result))
	}
}

// --- unresolvable ---------------------------------------------------------------

func (m *machine) checkApplyUnresolvable(in UnresolvableInput) error {
	if err := m.checkHolder(in.HolderOrgUnitID); err != nil {
		return err
	}
	if m.c.Status != whistle.CaseOpen {
		return statusConflict(m.c.Status, "申请挂账", "apply to close it as unresolvable")
	}
	if strings.TrimSpace(in.Reason) == "" {
		return whistle.Errorf(whistle.EInvalid, "申请挂账须说明理由", "an unresolvable application needs a reason")
	}
	if u := m.c.Unresolvable; u != nil && u.Status == whistle.UnresolvablePending {
		return whistle.Errorf(whistle.EConflict, "已有待审批的挂账申请", "an unresolvable application is already pending")
	}
	return nil
}

// applyApplyUnresolvable asks the level above (the city answers its own).
func (m *machine) applyApplyUnresolvable(now time.Time, in UnresolvableInput) {
	approver, ok := m.above()
	if !ok {
		approver, _ = m.holder()
	}
	m.c.Unresolvable = &whistle.UnresolvableRequest{Status: whistle.UnresolvablePending, Reason: in.Reason,
		ApproverOrgUnitID: approver.ID, ApproverOrgPath: approver.Path, RequestedAt: now, RequestedBy: in.Actor.Username}
	seq := m.record(now, whistle.EventUnresolvableRequested, in.Actor, "", "", in.Reason)
	m.notifyOrg(seq, approver, "", fmt.Sprintf("「%s」申请挂账，请审批：%s", m.c.Title, in.Reason))
}

func (m *machine) checkAnswerUnresolvable(in AnswerUnresolvableInput) error {
	if m.c.Status == whistle.CaseClosed {
		return statusConflict(m.c.Status, "审批挂账", "answer the application")
	}
	u := m.c.Unresolvable
	if u == nil || u.Status != whistle.UnresolvablePending {
		return whistle.Errorf(whistle.EConflict, "案件没有待审批的挂账申请", "the case has no pending unresolvable application")
	}
	if in.ByOrgUnitID != u.ApproverOrgUnitID {
		return whistle.Errorf(whistle.EForbidden, "挂账申请须由上一级审批", "the level above must answer the application")
	}
	if !in.Approve && strings.TrimSpace(in.Comment) == "" {
		return whistle.Errorf(whistle.EInvalid, "不同意挂账须说明理由", "refusing needs a reason in comment")
	}
	return nil
}

// applyAnswerUnresolvable: approved, every department still owing work is
// released from the case and it closes as unresolvable; refused, it goes on.
func (m *machine) applyAnswerUnresolvable(now time.Time, in AnswerUnresolvableInput) {
	u := *m.c.Unresolvable
	u.AnsweredAt, u.AnsweredBy, u.Comment = ptr(now), in.Actor.Username, in.Comment
	h, _ := m.holder()
	if !in.Approve {
		u.Status = whistle.UnresolvableRefused
		m.c.Unresolvable = &u
		seq := m.record(now, whistle.EventUnresolvableRefused, in.Actor, "", "", in.Comment)
		m.notifyOrg(seq, h, "", fmt.Sprintf("「%s」的挂账申请未获批准：%s", m.c.Title, in.Comment))
		return
	}
	u.Status = whistle.UnresolvableApproved
	m.c.Unresolvable = &u
	seq := m.record(now, whistle.EventUnresolvableApproved, in.Actor, "", "", in.Comment)
	for i := range m.c.Tasks {
		if t := &m.c.Tasks[i]; t.Waiting() {
			m.endTask(t, whistle.TaskDropped, now, "挂账结案")
			m.notifyDept(seq, t, fmt.Sprintf("「%s」已批准挂账，贵部门的任务结束", m.c.Title))
		}
	}
	m.notifyOrg(seq, h, "", fmt.Sprintf("「%s」已批准挂账结案", m.c.Title))
	m.close(now, whistle.OutcomeUnresolvable)
	m.record(now, whistle.EventClosed, whistle.SystemActor, "", "", string(whistle.OutcomeUnresolvable))
}

// --- targeted rework and extension limits ------------------------------------

// checkReworkTargets checks the departments a failed verification names:
// each must have a done task, none twice.
func (m *machine) checkReworkTargets(ids []string) error {
	done := m.evaluable()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return whistle.Errorf(whistle.EInvalid, "部门「%s」重复", "department %q is listed twice", id)
		}
		seen[id] = true
		if !slices.Contains(done, id) {
			return whistle.Errorf(whistle.EInvalid, "部门「%s」在本案没有已办结的任务，不能返工", "department %q has no done task on this case to rework", id)
		}
	}
	return nil
}

// reworks reports whether a failed verification reopens t: every done task
// when no department is named, else only the named departments' tasks.
func reworks(t *whistle.Task, ids []string) bool {
	return t.Status == whistle.TaskDone && (len(ids) == 0 || slices.Contains(ids, t.DepartmentID))
}

// checkExtensionLimits refuses a request past the task's limits: asked
// after the handling deadline, more than the allowed count, or ending past
// the cap. Tasks summoned before limits have none.
func (m *machine) checkExtensionLimits(t *whistle.Task, until *time.Time) error {
	l := t.ExtensionLimits
	if l.Count == 0 && l.Cap == nil {
		return nil
	}
	if !m.now.IsZero() && !m.now.Before(t.HandleDeadline) {
		return whistle.Errorf(whistle.EConflict, "办结期限 %s 已过，不能再申请延期", "the handling deadline %s has passed: ask before it", chinaTime(t.HandleDeadline))
	}
	if l.Count > 0 && t.Extensions >= l.Count {
		return whistle.Errorf(whistle.EConflict, "延期已达上限 %d 次", "the task has had its %d extensions", l.Count)
	}
	if until != nil && l.Cap != nil && until.After(*l.Cap) {
		return whistle.Errorf(whistle.EInvalid, "延期累计不能超过 %s", "extensions may not run past %s in total", chinaTime(*l.Cap))
	}
	return nil
}

// --- workflow -------------------------------------------------------------------

// twowayHandlers registers the updates of issue 13. None changes a
// recorded history: they are new update names.
func (r *run) twowayHandlers(ctx workflow.Context) []error {
	m := r.m
	return []error{
		handle(ctx, r, UpdateDispatch, m.checkDispatch, func(_ workflow.Context, now time.Time, in DispatchInput) error {
			m.applyDispatch(now, in)
			return nil
		}),
		handle(ctx, r, UpdateRecall, m.checkRecall, func(_ workflow.Context, now time.Time, in RecallInput) error {
			m.applyRecall(now, in)
			return nil
		}),
		handle(ctx, r, UpdateAnswerEscalation, m.checkAnswerEscalation, func(ctx workflow.Context, now time.Time, in AnswerEscalationInput) error {
			var due *time.Time
			if e := m.c.OpenEscalation(); in.Accept && e.Status == whistle.EscalationInReview {
				// Reviewed: the level above's answer clock starts now.
				dl, err := r.deadlines(ctx, e.To, now)
				if err != nil {
					return err
				}
				due = &dl.Report
			}
			m.applyAnswerEscalation(now, in, due)
			return nil
		}),
		handle(ctx, r, UpdateAnswerReturn, m.checkAnswerReturn, func(_ workflow.Context, now time.Time, in AnswerReturnInput) error {
			m.applyAnswerReturn(now, in)
			return nil
		}),
		handle(ctx, r, UpdateDrop, m.checkDrop, func(_ workflow.Context, now time.Time, in DropInput) error {
			m.applyDrop(now, in)
			return nil
		}),
		handle(ctx, r, UpdateSetLead, m.checkSetLead, func(_ workflow.Context, now time.Time, in SetLeadInput) error {
			m.applySetLead(now, in)
			return nil
		}),
		handle(ctx, r, UpdateRelease, m.checkRelease, func(_ workflow.Context, now time.Time, in ReleaseInput) error {
			m.applyRelease(now, in)
			return nil
		}),
		handle(ctx, r, UpdateApplyUnresolvable, m.checkApplyUnresolvable, func(_ workflow.Context, now time.Time, in UnresolvableInput) error {
			m.applyApplyUnresolvable(now, in)
			return nil
		}),
		handle(ctx, r, UpdateAnswerUnresolvable, m.checkAnswerUnresolvable, func(_ workflow.Context, now time.Time, in AnswerUnresolvableInput) error {
			m.applyAnswerUnresolvable(now, in)
			return nil
		}),
	}
}
