package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
)

// Kinds of what waits on someone (待办), one query each.
const (
	// A department's (a clerk's).
	TodoReport   = "report"            // tasks to report for duty on
	TodoFeedback = "feedback"          // reported tasks to handle and feed back
	TodoOrder    = "supervision_order" // supervision orders to answer
	// The holding unit's (command centre, secretaries).
	TodoExtension    = "extension"    // extension requests to answer
	TodoReturn       = "return"       // returns to answer
	TodoIntake       = "intake"       // pending cases to accept
	TodoEscalation   = "escalation"   // escalations to answer (the level above, or the own level's review)
	TodoUnresolvable = "unresolvable" // unresolvable applications to approve
	// The filer's side.
	TodoVerify   = "verify"   // results to verify
	TodoEvaluate = "evaluate" // departments to evaluate
	TodoCallback = "callback" // residents to call back (回访), before the evaluations
	// The issuer of supervision orders (a supervisor, a command centre):
	// the orders the caller issued, per named department.
	TodoOrderOpen    = "order_open"    // not yet answered, not yet due
	TodoOrderOverdue = "order_overdue" // unanswered past due
)

// TodoKinds lists every kind, in the order the to-do list counts them.
var TodoKinds = []string{TodoReport, TodoFeedback, TodoOrder, TodoExtension, TodoReturn, TodoIntake, TodoEscalation, TodoUnresolvable,
	TodoVerify, TodoCallback, TodoEvaluate, TodoOrderOpen, TodoOrderOverdue}

// TodoLimit caps the items of one kind (a to-do list, not an archive).
const TodoLimit = 500

// TodoFor is whom a to-do query is for: a department (clerks) or an org
// unit; Username names the issuer of supervision orders.
type TodoFor struct {
	DepartmentID string
	OrgUnitID    string
	OrgPath      string
	Username     string
	// Now decides overdue orders (default time.Now).
	Now time.Time
}

// TodoItem is one thing waiting on someone, with its deadline (nil when
// it has none: a result to verify, an application to approve).
type TodoItem struct {
	Kind     string     `json:"kind"`
	CaseID   string     `json:"case_id"`
	Number   string     `json:"number"`
	Title    string     `json:"title"`
	TaskID   string     `json:"task_id,omitempty"`
	OrderID  string     `json:"order_id,omitempty"`
	Deadline *time.Time `json:"deadline"`
	Warning  string     `json:"warning,omitempty"`
	// DepartmentID is the task's or the order's department.
	DepartmentID string `json:"department_id,omitempty"`
	// OrgPath and HolderOrgPath are the case's: the API decides the
	// filer's side by them.
	OrgPath       string `json:"-"`
	HolderOrgPath string `json:"-"`
}

// todoRow is what every kind's query selects.
type todoRow struct {
	CaseID        string
	Number        string
	Title         string
	OrgPath       string
	HolderOrgPath string
	TaskID        string
	OrderID       string
	DepartmentID  string
	Deadline      *time.Time
	Warning       string
	Approver      string // unresolvable: the application's JSON
	// A return's: which clock it stopped.
	TaskStatus     string
	ReturnFrom     string
	ReportDeadline *time.Time
}

// caseCols are the case's columns of a to-do row.
const caseCols = "cases.id AS case_id, cases.number AS number, cases.title AS title, cases.org_path AS org_path, cases.holder_org_path AS holder_org_path"

// Todo returns what of kind waits on who, the earliest deadline first, at
// most TodoLimit; kinds without a deadline by case id. A kind that is not
// who's (a department's kind without DepartmentID) is empty.
func (s *Store) Todo(ctx context.Context, kind string, who TodoFor) ([]TodoItem, error) {
	now := who.Now
	if now.IsZero() {
		now = time.Now()
	}
	db := s.DB.WithContext(ctx)
	tasks := func() *gorm.DB {
		return db.Table("tasks").Joins("JOIN cases ON cases.id = tasks.case_id").Where("cases.status <> ?", string(whistle.CaseClosed))
	}
	orders := func() *gorm.DB {
		return db.Table("supervision_order_departments AS d").Joins("JOIN supervision_orders o ON o.id = d.order_id").
			Joins("JOIN cases ON cases.id = d.case_id").Where("d.answered_at IS NULL AND cases.status <> ?", string(whistle.CaseClosed))
	}
	unit := who.OrgUnitID
	if (kind == TodoReport || kind == TodoFeedback || kind == TodoOrder) && who.DepartmentID == "" ||
		kind != TodoReport && kind != TodoFeedback && kind != TodoOrder && (unit == "" || who.OrgPath == "") {
		return nil, nil
	}
	// deadline is the column of the item's deadline ("" when it has none):
	// the rows are ordered by it, a bare column so both dialects scan it
	// as a time.
	var q *gorm.DB
	var deadline string
	switch kind {
	case TodoReport:
		q, deadline = tasks().Where("tasks.department_id = ? AND tasks.status = ?", who.DepartmentID, string(whistle.TaskSummoned)), "tasks.report_deadline"
	case TodoFeedback:
		q, deadline = tasks().Where("tasks.department_id = ? AND tasks.status = ?", who.DepartmentID, string(whistle.TaskReported)), "tasks.handle_deadline"
	case TodoOrder:
		q, deadline = orders().Where("d.department_id = ?", who.DepartmentID), "d.due"
	case TodoExtension:
		q = tasks().Where("cases.holder_org_unit_id = ? AND tasks.extension_status = ? AND tasks.status IN ?", unit, whistle.ExtensionPending, OpenTaskStatuses)
		deadline = "tasks.handle_deadline"
	case TodoReturn:
		// The deadline of the clock the return stopped: the report
		// deadline of a return before reporting, else the handling one.
		q = tasks().Where("cases.holder_org_unit_id = ? AND tasks.status = ?", unit, string(whistle.TaskReturnRequested))
		deadline = "tasks.handle_deadline"
	case TodoIntake:
		q = db.Table("cases").Where("cases.status = ? AND cases.holder_org_unit_id = ?", string(whistle.CasePending), unit)
		deadline = "cases.accept_deadline"
	case TodoEscalation:
		q = db.Table("escalations").Joins("JOIN cases ON cases.id = escalations.case_id").
			Where("cases.status <> ? AND ((escalations.status = ? AND escalations.to_org_unit_id = ?) OR (escalations.status = ? AND escalations.from_org_unit_id = ?))",
				string(whistle.CaseClosed), whistle.EscalationPending, unit, whistle.EscalationInReview, unit)
		deadline = "escalations.answer_deadline"
	case TodoUnresolvable:
		// The approver is in the application's JSON; it sits above the
		// holder, so the candidates are held inside the unit's subtree.
		q = db.Table("cases").Where("cases.unresolvable_status = ? AND cases.status <> ?", whistle.UnresolvablePending, string(whistle.CaseClosed))
		q = within(q, "cases.holder_org_path", who.OrgPath)
	case TodoVerify, TodoEvaluate, TodoCallback:
		// Candidates: filed or held inside the unit; the API keeps the
		// filer's side (the chain relation of the policy).
		status := whistle.CaseVerifying
		if kind != TodoVerify {
			status, deadline = whistle.CaseEvaluating, "cases.evaluation_due"
		}
		p := likePrefix(who.OrgPath)
		q = db.Table("cases").Where("cases.status = ? AND (cases.org_path LIKE ? OR cases.holder_org_path LIKE ?)", string(status), p, p)
		// 回访 first: a case waiting for its call-back is to call back,
		// not yet to evaluate.
		if kind == TodoCallback {
			q = q.Where("cases.callback_status = ?", whistle.CallbackPending)
		} else if kind == TodoEvaluate {
			q = q.Where("cases.callback_status <> ?", whistle.CallbackPending)
		}
	case TodoOrderOpen:
		q, deadline = orders().Where("o.issued_by_org_unit_id = ? AND o.issued_by = ? AND d.due >= ?", unit, who.Username, now.UTC()), "d.due"
	case TodoOrderOverdue:
		q, deadline = orders().Where("o.issued_by_org_unit_id = ? AND o.issued_by = ? AND d.due < ?", unit, who.Username, now.UTC()), "d.due"
	default:
		return nil, fmt.Errorf("to-do: unknown kind %q", kind)
	}
	cols := caseCols
	switch {
	case kind == TodoOrder || kind == TodoOrderOpen || kind == TodoOrderOverdue:
		cols += ", d.order_id AS order_id, d.department_id AS department_id"
	case kind == TodoReport || kind == TodoFeedback || kind == TodoExtension || kind == TodoReturn:
		cols += ", tasks.id AS task_id, tasks.department_id AS department_id, tasks.warning AS warning, tasks.status AS task_status, " +
			"tasks.return_from AS return_from, tasks.report_deadline AS report_deadline"
	case kind == TodoUnresolvable:
		cols += ", cases.unresolvable_json AS approver"
	}
	order := "cases.id"
	if deadline != "" {
		cols += ", " + deadline + " AS deadline"
		order = deadline + ", " + order
	}
	var rows []todoRow
	if err := q.Select(cols).Order(order).Limit(TodoLimit).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("to-do %s: %w", kind, err)
	}
	out := make([]TodoItem, 0, len(rows))
	for _, r := range rows {
		if kind == TodoUnresolvable {
			var u whistle.UnresolvableRequest
			if json.Unmarshal([]byte(r.Approver), &u) != nil || u.ApproverOrgUnitID != unit {
				continue
			}
		}
		if kind == TodoReturn && r.ReturnFrom == string(whistle.TaskSummoned) {
			r.Deadline = r.ReportDeadline
		}
		out = append(out, TodoItem{Kind: kind, CaseID: r.CaseID, Number: r.Number, Title: r.Title, TaskID: r.TaskID, OrderID: r.OrderID,
			Deadline: utcPtr(r.Deadline), Warning: r.Warning, DepartmentID: r.DepartmentID, OrgPath: r.OrgPath, HolderOrgPath: r.HolderOrgPath})
	}
	return out, nil
}
