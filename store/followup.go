package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shaobao/shaobao/whistle"
)

// Follow-up in the read model (issue 14): supervision orders (督办) and
// their departments' answers, the to-do list (待办) of each caller, the
// supervisors' "due soon" list and urges (催办) counted per department.

// SupervisionOrderRow is one 督办 order, written by the projection.
// Open is set while a named department has not answered.
type SupervisionOrderRow struct {
	ID                string    `gorm:"primaryKey;size:56"`
	CaseID            string    `gorm:"size:40;not null;index"`
	Seq               int64     `gorm:"not null"`
	OrgPath           string    `gorm:"size:255;not null;index"` // the case's
	Class             string    `gorm:"size:16;not null"`
	Requirement       string    `gorm:"type:text"`
	Due               time.Time `gorm:"not null;index"`
	IssuedAt          time.Time `gorm:"not null"`
	IssuedBy          string    `gorm:"size:64;not null"`
	IssuedByOrgUnitID string    `gorm:"size:32;not null;index"`
	IssuedByOrgPath   string    `gorm:"size:255;not null"`
	Open              bool      `gorm:"not null;index"`
}

// TableName keeps the contract's name for the table.
func (SupervisionOrderRow) TableName() string { return "supervision_orders" }

// SupervisionOrderDepartmentRow is one named department's part of an
// order; Due and OrgPath repeat the order's so the department's lists
// need no join to filter.
type SupervisionOrderDepartmentRow struct {
	OrderID      string `gorm:"primaryKey;size:56"`
	DepartmentID string `gorm:"primaryKey;size:40;index"`
	// Position is the department's place in the order as issued.
	Position       int       `gorm:"not null;default:0"`
	CaseID         string    `gorm:"size:40;not null;index"`
	OrgPath        string    `gorm:"size:255;not null;index"`
	Due            time.Time `gorm:"not null;index"`
	DepartmentName string    `gorm:"size:128"`
	Answer         string    `gorm:"type:text"`
	AnsweredAt     *time.Time
	AnsweredBy     string `gorm:"size:64;not null;default:''"`
	Breached       bool   `gorm:"not null;default:false"`
	Late           bool   `gorm:"not null;default:false"`
	BreachID       string `gorm:"size:56;not null;default:''"`
}

// TableName keeps the contract's name for the table.
func (SupervisionOrderDepartmentRow) TableName() string { return "supervision_order_departments" }

// applyOrders writes the case's supervision orders; an answer or a breach
// changes an order after it is written, so rows are replaced (only under
// a newer case version, as tasks are).
func applyOrders(tx *gorm.DB, c whistle.Case) error {
	if len(c.SupervisionOrders) == 0 {
		return nil
	}
	var orders []SupervisionOrderRow
	var depts []SupervisionOrderDepartmentRow
	for _, o := range c.SupervisionOrders {
		orders = append(orders, SupervisionOrderRow{ID: o.ID, CaseID: c.ID, Seq: o.Seq, OrgPath: c.OrgPath, Class: string(c.Class),
			Requirement: o.Requirement, Due: o.Due.UTC(), IssuedAt: o.IssuedAt.UTC(), IssuedBy: o.IssuedBy,
			IssuedByOrgUnitID: o.IssuedByOrgUnitID, IssuedByOrgPath: o.IssuedByOrgPath, Open: o.Open()})
		for i, d := range o.Departments {
			depts = append(depts, SupervisionOrderDepartmentRow{OrderID: o.ID, DepartmentID: d.DepartmentID, Position: i, CaseID: c.ID, OrgPath: c.OrgPath,
				Due: o.Due.UTC(), DepartmentName: d.DepartmentName, Answer: d.Answer, AnsweredAt: utcPtr(d.AnsweredAt), AnsweredBy: d.AnsweredBy,
				Breached: d.Breached, Late: d.Late, BreachID: d.BreachID})
		}
	}
	if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, UpdateAll: true}).Create(&orders).Error; err != nil {
		return fmt.Errorf("write supervision orders: %w", err)
	}
	if len(depts) > 0 {
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "order_id"}, {Name: "department_id"}}, UpdateAll: true}).Create(&depts).Error; err != nil {
			return fmt.Errorf("write supervision order departments: %w", err)
		}
	}
	return nil
}

// caseOrders loads a case's supervision orders, oldest first; nil when
// it has none (the case's JSON then leaves them out, as the workflow does).
func caseOrders(db *gorm.DB, caseID string) ([]whistle.SupervisionOrder, error) {
	var rows []SupervisionOrderRow
	if err := db.Where("case_id = ?", caseID).Order("seq, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load supervision orders of case %s: %w", caseID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	var depts []SupervisionOrderDepartmentRow
	if err := db.Where("case_id = ?", caseID).Order("order_id, position").Find(&depts).Error; err != nil {
		return nil, fmt.Errorf("load supervision order departments of case %s: %w", caseID, err)
	}
	out := make([]whistle.SupervisionOrder, len(rows))
	for i, r := range rows {
		out[i] = whistle.SupervisionOrder{ID: r.ID, Seq: r.Seq, Requirement: r.Requirement, Due: r.Due.UTC(), IssuedAt: r.IssuedAt.UTC(),
			IssuedBy: r.IssuedBy, IssuedByOrgUnitID: r.IssuedByOrgUnitID, IssuedByOrgPath: r.IssuedByOrgPath}
	}
	idx := make(map[string]int, len(rows))
	for i, r := range rows {
		idx[r.ID] = i
	}
	for _, d := range depts {
		i, ok := idx[d.OrderID]
		if !ok {
			continue
		}
		out[i].Departments = append(out[i].Departments, whistle.OrderDepartment{DepartmentID: d.DepartmentID, DepartmentName: d.DepartmentName,
			Answer: d.Answer, AnsweredAt: utcPtr(d.AnsweredAt), AnsweredBy: d.AnsweredBy, Breached: d.Breached, Late: d.Late, BreachID: d.BreachID})
	}
	return out, nil
}

// warnAtJSON is a task's warning instants as stored ("" when none).
func warnAtJSON(w whistle.ClockWarnings) string {
	if len(w.Report) == 0 && len(w.Handle) == 0 {
		return ""
	}
	w.Report, w.Handle = inUTC(w.Report), inUTC(w.Handle)
	b, _ := json.Marshal(w)
	return string(b)
}

func inUTC(ts []time.Time) []time.Time {
	if ts == nil {
		return nil
	}
	out := make([]time.Time, len(ts))
	for i, t := range ts {
		out[i] = t.UTC()
	}
	return out
}

// --- the supervision orders list --------------------------------------------------

// Order statuses of a named department's part, as the lists filter them.
const (
	OrderOpen     = "open"     // not answered yet (overdue ones included)
	OrderOverdue  = "overdue"  // not answered, past due
	OrderAnswered = "answered" // answered (late when after the due)
)

// OrderStatuses are the statuses ListOrders filters by.
var OrderStatuses = []string{OrderOpen, OrderOverdue, OrderAnswered}

// OrderFilter narrows ListOrders. Empty fields do not filter.
type OrderFilter struct {
	Scope        Scope
	Status       string // OrderStatuses
	OrgPath      string // cases filed inside this subtree
	DepartmentID string
	From, To     *time.Time // issued in [From, To)
	// Now decides overdue (default time.Now).
	Now   time.Time
	Page  Page
	Limit int
}

// OrderView is one named department's part of a supervision order, with
// the order and its case.
type OrderView struct {
	OrderID           string     `json:"order_id"`
	CaseID            string     `json:"case_id"`
	Number            string     `json:"number"`
	CaseTitle         string     `json:"case_title"`
	CaseStatus        string     `json:"case_status"`
	Class             string     `json:"class"`
	OrgPath           string     `json:"org_path"`
	Requirement       string     `json:"requirement"`
	Due               time.Time  `json:"due"`
	IssuedAt          time.Time  `json:"issued_at"`
	IssuedBy          string     `json:"issued_by"`
	IssuedByOrgUnitID string     `json:"issued_by_org_unit_id"`
	DepartmentID      string     `json:"department_id"`
	DepartmentName    string     `json:"department_name"`
	Status            string     `json:"status"` // open, overdue or answered
	Answer            string     `json:"answer,omitempty"`
	AnsweredAt        *time.Time `json:"answered_at,omitempty"`
	AnsweredBy        string     `json:"answered_by,omitempty"`
	Breached          bool       `json:"breached"`
	Late              bool       `json:"late"`
}

// ListOrders returns the named departments' parts of supervision orders
// in scope, the earliest due first, with the total.
func (s *Store) ListOrders(ctx context.Context, f OrderFilter) ([]OrderView, int64, error) {
	now := f.Now
	if now.IsZero() {
		now = time.Now()
	}
	q := s.DB.WithContext(ctx).Table("supervision_order_departments AS d").Joins("JOIN supervision_orders o ON o.id = d.order_id")
	q = f.Scope.apply(q, "d.org_path", "d.case_id")
	q = within(q, "d.org_path", f.OrgPath)
	q = equal(q, "d.department_id", f.DepartmentID)
	q = between(q, "o.issued_at", f.From, f.To)
	switch f.Status {
	case OrderOpen:
		q = q.Where("d.answered_at IS NULL")
	case OrderOverdue:
		q = q.Where("d.answered_at IS NULL AND d.due < ?", now.UTC())
	case OrderAnswered:
		q = q.Where("d.answered_at IS NOT NULL")
	}
	type row struct {
		SupervisionOrderDepartmentRow
		Requirement       string
		IssuedAt          time.Time
		IssuedBy          string
		IssuedByOrgUnitID string
		Class             string
		Number            string
		CaseTitle         string
		CaseStatus        string
	}
	rows, total, err := findCounted[row](q, "supervision orders", "d.due, d.order_id, d.position", func(q *gorm.DB) *gorm.DB {
		return window(f.Page, f.Limit)(q.Select("d.*, o.requirement, o.issued_at, o.issued_by, o.issued_by_org_unit_id, o.class, " +
			"cases.number AS number, cases.title AS case_title, cases.status AS case_status").
			Joins("LEFT JOIN cases ON cases.id = d.case_id"))
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]OrderView, len(rows))
	for i, r := range rows {
		v := OrderView{OrderID: r.OrderID, CaseID: r.CaseID, Number: r.Number, CaseTitle: r.CaseTitle, CaseStatus: r.CaseStatus, Class: r.Class,
			OrgPath: r.OrgPath, Requirement: r.Requirement, Due: r.Due.UTC(), IssuedAt: r.IssuedAt.UTC(), IssuedBy: r.IssuedBy,
			IssuedByOrgUnitID: r.IssuedByOrgUnitID, DepartmentID: r.DepartmentID, DepartmentName: r.DepartmentName,
			Answer: r.Answer, AnsweredAt: utcPtr(r.AnsweredAt), AnsweredBy: r.AnsweredBy, Breached: r.Breached, Late: r.Late}
		switch {
		case r.AnsweredAt != nil:
			v.Status = OrderAnswered
		case r.Due.Before(now):
			v.Status = OrderOverdue
		default:
			v.Status = OrderOpen
		}
		out[i] = v
	}
	return out, total, nil
}

// --- tasks due soon ---------------------------------------------------------------

// nextDeadline is the SQL of the deadline a task works against now: the
// report deadline while it has not reported, else the handling deadline.
const nextDeadline = "CASE WHEN " + reportClock + " THEN tasks.report_deadline ELSE tasks.handle_deadline END"

// warningRank orders red before yellow before none.
const warningRank = "CASE tasks.warning WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END"

// Sorts of ListDueSoon.
const (
	SortDeadline = "deadline" // the earliest next deadline first
	SortWarning  = "warning"  // red, then yellow, then none; each by deadline
)

// DueSoonFilter narrows ListDueSoon.
type DueSoonFilter struct {
	Scope        Scope
	OrgPath      string // cases filed inside this subtree
	DepartmentID string
	Warning      string        // yellow | red: only tasks at that level
	Within       time.Duration // next deadline in [Now, Now+Within)
	Now          time.Time     // default time.Now
	Sort         string        // SortDeadline (default) or SortWarning
	Page         Page
	Limit        int
}

// ListDueSoon returns the open tasks in scope whose next deadline falls in
// the coming Within, sorted as asked, with the total.
func (s *Store) ListDueSoon(ctx context.Context, f DueSoonFilter) ([]TaskView, int64, error) {
	now := f.Now
	if now.IsZero() {
		now = time.Now()
	}
	q := s.DB.WithContext(ctx).Table("tasks").Joins("JOIN cases ON cases.id = tasks.case_id").
		Where("tasks.status IN ? AND cases.status <> ?", OpenTaskStatuses, string(whistle.CaseClosed))
	q = f.Scope.apply(q, "tasks.org_path", "tasks.case_id")
	q = within(q, "tasks.org_path", f.OrgPath)
	q = equal(q, "tasks.department_id", f.DepartmentID)
	q = equal(q, "tasks.warning", f.Warning)
	q = q.Where(nextDeadline+" >= ? AND "+nextDeadline+" < ?", now.UTC(), now.Add(f.Within).UTC())
	order := nextDeadline + ", tasks.id"
	if f.Sort == SortWarning {
		order = warningRank + ", " + order
	}
	return taskViews(q, order, window(f.Page, f.Limit))
}

// taskViews counts the tasks q selects (joined with their cases) and
// loads those window keeps, in order, as TaskViews.
func taskViews(q *gorm.DB, order string, window func(*gorm.DB) *gorm.DB) ([]TaskView, int64, error) {
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count tasks: %w", err)
	}
	var rows []struct {
		TaskRow
		CaseTitle       string
		CaseStatus      string
		Address         string
		CaseDescription string
		FiledBy         string
	}
	err := window(q.Select("tasks.*, cases.title AS case_title, cases.status AS case_status, cases.address AS address, cases.description AS case_description, cases.filed_by AS filed_by").
		Order(order)).Scan(&rows).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list tasks: %w", err)
	}
	out := make([]TaskView, len(rows))
	caseIDs := make([]string, 0, len(rows))
	for i, r := range rows {
		t := taskFromRow(r.TaskRow)
		out[i] = TaskView{Task: t, CaseTitle: r.CaseTitle, CaseStatus: whistle.CaseStatus(r.CaseStatus), Class: whistle.Class(r.Class),
			Address: r.Address, CaseDescription: r.CaseDescription, FiledBy: r.FiledBy, NextDeadline: taskNextDeadline(t)}
		caseIDs = append(caseIDs, t.CaseID)
	}
	// The filings' photos for the page, in one query.
	if len(caseIDs) > 0 {
		var files []CaseFile
		if err := q.Session(&gorm.Session{NewDB: true}).Where("case_id IN ? AND role = ?", caseIDs, FileRolePhoto).Order("case_id, pos").Find(&files).Error; err != nil {
			return nil, 0, fmt.Errorf("list the photos of tasks' cases: %w", err)
		}
		photos := map[string][]string{}
		for _, f := range files {
			photos[f.CaseID] = append(photos[f.CaseID], f.FileID)
		}
		for i := range out {
			out[i].CasePhotos = photos[out[i].CaseID]
		}
	}
	return out, total, nil
}

// taskNextDeadline is nextDeadline in Go.
func taskNextDeadline(t whistle.Task) time.Time {
	if t.Status == whistle.TaskSummoned || (t.Status == whistle.TaskReturnRequested && t.ReturnFrom == whistle.TaskSummoned) {
		return t.ReportDeadline
	}
	return t.HandleDeadline
}

// --- urges per department ---------------------------------------------------------

// UrgeFilter narrows UrgeCounts. Empty fields do not filter.
type UrgeFilter struct {
	Scope        Scope
	OrgPath      string     // cases filed inside this subtree
	DepartmentID string     // one department
	From, To     *time.Time // urged in [From, To)
}

// UrgeCount is how often a department was urged (催办) and on how many
// tasks.
type UrgeCount struct {
	DepartmentID   string `json:"department_id"`
	DepartmentName string `json:"department_name"`
	Urges          int64  `json:"urges"`
	Tasks          int64  `json:"tasks"`
}

// UrgeCounts counts the urges of the cases in scope per department, the
// most urged first. It counts the timeline's urged entries, so a period
// counts the urges made in it.
func (s *Store) UrgeCounts(ctx context.Context, f UrgeFilter) ([]UrgeCount, error) {
	q := s.DB.WithContext(ctx).Table("timeline_entries AS e").Joins("JOIN cases ON cases.id = e.case_id").
		Where("e.type = ?", whistle.EventUrged)
	q = f.Scope.apply(q, "cases.org_path", "e.case_id")
	q = within(q, "cases.org_path", f.OrgPath)
	q = equal(q, "e.department_id", f.DepartmentID)
	q = between(q, "e.at", f.From, f.To)
	var out []UrgeCount
	err := q.Select("e.department_id AS department_id, COALESCE(MAX(departments.name), '') AS department_name, " +
		"COUNT(*) AS urges, COUNT(DISTINCT e.task_id) AS tasks").
		Joins("LEFT JOIN departments ON departments.id = e.department_id").
		Group("e.department_id").Order("urges DESC, e.department_id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("count urges: %w", err)
	}
	return out, nil
}
