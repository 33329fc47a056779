package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
)

// Scope is the part of the city a caller may see: a subtree by org path,
// or, for a department clerk, the cases where that department has a task.
// The zero Scope sees nothing.
type Scope struct {
	PathPrefix   string
	DepartmentID string
	All          bool
}

func (sc Scope) apply(q *gorm.DB, pathCol, caseIDCol string) *gorm.DB {
	switch {
	case sc.All:
		return q
	case sc.DepartmentID != "":
		return withTask(q, caseIDCol, sc.DepartmentID)
	case sc.PathPrefix != "":
		return q.Where(pathCol+" LIKE ?", likePrefix(sc.PathPrefix))
	default:
		return q.Where("1 = 0")
	}
}

// applyCases is apply on the cases table: a subtree scope holds the cases
// filed in it or held in it, as the jurisdiction relation reads a case
// (a case dispatched down from a district is its street's to see).
func (sc Scope) applyCases(q *gorm.DB) *gorm.DB {
	if sc.All || sc.DepartmentID != "" || sc.PathPrefix == "" {
		return sc.apply(q, "org_path", "id")
	}
	p := likePrefix(sc.PathPrefix)
	return q.Where("(org_path LIKE ? OR holder_org_path LIKE ?)", p, p)
}

// Page is a 1-based page of a list.
type Page struct {
	Page     int
	PageSize int
}

// Normalize clamps a page to sane bounds: page ≥ 1, 1 ≤ size ≤ 200 (default 20).
func (p Page) Normalize() Page {
	if p.Page < 1 {
		p.Page = 1
	}
	if p.PageSize < 1 {
		p.PageSize = 20
	}
	if p.PageSize > 200 {
		p.PageSize = 200
	}
	return p
}

func (p Page) offset() int { return (p.Page - 1) * p.PageSize }

// between keeps the rows whose time column is in [from, to); a nil bound
// does not bound.
func between(q *gorm.DB, column string, from, to *time.Time) *gorm.DB {
	if from != nil {
		q = q.Where(column+" >= ?", from.UTC())
	}
	if to != nil {
		q = q.Where(column+" < ?", to.UTC())
	}
	return q
}

// withTask keeps the rows whose case (caseIDColumn) has a task of
// department; "" does not filter.
func withTask(q *gorm.DB, caseIDColumn, department string) *gorm.DB {
	if department == "" {
		return q
	}
	return q.Where(caseIDColumn+" IN (SELECT case_id FROM tasks WHERE department_id = ?)", department)
}

// CaseFilter narrows ListCases. Empty fields do not filter.
type CaseFilter struct {
	Scope        Scope
	Status       string
	Class        string
	Level        string
	OrgPath      string // cases filed inside this subtree
	DepartmentID string // cases with a task for this department
	FiledBy      string // cases filed by this user id (我发起的)
	Overdue      *bool
	// Callback is the call-back state (回访: pending, reached, unreached, expired).
	Callback string
	From, To *time.Time // created in [From, To)
	Query    string     // in title, description or address
	Page     Page
}

// apply keeps the cases matching f (its Page aside): the one reading of
// the filters, which the list and the ledger (leaders.go) share.
func (f CaseFilter) apply(q *gorm.DB) *gorm.DB {
	q = f.Scope.applyCases(q)
	q = equal(q, "status", f.Status)
	q = equal(q, "class", f.Class)
	q = equal(q, "level", f.Level)
	q = within(q, "org_path", f.OrgPath)
	q = withTask(q, "id", f.DepartmentID)
	q = equal(q, "filed_by_user_id", f.FiledBy)
	q = flagged(q, "overdue", f.Overdue)
	q = equal(q, "callback_status", f.Callback)
	q = between(q, "created_at", f.From, f.To)
	return matching(q, f.Query, "title", "description", "address", "number")
}

// ListCases returns the cases matching f, newest first, with the total.
func (s *Store) ListCases(ctx context.Context, f CaseFilter) ([]whistle.Case, int64, error) {
	q := f.apply(s.DB.WithContext(ctx).Model(&CaseRow{}))
	rows, total, err := findCounted[CaseRow](q, "cases", "created_at DESC, id DESC", f.Page.paginate)
	if err != nil {
		return nil, 0, err
	}
	out := make([]whistle.Case, len(rows))
	ids := make([]string, len(rows))
	for i, r := range rows {
		out[i] = caseFromRow(r)
		ids[i] = r.ID
	}
	if len(ids) > 0 {
		var tasks []TaskRow
		if err := s.DB.WithContext(ctx).Where("case_id IN ?", ids).Order("summoned_at, id").Find(&tasks).Error; err != nil {
			return nil, 0, fmt.Errorf("list tasks of cases: %w", err)
		}
		idx := make(map[string]int, len(ids))
		for i, id := range ids {
			idx[id] = i
		}
		for _, t := range tasks {
			i := idx[t.CaseID]
			out[i].Tasks = append(out[i].Tasks, taskFromRow(t))
		}
	}
	return out, total, nil
}

// TaskView is a task with what an inbox shows of its case.
type TaskView struct {
	whistle.Task
	CaseTitle  string             `json:"case_title"`
	CaseStatus whistle.CaseStatus `json:"case_status"`
	Class      whistle.Class      `json:"class"`
	Address    string             `json:"address"`
	// CaseDescription and FiledBy tell the clerk what the problem is and
	// who whistled, without opening the case.
	CaseDescription string `json:"case_description,omitempty"`
	FiledBy         string `json:"filed_by,omitempty"`
	// CasePhotos are the ids of the filing's photos, in the filer's order.
	CasePhotos []string `json:"case_photos,omitempty"`
	// NextDeadline is the deadline the department is working against now.
	NextDeadline time.Time `json:"next_deadline"`
}

// TaskFilter narrows ListTasks.
type TaskFilter struct {
	DepartmentID string
	Status       []string // default: OpenTaskStatuses
	Overdue      *bool
	Warning      string // yellow | red: only tasks at that warning level
	Page         Page
}

// OpenTaskStatuses are a department's inbox: the tasks it still owes work
// on, and a return it asked for that the holder has not answered yet (the
// task is still the department's, its clocks running). A dropped or
// released task owes nothing and leaves the inbox.
var OpenTaskStatuses = []string{string(whistle.TaskSummoned), string(whistle.TaskReported), string(whistle.TaskReturnRequested)}

// AllTaskStatuses are a department's whole list (status=all): the open
// tasks and those done, returned or released. A dropped task (the
// department was summoned by mistake) is not among them; it is listed
// only when asked for by its status.
var AllTaskStatuses = []string{string(whistle.TaskSummoned), string(whistle.TaskReported), string(whistle.TaskReturnRequested),
	string(whistle.TaskDone), string(whistle.TaskReturned), string(whistle.TaskReleased)}

// TaskStatuses are every task status a list may filter by.
var TaskStatuses = append(append([]string(nil), AllTaskStatuses...), string(whistle.TaskDropped))

// reportClock is the SQL condition of a task working against its report
// deadline: summoned, or a return asked for before reporting.
const reportClock = "(tasks.status = 'summoned' OR (tasks.status = 'return_requested' AND tasks.return_from = 'summoned'))"

// ListTasks returns a department's inbox, the most urgent deadline first.
func (s *Store) ListTasks(ctx context.Context, f TaskFilter) ([]TaskView, int64, error) {
	statuses := f.Status
	if len(statuses) == 0 {
		statuses = OpenTaskStatuses
	}
	q := s.DB.WithContext(ctx).Table("tasks").Joins("JOIN cases ON cases.id = tasks.case_id").
		Where("tasks.department_id = ? AND tasks.status IN ?", f.DepartmentID, statuses)
	q = flagged(q, "tasks.overdue", f.Overdue)
	q = equal(q, "tasks.warning", f.Warning)
	return taskViews(q, nextDeadline+", tasks.id", f.Page.paginate)
}

// TaskByID returns a task of the read model or a not_found error.
func (s *Store) TaskByID(ctx context.Context, id string) (whistle.Task, error) {
	var row TaskRow
	if err := take(s.DB.WithContext(ctx).Where("id = ?", id), &row, "task", id); err != nil {
		return whistle.Task{}, err
	}
	return taskFromRow(row), nil
}

// CaseHeader returns a case row without its children, or a not_found error.
func (s *Store) CaseHeader(ctx context.Context, id string) (whistle.Case, error) {
	var row CaseRow
	if err := take(s.DB.WithContext(ctx).Where("id = ?", id), &row, "case", id); err != nil {
		return whistle.Case{}, err
	}
	return caseFromRow(row), nil
}

// TaskDepartments returns the departments with a task on the case.
func (s *Store) TaskDepartments(ctx context.Context, caseID string) ([]string, error) {
	var ids []string
	if err := s.DB.WithContext(ctx).Model(&TaskRow{}).Where("case_id = ?", caseID).Distinct().Pluck("department_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("departments of case %s: %w", caseID, err)
	}
	return ids, nil
}
