package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Issue 17: appeals against a case's attribution in a published month and
// the corrections upheld ones carry into the next publication; the
// periodic evaluations of departments by streets and districts.
// The structs are this migration's snapshots.

// appealsRules are the rows of the shipped policy this migration adds to a
// policy table seeded before it (policy/default_policy.csv): a department's
// clerk (or its bureau's) appeals; a supervisor in jurisdiction, or an
// admin, answers.
var appealsRules = [][4]string{
	{"clerk", "supervision:appeal", "own_department", "supervision:appealer"},
	{"clerk", "supervision:appeal", "stationed_unit", "supervision:appealer"},
	{"supervisor", "supervision:answer_appeal", "jurisdiction", "supervision:appeal_answerer"},
	{"admin", "supervision:answer_appeal", "anywhere", "admin:anywhere"},
	// Periodic evaluation (定期评议): a street's or district's command
	// centre or street secretary rates for its own unit.
	{"street_secretary", "supervision:periodic", "holder", "supervision:periodic_rater"},
	{"commander", "supervision:periodic", "holder", "supervision:periodic_rater"},
}

func migrateAppeals(tx *gorm.DB) error {
	type supervisionAppeal struct {
		ID           uint64    `gorm:"primaryKey;autoIncrement"`
		Month        int       `gorm:"not null;index:idx_supervision_appeals_month"`
		CaseID       string    `gorm:"size:40;not null;index:idx_supervision_appeals_case"`
		CaseNumber   string    `gorm:"size:20;not null;default:''"`
		CaseTitle    string    `gorm:"size:200;not null;default:''"`
		OrgPath      string    `gorm:"size:255;not null;index:idx_supervision_appeals_path"`
		AreaID       string    `gorm:"size:32;not null"`
		DistrictID   string    `gorm:"size:32;not null"`
		DepartmentID string    `gorm:"size:40;not null;index:idx_supervision_appeals_dept"`
		Rate         string    `gorm:"size:20;not null"`
		Reason       string    `gorm:"type:text;not null"`
		Status       string    `gorm:"size:16;not null;index:idx_supervision_appeals_status"`
		FiledBy      string    `gorm:"size:64;not null"`
		FiledAt      time.Time `gorm:"not null"`
		AnsweredBy   string    `gorm:"size:64;not null;default:''"`
		AnsweredAt   *time.Time
		Comment      string `gorm:"type:text"`
		AppliedMonth int    `gorm:"not null;default:0"`
	}
	type supervisionAdjustment struct {
		AppealID     uint64 `gorm:"primaryKey;autoIncrement:false"`
		DepartmentID string `gorm:"size:40;not null"`
		AreaID       string `gorm:"size:32;not null"`
		DistrictID   string `gorm:"size:32;not null"`
		AppliedMonth int    `gorm:"not null;default:0;index:idx_supervision_adjustments_applied"`
		Counts
	}
	type appealSetting struct {
		ID        int    `gorm:"primaryKey;autoIncrement:false"`
		Days      int    `gorm:"not null"`
		UpdatedBy string `gorm:"size:64"`
		UpdatedAt time.Time
	}
	if err := tx.Table("supervision_appeals").AutoMigrate(&supervisionAppeal{}); err != nil {
		return fmt.Errorf("create supervision_appeals: %w", err)
	}
	if err := tx.Table("supervision_adjustments").AutoMigrate(&supervisionAdjustment{}); err != nil {
		return fmt.Errorf("create supervision_adjustments: %w", err)
	}
	if err := tx.Table("appeal_settings").AutoMigrate(&appealSetting{}); err != nil {
		return fmt.Errorf("create appeal_settings: %w", err)
	}
	type periodicEvaluation struct {
		ID             uint64 `gorm:"primaryKey;autoIncrement"`
		Period         string `gorm:"size:6;not null;uniqueIndex:idx_periodic_once,priority:1"`
		Year           int    `gorm:"not null;index:idx_periodic_dept_year,priority:2"`
		Quarter        int    `gorm:"not null"`
		RaterOrgUnitID string `gorm:"size:32;not null;uniqueIndex:idx_periodic_once,priority:2"`
		RaterOrgPath   string `gorm:"size:255;not null;index:idx_periodic_rater_path"`
		RaterLevel     string `gorm:"size:16;not null"`
		DepartmentID   string `gorm:"size:40;not null;uniqueIndex:idx_periodic_once,priority:3;index:idx_periodic_dept_year,priority:1"`
		Work           int    `gorm:"not null"`
		Cooperation    int    `gorm:"not null"`
		Residents      int    `gorm:"not null"`
		Comment        string `gorm:"type:text"`
		By             string `gorm:"size:64;not null"`
		CreatedAt      time.Time
		UpdatedAt      time.Time
	}
	if err := tx.Table("periodic_evaluations").AutoMigrate(&periodicEvaluation{}); err != nil {
		return fmt.Errorf("create periodic_evaluations: %w", err)
	}
	// An empty policy table is seeded from the defaults, which have them.
	var n int64
	if err := tx.Raw("SELECT COUNT(*) FROM policy_rules").Scan(&n).Error; err != nil {
		return fmt.Errorf("count policy rules: %w", err)
	}
	if n == 0 {
		return nil
	}
	for _, r := range appealsRules {
		var have int64
		if err := tx.Raw("SELECT COUNT(*) FROM policy_rules WHERE p_type = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?",
			r[0], r[1], r[2], r[3]).Scan(&have).Error; err != nil {
			return fmt.Errorf("appeals rule %v: %w", r, err)
		}
		if have > 0 {
			continue
		}
		if err := tx.Exec("INSERT INTO policy_rules (p_type, v0, v1, v2, v3, v4, v5) VALUES ('p', ?, ?, ?, ?, '', '')",
			r[0], r[1], r[2], r[3]).Error; err != nil {
			return fmt.Errorf("add appeals rule %v: %w", r, err)
		}
	}
	return nil
}

func rollbackAppeals(tx *gorm.DB) error {
	for _, r := range appealsRules {
		if err := tx.Exec("DELETE FROM policy_rules WHERE p_type = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?",
			r[0], r[1], r[2], r[3]).Error; err != nil {
			return fmt.Errorf("drop appeals rule %v: %w", r, err)
		}
	}
	for _, t := range []string{"supervision_appeals", "supervision_adjustments", "appeal_settings", "periodic_evaluations"} {
		if err := tx.Migrator().DropTable(t); err != nil {
			return fmt.Errorf("drop %s: %w", t, err)
		}
	}
	return nil
}
