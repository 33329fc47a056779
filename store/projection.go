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

// ApplyCase writes the workflow's view of a case into the read model, in
// one transaction. It is idempotent and order-safe: timeline entries are
// keyed by (case, seq) and written once; the case and its children are
// replaced only when c.Seq is newer than the stored row, so a retried or
// late write never rolls the case back.
func (s *Store) ApplyCase(ctx context.Context, c whistle.Case, entries []whistle.TimelineEntry) error {
	return s.ApplyCaseWithOutbox(ctx, c, entries, nil)
}

// ApplyCaseWithOutbox is ApplyCase that also adds outbox, the entries'
// notifications, to the notification outbox in the same transaction: the
// timeline and its notifications are written together or not at all, and
// a retried write adds no notification twice (outbox.go).
func (s *Store) ApplyCaseWithOutbox(ctx context.Context, c whistle.Case, entries []whistle.TimelineEntry, outbox []OutboxItem) error {
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if len(entries) > 0 {
			rows := make([]TimelineRow, len(entries))
			for i, e := range entries {
				rows[i] = TimelineRow{CaseID: c.ID, Seq: e.Seq, At: e.At.UTC(), Type: e.Type, Actor: e.Actor, TaskID: e.TaskID, DepartmentID: e.DepartmentID, Detail: e.Detail}
			}
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 200).Error; err != nil {
				return fmt.Errorf("write timeline: %w", err)
			}
		}
		if err := writeOutbox(tx, outbox); err != nil {
			return err
		}
		before, err := readRecurringBefore(tx, c.ID) // recurring_rollup.go
		if err != nil {
			return err
		}
		tasks := make([]TaskRow, len(c.Tasks))
		for i, t := range c.Tasks {
			tasks[i] = taskRow(c, t)
		}
		row := caseRow(c)
		row.LedgerNames, row.LedgerNamesSeq = LedgerNames(tasks), &row.Seq
		res := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "id"}},
			UpdateAll: true,
			Where:     clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "cases.seq < excluded.seq"}}},
		}).Create(&row)
		if res.Error != nil {
			return fmt.Errorf("write case: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil // a newer version is already stored
		}
		if err := applyRecurring(tx, before, row); err != nil {
			return err
		}
		if len(tasks) > 0 {
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, UpdateAll: true}).Create(&tasks).Error; err != nil {
				return fmt.Errorf("write tasks: %w", err)
			}
		}
		if len(c.Escalations) > 0 {
			rows := make([]EscalationRow, len(c.Escalations))
			for i, e := range c.Escalations {
				rows[i] = escalationRow(c, e)
			}
			// An escalation's answer changes it after it is written: replace
			// it, as tasks are (only here, under a newer case version).
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "case_id"}, {Name: "seq"}}, UpdateAll: true}).Create(&rows).Error; err != nil {
				return fmt.Errorf("write escalations: %w", err)
			}
		}
		if len(c.Breaches) > 0 {
			rows := make([]BreachRow, len(c.Breaches))
			for i, b := range c.Breaches {
				rows[i] = BreachRow{ID: b.ID, CaseID: c.ID, TaskID: b.TaskID, DepartmentID: b.DepartmentID, OrgPath: c.OrgPath, Class: string(c.Class),
					Kind: b.Kind, Level: string(b.Level), Deadline: b.Deadline.UTC(), At: b.At.UTC(), Resolved: b.Resolved, ResolvedAt: utcPtr(b.ResolvedAt)}
			}
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, UpdateAll: true}).Create(&rows).Error; err != nil {
				return fmt.Errorf("write breaches: %w", err)
			}
		}
		if err := applyOrders(tx, c); err != nil {
			return err
		}
		if err := applyCaseFiles(tx, c); err != nil { // files.go
			return err
		}
		if len(c.Evaluations) > 0 {
			rows := make([]EvaluationRow, len(c.Evaluations))
			for i, e := range c.Evaluations {
				rows[i] = EvaluationRow{CaseID: c.ID, DepartmentID: e.DepartmentID, OrgPath: c.OrgPath, Timeliness: e.Timeliness, Quality: e.Quality, Attitude: e.Attitude,
					Satisfaction: string(e.Satisfaction), Comment: e.Comment, Default: e.Default, Level: string(e.Level), OrgUnitID: e.OrgUnitID, At: e.At.UTC(), By: e.By}
			}
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "case_id"}, {Name: "department_id"}}, UpdateAll: true}).Create(&rows).Error; err != nil {
				return fmt.Errorf("write evaluations: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("project case %s seq %d: %w", c.ID, c.Seq, err)
	}
	return nil
}

func caseRow(c whistle.Case) CaseRow {
	row := CaseRow{
		ID: c.ID, Number: c.Number, Title: c.Title, Description: c.Description, Category: c.Category, CatalogueItem: c.CatalogueItem,
		Source: string(c.Source), Class: string(c.Class), Status: string(c.Status), Level: string(c.Level), Overdue: c.Overdue,
		OrgUnitID: c.OrgUnitID, OrgPath: c.OrgPath, HolderOrgUnitID: c.HolderOrgUnitID, HolderOrgPath: c.HolderOrgPath,
		Address: c.Location.Address, Lat: c.Location.Lat, Lon: c.Location.Lon, GridID: c.Location.GridID,
		FiledBy: c.FiledBy, FiledByUserID: c.FiledByUserID, VerifyFailures: c.VerifyFailures, Seq: c.Seq,
		EvaluationDue: utcPtr(c.EvaluationDue), VerifiedAt: utcPtr(c.VerifiedAt), ClosedAt: utcPtr(c.ClosedAt),
		Outcome: string(c.Outcome), MergedInto: c.MergedInto, RejectReason: c.RejectReason,
		AcceptDeadline: utcPtr(c.AcceptDeadline), AcceptBreached: c.AcceptBreached,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
	}
	c = c.InUTC() // the JSON columns too
	if len(c.Dispatches) > 0 {
		b, _ := json.Marshal(c.Dispatches)
		row.DispatchesJSON = string(b)
	}
	if c.Unresolvable != nil {
		u := *c.Unresolvable
		b, _ := json.Marshal(u)
		row.UnresolvableJSON, row.UnresolvableStatus, row.UnresolvableAt = string(b), u.Status, &u.RequestedAt
	}
	callbackColumns(&row, c) // callback.go
	return row
}

func escalationRow(c whistle.Case, e whistle.Escalation) EscalationRow {
	return EscalationRow{CaseID: c.ID, Seq: e.Seq, OrgPath: c.OrgPath, Class: string(c.Class), FromLevel: string(e.From), ToLevel: string(e.To),
		FromOrgUnitID: e.FromOrgUnitID, ToOrgUnitID: e.ToOrgUnitID, Kind: e.Kind, Reason: e.Reason, At: e.At.UTC(), By: e.By,
		ToOrgPath: e.ToOrgPath, Status: e.Status, AnswerDeadline: utcPtr(e.AnswerDeadline), AnswerBreached: e.AnswerBreached,
		AnsweredAt: utcPtr(e.AnsweredAt), AnsweredBy: e.AnsweredBy, Comment: e.Comment}
}

func taskRow(c whistle.Case, t whistle.Task) TaskRow {
	row := TaskRow{
		ID: t.ID, CaseID: c.ID, DepartmentID: t.DepartmentID, DepartmentName: t.DepartmentName, Status: string(t.Status),
		OrgPath: c.OrgPath, Class: string(c.Class), SummonedAt: t.SummonedAt.UTC(), SummonedBy: t.SummonedBy, SummonedLevel: string(t.SummonedLevel),
		ReportDeadline: t.ReportDeadline.UTC(), HandleDeadline: t.HandleDeadline.UTC(), Overdue: t.Overdue,
		ReportedAt: utcPtr(t.ReportedAt), DoneAt: utcPtr(t.DoneAt), ReturnedAt: utcPtr(t.ReturnedAt), ReturnReason: t.ReturnReason,
		Rerouted: t.Rerouted, ReportBreached: t.ReportBreached, HandleBreached: t.HandleBreached, Reopened: t.Reopened, Extensions: t.Extensions,
		Lead: t.Lead, ReturnFrom: string(t.ReturnFrom), ReturnAnswer: t.ReturnAnswer, DroppedAt: utcPtr(t.DroppedAt), DropReason: t.DropReason,
		ExtensionLimit: t.ExtensionLimits.Count, ExtensionCap: utcPtr(t.ExtensionLimits.Cap),
		Warning: t.Warning, WarnAtJSON: warnAtJSON(t.WarnAt), WarnedReport: t.WarnedReport, WarnedHandle: t.WarnedHandle,
		Urges: t.Urges, LastUrgedAt: utcPtr(t.LastUrgedAt),
	}
	if t.Extension != nil {
		row.ExtensionStatus = t.Extension.Status
	}
	if t.Feedback != nil {
		b, _ := json.Marshal(t.Feedback)
		row.FeedbackJSON = string(b)
	}
	if t.Extension != nil {
		b, _ := json.Marshal(t.Extension)
		row.ExtensionJSON = string(b)
	}
	return row
}

// Case loads a case with its tasks, escalations, evaluations, breaches,
// supervision orders and timeline from the read model, or returns a not_found error.
func (s *Store) Case(ctx context.Context, id string) (whistle.Case, error) {
	db := s.DB.WithContext(ctx)
	var row CaseRow
	if err := take(db.Where("id = ?", id), &row, "case", id); err != nil {
		return whistle.Case{}, err
	}
	c := caseFromRow(row)
	var tasks []TaskRow
	if err := db.Where("case_id = ?", id).Order("summoned_at, id").Find(&tasks).Error; err != nil {
		return c, fmt.Errorf("load tasks of case %s: %w", id, err)
	}
	for _, t := range tasks {
		c.Tasks = append(c.Tasks, taskFromRow(t))
	}
	var escs []EscalationRow
	if err := db.Where("case_id = ?", id).Order("seq").Find(&escs).Error; err != nil {
		return c, fmt.Errorf("load escalations of case %s: %w", id, err)
	}
	for _, e := range escs {
		c.Escalations = append(c.Escalations, escalationFromRow(e))
	}
	var evals []EvaluationRow
	if err := db.Where("case_id = ?", id).Order("at, department_id").Find(&evals).Error; err != nil {
		return c, fmt.Errorf("load evaluations of case %s: %w", id, err)
	}
	for _, e := range evals {
		c.Evaluations = append(c.Evaluations, whistle.Evaluation{CaseID: e.CaseID, DepartmentID: e.DepartmentID, Timeliness: e.Timeliness, Quality: e.Quality,
			Attitude: e.Attitude, Satisfaction: whistle.Satisfaction(e.Satisfaction), Comment: e.Comment, Default: e.Default, Level: whistle.Level(e.Level), OrgUnitID: e.OrgUnitID, At: e.At, By: e.By})
	}
	var breaches []BreachRow
	if err := db.Where("case_id = ?", id).Order("at, id").Find(&breaches).Error; err != nil {
		return c, fmt.Errorf("load breaches of case %s: %w", id, err)
	}
	for _, b := range breaches {
		c.Breaches = append(c.Breaches, breachFromRow(b))
	}
	orders, err := caseOrders(db, id)
	if err != nil {
		return c, err
	}
	c.SupervisionOrders = orders
	if c.Photos, err = casePhotos(db, id); err != nil {
		return c, err
	}
	timeline, err := s.Timeline(ctx, id)
	if err != nil {
		return c, err
	}
	c.Timeline = timeline
	return c.InUTC(), nil
}

// Timeline returns a case's timeline in order.
func (s *Store) Timeline(ctx context.Context, caseID string) ([]whistle.TimelineEntry, error) {
	var rows []TimelineRow
	if err := s.DB.WithContext(ctx).Where("case_id = ?", caseID).Order("seq").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load timeline of case %s: %w", caseID, err)
	}
	out := make([]whistle.TimelineEntry, len(rows))
	for i, r := range rows {
		out[i] = whistle.TimelineEntry{Seq: r.Seq, At: r.At, Type: r.Type, Actor: r.Actor, TaskID: r.TaskID, DepartmentID: r.DepartmentID, Detail: r.Detail}
	}
	return out, nil
}

// caseFromRow and taskFromRow answer in UTC whatever zone the driver
// reads in (pgx: the server's) and the JSON columns were written in.
func caseFromRow(r CaseRow) whistle.Case {
	c := whistle.Case{
		ID: r.ID, Number: r.Number, Title: r.Title, Description: r.Description, Category: r.Category, CatalogueItem: r.CatalogueItem,
		Source: whistle.Source(r.Source), Class: whistle.Class(r.Class), Status: whistle.CaseStatus(r.Status), Overdue: r.Overdue,
		Location:  whistle.Location{Address: r.Address, Lat: r.Lat, Lon: r.Lon, GridID: r.GridID},
		OrgUnitID: r.OrgUnitID, OrgPath: r.OrgPath, Level: whistle.Level(r.Level), HolderOrgUnitID: r.HolderOrgUnitID, HolderOrgPath: r.HolderOrgPath,
		FiledBy: r.FiledBy, FiledByUserID: r.FiledByUserID, VerifyFailures: r.VerifyFailures,
		Tasks: []whistle.Task{}, Escalations: []whistle.Escalation{}, Evaluations: []whistle.Evaluation{}, Breaches: []whistle.Breach{}, Timeline: []whistle.TimelineEntry{},
		EvaluationDue: r.EvaluationDue, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, VerifiedAt: r.VerifiedAt, ClosedAt: r.ClosedAt, Seq: r.Seq,
		Outcome: whistle.Outcome(r.Outcome), MergedInto: r.MergedInto, RejectReason: r.RejectReason,
		AcceptDeadline: r.AcceptDeadline, AcceptBreached: r.AcceptBreached,
	}
	if r.DispatchesJSON != "" {
		_ = json.Unmarshal([]byte(r.DispatchesJSON), &c.Dispatches)
	}
	if r.UnresolvableJSON != "" {
		var u whistle.UnresolvableRequest
		if json.Unmarshal([]byte(r.UnresolvableJSON), &u) == nil {
			c.Unresolvable = &u
		}
	}
	callbackFromRow(&c, r) // callback.go
	return c.InUTC()
}

func taskFromRow(r TaskRow) whistle.Task {
	t := whistle.Task{
		ID: r.ID, CaseID: r.CaseID, DepartmentID: r.DepartmentID, DepartmentName: r.DepartmentName, Status: whistle.TaskStatus(r.Status),
		SummonedAt: r.SummonedAt, SummonedBy: r.SummonedBy, SummonedLevel: whistle.Level(r.SummonedLevel),
		ReportDeadline: r.ReportDeadline, HandleDeadline: r.HandleDeadline, Overdue: r.Overdue,
		ReportedAt: r.ReportedAt, DoneAt: r.DoneAt, ReturnedAt: r.ReturnedAt, ReturnReason: r.ReturnReason, Rerouted: r.Rerouted,
		ReportBreached: r.ReportBreached, HandleBreached: r.HandleBreached, Reopened: r.Reopened, Extensions: r.Extensions,
		Lead: r.Lead, ReturnFrom: whistle.TaskStatus(r.ReturnFrom), ReturnAnswer: r.ReturnAnswer, DroppedAt: utcPtr(r.DroppedAt), DropReason: r.DropReason,
		ExtensionLimits: whistle.ExtensionLimits{Count: r.ExtensionLimit, Cap: utcPtr(r.ExtensionCap)},
		Warning:         r.Warning, WarnedReport: r.WarnedReport, WarnedHandle: r.WarnedHandle, Urges: r.Urges, LastUrgedAt: utcPtr(r.LastUrgedAt),
	}
	if r.WarnAtJSON != "" {
		_ = json.Unmarshal([]byte(r.WarnAtJSON), &t.WarnAt)
	}
	if r.FeedbackJSON != "" {
		t.Feedback = &whistle.Feedback{}
		_ = json.Unmarshal([]byte(r.FeedbackJSON), t.Feedback)
	}
	if r.ExtensionJSON != "" {
		t.Extension = &whistle.ExtensionRequest{}
		_ = json.Unmarshal([]byte(r.ExtensionJSON), t.Extension)
	}
	return t.InUTC()
}

func escalationFromRow(e EscalationRow) whistle.Escalation {
	return whistle.Escalation{Seq: e.Seq, CaseID: e.CaseID, From: whistle.Level(e.FromLevel), To: whistle.Level(e.ToLevel),
		FromOrgUnitID: e.FromOrgUnitID, ToOrgUnitID: e.ToOrgUnitID, Kind: e.Kind, Reason: e.Reason, At: e.At.UTC(), By: e.By,
		ToOrgPath: e.ToOrgPath, Status: e.Status, AnswerDeadline: utcPtr(e.AnswerDeadline), AnswerBreached: e.AnswerBreached,
		AnsweredAt: utcPtr(e.AnsweredAt), AnsweredBy: e.AnsweredBy, Comment: e.Comment}
}

func breachFromRow(b BreachRow) whistle.Breach {
	return whistle.Breach{ID: b.ID, CaseID: b.CaseID, TaskID: b.TaskID, DepartmentID: b.DepartmentID, Kind: b.Kind, Deadline: b.Deadline,
		At: b.At, Level: whistle.Level(b.Level), Resolved: b.Resolved, ResolvedAt: b.ResolvedAt}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
