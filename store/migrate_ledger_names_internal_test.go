package store

import (
	"context"
	"testing"
	"time"

	"github.com/shaobao/shaobao/whistle"
)

// TestMigrateLedgerNames: on a database from before the names were stored
// (the columns rolled back), the migration fills every case's from its
// tasks, as the projection writes them; run again, it fixes a row whose
// names belong to another version and leaves the rest.
func TestMigrateLedgerNames(t *testing.T) {
	ctx := context.Background()
	s := migratedSQLite(t)
	at := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	task := func(caseID, id, name string, summoned time.Time, status whistle.TaskStatus) whistle.Task {
		return whistle.Task{ID: id, CaseID: caseID, DepartmentID: name, DepartmentName: name, Status: status, SummonedAt: summoned,
			SummonedLevel: whistle.LevelCommunity, ReportDeadline: summoned.Add(time.Hour), HandleDeadline: summoned.Add(72 * time.Hour)}
	}
	kase := func(id string, tasks ...whistle.Task) whistle.Case {
		return whistle.Case{ID: id, Title: id, Source: whistle.SourceGrid, Class: whistle.ClassRoutine, Status: whistle.CaseOpen,
			Level: whistle.LevelCommunity, OrgUnitID: "110101001001", OrgPath: "/110000/110101/110101001/110101001001/",
			HolderOrgUnitID: "110101001001", HolderOrgPath: "/110000/110101/110101001/110101001001/",
			FiledBy: "c1-secretary", FiledByUserID: "u1", Seq: 3, CreatedAt: at, UpdatedAt: at, Tasks: tasks}
	}
	cases := []whistle.Case{
		// Summoned together (ties by id), one dropped, one later.
		kase("M1", task("M1", "M1-T2", "城管", at, whistle.TaskSummoned), task("M1", "M1-T1", "派出所", at, whistle.TaskReported),
			task("M1", "M1-T3", "市场监管", at.Add(time.Hour), whistle.TaskDropped), task("M1", "M1-T4", "派出所", at.Add(2*time.Hour), whistle.TaskSummoned)),
		kase("M2"),
	}
	want := map[string]string{}
	for _, c := range cases {
		if err := s.ApplyCase(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		var row CaseRow
		if err := s.DB.Take(&row, "id = ?", c.ID).Error; err != nil {
			t.Fatal(err)
		}
		want[c.ID] = row.LedgerNames
	}
	if want["M1"] != "派出所"+ledgerNameSep+"城管"+ledgerNameSep+"派出所" || want["M2"] != "" {
		t.Fatalf("projected names %q", want)
	}
	names := func() map[string]string {
		t.Helper()
		var rows []CaseRow
		if err := s.DB.Order("id").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range rows {
			if r.LedgerNamesSeq == nil || *r.LedgerNamesSeq != r.Seq {
				t.Errorf("%s: names of version %v, the case is at %d", r.ID, r.LedgerNamesSeq, r.Seq)
			}
			got[r.ID] = r.LedgerNames
		}
		return got
	}

	if err := rollbackLedgerNames(s.DB); err != nil {
		t.Fatal(err)
	}
	if s.DB.Migrator().HasColumn(&ledgerNamesCase{}, "LedgerNames") {
		t.Fatal("cases.ledger_names left after the rollback")
	}
	if err := migrateLedgerNames(s.DB); err != nil {
		t.Fatal(err)
	}
	for id, got := range names() {
		if got != want[id] {
			t.Errorf("%s backfilled %q, want %q as projected", id, got, want[id])
		}
	}

	if err := s.DB.Exec("UPDATE cases SET ledger_names = 'old', ledger_names_seq = 2 WHERE id = 'M1'").Error; err != nil {
		t.Fatal(err)
	}
	if err := migrateLedgerNames(s.DB); err != nil {
		t.Fatal(err)
	}
	if got := names(); got["M1"] != want["M1"] {
		t.Errorf("a row of another version refilled as %q, want %q", got["M1"], want["M1"])
	}
}
