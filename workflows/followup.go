package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/shaobao/shaobao/whistle"
)

// Follow-up before a breach (issue 14): staged warnings on each clock
// (预警), urging a department (催办) and supervision orders (督办). Every
// instant they add is one more candidate for the one timer the loop arms
// (nextDeadline): no timer per threshold.

// Update names of follow-up; each returns the new whistle.Case.
const (
	UpdateUrge                   = "urge"                     // UrgeInput
	UpdateSupervisionOrder       = "supervision_order"        // SupervisionOrderInput
	UpdateAnswerSupervisionOrder = "answer_supervision_order" // AnswerSupervisionOrderInput
)

// ActivityWarnings computes a clock's warning instants (WarningsInput →
// []time.Time) under the class's thresholds.
const ActivityWarnings = "Warnings"

// WarningsInput asks for the warning instants of a clock of Class running
// From to Deadline.
type WarningsInput struct {
	Class    whistle.Class `json:"class"`
	Level    whistle.Level `json:"level"`
	From     time.Time     `json:"from"`
	Deadline time.Time     `json:"deadline"`
}

// UrgeInput is 催办: the holder or a supervisor presses a task's
// department (the API has authorized the caller).
type UrgeInput struct {
	Actor   whistle.Actor `json:"actor"`
	TaskID  string        `json:"task_id"`
	Message string        `json:"message"`
}

// SupervisionOrderInput is 督办: a supervisor's order to Departments on
// the case, to be answered by Due. Issuer is the supervisor's unit (it
// hears the answers).
type SupervisionOrderInput struct {
	Actor       whistle.Actor   `json:"actor"`
	Departments []DepartmentRef `json:"departments"`
	Requirement string          `json:"requirement"`
	Due         time.Time       `json:"due"`
	Issuer      OrgRef          `json:"issuer"`
}

// AnswerSupervisionOrderInput is a named department's answer.
type AnswerSupervisionOrderInput struct {
	Actor   whistle.Actor `json:"actor"`
	OrderID string        `json:"order_id"`
	Answer  string        `json:"answer"`
}

// OrderCaseID returns the case id of a supervision order id
// ("<case id>-S<n>"), false when it is not one.
func OrderCaseID(orderID string) (string, bool) {
	i := strings.LastIndex(orderID, "-S")
	if i <= 0 || i+2 >= len(orderID) {
		return "", false
	}
	for _, r := range orderID[i+2:] {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return orderID[:i], true
}

// --- warnings -------------------------------------------------------------------

// clocksRunning reports which of t's clocks run and can still warn.
func clocksRunning(t *whistle.Task) (report, handle bool) {
	cs := clockStatus(t)
	report = cs == whistle.TaskSummoned && !t.ReportBreached
	handle = (cs == whistle.TaskSummoned || cs == whistle.TaskReported) && !t.HandleBreached
	return report, handle
}

func passed(at []time.Time, now time.Time) int {
	n := 0
	for _, a := range at {
		if !now.Before(a) {
			n++
		}
	}
	return n
}

// warnClock announces every threshold passed since the last tick: one
// timeline entry and notifications to the department and the holder per
// clock, naming the highest level reached.
func (m *machine) warnClock(now time.Time) {
	for i := range m.c.Tasks {
		t := &m.c.Tasks[i]
		report, handle := clocksRunning(t)
		if n := passed(t.WarnAt.Report, now); report && n > t.WarnedReport {
			t.WarnedReport = n
			m.warn(now, t, n, "报到", "report", t.ReportDeadline)
		}
		if n := passed(t.WarnAt.Handle, now); handle && n > t.WarnedHandle {
			t.WarnedHandle = n
			m.warn(now, t, n, "办结", "handle", t.HandleDeadline)
		}
	}
}

func warningOf(n int) string {
	switch {
	case n >= 2:
		return whistle.WarningRed
	case n == 1:
		return whistle.WarningYellow
	}
	return whistle.WarningNone
}

func (m *machine) warn(now time.Time, t *whistle.Task, n int, zhClock, clock string, deadline time.Time) {
	level := warningOf(n)
	seq := m.record(now, whistle.EventWarning, whistle.SystemActor, t.ID, t.DepartmentID,
		fmt.Sprintf("%s %s %s", level, clock, chinaTime(deadline)))
	color := map[string]string{whistle.WarningYellow: "黄色", whistle.WarningRed: "红色"}[level]
	msg := fmt.Sprintf("【%s预警】「%s」%s的%s期限 %s 将到", color, m.c.Title, t.DepartmentName, zhClock, chinaTime(deadline))
	m.notifyDept(seq, t, msg)
	m.due(deadline)
	h, _ := m.holder()
	m.notifyOrg(seq, h, t.ID, msg)
	m.due(deadline)
}

// refreshWarnings sets each task's warning to the highest level its
// running clocks reached; a clock that stopped (reported, breached, done)
// no longer warns.
func (m *machine) refreshWarnings() {
	for i := range m.c.Tasks {
		t := &m.c.Tasks[i]
		report, handle := clocksRunning(t)
		n := 0
		if report {
			n = t.WarnedReport
		}
		if handle {
			n = max(n, t.WarnedHandle)
		}
		t.Warning = warningOf(n)
	}
}

// considerFollowup offers the next warning threshold of every running
// clock and every open order's deadline to the timer loop.
func (m *machine) considerFollowup(consider func(time.Time)) {
	for _, t := range m.c.Tasks {
		report, handle := clocksRunning(&t)
		if report && t.WarnedReport < len(t.WarnAt.Report) {
			consider(t.WarnAt.Report[t.WarnedReport])
		}
		if handle && t.WarnedHandle < len(t.WarnAt.Handle) {
			consider(t.WarnAt.Handle[t.WarnedHandle])
		}
	}
	for _, o := range m.c.SupervisionOrders {
		if slices.ContainsFunc(o.Departments, func(d whistle.OrderDepartment) bool { return d.AnsweredAt == nil && !d.Breached }) {
			consider(o.Due)
		}
	}
}

// --- urge -----------------------------------------------------------------------

func (m *machine) checkUrge(in UrgeInput) error {
	t, err := m.task(in.TaskID)
	if err != nil {
		return err
	}
	if !t.Active() && t.Status != whistle.TaskReturnRequested {
		return taskConflict(t, "催办", "urge it")
	}
	if strings.TrimSpace(in.Message) == "" {
		return whistle.Errorf(whistle.EInvalid, "请填写催办内容", "message is required")
	}
	if t.LastUrgedAt != nil && m.now.Before(t.LastUrgedAt.Add(whistle.UrgeEvery)) {
		next := t.LastUrgedAt.Add(whistle.UrgeEvery)
		return whistle.Errorf(whistle.ERateLimited, "该任务一小时内已催办，请于 %s 后再试", "the task was urged within the hour: try again after %s", chinaTime(next))
	}
	return nil
}

func (m *machine) applyUrge(now time.Time, in UrgeInput) {
	t, _ := m.task(in.TaskID)
	t.Urges, t.LastUrgedAt = t.Urges+1, ptr(now)
	seq := m.record(now, whistle.EventUrged, in.Actor, t.ID, t.DepartmentID, in.Message)
	m.notifyDept(seq, t, fmt.Sprintf("【催办】「%s」：%s", m.c.Title, in.Message))
}

// --- supervision orders ----------------------------------------------------------

// deptTask is the department's latest task on the case that was not dropped.
func (m *machine) deptTask(dept string) *whistle.Task {
	for i := len(m.c.Tasks) - 1; i >= 0; i-- {
		if t := &m.c.Tasks[i]; t.DepartmentID == dept && t.Status != whistle.TaskDropped {
			return t
		}
	}
	return nil
}

func (m *machine) checkSupervisionOrder(in SupervisionOrderInput) error {
	if m.c.Status == whistle.CaseClosed || m.c.Status == whistle.CasePending {
		return statusConflict(m.c.Status, "督办", "issue a supervision order")
	}
	if strings.TrimSpace(in.Requirement) == "" {
		return whistle.Errorf(whistle.EInvalid, "请填写督办要求", "requirement is required")
	}
	if !in.Due.After(m.now) {
		return whistle.Errorf(whistle.EInvalid, "督办期限须晚于现在", "due must be in the future")
	}
	if err := checkDepartments(in.Departments); err != nil {
		return err
	}
	for _, d := range in.Departments {
		if m.deptTask(d.ID) == nil {
			return whistle.Errorf(whistle.EInvalid, "部门「%s」在本案没有任务，不能督办", "department %q has no task on this case to supervise", d.ID)
		}
	}
	return nil
}

func (m *machine) applySupervisionOrder(now time.Time, in SupervisionOrderInput) {
	id := fmt.Sprintf("%s-S%d", m.c.ID, len(m.c.SupervisionOrders)+1)
	seq := m.record(now, whistle.EventSupervisionOrdered, in.Actor, "", "", fmt.Sprintf("%s %s: %s", id, chinaTime(in.Due), in.Requirement))
	o := whistle.SupervisionOrder{ID: id, Seq: seq, Requirement: in.Requirement, Due: in.Due, IssuedAt: now, IssuedBy: in.Actor.Username,
		IssuedByOrgUnitID: in.Issuer.ID, IssuedByOrgPath: in.Issuer.Path}
	for _, d := range in.Departments {
		t := m.deptTask(d.ID)
		o.Departments = append(o.Departments, whistle.OrderDepartment{DepartmentID: d.ID, DepartmentName: t.DepartmentName})
		m.notifyDept(seq, t, fmt.Sprintf("【督办】「%s」：%s，请于 %s 前答复", m.c.Title, in.Requirement, chinaTime(in.Due)))
		m.due(in.Due)
	}
	m.c.SupervisionOrders = append(m.c.SupervisionOrders, o)
}

// order returns the order and its index.
func (m *machine) order(id string) (int, error) {
	for i, o := range m.c.SupervisionOrders {
		if o.ID == id {
			return i, nil
		}
	}
	return -1, whistle.Errorf(whistle.ENotFound, "本案没有督办单「%s」", "no supervision order %q on this case", id)
}

func (m *machine) checkAnswerSupervisionOrder(in AnswerSupervisionOrderInput) error {
	i, err := m.order(in.OrderID)
	if err != nil {
		return err
	}
	if strings.TrimSpace(in.Answer) == "" {
		return whistle.Errorf(whistle.EInvalid, "请填写督办答复", "answer is required")
	}
	o := m.c.SupervisionOrders[i]
	j := slices.IndexFunc(o.Departments, func(d whistle.OrderDepartment) bool { return d.DepartmentID == in.Actor.DepartmentID })
	switch {
	case in.Actor.DepartmentID == "" || j < 0:
		return whistle.Errorf(whistle.EForbidden, "督办单未点名贵部门", "the order does not name your department")
	case o.Departments[j].AnsweredAt != nil:
		return whistle.Errorf(whistle.EConflict, "贵部门已答复该督办单", "your department has already answered the order")
	}
	return nil
}

// applyAnswerSupervisionOrder records the answer (late when past due,
// which resolves the breach) and tells the issuing unit.
func (m *machine) applyAnswerSupervisionOrder(now time.Time, in AnswerSupervisionOrderInput) {
	i, _ := m.order(in.OrderID)
	o := m.orderCopy(i)
	j := slices.IndexFunc(o.Departments, func(d whistle.OrderDepartment) bool { return d.DepartmentID == in.Actor.DepartmentID })
	d := &o.Departments[j]
	d.Answer, d.AnsweredAt, d.AnsweredBy, d.Late = in.Answer, ptr(now), in.Actor.Username, now.After(o.Due)
	if d.BreachID != "" {
		for k := range m.c.Breaches {
			if b := &m.c.Breaches[k]; b.ID == d.BreachID && !b.Resolved {
				b.Resolved, b.ResolvedAt = true, ptr(now)
			}
		}
	}
	seq := m.record(now, whistle.EventSupervisionAnswered, in.Actor, "", d.DepartmentID, o.ID+": "+in.Answer)
	m.notifyOrg(seq, m.issuer(o), "", fmt.Sprintf("%s已答复督办「%s」：%s", d.DepartmentName, m.c.Title, in.Answer))
}

// orderCopy replaces order i with a copy whose departments may be changed
// without touching a case copied before (copyCase clones one level).
func (m *machine) orderCopy(i int) *whistle.SupervisionOrder {
	o := m.c.SupervisionOrders[i]
	o.Departments = slices.Clone(o.Departments)
	m.c.SupervisionOrders[i] = o
	return &m.c.SupervisionOrders[i]
}

func (m *machine) issuer(o *whistle.SupervisionOrder) OrgRef {
	return OrgRef{ID: o.IssuedByOrgUnitID, Path: o.IssuedByOrgPath, Level: whistle.OrgPath(o.IssuedByOrgPath).Level()}
}

// orderClock records a breach for every named department that has not
// answered an order past its due, once, and tells the issuer.
func (m *machine) orderClock(now time.Time) {
	for i := range m.c.SupervisionOrders {
		if due := m.c.SupervisionOrders[i].Due; now.Before(due) ||
			!slices.ContainsFunc(m.c.SupervisionOrders[i].Departments, func(d whistle.OrderDepartment) bool { return d.AnsweredAt == nil && !d.Breached }) {
			continue
		}
		o := m.orderCopy(i)
		for j := range o.Departments {
			d := &o.Departments[j]
			if d.AnsweredAt != nil || d.Breached {
				continue
			}
			seq := m.record(now, whistle.EventSupervisionBreach, whistle.SystemActor, "", d.DepartmentID, o.ID)
			d.Breached, d.BreachID = true, fmt.Sprintf("%s-B%d", m.c.ID, seq)
			m.c.Breaches = append(m.c.Breaches, whistle.Breach{ID: d.BreachID, CaseID: m.c.ID, DepartmentID: d.DepartmentID,
				Kind: whistle.BreachSupervision, Deadline: o.Due, At: now, Level: m.c.Level})
			m.notifyOrg(seq, m.issuer(o), "", fmt.Sprintf("%s未在 %s 前答复督办「%s」", d.DepartmentName, chinaTime(o.Due), m.c.Title))
		}
	}
}

// --- workflow -------------------------------------------------------------------

// followupHandlers registers the follow-up updates (new names: no
// recorded history changes).
func (r *run) followupHandlers(ctx workflow.Context) []error {
	m := r.m
	return []error{
		handle(ctx, r, UpdateUrge, m.checkUrge, func(_ workflow.Context, now time.Time, in UrgeInput) error {
			m.applyUrge(now, in)
			return nil
		}),
		handle(ctx, r, UpdateSupervisionOrder, m.checkSupervisionOrder, func(_ workflow.Context, now time.Time, in SupervisionOrderInput) error {
			m.applySupervisionOrder(now, in)
			return nil
		}),
		handle(ctx, r, UpdateAnswerSupervisionOrder, m.checkAnswerSupervisionOrder, func(_ workflow.Context, now time.Time, in AnswerSupervisionOrderInput) error {
			m.applyAnswerSupervisionOrder(now, in)
			return nil
		}),
	}
}

// warnings computes a clock's warning instants through the activity.
func (r *run) warnings(ctx workflow.Context, level whistle.Level, from, deadline time.Time) ([]time.Time, error) {
	var out []time.Time
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	err := workflow.ExecuteLocalActivity(lctx, ActivityWarnings, WarningsInput{Class: r.m.c.Class, Level: level, From: from, Deadline: deadline}).Get(lctx, &out)
	if err != nil {
		return nil, whistle.Errorf(whistle.EInternal, "计算预警时间失败，请稍后重试", "warnings: %v", err)
	}
	return out, nil
}
