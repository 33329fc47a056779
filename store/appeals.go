package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// Appeals (申诉, issue 17): a department contests a case's attribution in a
// published month, within the appeal window after the month ends. A
// published month never changes: an upheld appeal records an adjustment
// (minus the department's share of the case, as the rows stood when it
// was upheld) that the next publication adds to its frozen copy, so the
// next month and the running assessment carry the correction, and the
// drill-down of that month lists it with the appeal's id.

// Appeal statuses.
const (
	AppealOpen     = "open"
	AppealUpheld   = "upheld"
	AppealRejected = "rejected"
)

// Appeal refusal codes (422 in the API): the window closed, or the case is
// not in the department's cells of the month.
const (
	EAppealWindow    = "appeal_window_closed"
	EAppealNotInCell = "not_in_cell"
)

// DefaultAppealDays is the appeal window, in days after the month ends.
const DefaultAppealDays = 10

// MaxAppealDays bounds the window an admin may set.
const MaxAppealDays = 90

// SupervisionAppeal is one appeal and its answer.
type SupervisionAppeal struct {
	ID    uint64 `gorm:"primaryKey;autoIncrement" json:"id"`
	Month int    `gorm:"not null;index:idx_supervision_appeals_month" json:"-"` // YYYYMM
	// CaseID and the case's filing unit (OrgPath, its street AreaID and
	// district DistrictID): the jurisdiction an answer needs.
	CaseID       string     `gorm:"size:40;not null;index:idx_supervision_appeals_case" json:"case_id"`
	CaseNumber   string     `gorm:"size:20;not null;default:''" json:"case_number"`
	CaseTitle    string     `gorm:"size:200;not null;default:''" json:"case_title"`
	OrgPath      string     `gorm:"size:255;not null;index:idx_supervision_appeals_path" json:"org_path"`
	AreaID       string     `gorm:"size:32;not null" json:"area_id"`
	DistrictID   string     `gorm:"size:32;not null" json:"district_id"`
	DepartmentID string     `gorm:"size:40;not null;index:idx_supervision_appeals_dept" json:"department_id"`
	Rate         string     `gorm:"size:20;not null" json:"rate"`
	Reason       string     `gorm:"type:text;not null" json:"reason"`
	Status       string     `gorm:"size:16;not null;index:idx_supervision_appeals_status" json:"status"`
	FiledBy      string     `gorm:"size:64;not null" json:"filed_by"`
	FiledAt      time.Time  `gorm:"not null" json:"filed_at"`
	AnsweredBy   string     `gorm:"size:64;not null;default:''" json:"answered_by,omitempty"`
	AnsweredAt   *time.Time `json:"answered_at,omitempty"`
	Comment      string     `gorm:"type:text" json:"comment,omitempty"`
	// AppliedMonth is the publication (YYYYMM) that carried an upheld
	// appeal's adjustment; 0 until then.
	AppliedMonth int `gorm:"not null;default:0" json:"-"`

	// DepartmentName is the department's name (lists and answers).
	DepartmentName string `gorm:"-" json:"department_name,omitempty"`
	// MonthText and AppliedText are Month and AppliedMonth as YYYY-MM.
	MonthText   string `gorm:"-" json:"month"`
	AppliedText string `gorm:"-" json:"applied_month,omitempty"`
}

func (a *SupervisionAppeal) fill() {
	a.MonthText = fmt.Sprintf("%04d-%02d", a.Month/100, a.Month%100)
	if a.AppliedMonth != 0 {
		a.AppliedText = fmt.Sprintf("%04d-%02d", a.AppliedMonth/100, a.AppliedMonth%100)
	}
}

// TableName names the appeals table.
func (SupervisionAppeal) TableName() string { return "supervision_appeals" }

// SupervisionAdjustment is an upheld appeal's correction: the counts added
// (negative) to the department's row of the case's street at the next
// publication (AppliedMonth, 0 until published).
type SupervisionAdjustment struct {
	AppealID     uint64 `gorm:"primaryKey;autoIncrement:false"`
	DepartmentID string `gorm:"size:40;not null"`
	AreaID       string `gorm:"size:32;not null"`
	DistrictID   string `gorm:"size:32;not null"`
	AppliedMonth int    `gorm:"not null;default:0;index:idx_supervision_adjustments_applied"`
	Counts
}

// TableName names the adjustments table.
func (SupervisionAdjustment) TableName() string { return "supervision_adjustments" }

// AppealSetting is the one settings row of appeals (ID 1).
type AppealSetting struct {
	ID        int       `gorm:"primaryKey;autoIncrement:false" json:"-"`
	Days      int       `gorm:"not null" json:"days"`
	UpdatedBy string    `gorm:"size:64" json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// TableName names the appeal settings table.
func (AppealSetting) TableName() string { return "appeal_settings" }

// AppealDays returns the appeal window in days (DefaultAppealDays unless
// an admin set one).
func (s *Store) AppealDays(ctx context.Context) (int, error) {
	var rows []AppealSetting
	if err := s.DB.WithContext(ctx).Where("id = 1").Find(&rows).Error; err != nil {
		return 0, fmt.Errorf("load appeal settings: %w", err)
	}
	if len(rows) == 0 {
		return DefaultAppealDays, nil
	}
	return rows[0].Days, nil
}

// PutAppealDays sets the appeal window: invalid outside 1–MaxAppealDays.
func (s *Store) PutAppealDays(ctx context.Context, days int, by string, now time.Time) (AppealSetting, error) {
	a := AppealSetting{ID: 1, Days: days, UpdatedBy: by, UpdatedAt: now.UTC()}
	if days < 1 || days > MaxAppealDays {
		return a, whistle.Errorf(whistle.EInvalid, "申诉期须在 1 到 %d 天之间，收到 %d", "the appeal window must be from 1 to %d days, got %d", MaxAppealDays, days)
	}
	err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{"days", "updated_by", "updated_at"}),
	}).Create(&a).Error
	if err != nil {
		return a, fmt.Errorf("save appeal settings: %w", err)
	}
	return a, nil
}

// AppealRequest is a department's appeal.
type AppealRequest struct {
	Month        int // YYYYMM
	CaseID       string
	DepartmentID string
	Rate         string
	Reason       string
	By           string
}

// AppealWindowEnd is when the appeal window of a month closes: the month's
// end (China time) plus days.
func AppealWindowEnd(month, days int) time.Time {
	return MonthPeriod(month).To.AddDate(0, 0, days)
}

// FileAppeal records an appeal. It refuses (EAppealWindow) a month not
// published or whose window closed, (EAppealNotInCell) a case not filed in
// the month or with no share of the department in the rate's cells (the
// drill-down's shares, caseShares), and (conflict) a second open or upheld
// appeal of the same case, month and department.
func (s *Store) FileAppeal(ctx context.Context, r AppealRequest, now time.Time) (SupervisionAppeal, error) {
	var a SupervisionAppeal
	r.Reason = strings.TrimSpace(r.Reason)
	switch {
	case r.Month%100 < 1 || r.Month%100 > 12 || r.Month/100 < 2000 || r.Month/100 > 2100:
		return a, whistle.Errorf(whistle.EInvalid, "月份无效，格式为 YYYY-MM", "invalid month: use YYYY-MM")
	case r.CaseID == "" || r.DepartmentID == "":
		return a, whistle.Errorf(whistle.EInvalid, "须填写案件和部门", "case_id and department_id are required")
	case r.Reason == "":
		return a, whistle.Errorf(whistle.EInvalid, "须填写申诉理由", "a reason is required")
	case len([]rune(r.Reason)) > 2000:
		return a, whistle.Errorf(whistle.EInvalid, "申诉理由不能超过 2000 字", "the reason must be at most 2000 characters")
	}
	if _, ok := rateCounters[r.Rate]; !ok {
		return a, whistle.Errorf(whistle.EInvalid, "rate 无效：%q（可选 response、resolution、satisfaction、on_time_closure、rework、extension）",
			"invalid rate %q (one of response, resolution, satisfaction, on_time_closure, rework, extension)", r.Rate)
	}
	ym := fmt.Sprintf("%04d-%02d", r.Month/100, r.Month%100)
	if _, published, err := s.published(ctx, r.Month); err != nil {
		return a, err
	} else if !published {
		return a, &whistle.Error{Code: EAppealWindow,
			Message:   fmt.Sprintf("%d年%d月尚未发布，其数字仍在实时更新，发布后方可申诉", r.Month/100, r.Month%100),
			MessageEN: fmt.Sprintf("%s is not published yet (its numbers are live): appeal once it is", ym)}
	}
	days, err := s.AppealDays(ctx)
	if err != nil {
		return a, err
	}
	if end := AppealWindowEnd(r.Month, days); !now.Before(end) {
		local := end.In(worktime.Location)
		return a, &whistle.Error{Code: EAppealWindow,
			Message:   fmt.Sprintf("%d年%d月的申诉期（月末后 %d 天）已于 %s 结束", r.Month/100, r.Month%100, days, local.Format("2006年1月2日 15:04")),
			MessageEN: fmt.Sprintf("the appeal window of %s (%d days after the month) closed on %s", ym, days, local.Format("2006-01-02 15:04 China time"))}
	}
	c, ok, err := s.caseShareOf(ctx, r.CaseID, r.DepartmentID, r.Month, r.Rate)
	if err != nil {
		return a, err
	}
	if !ok {
		return a, &whistle.Error{Code: EAppealNotInCell,
			Message:   fmt.Sprintf("案件 %s 不在该部门%d年%d月的%s统计中，不能申诉", r.CaseID, r.Month/100, r.Month%100, rateNameZH[r.Rate]),
			MessageEN: fmt.Sprintf("case %s is not in the department's %s cells of %s: nothing to appeal", r.CaseID, r.Rate, ym)}
	}
	area, district := AreaOf(c.OrgPath)
	a = SupervisionAppeal{Month: r.Month, CaseID: c.ID, CaseNumber: c.Number, CaseTitle: c.Title, OrgPath: c.OrgPath, AreaID: area, DistrictID: district,
		DepartmentID: r.DepartmentID, Rate: r.Rate, Reason: r.Reason, Status: AppealOpen, FiledBy: r.By, FiledAt: now.UTC()}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Serialize per case on PostgreSQL, so two filings cannot both pass the check.
		if tx.Dialector.Name() == "postgres" {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtext(?))", "appeal:"+c.ID).Error; err != nil {
				return err
			}
		}
		var n int64
		if err := tx.Model(&SupervisionAppeal{}).Where("month = ? AND case_id = ? AND department_id = ? AND status IN ?",
			r.Month, c.ID, r.DepartmentID, []string{AppealOpen, AppealUpheld}).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return &whistle.Error{Code: whistle.EConflict,
				Message:   fmt.Sprintf("该部门已就此案件%d年%d月的统计提出申诉（待答复或已支持）", r.Month/100, r.Month%100),
				MessageEN: fmt.Sprintf("the department already appealed this case's attribution in %s (open or upheld)", ym)}
		}
		return tx.Create(&a).Error
	})
	var we *whistle.Error
	if errors.As(err, &we) {
		return a, we
	}
	if err != nil {
		return a, fmt.Errorf("file appeal: %w", err)
	}
	a.fill()
	return a, nil
}

// rateNameZH names the rates in Chinese, for messages.
var rateNameZH = map[string]string{
	RateResponse: "响应率", RateResolution: "解决率", RateSatisfaction: "满意率",
	RateOnTimeClosure: "按期结案率", RateRework: "返工率", RateExtension: "延期率",
}

// caseShareOf reads a case filed in month and reports whether the
// department has a share in the rate's numerator or denominator (the
// drill-down's membership), with the case row.
func (s *Store) caseShareOf(ctx context.Context, caseID, dept string, month int, rate string) (CaseRow, bool, error) {
	c, shares, err := s.sharesOf(ctx, caseID, month)
	if err != nil || c.ID == "" {
		return c, false, err
	}
	want := map[int]bool{}
	for _, part := range rateCounters[rate] {
		for _, col := range part {
			want[colOf[col]] = true
		}
	}
	for _, sh := range shares {
		if sh.row == dept && want[sh.counter] {
			return c, true, nil
		}
	}
	return c, false, nil
}

// sharesOf reads a case filed in month (an empty row when there is none)
// and its shares.
func (s *Store) sharesOf(ctx context.Context, caseID string, month int) (CaseRow, []share, error) {
	p := MonthPeriod(month)
	db := s.DB.WithContext(ctx)
	var rows []CaseRow
	if err := db.Select("id, number, title, org_path, status, outcome, overdue, verify_failures, verified_at, created_at, callback_status").
		Where("id = ? AND created_at >= ? AND created_at < ?", caseID, p.From.UTC(), p.To.UTC()).Limit(1).Find(&rows).Error; err != nil {
		return CaseRow{}, nil, fmt.Errorf("read case %s: %w", caseID, err)
	}
	if len(rows) == 0 {
		return CaseRow{}, nil, nil
	}
	tasksOf, evalsOf, err := factRows(db, []string{caseID})
	if err != nil {
		return CaseRow{}, nil, err
	}
	return rows[0], caseShares(rows[0], tasksOf[caseID], evalsOf[caseID]), nil
}

// Appeal returns one appeal or not_found.
func (s *Store) Appeal(ctx context.Context, id uint64) (SupervisionAppeal, error) {
	var a SupervisionAppeal
	err := s.DB.WithContext(ctx).Where("id = ?", id).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return a, whistle.Errorf(whistle.ENotFound, "申诉不存在：%d", "appeal not found: %d", id)
	}
	if err != nil {
		return a, fmt.Errorf("load appeal %d: %w", id, err)
	}
	a.fill()
	return a, nil
}

// AnswerAppeal answers an open appeal (conflict if answered already). An
// upheld one records the adjustment: minus the department's share of the
// case as the rows stand now, applied by the next publication.
func (s *Store) AnswerAppeal(ctx context.Context, id uint64, uphold bool, comment, by string, now time.Time) (SupervisionAppeal, error) {
	comment = strings.TrimSpace(comment)
	if len([]rune(comment)) > 2000 {
		return SupervisionAppeal{}, whistle.Errorf(whistle.EInvalid, "答复意见不能超过 2000 字", "the comment must be at most 2000 characters")
	}
	if !uphold && comment == "" {
		return SupervisionAppeal{}, whistle.Errorf(whistle.EInvalid, "不予支持须说明理由", "a rejection needs a comment")
	}
	var out SupervisionAppeal
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var a SupervisionAppeal
		q := tx
		if tx.Dialector.Name() == "postgres" {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Where("id = ?", id).Take(&a).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return whistle.Errorf(whistle.ENotFound, "申诉不存在：%d", "appeal not found: %d", id)
		} else if err != nil {
			return err
		}
		if a.Status != AppealOpen {
			return whistle.Errorf(whistle.EConflict, "该申诉已答复", "the appeal was answered already")
		}
		at := now.UTC()
		a.AnsweredBy, a.AnsweredAt, a.Comment, a.Status = by, &at, comment, AppealRejected
		if uphold {
			a.Status = AppealUpheld
			adj := SupervisionAdjustment{AppealID: a.ID, DepartmentID: a.DepartmentID, AreaID: a.AreaID, DistrictID: a.DistrictID}
			c, shares, err := (&Store{DB: tx}).sharesOf(ctx, a.CaseID, a.Month)
			if err != nil {
				return err
			}
			if c.ID != "" {
				fields := adj.Counts.fields()
				for _, sh := range shares {
					if sh.row == a.DepartmentID {
						*fields[sh.counter] -= sh.n
					}
				}
			}
			if err := tx.Create(&adj).Error; err != nil {
				return err
			}
		}
		if err := tx.Model(&SupervisionAppeal{}).Where("id = ?", a.ID).Updates(map[string]any{
			"status": a.Status, "answered_by": a.AnsweredBy, "answered_at": a.AnsweredAt, "comment": a.Comment}).Error; err != nil {
			return err
		}
		out = a
		return nil
	})
	var we *whistle.Error
	if errors.As(err, &we) {
		return out, we
	}
	if err != nil {
		return out, fmt.Errorf("answer appeal %d: %w", id, err)
	}
	out.fill()
	return out, nil
}

// applyAdjustments adds the upheld appeals' adjustments not yet applied,
// of months before month, to month's frozen copy (in the publication's
// transaction), and marks them applied to month.
func applyAdjustments(tx *gorm.DB, month int) error {
	var adjs []SupervisionAdjustment
	if err := tx.Where("applied_month = 0 AND appeal_id IN (?)",
		tx.Model(&SupervisionAppeal{}).Select("id").Where("status = ? AND month < ?", AppealUpheld, month)).
		Order("appeal_id").Find(&adjs).Error; err != nil {
		return fmt.Errorf("read adjustments: %w", err)
	}
	for _, adj := range adjs {
		var rows []SupervisionPublished
		if err := tx.Where("month = ? AND department_id = ? AND area_id = ?", month, adj.DepartmentID, adj.AreaID).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			row := SupervisionPublished{Month: month, DepartmentID: adj.DepartmentID, AreaID: adj.AreaID, DistrictID: adj.DistrictID, Counts: adj.Counts}
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
		} else {
			row := rows[0]
			row.Counts.Add(adj.Counts)
			set := map[string]any{}
			for i, col := range counterColumns {
				set[col] = *row.Counts.fields()[i]
			}
			if err := tx.Model(&SupervisionPublished{}).Where("month = ? AND department_id = ? AND area_id = ?", month, adj.DepartmentID, adj.AreaID).
				Updates(set).Error; err != nil {
				return err
			}
		}
		if err := tx.Model(&SupervisionAdjustment{}).Where("appeal_id = ?", adj.AppealID).Update("applied_month", month).Error; err != nil {
			return err
		}
		if err := tx.Model(&SupervisionAppeal{}).Where("id = ?", adj.AppealID).Update("applied_month", month).Error; err != nil {
			return err
		}
	}
	return nil
}

// adjustmentItems are the drill-down rows of the adjustments a published
// month carries for a department's cell (cols: the cell's counters), in
// scope: one per appeal, its count the adjustment's (negative).
func (s *Store) adjustmentItems(ctx context.Context, month int, dept string, sc RollupScope, cols []string) ([]CellItem, int64, error) {
	q := s.DB.WithContext(ctx).Table("supervision_adjustments AS j").
		Select("j.*, a.case_id, a.case_number, a.case_title, a.org_path, c.status AS case_status, c.created_at AS filed_at").
		Joins("JOIN supervision_appeals a ON a.id = j.appeal_id").
		Joins("LEFT JOIN cases c ON c.id = a.case_id").
		Where("j.applied_month = ? AND j.department_id = ?", month, dept)
	if sc.AreaID != "" {
		q = q.Where("j.area_id = ?", sc.AreaID)
	}
	if sc.DistrictID != "" {
		q = q.Where("j.district_id = ?", sc.DistrictID)
	}
	type row struct {
		SupervisionAdjustment
		CaseID     string
		CaseNumber string
		CaseTitle  string
		OrgPath    string
		CaseStatus *string
		FiledAt    *time.Time
	}
	var rows []row
	if err := q.Order("j.appeal_id").Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("read adjustments of %d: %w", month, err)
	}
	var items []CellItem
	var total int64
	for _, r := range rows {
		var n int64
		f := r.Counts.fields()
		for _, col := range cols {
			n += *f[colOf[col]]
		}
		if n == 0 {
			continue
		}
		total += n
		it := CellItem{CaseID: r.CaseID, Number: r.CaseNumber, CaseTitle: r.CaseTitle, OrgPath: r.OrgPath,
			DepartmentID: r.DepartmentID, Count: n, AppealID: r.AppealID}
		if r.CaseStatus != nil {
			it.CaseStatus = *r.CaseStatus
		}
		if r.FiledAt != nil {
			it.FiledAt = *r.FiledAt
		}
		items = append(items, it)
	}
	return items, total, nil
}

// AppealFilter narrows ListAppeals. Departments, when set, keeps the
// appeals of those departments only (a clerk's own and its stationed
// units'); PathPrefix those of cases filed in a subtree.
type AppealFilter struct {
	Month       int
	Status      string
	Department  string
	Departments []string
	PathPrefix  string
	Page        Page
}

// ListAppeals lists appeals, the latest first.
func (s *Store) ListAppeals(ctx context.Context, f AppealFilter) ([]SupervisionAppeal, int64, error) {
	q := s.DB.WithContext(ctx).Model(&SupervisionAppeal{})
	if f.Month != 0 {
		q = q.Where("month = ?", f.Month)
	}
	if f.Status != "" {
		if f.Status != AppealOpen && f.Status != AppealUpheld && f.Status != AppealRejected {
			return nil, 0, whistle.Errorf(whistle.EInvalid, "status 无效：%q（可选 open、upheld、rejected）", "invalid status %q (open, upheld or rejected)", f.Status)
		}
		q = q.Where("status = ?", f.Status)
	}
	if f.Department != "" {
		q = q.Where("department_id = ?", f.Department)
	}
	if f.Departments != nil {
		q = q.Where("department_id IN ?", f.Departments)
	}
	if f.PathPrefix != "" && f.PathPrefix != "/" {
		q = q.Where("org_path LIKE ?", f.PathPrefix+"%")
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count appeals: %w", err)
	}
	pg := f.Page.Normalize()
	var out []SupervisionAppeal
	if err := q.Order("id DESC").Offset((pg.Page - 1) * pg.PageSize).Limit(pg.PageSize).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list appeals: %w", err)
	}
	ids := make([]string, 0, len(out))
	for i := range out {
		out[i].fill()
		ids = append(ids, out[i].DepartmentID)
	}
	names, err := s.departmentNames(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	for i := range out {
		out[i].DepartmentName = names[out[i].DepartmentID]
	}
	return out, total, nil
}

func (s *Store) departmentNames(ctx context.Context, ids []string) (map[string]string, error) {
	names := map[string]string{}
	if len(ids) == 0 {
		return names, nil
	}
	var rows []Department
	if err := s.DB.WithContext(ctx).Select("id, name").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("department names: %w", err)
	}
	for _, d := range rows {
		names[d.ID] = d.Name
	}
	return names, nil
}

// StationedUnder returns the ids of the departments stationed directly
// under parent (a bureau's street stations), by id.
func (s *Store) StationedUnder(ctx context.Context, parent string) ([]string, error) {
	var ids []string
	if err := s.DB.WithContext(ctx).Model(&Department{}).Where("parent_id = ?", parent).Order("id").Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("departments under %s: %w", parent, err)
	}
	return ids, nil
}
