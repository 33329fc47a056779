package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// The rules of the closed loop as plain functions on a case, so they are
// unit-testable without Temporal and so an update's validator and its
// handler share one check. Every check* function only reads; every apply*
// function assumes its check passed, changes the case, appends timeline
// entries (one Seq each, no gaps) and queues notifications in the outbox.
// Nothing here blocks, reads the clock or calls out: values that need the
// database (deadlines, windows) are passed in by the workflow.

// verifyEscalateEvery: every third failed verification (3rd, 6th, ...)
// also escalates the case, "repeated failure escalates".
const verifyEscalateEvery = 3

// machine is a case and what its rules need beyond it.
type machine struct {
	c     whistle.Case
	chain []OrgRef
	// defaultSat is the policy's default satisfaction, fetched when the
	// evaluation window opened.
	defaultSat whistle.Satisfaction
	// outbox holds notifications queued by apply functions until the
	// workflow sends them.
	outbox []Notification
	// filedAt is the filing level's unit (the first of the filing chain):
	// dispatch replaces chain, not who filed.
	filedAt OrgRef
	// now is the workflow time of the update being checked, set before
	// each check (checks read it, never the clock).
	now time.Time
}

// newMachine files a new case from the workflow input: status open (or
// pending when no departments are named), held by the first level of the
// chain, timeline "filed". The departments are summoned separately, once
// their deadlines are known; a pending case's acceptance clock likewise.
func newMachine(in WhistleInput) (*machine, error) {
	if err := checkInput(in); err != nil {
		return nil, err
	}
	holder := in.Chain[0]
	status := whistle.CaseOpen
	if len(in.Departments) == 0 {
		status = whistle.CasePending
	}
	m := &machine{chain: in.Chain, filedAt: in.Chain[0], c: whistle.Case{
		ID: in.ID, Number: in.Number, Title: in.Title, Description: in.Description, Category: in.Category,
		CatalogueItem: in.CatalogueItem, Source: in.Source, Class: in.Class,
		Status: status, Location: in.Location, Photos: slices.Clone(in.Photos),
		OrgUnitID: in.OrgUnitID, OrgPath: in.OrgPath,
		Level: holder.Level, HolderOrgUnitID: holder.ID, HolderOrgPath: holder.Path,
		FiledBy: in.Filer.Username, FiledByUserID: in.Filer.UserID,
		Tasks: []whistle.Task{}, Escalations: []whistle.Escalation{}, Evaluations: []whistle.Evaluation{},
		Breaches: []whistle.Breach{}, Timeline: []whistle.TimelineEntry{},
		CreatedAt: in.CreatedAt, UpdatedAt: in.CreatedAt, CallbackRequired: in.CallbackRequired,
	}}
	m.record(in.CreatedAt, whistle.EventFiled, in.Filer, "", "", fmt.Sprintf("%s %s", in.Class, in.Title))
	return m, nil
}

// CheckFiling returns the refusal the workflow would give the filing in,
// with its code and messages, or nil. The workflow refuses a filing only
// by failing, which would burn the case id, so the API asks before it
// starts one.
func CheckFiling(in WhistleInput) error {
	if err := checkInput(in); err != nil {
		return err
	}
	if len(in.Departments) == 0 {
		return nil // filed pending: the holder accepts and names them
	}
	return checkDepartments(in.Departments)
}

// checkInput refuses a start the API should never have sent.
func checkInput(in WhistleInput) error {
	switch {
	case in.ID == "":
		return whistle.Errorf(whistle.EInvalid, "缺少案件编号", "case id is required")
	case !in.Class.Valid():
		return whistle.Errorf(whistle.EInvalid, "哨类「%s」无效", "unknown class %q", in.Class)
	case len(in.Chain) == 0:
		return whistle.Errorf(whistle.EInvalid, "缺少指挥链", "the command chain is empty")
	}
	for _, o := range in.Chain {
		if !o.Level.Valid() || o.ID == "" {
			return whistle.Errorf(whistle.EInvalid, "指挥链中的层级「%s」无效", "bad level %q in the command chain", o.Level)
		}
	}
	return nil
}

// --- bookkeeping ------------------------------------------------------------

// record appends a timeline entry with the next Seq and returns it.
func (m *machine) record(now time.Time, typ string, a whistle.Actor, taskID, deptID, detail string) int64 {
	m.c.Seq++
	actor := a.Username
	if actor == "" {
		actor = whistle.SystemActor.Username
	}
	m.c.Timeline = append(m.c.Timeline, whistle.TimelineEntry{
		Seq: m.c.Seq, At: now, Type: typ, Actor: actor, TaskID: taskID, DepartmentID: deptID, Detail: detail,
	})
	m.c.UpdatedAt = now
	return m.c.Seq
}

func (m *machine) notifyOrg(seq int64, to OrgRef, taskID, msg string) {
	m.outbox = append(m.outbox, m.note(seq, taskID, msg, func(n *Notification) {
		n.Level, n.OrgUnitID, n.OrgPath = to.Level, to.ID, to.Path
	}))
}

func (m *machine) notifyDept(seq int64, t *whistle.Task, msg string) {
	m.outbox = append(m.outbox, m.note(seq, t.ID, msg, func(n *Notification) { n.DepartmentID = t.DepartmentID }))
}

func (m *machine) note(seq int64, taskID, msg string, to func(*Notification)) Notification {
	e := m.c.Timeline[len(m.c.Timeline)-1]
	for i := len(m.c.Timeline) - 1; i >= 0; i-- {
		if m.c.Timeline[i].Seq == seq {
			e = m.c.Timeline[i]
			break
		}
	}
	n := Notification{CaseID: m.c.ID, Seq: seq, Event: e.Type, At: e.At, Title: m.c.Title,
		Class: string(m.c.Class), TaskID: taskID, Message: msg, Number: m.c.Number}
	to(&n)
	return n
}

// due sets the deadline of the notification queued last.
func (m *machine) due(t time.Time) {
	if n := len(m.outbox); n > 0 {
		m.outbox[n-1].Deadline = ptr(t)
	}
}

// takeOutbox returns and clears the queued notifications.
func (m *machine) takeOutbox() []Notification {
	out := m.outbox
	m.outbox = nil
	return out
}

// holder returns the org unit now holding the case and its chain index.
func (m *machine) holder() (OrgRef, int) {
	for i, o := range m.chain {
		if o.ID == m.c.HolderOrgUnitID {
			return o, i
		}
	}
	for i, o := range m.chain {
		if o.Level == m.c.Level {
			return o, i
		}
	}
	return OrgRef{ID: m.c.HolderOrgUnitID, Path: m.c.HolderOrgPath, Level: m.c.Level}, len(m.chain) - 1
}

// above returns the org unit above the holder in the chain; false at the top.
func (m *machine) above() (OrgRef, bool) {
	_, i := m.holder()
	if i+1 < len(m.chain) {
		return m.chain[i+1], true
	}
	return OrgRef{}, false
}

func (m *machine) filer() OrgRef {
	return OrgRef{ID: m.c.OrgUnitID, Path: m.c.OrgPath, Level: m.filedAt.Level}
}

func (m *machine) task(id string) (*whistle.Task, error) {
	if id == "" {
		return nil, whistle.Errorf(whistle.EInvalid, "缺少任务编号", "task id is required")
	}
	for i := range m.c.Tasks {
		if m.c.Tasks[i].ID == id {
			return &m.c.Tasks[i], nil
		}
	}
	return nil, whistle.Errorf(whistle.ENotFound, "本案没有任务「%s」", "no task %q on this case", id)
}

// ownTask finds the task and refuses an actor of another department.
func (m *machine) ownTask(a whistle.Actor, id string) (*whistle.Task, error) {
	t, err := m.task(id)
	if err != nil {
		return nil, err
	}
	if a.DepartmentID == "" || a.DepartmentID != t.DepartmentID {
		return nil, whistle.Errorf(whistle.EForbidden, "只能办理本部门的任务", "you may act only on your own department's task")
	}
	return t, nil
}

func (m *machine) resolveBreaches(taskID, kind string, now time.Time) {
	for i := range m.c.Breaches {
		b := &m.c.Breaches[i]
		if b.TaskID == taskID && !b.Resolved && (kind == "" || b.Kind == kind) {
			b.Resolved, b.ResolvedAt = true, ptr(now)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func levelZH(l whistle.Level) string {
	return map[whistle.Level]string{whistle.LevelCommunity: "社区", whistle.LevelStreet: "街道",
		whistle.LevelDistrict: "区", whistle.LevelCity: "市"}[l]
}

func statusConflict(c whistle.CaseStatus, zhDoing, enDoing string) error {
	return &whistle.Error{Code: whistle.EConflict,
		Message:   fmt.Sprintf("案件当前状态为「%s」，不能%s", c, zhDoing),
		MessageEN: fmt.Sprintf("the case is %s: cannot %s", c, enDoing)}
}

// checkHolder refuses an action the API authorized against another holder
// than the case's current one: two escalations sent at once must not both
// land (the second would skip a level). An empty holder, from histories
// recorded before the API sent it, skips the check.
func (m *machine) checkHolder(authorizedAt string) error {
	if authorizedAt == "" || authorizedAt == m.c.HolderOrgUnitID {
		return nil
	}
	return whistle.Errorf(whistle.EConflict, "案件在您打开后已转到其他层级，请刷新后重试",
		"the case has moved to another level since you loaded it; reload")
}

func taskConflict(t *whistle.Task, zhDoing, enDoing string) error {
	return &whistle.Error{Code: whistle.EConflict,
		Message:   fmt.Sprintf("任务当前状态为「%s」，不能%s", t.Status, zhDoing),
		MessageEN: fmt.Sprintf("the task is %s: cannot %s", t.Status, enDoing)}
}

// --- summon -----------------------------------------------------------------

// checkDepartments checks a list of departments to summon on its own:
// at least one, each named, none twice.
func checkDepartments(ds []DepartmentRef) error {
	if len(ds) == 0 {
		return whistle.Errorf(whistle.EInvalid, "至少吹哨一个部门", "summon at least one department")
	}
	seen := map[string]bool{}
	for _, d := range ds {
		if d.ID == "" {
			return whistle.Errorf(whistle.EInvalid, "缺少部门编号", "department id is required")
		}
		if seen[d.ID] {
			return whistle.Errorf(whistle.EInvalid, "部门「%s」重复", "department %q is listed twice", d.ID)
		}
		seen[d.ID] = true
	}
	return nil
}

func (m *machine) checkSummon(in SummonInput) error {
	if err := m.checkHolder(in.HolderOrgUnitID); err != nil {
		return err
	}
	if m.c.Status != whistle.CaseOpen {
		return statusConflict(m.c.Status, "吹哨", "summon")
	}
	if err := checkDepartments(in.Departments); err != nil {
		return err
	}
	for _, d := range in.Departments {
		for i := range m.c.Tasks {
			if t := &m.c.Tasks[i]; t.DepartmentID == d.ID && t.Active() {
				return whistle.Errorf(whistle.EConflict, "部门「%s」在本案已有未办结的任务", "department %q already has an active task on this case", d.ID)
			}
		}
	}
	if in.RerouteTaskID != "" {
		t, err := m.task(in.RerouteTaskID)
		if err != nil {
			return err
		}
		if t.Status != whistle.TaskReturned {
			return taskConflict(t, "改派", "reroute it")
		}
		if t.Rerouted {
			return whistle.Errorf(whistle.EConflict, "任务「%s」已改派", "task %q was already rerouted", t.ID)
		}
	}
	return nil
}

// applySummon adds one summoned task per department with the deadlines dl
// (both clocks from the policy in force now) and returns their ids.
func (m *machine) applySummon(now time.Time, a whistle.Actor, in SummonInput, dl whistle.Deadlines) []string {
	detail := ""
	if in.RerouteTaskID != "" {
		t, _ := m.task(in.RerouteTaskID)
		t.Rerouted = true
		m.record(now, whistle.EventRerouted, a, t.ID, t.DepartmentID, t.ReturnReason)
		detail = "改派自 " + t.ID
	}
	ids := make([]string, 0, len(in.Departments))
	for _, d := range in.Departments {
		id := fmt.Sprintf("%s-T%d", m.c.ID, len(m.c.Tasks)+1)
		m.c.Tasks = append(m.c.Tasks, whistle.Task{
			ID: id, CaseID: m.c.ID, DepartmentID: d.ID, DepartmentName: d.Name,
			Status: whistle.TaskSummoned, SummonedAt: now, SummonedBy: a.Username, SummonedLevel: m.c.Level,
			ReportDeadline: dl.Report, HandleDeadline: dl.Handle, ExtensionLimits: dl.Extensions,
			WarnAt: dl.Warnings,
		})
		t := &m.c.Tasks[len(m.c.Tasks)-1]
		det := strings.TrimSpace(d.Name + " " + detail)
		seq := m.record(now, whistle.EventSummoned, a, id, d.ID, det)
		m.notifyDept(seq, t, fmt.Sprintf("%s「%s」吹哨，请于 %s 前报到", m.c.Class.NameZH(), m.c.Title, chinaTime(dl.Report)))
		m.due(dl.Report)
		ids = append(ids, id)
	}
	return ids
}

// --- department actions -----------------------------------------------------

func (m *machine) checkReport(in ReportInput) error {
	t, err := m.ownTask(in.Actor, in.TaskID)
	if err != nil {
		return err
	}
	if t.Status != whistle.TaskSummoned {
		return taskConflict(t, "报到", "report for duty")
	}
	return nil
}

func (m *machine) applyReport(now time.Time, in ReportInput) {
	t, _ := m.task(in.TaskID)
	t.Status, t.ReportedAt = whistle.TaskReported, ptr(now)
	m.resolveBreaches(t.ID, whistle.BreachReport, now)
	m.record(now, whistle.EventReported, in.Actor, t.ID, t.DepartmentID, "")
}

func (m *machine) checkFeedback(in FeedbackInput) error {
	t, err := m.ownTask(in.Actor, in.TaskID)
	if err != nil {
		return err
	}
	if strings.TrimSpace(in.Result) == "" {
		return whistle.Errorf(whistle.EInvalid, "请填写处置结果", "result is required")
	}
	if t.Status == whistle.TaskSummoned {
		return whistle.Errorf(whistle.EConflict, "请先报到再反馈", "report for duty before submitting feedback")
	}
	if t.Status != whistle.TaskReported {
		return taskConflict(t, "反馈", "submit feedback")
	}
	return nil
}

func (m *machine) applyFeedback(now time.Time, in FeedbackInput) {
	t, _ := m.task(in.TaskID)
	t.Status, t.DoneAt = whistle.TaskDone, ptr(now)
	t.Feedback = &whistle.Feedback{Result: in.Result, Notes: in.Notes, Evidence: slices.Clone(in.Evidence),
		Files: slices.Clone(in.Files), BeforeFiles: slices.Clone(in.BeforeFiles), At: now, By: in.Actor.Username}
	m.resolveBreaches(t.ID, "", now)
	seq := m.record(now, whistle.EventFeedback, in.Actor, t.ID, t.DepartmentID, in.Result)
	m.notifyLead(seq, t)
}

func (m *machine) checkReturn(in ReturnInput) error {
	t, err := m.ownTask(in.Actor, in.TaskID)
	if err != nil {
		return err
	}
	if strings.TrimSpace(in.Reason) == "" {
		return whistle.Errorf(whistle.EInvalid, "退回须说明理由", "a return needs a reason")
	}
	if !t.Active() {
		return taskConflict(t, "退回", "return it")
	}
	return nil
}

// applyReturn returns the task; its open breaches resolve (the department
// answered), and the holder level is told to re-route.
func (m *machine) applyReturn(now time.Time, in ReturnInput) {
	t, _ := m.task(in.TaskID)
	t.Status, t.ReturnedAt, t.ReturnReason = whistle.TaskReturned, ptr(now), in.Reason
	m.resolveBreaches(t.ID, "", now)
	seq := m.record(now, whistle.EventReturned, in.Actor, t.ID, t.DepartmentID, in.Reason)
	h, _ := m.holder()
	m.notifyOrg(seq, h, t.ID, fmt.Sprintf("「%s」被%s退回，请改派：%s", m.c.Title, t.DepartmentName, in.Reason))
}

// checkRequestExtension checks an extension request. Extra must be a
// worktime span; the new end must be after the current handling deadline
// and, like extra, at most worktime.MaxSpanDays beyond it.
func (m *machine) checkRequestExtension(in ExtensionInput) error {
	t, err := m.ownTask(in.Actor, in.TaskID)
	if err != nil {
		return err
	}
	if strings.TrimSpace(in.Reason) == "" {
		return whistle.Errorf(whistle.EInvalid, "申请延期须说明理由", "an extension request needs a reason")
	}
	switch {
	case in.Until != nil && in.Extra != "":
		return whistle.Errorf(whistle.EInvalid, "延期时间与延长时长只能填一项", "give either until or extra, not both")
	case in.Until == nil && in.Extra == "":
		return whistle.Errorf(whistle.EInvalid, "请填写延期到的时间或延长时长", "give until or extra")
	case in.Until != nil && !in.Until.After(t.HandleDeadline):
		return whistle.Errorf(whistle.EInvalid, "延期时间须晚于当前办结期限 %s", "the new end must be after the current deadline %s", chinaTime(t.HandleDeadline))
	case in.Until != nil && (worktime.Span{Clock: in.Until.Sub(t.HandleDeadline)}).TooLong():
		// The cap ParseSpan puts on extra, measured from the same deadline.
		return whistle.Errorf(whistle.EInvalid, "延期时间距当前办结期限 %s 不能超过 %d 天", "the new end may be at most %[2]d days after the current deadline %[1]s",
			chinaTime(t.HandleDeadline), worktime.MaxSpanDays)
	case in.Extra != "":
		s, err := worktime.ParseSpan(in.Extra)
		if err != nil || s.Days < 0 || s.Clock < 0 || (s.Days == 0 && s.Clock == 0) {
			return whistle.Errorf(whistle.EInvalid, "延长时长「%s」无效（例如 2d、4h）", "extra %q is not a valid span (e.g. 2d, 4h)", in.Extra)
		}
	}
	if !t.Active() {
		return taskConflict(t, "申请延期", "ask for an extension")
	}
	if t.Extension != nil && t.Extension.Status == whistle.ExtensionPending {
		return whistle.Errorf(whistle.EConflict, "已有待答复的延期申请", "an extension request is already pending")
	}
	return m.checkExtensionLimits(t, in.Until)
}

func (m *machine) applyRequestExtension(now time.Time, in ExtensionInput, until time.Time) {
	t, _ := m.task(in.TaskID)
	t.Extension = &whistle.ExtensionRequest{Until: until, Reason: in.Reason, Status: whistle.ExtensionPending,
		RequestedAt: now, RequestedBy: in.Actor.Username}
	seq := m.record(now, whistle.EventExtensionRequested, in.Actor, t.ID, t.DepartmentID,
		fmt.Sprintf("%s: %s", chinaTime(until), in.Reason))
	h, _ := m.holder()
	m.notifyOrg(seq, h, t.ID, fmt.Sprintf("%s申请将「%s」延期至 %s：%s", t.DepartmentName, m.c.Title, chinaTime(until), in.Reason))
}

func (m *machine) checkAnswerExtension(in AnswerExtensionInput) error {
	if err := m.checkHolder(in.HolderOrgUnitID); err != nil {
		return err
	}
	t, err := m.task(in.TaskID)
	if err != nil {
		return err
	}
	if t.Extension == nil || t.Extension.Status != whistle.ExtensionPending {
		return whistle.Errorf(whistle.EConflict, "该任务没有待答复的延期申请", "the task has no pending extension request")
	}
	if !t.Active() {
		return taskConflict(t, "答复延期", "answer its extension")
	}
	return nil
}

// applyAnswerExtension answers the pending request: granted moves the
// handling deadline (and re-arms its clock), refused leaves it.
func (m *machine) applyAnswerExtension(now time.Time, in AnswerExtensionInput) {
	t, _ := m.task(in.TaskID)
	e := *t.Extension
	e.AnsweredAt, e.AnsweredBy, e.Comment = ptr(now), in.Actor.Username, in.Comment
	typ, msg := whistle.EventExtensionRefused, "延期申请未获批准"
	if in.Grant {
		e.Status = whistle.ExtensionGranted
		t.HandleDeadline, t.HandleBreached = e.Until, false
		t.Extensions++
		typ, msg = whistle.EventExtensionGranted, "延期申请已批准，新的办结期限 "+chinaTime(e.Until)
	} else {
		e.Status = whistle.ExtensionRefused
	}
	t.Extension = &e
	seq := m.record(now, typ, in.Actor, t.ID, t.DepartmentID, in.Comment)
	m.notifyDept(seq, t, fmt.Sprintf("「%s」%s", m.c.Title, msg))
}

// --- verify and evaluate ----------------------------------------------------

func (m *machine) checkVerify(in VerifyInput) error {
	if err := m.checkHolder(in.HolderOrgUnitID); err != nil {
		return err
	}
	if m.c.Status != whistle.CaseVerifying {
		return statusConflict(m.c.Status, "核查", "verify")
	}
	if in.Passed && len(in.DepartmentIDs) > 0 {
		return whistle.Errorf(whistle.EInvalid, "核查通过时不能指定返工部门", "department_ids names the departments to rework: only with passed false")
	}
	return m.checkReworkTargets(in.DepartmentIDs)
}

// applyVerifyPassed opens the evaluation window.
func (m *machine) applyVerifyPassed(now time.Time, in VerifyInput, w EvaluationWindow) {
	m.c.Status, m.c.VerifiedAt, m.c.EvaluationDue = whistle.CaseEvaluating, ptr(now), ptr(w.Due)
	m.defaultSat = w.DefaultSatisfaction
	if m.c.CallbackRequired {
		m.c.Callback = whistle.CallbackPending
	}
	m.record(now, whistle.EventVerified, in.Actor, "", "", in.Comment)
}

// reopenLevels lists, in task order, the summoning levels of the done
// tasks a failed verification naming ids reopens: their fresh clocks come
// from those levels' policies.
func (m *machine) reopenLevels(ids []string) []whistle.Level {
	var out []whistle.Level
	for _, t := range m.c.Tasks {
		if reworks(&t, ids) && !slices.Contains(out, t.SummonedLevel) {
			out = append(out, t.SummonedLevel)
		}
	}
	return out
}

// applyVerifyFailed sends the case back to open: the done tasks of the
// departments named (all when none is) reopen to reported with the fresh
// clocks for their level, and every third failure escalates the case.
func (m *machine) applyVerifyFailed(now time.Time, in VerifyInput, fresh map[whistle.Level]whistle.Deadlines) {
	m.c.Status = whistle.CaseOpen
	m.c.VerifyFailures++
	m.record(now, whistle.EventVerificationFailed, in.Actor, "", "", in.Comment)
	for i := range m.c.Tasks {
		t := &m.c.Tasks[i]
		if !reworks(t, in.DepartmentIDs) {
			continue
		}
		t.Status, t.DoneAt = whistle.TaskReported, nil
		dl := fresh[t.SummonedLevel]
		t.HandleDeadline, t.HandleBreached, t.ExtensionLimits = dl.Handle, false, dl.Extensions
		t.WarnAt.Handle, t.WarnedHandle = dl.Warnings.Handle, 0
		t.Reopened++
		seq := m.record(now, whistle.EventReopened, in.Actor, t.ID, t.DepartmentID, in.Comment)
		m.notifyDept(seq, t, fmt.Sprintf("「%s」核查未通过，请于 %s 前重新办结：%s", m.c.Title, chinaTime(t.HandleDeadline), in.Comment))
	}
	if m.c.VerifyFailures%verifyEscalateEvery == 0 {
		m.escalate(now, in.Actor, whistle.EscalationVerification,
			fmt.Sprintf("核查第 %d 次未通过", m.c.VerifyFailures))
	}
}

// evaluable lists the departments with a done task, in task order.
func (m *machine) evaluable() []string {
	var out []string
	for _, t := range m.c.Tasks {
		if t.Status == whistle.TaskDone && !slices.Contains(out, t.DepartmentID) {
			out = append(out, t.DepartmentID)
		}
	}
	return out
}

// evaluatorLevel is the level an evaluation is credited to: the
// evaluator's own (a community's secretary evaluating after escalation is
// still a community's), the holder's for an actor without a unit.
func (m *machine) evaluatorLevel(a whistle.Actor) whistle.Level {
	if a.OrgPath.Valid() {
		return a.OrgPath.Level()
	}
	return m.c.Level
}

func (m *machine) evaluated(dept string) bool {
	return slices.ContainsFunc(m.c.Evaluations, func(e whistle.Evaluation) bool { return e.DepartmentID == dept })
}

func (m *machine) checkEvaluate(in EvaluateInput) error {
	if err := m.checkHolder(in.HolderOrgUnitID); err != nil {
		return err
	}
	if m.c.Status != whistle.CaseEvaluating {
		return statusConflict(m.c.Status, "评价", "evaluate")
	}
	if in.DepartmentID == "" {
		return whistle.Errorf(whistle.EInvalid, "缺少部门编号", "department id is required")
	}
	for _, s := range []struct {
		zh, en string
		v      int
	}{{"及时性", "timeliness", in.Timeliness}, {"质量", "quality", in.Quality}, {"态度", "attitude", in.Attitude}} {
		if s.v < 1 || s.v > 5 {
			return whistle.Errorf(whistle.EInvalid, s.zh+"评分须为 1–5，收到 %d", s.en+" must be 1–5, got %d", s.v)
		}
	}
	if m.c.CallbackRequired {
		// The resident's satisfaction comes from the call-back (回访), never
		// typed in by the evaluator; the call-back comes first.
		if in.Satisfaction != "" {
			return whistle.Errorf(whistle.EInvalid, "本案满意度以回访居民的结果为准，评价时不能填写满意度（satisfaction 留空）",
				"this case's satisfaction is the resident's, from the call-back: leave satisfaction empty")
		}
		if m.c.Callback == whistle.CallbackPending || m.c.Callback == "" {
			return whistle.Errorf(whistle.EConflict, "请先回访居民（记录回访结果），再评价部门",
				"call the resident back (record the call-back) before evaluating the departments")
		}
	} else if !in.Satisfaction.Valid() {
		return whistle.Errorf(whistle.EInvalid, "满意度「%s」无效（satisfied、basically_satisfied 或 dissatisfied）",
			"satisfaction %q must be satisfied, basically_satisfied or dissatisfied", in.Satisfaction)
	}
	if !slices.Contains(m.evaluable(), in.DepartmentID) {
		return whistle.Errorf(whistle.ENotFound, "部门「%s」在本案没有已办结的任务", "department %q has no done task on this case", in.DepartmentID)
	}
	if m.evaluated(in.DepartmentID) {
		return whistle.Errorf(whistle.EConflict, "部门「%s」已评价", "department %q was already evaluated", in.DepartmentID)
	}
	return nil
}

// applyEvaluate records the evaluation. On a case with a call-back the
// satisfaction is the resident's from it ("" when the resident was not
// reached: such an evaluation counts apart, docs/supervision.md 回访).
func (m *machine) applyEvaluate(now time.Time, in EvaluateInput) {
	sat, shown := in.Satisfaction, string(in.Satisfaction)
	if m.c.CallbackRequired {
		sat = m.c.CallbackSatisfaction()
		shown = string(sat)
		if sat == "" {
			shown = m.c.Callback
		}
	}
	m.c.Evaluations = append(m.c.Evaluations, whistle.Evaluation{
		CaseID: m.c.ID, DepartmentID: in.DepartmentID, Timeliness: in.Timeliness, Quality: in.Quality,
		Attitude: in.Attitude, Satisfaction: sat, Comment: in.Comment,
		Level: m.evaluatorLevel(in.Actor), OrgUnitID: in.Actor.OrgUnitID, At: now, By: in.Actor.Username,
	})
	m.record(now, whistle.EventEvaluated, in.Actor, "", in.DepartmentID,
		fmt.Sprintf("%d/%d/%d %s", in.Timeliness, in.Quality, in.Attitude, shown))
}

// --- call-back (回访) ----------------------------------------------------------

// callbackSkew is how far past the workflow's clock a recorded attempt's
// time may lie (the recorder's clock is not the server's).
const callbackSkew = 5 * time.Minute

// checkCallback checks one call-back attempt: only on a case that needs
// one, once it is verified and until the resident is reached or
// CallbackMaxAttempts attempts failed; the method known; the time not in
// the future nor before the verification; a satisfaction exactly when
// reached.
func (m *machine) checkCallback(in CallbackInput) error {
	if !m.c.CallbackRequired {
		return whistle.Errorf(whistle.EConflict, "本案无需回访（来源不是居民或 12345 热线，或立案早于回访规则）",
			"this case needs no call-back (not from a resident or the hotline, or filed before the call-back rule)")
	}
	if m.c.Status != whistle.CaseEvaluating {
		return statusConflict(m.c.Status, "回访", "record a call-back")
	}
	if m.c.Callback != whistle.CallbackPending {
		return whistle.Errorf(whistle.EConflict, "回访已结束（%s），不能再记录", "the call-back is over (%s): nothing more to record", m.c.Callback)
	}
	if !whistle.ValidCallbackMethod(in.Method) {
		return whistle.Errorf(whistle.EInvalid, "回访方式「%s」无效（phone、sms、visit 或 online）",
			"call-back method %q must be phone, sms, visit or online", in.Method)
	}
	if in.At != nil {
		if in.At.After(m.now.Add(callbackSkew)) {
			return whistle.Errorf(whistle.EInvalid, "回访时间 %s 晚于现在", "the call-back time %s is in the future", chinaTime(*in.At))
		}
		// Forms give the minute: an attempt in the verification's own
		// minute is not before it.
		if m.c.VerifiedAt != nil && in.At.Before(m.c.VerifiedAt.Truncate(time.Minute)) {
			return whistle.Errorf(whistle.EInvalid, "回访时间 %s 早于核查通过时间 %s", "the call-back time %s is before the verification %s",
				chinaTime(*in.At), chinaTime(*m.c.VerifiedAt))
		}
	}
	switch {
	case in.Reached && !in.Satisfaction.Valid():
		return whistle.Errorf(whistle.EInvalid, "已联系上居民时须记录其满意度（satisfied、basically_satisfied 或 dissatisfied），收到「%s」",
			"a reached resident's satisfaction is required (satisfied, basically_satisfied or dissatisfied), got %q", in.Satisfaction)
	case !in.Reached && in.Satisfaction != "":
		return whistle.Errorf(whistle.EInvalid, "未联系上居民时不能记录满意度", "no satisfaction when the resident was not reached")
	}
	return nil
}

// applyCallback records the attempt on the case and the timeline. A
// reached resident settles the call-back (their satisfaction is the
// case's); the CallbackMaxAttempts-th unanswered attempt settles it as
// not reached; before that it stays pending for another try.
func (m *machine) applyCallback(now time.Time, in CallbackInput) {
	at := now
	if in.At != nil {
		at = *in.At
	}
	n := len(m.c.Callbacks) + 1
	a := whistle.CallbackAttempt{N: n, At: at, RecordedAt: now, Method: in.Method, Reached: in.Reached,
		Satisfaction: in.Satisfaction, Note: in.Note, By: in.Actor.Username, OrgUnitID: in.Actor.OrgUnitID}
	// A new slice, not an append into the old one's spare room: copies
	// handed out earlier (copyCase) must not change.
	m.c.Callbacks = append(slices.Clip(m.c.Callbacks), a)
	detail := fmt.Sprintf("%s reached %s", in.Method, in.Satisfaction)
	switch {
	case in.Reached:
		m.c.Callback = whistle.CallbackReached
	case n >= whistle.CallbackMaxAttempts:
		m.c.Callback = whistle.CallbackUnreached
		detail = fmt.Sprintf("%s unreached %d/%d", in.Method, n, whistle.CallbackMaxAttempts)
	default:
		detail = fmt.Sprintf("%s unreached %d/%d", in.Method, n, whistle.CallbackMaxAttempts)
	}
	if in.Note != "" {
		detail += ": " + in.Note
	}
	m.record(now, whistle.EventCallback, in.Actor, "", "", detail)
}

// settleCallback ends a call-back still pending when the evaluation window
// closes: not reached when some attempt was made, expired (未回访) when
// none was. Either way the case counts apart from the satisfaction rate.
func (m *machine) settleCallback(now time.Time) {
	if !m.c.CallbackRequired || m.c.Callback != whistle.CallbackPending {
		return
	}
	m.c.Callback = whistle.CallbackExpired
	if len(m.c.Callbacks) > 0 {
		m.c.Callback = whistle.CallbackUnreached
	}
	m.record(now, whistle.EventCallbackSettled, whistle.SystemActor, "", "", m.c.Callback)
}

// --- escalation ---------------------------------------------------------------

func (m *machine) checkEscalate(in EscalateInput) error {
	if err := m.checkHolder(in.HolderOrgUnitID); err != nil {
		return err
	}
	if m.c.Status != whistle.CaseOpen {
		return statusConflict(m.c.Status, "上报", "escalate")
	}
	if strings.TrimSpace(in.Reason) == "" {
		return whistle.Errorf(whistle.EInvalid, "上报须说明理由", "an escalation needs a reason")
	}
	if _, ok := m.above(); !ok {
		return whistle.Errorf(whistle.EConflict, "案件已在市级，无法再上报", "the case is already at the city: nowhere to escalate")
	}
	if e := m.c.OpenEscalation(); e != nil {
		return whistle.Errorf(whistle.EConflict, "上一次上报尚待答复", "the last escalation still awaits its answer")
	}
	return nil
}

// escalate moves the case one level up the chain and tells the new holder;
// it returns false (and changes nothing) at the top of the chain.
func (m *machine) escalate(now time.Time, a whistle.Actor, kind, reason string) bool {
	from, _ := m.holder()
	to, ok := m.above()
	if !ok {
		return false
	}
	m.supersedeEscalation(now)
	m.c.Level, m.c.HolderOrgUnitID, m.c.HolderOrgPath = to.Level, to.ID, to.Path
	seq := m.record(now, whistle.EventEscalated, a, "", "", fmt.Sprintf("%s → %s (%s): %s", from.Level, to.Level, kind, reason))
	by := a.Username
	if by == "" {
		by = whistle.SystemActor.Username
	}
	m.c.Escalations = append(m.c.Escalations, whistle.Escalation{
		Seq: seq, CaseID: m.c.ID, From: from.Level, To: to.Level, FromOrgUnitID: from.ID, ToOrgUnitID: to.ID,
		Kind: kind, Reason: reason, At: now, By: by, ToOrgPath: to.Path,
	})
	m.notifyOrg(seq, to, "", fmt.Sprintf("「%s」由%s升级至%s：%s", m.c.Title, levelZH(from.Level), levelZH(to.Level), reason))
	return true
}

func (m *machine) applyEscalate(now time.Time, in EscalateInput) {
	m.escalate(now, in.Actor, whistle.EscalationRequested, in.Reason)
}

// --- clocks -----------------------------------------------------------------

// nextDeadline is the earliest clock still armed: a report deadline of a
// summoned task, a handling deadline of an active task (each fires once
// per clock), the evaluation window, or a pending case's acceptance
// deadline (once).
func (m *machine) nextDeadline() (time.Time, bool) {
	var next time.Time
	consider := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, t := range m.c.Tasks {
		cs := clockStatus(&t)
		if cs == whistle.TaskSummoned && !t.ReportBreached {
			consider(t.ReportDeadline)
		}
		if (cs == whistle.TaskSummoned || cs == whistle.TaskReported) && !t.HandleBreached {
			consider(t.HandleDeadline)
		}
	}
	if e := m.c.OpenEscalation(); e != nil && e.Status == whistle.EscalationPending && e.AnswerDeadline != nil && !e.AnswerBreached {
		consider(*e.AnswerDeadline)
	}
	m.considerFollowup(consider)
	if m.c.Status == whistle.CaseEvaluating && m.c.EvaluationDue != nil {
		consider(*m.c.EvaluationDue)
	}
	if m.c.Status == whistle.CasePending && m.c.AcceptDeadline != nil && !m.c.AcceptBreached {
		consider(*m.c.AcceptDeadline)
	}
	return next, !next.IsZero()
}

// onClock fires every clock due at now and reports whether anything
// changed. A missed report deadline records a report breach and alerts the
// level above the holder; a missed handling deadline marks the task and the
// case overdue, records a handle breach and escalates the case one level —
// once per tick however many tasks missed together, so a joint whistle's
// shared deadline moves the case one level, not several. A closed
// evaluation window evaluates the rest by default and closes the case.
func (m *machine) onClock(now time.Time) bool {
	before := m.c.Seq
	escalated := false
	m.acceptClock(now)
	m.escalationClock(now)
	m.warnClock(now)
	m.orderClock(now)
	for i := range m.c.Tasks {
		t := &m.c.Tasks[i]
		cs := clockStatus(t)
		if cs == whistle.TaskSummoned && !t.ReportBreached && !now.Before(t.ReportDeadline) {
			t.ReportBreached = true
			seq := m.breach(now, t, whistle.BreachReport, t.ReportDeadline)
			to, ok := m.above()
			if !ok {
				to, _ = m.holder()
			}
			m.notifyOrg(seq, to, t.ID, fmt.Sprintf("%s未在 %s 前报到「%s」", t.DepartmentName, chinaTime(t.ReportDeadline), m.c.Title))
		}
		if (cs == whistle.TaskSummoned || cs == whistle.TaskReported) && !t.HandleBreached && !now.Before(t.HandleDeadline) {
			t.HandleBreached, t.Overdue, m.c.Overdue = true, true, true
			seq := m.breach(now, t, whistle.BreachHandle, t.HandleDeadline)
			reason := fmt.Sprintf("%s未在 %s 前办结", t.DepartmentName, chinaTime(t.HandleDeadline))
			if !escalated {
				escalated = m.escalate(now, whistle.SystemActor, whistle.EscalationHandleBreach, reason)
			}
			if !escalated {
				h, _ := m.holder()
				m.notifyOrg(seq, h, t.ID, fmt.Sprintf("「%s」%s", m.c.Title, reason))
			}
		}
	}
	if m.c.Status == whistle.CaseEvaluating && m.c.EvaluationDue != nil && !now.Before(*m.c.EvaluationDue) {
		m.settleCallback(now) // cases with a call-back only: older ones record nothing more
		m.defaultEvaluations(now)
	}
	m.advance(now)
	return m.c.Seq != before
}

func (m *machine) breach(now time.Time, t *whistle.Task, kind string, deadline time.Time) int64 {
	typ := whistle.EventReportBreach
	if kind == whistle.BreachHandle {
		typ = whistle.EventHandleBreach
	}
	seq := m.record(now, typ, whistle.SystemActor, t.ID, t.DepartmentID, chinaTime(deadline))
	m.c.Breaches = append(m.c.Breaches, whistle.Breach{
		ID: fmt.Sprintf("%s-B%d", m.c.ID, seq), CaseID: m.c.ID, TaskID: t.ID, DepartmentID: t.DepartmentID,
		Kind: kind, Deadline: deadline, At: now, Level: m.c.Level,
	})
	return seq
}

// defaultEvaluations evaluates every department not yet evaluated with
// whistle.DefaultScore and the policy's default satisfaction, marked
// Default.
func (m *machine) defaultEvaluations(now time.Time) {
	sat := m.defaultSat.OrDefault()
	for _, d := range m.evaluable() {
		if m.evaluated(d) {
			continue
		}
		m.c.Evaluations = append(m.c.Evaluations, whistle.Evaluation{
			CaseID: m.c.ID, DepartmentID: d, Timeliness: whistle.DefaultScore, Quality: whistle.DefaultScore, Attitude: whistle.DefaultScore,
			Satisfaction: sat, Default: true, Level: m.c.Level, At: now, By: whistle.SystemActor.Username,
		})
		m.record(now, whistle.EventEvaluationDefaulted, whistle.SystemActor, "", d, string(sat))
	}
}

// --- progress -----------------------------------------------------------------

// readyForVerification: at least one task done and none waiting (owing
// work, or a return not yet answered or re-routed); dropped and released
// tasks owe nothing. With a lead, the assisting departments have fed back
// or been released by it.
func (m *machine) readyForVerification() bool {
	done := false
	for _, t := range m.c.Tasks {
		switch {
		case t.Waiting():
			return false
		case t.Status == whistle.TaskDone:
			done = true
		}
	}
	return done
}

// advance moves the case on when its tasks allow: open → verifying once
// every department has done its part; evaluating → closed once every
// department is evaluated.
func (m *machine) advance(now time.Time) {
	m.refreshWarnings()
	switch m.c.Status {
	case whistle.CaseOpen:
		if m.readyForVerification() {
			m.c.Status = whistle.CaseVerifying
			seq := m.record(now, whistle.EventAwaitingVerification, whistle.SystemActor, "", "", "")
			m.notifyOrg(seq, m.filer(), "", fmt.Sprintf("「%s」各部门已办结，请核查", m.c.Title))
		}
	case whistle.CaseEvaluating:
		for _, d := range m.evaluable() {
			if !m.evaluated(d) {
				return
			}
		}
		m.close(now, whistle.OutcomeResolved)
		m.record(now, whistle.EventClosed, whistle.SystemActor, "", "", "")
	}
}

// pendingDepartments lists the departments that still owe work, in task order.
func (m *machine) pendingDepartments() []string {
	out := []string{}
	for _, t := range m.c.Tasks {
		if (t.Active() || t.Status == whistle.TaskReturnRequested) && !slices.Contains(out, t.DepartmentID) {
			out = append(out, t.DepartmentID)
		}
	}
	return out
}

// copyCase returns a copy of the case as it is now, which later changes
// do not touch (apply functions replace pointed-to values rather than
// mutate them).
func (m *machine) copyCase() whistle.Case {
	c := m.c
	c.Tasks = slices.Clone(c.Tasks)
	c.Escalations = slices.Clone(c.Escalations)
	c.Evaluations = slices.Clone(c.Evaluations)
	c.Callbacks = slices.Clone(c.Callbacks)
	c.Breaches = slices.Clone(c.Breaches)
	c.Timeline = slices.Clone(c.Timeline)
	c.Dispatches = slices.Clone(c.Dispatches)
	c.SupervisionOrders = slices.Clone(c.SupervisionOrders)
	return c
}

// chinaTime writes an instant for the people who read messages and the
// timeline: China time with its offset. The wire's time fields are UTC.
func chinaTime(t time.Time) string { return t.In(worktime.Location).Format(time.RFC3339) }
