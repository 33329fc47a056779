package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
)

// IntakeSetting is the acceptance clock of one case source: how long its
// pending cases may wait to be accepted, rejected or merged ("2h", "1d";
// working time). A source without a row has whistle.DefaultAcceptWithin.
type IntakeSetting struct {
	Source       string `gorm:"primaryKey;size:16"`
	AcceptWithin string `gorm:"size:32;not null"`
	UpdatedBy    string `gorm:"size:64"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// AcceptWithinFor returns the acceptance span of a source: its setting, or
// whistle.DefaultAcceptWithin.
func (s *Store) AcceptWithinFor(ctx context.Context, source whistle.Source) (string, error) {
	var row IntakeSetting
	err := s.DB.WithContext(ctx).Where("source = ?", string(source)).Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return whistle.DefaultAcceptWithin, nil
	case err != nil:
		return "", fmt.Errorf("load intake setting of %s: %w", source, err)
	}
	return row.AcceptWithin, nil
}

// PutIntakeSetting creates or replaces a source's acceptance span. It
// applies to cases filed after it.
func (s *Store) PutIntakeSetting(ctx context.Context, row IntakeSetting) error {
	if err := s.DB.WithContext(ctx).Save(&row).Error; err != nil {
		return fmt.Errorf("save intake setting of %s: %w", row.Source, err)
	}
	return nil
}

// intakeCaseColumns is the cases table as 202612020003_intake leaves it:
// the migration's own snapshot, so a later change of CaseRow does not
// change what it does.
type intakeCaseColumns struct {
	Outcome        string `gorm:"size:16;not null;default:''"`
	MergedInto     string `gorm:"size:40;not null;default:''"`
	RejectReason   string `gorm:"type:text"`
	AcceptDeadline *time.Time
	AcceptBreached bool `gorm:"not null;default:false"`
}

func (intakeCaseColumns) TableName() string { return "cases" }

var intakeColumns = []string{"Outcome", "MergedInto", "RejectReason", "AcceptDeadline", "AcceptBreached"}

// intakeRules are the acceptance queue's rows of the shipped policy: the
// holding unit's command centre or secretary accepts, rejects and merges.
var intakeRules = func() [][4]string {
	var out [][4]string
	for _, role := range []string{"commander", "street_secretary", "community_secretary"} {
		for _, act := range []string{"case:accept", "case:reject", "case:merge"} {
			out = append(out, [4]string{role, act, "holder", "case:holder_level"})
		}
	}
	return out
}()

// migrateIntake adds the acceptance queue's case columns (a fresh database
// already has them from the initial migration's model), the intake
// settings table, marks the cases already closed as resolved, and adds
// the accept/reject/merge rules to a policy table already seeded (an empty
// one seeds from the defaults, which have them).
func migrateIntake(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, col := range intakeColumns {
		if m.HasColumn(&intakeCaseColumns{}, col) {
			continue
		}
		if err := m.AddColumn(&intakeCaseColumns{}, col); err != nil {
			return fmt.Errorf("add cases.%s: %w", col, err)
		}
	}
	if err := tx.AutoMigrate(&IntakeSetting{}); err != nil {
		return fmt.Errorf("create intake_settings: %w", err)
	}
	if err := tx.Exec("UPDATE cases SET outcome = ? WHERE status = ? AND outcome = ''",
		string(whistle.OutcomeResolved), string(whistle.CaseClosed)).Error; err != nil {
		return fmt.Errorf("mark closed cases resolved: %w", err)
	}
	var n int64
	if err := tx.Raw("SELECT COUNT(*) FROM policy_rules").Scan(&n).Error; err != nil {
		return fmt.Errorf("count policy rules: %w", err)
	}
	if n == 0 {
		return nil
	}
	for _, r := range intakeRules {
		var have int64
		if err := tx.Raw("SELECT COUNT(*) FROM policy_rules WHERE p_type = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?",
			r[0], r[1], r[2], r[3]).Scan(&have).Error; err != nil {
			return fmt.Errorf("intake rule %v: %w", r, err)
		}
		if have > 0 {
			continue
		}
		if err := tx.Exec("INSERT INTO policy_rules (p_type, v0, v1, v2, v3, v4, v5) VALUES ('p', ?, ?, ?, ?, '', '')",
			r[0], r[1], r[2], r[3]).Error; err != nil {
			return fmt.Errorf("add intake rule %v: %w", r, err)
		}
	}
	return nil
}

func rollbackIntake(tx *gorm.DB) error {
	for _, r := range intakeRules {
		if err := tx.Exec("DELETE FROM policy_rules WHERE p_type = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?",
			r[0], r[1], r[2], r[3]).Error; err != nil {
			return fmt.Errorf("drop intake rule %v: %w", r, err)
		}
	}
	if err := tx.Migrator().DropTable(&IntakeSetting{}); err != nil {
		return fmt.Errorf("drop intake_settings: %w", err)
	}
	for _, col := range intakeColumns {
		if err := tx.Migrator().DropColumn(&intakeCaseColumns{}, col); err != nil {
			return fmt.Errorf("drop cases.%s: %w", col, err)
		}
	}
	return nil
}
