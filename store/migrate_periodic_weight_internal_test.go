package store

import (
	"context"
	"testing"
	"time"
)

// TestMigratePeriodicWeight: on a database from before the periodic
// weight was a setting (the columns rolled back), a year's setting and a
// month published then read, after the migration, as the constant 0.3
// they were computed with.
func TestMigratePeriodicWeight(t *testing.T) {
	ctx := context.Background()
	s := migratedSQLite(t)
	if err := rollbackPeriodicWeight(s.DB); err != nil {
		t.Fatal(err)
	}
	m := s.DB.Migrator()
	for _, tb := range periodicWeightTables {
		if m.HasColumn(tb, "PeriodicWeight") {
			t.Errorf("%s.periodic_weight left after the rollback", tb.TableName())
		}
	}
	// Rows as the earlier schema wrote them.
	if err := s.DB.Exec(`INSERT INTO assessment_settings (year, street_weight, district_weight, min_cases, created_at, updated_at) VALUES (2026, 0.4, 0.4, 5, ?, ?)`,
		time.Now(), time.Now()).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.DB.Exec(`INSERT INTO supervision_publications (month, published_at, street_weight, district_weight, min_cases, "rows") VALUES (202603, ?, 0.4, 0.4, 5, 0)`,
		time.Now()).Error; err != nil {
		t.Fatal(err)
	}
	if err := migratePeriodicWeight(s.DB); err != nil {
		t.Fatal(err)
	}
	for _, tb := range periodicWeightTables {
		if !m.HasColumn(tb, "PeriodicWeight") {
			t.Errorf("%s.periodic_weight missing after the migration", tb.TableName())
		}
	}
	if a, err := s.AssessmentSettingFor(ctx, 2026); err != nil || a.PeriodicWeight != DefaultPeriodicWeight || a.StreetWeight != 0.4 {
		t.Errorf("2026's setting %+v %v, want the periodic weight %v", a, err, DefaultPeriodicWeight)
	}
	rep, err := s.Assessment(ctx, AssessmentQuery{Year: 2026, AsOfMonth: 202603})
	if err != nil || rep.PeriodicWeight != DefaultPeriodicWeight || rep.StreetWeight != 0.4 {
		t.Errorf("March as published: periodic weight %v street weight %v (%v), want %v and 0.4", rep.PeriodicWeight, rep.StreetWeight, err, DefaultPeriodicWeight)
	}
}
