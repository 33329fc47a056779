package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
)

// LedgerRow is one case of the ledger (台账): the columns the ledger shows,
// with its filing unit's name and its departments.
type LedgerRow struct {
	ID, Number, Title, Category, Source string
	Class, Level, Status                string
	Overdue                             bool
	UnitName, OrgUnitID, GridID         string
	Address                             string
	Departments                         string // the summoned departments' names, 、-separated
	CreatedAt                           time.Time
	VerifiedAt, ClosedAt                *time.Time
	Outcome                             string
	VerifyFailures                      int
}

// ledgerCaseColumns are the case's columns the ledger shows, with its
// stored departments (LedgerNames) and the version they belong to.
const ledgerCaseColumns = `id, number, title, category, source, class, level, status, overdue, org_unit_id, grid_id, address,
	created_at, verified_at, closed_at, outcome, verify_failures, seq, ledger_names, ledger_names_seq`

// ledgerColumns are the ledger's columns over the sorted cases k, in
// LedgerRow's scan order but for the unit's name (ledgerUnits). The
// departments are the case's ledger_names, written with the case by the
// projection; a row another release wrote (its ledger_names_seq is not
// its seq) has them read from its tasks. The lookup of the tasks per row
// was a third of the export of a district's month (35,000 rows).
var ledgerColumns = `k.id, k.number, k.title, COALESCE(k.category, ''), k.source, k.class, k.level, k.status, k.overdue,
	k.org_unit_id, COALESCE(k.grid_id, ''), COALESCE(k.address, ''),
	CASE WHEN k.ledger_names_seq = k.seq THEN COALESCE(k.ledger_names, '') ELSE ` + ledgerNamesOf("k.id") + ` END,
	k.created_at, k.verified_at, k.closed_at, k.outcome, k.verify_failures`

// ledgerNamesOf is the SQL of LedgerNames for the case whose id is the
// column caseID, read from its tasks; its two parameters are
// ledgerNameSep and the dropped status. string_agg with an ORDER BY is
// PostgreSQL's, and SQLite's since 3.44 (the driver bundles a later one).
func ledgerNamesOf(caseID string) string {
	return `COALESCE((SELECT string_agg(COALESCE(t.department_name, ''), ? ORDER BY t.summoned_at, t.id)
		FROM tasks t WHERE t.case_id = ` + caseID + ` AND t.status <> ?), '')`
}

// LedgerNames is the case's ledger_names (CaseRow.LedgerNames) from its
// tasks: the names of those not dropped, in summon order (ties by id, as
// ledgerNamesOf orders them), ledgerNameSep-joined. ledgerDepartments
// makes the ledger's column of them when a row is read, whichever way
// they came: a plain join keeps the stored value and the SQL's the same.
func LedgerNames(tasks []TaskRow) string {
	live := make([]*TaskRow, 0, len(tasks))
	for i := range tasks {
		if tasks[i].Status != string(whistle.TaskDropped) {
			live = append(live, &tasks[i])
		}
	}
	slices.SortStableFunc(live, func(a, b *TaskRow) int {
		if c := a.SummonedAt.Compare(b.SummonedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	var b strings.Builder
	for i, t := range live {
		if i > 0 {
			b.WriteString(ledgerNameSep)
		}
		b.WriteString(t.DepartmentName)
	}
	return b.String()
}

// ledgerNameSep joins the departments' names in the query: a control
// character no name holds, where 、 may be inside one.
const ledgerNameSep = "\x1f"

// ledgerDepartments turns the query's names (ledgerNameSep-joined, in
// summon order) into the ledger's column: 、-separated, a name repeated by
// the next task once (a department summoned again right after itself).
func ledgerDepartments(names string) string {
	if !strings.Contains(names, ledgerNameSep) {
		return names
	}
	var b strings.Builder
	b.Grow(len(names))
	prev, rest, more := strings.Cut(names, ledgerNameSep)
	b.WriteString(prev)
	for more {
		var name string
		name, rest, more = strings.Cut(rest, ledgerNameSep)
		if name == prev {
			continue
		}
		b.WriteString("、")
		b.WriteString(name)
		prev = name
	}
	return b.String()
}

// EachLedgerRow calls fn with each case matching f (its Page ignored),
// newest first, as one query streams them: rows are scanned one by one
// from the driver's cursor, so an export holds one row however long. fn's
// error stops the walk and is returned. The query holds a connection until
// it ends, so fn should wait on nothing but its writer.
func (s *Store) EachLedgerRow(ctx context.Context, f CaseFilter, fn func(LedgerRow) error) error {
	units, err := s.ledgerUnits(ctx, f)
	if err != nil {
		return err
	}
	run := func(db *gorm.DB) error {
		// The matching cases sorted first, their departments looked up
		// row by row above the sort: PostgreSQL computes a select list's
		// subqueries below a sort, so with one sort over the whole query
		// the first row would wait for every case's departments. The
		// sorted subquery is not flattened, and its order carries through
		// the outer ORDER BY without a second sort.
		cases := f.apply(db.Model(&CaseRow{})).Select(ledgerCaseColumns).Order("created_at DESC, id DESC")
		rows, err := db.Table("(?) AS k", cases).Select(ledgerColumns, ledgerNameSep, string(whistle.TaskDropped)).
			Order("k.created_at DESC, k.id DESC").Rows()
		if err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var r LedgerRow
			if err := rows.Scan(&r.ID, &r.Number, &r.Title, &r.Category, &r.Source, &r.Class, &r.Level, &r.Status, &r.Overdue,
				&r.OrgUnitID, &r.GridID, &r.Address, &r.Departments,
				&r.CreatedAt, &r.VerifiedAt, &r.ClosedAt, &r.Outcome, &r.VerifyFailures); err != nil {
				return fmt.Errorf("ledger row %d: %w", n, err)
			}
			r.CreatedAt = r.CreatedAt.UTC()
			r.Departments = ledgerDepartments(r.Departments)
			if r.UnitName, err = units.name(ctx, r.OrgUnitID); err != nil {
				return fmt.Errorf("ledger row %d (case %s): %w", n, r.ID, err)
			}
			if err := fn(r); err != nil {
				return err
			}
			n++
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("ledger after %d rows: %w", n, err)
		}
		return nil
	}
	db := s.DB.WithContext(ctx)
	if s.dialect != "postgres" {
		return run(db)
	}
	// Custom plans: a generic plan cannot turn the scope's `org_path LIKE
	// $1` into ranges of the subtree indexes (idx_cases_path_created, and
	// the holder's, migrate_ledger.go), so it read every case of the
	// city's period. No JIT: EXPLAIN on the 20M-density bench showed 5.1 s
	// of JIT across the workers for a 3.1 s query.
	return s.readPlanned(ctx, "ledger", func(tx *gorm.DB) error { return run(tx) })
}

// readPlanned runs read on PostgreSQL in a read-only transaction with two
// settings for its queries alone (SET LOCAL). Custom plans: the driver
// prepares statements, and from a statement's sixth run PostgreSQL may
// keep a generic plan that knows neither the period nor the subtree. No
// JIT: the leaders' reads cost just over jit_above_cost, and compiling
// cost more than running them.
func (s *Store) readPlanned(ctx context.Context, what string, read func(tx *gorm.DB) error) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, set := range []string{"SET LOCAL plan_cache_mode = force_custom_plan", "SET LOCAL jit = off"} {
			if err := tx.Exec(set).Error; err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		return read(tx)
	}, &sql.TxOptions{ReadOnly: true})
}

// ledgerUnitNames are the org units' names of one export, by id: loaded
// once for the subtree the filed cases come from, a unit outside it (a
// case held in the scope but filed elsewhere) looked up when first met.
// Per row, a subquery on org_units cost the query about 5 µs a case.
type ledgerUnitNames struct {
	s     *Store
	names map[string]string
}

// ledgerUnits loads the names of the units f's cases are most likely
// filed in: the filter's org subtree (which holds them all), else the
// scope's subtree or its department's, with their ancestors (a case filed
// above and handed down); every unit when the scope is the city.
func (s *Store) ledgerUnits(ctx context.Context, f CaseFilter) (*ledgerUnitNames, error) {
	u := &ledgerUnitNames{s: s, names: map[string]string{}}
	path := f.OrgPath
	if path == "" {
		switch sc := f.Scope; {
		case sc.All:
		case sc.DepartmentID != "":
			var d Department
			err := s.DB.WithContext(ctx).Select("org_path").Where("id = ?", sc.DepartmentID).Take(&d).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return u, nil // no department, no cases
			}
			if err != nil {
				return nil, fmt.Errorf("ledger: department %s: %w", sc.DepartmentID, err)
			}
			path = d.OrgPath
		case sc.PathPrefix != "":
			path = sc.PathPrefix
		default:
			return u, nil // the scope holds nothing
		}
	}
	q := s.DB.WithContext(ctx).Model(&OrgUnit{}).Select("id, name")
	if path != "" {
		q = q.Where("path LIKE ? OR id IN ?", likePrefix(path), strings.Split(strings.Trim(path, "/"), "/"))
	}
	rows, err := q.Rows()
	if err != nil {
		return nil, fmt.Errorf("ledger: org units under %q: %w", path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("ledger: org units under %q: %w", path, err)
		}
		u.names[id] = name
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger: org units under %q: %w", path, err)
	}
	return u, nil
}

// name is the name of unit id, "" for an unknown unit. A miss is read
// through the pool (another connection: the streaming query holds its
// own) and kept for the rest of the export.
func (u *ledgerUnitNames) name(ctx context.Context, id string) (string, error) {
	if name, ok := u.names[id]; ok {
		return name, nil
	}
	names, err := u.s.unitNames(ctx, []string{id})
	if err != nil {
		return "", fmt.Errorf("ledger: %w", err)
	}
	u.names[id] = names[id] // "" for an unknown unit, looked up once
	return names[id], nil
}
