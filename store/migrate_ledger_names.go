package store

import (
	"fmt"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
)

// Migration 202612041004_ledger_names (issue 17): the ledger reads a
// case's departments from the case row (CaseRow.LedgerNames, ledger.go)
// instead of its tasks. The struct is this migration's snapshot; a fresh
// database has the columns from the model already. The backfill fills
// every row whose names are not those of its current version, so it
// also finishes what an operator began in batches beforehand
// (docs/operations.md).

type ledgerNamesCase struct {
	LedgerNames    string `gorm:"type:text"`
	LedgerNamesSeq *int64
}

func (ledgerNamesCase) TableName() string { return "cases" }

// ledgerNamesBackfill fills the stale rows' names from their tasks.
var ledgerNamesBackfill = `UPDATE cases SET ledger_names = ` + ledgerNamesOf("cases.id") + `, ledger_names_seq = seq
	WHERE ledger_names_seq IS NULL OR ledger_names_seq <> seq`

func migrateLedgerNames(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, col := range []string{"LedgerNames", "LedgerNamesSeq"} {
		if m.HasColumn(&ledgerNamesCase{}, col) {
			continue
		}
		if err := m.AddColumn(&ledgerNamesCase{}, col); err != nil {
			return fmt.Errorf("ledger names migration: add %s: %w", col, err)
		}
	}
	if err := tx.Exec(ledgerNamesBackfill, ledgerNameSep, string(whistle.TaskDropped)).Error; err != nil {
		return fmt.Errorf("ledger names migration: backfill: %w", err)
	}
	return nil
}

func rollbackLedgerNames(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, col := range []string{"LedgerNamesSeq", "LedgerNames"} {
		if !m.HasColumn(&ledgerNamesCase{}, col) {
			continue
		}
		if err := m.DropColumn(&ledgerNamesCase{}, col); err != nil {
			return fmt.Errorf("ledger names rollback: drop %s: %w", col, err)
		}
	}
	return nil
}
