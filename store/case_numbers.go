package store

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/worktime"
)

// Case numbers are what a 12345 operator reads out over the phone:
// YYYYMMDD-NNNNN, the China date of filing and that day's sequence.
//
// One counter row per day, bumped by a single atomic upsert
// (INSERT ... ON CONFLICT (day) DO UPDATE SET last_seq = last_seq + 1
// RETURNING last_seq). The row lock lives only for that one statement, not
// for the filing: on PostgreSQL it is held for well under a millisecond
// (BenchmarkAllocateCaseNumber), so the day's row carries thousands of
// filings a second against Beijing's ~18,000 a day; on SQLite every write
// is serialized by the database anyway and the statement needs no
// read-then-write transaction. A block allocator (each API process
// reserving, say, 100 numbers) would remove even that row lock but would
// hand out numbers out of filing order across processes and lose the rest
// of a block at every restart; numbers in filing order are worth more to
// the people reading them than contention we do not have.
//
// Numbers may have gaps: a number is allocated before the workflow
// starts, so a filing that fails after that (Temporal unavailable, the
// process killed) burns its number. That is acceptable: 12345 work-order
// numbers void the same way; the number names a case, it does not count
// them (the rates count cases). A retry of a filing with the same
// Idempotency-Key reuses the number of the case it already filed.

// CaseNumberCounter is one day's counter: LastSeq is the last sequence
// handed out on Day (YYYYMMDD, China Standard Time).
type CaseNumberCounter struct {
	Day     string `gorm:"primaryKey;size:8"`
	LastSeq int64  `gorm:"not null"`
}

// TableName keeps the table name independent of the Go type's.
func (CaseNumberCounter) TableName() string { return "case_numbers" }

// caseNumberPattern is the shape of a case number; wider sequences are
// allowed so a day past 99,999 cases still numbers them.
var caseNumberPattern = regexp.MustCompile(`^[0-9]{8}-[0-9]{5,9}$`)

// IsCaseNumber reports whether s has the shape of a case number
// (YYYYMMDD-NNNNN), as opposed to a case id (SB...).
func IsCaseNumber(s string) bool { return caseNumberPattern.MatchString(s) }

// FormatCaseNumber writes day (YYYYMMDD) and seq as a case number.
func FormatCaseNumber(day string, seq int64) string { return fmt.Sprintf("%s-%05d", day, seq) }

// AllocateCaseNumber hands out the next case number of the China date of
// now. Concurrent callers, in this process or others, get distinct numbers;
// the first of a day gets NNNNN = 00001.
func (s *Store) AllocateCaseNumber(ctx context.Context, now time.Time) (string, error) {
	return allocateCaseNumber(s.DB.WithContext(ctx), now)
}

// allocateCaseNumber is AllocateCaseNumber on db, which may be a
// transaction (a hotline ticket's claim numbers its case as it claims).
func allocateCaseNumber(db *gorm.DB, now time.Time) (string, error) {
	day := now.In(worktime.Location).Format("20060102")
	var seq int64
	// One statement on both dialects (SQLite ≥ 3.35 and PostgreSQL both
	// speak ON CONFLICT ... RETURNING), so no transaction is needed.
	err := db.Raw(
		"INSERT INTO case_numbers (day, last_seq) VALUES (?, 1) "+
			"ON CONFLICT (day) DO UPDATE SET last_seq = case_numbers.last_seq + 1 RETURNING last_seq", day).
		Scan(&seq).Error
	if err != nil {
		return "", fmt.Errorf("allocate case number for %s: %w", day, err)
	}
	if seq < 1 {
		return "", fmt.Errorf("allocate case number for %s: the counter answered %d", day, seq)
	}
	return FormatCaseNumber(day, seq), nil
}

// CaseIDByNumber returns the id of the case with this number, or the
// not_found error of a case named number.
func (s *Store) CaseIDByNumber(ctx context.Context, number string) (string, error) {
	if number == "" {
		return "", NotFound("case", number)
	}
	var row CaseRow
	if err := take(s.DB.WithContext(ctx).Select("id").Where("number = ?", number), &row, "case", number); err != nil {
		return "", err
	}
	return row.ID, nil
}

// caseNumbersV1 is the case_numbers table as migration 202612020005
// creates it.
type caseNumbersV1 struct {
	Day     string `gorm:"primaryKey;size:8"`
	LastSeq int64  `gorm:"not null"`
}

func (caseNumbersV1) TableName() string { return "case_numbers" }

// casesNumberV1 is the number column migration 202612020005 adds to cases.
type casesNumberV1 struct {
	Number string `gorm:"size:20;not null;default:''"`
}

func (casesNumberV1) TableName() string { return "cases" }

// migrateCaseNumbers creates the day counters, adds cases.number (a new
// database already has it: the initial migration auto-migrates CaseRow),
// indexes it uniquely where set (cases filed before numbers share ""),
// and indexes (category, lat, lon) for the nearby-cases query's bounding
// box (nearby.go).
func migrateCaseNumbers(tx *gorm.DB) error {
	if err := tx.AutoMigrate(&caseNumbersV1{}); err != nil {
		return fmt.Errorf("create case_numbers: %w", err)
	}
	if !tx.Migrator().HasColumn(&casesNumberV1{}, "Number") {
		if err := tx.Migrator().AddColumn(&casesNumberV1{}, "Number"); err != nil {
			return fmt.Errorf("add cases.number: %w", err)
		}
	}
	for _, stmt := range []string{
		"CREATE UNIQUE INDEX IF NOT EXISTS idx_cases_number ON cases (number) WHERE number <> ''",
		"CREATE INDEX IF NOT EXISTS idx_cases_category_lat_lon ON cases (category, lat, lon)",
	} {
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("index cases: %w", err)
		}
	}
	return nil
}

func rollbackCaseNumbers(tx *gorm.DB) error {
	for _, stmt := range []string{"DROP INDEX IF EXISTS idx_cases_category_lat_lon", "DROP INDEX IF EXISTS idx_cases_number"} {
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("drop index: %w", err)
		}
	}
	if err := tx.Migrator().DropColumn(&casesNumberV1{}, "Number"); err != nil {
		return fmt.Errorf("drop cases.number: %w", err)
	}
	return tx.Migrator().DropTable(&caseNumbersV1{})
}
